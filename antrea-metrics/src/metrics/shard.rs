//! Per-thread shards for values that several threads update at once.
//!
//! Two cores adding to one atomic bounce its cache line between them, so each update waits for
//! the line; with a line of its own per thread, each update stays in the core's cache. Values
//! are summed over the shards when read (at scrape time, where the cost does not matter).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Atomics per [`Line`]: 128 bytes, because x86 CPUs prefetch cache lines in adjacent pairs, so
/// 64-byte padding would still let two shards disturb each other.
pub(crate) const SLOTS: usize = 16;

/// One cache-line pair of atomics, aligned so that no other shard's values share it.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct Line(pub(crate) [AtomicU64; SLOTS]);

/// `slots` atomics per shard, each shard starting on its own [`Line`]s.
#[derive(Debug)]
pub(crate) struct Shards {
    lines: Box<[Line]>,
    lines_per_shard: usize,
    /// `shard count - 1`; the count is a power of two.
    mask: usize,
}

impl Shards {
    /// Shards of `slots` zeroed atomics each, one shard per expected concurrent thread.
    pub(crate) fn new(slots: usize) -> Self {
        Self::with_count(slots, shard_count())
    }

    fn with_count(slots: usize, count: usize) -> Self {
        debug_assert!(count.is_power_of_two());
        let lines_per_shard = slots.div_ceil(SLOTS).max(1);
        Shards {
            lines: (0..lines_per_shard * count)
                .map(|_| Line::default())
                .collect(),
            lines_per_shard,
            mask: count - 1,
        }
    }

    /// The calling thread's shard, for [`Shards::slot`].
    #[inline]
    pub(crate) fn local(&self) -> usize {
        thread_index() & self.mask
    }

    /// Slot `i` of shard `shard`.
    #[inline]
    pub(crate) fn slot(&self, shard: usize, i: usize) -> &AtomicU64 {
        &self.lines[shard * self.lines_per_shard + i / SLOTS].0[i % SLOTS]
    }

    /// Slot `i` summed over every shard (wrapping, as the integer counters do).
    pub(crate) fn sum(&self, i: usize) -> u64 {
        (0..=self.mask).fold(0u64, |acc, s| {
            acc.wrapping_add(self.slot(s, i).load(Ordering::Relaxed))
        })
    }

    /// Slot `i` of every shard, each read as an `f64`, added up.
    pub(crate) fn sum_f64(&self, i: usize) -> f64 {
        (0..=self.mask)
            .map(|s| f64::from_bits(self.slot(s, i).load(Ordering::Relaxed)))
            .sum()
    }
}

/// Shards per value: twice the CPUs the process may use, as a power of two in `4..=64`, so
/// that threads assigned round-robin rarely share a shard.
fn shard_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (2 * cpus).next_power_of_two().clamp(4, 64)
    })
}

/// A number fixed for the calling thread, handed out round-robin on its first update.
#[inline]
fn thread_index() -> usize {
    /// Not yet assigned. A `const` initialiser keeps the access a plain thread-local read,
    /// without the lazy-initialisation state a computed initialiser would check on every call.
    const UNSET: usize = usize::MAX;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(UNSET) };
    }
    INDEX.with(|cell| match cell.get() {
        UNSET => {
            let i = NEXT.fetch_add(1, Ordering::Relaxed) & (UNSET >> 1);
            cell.set(i);
            i
        }
        i => i,
    })
}

/// Adds `v` to the `f64` stored as bits in `cell`.
#[inline]
pub(crate) fn add_f64(cell: &AtomicU64, v: f64) {
    let mut cur = cell.load(Ordering::Relaxed);
    loop {
        let new = (f64::from_bits(cur) + v).to_bits();
        match cell.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_do_not_share_lines() {
        let s = Shards::with_count(20, 4);
        assert_eq!(s.lines.len(), 8);
        let a = s.slot(0, 19) as *const AtomicU64 as usize;
        let b = s.slot(1, 0) as *const AtomicU64 as usize;
        assert!(b - a >= 8 && b % 128 == 0);
    }

    #[test]
    fn sums_cover_every_shard() {
        let s = Shards::with_count(3, 4);
        for shard in 0..4 {
            s.slot(shard, 2)
                .fetch_add(shard as u64 + 1, Ordering::Relaxed);
            add_f64(s.slot(shard, 1), 0.5);
        }
        s.slot(s.local(), 2).fetch_add(10, Ordering::Relaxed);
        assert_eq!(s.sum(2), 20);
        assert_eq!(s.sum_f64(1), 2.0);
        assert_eq!(s.sum(0), 0);
    }

    #[test]
    fn threads_get_distinct_indices() {
        let mine = thread_index();
        let other = std::thread::spawn(thread_index).join().unwrap_or(mine);
        assert_ne!(mine, other);
        assert_eq!(thread_index(), mine);
    }
}
