//! Lazily created metrics in `prometheus::default_registry()`, for code that does not want to
//! pass handles around.

use crate::error::CoreResult;
use crate::{AgentMetrics, ControllerMetrics, Profile};
use once_cell::sync::OnceCell;

static AGENT: OnceCell<AgentMetrics> = OnceCell::new();
static CONTROLLER: OnceCell<ControllerMetrics> = OnceCell::new();

/// The process-wide agent metrics (latest profile), registered into
/// [`prometheus::default_registry`] on first use.
///
/// ```
/// antrea_metrics::global::agent()?.local_pod_count.set(2.0);
/// let families = prometheus::default_registry().gather();
/// assert!(families.iter().any(|f| f.name() == "antrea_agent_local_pod_count"));
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
///
/// # Errors
/// [`crate::MetricsError::Register`] when the default registry already holds an Antrea agent family
/// registered some other way; a later call tries again.
pub fn agent() -> CoreResult<&'static AgentMetrics> {
    AGENT
        .get_or_try_init(|| AgentMetrics::register(prometheus::default_registry(), Profile::Latest))
}

/// The process-wide controller metrics (latest profile), registered into
/// [`prometheus::default_registry`] on first use.
///
/// # Errors
/// As for [`agent`].
pub fn controller() -> CoreResult<&'static ControllerMetrics> {
    CONTROLLER.get_or_try_init(|| {
        ControllerMetrics::register(prometheus::default_registry(), Profile::Latest)
    })
}
