//! Scrapes that see one simulation step whole.
//!
//! A step changes many gauges that belong together (per-table flow counts and their total;
//! the conntrack counts). The simulator holds [`StepLock`] while it steps, and the server
//! encodes through [`Consistent`], which takes the same lock, so a scrape never sees half a
//! step: the invariants the simulators promise hold in every scrape, not just on average.

use antrea_metrics::format::Format;
use antrea_metrics::Exposition;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Held by the simulator for the length of one step, and shared by the scrapes between steps.
#[derive(Clone, Debug, Default)]
pub struct StepLock(Arc<RwLock<()>>);

impl StepLock {
    /// Waits for any scrape in progress, and keeps scrapes out until the guard is dropped.
    pub fn hold(&self) -> RwLockWriteGuard<'_, ()> {
        // The lock guards no data, so a panic while holding it leaves nothing inconsistent.
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a step in progress, and keeps steps (not other scrapes) out until the guard
    /// is dropped.
    pub fn scrape(&self) -> RwLockReadGuard<'_, ()> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A component's families, encoded only between two steps.
///
/// It is an [`Exposition`], not a registry collector, so that scrapes take the library's direct
/// text path (one buffer, no per-series allocation) rather than `gather()`.
pub struct Consistent<E> {
    /// The families to encode (a component's metrics).
    pub inner: E,
    /// The simulator's step lock.
    pub lock: StepLock,
}

impl<E: Exposition> Exposition for Consistent<E> {
    fn supports(&self, format: Format) -> bool {
        self.inner.supports(format)
    }

    fn encode(
        &self,
        format: Format,
        out: &mut Vec<u8>,
    ) -> Result<(), antrea_metrics::MetricsError> {
        let _between_steps = self.lock.scrape();
        self.inner.encode(format, out)
    }
}
