//! Connection admission: when every slot is taken, the least useful held connection makes room
//! for the new one, so silent clients cannot keep a scraper out.
//!
//! Least useful first: a connection still in its TLS handshake or that has not yet sent a whole
//! request (oldest first), then one idle between requests (longest idle first). A connection
//! with a request in flight (an HTTP/1 request, or any open HTTP/2 stream) is never closed to
//! make room; only when every candidate is busy is the new connection refused. With a
//! per-client bound, a client at its bound makes room among its own connections only, so one
//! address flooding the port never closes another address's connections.

use super::metrics::{EvictReason, RefuseReason, ServerMetrics};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::Notify;

/// Where a connection is in its life, for choosing whom to evict.
const HANDSHAKE: u8 = 0;
const SILENT: u8 = 1;
const SERVED: u8 = 2;

/// `inflight` of an evicted connection: no request may start on it any more.
const EVICTED: u32 = u32::MAX;

/// The table of held connections, shared by the accept loop and the connection tasks.
pub(crate) struct Admission {
    max_total: usize,
    max_per_client: usize,
    epoch: Instant,
    metrics: ServerMetrics,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Arc<Slot>>,
    per_client: HashMap<IpAddr, usize>,
}

/// One held connection's state, read by eviction and updated by its requests.
pub(crate) struct Slot {
    peer: IpAddr,
    /// Nanoseconds since the admission epoch.
    accepted: u64,
    phase: AtomicU8,
    /// Requests (HTTP/2: streams) in flight, or [`EVICTED`].
    inflight: AtomicU32,
    /// When the last request ended, in nanoseconds since the epoch.
    last_done: AtomicU64,
    evicted: Notify,
    epoch: Instant,
}

/// Held by a connection's task; gives the slot back when dropped.
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    slot: Arc<Slot>,
}

/// Held while a request is being answered; the connection is not evictable meanwhile.
pub(crate) struct Busy(Arc<Slot>);

impl Admission {
    pub(crate) fn new(max_total: usize, max_per_client: usize, metrics: ServerMetrics) -> Self {
        Self {
            max_total,
            max_per_client,
            epoch: Instant::now(),
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
    /// every candidate for eviction is busy (the new connection is then to be closed).
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Ticket> {
        let mut table = self.table();
        let own = table.per_client.get(&peer).copied().unwrap_or(0);
        if own >= self.max_per_client {
            if !self.evict(&mut table, |slot| slot.peer == peer) {
                self.metrics.refused(RefuseReason::PerClient);
                return None;
            }
        } else if table.slots.len() >= self.max_total && !self.evict(&mut table, |_| true) {
            self.metrics.refused(RefuseReason::Busy);
            return None;
        }
        let slot = Arc::new(Slot {
            peer,
            accepted: nanos_since(self.epoch),
            phase: AtomicU8::new(HANDSHAKE),
            inflight: AtomicU32::new(0),
            last_done: AtomicU64::new(0),
            evicted: Notify::new(),
            epoch: self.epoch,
        });
        table.slots.push(Arc::clone(&slot));
        *table.per_client.entry(peer).or_insert(0) += 1;
        self.metrics.open_connections.set(table.slots.len() as i64);
        Some(Ticket {
            admission: Arc::clone(self),
            slot,
        })
    }

    /// Closes the least useful connection among those `eligible`; false if all are busy.
    fn evict(&self, table: &mut Table, eligible: impl Fn(&Slot) -> bool) -> bool {
        // A request may start between choosing and closing; the compare-and-swap below then
        // fails and the next candidate is tried, so the loop runs at most once per slot.
        for _ in 0..table.slots.len() {
            let Some((index, reason)) = least_useful(&table.slots, &eligible) else {
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
                self.metrics.open_connections.set(table.slots.len() as i64);
                return true;
            }
        }
        false
    }

    fn release(&self, slot: &Arc<Slot>) {
        let mut table = self.table();
        // An evicted slot has already left the table.
        if let Some(index) = table.slots.iter().position(|s| Arc::ptr_eq(s, slot)) {
            table.slots.swap_remove(index);
            table.forget(slot.peer);
            self.metrics.open_connections.set(table.slots.len() as i64);
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
}

/// The eligible idle connection to evict first, and why: unproven connections (handshake or
/// no request yet) oldest first, then served ones longest idle first.
fn least_useful(
    slots: &[Arc<Slot>],
    eligible: impl Fn(&Slot) -> bool,
) -> Option<(usize, EvictReason)> {
    slots
        .iter()
        .enumerate()
        .filter(|(_, slot)| eligible(slot) && slot.inflight.load(Ordering::Acquire) == 0)
        .map(|(index, slot)| {
            let (rank, since, reason) = match slot.phase.load(Ordering::Acquire) {
                HANDSHAKE => (0, slot.accepted, EvictReason::Handshake),
                SILENT => (0, slot.accepted, EvictReason::Silent),
                _ => (1, slot.last_done.load(Ordering::Acquire), EvictReason::Idle),
            };
            ((rank, since), index, reason)
        })
        .min_by_key(|(key, _, _)| *key)
        .map(|(_, index, reason)| (index, reason))
}

fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
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
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The idle clock starts before the connection becomes evictable again.
        self.0
            .last_done
            .store(nanos_since(self.0.epoch), Ordering::Release);
        self.0.inflight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(total: usize, per_client: usize) -> Arc<Admission> {
        let metrics = ServerMetrics::unregistered().expect("constant metric names");
        Arc::new(Admission::new(total, per_client, metrics))
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn is_evicted(ticket: &Ticket) -> bool {
        ticket.slot.inflight.load(Ordering::Acquire) == EVICTED
    }

    #[test]
    fn unproven_connections_go_first_oldest_first_then_the_longest_idle() {
        let admission = admission(3, 3);
        let idle_long = admission.admit(ip(1)).expect("room");
        drop(idle_long.slot().begin());
        let idle_short = admission.admit(ip(1)).expect("room");
        let silent = admission.admit(ip(1)).expect("room");
        silent.slot().handshake_done();
        drop(idle_short.slot().begin());

        let first = admission.admit(ip(1)).expect("evicts");
        assert!(is_evicted(&silent), "the unproven connection goes first");
        assert!(!is_evicted(&idle_long) && !is_evicted(&idle_short));
        let second = admission.admit(ip(1)).expect("evicts");
        // `first` is newer and unproven: it goes before any served connection.
        assert!(is_evicted(&first));
        let _busy = second.slot().begin();
        let _third = admission.admit(ip(1)).expect("evicts");
        assert!(is_evicted(&idle_long), "then the longest idle");
        assert!(!is_evicted(&idle_short));
        assert_eq!(admission.metrics.open_connections.get(), 3);
    }

    #[test]
    fn a_busy_connection_is_never_evicted_and_then_the_new_one_is_refused() {
        let admission = admission(2, 2);
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
    fn a_client_at_its_bound_evicts_its_own_connections_only() {
        let admission = admission(10, 2);
        let other = admission.admit(ip(9)).expect("room");
        let mine: Vec<_> = (0..2)
            .map(|_| admission.admit(ip(1)).expect("room"))
            .collect();
        let newest = admission.admit(ip(1)).expect("evicts one of its own");
        assert!(is_evicted(&mine[0]) && !is_evicted(&mine[1]) && !is_evicted(&other));
        let _busy = (mine[1].slot().begin(), newest.slot().begin());
        assert!(admission.admit(ip(1)).is_none(), "all its own are busy");
        assert!(admission.admit(ip(2)).is_some(), "others still get in");
    }

    #[test]
    fn dropping_a_ticket_gives_the_slot_back_once() {
        let admission = admission(1, 1);
        let a = admission.admit(ip(1)).expect("room");
        let b = admission.admit(ip(1)).expect("evicts a");
        drop(a);
        assert_eq!(admission.table().slots.len(), 1);
        drop(b);
        assert!(admission.table().slots.is_empty());
        assert!(admission.table().per_client.is_empty());
    }
}
