//! Per-thread shards for values that several threads update at once.
//!
//! Two cores adding to one atomic bounce its cache line between them, so each update waits for
//! the line; with a line of its own per thread, each update stays in the core's cache. Values
//! are summed over the shards when read (at scrape time, where the cost does not matter).
//!
//! A live thread *owns* one shard (see [`owner`]): it is the only writer there, so an update is a
//! plain load and store instead of a locked read-modify-write, several times cheaper even
//! without contention. Threads beyond the number of owned shards share one last shard, updated
//! with atomic read-modify-writes. Either way no update is ever lost.
//!
//! A shard's lines are allocated by the first update that lands there, so a value costs its
//! lines once per thread that writes it, not once per possible owner: a series only one thread
//! updates (the common case, and every Node of a simulated fleet) holds one shard, not 17.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Atomics per [`Line`]: 128 bytes, because x86 CPUs prefetch cache lines in adjacent pairs, so
/// 64-byte padding would still let two shards disturb each other.
const SLOTS: usize = 16;

/// One cache-line pair of atomics, aligned so that no other shard's values share it.
#[repr(align(128))]
#[derive(Debug, Default)]
struct Line([AtomicU64; SLOTS]);

/// `slots` atomics per shard, each shard on [`Line`]s of its own, made on its first update: one
/// shard per owner index, then the shared one.
#[derive(Debug)]
pub(crate) struct Shards {
    shards: [OnceLock<Box<[Line]>>; owner::COUNT + 1],
    lines_per_shard: usize,
}

/// The calling thread's shard of one [`Shards`], for a few updates in a row.
pub(crate) struct Writer<'a> {
    /// The shard's lines.
    lines: &'a [Line],
    /// Whether the thread owns the shard (the only writer there).
    owned: bool,
}

impl Shards {
    /// Shards of `slots` zeroed atomics each.
    pub(crate) fn new(slots: usize) -> Self {
        Shards {
            shards: std::array::from_fn(|_| OnceLock::new()),
            lines_per_shard: slots.div_ceil(SLOTS).max(1),
        }
    }

    /// The calling thread's shard, made if this is its first update there.
    #[inline]
    pub(crate) fn writer(&self) -> Writer<'_> {
        let (shard, owned) = match owner::index() {
            Some(shard) => (shard, true),
            None => (owner::COUNT, false),
        };
        let lines = match self.shards[shard].get() {
            Some(lines) => lines,
            None => self.make(shard),
        };
        Writer { lines, owned }
    }

    /// Shard `shard`'s lines, zeroed; out of line, as it runs once per shard.
    #[cold]
    fn make(&self, shard: usize) -> &[Line] {
        self.shards[shard]
            .get_or_init(|| (0..self.lines_per_shard).map(|_| Line::default()).collect())
    }

    /// The shards made so far, looked up once for several reads (a scrape reads every slot).
    pub(crate) fn reader(&self) -> Reader<'_> {
        let mut made: [&[Line]; owner::COUNT + 1] = [&[]; owner::COUNT + 1];
        let mut count = 0;
        for lines in self.shards.iter().filter_map(OnceLock::get) {
            made[count] = lines;
            count += 1;
        }
        Reader { made, count }
    }

    /// Slot `i` summed over every shard (wrapping, as the integer counters do).
    pub(crate) fn sum(&self, i: usize) -> u64 {
        self.reader().sum(i)
    }
}

/// The shards of one [`Shards`] made when it was taken; see [`Shards::reader`].
pub(crate) struct Reader<'a> {
    made: [&'a [Line]; owner::COUNT + 1],
    count: usize,
}

impl Reader<'_> {
    /// Slot `i` of every shard.
    fn slots(&self, i: usize) -> impl Iterator<Item = &AtomicU64> {
        self.made[..self.count]
            .iter()
            .map(move |lines| &lines[i / SLOTS].0[i % SLOTS])
    }

    /// Slot `i` summed over every shard (wrapping, as the integer counters do).
    pub(crate) fn sum(&self, i: usize) -> u64 {
        self.slots(i)
            .fold(0u64, |acc, s| acc.wrapping_add(s.load(Ordering::Relaxed)))
    }

    /// Slot `i` of every shard, each read as an `f64`, added up from `+0.0` as client_golang
    /// does (`Iterator::sum` starts from `-0.0`, which a value never updated would expose as
    /// `-0`).
    pub(crate) fn sum_f64(&self, i: usize) -> f64 {
        self.slots(i)
            .map(|s| f64::from_bits(s.load(Ordering::Relaxed)))
            .fold(0.0, |acc, v| acc + v)
    }
}

impl Writer<'_> {
    /// Slot `i` of the shard.
    #[inline]
    fn slot(&self, i: usize) -> &AtomicU64 {
        &self.lines[i / SLOTS].0[i % SLOTS]
    }

    /// Adds `n` to slot `i`.
    #[inline]
    pub(crate) fn add(&self, i: usize, n: u64) {
        let cell = self.slot(i);
        if self.owned {
            // The only writer: nothing can come between the load and the store.
            cell.store(
                cell.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            );
        } else {
            cell.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Adds `v` to the `f64` stored as bits in slot `i`.
    #[inline]
    pub(crate) fn add_f64(&self, i: usize, v: f64) {
        let cell = self.slot(i);
        let mut cur = cell.load(Ordering::Relaxed);
        if self.owned {
            cell.store((f64::from_bits(cur) + v).to_bits(), Ordering::Relaxed);
            return;
        }
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match cell.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// Owner indices: each live thread that updates a sharded value takes the lowest free index
/// below [`owner::COUNT`] on its first update and gives it back when it exits, so that a shard
/// never has two writers at once however many threads come and go.
mod owner {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Owned shards per value. Fixed, so that an index is valid for every value; a thread past
    /// this many live updaters writes to the shared shard instead.
    pub(crate) const COUNT: usize = 16;

    /// Bit `i` set: index `i` is taken by a live thread.
    static TAKEN: AtomicU64 = AtomicU64::new(0);

    /// [`INDEX`] before the thread's first update.
    const UNSET: u8 = u8::MAX;
    /// [`INDEX`] of a thread without an owned shard: all were taken, or it gave its back.
    const SHARED: u8 = COUNT as u8;

    thread_local! {
        // Const-initialised and without a destructor, so that reading it is one thread-local
        // load with no lazy-initialisation check, and it stays readable while the thread's other
        // locals are destroyed.
        static INDEX: Cell<u8> = const { Cell::new(UNSET) };
        // Gives the index back when the thread exits.
        static RELEASE: Release = const { Release };
    }

    struct Release;

    impl Drop for Release {
        fn drop(&mut self) {
            let i = INDEX.with(|c| c.replace(SHARED));
            if i < SHARED {
                // Release pairs with the next owner's acquire: our last writes to the shards
                // happen before theirs.
                TAKEN.fetch_and(!(1 << i), Ordering::Release);
            }
        }
    }

    /// The calling thread's index; `None` when all are taken, or once the thread has started
    /// exiting (an update from another local's destructor).
    #[inline]
    pub(crate) fn index() -> Option<usize> {
        let mut i = INDEX.with(Cell::get);
        if i == UNSET {
            i = take();
        }
        (i < SHARED).then_some(i as usize)
    }

    #[cold]
    fn take() -> u8 {
        // Registering the release fails once the thread is exiting: then take nothing.
        if RELEASE.try_with(|_| ()).is_err() {
            INDEX.with(|c| c.set(SHARED));
            return SHARED;
        }
        let mut cur = TAKEN.load(Ordering::Acquire);
        let i = loop {
            let free = (!cur).trailing_zeros() as usize;
            if free >= COUNT {
                break SHARED;
            }
            let taken = cur | 1 << free;
            match TAKEN.compare_exchange_weak(cur, taken, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break free as u8,
                Err(actual) => cur = actual,
            }
        };
        INDEX.with(|c| c.set(i));
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Held by the tests that take every owned index or expect a free one, so that they do not
    /// run at the same time.
    static OWNERS: Mutex<()> = Mutex::new(());

    /// Shard `shard`'s lines, if made.
    fn lines(s: &Shards, shard: usize) -> Option<&[Line]> {
        s.shards[shard].get().map(|l| &l[..])
    }

    #[test]
    fn shards_are_made_by_their_first_update_on_lines_of_their_own() {
        let _serial = OWNERS.lock().unwrap_or_else(|e| e.into_inner());
        let s = Shards::new(20);
        assert!((0..=owner::COUNT).all(|i| lines(&s, i).is_none()));
        assert_eq!(s.sum(19), 0);
        s.writer().add(19, 1);
        let other = std::thread::scope(|sc| {
            sc.spawn(|| {
                s.writer().add(0, 2);
                owner::index()
            })
            .join()
            .ok()
            .flatten()
        });
        let (mine, other) = (
            owner::index().unwrap_or(owner::COUNT),
            other.unwrap_or(owner::COUNT),
        );
        let made: Vec<usize> = (0..=owner::COUNT)
            .filter(|&i| lines(&s, i).is_some())
            .collect();
        assert_eq!(made, {
            let mut m = vec![mine, other];
            m.sort();
            m
        });
        for i in made {
            let l = lines(&s, i).unwrap_or_default();
            assert_eq!(l.len(), 2);
            assert_eq!(l.as_ptr() as usize % 128, 0);
        }
        assert_eq!((s.sum(19), s.sum(0)), (1, 2));
    }

    #[test]
    fn a_sum_nothing_was_added_to_is_positive_zero() {
        let s = Shards::new(2);
        assert_eq!(s.reader().sum_f64(1).to_bits(), 0.0f64.to_bits());
        s.writer().add(0, 1);
        assert_eq!(s.reader().sum_f64(1).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn sums_cover_every_shard() {
        let s = Shards::new(3);
        for shard in 0..=owner::COUNT {
            let lines = s.make(shard);
            lines[0].0[2].fetch_add(shard as u64 + 1, Ordering::Relaxed);
            lines[0].0[1].store(0.5f64.to_bits(), Ordering::Relaxed);
        }
        s.writer().add(2, 10);
        s.writer().add_f64(1, 1.0);
        let shards = owner::COUNT as u64 + 1;
        assert_eq!(s.sum(2), shards * (shards + 1) / 2 + 10);
        assert_eq!(s.reader().sum_f64(1), 0.5 * shards as f64 + 1.0);
        assert_eq!(s.sum(0), 0);
    }

    #[test]
    fn live_threads_own_distinct_shards() {
        let _serial = OWNERS.lock().unwrap_or_else(|e| e.into_inner());
        let mine = owner::index();
        assert!(mine.is_some());
        let other = std::thread::scope(|s| s.spawn(owner::index).join().ok().flatten());
        assert!(other.is_some());
        assert_ne!(mine, other);
        assert_eq!(owner::index(), mine);
    }

    #[test]
    fn exited_threads_give_their_shard_back() {
        let _serial = OWNERS.lock().unwrap_or_else(|e| e.into_inner());
        // One after another, more threads than there are owned shards each get one.
        for _ in 0..owner::COUNT * 3 {
            let owned = std::thread::spawn(owner::index).join().ok().flatten();
            assert!(owned.is_some());
        }
    }

    #[test]
    fn more_threads_than_owned_shards_lose_nothing() {
        let _serial = OWNERS.lock().unwrap_or_else(|e| e.into_inner());
        let s = Shards::new(1);
        let threads = owner::COUNT + 8;
        let start = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    // All alive at once, so that some find every index taken.
                    start.wait();
                    (0..1000).for_each(|_| s.writer().add(0, 1));
                    start.wait();
                });
            }
        });
        assert_eq!(s.sum(0), threads as u64 * 1000);
    }
}
