//! One handle per value of a closed label set, resolved at registration.

use crate::LabelValue;
use std::fmt;
use std::marker::PhantomData;

/// Handles of type `M` for every value of the label set `L`: `get` is an array index.
///
/// ```
/// use antrea_metrics::{AgentMetrics, FlowOp, Profile};
/// let agent = AgentMetrics::register(&prometheus::Registry::new(), Profile::Latest)?;
/// agent.ovs_flow_ops_count.get(FlowOp::Delete).inc();
/// assert_eq!(agent.ovs_flow_ops_count.get(FlowOp::Delete).get(), 1);
/// assert_eq!(agent.ovs_flow_ops_count.get(FlowOp::Add).get(), 0);
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone)]
pub struct ByLabel<L, M> {
    handles: Box<[M]>,
    label: PhantomData<L>,
}

impl<L: LabelValue, M> ByLabel<L, M> {
    /// Builds one handle per label value, in [`LabelValue::ALL`] order.
    pub(crate) fn new(mut make: impl FnMut(L) -> M) -> Self {
        ByLabel {
            handles: L::ALL.iter().map(|l| make(*l)).collect(),
            label: PhantomData,
        }
    }

    /// The handle for `label`.
    #[inline]
    pub fn get(&self, label: L) -> &M {
        &self.handles[label.index()]
    }

    /// Every label value with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (L, &M)> {
        L::ALL.iter().copied().zip(self.handles.iter())
    }
}

impl<L: LabelValue, M: fmt::Debug> fmt::Debug for ByLabel<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
