use super::native::{Native, NativeConfig, NativeSnapshot};
use super::shard::Shards;
use crate::descriptor::Unit;
use std::sync::Arc;
use std::time::Duration;

/// Bounds compared at once in the bucket search: two SSE2 or one AVX2 compare.
const LANES: usize = 4;

/// A histogram with fixed upper bounds (Prometheus type `histogram`).
///
/// Observing is a bucket search plus two updates (the bucket and the sum) on the calling
/// thread's own shard — a plain load and store each, as the thread is the shard's only writer
/// (past 16 live threads, atomic adds on a shared shard) — so threads observing the same series
/// do not slow each other down; shards are summed when read. The count is the sum of the
/// buckets, so `_count` always equals the `+Inf` bucket in a scrape.
///
/// ```
/// use antrea_metrics::{Histogram, Unit};
/// let h = Histogram::new(&[0.1, 1.0], Unit::Seconds);
/// h.observe(0.05);
/// h.observe_duration(std::time::Duration::from_millis(500));
/// let s = h.snapshot();
/// assert_eq!(s.cumulative, vec![1, 2, 2]);
/// assert_eq!(s.count(), 2);
/// assert_eq!(s.sum, 0.55);
/// ```
#[derive(Clone, Debug)]
pub struct Histogram(Arc<Core>);

#[derive(Debug)]
struct Core {
    /// The finite upper bounds, then `+Inf` up to a multiple of [`LANES`], so that the bucket
    /// search is whole vector compares with no scalar tail.
    padded: Box<[f64]>,
    /// Number of finite bounds.
    len: usize,
    unit: Unit,
    /// Native buckets, for histograms that opted in; boxed so that the fields every
    /// observation reads stay on one cache line.
    native: Option<Box<Native>>,
    /// Per shard: non-cumulative counts (`len + 1` slots, the last being `+Inf`), then
    /// the sum as `f64` bits.
    shards: Shards,
}

/// A point-in-time copy of a histogram's state.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// Cumulative count per upper bound, the last entry being `+Inf`.
    pub cumulative: Vec<u64>,
    /// Sum of all observed values.
    pub sum: f64,
}

impl HistogramSnapshot {
    /// Number of observations (the `+Inf` bucket).
    pub fn count(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }
}

impl Histogram {
    /// A histogram with the given upper bounds.
    ///
    /// The bounds are sorted and deduplicated, and `+Inf` and NaN are dropped (the `+Inf`
    /// bucket is always there), so that any list gives a valid exposition: Prometheus rejects
    /// buckets whose cumulative counts go down or repeat an `le`.
    ///
    /// ```
    /// use antrea_metrics::{Histogram, Unit};
    /// let h = Histogram::new(&[1.0, 0.5, f64::INFINITY, 1.0], Unit::Seconds);
    /// assert_eq!(h.bounds(), &[0.5, 1.0]);
    /// ```
    pub fn new(bounds: &[f64], unit: Unit) -> Self {
        let mut padded: Vec<f64> = bounds
            .iter()
            .copied()
            .filter(|b| !b.is_nan() && *b != f64::INFINITY)
            .collect();
        padded.sort_by(f64::total_cmp);
        padded.dedup();
        let len = padded.len();
        padded.resize(len.next_multiple_of(LANES), f64::INFINITY);
        // Slots start at 0, which is also the bit pattern of the sum 0.0.
        Histogram(Arc::new(Core {
            padded: padded.into(),
            len,
            unit,
            native: None,
            shards: Shards::new(len + 2),
        }))
    }

    /// A histogram with native buckets as `native` says, beside the classic `bounds` when it
    /// keeps them (without them, the classic part is the `+Inf` bucket alone: count and sum).
    ///
    /// An observation then also adds one to a native bucket (one atomic add on an array
    /// allocated here, shared by all threads).
    ///
    /// ```
    /// use antrea_metrics::{Histogram, NativeConfig, Unit};
    /// let h = Histogram::with_native(&[1.0], Unit::Seconds, &NativeConfig::new(1.1)?);
    /// h.observe(0.5);
    /// assert!(h.is_native());
    /// assert_eq!(h.snapshot().cumulative, vec![1, 1]);
    /// # Ok::<(), antrea_metrics::Error>(())
    /// ```
    pub fn with_native(bounds: &[f64], unit: Unit, native: &NativeConfig) -> Self {
        let classic = if native.keeps_classic() { bounds } else { &[] };
        let mut h = Histogram::new(classic, unit);
        if let Some(core) = Arc::get_mut(&mut h.0) {
            core.native = Some(Box::new(Native::new(native)));
        }
        h
    }

    /// Whether this histogram keeps native buckets.
    pub fn is_native(&self) -> bool {
        self.0.native.is_some()
    }

    /// The native buckets, at the resolution a scrape exposes. Read before the classic
    /// counts, so that the count is never below the native buckets' sum.
    pub(crate) fn native(&self) -> Option<NativeSnapshot> {
        self.0.native.as_deref().map(Native::snapshot)
    }

    /// Records one observation of `v`, in the histogram's unit.
    #[inline]
    pub fn observe(&self, v: f64) {
        let core = &*self.0;
        // `le` buckets: the first bound that is >= v, i.e. the number of (sorted) bounds below v,
        // counted without branches (the `+Inf` padding is never below v); NaN lands in +Inf as
        // in Go's client.
        let idx = if v.is_nan() {
            core.len
        } else {
            core.padded
                .chunks_exact(LANES)
                .map(|c| c.iter().map(|b| usize::from(*b < v)).sum::<usize>())
                .sum()
        };
        let shard = core.shards.writer();
        shard.add(idx, 1);
        shard.add_f64(core.len + 1, v);
        if let Some(native) = &core.native {
            native.observe(v);
        }
    }

    /// Records a duration, converted to the histogram's unit.
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        let v = match self.0.unit {
            Unit::Seconds | Unit::Count => d.as_secs_f64(),
            Unit::Milliseconds => d.as_secs_f64() * 1e3,
        };
        self.observe(v);
    }

    /// The unit observations are expected in.
    pub fn unit(&self) -> Unit {
        self.0.unit
    }

    /// The finite upper bounds.
    pub fn bounds(&self) -> &[f64] {
        &self.0.padded[..self.0.len]
    }

    /// Cumulative counts per upper bound, the last being `+Inf` (the count), without allocating.
    pub(crate) fn cumulative(&self) -> impl Iterator<Item = u64> + '_ {
        let shards = self.0.shards.reader();
        (0..=self.0.len).scan(0u64, move |acc, i| {
            *acc = acc.wrapping_add(shards.sum(i));
            Some(*acc)
        })
    }

    /// Sum of all observed values.
    pub(crate) fn sum(&self) -> f64 {
        self.0.shards.reader().sum_f64(self.0.len + 1)
    }

    /// Copies the current state.
    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            cumulative: self.cumulative().collect(),
            sum: self.sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_le_buckets() {
        let h = Histogram::new(&[1.0, 2.0], Unit::Milliseconds);
        for v in [0.0, 1.0, 1.5, 2.0, 3.0, f64::INFINITY, f64::NAN, -1.0] {
            h.observe(v);
        }
        assert_eq!(h.snapshot().cumulative, vec![3, 5, 8]);
    }

    #[test]
    fn any_bound_list_gives_increasing_finite_bounds() {
        let h = Histogram::new(
            &[
                5.0,
                f64::NAN,
                -1.0,
                5.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.0,
            ],
            Unit::Seconds,
        );
        assert_eq!(h.bounds(), &[f64::NEG_INFINITY, -1.0, 0.0, 5.0]);
        for v in [-2.0, 0.0, 3.0, 7.0] {
            h.observe(v);
        }
        assert_eq!(h.snapshot().cumulative, vec![0, 1, 2, 3, 4]);
        let none = Histogram::new(&[f64::INFINITY], Unit::Seconds);
        none.observe(1.0);
        assert_eq!(none.snapshot().cumulative, vec![1]);
    }

    #[test]
    fn durations_follow_the_unit() {
        let ms = Histogram::new(&[1.0], Unit::Milliseconds);
        ms.observe_duration(Duration::from_micros(1500));
        assert_eq!(ms.snapshot().sum, 1.5);
        let s = Histogram::new(&[1.0], Unit::Seconds);
        s.observe_duration(Duration::from_millis(1500));
        assert_eq!(s.snapshot().sum, 1.5);
    }

    #[test]
    fn two_threads_lose_nothing() {
        let h = Histogram::new(&[0.5], Unit::Seconds);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| (0..50_000).for_each(|_| h.observe(1.0)));
            }
        });
        let snap = h.snapshot();
        assert_eq!(snap.count(), 100_000);
        assert_eq!(snap.sum, 100_000.0);
    }
}
