//! Antrea's metric families, each declared once as a typed [`Def`]: the handles' construction,
//! registration, the generated reference (`docs/metrics.md`) and the conformance tests all
//! read these declarations. A metric is added here, once, and to the handle struct that
//! exposes it.
//!
//! Facts from Antrea v2.7 (`pkg/agent/metrics/prometheus.go`, `pkg/controller/metrics/prometheus.go`,
//! `pkg/agent/proxy/metrics/metrics.go`) and the names documented for v1.11.

pub use crate::def::Def;
pub use crate::descriptor::Descriptor;
use crate::descriptor::{Component, Stability};
use crate::{
    Counter, EvictionReason, FlowOp, Gauge, Histogram, IpFamily, MeterId, TableLabels, Unit,
};

mod node_ipam;
pub use node_ipam::*;

/// Prometheus' default buckets, which Antrea uses wherever it sets none (even for milliseconds).
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets of `antrea_agent_conntrack_poll_cycle_duration_seconds`.
pub const CONNTRACK_POLL_BUCKETS: [f64; 10] =
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Every family of Antrea's metrics documentation, sorted by name (the Node IPAM families,
/// which it does not list, are in [`NODE_IPAM`]).
pub const CATALOGUE: &[&Descriptor] = &[
    &AGENT_CONNTRACK_ANTREA_CONNECTION_COUNT.desc,
    &AGENT_CONNTRACK_MAX_CONNECTION_COUNT.desc,
    &AGENT_CONNTRACK_POLL_CYCLE_DURATION_SECONDS.desc,
    &AGENT_CONNTRACK_TOTAL_CONNECTION_COUNT.desc,
    &AGENT_DENIED_CONNECTION_COUNT.desc,
    &AGENT_EGRESS_NETWORKPOLICY_RULE_COUNT.desc,
    &AGENT_FLOW_COLLECTOR_RECONNECTION_COUNT.desc,
    &AGENT_FQDN_CACHE_EVICTION_COUNT.desc,
    &AGENT_FQDN_CACHE_SIZE.desc,
    &AGENT_INGRESS_NETWORKPOLICY_RULE_COUNT.desc,
    &AGENT_LOCAL_POD_COUNT.desc,
    &AGENT_NETWORKPOLICY_COUNT.desc,
    &AGENT_OVS_FLOW_COUNT.desc,
    &AGENT_OVS_FLOW_OPS_COUNT.desc,
    &AGENT_OVS_FLOW_OPS_ERROR_COUNT.desc,
    &AGENT_OVS_FLOW_OPS_LATENCY_MILLISECONDS.desc,
    &AGENT_OVS_METER_PACKET_DROPPED_COUNT.desc,
    &AGENT_OVS_TOTAL_FLOW_COUNT.desc,
    &CONTROLLER_ACNP_STATUS_UPDATES.desc,
    &CONTROLLER_ADDRESS_GROUP_PROCESSED.desc,
    &CONTROLLER_ADDRESS_GROUP_SYNC_DURATION_MILLISECONDS.desc,
    &CONTROLLER_ANNP_STATUS_UPDATES.desc,
    &CONTROLLER_APPLIED_TO_GROUP_PROCESSED.desc,
    &CONTROLLER_APPLIED_TO_GROUP_SYNC_DURATION_MILLISECONDS.desc,
    &CONTROLLER_LENGTH_ADDRESS_GROUP_QUEUE.desc,
    &CONTROLLER_LENGTH_APPLIED_TO_GROUP_QUEUE.desc,
    &CONTROLLER_LENGTH_NETWORK_POLICY_QUEUE.desc,
    &CONTROLLER_NETWORK_POLICY_PROCESSED.desc,
    &CONTROLLER_NETWORK_POLICY_SYNC_DURATION_MILLISECONDS.desc,
    &PROXY_SYNC_PROXY_RULES_DURATION_SECONDS.desc,
    &PROXY_TOTAL_ENDPOINTS_INSTALLED.desc,
    &PROXY_TOTAL_ENDPOINTS_UPDATES.desc,
    &PROXY_TOTAL_SERVICES_INSTALLED.desc,
    &PROXY_TOTAL_SERVICES_UPDATES.desc,
];

/// `antrea_agent_conntrack_antrea_connection_count`.
pub const AGENT_CONNTRACK_ANTREA_CONNECTION_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_conntrack_antrea_connection_count",
    Component::Agent,
    Stability::Alpha,
    "Number of connections in the Antrea ZoneID of the conntrack table. This metric gets updated at an interval specified by flowPollInterval, a configuration parameter for the Agent.",
)
.since("v0.x");

/// `antrea_agent_conntrack_max_connection_count`.
pub const AGENT_CONNTRACK_MAX_CONNECTION_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_conntrack_max_connection_count",
    Component::Agent,
    Stability::Alpha,
    "Size of the conntrack table. This metric gets updated at an interval specified by flowPollInterval, a configuration parameter for the Agent.",
)
.since("v0.x");

/// `antrea_agent_conntrack_poll_cycle_duration_seconds`.
pub const AGENT_CONNTRACK_POLL_CYCLE_DURATION_SECONDS: Def<Histogram> = Def::histogram(
    "antrea_agent_conntrack_poll_cycle_duration_seconds",
    Component::Agent,
    Stability::Alpha,
    Unit::Seconds,
    &CONNTRACK_POLL_BUCKETS,
    "Duration of conntrack poll cycles, which includes reading all connections from conntrack and processing them.",
)
.since("v2.5.0")
.absent_in_v1_11();

/// `antrea_agent_conntrack_total_connection_count`.
pub const AGENT_CONNTRACK_TOTAL_CONNECTION_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_conntrack_total_connection_count",
    Component::Agent,
    Stability::Alpha,
    "Number of connections in the conntrack table. This metric gets updated at an interval specified by flowPollInterval, a configuration parameter for the Agent.",
)
.since("v0.x");

/// `antrea_agent_denied_connection_count`.
pub const AGENT_DENIED_CONNECTION_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_denied_connection_count",
    Component::Agent,
    Stability::Alpha,
    "Number of denied connections detected by Flow Exporter deny connections tracking. This metric gets updated when a flow is rejected/dropped by network policy.",
)
.since("v1.1.0");

/// `antrea_agent_egress_networkpolicy_rule_count`.
pub const AGENT_EGRESS_NETWORKPOLICY_RULE_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_egress_networkpolicy_rule_count",
    Component::Agent,
    Stability::Stable,
    "Number of egress NetworkPolicy rules on local Node which are managed by the Antrea Agent.",
)
.since("v0.x");

/// `antrea_agent_flow_collector_reconnection_count`.
pub const AGENT_FLOW_COLLECTOR_RECONNECTION_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_flow_collector_reconnection_count",
    Component::Agent,
    Stability::Alpha,
    "Number of re-connections between Flow Exporter and flow collector. This metric gets updated whenever the connection is re-established between the Flow Exporter and the flow collector (e.g. the Flow Aggregator).",
)
.since("v1.4.0");

/// `antrea_agent_fqdn_cache_eviction_count`.
pub const AGENT_FQDN_CACHE_EVICTION_COUNT: Def<Counter, EvictionReason> = Def::scalar(
    "antrea_agent_fqdn_cache_eviction_count",
    Component::Agent,
    Stability::Alpha,
    "Number of domain names which the Antrea Agent stopped tracking to honor its FQDN tracking limits, partitioned by the limit which was reached (selector_limit and total_limit). A rule stops matching an evicted domain name until a Pod which it selects resolves that name again.",
)
.labels(&["reason"])
.startup(&[&["selector_limit"], &["total_limit"]])
.since("v2.7.0")
.absent_in_v1_11();

/// `antrea_agent_fqdn_cache_size`.
pub const AGENT_FQDN_CACHE_SIZE: Def<Gauge> = Def::scalar(
    "antrea_agent_fqdn_cache_size",
    Component::Agent,
    Stability::Alpha,
    "Number of domain names which the Antrea Agent tracks for the FQDN rules of the NetworkPolicies applied to local Pods.",
)
.since("v2.7.0")
.absent_in_v1_11();

/// `antrea_agent_ingress_networkpolicy_rule_count`.
pub const AGENT_INGRESS_NETWORKPOLICY_RULE_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_ingress_networkpolicy_rule_count",
    Component::Agent,
    Stability::Stable,
    "Number of ingress NetworkPolicy rules on local Node which are managed by the Antrea Agent.",
)
.since("v0.x");

/// `antrea_agent_local_pod_count`.
pub const AGENT_LOCAL_POD_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_local_pod_count",
    Component::Agent,
    Stability::Stable,
    "Number of Pods on local Node which are managed by the Antrea Agent.",
)
.since("v0.x");

/// `antrea_agent_networkpolicy_count`.
pub const AGENT_NETWORKPOLICY_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_networkpolicy_count",
    Component::Agent,
    Stability::Stable,
    "Number of NetworkPolicies on local Node which are managed by the Antrea Agent.",
)
.since("v0.x");

/// `antrea_agent_ovs_flow_count`.
///
/// Note: label table_name added in v1.12.0.
pub const AGENT_OVS_FLOW_COUNT: Def<Gauge, TableLabels> = Def::scalar(
    "antrea_agent_ovs_flow_count",
    Component::Agent,
    Stability::Stable,
    "Flow count for each OVS flow table. The TableID and TableName are used as labels.",
)
.labels(&["table_id", "table_name"])
.since("v0.x")
.v1_11_help("Flow count for each OVS flow table. The TableID is used as a label.")
.v1_11_labels(&["table_id"]);

/// `antrea_agent_ovs_flow_ops_count`.
pub const AGENT_OVS_FLOW_OPS_COUNT: Def<Counter, FlowOp> = Def::scalar(
    "antrea_agent_ovs_flow_ops_count",
    Component::Agent,
    Stability::Alpha,
    "Number of OVS flow operations, partitioned by operation type (add, modify and delete).",
)
.labels(&["operation"])
.startup(&[&["add"], &["modify"], &["delete"]])
.since("v0.x");

/// `antrea_agent_ovs_flow_ops_error_count`.
pub const AGENT_OVS_FLOW_OPS_ERROR_COUNT: Def<Counter, FlowOp> = Def::scalar(
    "antrea_agent_ovs_flow_ops_error_count",
    Component::Agent,
    Stability::Alpha,
    "Number of OVS flow operation errors, partitioned by operation type (add, modify and delete).",
)
.labels(&["operation"])
.startup(&[&["add"], &["modify"], &["delete"]])
.since("v0.x");

/// `antrea_agent_ovs_flow_ops_latency_milliseconds`.
///
/// Note: no explicit buckets in Antrea, so the client library default buckets apply, although the unit is milliseconds.
pub const AGENT_OVS_FLOW_OPS_LATENCY_MILLISECONDS: Def<Histogram, FlowOp> = Def::histogram(
    "antrea_agent_ovs_flow_ops_latency_milliseconds",
    Component::Agent,
    Stability::Alpha,
    Unit::Milliseconds,
    &DEFAULT_BUCKETS,
    "The latency of OVS flow operations, partitioned by operation type (add, modify and delete).",
)
.labels(&["operation"])
.startup(&[&["add"], &["modify"], &["delete"]])
.since("v0.x");

/// `antrea_agent_ovs_meter_packet_dropped_count`.
///
/// Note: a gauge although monotonic: Antrea sets it to the value read from OVS.
pub const AGENT_OVS_METER_PACKET_DROPPED_COUNT: Def<Gauge, MeterId> = Def::scalar(
    "antrea_agent_ovs_meter_packet_dropped_count",
    Component::Agent,
    Stability::Alpha,
    "Number of packets dropped by OVS meter. The value is greater than 0 when the packets exceed the rate-limit.",
)
.labels(&["meter_id"])
.startup(&[&["PacketInMeterNetworkPolicy"], &["PacketInMeterTraceflow"], &["PacketInMeterDNSInterception"]])
.since("v1.13.0")
.absent_in_v1_11();

/// `antrea_agent_ovs_total_flow_count`.
pub const AGENT_OVS_TOTAL_FLOW_COUNT: Def<Gauge> = Def::scalar(
    "antrea_agent_ovs_total_flow_count",
    Component::Agent,
    Stability::Stable,
    "Total flow count of all OVS flow tables.",
)
.since("v0.x");

/// `antrea_controller_acnp_status_updates`.
pub const CONTROLLER_ACNP_STATUS_UPDATES: Def<Counter> = Def::scalar(
    "antrea_controller_acnp_status_updates",
    Component::Controller,
    Stability::Alpha,
    "The total number of actual status updates performed for Antrea ClusterNetworkPolicy Custom Resources",
)
.since("v0.13.0");

/// `antrea_controller_address_group_processed`.
///
/// Note: the trailing space in help is Antrea's own.
pub const CONTROLLER_ADDRESS_GROUP_PROCESSED: Def<Counter> = Def::scalar(
    "antrea_controller_address_group_processed",
    Component::Controller,
    Stability::Stable,
    "The total number of address-group processed ",
)
.since("v0.x");

/// `antrea_controller_address_group_sync_duration_milliseconds`.
pub const CONTROLLER_ADDRESS_GROUP_SYNC_DURATION_MILLISECONDS: Def<Histogram> = Def::histogram(
    "antrea_controller_address_group_sync_duration_milliseconds",
    Component::Controller,
    Stability::Alpha,
    Unit::Milliseconds,
    &DEFAULT_BUCKETS,
    "The duration of syncing address-group",
)
.since("v0.x");

/// `antrea_controller_annp_status_updates`.
///
/// Note: named antrea_controller_anp_status_updates before v1.13.0.
pub const CONTROLLER_ANNP_STATUS_UPDATES: Def<Counter> = Def::scalar(
    "antrea_controller_annp_status_updates",
    Component::Controller,
    Stability::Alpha,
    "The total number of actual status updates performed for Antrea NetworkPolicy Custom Resources",
)
.since("v0.13.0")
.v1_11_name("antrea_controller_anp_status_updates");

/// `antrea_controller_applied_to_group_processed`.
pub const CONTROLLER_APPLIED_TO_GROUP_PROCESSED: Def<Counter> = Def::scalar(
    "antrea_controller_applied_to_group_processed",
    Component::Controller,
    Stability::Stable,
    "The total number of applied-to-group processed",
)
.since("v0.x");

/// `antrea_controller_applied_to_group_sync_duration_milliseconds`.
pub const CONTROLLER_APPLIED_TO_GROUP_SYNC_DURATION_MILLISECONDS: Def<Histogram> = Def::histogram(
    "antrea_controller_applied_to_group_sync_duration_milliseconds",
    Component::Controller,
    Stability::Alpha,
    Unit::Milliseconds,
    &DEFAULT_BUCKETS,
    "The duration of syncing applied-to-group",
)
.since("v0.x");

/// `antrea_controller_length_address_group_queue`.
pub const CONTROLLER_LENGTH_ADDRESS_GROUP_QUEUE: Def<Gauge> = Def::scalar(
    "antrea_controller_length_address_group_queue",
    Component::Controller,
    Stability::Stable,
    "The length of AddressGroupQueue",
)
.since("v0.x");

/// `antrea_controller_length_applied_to_group_queue`.
pub const CONTROLLER_LENGTH_APPLIED_TO_GROUP_QUEUE: Def<Gauge> = Def::scalar(
    "antrea_controller_length_applied_to_group_queue",
    Component::Controller,
    Stability::Stable,
    "The length of AppliedToGroupQueue",
)
.since("v0.x");

/// `antrea_controller_length_network_policy_queue`.
pub const CONTROLLER_LENGTH_NETWORK_POLICY_QUEUE: Def<Gauge> = Def::scalar(
    "antrea_controller_length_network_policy_queue",
    Component::Controller,
    Stability::Stable,
    "The length of InternalNetworkPolicyQueue",
)
.since("v0.x");

/// `antrea_controller_network_policy_processed`.
pub const CONTROLLER_NETWORK_POLICY_PROCESSED: Def<Counter> = Def::scalar(
    "antrea_controller_network_policy_processed",
    Component::Controller,
    Stability::Stable,
    "The total number of internal-networkpolicy processed",
)
.since("v0.x");

/// `antrea_controller_network_policy_sync_duration_milliseconds`.
pub const CONTROLLER_NETWORK_POLICY_SYNC_DURATION_MILLISECONDS: Def<Histogram> = Def::histogram(
    "antrea_controller_network_policy_sync_duration_milliseconds",
    Component::Controller,
    Stability::Alpha,
    Unit::Milliseconds,
    &DEFAULT_BUCKETS,
    "The duration of syncing internal-networkpolicy",
)
.since("v0.x");

/// `antrea_proxy_sync_proxy_rules_duration_seconds`.
///
/// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
pub const PROXY_SYNC_PROXY_RULES_DURATION_SECONDS: Def<Histogram, IpFamily> = Def::histogram(
    "antrea_proxy_sync_proxy_rules_duration_seconds",
    Component::Proxy,
    Stability::Alpha,
    Unit::Seconds,
    &DEFAULT_BUCKETS,
    "SyncProxyRules duration of Antrea Proxy in seconds",
)
.per_ip_family()
.since("v0.x")
.v1_11_help("SyncProxyRules duration of AntreaProxy in seconds");

/// `antrea_proxy_total_endpoints_installed`.
///
/// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
pub const PROXY_TOTAL_ENDPOINTS_INSTALLED: Def<Gauge, IpFamily> = Def::scalar(
    "antrea_proxy_total_endpoints_installed",
    Component::Proxy,
    Stability::Alpha,
    "The number of Endpoints installed by Antrea Proxy",
)
.per_ip_family()
.since("v0.x")
.v1_11_help("The number of Endpoints installed by AntreaProxy");

/// `antrea_proxy_total_endpoints_updates`.
///
/// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
pub const PROXY_TOTAL_ENDPOINTS_UPDATES: Def<Counter, IpFamily> = Def::scalar(
    "antrea_proxy_total_endpoints_updates",
    Component::Proxy,
    Stability::Alpha,
    "The cumulative number of Endpoint updates received by Antrea Proxy",
)
.per_ip_family()
.since("v0.x")
.v1_11_help("The cumulative number of Endpoint updates received by AntreaProxy");

/// `antrea_proxy_total_services_installed`.
///
/// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
pub const PROXY_TOTAL_SERVICES_INSTALLED: Def<Gauge, IpFamily> = Def::scalar(
    "antrea_proxy_total_services_installed",
    Component::Proxy,
    Stability::Alpha,
    "The number of Services installed by Antrea Proxy",
)
.per_ip_family()
.since("v0.x")
.v1_11_help("The number of Services installed by AntreaProxy");

/// `antrea_proxy_total_services_updates`.
///
/// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
pub const PROXY_TOTAL_SERVICES_UPDATES: Def<Counter, IpFamily> = Def::scalar(
    "antrea_proxy_total_services_updates",
    Component::Proxy,
    Stability::Alpha,
    "The cumulative number of Service updates received by Antrea Proxy",
)
.per_ip_family()
.since("v0.x")
.v1_11_help("The cumulative number of Service updates received by AntreaProxy");

/// The descriptor of the family named `name` in the latest release, if Antrea defines one.
///
/// ```
/// use antrea_metrics::catalogue;
/// let d = catalogue::find("antrea_agent_local_pod_count").unwrap();
/// assert_eq!(d.exposed_help(d.help), "[STABLE] Number of Pods on local Node which are managed by the Antrea Agent.");
/// ```
pub fn find(name: &str) -> Option<&'static Descriptor> {
    CATALOGUE.iter().find(|d| d.name == name).copied()
}

/// The families exposed by a component's process for `profile`, sorted by exposed name.
pub fn for_process(component: Component, profile: crate::Profile) -> Vec<&'static Descriptor> {
    let mut v: Vec<_> = CATALOGUE
        .iter()
        .filter(|d| match component {
            Component::Agent | Component::Proxy => d.component != Component::Controller,
            Component::Controller => d.component == Component::Controller,
        })
        .filter(|d| d.exposed(profile).is_some())
        .copied()
        .collect();
    v.sort_by_key(|d| d.exposed(profile).map(|e| e.name));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    #[test]
    fn names_are_unique_and_sorted() {
        for w in CATALOGUE.windows(2) {
            assert!(w[0].name < w[1].name, "{} then {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn counts_match_antrea() {
        let count = |c| CATALOGUE.iter().filter(|d| d.component == c).count();
        assert_eq!(count(Component::Agent), 18);
        assert_eq!(count(Component::Controller), 11);
        assert_eq!(count(Component::Proxy), 5);
        assert_eq!(for_process(Component::Agent, Profile::Latest).len(), 23);
        assert_eq!(for_process(Component::Agent, Profile::V1_11).len(), 19);
    }

    #[test]
    fn histograms_and_only_histograms_have_buckets() {
        for d in CATALOGUE {
            let is_hist = d.metric_type == crate::MetricType::Histogram;
            assert_eq!(is_hist, !d.buckets.is_empty(), "{}", d.name);
            assert!(d.buckets.windows(2).all(|w| w[0] < w[1]), "{}", d.name);
        }
    }
}
