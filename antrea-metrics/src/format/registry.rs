//! Families gathered from a `prometheus::Registry` (server and process metrics, anyone's
//! collectors) as length-delimited protobuf `MetricFamily` messages.
//!
//! They are read in the shape that `prometheus`' `protobuf` feature gives its `proto` types,
//! the one shape this crate builds them with (see `registry_text.rs`), and written with the
//! same wire writer as the crate's own families: one protobuf representation in the core.
//! Fields go in tag order, as every protobuf encoder writes them.

use super::wire::{self, WireType};
use prometheus::proto::{Metric, MetricFamily, MetricType};

/// Appends every family as a length-delimited message.
pub(crate) fn write_families(out: &mut Vec<u8>, families: &[MetricFamily]) {
    for mf in families {
        write_family(out, mf);
    }
}

/// The `MetricType` enum's number on the wire (`client_model`'s `metrics.proto`).
fn type_number(kind: MetricType) -> u64 {
    match kind {
        MetricType::COUNTER => 0,
        MetricType::GAUGE => 1,
        MetricType::SUMMARY => 2,
        MetricType::UNTYPED => 3,
        MetricType::HISTOGRAM => 4,
    }
}

fn write_family(out: &mut Vec<u8>, mf: &MetricFamily) {
    let message = wire::open(out, 2);
    wire::bytes(out, 1, mf.name().as_bytes());
    if !mf.help().is_empty() {
        wire::bytes(out, 2, mf.help().as_bytes());
    }
    let kind = mf.get_field_type();
    wire::uint(out, 3, type_number(kind));
    for m in mf.get_metric() {
        wire::key(out, 4, WireType::Delimited);
        let metric = wire::open(out, 1);
        write_metric(out, kind, m);
        wire::close(out, metric);
    }
    wire::close(out, message);
}

/// A `Metric`: labels (1), the value message of its family's kind (gauge 2, counter 3,
/// summary 4, untyped 5, histogram 7) and the timestamp (6) when it has one.
fn write_metric(out: &mut Vec<u8>, kind: MetricType, m: &Metric) {
    for l in m.get_label() {
        wire::key(out, 1, WireType::Delimited);
        let pair = wire::open(out, 1);
        wire::bytes(out, 1, l.name().as_bytes());
        wire::bytes(out, 2, l.value().as_bytes());
        wire::close(out, pair);
    }
    // A zero timestamp is `prometheus`' "none".
    let timestamp = |out: &mut Vec<u8>| {
        if m.timestamp_ms() != 0 {
            wire::uint(out, 6, m.timestamp_ms() as u64);
        }
    };
    let (field, value) = match kind {
        MetricType::GAUGE => (2, m.gauge.value()),
        MetricType::COUNTER => (3, m.counter.value()),
        // Deprecated by `prometheus` 0.14 (its own encoders refuse them), but a hand-written
        // collector can still yield one.
        MetricType::UNTYPED => (5, m.untyped.value()),
        MetricType::SUMMARY => {
            let s = m.get_summary();
            wire::key(out, 4, WireType::Delimited);
            let summary = wire::open(out, 1);
            wire::uint(out, 1, s.sample_count());
            wire::double(out, 2, s.sample_sum());
            for q in s.get_quantile() {
                wire::key(out, 3, WireType::Delimited);
                wire::varint(out, 18);
                wire::double(out, 1, q.quantile());
                wire::double(out, 2, q.value());
            }
            wire::close(out, summary);
            return timestamp(out);
        }
        MetricType::HISTOGRAM => {
            timestamp(out);
            let h = m.get_histogram();
            wire::key(out, 7, WireType::Delimited);
            let histogram = wire::open(out, 2);
            wire::uint(out, 1, h.get_sample_count());
            wire::double(out, 2, h.get_sample_sum());
            for b in h.get_bucket() {
                wire::key(out, 3, WireType::Delimited);
                let bucket = wire::open(out, 1);
                wire::uint(out, 1, b.cumulative_count());
                wire::double(out, 2, b.upper_bound());
                wire::close(out, bucket);
            }
            return wire::close(out, histogram);
        }
    };
    wire::key(out, field, WireType::Delimited);
    wire::varint(out, 9);
    wire::double(out, 1, value);
    timestamp(out);
}
