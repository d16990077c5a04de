//! A component's families as length-delimited protobuf `MetricFamily` messages, with the same
//! names, HELP, labels and values as the text format, and native buckets where a histogram
//! keeps them.

use super::proto;
use crate::descriptor::MetricType;
use crate::family::{Family, Store};
use crate::metrics::NativeSnapshot;
use prost::Message;

/// Appends one family as a length-delimited message; nothing when its profile does not expose
/// it or it has no series yet (as in the text format).
pub(crate) fn write_family(out: &mut Vec<u8>, family: &Family) {
    if let Some(mf) = message(family) {
        write_delimited(out, &mf);
    }
}

/// One family as a message; `None` when its profile does not expose it or it has no series.
pub(crate) fn message(family: &Family) -> Option<proto::MetricFamily> {
    let exposed = family.exposed?;
    let series = family
        .series
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if series.is_empty() {
        return None;
    }
    let metric = series
        .iter()
        .map(|s| {
            let label = family
                .label_names
                .iter()
                .zip(s.values.iter())
                .map(|(n, v)| label_pair(n, v))
                .collect();
            let mut m = proto::Metric {
                label,
                ..Default::default()
            };
            match &s.store {
                Store::Counter(c) => {
                    m.counter = Some(proto::Counter {
                        value: Some(c.get() as f64),
                    })
                }
                Store::Gauge(g) => {
                    m.gauge = Some(proto::Gauge {
                        value: Some(g.get()),
                    })
                }
                Store::Histogram(h) => m.histogram = Some(histogram(h)),
            }
            m
        })
        .collect();
    Some(proto::MetricFamily {
        name: Some(exposed.name.to_owned()),
        help: Some(family.help.clone()),
        r#type: Some(proto_type(family.desc.metric_type) as i32),
        metric,
    })
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

fn proto_type(t: MetricType) -> proto::MetricType {
    match t {
        MetricType::Counter => proto::MetricType::Counter,
        MetricType::Gauge => proto::MetricType::Gauge,
        MetricType::Histogram => proto::MetricType::Histogram,
    }
}

/// Classic buckets without `+Inf` (the count is its value, as client_golang writes them), and
/// the native buckets when the histogram keeps them.
fn histogram(h: &crate::Histogram) -> proto::Histogram {
    // Native first: the count read after it is never below its buckets' sum.
    let native = h.native();
    let mut count = 0;
    let bucket = h
        .bounds()
        .iter()
        .copied()
        .chain([f64::INFINITY])
        .zip(h.cumulative())
        .filter_map(|(le, n)| {
            count = n;
            (le != f64::INFINITY).then_some(proto::Bucket {
                cumulative_count: Some(n),
                upper_bound: Some(le),
            })
        })
        .collect();
    let mut p = proto::Histogram {
        sample_count: Some(count),
        sample_sum: Some(h.sum()),
        bucket,
        ..Default::default()
    };
    if let Some(native) = native {
        native_fields(&mut p, &native);
    }
    p
}

/// Sets the native fields of `p` from `n`: spans of buckets and the count deltas between them.
pub(crate) fn native_fields(p: &mut proto::Histogram, n: &NativeSnapshot) {
    p.schema = Some(n.schema);
    p.zero_threshold = Some(n.zero_threshold);
    p.zero_count = Some(n.zero_count);
    (p.positive_span, p.positive_delta) = spans(&n.positive);
    (p.negative_span, p.negative_delta) = spans(&n.negative);
    if p.positive_span.is_empty() && p.negative_span.is_empty() {
        // Marks a histogram without observations as native, as client_golang does.
        p.positive_span.push(proto::BucketSpan {
            offset: Some(0),
            length: Some(0),
        });
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
