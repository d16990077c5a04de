//! What each kind of series does beyond its handle: how a new one is made from its family's
//! declaration, and how it is written in the text formats (0.0.4 and OpenMetrics), in the
//! protobuf wire format, and as `prometheus`' protobuf message.

use crate::def::Kind;
use crate::descriptor::Descriptor;
use crate::format::{protobuf, wire};
use crate::text::{write_count, write_float, write_series_head, Dialect};
use crate::{Counter, CounterMode, Gauge, Histogram, NativeConfig, Unit};
use prometheus::proto;

/// A series' value store: one of the three handle kinds.
pub(crate) trait Store: Kind + std::fmt::Debug {
    /// A new series at 0 of a family declared by `desc`; a histogram keeps native buckets
    /// when `native` is given.
    fn create(desc: &Descriptor, counters: CounterMode, native: Option<&NativeConfig>) -> Self;

    /// Appends the series' sample lines, named and bounded as `dialect` says, with its
    /// `labels` (as written between braces).
    fn write_samples(&self, out: &mut Vec<u8>, labels: &[u8], dialect: &Dialect<'_>);

    /// Appends the series' value to `metric`, an `io.prometheus.client.Metric` being written,
    /// as the field that holds it; `inner` is scratch space.
    fn write_protobuf(&self, metric: &mut Vec<u8>, inner: &mut Vec<u8>);

    /// Sets the series' value in `m`.
    fn fill(&self, m: &mut proto::Metric);
}

impl Store for Counter {
    fn create(_: &Descriptor, counters: CounterMode, _: Option<&NativeConfig>) -> Self {
        Counter::with_mode(counters)
    }

    fn write_samples(&self, out: &mut Vec<u8>, labels: &[u8], dialect: &Dialect<'_>) {
        write_series_head(out, dialect.name, dialect.counter_suffix, labels, None);
        write_count(out, self.get());
        out.push(b'\n');
    }

    fn write_protobuf(&self, metric: &mut Vec<u8>, inner: &mut Vec<u8>) {
        inner.clear();
        wire::double(inner, 1, self.get() as f64);
        wire::bytes(metric, protobuf::COUNTER_FIELD, inner);
    }

    fn fill(&self, m: &mut proto::Metric) {
        let mut p = proto::Counter::default();
        p.set_value(self.get() as f64);
        m.set_counter(p);
    }
}

impl Store for Gauge {
    fn create(_: &Descriptor, _: CounterMode, _: Option<&NativeConfig>) -> Self {
        Gauge::default()
    }

    fn write_samples(&self, out: &mut Vec<u8>, labels: &[u8], dialect: &Dialect<'_>) {
        write_series_head(out, dialect.name, "", labels, None);
        write_float(out, self.get());
        out.push(b'\n');
    }

    fn write_protobuf(&self, metric: &mut Vec<u8>, inner: &mut Vec<u8>) {
        inner.clear();
        wire::double(inner, 1, self.get());
        wire::bytes(metric, protobuf::GAUGE_FIELD, inner);
    }

    fn fill(&self, m: &mut proto::Metric) {
        let mut p = proto::Gauge::default();
        p.set_value(self.get());
        m.set_gauge(p);
    }
}

impl Store for Histogram {
    fn create(desc: &Descriptor, _: CounterMode, native: Option<&NativeConfig>) -> Self {
        // Every histogram declaration names its unit (`Def::histogram`).
        let unit = desc.unit.unwrap_or(Unit::Seconds);
        match native {
            Some(native) => Histogram::with_native(desc.buckets, unit, native),
            None => Histogram::new(desc.buckets, unit),
        }
    }

    fn write_samples(&self, out: &mut Vec<u8>, labels: &[u8], dialect: &Dialect<'_>) {
        let name = dialect.name;
        // Buckets are summed over shards as they are written: no snapshot to allocate.
        let mut count = 0;
        for (le, n) in dialect.le_values.iter().zip(self.cumulative()) {
            write_series_head(out, name, "_bucket", labels, Some(le));
            write_count(out, n);
            out.push(b'\n');
            count = n;
        }
        write_series_head(out, name, "_sum", labels, None);
        write_float(out, self.sum());
        out.push(b'\n');
        // The `+Inf` bucket just written, so the two always agree.
        write_series_head(out, name, "_count", labels, None);
        write_count(out, count);
        out.push(b'\n');
    }

    fn write_protobuf(&self, metric: &mut Vec<u8>, inner: &mut Vec<u8>) {
        inner.clear();
        protobuf::histogram(inner, self);
        wire::bytes(metric, protobuf::HISTOGRAM_FIELD, inner);
    }

    fn fill(&self, m: &mut proto::Metric) {
        let snap = self.snapshot();
        let mut p = proto::Histogram::default();
        p.set_sample_count(snap.count());
        p.set_sample_sum(snap.sum);
        let buckets = self
            .bounds()
            .iter()
            .zip(snap.cumulative.iter())
            .map(|(le, n)| {
                let mut b = proto::Bucket::default();
                b.set_upper_bound(*le);
                b.set_cumulative_count(*n);
                b
            })
            .collect();
        p.set_bucket(buckets);
        m.set_histogram(p);
    }
}
