//! The agent's families (`antrea_agent_*`), from Antrea v2.7's `pkg/agent/metrics/prometheus.go`
//! and the names documented for v1.11.

use super::{Component, Def, Stability, CONNTRACK_POLL_BUCKETS, DEFAULT_BUCKETS};
use crate::{Counter, EvictionReason, FlowOp, Gauge, Histogram, MeterId, TableLabels, Unit};

families! {
    pub(super) const AGENT_FAMILIES;

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
    .since("v2.5.0");

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
    .labels::<EvictionReason>()
    .startup_all()
    .since("v2.5.3, v2.6.3, v2.7.0");

    /// `antrea_agent_fqdn_cache_size`.
    pub const AGENT_FQDN_CACHE_SIZE: Def<Gauge> = Def::scalar(
        "antrea_agent_fqdn_cache_size",
        Component::Agent,
        Stability::Alpha,
        "Number of domain names which the Antrea Agent tracks for the FQDN rules of the NetworkPolicies applied to local Pods.",
    )
    .since("v2.5.3, v2.6.3, v2.7.0");

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
    pub const AGENT_OVS_FLOW_COUNT: Def<Gauge, TableLabels<'static>> = Def::scalar(
        "antrea_agent_ovs_flow_count",
        Component::Agent,
        Stability::Stable,
        "Flow count for each OVS flow table. The TableID and TableName are used as labels.",
    )
    .labels::<TableLabels<'static>>()
    .since("v0.x");

    /// `antrea_agent_ovs_flow_ops_count`.
    pub const AGENT_OVS_FLOW_OPS_COUNT: Def<Counter, FlowOp> = Def::scalar(
        "antrea_agent_ovs_flow_ops_count",
        Component::Agent,
        Stability::Alpha,
        "Number of OVS flow operations, partitioned by operation type (add, modify and delete).",
    )
    .labels::<FlowOp>()
    .startup_all()
    .since("v0.x");

    /// `antrea_agent_ovs_flow_ops_error_count`.
    pub const AGENT_OVS_FLOW_OPS_ERROR_COUNT: Def<Counter, FlowOp> = Def::scalar(
        "antrea_agent_ovs_flow_ops_error_count",
        Component::Agent,
        Stability::Alpha,
        "Number of OVS flow operation errors, partitioned by operation type (add, modify and delete).",
    )
    .labels::<FlowOp>()
    .startup_all()
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
    .labels::<FlowOp>()
    .startup_all()
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
    .labels::<MeterId>()
    .startup_all()
    .since("v1.13.0");

    /// `antrea_agent_ovs_total_flow_count`.
    pub const AGENT_OVS_TOTAL_FLOW_COUNT: Def<Gauge> = Def::scalar(
        "antrea_agent_ovs_total_flow_count",
        Component::Agent,
        Stability::Stable,
        "Total flow count of all OVS flow tables.",
    )
    .since("v0.x");
}
