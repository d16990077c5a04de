//! Scrapes that see one simulation step whole.
//!
//! A step changes many gauges that belong together (per-table flow counts and their total;
//! the conntrack counts). The simulator holds [`StepLock`] while it steps, and the registry
//! gathers through [`Consistent`], which takes the same lock, so a scrape never sees half a
//! step: the invariants the simulators promise hold in every scrape, not just on average.

use antrea_metrics::prometheus::core::{Collector, Desc};
use antrea_metrics::prometheus::proto::MetricFamily;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Held by the simulator for the length of one step.
#[derive(Clone, Debug, Default)]
pub struct StepLock(Arc<Mutex<()>>);

impl StepLock {
    /// Waits for any scrape in progress, and keeps scrapes out until the guard is dropped.
    pub fn hold(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data, so a panic while holding it leaves nothing inconsistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A collector that gathers `inner` only between two steps.
pub struct Consistent<C> {
    /// The collector to gather (a component's families).
    pub inner: C,
    /// The simulator's step lock.
    pub lock: StepLock,
}

impl<C: Collector> Collector for Consistent<C> {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _step = self.lock.hold();
        self.inner.collect()
    }
}
