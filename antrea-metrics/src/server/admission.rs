//! Connection admission: when every slot is taken, which held connection makes room for the new
//! one. The threat model and the guarantee these rules give are in `docs/reliability.md`
//! ("Admission: threat model and guarantee"); each rule is needed by the model test
//! (`admission_model.rs`):
//!
//! 1. **Proof.** A connection on which a request presented a bearer token that was accepted and
//!    authorized is never closed to make room: a new connection has proven nothing yet.
//! 2. **Fair share.** The connection closed comes from the address holding the most unproven
//!    connections, so an attacker's addresses make room for each other before a scraper's.
//! 3. **Fresh protection.** Within that, a connection younger than the protection period goes
//!    last, so a fresh connection has the time to finish its handshake and send its request.
//! 4. **Work, not waiting.** A request is in flight (its connection not evictable) while the
//!    server works on it; once the response is ready, waiting for the client to take it (an
//!    HTTP/2 window of zero, a socket nobody reads) does not count.
//!
//! Then the least useful goes first: in its TLS handshake or without a whole request (oldest
//! first), then idle between requests (longest idle first). Only when no held connection may
//! make room is the new one refused. A client at its per-client bound makes room among its own
//! connections only.

use super::metrics::{EvictReason, RefuseReason, ServerMetrics};
use std::cmp::Reverse;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection is in its life, for choosing whom to evict.
const HANDSHAKE: u8 = 0;
const SILENT: u8 = 1;
const SERVED: u8 = 2;

/// `inflight` of an evicted connection: no request may start on it any more.
const EVICTED: u32 = u32::MAX;

/// The admission bounds (from the server's limits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) max_total: usize,
    pub(crate) max_per_client: usize,
    /// How long a new connection goes last among its address's candidates.
    pub(crate) protection: Duration,
}

/// The table of held connections, shared by the accept loop and the connection tasks.
pub(crate) struct Admission {
    bounds: Bounds,
    clock: Arc<Clock>,
    metrics: ServerMetrics,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Arc<Slot>>,
    per_client: HashMap<IpAddr, usize>,
    /// Unproven connections per address, counted afresh for each eviction (proof happens
    /// outside the lock); kept here so that counting does not allocate.
    unproven: HashMap<IpAddr, usize>,
}

/// Admission's time in nanoseconds since it started; the model test sets it by hand.
pub(crate) struct Clock {
    epoch: Instant,
    #[cfg(test)]
    manual: Option<AtomicU64>,
}

/// One held connection's state, read by eviction and updated by its requests.
pub(crate) struct Slot {
    peer: IpAddr,
    /// When it was accepted, in [`Clock`] nanoseconds.
    accepted: u64,
    phase: AtomicU8,
    /// Requests (HTTP/2: streams) the server is working on, or [`EVICTED`].
    inflight: AtomicU32,
    /// When the last request's response was ready.
    last_done: AtomicU64,
    /// A request on it presented an accepted and authorized token.
    proven: AtomicBool,
    /// Responses handed to the connection that the client has not taken whole yet.
    unsent: AtomicU32,
    /// When a response was last handed over to an empty queue or taken by the client.
    sent_at: AtomicU64,
    sending: Notify,
    evicted: Notify,
    clock: Arc<Clock>,
}

/// Held by a connection's task; gives the slot back when dropped.
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    slot: Arc<Slot>,
}

/// Held while the server works on a request; the connection is not evictable meanwhile.
pub(crate) struct Busy(Arc<Slot>);

/// Carried by a response until the client has taken it; times the send stall.
pub(crate) struct Sending(Arc<Slot>);

impl Admission {
    pub(crate) fn new(bounds: Bounds, metrics: ServerMetrics) -> Self {
        Self::with_clock(bounds, metrics, Arc::new(Clock::real()))
    }

    fn with_clock(bounds: Bounds, metrics: ServerMetrics, clock: Arc<Clock>) -> Self {
        Self {
            bounds,
            clock,
            metrics,
            table: Mutex::new(Table::default()),
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent across a panic (every update is a single step).
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits a connection from `peer`, evicting a held one if a bound is reached; `None` when
    /// no held connection may make room (the new connection is then to be closed).
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Ticket> {
        let mut table = self.table();
        let now = self.clock.now();
        let own = table.per_client.get(&peer).copied().unwrap_or(0);
        if own >= self.bounds.max_per_client {
            if !self.evict(&mut table, now, Some(peer)) {
                self.metrics.refused(RefuseReason::PerClient);
                return None;
            }
        } else if table.slots.len() >= self.bounds.max_total && !self.evict(&mut table, now, None) {
            self.metrics.refused(RefuseReason::Busy);
            return None;
        }
        let slot = Arc::new(Slot {
            peer,
            accepted: now,
            phase: AtomicU8::new(HANDSHAKE),
            inflight: AtomicU32::new(0),
            last_done: AtomicU64::new(now),
            proven: AtomicBool::new(false),
            unsent: AtomicU32::new(0),
            sent_at: AtomicU64::new(now),
            sending: Notify::new(),
            evicted: Notify::new(),
            clock: Arc::clone(&self.clock),
        });
        table.slots.push(Arc::clone(&slot));
        *table.per_client.entry(peer).or_insert(0) += 1;
        self.metrics.open_connections.set(table.slots.len() as f64);
        Some(Ticket {
            admission: Arc::clone(self),
            slot,
        })
    }

    /// Closes the connection that should make room, among those of `only` if given; false if
    /// none may.
    fn evict(&self, table: &mut Table, now: u64, only: Option<IpAddr>) -> bool {
        table.count_unproven();
        // A request may start between choosing and closing; the compare-and-swap below then
        // fails and the next candidate is tried, so the loop runs at most once per slot. Proof
        // happens inside a request, so it cannot slip in after the choice either.
        for _ in 0..table.slots.len() {
            let Some((index, reason)) = self.victim(table, now, only) else {
                return false;
            };
            let slot = &table.slots[index];
            if slot
                .inflight
                .compare_exchange(0, EVICTED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                slot.evicted.notify_one();
                let slot = table.slots.swap_remove(index);
                table.forget(slot.peer);
                self.metrics.evicted(reason);
                self.metrics.open_connections.set(table.slots.len() as f64);
                return true;
            }
        }
        false
    }

    /// The connection to evict and why: unproven and not in flight (rules 1 and 4), from the
    /// address with the most unproven connections (rule 2), unprotected before protected
    /// (rule 3), then the least useful.
    fn victim(
        &self,
        table: &Table,
        now: u64,
        only: Option<IpAddr>,
    ) -> Option<(usize, EvictReason)> {
        let protection = duration_nanos(self.bounds.protection);
        table
            .slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| only.is_none_or(|peer| slot.peer == peer) && slot.evictable())
            .map(|(index, slot)| {
                let share = table.unproven.get(&slot.peer).copied().unwrap_or(0);
                let unprotected = now.saturating_sub(slot.accepted) >= protection;
                let (rank, since, reason) = slot.usefulness();
                let key = (share, unprotected, Reverse(rank), Reverse(since));
                (key, index, reason)
            })
            .max_by_key(|(key, _, _)| *key)
            .map(|(_, index, reason)| (index, reason))
    }

    fn release(&self, slot: &Arc<Slot>) {
        let mut table = self.table();
        // An evicted slot has already left the table.
        if let Some(index) = table.slots.iter().position(|s| Arc::ptr_eq(s, slot)) {
            table.slots.swap_remove(index);
            table.forget(slot.peer);
            self.metrics.open_connections.set(table.slots.len() as f64);
        }
    }
}

impl Table {
    fn forget(&mut self, peer: IpAddr) {
        if let Some(count) = self.per_client.get_mut(&peer) {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&peer);
            }
        }
    }

    fn count_unproven(&mut self) {
        self.unproven.clear();
        for slot in &self.slots {
            if !slot.proven.load(Ordering::Acquire) {
                *self.unproven.entry(slot.peer).or_insert(0) += 1;
            }
        }
    }
}

impl Clock {
    fn real() -> Self {
        Self {
            epoch: Instant::now(),
            #[cfg(test)]
            manual: None,
        }
    }

    /// Nanoseconds since the clock started.
    fn now(&self) -> u64 {
        #[cfg(test)]
        if let Some(manual) = &self.manual {
            return manual.load(Ordering::Acquire);
        }
        duration_nanos(self.epoch.elapsed())
    }

    fn at(&self, nanos: u64) -> Instant {
        self.epoch + Duration::from_nanos(nanos)
    }
}

#[cfg(test)]
impl Clock {
    fn manual() -> Self {
        Self {
            epoch: Instant::now(),
            manual: Some(AtomicU64::new(0)),
        }
    }

    fn advance(&self, by: Duration) {
        if let Some(manual) = &self.manual {
            manual.fetch_add(duration_nanos(by), Ordering::AcqRel);
        }
    }
}

fn duration_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Ticket {
    /// The connection's state, for its requests.
    pub(crate) fn slot(&self) -> Arc<Slot> {
        Arc::clone(&self.slot)
    }

    /// Resolves when the connection was chosen to make room for another.
    pub(crate) async fn evicted(&self) {
        self.slot.evicted.notified().await;
    }

    /// Resolves once a response has waited `limit` for the client to take it while the client
    /// took nothing (an HTTP/2 window of zero: the body is never even polled).
    pub(crate) async fn send_stalled(&self, limit: Duration) {
        let slot = &self.slot;
        loop {
            // `notify_one` leaves a permit when nobody waits, so a response handed over between
            // the check and the wait is not missed.
            if slot.unsent.load(Ordering::Acquire) == 0 {
                slot.sending.notified().await;
                continue;
            }
            let due = slot.sent_at.load(Ordering::Acquire) + duration_nanos(limit);
            if slot.clock.now() >= due {
                return;
            }
            tokio::time::sleep_until(slot.clock.at(due)).await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(&self.slot);
    }
}

impl Slot {
    /// The TLS handshake is done; the connection has not sent a request yet.
    pub(crate) fn handshake_done(&self) {
        let _ = self
            .phase
            .compare_exchange(HANDSHAKE, SILENT, Ordering::AcqRel, Ordering::Acquire);
    }

    /// A request starts; `None` if the connection was just evicted (it is closing).
    pub(crate) fn begin(self: &Arc<Self>) -> Option<Busy> {
        self.inflight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n != EVICTED).then(|| n + 1)
            })
            .ok()?;
        self.phase.store(SERVED, Ordering::Release);
        Some(Busy(Arc::clone(self)))
    }

    /// A request on this connection presented a token that was accepted and authorized: it
    /// is never evicted to make room from now on (rule 1). Called during the request, so the
    /// connection is in flight and cannot be chosen while this happens.
    pub(crate) fn prove(&self) {
        self.proven.store(true, Ordering::Release);
    }

    fn evictable(&self) -> bool {
        self.inflight.load(Ordering::Acquire) == 0 && !self.proven.load(Ordering::Acquire)
    }

    /// How useful the connection is (higher rank stays), since when, and the reason to give.
    fn usefulness(&self) -> (u8, u64, EvictReason) {
        match self.phase.load(Ordering::Acquire) {
            HANDSHAKE => (0, self.accepted, EvictReason::Handshake),
            SILENT => (0, self.accepted, EvictReason::Silent),
            _ => (1, self.last_done.load(Ordering::Acquire), EvictReason::Idle),
        }
    }
}

impl Busy {
    /// The response is ready: the request is no longer in flight (rule 4). The returned mark
    /// goes with the response until the client has taken it.
    pub(crate) fn responded(self) -> Sending {
        let slot = Arc::clone(&self.0);
        drop(self);
        Sending::new(slot)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The idle clock starts before the connection becomes evictable again.
        let slot = &self.0;
        slot.last_done.store(slot.clock.now(), Ordering::Release);
        slot.inflight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Sending {
    fn new(slot: Arc<Slot>) -> Self {
        if slot.unsent.fetch_add(1, Ordering::AcqRel) == 0 {
            // A response added to others already waiting is no progress: the clock keeps
            // running from the oldest.
            slot.sent_at.store(slot.clock.now(), Ordering::Release);
            slot.sending.notify_one();
        }
        Self(slot)
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        let slot = &self.0;
        slot.sent_at.store(slot.clock.now(), Ordering::Release);
        slot.unsent.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
#[path = "admission_model.rs"]
mod model;

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(total: usize, per_client: usize) -> (Arc<Admission>, Arc<Clock>) {
        let metrics = ServerMetrics::new(None).expect("constant metric names");
        let clock = Arc::new(Clock::manual());
        let bounds = Bounds {
            max_total: total,
            max_per_client: per_client,
            protection: Duration::from_secs(1),
        };
        let admission = Admission::with_clock(bounds, metrics, Arc::clone(&clock));
        (Arc::new(admission), clock)
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn is_evicted(ticket: &Ticket) -> bool {
        ticket.slot.inflight.load(Ordering::Acquire) == EVICTED
    }

    /// One request answered and taken at once.
    fn serve(ticket: &Ticket) {
        drop(ticket.slot().begin().map(Busy::responded));
    }

    #[test]
    fn unproven_connections_go_first_oldest_first_then_the_longest_idle() {
        let (admission, clock) = admission(3, 3);
        let idle_long = admission.admit(ip(1)).expect("room");
        serve(&idle_long);
        clock.advance(Duration::from_millis(1));
        let idle_short = admission.admit(ip(1)).expect("room");
        let silent = admission.admit(ip(1)).expect("room");
        silent.slot().handshake_done();
        serve(&idle_short);
        // Past the protection period: only usefulness decides.
        clock.advance(Duration::from_secs(2));

        let first = admission.admit(ip(1)).expect("evicts");
        assert!(is_evicted(&silent), "the unproven connection goes first");
        assert!(!is_evicted(&idle_long) && !is_evicted(&idle_short));
        clock.advance(Duration::from_secs(2));
        let second = admission.admit(ip(1)).expect("evicts");
        // `first` is newer and has sent nothing: it goes before any served connection.
        assert!(is_evicted(&first));
        let _busy = second.slot().begin();
        let _third = admission.admit(ip(1)).expect("evicts");
        assert!(is_evicted(&idle_long), "then the longest idle");
        assert!(!is_evicted(&idle_short));
        assert_eq!(admission.metrics.open_connections.get(), 3.0);
    }

    #[test]
    fn a_busy_connection_is_never_evicted_and_then_the_new_one_is_refused() {
        let (admission, _clock) = admission(2, 2);
        let a = admission.admit(ip(1)).expect("room");
        let b = admission.admit(ip(2)).expect("room");
        let busy_a = a.slot().begin().expect("not evicted");
        let busy_b = b.slot().begin().expect("not evicted");
        assert!(admission.admit(ip(3)).is_none());
        assert!(!is_evicted(&a) && !is_evicted(&b));
        drop(busy_b);
        let c = admission.admit(ip(3)).expect("b is idle now");
        assert!(is_evicted(&b) && !is_evicted(&a));
        // No request starts on an evicted connection.
        assert!(b.slot().begin().is_none());
        drop((busy_a, c));
    }

    #[test]
    fn a_proven_connection_is_never_evicted_and_a_ready_response_is_not_in_flight() {
        let (admission, clock) = admission(2, 2);
        let scraper = admission.admit(ip(1)).expect("room");
        let busy = scraper.slot().begin().expect("open");
        scraper.slot().prove();
        drop(busy);
        let stalled = admission.admit(ip(2)).expect("room");
        // The client never takes its response: the server's work is done all the same.
        let _unsent = stalled.slot().begin().map(Busy::responded);
        clock.advance(Duration::from_secs(5));
        let _new = admission.admit(ip(3)).expect("the stalled one makes room");
        assert!(is_evicted(&stalled) && !is_evicted(&scraper));
        clock.advance(Duration::from_secs(5));
        assert!(
            admission.admit(ip(4)).is_some(),
            "the newcomer was unproven"
        );
        assert!(!is_evicted(&scraper));
        // Only proven connections left besides a fresh one: the next is refused at accept.
        let (admission, _clock) = self::admission(1, 1);
        let proven = admission.admit(ip(1)).expect("room");
        let busy = proven.slot().begin();
        proven.slot().prove();
        drop(busy);
        assert!(admission.admit(ip(2)).is_none());
    }

    #[test]
    fn the_address_holding_the_most_makes_room_and_fresh_connections_go_last() {
        let (admission, clock) = admission(4, 4);
        let a1 = admission.admit(ip(2)).expect("room");
        let a2 = admission.admit(ip(2)).expect("room");
        clock.advance(Duration::from_secs(2));
        let b = admission.admit(ip(3)).expect("room");
        let scraper = admission.admit(ip(1)).expect("room");
        // Full: 127.0.0.2 holds two, so one of its connections goes, though `b` and the
        // scraper are older in rank (both in their handshake) and no less useful.
        serve(&a1);
        serve(&a2);
        let _c = admission.admit(ip(4)).expect("evicts");
        assert!(is_evicted(&a1) || is_evicted(&a2));
        assert!(!is_evicted(&b) && !is_evicted(&scraper));
        // Now every address holds one: the unprotected one goes before the fresh ones.
        let _d = admission.admit(ip(5)).expect("evicts");
        assert!(
            is_evicted(&a1) && is_evicted(&a2),
            "the old one of 127.0.0.2"
        );
        assert!(!is_evicted(&b) && !is_evicted(&scraper));
    }

    #[test]
    fn a_client_at_its_bound_evicts_its_own_connections_only() {
        let (admission, clock) = admission(10, 2);
        let other = admission.admit(ip(9)).expect("room");
        let mine: Vec<_> = (0..2)
            .map(|_| {
                clock.advance(Duration::from_secs(2));
                admission.admit(ip(1)).expect("room")
            })
            .collect();
        let newest = admission.admit(ip(1)).expect("evicts one of its own");
        assert!(is_evicted(&mine[0]) && !is_evicted(&mine[1]) && !is_evicted(&other));
        let _busy = (mine[1].slot().begin(), newest.slot().begin());
        assert!(admission.admit(ip(1)).is_none(), "all its own are busy");
        assert!(admission.admit(ip(2)).is_some(), "others still get in");
    }

    #[test]
    fn dropping_a_ticket_gives_the_slot_back_once() {
        let (admission, _clock) = admission(1, 1);
        let a = admission.admit(ip(1)).expect("room");
        let b = admission.admit(ip(1)).expect("evicts a");
        drop(a);
        assert_eq!(admission.table().slots.len(), 1);
        drop(b);
        assert!(admission.table().slots.is_empty());
        assert!(admission.table().per_client.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_the_client_never_takes_ends_the_connection_after_the_limit() {
        let metrics = ServerMetrics::new(None).expect("constant metric names");
        let bounds = Bounds {
            max_total: 1,
            max_per_client: 1,
            protection: Duration::ZERO,
        };
        let admission = Arc::new(Admission::new(bounds, metrics));
        let ticket = admission.admit(ip(1)).expect("room");
        let limit = Duration::from_secs(10);
        let started = Instant::now();
        let taken = ticket.slot().begin().map(Busy::responded);
        // Taken after 4 s: progress, the clock starts again.
        tokio::time::sleep(Duration::from_secs(4)).await;
        drop(taken);
        let _first = ticket.slot().begin().map(Busy::responded);
        tokio::time::sleep(Duration::from_secs(1)).await;
        // A second response queued behind the first is no progress.
        let _second = ticket.slot().begin().map(Busy::responded);
        ticket.send_stalled(limit).await;
        assert_eq!(started.elapsed(), Duration::from_secs(14));
    }
}
