//! Process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_open_fds`, ...), which Antrea's Go processes expose too.

use crate::error::{CoreResult, MetricsError};
use prometheus::core::{Collector, Desc};
use prometheus::process_collector::ProcessCollector;
use prometheus::proto::MetricFamily;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Registers the current process's metrics into `registry` (Linux only).
///
/// Every registry of the process shares one collector (the process is the same), so a process
/// with many registries (a server per simulated Node) keeps one set of descriptors.
///
/// ```
/// let registry = prometheus::Registry::new();
/// antrea_metrics::register_process_metrics(&registry)?;
/// assert!(registry.gather().iter().any(|f| f.name() == "process_open_fds"));
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
///
/// # Errors
/// [`MetricsError::Register`] when process metrics are already registered there.
pub fn register_process_metrics(registry: &prometheus::Registry) -> CoreResult<()> {
    static SHARED: OnceLock<Arc<Process>> = OnceLock::new();
    let collector = SHARED.get_or_init(|| {
        Arc::new(Process {
            collector: ProcessCollector::for_self(),
            collecting: Mutex::new(()),
        })
    });
    registry
        .register(Box::new(Shared(Arc::clone(collector))))
        .map_err(|source| MetricsError::Register {
            component: "process",
            source,
        })
}

/// The process' one collector.
struct Process {
    collector: ProcessCollector,
    /// Held while collecting: `ProcessCollector` advances its CPU counter by the time since
    /// its last read, and two registries reading at once would both add the same seconds.
    collecting: Mutex<()>,
}

/// The process' one collector, registered into one more registry.
struct Shared(Arc<Process>);

impl Collector for Shared {
    fn desc(&self) -> Vec<&Desc> {
        self.0.collector.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _one_at_a_time = (self.0.collecting.lock()).unwrap_or_else(PoisonError::into_inner);
        self.0.collector.collect()
    }
}

#[cfg(test)]
mod tests {
    /// One collector serves every registry of the process; each still refuses a second
    /// registration (prometheus keys registrations by descriptor).
    #[test]
    fn every_registry_gets_the_process_metrics_once() {
        let names = |r: &prometheus::Registry| -> Vec<String> {
            (r.gather().iter().map(|f| f.name().to_owned())).collect()
        };
        let (a, b) = (prometheus::Registry::new(), prometheus::Registry::new());
        for r in [&a, &b] {
            super::register_process_metrics(r).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(names(&a).iter().any(|n| n == "process_cpu_seconds_total"));
        assert_eq!(names(&a), names(&b));
        assert!(super::register_process_metrics(&a).is_err());
    }
}
