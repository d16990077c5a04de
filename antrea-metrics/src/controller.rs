//! The controller process's handles: every `antrea_controller_*` family.

use crate::catalogue as cat;
use crate::collector::ComponentCollector;
use crate::descriptor::Component;
use crate::error::CoreResult;
use crate::registration::{metric_set, private, Families};
use crate::{Builder, Counter, Gauge, Histogram, NodeIpamMetrics};

/// Every metric an Antrea controller process exposes, as typed handles.
///
/// ```
/// use antrea_metrics::{ControllerMetrics, Exposition, Profile};
/// let controller = ControllerMetrics::register(&prometheus::Registry::new(), Profile::V1_11)?;
/// controller.annp_status_updates.inc();
/// let mut out = Vec::new();
/// controller.encode(antrea_metrics::format::Format::Text, &mut out)?;
/// // v1.11 named this family antrea_controller_anp_status_updates.
/// assert!(String::from_utf8_lossy(&out).contains("antrea_controller_anp_status_updates 1\n"));
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    /// Status updates of Antrea ClusterNetworkPolicies.
    pub acnp_status_updates: Counter,
    /// Address groups processed.
    pub address_group_processed: Counter,
    /// Time to sync one address group, in milliseconds.
    pub address_group_sync_duration_milliseconds: Histogram,
    /// Status updates of Antrea NetworkPolicies (`anp` in v1.11).
    pub annp_status_updates: Counter,
    /// Applied-to groups processed.
    pub applied_to_group_processed: Counter,
    /// Time to sync one applied-to group, in milliseconds.
    pub applied_to_group_sync_duration_milliseconds: Histogram,
    /// Length of the address group queue.
    pub length_address_group_queue: Gauge,
    /// Length of the applied-to group queue.
    pub length_applied_to_group_queue: Gauge,
    /// Length of the internal NetworkPolicy queue.
    pub length_network_policy_queue: Gauge,
    /// Internal NetworkPolicies processed.
    pub network_policy_processed: Counter,
    /// Time to sync one internal NetworkPolicy, in milliseconds.
    pub network_policy_sync_duration_milliseconds: Histogram,
    /// Antrea's Node IPAM controller, when the builder enabled it
    /// ([`Builder::node_ipam`](crate::Builder::node_ipam)); `None` otherwise, as in Antrea,
    /// where Node IPAM is off by default.
    pub node_ipam: Option<NodeIpamMetrics>,
    collector: ComponentCollector,
}

metric_set!(ControllerMetrics);

impl Builder<ControllerMetrics> {
    /// Whether the controller runs Antrea's Node IPAM controller (off by default, as in
    /// Antrea): its `antrea_node_ipam_controller_cidrset_*` families, in
    /// [`ControllerMetrics::node_ipam`](ControllerMetrics::node_ipam).
    pub fn node_ipam(mut self, enabled: bool) -> Self {
        self.options.node_ipam = enabled;
        self
    }
}

impl private::Create for ControllerMetrics {
    const COMPONENT: Component = Component::Controller;

    fn create(mut f: Families<'_>) -> CoreResult<Self> {
        let node_ipam = f
            .options()
            .node_ipam
            .then(|| NodeIpamMetrics::create(&mut f));
        Ok(ControllerMetrics {
            acnp_status_updates: f.one(&cat::CONTROLLER_ACNP_STATUS_UPDATES),
            address_group_processed: f.one(&cat::CONTROLLER_ADDRESS_GROUP_PROCESSED),
            address_group_sync_duration_milliseconds: f
                .one(&cat::CONTROLLER_ADDRESS_GROUP_SYNC_DURATION_MILLISECONDS),
            annp_status_updates: f.one(&cat::CONTROLLER_ANNP_STATUS_UPDATES),
            applied_to_group_processed: f.one(&cat::CONTROLLER_APPLIED_TO_GROUP_PROCESSED),
            applied_to_group_sync_duration_milliseconds: f
                .one(&cat::CONTROLLER_APPLIED_TO_GROUP_SYNC_DURATION_MILLISECONDS),
            length_address_group_queue: f.one(&cat::CONTROLLER_LENGTH_ADDRESS_GROUP_QUEUE),
            length_applied_to_group_queue: f.one(&cat::CONTROLLER_LENGTH_APPLIED_TO_GROUP_QUEUE),
            length_network_policy_queue: f.one(&cat::CONTROLLER_LENGTH_NETWORK_POLICY_QUEUE),
            network_policy_processed: f.one(&cat::CONTROLLER_NETWORK_POLICY_PROCESSED),
            network_policy_sync_duration_milliseconds: f
                .one(&cat::CONTROLLER_NETWORK_POLICY_SYNC_DURATION_MILLISECONDS),
            node_ipam,
            collector: f.finish()?,
        })
    }
}
