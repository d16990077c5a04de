//! A realistic agent for benchmarks and load runs: every agent and proxy family with values,
//! 256 OVS tables with flows and observed histograms; and the same series as native
//! `prometheus` 0.14 metrics, for comparing exposition paths on equal content.

use antrea_metrics::prometheus::core::Collector;
use antrea_metrics::prometheus::proto::MetricType;
use antrea_metrics::prometheus::{self, HistogramOpts, Opts, Registry};
use antrea_metrics::{AgentMetrics, EvictionReason, FlowOp, IpFamily, LabelValue, MeterId};
use antrea_metrics::{Pipeline, Profile, TableId};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Tables that Antrea's features add to a default agent's pipeline, each after the table it
/// follows in Antrea's declaration order: with all of them, the 40 tables `antrea-ref -drive`
/// exposes (IPv6, proxyAll, DSR, Egress QoS, TrafficControl, VLAN, Multicast).
const FEATURE_TABLES: [(&str, &[&str]); 8] = [
    ("SpoofGuard", &["IPv6", "PipelineIPClassifier"]),
    ("PreRoutingClassifier", &["NodePortMark"]),
    ("ServiceLB", &["DSRServiceMark"]),
    ("EndpointDNAT", &["DNAT", "EgressSecurityClassifier"]),
    ("EgressMark", &["EgressQoS"]),
    ("L2ForwardingCalc", &["TrafficControl"]),
    ("ConntrackCommit", &["VLAN"]),
    ("Output", &["MulticastEgressRule", "MulticastRouting"]),
];

/// Antrea's pipeline with every feature on, described from the library's default pipeline.
static PIPELINE: LazyLock<Pipeline> = LazyLock::new(|| {
    let add = |p: Pipeline, (after, tables): &(&str, &'static [&'static str])| {
        p.with_after(after, tables.iter().copied())
    };
    FEATURE_TABLES
        .iter()
        .try_fold(Pipeline::antrea_default(), add)
        .unwrap_or_else(|e| panic!("the realistic pipeline is valid: {e}"))
});

/// Tables of the realistic agent: every id an OVS table can have.
pub const ALL_TABLES: u16 = 256;

/// Tables of Antrea's pipeline with every feature on (what `antrea-ref -drive` exposes).
pub const PIPELINE_TABLES: u16 = 40;

/// The name of OVS table `id`: Antrea's for its pipeline's tables, `Table{id}` beyond.
pub fn table_name(id: u8) -> Cow<'static, str> {
    PIPELINE
        .name(TableId(id))
        .map_or_else(|| format!("Table{id}").into(), Cow::Borrowed)
}

/// An unregistered agent (latest profile) with every series moving and all 256 OVS tables.
pub fn agent() -> AgentMetrics {
    agent_with_tables(ALL_TABLES)
}

/// An unregistered agent (latest profile) with every series moving and `tables` OVS tables.
pub fn agent_with_tables(tables: u16) -> AgentMetrics {
    let agent = AgentMetrics::unregistered(Profile::Latest)
        .unwrap_or_else(|e| panic!("the built-in catalogue registers: {e}"));
    populate(&agent, tables);
    agent
}

/// Sets every agent and proxy family of `agent` to non-trivial values, with flows in tables
/// `0..tables` (at most 256).
pub fn populate(agent: &AgentMetrics, tables: u16) {
    for (i, g) in [
        &agent.conntrack_antrea_connection_count,
        &agent.conntrack_max_connection_count,
        &agent.conntrack_total_connection_count,
        &agent.denied_connection_count,
        &agent.egress_networkpolicy_rule_count,
        &agent.flow_collector_reconnection_count,
        &agent.fqdn_cache_size,
        &agent.ingress_networkpolicy_rule_count,
        &agent.local_pod_count,
        &agent.networkpolicy_count,
    ]
    .into_iter()
    .enumerate()
    {
        g.set(1000.0 * i as f64 + 17.0);
    }
    agent.conntrack_max_connection_count.set(262_144.0);
    for r in EvictionReason::ALL {
        agent.fqdn_cache_eviction_count.get(*r).inc_by(3);
    }
    for (i, m) in MeterId::ALL.iter().enumerate() {
        agent
            .ovs_meter_packet_dropped_count
            .get(*m)
            .set(i as f64 * 7.0);
    }
    let mut total = 0.0;
    for id in (0..tables.min(ALL_TABLES)).filter_map(|t| u8::try_from(t).ok()) {
        let flows = f64::from(id) * 13.0 + 2.0;
        agent
            .ovs_flow_count
            .set(TableId(id), &table_name(id), flows);
        total += flows;
    }
    agent.ovs_total_flow_count.set(total);
    for (k, op) in FlowOp::ALL.iter().enumerate() {
        agent
            .ovs_flow_ops_count
            .get(*op)
            .inc_by(123_456 * (k as u64 + 1));
        agent.ovs_flow_ops_error_count.get(*op).inc_by(k as u64);
        let h = agent.ovs_flow_ops_latency_milliseconds.get(*op);
        (0..500).for_each(|i| h.observe(f64::from(i) * 0.031 * (k as f64 + 1.0)));
    }
    (0..200).for_each(|i| {
        (agent.conntrack_poll_cycle_duration_seconds).observe(f64::from(i) * 0.013);
    });
    for fam in IpFamily::ALL {
        let p = agent.proxy.family(*fam);
        p.total_endpoints_installed.set(450.0);
        p.total_services_installed.set(120.0);
        p.total_endpoints_updates.inc_by(9_876);
        p.total_services_updates.inc_by(1_234);
        (0..300).for_each(|i| {
            p.sync_proxy_rules_duration_seconds
                .observe(f64::from(i) * 0.002)
        });
    }
}

/// The series of `agent` re-created as native `prometheus` 0.14 metrics in a fresh registry:
/// same names, HELP texts, labels, bucket counts and values (histogram sums differ slightly:
/// each bucket is refilled with observations at its upper bound).
pub fn native_registry(agent: &AgentMetrics) -> Registry {
    let registry = Registry::new();
    for mf in agent.collector().collect() {
        let labels: Vec<&str> = mf.get_metric().first().map_or(Vec::new(), |m| {
            m.get_label().iter().map(|l| l.name()).collect()
        });
        let opts = Opts::new(mf.name(), mf.help());
        let values = |m: &prometheus::proto::Metric| -> Vec<String> {
            m.get_label().iter().map(|l| l.value().to_owned()).collect()
        };
        let collector: Box<dyn Collector> = match mf.get_field_type() {
            MetricType::COUNTER => {
                let vec = prometheus::IntCounterVec::new(opts, &labels).unwrap_or_else(fail);
                for m in mf.get_metric() {
                    let v = values(m);
                    let v: Vec<&str> = v.iter().map(String::as_str).collect();
                    vec.with_label_values(&v).inc_by(m.counter.value() as u64);
                }
                Box::new(vec)
            }
            MetricType::GAUGE => {
                let vec = prometheus::GaugeVec::new(opts, &labels).unwrap_or_else(fail);
                for m in mf.get_metric() {
                    let v = values(m);
                    let v: Vec<&str> = v.iter().map(String::as_str).collect();
                    vec.with_label_values(&v).set(m.gauge.value());
                }
                Box::new(vec)
            }
            _ => {
                let first = mf.get_metric().first().map(|m| m.get_histogram());
                let bounds: Vec<f64> = first.map_or(Vec::new(), |h| {
                    h.get_bucket().iter().map(|b| b.upper_bound()).collect()
                });
                let hopts = HistogramOpts::from(opts).buckets(bounds.clone());
                let vec = prometheus::HistogramVec::new(hopts, &labels).unwrap_or_else(fail);
                for m in mf.get_metric() {
                    let v = values(m);
                    let v: Vec<&str> = v.iter().map(String::as_str).collect();
                    let child = vec.with_label_values(&v);
                    let h = m.get_histogram();
                    let mut seen = 0;
                    for (b, le) in h.get_bucket().iter().zip(&bounds) {
                        (seen..b.cumulative_count()).for_each(|_| child.observe(*le));
                        seen = b.cumulative_count();
                    }
                    (seen..h.get_sample_count()).for_each(|_| child.observe(1e9));
                }
                Box::new(vec)
            }
        };
        registry.register(collector).unwrap_or_else(fail);
    }
    registry
}

fn fail<T>(e: prometheus::Error) -> T {
    panic!("native mirror of the agent: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_extends_the_default_one() {
        assert_eq!(PIPELINE.len(), usize::from(PIPELINE_TABLES));
        assert_eq!(table_name(3), "Classifier");
        assert_eq!(table_name(17), "EgressSecurityClassifier");
        assert_eq!(table_name(29), "TrafficControl");
        assert_eq!(table_name(39), "MulticastRouting");
        assert_eq!(table_name(40), "Table40");
        let default = Pipeline::antrea_default();
        let kept: Vec<&str> = PIPELINE
            .tables()
            .map(|(_, t)| t)
            .filter(|t| default.id(t).is_some())
            .collect();
        let want: Vec<&str> = default.tables().map(|(_, t)| t).collect();
        assert_eq!(kept, want);
    }
}
