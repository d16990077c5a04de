//! A component's families as length-delimited protobuf `MetricFamily` messages, with the same
//! names, HELP, labels and values as the text format, and native buckets where a histogram
//! keeps them.

use super::proto;
use super::wire::{self, WireType};
use crate::descriptor::MetricType;
use crate::family::{FamilyView, Head, Value};
use crate::metrics::{Histogram, NativeSnapshot};
use prost::Message;

/// The `Metric` field that holds a counter's value message.
const COUNTER_FIELD: u32 = 3;
/// The `Metric` field that holds a gauge's value message.
const GAUGE_FIELD: u32 = 2;
/// The `Metric` field that holds a histogram's message.
const HISTOGRAM_FIELD: u32 = 7;

/// What a family's message starts with in every scrape (its name, HELP and type fields),
/// encoded once when the family is registered.
#[derive(Debug)]
pub(crate) struct Prepared {
    fields: Box<[u8]>,
}

impl Prepared {
    pub(crate) fn new(head: &Head) -> Self {
        let fields = head.name().map_or_else(Box::default, |name| {
            let mut f = Vec::with_capacity(name.len() + head.help.len() + 8);
            wire::bytes(&mut f, 1, name.as_bytes());
            wire::bytes(&mut f, 2, head.help.as_bytes());
            wire::uint(&mut f, 3, proto_type(head.desc.metric_type) as u64);
            f.into()
        });
        Prepared { fields }
    }
}

/// Buffers reused across the families of one scrape, so that encoding allocates a few
/// buffers per scrape rather than a message per series.
pub(crate) struct Scratch {
    /// The family being written, before its length is known.
    family: Vec<u8>,
    /// A histogram's message, before its length is known.
    inner: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        // Room for most families and histograms, so few scrapes grow them.
        Scratch {
            family: Vec::with_capacity(16 * 1024),
            inner: Vec::with_capacity(1024),
        }
    }
}

/// A counter's or gauge's value message: one `double` field (key and 8 bytes).
const SCALAR_LEN: usize = 9;

/// Appends one family as a length-delimited `MetricFamily`, written straight from its series,
/// native buckets included; nothing when its profile does not expose it or it has no series.
/// Each `Metric` is written in place, its length computed first; only a histogram's message
/// and the family (whose lengths come before them) go through a buffer.
pub(crate) fn write_family(
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
    family: &dyn FamilyView,
    prep: &Prepared,
) {
    let head = family.head();
    if head.name().is_none() {
        return;
    }
    let Scratch { family: f, inner } = scratch;
    f.clear();
    f.extend_from_slice(&prep.fields);
    let count = family.visit(&mut |s| {
        let pairs = head.label_names.iter().zip(s.values.iter());
        let pair_len = |name: &[u8], value: &[u8]| {
            2 + wire::varint_len(name.len() as u64)
                + name.len()
                + wire::varint_len(value.len() as u64)
                + value.len()
        };
        let labels_len: usize = (pairs.clone())
            .map(|(n, v)| {
                let len = pair_len(n.as_bytes(), v.as_bytes());
                1 + wire::varint_len(len as u64) + len
            })
            .sum();
        let (field, value_len) = match s.value {
            Value::Counter(_) => (COUNTER_FIELD, SCALAR_LEN),
            Value::Gauge(_) => (GAUGE_FIELD, SCALAR_LEN),
            Value::Histogram(h) => {
                inner.clear();
                histogram(inner, h);
                (HISTOGRAM_FIELD, inner.len())
            }
        };
        let metric_len = labels_len + 1 + wire::varint_len(value_len as u64) + value_len;
        wire::key(f, 4, WireType::Delimited);
        wire::varint(f, metric_len as u64);
        for (name, value) in pairs {
            let (name, value) = (name.as_bytes(), value.as_bytes());
            wire::key(f, 1, WireType::Delimited);
            wire::varint(f, pair_len(name, value) as u64);
            wire::bytes(f, 1, name);
            wire::bytes(f, 2, value);
        }
        wire::key(f, field, WireType::Delimited);
        wire::varint(f, value_len as u64);
        match s.value {
            Value::Counter(n) => wire::double(f, 1, n as f64),
            Value::Gauge(v) => wire::double(f, 1, v),
            Value::Histogram(_) => f.extend_from_slice(inner),
        }
    });
    if count > 0 {
        wire::varint(out, f.len() as u64);
        out.extend_from_slice(f);
    }
}

/// A `Histogram` message: classic buckets without `+Inf` (the count is its value, as
/// client_golang writes them), and the native buckets when the histogram keeps them.
fn histogram(out: &mut Vec<u8>, h: &Histogram) {
    // Native first: the count read after it is never below its buckets' sum.
    let native = h.native();
    let mut count = 0;
    for (le, n) in h
        .bounds()
        .iter()
        .copied()
        .chain([f64::INFINITY])
        .zip(h.cumulative())
    {
        count = n;
        if le != f64::INFINITY {
            let len = 1 + wire::varint_len(n) + 9;
            wire::key(out, 3, WireType::Delimited);
            wire::varint(out, len as u64);
            wire::uint(out, 1, n);
            wire::double(out, 2, le);
        }
    }
    wire::uint(out, 1, count);
    wire::double(out, 2, h.sum());
    if let Some(native) = native {
        native_fields(out, &native);
    }
}

/// The native fields: schema, zero bucket, and spans of buckets with their count deltas.
fn native_fields(out: &mut Vec<u8>, n: &NativeSnapshot) {
    wire::uint(out, 5, wire::zigzag(i64::from(n.schema)));
    wire::double(out, 6, n.zero_threshold);
    wire::uint(out, 7, n.zero_count);
    let (mut positive, positive_deltas) = spans(&n.positive);
    let (negative, negative_deltas) = spans(&n.negative);
    if positive.is_empty() && negative.is_empty() {
        // Marks a histogram without observations as native, as client_golang does.
        positive.push(proto::BucketSpan {
            offset: Some(0),
            length: Some(0),
        });
    }
    for (tag, spans, deltas) in [
        (9, negative, negative_deltas),
        (12, positive, positive_deltas),
    ] {
        for span in &spans {
            let offset = wire::zigzag(i64::from(span.offset()));
            let length = u64::from(span.length());
            wire::key(out, tag, WireType::Delimited);
            wire::varint(
                out,
                (2 + wire::varint_len(offset) + wire::varint_len(length)) as u64,
            );
            wire::uint(out, 1, offset);
            wire::uint(out, 2, length);
        }
        if !deltas.is_empty() {
            // Packed, like client_golang's: one length, then the zigzag varints.
            let zigzags = deltas.iter().map(|d| wire::zigzag(*d));
            let len: usize = zigzags.clone().map(wire::varint_len).sum();
            wire::key(out, tag + 1, WireType::Delimited);
            wire::varint(out, len as u64);
            zigzags.for_each(|z| wire::varint(out, z));
        }
    }
}

/// Appends `mf` with its length in front, as a delimited stream holds it.
pub(crate) fn write_delimited(out: &mut Vec<u8>, mf: &proto::MetricFamily) {
    // Encoding into a Vec only fails when it cannot grow, which aborts first.
    let _ = mf.encode_length_delimited(out);
}

pub(crate) fn label_pair(name: &str, value: &str) -> proto::LabelPair {
    proto::LabelPair {
        name: Some(name.to_owned()),
        value: Some(value.to_owned()),
    }
}

pub(crate) fn proto_type(t: MetricType) -> proto::MetricType {
    match t {
        MetricType::Counter => proto::MetricType::Counter,
        MetricType::Gauge => proto::MetricType::Gauge,
        MetricType::Histogram => proto::MetricType::Histogram,
    }
}

/// Spans and deltas for sparse `(index, count)` buckets sorted by index. Gaps of up to two
/// empty buckets are filled with zeros rather than starting a span (as client_golang does):
/// two zero deltas are smaller than a new span.
fn spans(buckets: &[(i32, u64)]) -> (Vec<proto::BucketSpan>, Vec<i64>) {
    let mut spans: Vec<proto::BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(buckets.len());
    let mut prev_count = 0i64;
    let mut next_index = 0i32;
    for &(index, count) in buckets {
        let gap = index - next_index;
        let mut push = |count: i64| {
            deltas.push(count - prev_count);
            prev_count = count;
        };
        match spans.last_mut() {
            Some(span) if gap <= 2 => {
                for _ in 0..gap {
                    push(0);
                }
                span.length = Some(span.length.unwrap_or(0) + gap as u32 + 1);
            }
            _ => spans.push(proto::BucketSpan {
                offset: Some(if spans.is_empty() { index } else { gap }),
                length: Some(1),
            }),
        }
        push(i64::try_from(count).unwrap_or(i64::MAX));
        next_index = index + 1;
    }
    (spans, deltas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: i32, length: u32) -> proto::BucketSpan {
        proto::BucketSpan {
            offset: Some(offset),
            length: Some(length),
        }
    }

    #[test]
    fn spans_fill_small_gaps_and_start_new_ones_after_big_ones() {
        let (s, d) = spans(&[(-2, 3), (-1, 5), (2, 1), (7, 4)]);
        assert_eq!(s, vec![span(-2, 5), span(4, 1)]);
        assert_eq!(d, vec![3, 2, -5, 0, 1, 3]);
        assert_eq!(spans(&[]), (vec![], vec![]));
    }
}
