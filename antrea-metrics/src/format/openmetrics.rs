//! OpenMetrics 1.0.0 text: a component's families written from their series (as the text
//! format is), and a registry's from its gathered families.
//!
//! What differs from the text format 0.0.4, as the OpenMetrics specification requires:
//! - a counter family's name has no `_total`, and its sample is `<family>_total`: Antrea's
//!   `antrea_agent_ovs_flow_ops_count` becomes the series `antrea_agent_ovs_flow_ops_count_total`
//!   in Prometheus (why OpenMetrics is off unless the server enables it);
//! - `_created` samples are left out (allowed: nothing here records creation times);
//! - `le` bounds are canonical numbers (`1.0`, not `1`); HELP escapes `"` too;
//! - the exposition ends with `# EOF` ([`crate::exposition::encode_all`] writes it).
//!
//! Header lines and canonical bounds are made once per family ([`Prepared`]), so a scrape
//! allocates nothing per family.

use super::number::{write_count, write_float};
use super::text::{write_label_set, write_series};
use crate::family::{FamilyView, Head};
use crate::labels::write_escaped_value;
use prometheus::proto::{Metric, MetricFamily, MetricType};

/// What OpenMetrics writes of a family the same way in every scrape, made once when the family
/// is registered: its header lines, its OpenMetrics name, and canonical `le` values.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The `# TYPE` and `# HELP` lines.
    header: Box<[u8]>,
    /// The samples' name: a counter's without `_total` (its samples get it back).
    name: &'static str,
    /// Histogram bounds as canonical numbers: `1.0`, not the text format's `1`.
    le: Box<[Box<str>]>,
}

impl Prepared {
    pub(crate) fn new(head: &Head) -> Self {
        let Some(exposed) = head.name() else {
            return Prepared {
                header: Box::default(),
                name: "",
                le: Box::default(),
            };
        };
        let kind = head.desc.metric_type.as_str();
        let mut header = Vec::with_capacity(exposed.len() * 2 + head.help.len() + 24);
        let name = write_header(&mut header, exposed, kind, Some(&head.help));
        let le = (head.bounds.iter())
            .map(|b| {
                let mut s = Vec::with_capacity(24);
                write_canonical(&mut s, *b);
                String::from_utf8_lossy(&s).into()
            })
            .collect();
        Prepared {
            header: header.into(),
            name,
            le,
        }
    }
}

/// Appends one family as OpenMetrics text (without the closing `# EOF`); nothing when its
/// profile does not expose it or it has no series.
pub(crate) fn write_family(out: &mut Vec<u8>, family: &dyn FamilyView, prep: &Prepared) {
    if family.head().name().is_none() {
        return;
    }
    write_series(out, family, &prep.header, prep.name, "_total", &prep.le);
}

/// The `# TYPE` and `# HELP` lines of a family named `name` of OpenMetrics type `kind`
/// (`counter`, `gauge`, ...); returns the family's OpenMetrics name (without `_total` for a
/// counter: its samples get it back).
fn write_header<'a>(out: &mut Vec<u8>, name: &'a str, kind: &str, help: Option<&str>) -> &'a str {
    let family = match kind {
        "counter" => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    };
    out.extend_from_slice(b"# TYPE ");
    out.extend_from_slice(family.as_bytes());
    out.push(b' ');
    out.extend_from_slice(kind.as_bytes());
    out.push(b'\n');
    if let Some(help) = help.filter(|h| !h.is_empty()) {
        out.extend_from_slice(b"# HELP ");
        out.extend_from_slice(family.as_bytes());
        out.push(b' ');
        // The label-value escapes (backslash, quote, newline) are the HELP escapes here.
        write_escaped_value(out, help);
        out.push(b'\n');
    }
    family
}

/// Appends one family gathered from a `prometheus::Registry`.
pub(crate) fn write_message(out: &mut Vec<u8>, mf: &MetricFamily) {
    let kind = mf.get_field_type();
    let word = match kind {
        MetricType::COUNTER => "counter",
        MetricType::GAUGE => "gauge",
        MetricType::SUMMARY => "summary",
        MetricType::HISTOGRAM => "histogram",
        MetricType::UNTYPED => "unknown",
    };
    let family = write_header(out, mf.name(), word, Some(mf.help()));
    for m in mf.get_metric() {
        let line = Line { family, m };
        match kind {
            MetricType::COUNTER => {
                line.sample(out, "_total", None, |o| write_float(o, m.counter.value()))
            }
            MetricType::GAUGE => line.sample(out, "", None, |o| write_float(o, m.gauge.value())),
            // Deprecated by `prometheus` 0.14 (its own encoders refuse them), but a hand-written
            // collector can still yield one.
            MetricType::UNTYPED => {
                line.sample(out, "", None, |o| write_float(o, m.untyped.value()))
            }
            MetricType::SUMMARY => {
                let s = m.get_summary();
                for q in s.get_quantile() {
                    let extra = Some(("quantile", q.quantile()));
                    line.sample(out, "", extra, |o| write_float(o, q.value()));
                }
                line.sample(out, "_sum", None, |o| write_float(o, s.sample_sum()));
                line.sample(out, "_count", None, |o| write_count(o, s.sample_count()));
            }
            MetricType::HISTOGRAM => {
                let h = m.get_histogram();
                let finite = h.get_bucket().iter();
                for b in finite.filter(|b| b.upper_bound() != f64::INFINITY) {
                    let extra = Some(("le", b.upper_bound()));
                    line.sample(out, "_bucket", extra, |o| {
                        write_count(o, b.cumulative_count())
                    });
                }
                let inf = Some(("le", f64::INFINITY));
                let count = h.get_sample_count();
                line.sample(out, "_bucket", inf, |o| write_count(o, count));
                line.sample(out, "_sum", None, |o| write_float(o, h.get_sample_sum()));
                line.sample(out, "_count", None, |o| write_count(o, count));
            }
        }
    }
}

/// The samples of one series.
struct Line<'a> {
    family: &'a str,
    m: &'a Metric,
}

impl Line<'_> {
    fn sample(
        &self,
        out: &mut Vec<u8>,
        suffix: &str,
        extra: Option<(&str, f64)>,
        value: impl FnOnce(&mut Vec<u8>),
    ) {
        out.extend_from_slice(self.family.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
        let labels = self.m.get_label().iter().map(|l| (l.name(), l.value()));
        write_label_set(out, labels, extra, write_canonical);
        out.push(b' ');
        value(out);
        // A zero timestamp is `prometheus`' "none"; OpenMetrics timestamps are seconds.
        if self.m.timestamp_ms() != 0 {
            out.push(b' ');
            write_float(out, self.m.timestamp_ms() as f64 / 1000.0);
        }
        out.push(b'\n');
    }
}

/// A canonical number for `le` and `quantile`: integers get a `.0` (`1.0`, `100000.0`).
fn write_canonical(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        out.extend_from_slice(format!("{v:.1}").as_bytes());
    } else {
        write_float(out, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::proto::{Bucket, Counter, Histogram, LabelPair};

    #[test]
    fn counters_lose_total_in_the_family_and_keep_it_in_the_sample() {
        let mut mf = MetricFamily::default();
        mf.set_name("requests_total".into());
        mf.set_help("Say \"hi\"\\now".into());
        mf.set_field_type(MetricType::COUNTER);
        let mut m = Metric::default();
        let mut code = LabelPair::default();
        code.set_name("code".into());
        code.set_value("2\"00".into());
        m.set_label(vec![code]);
        let mut c = Counter::default();
        c.set_value(3.0);
        m.set_counter(c);
        mf.set_metric(vec![m]);
        let mut out = Vec::new();
        write_message(&mut out, &mf);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "# TYPE requests counter\n# HELP requests Say \\\"hi\\\"\\\\now\nrequests_total{code=\"2\\\"00\"} 3\n"
        );
    }

    #[test]
    fn histogram_bounds_are_canonical() {
        let mut mf = MetricFamily::default();
        mf.set_name("lat".into());
        mf.set_field_type(MetricType::HISTOGRAM);
        let mut h = Histogram::default();
        h.set_sample_count(2);
        h.set_sample_sum(1.5);
        let buckets = [(1, 0.5), (2, 1.0)].map(|(n, le)| {
            let mut b = Bucket::default();
            b.set_cumulative_count(n);
            b.set_upper_bound(le);
            b
        });
        h.set_bucket(buckets.to_vec());
        let mut m = Metric::default();
        m.set_histogram(h);
        mf.set_metric(vec![m]);
        let mut out = Vec::new();
        write_message(&mut out, &mf);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "# TYPE lat histogram\nlat_bucket{le=\"0.5\"} 1\nlat_bucket{le=\"1.0\"} 2\nlat_bucket{le=\"+Inf\"} 2\nlat_sum 1.5\nlat_count 2\n"
        );
    }
}
