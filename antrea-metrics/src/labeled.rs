//! Handles selected by a family's label set: every series of a closed set resolved at
//! registration ([`ByLabel`]), a closed set's series made on first use ([`OnDemand`]), or any
//! label set's, open ones included ([`Labeled`]).

use crate::family::Family;
use crate::labels::{ClosedLabelSet, LabelSet};
use crate::store::Store;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// Handles of type `M` for every value of the closed label set `L`: `get` is an array index.
///
/// ```
/// use antrea_metrics::{AgentMetrics, FlowOp, Profile};
/// let agent = AgentMetrics::register(&prometheus::Registry::new(), Profile::Latest)?;
/// agent.ovs_flow_ops_count.get(FlowOp::Delete).inc();
/// assert_eq!(agent.ovs_flow_ops_count.get(FlowOp::Delete).get(), 1);
/// assert_eq!(agent.ovs_flow_ops_count.get(FlowOp::Add).get(), 0);
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
///
/// The label set is part of the type: a value of another label, or a second label, does not
/// compile.
///
/// ```compile_fail
/// use antrea_metrics::{AgentMetrics, MeterId, Profile};
/// let agent = AgentMetrics::unregistered(Profile::Latest)?;
/// // `operation` takes a `FlowOp`, not a meter id.
/// agent.ovs_flow_ops_count.get(MeterId::PacketInMeterTraceflow).inc();
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
///
/// ```compile_fail
/// use antrea_metrics::{AgentMetrics, FlowOp, IpFamily, Profile};
/// let agent = AgentMetrics::unregistered(Profile::Latest)?;
/// // One label, `operation`: two values do not fit.
/// agent.ovs_flow_ops_count.get((FlowOp::Add, IpFamily::V4)).inc();
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone)]
pub struct ByLabel<L, M> {
    handles: Box<[M]>,
    label: PhantomData<fn() -> L>,
}

impl<L: ClosedLabelSet, M> ByLabel<L, M> {
    /// Builds one handle per label set, in index order.
    pub(crate) fn new(mut make: impl FnMut(L) -> M) -> Self {
        ByLabel {
            handles: (0..L::COUNT)
                .filter_map(L::from_index)
                .map(&mut make)
                .collect(),
            label: PhantomData,
        }
    }

    /// The handle for `label`.
    #[inline]
    pub fn get(&self, label: L) -> &M {
        &self.handles[label.index()]
    }

    /// Every label set with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (L, &M)> {
        (0..L::COUNT)
            .filter_map(L::from_index)
            .zip(self.handles.iter())
    }
}

impl<L: ClosedLabelSet, M: fmt::Debug> fmt::Debug for ByLabel<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A created family whose series are selected by label sets of type `L`, made on demand.
pub(crate) struct Labeled<K, L> {
    family: Arc<Family<K>>,
    /// Covariant, so that a family of `TableLabels<'static>` takes any borrowed name.
    labels: PhantomData<fn() -> L>,
}

impl<K: Store, L: LabelSet> Labeled<K, L> {
    pub(crate) fn new(family: Arc<Family<K>>) -> Self {
        Labeled {
            family,
            labels: PhantomData,
        }
    }

    /// The series of `labels`, created at 0 on first use.
    pub(crate) fn series(&self, labels: L) -> K {
        self.family.series(&labels)
    }
}

impl<K, L> Clone for Labeled<K, L> {
    fn clone(&self) -> Self {
        Labeled {
            family: self.family.clone(),
            labels: PhantomData,
        }
    }
}

impl<K: Store, L> fmt::Debug for Labeled<K, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Labeled").field(&self.family).finish()
    }
}

#[cfg(feature = "server")]
pub(crate) use on_demand::OnDemand;

#[cfg(feature = "server")]
mod on_demand {
    use super::Labeled;
    use crate::labels::ClosedLabelSet;
    use crate::store::Store;
    use std::fmt;
    use std::sync::{Arc, OnceLock};

    /// The series of a closed label set, each made on its first use (so that only the ones used
    /// are exposed) and found by index after that: no lock, no allocation.
    pub(crate) struct OnDemand<K, L> {
        family: Labeled<K, L>,
        series: Arc<[OnceLock<K>]>,
    }

    impl<K: Store, L: ClosedLabelSet> OnDemand<K, L> {
        pub(crate) fn new(family: Labeled<K, L>) -> Self {
            OnDemand {
                family,
                series: (0..L::COUNT).map(|_| OnceLock::new()).collect(),
            }
        }

        /// The series of `labels`, created at 0 on first use.
        #[inline]
        pub(crate) fn get(&self, labels: L) -> &K {
            self.series[labels.index()].get_or_init(|| self.family.series(labels))
        }
    }

    impl<K, L> Clone for OnDemand<K, L> {
        fn clone(&self) -> Self {
            OnDemand {
                family: self.family.clone(),
                series: self.series.clone(),
            }
        }
    }

    impl<K: Store, L> fmt::Debug for OnDemand<K, L> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("OnDemand").field(&self.family).finish()
        }
    }
}
