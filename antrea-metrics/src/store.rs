//! What each kind of series does beyond its handle: how a new one is made from its family's
//! declaration, and how its value is read for the [view](crate::family::FamilyView).

use crate::def::Kind;
use crate::descriptor::{Descriptor, Unit};
use crate::metrics::{Counter, CounterMode, Gauge, Histogram, NativeConfig};

/// The value of one series, by kind, as the formats read it.
pub(crate) enum Value<'a> {
    Counter(u64),
    Gauge(f64),
    Histogram(&'a Histogram),
}

/// A series' value store: one of the three handle kinds.
pub(crate) trait Store: Kind + std::fmt::Debug {
    /// A new series at 0 of a family declared by `desc`; a histogram keeps native buckets
    /// when `native` is given.
    fn create(desc: &Descriptor, counters: CounterMode, native: Option<&NativeConfig>) -> Self;

    /// The series' value, as the formats read it.
    fn value(&self) -> Value<'_>;
}

impl Store for Counter {
    fn create(_: &Descriptor, counters: CounterMode, _: Option<&NativeConfig>) -> Self {
        Counter::with_mode(counters)
    }

    fn value(&self) -> Value<'_> {
        Value::Counter(self.get())
    }
}

impl Store for Gauge {
    fn create(_: &Descriptor, _: CounterMode, _: Option<&NativeConfig>) -> Self {
        Gauge::default()
    }

    fn value(&self) -> Value<'_> {
        Value::Gauge(self.get())
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

    fn value(&self) -> Value<'_> {
        Value::Histogram(self)
    }
}
