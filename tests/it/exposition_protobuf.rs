//! The protobuf exposition decodes to exactly the families, HELP texts, labels and samples of
//! the text exposition of the same state: for the realistic agent (all 256 OVS tables), the
//! controller, and a `prometheus::Registry` with process-style metrics and the agent re-created
//! as `prometheus` metrics.

use crate::proto::{self, MetricFamily, MetricType};
use antrea_metrics::exposition::encode_all;
use antrea_metrics::format::Format;
use antrea_metrics::{ControllerMetrics, Exposition, NativeConfig, NativeHistograms, Profile};
use prost::Message;
use std::collections::BTreeSet;
use std::sync::Arc;
use suite::realistic;

/// The text format's lines, as a set: `# HELP`, `# TYPE` and sample lines with the sample's
/// value parsed (so that `1e+06` and `1000000` compare equal as numbers, not as strings).
fn text_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|line| {
            if line.starts_with('#') {
                return line.to_owned();
            }
            let (series, value) = line.rsplit_once(' ').unwrap_or((line, ""));
            format!("{series} {}", number(value))
        })
        .collect()
}

fn number(text: &str) -> String {
    let v: f64 = match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().unwrap_or(f64::NAN),
    };
    format!("{v:?}")
}

fn escape(text: &str, quote: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// The same lines built from decoded protobuf families, written independently of the crate.
fn proto_lines(families: &[MetricFamily]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for mf in families {
        let name = mf.name();
        if let Some(help) = &mf.help {
            out.insert(format!("# HELP {name} {}", escape(help, false)));
        }
        let kind = match mf.r#type() {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            other => panic!("unexpected type {other:?} in {name}"),
        };
        out.insert(format!("# TYPE {name} {kind}"));
        for m in &mf.metric {
            let labels: Vec<String> = m
                .label
                .iter()
                .map(|l| format!("{}=\"{}\"", l.name(), escape(l.value(), true)))
                .collect();
            let mut sample = |suffix: &str, extra: Option<String>, value: f64| {
                let mut all = labels.clone();
                all.extend(extra);
                let braces = if all.is_empty() {
                    String::new()
                } else {
                    format!("{{{}}}", all.join(","))
                };
                out.insert(format!("{name}{suffix}{braces} {value:?}"));
            };
            if let Some(c) = &m.counter {
                sample("", None, c.value());
            }
            if let Some(g) = &m.gauge {
                sample("", None, g.value());
            }
            if let Some(h) = &m.histogram {
                for b in &h.bucket {
                    let le = Some(format!("le=\"{}\"", go_float(b.upper_bound())));
                    sample("_bucket", le, b.cumulative_count() as f64);
                }
                let inf = Some("le=\"+Inf\"".to_owned());
                sample("_bucket", inf, h.sample_count() as f64);
                sample("_sum", None, h.sample_sum());
                sample("_count", None, h.sample_count() as f64);
            }
            assert!(m.summary.is_none() && m.untyped.is_none(), "{name}");
        }
    }
    out
}

/// Bucket bounds as the text format writes them (Go's `strconv.FormatFloat(f, 'g', -1, 64)`)
/// for the bounds in this test: plain decimals and exponents of ten with two digits.
fn go_float(f: f64) -> String {
    let plain = format!("{f}");
    if plain.len() > 21 || (f != 0.0 && f.abs() < 1e-4) {
        let e = format!("{f:e}");
        let (m, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        plain
    }
}

fn decode(mut bytes: &[u8]) -> Vec<MetricFamily> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let mf = MetricFamily::decode_length_delimited(&mut bytes)
            .unwrap_or_else(|e| panic!("not a delimited MetricFamily stream: {e}"));
        out.push(mf);
    }
    out
}

fn both(sources: &[Arc<dyn Exposition>]) -> (String, Vec<MetricFamily>) {
    let mut text = Vec::new();
    encode_all(sources, Format::Text, &mut text).expect("text");
    let mut pb = Vec::new();
    encode_all(sources, Format::Protobuf, &mut pb).expect("protobuf");
    (String::from_utf8(text).expect("utf-8"), decode(&pb))
}

fn assert_same(sources: &[Arc<dyn Exposition>], min_lines: usize) -> Vec<MetricFamily> {
    let (text, families) = both(sources);
    let expected = text_lines(&text);
    let got = proto_lines(&families);
    let missing: Vec<_> = expected.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "protobuf lacks {missing:#?}\nand has extra {extra:#?}"
    );
    assert!(
        expected.len() >= min_lines,
        "only {} lines compared",
        expected.len()
    );
    families
}

#[test]
fn realistic_agent_protobuf_matches_its_text() {
    let agent = realistic::agent();
    let families = assert_same(&[Arc::new(agent)], 400);
    // Families in the text format's order (sorted by name), each once.
    let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn controller_and_a_registry_protobuf_match_their_text() {
    let controller = ControllerMetrics::unregistered(Profile::V1_11).expect("controller");
    controller
        .network_policy_sync_duration_milliseconds
        .observe(12.5);
    controller.network_policy_processed.inc_by(7);
    let registry = realistic::native_registry(&realistic::agent_with_tables(20));
    let extra = prometheus::IntCounterVec::new(
        prometheus::Opts::new(
            "odd_total",
            "Label values and HELP that need\nescaping \\ \".",
        ),
        &["path"],
    )
    .expect("counter");
    extra.with_label_values(&["a\"b\\c\nd"]).inc_by(3);
    registry.register(Box::new(extra)).expect("register");
    assert_same(&[Arc::new(controller), Arc::new(registry)], 200);
}

#[test]
fn node_ipam_families_match_their_text_with_native_tries() {
    let controller = ControllerMetrics::builder()
        .node_ipam(true)
        .native_histograms(NativeHistograms::all(NativeConfig::default()))
        .build()
        .expect("controller");
    let ipam = controller.node_ipam.as_ref().expect("node ipam families");
    for (cidr, n) in [("10.244.0.0/16", 3), ("fd00::/48", 1)] {
        let set = ipam.cidr_set(cidr.parse().expect("cidr"));
        set.allocations().inc_by(n);
        set.releases().inc();
        set.usage().set(0.25);
        set.allocation_tries_per_request().observe(n as f64);
    }
    let families = assert_same(&[Arc::new(controller)], 40);
    let ipam: Vec<&MetricFamily> = families
        .iter()
        .filter(|f| f.name().starts_with("antrea_node_ipam_controller_cidrset_"))
        .collect();
    assert_eq!(ipam.len(), 4, "the four Node IPAM families");
    for family in &ipam {
        assert_eq!(
            family.metric.len(),
            2,
            "{}: one series per CIDR set",
            family.name()
        );
    }
    let tries = ipam
        .iter()
        .find(|f| f.r#type() == MetricType::Histogram)
        .expect("tries per request");
    for m in &tries.metric {
        let h = m.histogram.as_ref().expect("histogram");
        assert!(!h.positive_span.is_empty(), "native buckets on {m:?}");
    }
}

#[test]
fn native_histograms_keep_classic_buckets_and_add_native_ones() {
    let native = NativeHistograms::all(NativeConfig::new(1.1).expect("factor"));
    let agent = antrea_metrics::AgentMetrics::builder()
        .native_histograms(native)
        .build()
        .expect("agent");
    realistic::populate(&agent, 10);
    let families = assert_same(&[Arc::new(agent)], 150);
    let latency = families
        .iter()
        .find(|f| f.name() == "antrea_agent_ovs_flow_ops_latency_milliseconds")
        .expect("latency family");
    for m in &latency.metric {
        let h = m.histogram.as_ref().expect("histogram");
        assert_eq!(h.schema(), 3);
        assert!(h.zero_threshold() > 0.0);
        // Zero bucket plus the positive buckets (deltas summed back to counts) hold every
        // observation; none were negative.
        let mut count = 0i64;
        let total: i64 = h
            .positive_delta
            .iter()
            .map(|d| {
                count += d;
                count
            })
            .sum();
        assert_eq!(total as u64 + h.zero_count(), h.sample_count());
        assert!(h.negative_span.is_empty());
        let spanned: u32 = h.positive_span.iter().map(|s| s.length()).sum();
        assert_eq!(spanned as usize, h.positive_delta.len());
    }
}

#[test]
fn native_only_histograms_have_no_classic_buckets_in_either_format() {
    let config = NativeConfig::new(2.0)
        .expect("factor")
        .classic_buckets(false);
    let native = NativeHistograms::none().family(
        &antrea_metrics::catalogue::CONTROLLER_NETWORK_POLICY_SYNC_DURATION_MILLISECONDS,
        config,
    );
    let controller = ControllerMetrics::builder()
        .native_histograms(native)
        .build()
        .expect("controller");
    for v in [0.0, 3.0, 3.5, 100.0] {
        controller
            .network_policy_sync_duration_milliseconds
            .observe(v);
    }
    let families = assert_same(&[Arc::new(controller)], 30);
    let h = families
        .iter()
        .find(|f| f.name() == "antrea_controller_network_policy_sync_duration_milliseconds")
        .and_then(|f| f.metric.first())
        .and_then(|m| m.histogram.clone())
        .expect("histogram");
    assert!(h.bucket.is_empty());
    // Schema 0: 3 and 3.5 share (2, 4], 100 is in (64, 128].
    assert_eq!(h.schema(), 0);
    assert_eq!(h.zero_count(), 1);
    assert_eq!(
        h.positive_span,
        vec![
            proto::BucketSpan {
                offset: Some(2),
                length: Some(1)
            },
            proto::BucketSpan {
                offset: Some(4),
                length: Some(1)
            }
        ]
    );
    assert_eq!(h.positive_delta, vec![2, -1]);
}
