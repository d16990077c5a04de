//! Families gathered from a `prometheus::Registry` (server and process metrics, anyone's
//! collectors) as protobuf messages.
//!
//! They are read in the shape that `prometheus`' `protobuf` feature gives its `proto` types,
//! the one shape this crate builds them with (see `registry_text.rs`), and converted to this
//! crate's [`proto`] messages, which also carry the native histogram fields that
//! `prometheus`' messages lack.

use super::proto;
use super::protobuf::{label_pair, write_delimited};
use prometheus::proto as prom;

/// Appends every family as a length-delimited message.
pub(crate) fn write_families(out: &mut Vec<u8>, families: &[prom::MetricFamily]) {
    for mf in families {
        write_delimited(out, &convert(mf));
    }
}

/// One gathered family as a message.
pub(crate) fn convert(mf: &prom::MetricFamily) -> proto::MetricFamily {
    let kind = mf.get_field_type();
    let r#type = match kind {
        prom::MetricType::COUNTER => proto::MetricType::Counter,
        prom::MetricType::GAUGE => proto::MetricType::Gauge,
        prom::MetricType::SUMMARY => proto::MetricType::Summary,
        prom::MetricType::HISTOGRAM => proto::MetricType::Histogram,
        prom::MetricType::UNTYPED => proto::MetricType::Untyped,
    };
    let metric = mf.get_metric().iter().map(|m| metric(kind, m)).collect();
    let help = mf.help();
    proto::MetricFamily {
        name: Some(mf.name().to_owned()),
        help: (!help.is_empty()).then(|| help.to_owned()),
        r#type: Some(r#type as i32),
        metric,
    }
}

fn metric(kind: prom::MetricType, m: &prom::Metric) -> proto::Metric {
    let mut out = proto::Metric {
        label: m
            .get_label()
            .iter()
            .map(|l| label_pair(l.name(), l.value()))
            .collect(),
        timestamp_ms: Some(m.timestamp_ms()).filter(|t| *t != 0),
        ..Default::default()
    };
    match kind {
        prom::MetricType::COUNTER => {
            let value = Some(m.counter.value());
            out.counter = Some(proto::Counter { value });
        }
        prom::MetricType::GAUGE => {
            let value = Some(m.gauge.value());
            out.gauge = Some(proto::Gauge { value });
        }
        prom::MetricType::SUMMARY => {
            let s = m.get_summary();
            out.summary = Some(proto::Summary {
                sample_count: Some(s.sample_count()),
                sample_sum: Some(s.sample_sum()),
                quantile: s
                    .get_quantile()
                    .iter()
                    .map(|q| proto::Quantile {
                        quantile: Some(q.quantile()),
                        value: Some(q.value()),
                    })
                    .collect(),
            });
        }
        prom::MetricType::HISTOGRAM => {
            let h = m.get_histogram();
            out.histogram = Some(proto::Histogram {
                sample_count: Some(h.get_sample_count()),
                sample_sum: Some(h.get_sample_sum()),
                bucket: h
                    .get_bucket()
                    .iter()
                    .map(|b| proto::Bucket {
                        cumulative_count: Some(b.cumulative_count()),
                        upper_bound: Some(b.upper_bound()),
                    })
                    .collect(),
                ..Default::default()
            });
        }
        prom::MetricType::UNTYPED => {
            // Deprecated by `prometheus` 0.14 (its own encoders refuse them), but a
            // hand-written collector can still yield one, and the text format writes it.
            let value = Some(m.untyped.value());
            out.untyped = Some(proto::Untyped { value });
        }
    }
    out
}
