//! Process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_open_fds`, ...), which Antrea's Go processes expose too.

use crate::error::{CoreResult, MetricsError};

/// Registers the current process's metrics into `registry` (Linux only).
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
    let collector = prometheus::process_collector::ProcessCollector::for_self();
    registry
        .register(Box::new(collector))
        .map_err(|source| MetricsError::Register {
            component: "process",
            source,
        })
}
