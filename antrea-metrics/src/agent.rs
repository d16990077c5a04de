//! The agent process's handles: every `antrea_agent_*` family plus Antrea Proxy's.

use crate::catalogue as cat;
use crate::collector::ComponentCollector;
use crate::descriptor::Component;
use crate::format::Format;
use crate::{
    ByLabel, Counter, CounterMode, EvictionReason, Exposition, FlowOp, Gauge, Histogram,
    LabelValue, MeterId, NativeHistograms, OvsFlowCount, Profile, ProxyMetrics, Result,
};

/// Every metric an Antrea agent process exposes, as typed handles.
///
/// Registering resolves every closed label value to its own handle, so an update is an array
/// index plus one atomic operation. Clones share the same values.
///
/// ```
/// use antrea_metrics::{AgentMetrics, FlowOp, Profile};
/// let registry = prometheus::Registry::new();
/// let agent = AgentMetrics::register(&registry, Profile::Latest)?;
/// agent.local_pod_count.set(3.0);
/// agent.ovs_flow_ops_count.get(FlowOp::Add).inc();
/// agent.ovs_flow_ops_latency_milliseconds.get(FlowOp::Add).observe(0.7);
///
/// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
/// assert!(text.contains("antrea_agent_local_pod_count 3\n"));
/// assert!(text.contains("antrea_agent_ovs_flow_ops_count{operation=\"add\"} 1\n"));
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AgentMetrics {
    /// Connections in the Antrea conntrack zone, set every flow poll interval.
    pub conntrack_antrea_connection_count: Gauge,
    /// Size of the conntrack table (`nf_conntrack_max`).
    pub conntrack_max_connection_count: Gauge,
    /// Duration of one conntrack poll cycle (since Antrea v2.5).
    pub conntrack_poll_cycle_duration_seconds: Histogram,
    /// Connections in the whole conntrack table.
    pub conntrack_total_connection_count: Gauge,
    /// Denied connections seen by the Flow Exporter.
    pub denied_connection_count: Gauge,
    /// Egress NetworkPolicy rules on this Node.
    pub egress_networkpolicy_rule_count: Gauge,
    /// Re-connections between the Flow Exporter and its collector.
    pub flow_collector_reconnection_count: Gauge,
    /// Domain names evicted from the FQDN cache, by the limit reached (since v2.7).
    pub fqdn_cache_eviction_count: ByLabel<EvictionReason, Counter>,
    /// Domain names tracked for FQDN rules (since v2.7).
    pub fqdn_cache_size: Gauge,
    /// Ingress NetworkPolicy rules on this Node.
    pub ingress_networkpolicy_rule_count: Gauge,
    /// Pods on this Node managed by the agent.
    pub local_pod_count: Gauge,
    /// NetworkPolicies on this Node.
    pub networkpolicy_count: Gauge,
    /// Flow count per OVS table.
    pub ovs_flow_count: OvsFlowCount,
    /// OVS flow operations, by operation.
    pub ovs_flow_ops_count: ByLabel<FlowOp, Counter>,
    /// Failed OVS flow operations, by operation.
    pub ovs_flow_ops_error_count: ByLabel<FlowOp, Counter>,
    /// Latency of OVS flow operations in milliseconds, by operation.
    pub ovs_flow_ops_latency_milliseconds: ByLabel<FlowOp, Histogram>,
    /// Packets dropped by each OVS packet-in meter (a value read from OVS, hence a gauge).
    pub ovs_meter_packet_dropped_count: ByLabel<MeterId, Gauge>,
    /// Flows in all OVS tables.
    pub ovs_total_flow_count: Gauge,
    /// Antrea Proxy, which runs inside the agent.
    pub proxy: ProxyMetrics,
    collector: ComponentCollector,
}

impl AgentMetrics {
    /// Creates the agent's metrics and registers them into `registry`, all or nothing.
    ///
    /// # Errors
    /// [`crate::Error::Register`] when `registry` already has one of these families, for
    /// instance when the agent's metrics were registered there before.
    pub fn register(registry: &prometheus::Registry, profile: Profile) -> Result<Self> {
        Self::register_with(registry, profile, CounterMode::Plain)
    }

    /// Like [`AgentMetrics::register`], with every counter kept as `counters` says.
    ///
    /// # Errors
    /// As [`AgentMetrics::register`].
    pub fn register_with(
        registry: &prometheus::Registry,
        profile: Profile,
        counters: CounterMode,
    ) -> Result<Self> {
        let agent = Self::unregistered_with(profile, counters)?;
        agent.collector.register(registry)?;
        Ok(agent)
    }

    /// Creates the agent's metrics without registering them anywhere; serve them with
    /// [`Exposition::encode_text`], or register [`AgentMetrics::collector`] yourself.
    ///
    /// # Errors
    /// [`crate::Error::Register`] if a descriptor is invalid (never for the built-in table).
    pub fn unregistered(profile: Profile) -> Result<Self> {
        Self::unregistered_with(profile, CounterMode::Plain)
    }

    /// Like [`AgentMetrics::unregistered`], with every counter kept as `counters` says.
    ///
    /// # Errors
    /// As [`AgentMetrics::unregistered`].
    pub fn unregistered_with(profile: Profile, counters: CounterMode) -> Result<Self> {
        Self::unregistered_with_native(profile, counters, &NativeHistograms::none())
    }

    /// Like [`AgentMetrics::unregistered_with`], with native buckets for the histogram families
    /// `native` selects (serve them in the protobuf format: the text format has no place for
    /// them).
    ///
    /// # Errors
    /// As [`AgentMetrics::unregistered`].
    pub fn unregistered_with_native(
        profile: Profile,
        counters: CounterMode,
        native: &NativeHistograms,
    ) -> Result<Self> {
        let c = ComponentCollector::new(Component::Agent, profile, counters, native)?;
        let gauge = |d: &cat::Descriptor| c.family(d.name).gauge(&[]);
        let by_op_counter = |d: &cat::Descriptor| {
            ByLabel::new(|op: FlowOp| c.family(d.name).counter(&[op.as_str()]))
        };
        Ok(AgentMetrics {
            conntrack_antrea_connection_count: gauge(&cat::AGENT_CONNTRACK_ANTREA_CONNECTION_COUNT),
            conntrack_max_connection_count: gauge(&cat::AGENT_CONNTRACK_MAX_CONNECTION_COUNT),
            conntrack_poll_cycle_duration_seconds: c
                .family(cat::AGENT_CONNTRACK_POLL_CYCLE_DURATION_SECONDS.name)
                .histogram(&[]),
            conntrack_total_connection_count: gauge(&cat::AGENT_CONNTRACK_TOTAL_CONNECTION_COUNT),
            denied_connection_count: gauge(&cat::AGENT_DENIED_CONNECTION_COUNT),
            egress_networkpolicy_rule_count: gauge(&cat::AGENT_EGRESS_NETWORKPOLICY_RULE_COUNT),
            flow_collector_reconnection_count: gauge(&cat::AGENT_FLOW_COLLECTOR_RECONNECTION_COUNT),
            fqdn_cache_eviction_count: ByLabel::new(|r: EvictionReason| {
                c.family(cat::AGENT_FQDN_CACHE_EVICTION_COUNT.name)
                    .counter(&[r.as_str()])
            }),
            fqdn_cache_size: gauge(&cat::AGENT_FQDN_CACHE_SIZE),
            ingress_networkpolicy_rule_count: gauge(&cat::AGENT_INGRESS_NETWORKPOLICY_RULE_COUNT),
            local_pod_count: gauge(&cat::AGENT_LOCAL_POD_COUNT),
            networkpolicy_count: gauge(&cat::AGENT_NETWORKPOLICY_COUNT),
            ovs_flow_count: OvsFlowCount::new(c.clone()),
            ovs_flow_ops_count: by_op_counter(&cat::AGENT_OVS_FLOW_OPS_COUNT),
            ovs_flow_ops_error_count: by_op_counter(&cat::AGENT_OVS_FLOW_OPS_ERROR_COUNT),
            ovs_flow_ops_latency_milliseconds: ByLabel::new(|op: FlowOp| {
                c.family(cat::AGENT_OVS_FLOW_OPS_LATENCY_MILLISECONDS.name)
                    .histogram(&[op.as_str()])
            }),
            ovs_meter_packet_dropped_count: ByLabel::new(|m: MeterId| {
                c.family(cat::AGENT_OVS_METER_PACKET_DROPPED_COUNT.name)
                    .gauge(&[m.as_str()])
            }),
            ovs_total_flow_count: gauge(&cat::AGENT_OVS_TOTAL_FLOW_COUNT),
            proxy: ProxyMetrics::from_collector(&c),
            collector: c,
        })
    }

    /// The collector holding every family, to register into another registry or serve directly.
    pub fn collector(&self) -> &ComponentCollector {
        &self.collector
    }

    /// The profile these metrics are exposed as.
    pub fn profile(&self) -> Profile {
        self.collector.profile()
    }
}

impl Exposition for AgentMetrics {
    fn encode_text(&self, out: &mut Vec<u8>) -> Result<()> {
        self.collector.encode_text(out)
    }

    fn supports(&self, format: Format) -> bool {
        self.collector.supports(format)
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> Result<()> {
        self.collector.encode(format, out)
    }
}
