//! The agent process's handles: every `antrea_agent_*` family plus Antrea Proxy's.

use crate::catalogue as cat;
use crate::collector::ComponentCollector;
use crate::descriptor::Component;
use crate::error::CoreResult;
use crate::proxy::ProxyHandles;
use crate::registration::{metric_set, private, Families};
use crate::{
    Builder, ByLabel, Counter, EvictionReason, FlowOp, Gauge, Histogram, MeterId, OvsFlowCount,
    Pipeline,
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
    /// Domain names evicted from the FQDN cache, by the limit reached (since v2.7.0, v2.6.3 and
    /// v2.5.3, released the same day).
    pub fqdn_cache_eviction_count: ByLabel<EvictionReason, Counter>,
    /// Domain names tracked for FQDN rules (since v2.7.0, v2.6.3 and v2.5.3).
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
    /// Antrea Proxy, which runs inside the agent. Without it
    /// ([`Builder::antrea_proxy`](crate::Builder::antrea_proxy)`(false)`) these handles still
    /// work but are exposed nowhere, as Antrea's proxy metric variables exist unregistered then.
    pub proxy: ProxyHandles,
    antrea_proxy: bool,
    collector: ComponentCollector,
}

metric_set!(AgentMetrics);

impl Builder<AgentMetrics> {
    /// Whether the agent runs Antrea Proxy (default: yes, as Antrea, where `antreaProxy.enable`
    /// and the `AntreaProxy` feature gate default to true). Without it, no `antrea_proxy_*`
    /// family is registered or exposed: Antrea registers them only when it creates its proxier
    /// (`NewProxyServer` calls `metrics.Register()`, v2.7.0 `pkg/agent/proxy/proxier.go`).
    ///
    /// ```
    /// use antrea_metrics::{AgentMetrics, Exposition};
    /// let agent = AgentMetrics::builder().antrea_proxy(false).build()?;
    /// assert!(!agent.runs_antrea_proxy());
    /// let mut out = Vec::new();
    /// agent.encode(antrea_metrics::format::Format::Text, &mut out)?;
    /// assert!(!String::from_utf8_lossy(&out).contains("antrea_proxy_"));
    /// # Ok::<(), antrea_metrics::Error>(())
    /// ```
    pub fn antrea_proxy(mut self, enabled: bool) -> Self {
        self.options.antrea_proxy = enabled;
        self
    }
}

impl private::Create for AgentMetrics {
    const COMPONENT: Component = Component::Agent;

    fn create(mut f: Families<'_>) -> CoreResult<Self> {
        Ok(AgentMetrics {
            conntrack_antrea_connection_count: f.one(&cat::AGENT_CONNTRACK_ANTREA_CONNECTION_COUNT),
            conntrack_max_connection_count: f.one(&cat::AGENT_CONNTRACK_MAX_CONNECTION_COUNT),
            conntrack_poll_cycle_duration_seconds: f
                .one(&cat::AGENT_CONNTRACK_POLL_CYCLE_DURATION_SECONDS),
            conntrack_total_connection_count: f.one(&cat::AGENT_CONNTRACK_TOTAL_CONNECTION_COUNT),
            denied_connection_count: f.one(&cat::AGENT_DENIED_CONNECTION_COUNT),
            egress_networkpolicy_rule_count: f.one(&cat::AGENT_EGRESS_NETWORKPOLICY_RULE_COUNT),
            flow_collector_reconnection_count: f.one(&cat::AGENT_FLOW_COLLECTOR_RECONNECTION_COUNT),
            fqdn_cache_eviction_count: f.by_label(&cat::AGENT_FQDN_CACHE_EVICTION_COUNT),
            fqdn_cache_size: f.one(&cat::AGENT_FQDN_CACHE_SIZE),
            ingress_networkpolicy_rule_count: f.one(&cat::AGENT_INGRESS_NETWORKPOLICY_RULE_COUNT),
            local_pod_count: f.one(&cat::AGENT_LOCAL_POD_COUNT),
            networkpolicy_count: f.one(&cat::AGENT_NETWORKPOLICY_COUNT),
            ovs_flow_count: OvsFlowCount::new(f.add(&cat::AGENT_OVS_FLOW_COUNT)),
            ovs_flow_ops_count: f.by_label(&cat::AGENT_OVS_FLOW_OPS_COUNT),
            ovs_flow_ops_error_count: f.by_label(&cat::AGENT_OVS_FLOW_OPS_ERROR_COUNT),
            ovs_flow_ops_latency_milliseconds: f
                .by_label(&cat::AGENT_OVS_FLOW_OPS_LATENCY_MILLISECONDS),
            ovs_meter_packet_dropped_count: f.by_label(&cat::AGENT_OVS_METER_PACKET_DROPPED_COUNT),
            ovs_total_flow_count: f.one(&cat::AGENT_OVS_TOTAL_FLOW_COUNT),
            proxy: if f.options().antrea_proxy {
                ProxyHandles::create(&mut f)
            } else {
                // Created apart and never collected: the handles work, nothing exposes them.
                let options = f.options().clone();
                ProxyHandles::create(&mut Families::new(&options, Component::Proxy.as_str()))
            },
            antrea_proxy: f.options().antrea_proxy,
            collector: f.finish()?,
        })
    }
}

impl AgentMetrics {
    /// Whether the agent was built with Antrea Proxy, whose families it then exposes.
    pub fn runs_antrea_proxy(&self) -> bool {
        self.antrea_proxy
    }

    /// Records that OVS (re)connected, as Antrea does on every OpenFlow connection: a 0 series
    /// of `antrea_agent_ovs_flow_count` for every table of `pipeline`, then
    /// `antrea_agent_ovs_total_flow_count` at 0. Antrea installs each table's default flows
    /// right after; set those counts as usual.
    ///
    /// ```
    /// use antrea_metrics::{AgentMetrics, Exposition, Pipeline, Profile};
    /// let agent = AgentMetrics::unregistered(Profile::Latest)?;
    /// agent.ovs_connected(&Pipeline::antrea_default());
    /// let mut out = Vec::new();
    /// agent.encode(antrea_metrics::format::Format::Text, &mut out)?;
    /// let text = String::from_utf8_lossy(&out);
    /// assert!(text.contains("antrea_agent_ovs_flow_count{table_id=\"28\",table_name=\"Output\"} 0\n"));
    /// assert!(text.contains("antrea_agent_ovs_total_flow_count 0\n"));
    /// # Ok::<(), antrea_metrics::Error>(())
    /// ```
    pub fn ovs_connected(&self, pipeline: &Pipeline) {
        for (id, name) in pipeline.tables() {
            self.ovs_flow_count.set(id, name, 0.0);
        }
        self.ovs_total_flow_count.set(0.0);
    }
}
