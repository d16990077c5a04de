//! Gathered `MetricFamily` protos written in the text format exactly as Prometheus' Go client
//! writes them, so a whole registry (ours plus any other collector) reads like Antrea's output.
//!
//! `prometheus::proto` has two shapes: plain structs without prometheus' `protobuf` feature,
//! generated protobuf messages with it (its default). Cargo unifies features, so a downstream
//! crate with default `prometheus` would switch the shape under us, and the two have no common
//! accessor for a counter's, gauge's or untyped value (`get_value()` on one, `value()` on the
//! other). We therefore always enable `protobuf` (see Cargo.toml) and read the generated
//! messages: one shape in every dependency graph, and the one most users already build.

use super::number::{write_count, write_float};
use super::text::{write_help, write_label_set};
use prometheus::proto::{LabelPair, Metric, MetricFamily, MetricType};

/// Appends the exposition of `families`, in the order given (`Registry::gather` sorts by name).
pub(crate) fn write_families(out: &mut Vec<u8>, families: &[MetricFamily]) {
    for mf in families {
        write_family(out, mf);
    }
}

fn write_family(out: &mut Vec<u8>, mf: &MetricFamily) {
    let name = mf.name();
    if !mf.help().is_empty() {
        out.extend_from_slice(b"# HELP ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        write_help(out, mf.help());
        out.push(b'\n');
    }
    let kind = mf.get_field_type();
    out.extend_from_slice(b"# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(match kind {
        MetricType::COUNTER => b" counter\n".as_slice(),
        MetricType::GAUGE => b" gauge\n",
        MetricType::SUMMARY => b" summary\n",
        MetricType::HISTOGRAM => b" histogram\n",
        MetricType::UNTYPED => b" untyped\n",
    });
    for m in mf.get_metric() {
        match kind {
            MetricType::COUNTER => sample(out, name, "", m, None, |o| {
                write_float(o, m.counter.value())
            }),
            MetricType::GAUGE => {
                sample(out, name, "", m, None, |o| write_float(o, m.gauge.value()))
            }
            // prometheus' own encoder rejects untyped values, but a custom collector can still
            // yield one: write it rather than fail the scrape.
            MetricType::UNTYPED => sample(out, name, "", m, None, |o| {
                write_float(o, m.untyped.value())
            }),
            MetricType::SUMMARY => {
                let s = m.get_summary();
                for q in s.get_quantile() {
                    let extra = Some(("quantile", q.quantile()));
                    sample(out, name, "", m, extra, |o| write_float(o, q.value()));
                }
                sample(out, name, "_sum", m, None, |o| {
                    write_float(o, s.sample_sum())
                });
                sample(out, name, "_count", m, None, |o| {
                    write_count(o, s.sample_count())
                });
            }
            MetricType::HISTOGRAM => {
                let h = m.get_histogram();
                let mut inf_seen = false;
                for b in h.get_bucket() {
                    inf_seen |= b.upper_bound() == f64::INFINITY;
                    let extra = Some(("le", b.upper_bound()));
                    sample(out, name, "_bucket", m, extra, |o| {
                        write_count(o, b.cumulative_count())
                    });
                }
                if !inf_seen {
                    let extra = Some(("le", f64::INFINITY));
                    sample(out, name, "_bucket", m, extra, |o| {
                        write_count(o, h.get_sample_count())
                    });
                }
                sample(out, name, "_sum", m, None, |o| {
                    write_float(o, h.get_sample_sum())
                });
                sample(out, name, "_count", m, None, |o| {
                    write_count(o, h.get_sample_count())
                });
            }
        }
    }
}

/// One line: name, suffix, the metric's labels plus an optional numeric one, the value, and
/// the timestamp when there is one.
fn sample(
    out: &mut Vec<u8>,
    name: &str,
    suffix: &str,
    m: &Metric,
    extra: Option<(&str, f64)>,
    value: impl FnOnce(&mut Vec<u8>),
) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    let labels: &[LabelPair] = m.get_label();
    let pairs = labels.iter().map(|lp| (lp.name(), lp.value()));
    write_label_set(out, pairs, extra, write_float);
    out.push(b' ');
    value(out);
    if m.timestamp_ms() != 0 {
        out.push(b' ');
        out.extend_from_slice(m.timestamp_ms().to_string().as_bytes());
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_values_use_go_float_formatting() {
        let r = prometheus::Registry::new();
        let g = prometheus::IntGauge::new("big", "A big value.").expect("gauge");
        g.set(3_000_000);
        r.register(Box::new(g)).expect("register");
        let mut out = Vec::new();
        write_families(&mut out, &r.gather());
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "# HELP big A big value.\n# TYPE big gauge\nbig 3e+06\n"
        );
    }
}
