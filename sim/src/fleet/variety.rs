//! Node-to-Node variety: every Node's model settings drawn around the fleet's means, from the
//! fleet seed and the Node's index, so that a fleet is as reproducible as one agent.

use crate::agent::node::NodeConfig;
use crate::common::rng::Rng;

/// The highest rate the agent's flags accept (`common::cli::rate`).
const MAX_RATE: f64 = 10_000.0;

/// The settings of Node `index`: `base` (the flags) scaled by the Node's own draws. A Node's
/// size (Pods, and the connections they open) spreads widely, log-normally, as busy and quiet
/// Nodes do; policies, churn and latency vary less; Services are cluster-wide, so every Node
/// sees nearly the same number.
pub fn node_config(base: &NodeConfig, fleet_seed: u64, index: u32) -> NodeConfig {
    // SplitMix64 inside Rng spreads neighbouring indices over unrelated states.
    let mut rng = Rng::seeded(fleet_seed ^ (u64::from(index) << 32 | 0x6E6F_6465));
    let mut c = base.clone();
    c.seed = rng.next_u64();
    let size = rng.log_normal(1.0, 0.5).clamp(0.2, 3.0);
    let w = &mut c.workloads;
    w.pods = scale(w.pods, size).clamp(1, w.max_pods.max(1));
    w.policies = scale(w.policies, rng.log_normal(1.0, 0.4));
    w.pod_churn = rate(w.pod_churn * rng.log_normal(1.0, 0.5));
    w.policy_churn = rate(w.policy_churn * rng.log_normal(1.0, 0.5));
    let ct = &mut c.conntrack;
    ct.antrea_connections = scale(ct.antrea_connections, size * rng.log_normal(1.0, 0.2));
    ct.other_connections = scale(ct.other_connections, rng.log_normal(1.0, 0.3));
    let px = &mut c.proxy;
    let services = 0.95 + 0.1 * rng.unit();
    px.services_v4 = scale(px.services_v4, services);
    px.services_v6 = scale(px.services_v6, services);
    px.service_churn = rate(px.service_churn * rng.log_normal(1.0, 0.2));
    px.endpoint_churn = rate(px.endpoint_churn * rng.log_normal(1.0, 0.4));
    c.fqdn.lookups = rate(c.fqdn.lookups * rng.log_normal(1.0, 0.6));
    c.events.denied_per_tick = rate(c.events.denied_per_tick * rng.log_normal(1.0, 0.6));
    c.ovs.latency_median_ms = (c.ovs.latency_median_ms * rng.log_normal(1.0, 0.3)).min(60_000.0);
    c.ovs.error_rate = (c.ovs.error_rate * rng.log_normal(1.0, 0.5)).min(1.0);
    c
}

fn scale(n: u64, factor: f64) -> u64 {
    (n as f64 * factor).round() as u64
}

fn rate(r: f64) -> f64 {
    r.clamp(0.0, MAX_RATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> NodeConfig {
        crate::agent::node::tests::config(1)
    }

    #[test]
    fn nodes_differ_and_each_is_reproducible() {
        let base = base();
        let configs: Vec<_> = (0..200).map(|i| node_config(&base, 9, i)).collect();
        let mut seeds: Vec<_> = configs.iter().map(|c| c.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 200, "every Node has its own seed");
        let mut pods: Vec<_> = configs.iter().map(|c| c.workloads.pods).collect();
        pods.sort_unstable();
        assert!(pods[0] * 3 < pods[199], "sizes spread: {pods:?}");
        assert_eq!(node_config(&base, 9, 17).seed, configs[17].seed);
        assert_ne!(node_config(&base, 10, 17).seed, configs[17].seed);
    }

    #[test]
    fn settings_stay_within_what_the_flags_accept() {
        let mut base = base();
        base.workloads.max_pods = 40;
        base.ovs.error_rate = 0.9;
        for i in 0..500 {
            let c = node_config(&base, 3, i);
            assert!((1..=40).contains(&c.workloads.pods), "{i}: {c:?}");
            assert!((0.0..=1.0).contains(&c.ovs.error_rate), "{i}: {c:?}");
            assert!(c.ovs.latency_median_ms > 0.0, "{i}: {c:?}");
            let services = c.proxy.services_v4 as f64 / base.proxy.services_v4 as f64;
            assert!((0.94..=1.06).contains(&services), "{i}: {c:?}");
        }
    }
}
