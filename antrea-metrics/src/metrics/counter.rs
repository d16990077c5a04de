use super::shard::Shards;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A monotonically increasing integer counter (Prometheus type `counter`).
///
/// Incrementing is one relaxed atomic add. A counter that several threads increment at high
/// rates can be made [sharded](Counter::sharded) instead, at the same API.
///
/// ```
/// use antrea_metrics::Counter;
/// let c = Counter::default();
/// c.inc();
/// c.inc_by(2);
/// assert_eq!(c.get(), 3);
/// ```
#[derive(Clone, Default)]
pub struct Counter(Arc<Repr>);

enum Repr {
    /// One atomic: the cheapest update while one thread at a time updates the counter.
    Single(AtomicU64),
    /// One cache-padded atomic per thread, summed when read; boxed, so that the far more common
    /// single counters stay one atomic wide rather than the size of the shard table.
    Sharded(Box<Shards>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Single(AtomicU64::new(0))
    }
}

/// How the counters of a metric set keep their values; see [`Counter::sharded`].
///
/// ```
/// use antrea_metrics::{ControllerMetrics, CounterMode, Profile};
/// // Antrea's controller processes NetworkPolicies on several worker threads at once.
/// let registry = prometheus::Registry::new();
/// let controller = ControllerMetrics::builder()
///     .profile(Profile::Latest)
///     .counters(CounterMode::Sharded)
///     .register(&registry)?;
/// assert!(controller.network_policy_processed.is_sharded());
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CounterMode {
    /// One atomic per counter: the cheapest, while one thread at a time updates each counter.
    #[default]
    Plain,
    /// Per-thread shards ([`Counter::sharded`]), for counters that several threads increment
    /// at high rates.
    Sharded,
}

impl Counter {
    /// A new counter at 0, kept as `mode` says.
    pub fn with_mode(mode: CounterMode) -> Self {
        match mode {
            CounterMode::Plain => Counter::default(),
            CounterMode::Sharded => Counter::sharded(),
        }
    }

    /// A counter that keeps one cache-padded shard per live thread, summed when read, so that
    /// threads incrementing it concurrently never wait for each other's cache line.
    ///
    /// An increment is a plain load and store on the calling thread's own shard (threads past
    /// the 16th live one share a last shard, with an atomic add), so two threads get about twice
    /// the throughput of one instead of less than one. A read (a scrape) adds up the shards, and
    /// the counter takes about 2 KiB instead of 8 bytes. Increments are never lost.
    ///
    /// ```
    /// use antrea_metrics::Counter;
    /// let c = Counter::sharded();
    /// std::thread::scope(|s| {
    ///     for _ in 0..2 {
    ///         s.spawn(|| (0..1000).for_each(|_| c.inc()));
    ///     }
    /// });
    /// assert_eq!(c.get(), 2000);
    /// ```
    pub fn sharded() -> Self {
        Counter(Arc::new(Repr::Sharded(Box::new(Shards::new(1)))))
    }

    /// Whether this counter was made [sharded](Counter::sharded).
    pub fn is_sharded(&self) -> bool {
        matches!(*self.0, Repr::Sharded(_))
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        match &*self.0 {
            Repr::Single(v) => {
                v.fetch_add(n, Ordering::Relaxed);
            }
            Repr::Sharded(s) => s.writer().add(0, n),
        }
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        match &*self.0 {
            Repr::Single(v) => v.load(Ordering::Relaxed),
            Repr::Sharded(s) => s.sum(0),
        }
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.get())
            .field("sharded", &self.is_sharded())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hammer(c: &Counter, threads: u64, each: u64) {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| (0..each).for_each(|i| c.inc_by(i % 3)));
            }
        });
    }

    /// A simulated fleet holds thousands of plain counters: the sharded variant's table must
    /// not make each of them as large as itself.
    #[test]
    fn a_plain_counter_is_one_atomic_and_a_tag() {
        assert!(std::mem::size_of::<Repr>() <= 2 * std::mem::size_of::<u64>());
    }

    #[test]
    fn sharded_counts_are_exact_under_concurrency() {
        let c = Counter::sharded();
        hammer(&c, 8, 30_000);
        // Each thread adds 0+1+2 per 3 increments: 30_000 increments add 30_000.
        assert_eq!(c.get(), 8 * 30_000);
        assert!(c.is_sharded());
    }

    #[test]
    fn plain_and_sharded_agree() {
        let (plain, sharded) = (Counter::default(), Counter::sharded());
        hammer(&plain, 3, 999);
        hammer(&sharded, 3, 999);
        assert_eq!(plain.get(), sharded.get());
        assert!(!plain.is_sharded());
    }

    #[test]
    fn clones_share_the_value() {
        let c = Counter::sharded();
        c.clone().inc_by(5);
        assert_eq!(c.get(), 5);
    }

    #[test]
    fn sharded_sets_expose_the_same_text() {
        use crate::{ControllerMetrics, Exposition, Profile};
        let text = |mode| {
            let c = ControllerMetrics::builder()
                .profile(Profile::Latest)
                .counters(mode)
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            let processed = &c.network_policy_processed;
            assert_eq!(processed.is_sharded(), mode == CounterMode::Sharded);
            hammer(processed, 4, 6_000);
            let mut out = Vec::new();
            c.encode(crate::format::Format::Text, &mut out)
                .unwrap_or_else(|e| panic!("{e}"));
            String::from_utf8(out).unwrap_or_default()
        };
        let sharded = text(CounterMode::Sharded);
        assert!(sharded.contains("antrea_controller_network_policy_processed 24000\n"));
        assert_eq!(sharded, text(CounterMode::Plain));
    }
}
