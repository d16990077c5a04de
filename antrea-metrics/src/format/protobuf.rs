//! A component's families as length-delimited protobuf `MetricFamily` messages, with the same
//! names, HELP, labels and values as the text format, and native buckets where a histogram
//! keeps them.

use super::wire::{self, WireType};
use crate::descriptor::MetricType;
use crate::family::{FamilyView, Head, Value};
use crate::metrics::{Histogram, NativeSnapshot};

/// The `Metric` field that holds a counter's value message.
const COUNTER_FIELD: u32 = 3;
/// The `Metric` field that holds a gauge's value message.
const GAUGE_FIELD: u32 = 2;
/// The `Metric` field that holds a histogram's message.
const HISTOGRAM_FIELD: u32 = 7;

/// What a family's message holds the same way in every scrape, encoded once when the family
/// is registered.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Its name, HELP and type fields, what the message starts with.
    fields: Box<[u8]>,
    /// Each label's name field (`LabelPair.name`), what every label pair starts with.
    label_names: Box<[Box<[u8]>]>,
}

impl Prepared {
    pub(crate) fn new(head: &Head) -> Self {
        let fields = head.name().map_or_else(Box::default, |name| {
            let mut f = Vec::with_capacity(name.len() + head.help.len() + 8);
            wire::bytes(&mut f, 1, name.as_bytes());
            wire::bytes(&mut f, 2, head.help.as_bytes());
            wire::uint(&mut f, 3, type_number(head.desc.metric_type));
            f.into()
        });
        let label_names = (head.label_names.iter())
            .map(|name| {
                let mut f = Vec::with_capacity(name.len() + 2);
                wire::bytes(&mut f, 1, name.as_bytes());
                f.into()
            })
            .collect();
        Prepared {
            fields,
            label_names,
        }
    }
}

/// Appends one family as a length-delimited `MetricFamily`, written straight from its series,
/// native buckets included; nothing when its profile does not expose it or it has no series.
/// Every message is written in place, once: its length goes in front of it afterwards
/// ([`wire::open`]), so no buffer is allocated or copied.
pub(crate) fn write_family(out: &mut Vec<u8>, family: &dyn FamilyView, prep: &Prepared) {
    let head = family.head();
    if head.name().is_none() {
        return;
    }
    let start = out.len();
    // Room for the length of a family of 128 B to 16 KiB, most of them.
    let message = wire::open(out, 2);
    out.extend_from_slice(&prep.fields);
    let count = family.visit(&mut |s| {
        wire::key(out, 4, WireType::Delimited);
        // A counter's or gauge's `Metric` is under 128 bytes unless its labels are long; a
        // histogram's, with its buckets, is longer (and under 16 KiB).
        let room = if matches!(s.value, Value::Histogram(_)) {
            2
        } else {
            1
        };
        let metric = wire::open(out, room);
        for (name, value) in prep.label_names.iter().zip(s.values.iter()) {
            let value = value.as_bytes();
            let len = name.len() + 1 + wire::varint_len(value.len() as u64) + value.len();
            if len < 0x80 {
                // The usual short pair: its key and length in one write.
                out.extend_from_slice(&[1 << 3 | WireType::Delimited as u8, len as u8]);
            } else {
                wire::key(out, 1, WireType::Delimited);
                wire::varint(out, len as u64);
            }
            out.extend_from_slice(name);
            wire::bytes(out, 2, value);
        }
        match s.value {
            Value::Counter(n) => scalar(out, COUNTER_FIELD, n as f64),
            Value::Gauge(v) => scalar(out, GAUGE_FIELD, v),
            Value::Histogram(h) => {
                wire::key(out, HISTOGRAM_FIELD, WireType::Delimited);
                let inner = wire::open(out, 2);
                histogram(out, h);
                wire::close(out, inner);
            }
        }
        wire::close(out, metric);
    });
    if count > 0 {
        wire::close(out, message);
    } else {
        out.truncate(start);
    }
}

/// A counter's or gauge's value message under `field`: one `double`, written in one go.
#[inline]
fn scalar(out: &mut Vec<u8>, field: u32, v: f64) {
    // The field's key, the message's length (the double's key and 8 bytes), the double's key.
    let mut m = [
        (field << 3) as u8 | WireType::Delimited as u8,
        9,
        1 << 3 | WireType::Fixed64 as u8,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    m[3..].copy_from_slice(&v.to_le_bytes());
    out.extend_from_slice(&m);
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
            bucket(out, n, le);
        }
    }
    wire::uint(out, 1, count);
    wire::double(out, 2, h.sum());
    if let Some(native) = native {
        native_fields(out, &native);
    }
}

/// A classic `Bucket` (field 3): cumulative count and upper bound, written in one go (at most
/// 22 bytes, so its length is one byte).
#[inline]
fn bucket(out: &mut Vec<u8>, count: u64, le: f64) {
    let mut b = [0u8; 22];
    b[0] = 3 << 3 | WireType::Delimited as u8;
    b[2] = 1 << 3 | WireType::Varint as u8;
    let mut i = 3;
    let mut v = count;
    while v >= 0x80 {
        b[i] = v as u8 | 0x80;
        v >>= 7;
        i += 1;
    }
    b[i] = v as u8;
    b[i + 1] = 2 << 3 | WireType::Fixed64 as u8;
    b[i + 2..i + 10].copy_from_slice(&le.to_le_bytes());
    let end = i + 10;
    b[1] = (end - 2) as u8;
    out.extend_from_slice(&b[..end]);
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
        positive.push(Span {
            offset: 0,
            length: 0,
        });
    }
    for (tag, spans, deltas) in [
        (9, negative, negative_deltas),
        (12, positive, positive_deltas),
    ] {
        for span in &spans {
            let offset = wire::zigzag(i64::from(span.offset));
            let length = u64::from(span.length);
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

/// The `MetricType` enum's number on the wire (`client_model`'s `metrics.proto`).
fn type_number(t: MetricType) -> u64 {
    match t {
        MetricType::Counter => 0,
        MetricType::Gauge => 1,
        MetricType::Histogram => 4,
    }
}

/// A `BucketSpan`: `length` consecutive native buckets, starting `offset` buckets after the
/// previous span's end (the first span's offset is its first bucket's index).
#[derive(Debug, PartialEq)]
struct Span {
    offset: i32,
    length: u32,
}

/// Spans and deltas for sparse `(index, count)` buckets sorted by index. Gaps of up to two
/// empty buckets are filled with zeros rather than starting a span (as client_golang does):
/// two zero deltas are smaller than a new span.
fn spans(buckets: &[(i32, u64)]) -> (Vec<Span>, Vec<i64>) {
    let mut spans: Vec<Span> = Vec::new();
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
                span.length += gap as u32 + 1;
            }
            _ => spans.push(Span {
                offset: if spans.is_empty() { index } else { gap },
                length: 1,
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

    fn span(offset: i32, length: u32) -> Span {
        Span { offset, length }
    }

    #[test]
    fn spans_fill_small_gaps_and_start_new_ones_after_big_ones() {
        let (s, d) = spans(&[(-2, 3), (-1, 5), (2, 1), (7, 4)]);
        assert_eq!(s, vec![span(-2, 5), span(4, 1)]);
        assert_eq!(d, vec![3, 2, -5, 0, 1, 3]);
        assert_eq!(spans(&[]), (vec![], vec![]));
    }
}
