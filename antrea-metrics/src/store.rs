//! What each kind of series does beyond its handle: how a new one is made from its family's
//! declaration, and how it is written in the text format and as protobuf.

use crate::def::Kind;
use crate::descriptor::Descriptor;
use crate::text::{write_count, write_float, write_series_head};
use crate::{Counter, CounterMode, Gauge, Histogram, Unit};
use prometheus::proto;

/// A series' value store: one of the three handle kinds.
pub(crate) trait Store: Kind + std::fmt::Debug {
    /// A new series at 0 of a family declared by `desc`.
    fn create(desc: &Descriptor, counters: CounterMode) -> Self;

    /// Appends the series' sample lines: `name`, its `labels` (as written between braces), and
    /// for histograms the `le` values of the family's bounds, `+Inf` last.
    fn write_samples(&self, out: &mut Vec<u8>, name: &str, labels: &[u8], le_values: &[Box<str>]);

    /// Sets the series' value in `m`.
    fn fill(&self, m: &mut proto::Metric);
}

impl Store for Counter {
    fn create(_: &Descriptor, counters: CounterMode) -> Self {
        Counter::with_mode(counters)
    }

    fn write_samples(&self, out: &mut Vec<u8>, name: &str, labels: &[u8], _: &[Box<str>]) {
        write_series_head(out, name, "", labels, None);
        write_count(out, self.get());
        out.push(b'\n');
    }

    fn fill(&self, m: &mut proto::Metric) {
        let mut p = proto::Counter::default();
        p.set_value(self.get() as f64);
        m.set_counter(p);
    }
}

impl Store for Gauge {
    fn create(_: &Descriptor, _: CounterMode) -> Self {
        Gauge::default()
    }

    fn write_samples(&self, out: &mut Vec<u8>, name: &str, labels: &[u8], _: &[Box<str>]) {
        write_series_head(out, name, "", labels, None);
        write_float(out, self.get());
        out.push(b'\n');
    }

    fn fill(&self, m: &mut proto::Metric) {
        let mut p = proto::Gauge::default();
        p.set_value(self.get());
        m.set_gauge(p);
    }
}

impl Store for Histogram {
    fn create(desc: &Descriptor, _: CounterMode) -> Self {
        // Every histogram declaration names its unit (`Def::histogram`).
        Histogram::new(desc.buckets, desc.unit.unwrap_or(Unit::Seconds))
    }

    fn write_samples(&self, out: &mut Vec<u8>, name: &str, labels: &[u8], le_values: &[Box<str>]) {
        // Buckets are summed over shards as they are written: no snapshot to allocate.
        let mut count = 0;
        for (le, n) in le_values.iter().zip(self.cumulative()) {
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
