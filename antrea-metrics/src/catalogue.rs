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

mod agent;
mod controller;
mod node_ipam;
mod proxy;
pub use agent::*;
pub use controller::*;
pub use node_ipam::*;
pub use proxy::*;

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
            Component::Agent | Component::Proxy => d.component != Some(Component::Controller),
            Component::Controller => d.component == Some(Component::Controller),
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
        let count = |c| CATALOGUE.iter().filter(|d| d.component == Some(c)).count();
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
