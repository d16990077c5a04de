//! Process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_open_fds`, ...), which Antrea's Go processes expose too.

use crate::{Error, Result};

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
/// [`Error::Register`] when process metrics are already registered there.
pub fn register_process_metrics(registry: &prometheus::Registry) -> Result<()> {
    let collector = prometheus::process_collector::ProcessCollector::for_self();
    registry
        .register(Box::new(collector))
        .map_err(|source| Error::Register {
            component: "process",
            source,
        })
}
