//! Pods that come and go on the Node, and the NetworkPolicies applied to them. Each change is
//! one OVS flow operation; a change whose operation fails is not applied (Antrea retries it,
//! which here is a later arrival).

use crate::agent::ovs::{Ovs, Table};
use crate::common::rng::Rng;
use antrea_metrics::{AgentMetrics, FlowOp};

/// Sizes and churn of Pods and policies.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    /// Pods the Node settles around.
    pub pods: u64,
    /// Pods never exceed this (kubelet's `maxPods`).
    pub max_pods: u64,
    /// Mean Pod arrivals per tick.
    pub pod_churn: f64,
    /// NetworkPolicies the Node settles around.
    pub policies: u64,
    /// Mean policy arrivals per tick.
    pub policy_churn: f64,
}

/// The flows one Pod's interface needs.
const POD_FLOWS: [(Table, i64); 5] = [
    (Table::named("ARPSpoofGuard"), 1),
    (Table::named("Classifier"), 1),
    (Table::named("SpoofGuard"), 1),
    (Table::named("L3Forwarding"), 1),
    (Table::named("L2ForwardingCalc"), 1),
];

/// One NetworkPolicy as the agent realized it: its rules and the flows they installed.
struct Policy {
    ingress: u64,
    egress: u64,
    flows: Vec<(Table, i64)>,
}

/// Pods and policies on the Node.
pub struct Workloads {
    config: WorkloadConfig,
    pods: u64,
    policies: Vec<Policy>,
    metrics: AgentMetrics,
}

impl Workloads {
    /// No Pods, no policies.
    pub fn new(metrics: &AgentMetrics, config: WorkloadConfig) -> Self {
        Workloads {
            config,
            pods: 0,
            policies: Vec::new(),
            metrics: metrics.clone(),
        }
    }

    /// One tick: arrivals at the configured rate, departures proportional to the population so
    /// that it settles around the configured size, and an occasional policy update (a modify).
    pub fn tick(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        let c = &self.config;
        let pod_target = c.pods.clamp(1, c.max_pods.max(1)) as f64;
        let (adds, dels) = (
            rng.arrivals(c.pod_churn),
            rng.arrivals(c.pod_churn * self.pods as f64 / pod_target),
        );
        let policy_target = c.policies.max(1) as f64;
        let (p_adds, p_dels) = (
            rng.arrivals(c.policy_churn),
            rng.arrivals(c.policy_churn * self.policies.len() as f64 / policy_target),
        );
        for _ in 0..adds {
            self.add_pod(rng, ovs);
        }
        for _ in 0..dels {
            self.delete_pod(rng, ovs);
        }
        for _ in 0..p_adds {
            self.add_policy(rng, ovs);
        }
        for _ in 0..p_dels {
            self.delete_policy(rng, ovs);
        }
        if rng.chance(0.5) {
            self.update_policy(rng, ovs);
        }
        self.publish();
    }

    /// Brings the Node to its configured size at once, as after the agent's startup on a
    /// Node that already runs Pods.
    pub fn start(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        // Bounded by the sizes, plus a few tries each for failed operations.
        for _ in 0..self.config.pods.min(self.config.max_pods) * 2 {
            if self.pods >= self.config.pods.min(self.config.max_pods) {
                break;
            }
            self.add_pod(rng, ovs);
        }
        for _ in 0..self.config.policies * 2 {
            if self.policies.len() as u64 >= self.config.policies {
                break;
            }
            self.add_policy(rng, ovs);
        }
        self.publish();
    }

    /// Pods on the Node.
    pub fn pods(&self) -> u64 {
        self.pods
    }

    /// Policies on the Node.
    pub fn policies(&self) -> u64 {
        self.policies.len() as u64
    }

    fn add_pod(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        if self.pods < self.config.max_pods && ovs.commit(rng, FlowOp::Add, &POD_FLOWS).is_ok() {
            self.pods += 1;
        }
    }

    fn delete_pod(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        let flows = POD_FLOWS.map(|(t, d)| (t, -d));
        if self.pods > 0 && ovs.commit(rng, FlowOp::Delete, &flows).is_ok() {
            self.pods -= 1;
        }
    }

    fn add_policy(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        let ingress = rng.between(0, 3);
        let egress = rng.between(u64::from(ingress == 0), 3);
        // Antrea-native policies have their own tier tables; K8s ones add default-deny flows.
        let native = rng.chance(0.4);
        // A rule's conjunction flows grow with the Pods it selects.
        let per_rule = 2 + self.pods.min(6) as i64;
        let (in_table, out_table) = if native {
            ("AntreaPolicyIngressRule", "AntreaPolicyEgressRule")
        } else {
            ("IngressRule", "EgressRule")
        };
        let mut flows = vec![
            (Table::named(in_table), ingress as i64 * per_rule),
            (Table::named("IngressMetric"), ingress as i64),
            (Table::named(out_table), egress as i64 * per_rule),
            (Table::named("EgressMetric"), egress as i64),
        ];
        if !native {
            flows.push((Table::named("IngressDefaultRule"), i64::from(ingress > 0)));
            flows.push((Table::named("EgressDefaultRule"), i64::from(egress > 0)));
        }
        if ovs.commit(rng, FlowOp::Add, &flows).is_ok() {
            self.policies.push(Policy {
                ingress,
                egress,
                flows,
            });
        }
    }

    fn delete_policy(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        if self.policies.is_empty() {
            return;
        }
        let i = rng.below(self.policies.len() as u64) as usize;
        let flows: Vec<_> = self.policies[i]
            .flows
            .iter()
            .map(|(t, d)| (*t, -d))
            .collect();
        if ovs.commit(rng, FlowOp::Delete, &flows).is_ok() {
            self.policies.swap_remove(i);
        }
    }

    /// An address group of a policy changed: its flows are rewritten in place.
    fn update_policy(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        if self.policies.is_empty() {
            return;
        }
        let i = rng.below(self.policies.len() as u64) as usize;
        let flows: Vec<_> = self.policies[i]
            .flows
            .iter()
            .map(|(t, _)| (*t, 0))
            .collect();
        // A failed modify leaves the old flows in place, which is what OVS does too.
        let _ = ovs.commit(rng, FlowOp::Modify, &flows);
    }

    fn publish(&self) {
        let m = &self.metrics;
        m.local_pod_count.set(self.pods as f64);
        m.networkpolicy_count.set(self.policies.len() as f64);
        let ingress: u64 = self.policies.iter().map(|p| p.ingress).sum();
        let egress: u64 = self.policies.iter().map(|p| p.egress).sum();
        m.ingress_networkpolicy_rule_count.set(ingress as f64);
        m.egress_networkpolicy_rule_count.set(egress as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ovs::OvsConfig;
    use antrea_metrics::Profile;

    fn setup(error_rate: f64) -> (Workloads, Ovs, AgentMetrics) {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let ovs = Ovs::new(
            &m,
            OvsConfig {
                error_rate,
                latency_median_ms: 0.8,
            },
        );
        let config = WorkloadConfig {
            pods: 30,
            max_pods: 40,
            pod_churn: 2.0,
            policies: 10,
            policy_churn: 0.5,
        };
        (Workloads::new(&m, config), ovs, m)
    }

    #[test]
    fn start_reaches_the_configured_size() {
        let (mut w, mut ovs, m) = setup(0.0);
        let before = ovs.total();
        w.start(&mut Rng::seeded(1), &mut ovs);
        assert_eq!(w.pods(), 30);
        assert_eq!(w.policies(), 10);
        assert_eq!(m.local_pod_count.get(), 30.0);
        assert_eq!(m.networkpolicy_count.get(), 10.0);
        assert_eq!(ovs.flows(Table::named("Classifier")), 4 + 30);
        assert!(ovs.total() > before + 150);
    }

    #[test]
    fn counts_follow_the_population_and_pods_stay_bounded() {
        let (mut w, mut ovs, m) = setup(0.02);
        let mut rng = Rng::seeded(9);
        w.start(&mut rng, &mut ovs);
        let classifier_static = 4;
        for _ in 0..3000 {
            w.tick(&mut rng, &mut ovs);
            assert!(w.pods() <= 40);
            assert_eq!(m.local_pod_count.get(), w.pods() as f64);
            assert_eq!(m.networkpolicy_count.get(), w.policies() as f64);
            // Exactly one Classifier flow per Pod: failed ops left no trace.
            assert_eq!(
                ovs.flows(Table::named("Classifier")),
                classifier_static + w.pods()
            );
            let rules =
                m.ingress_networkpolicy_rule_count.get() + m.egress_networkpolicy_rule_count.get();
            assert!(rules >= w.policies() as f64, "every policy has a rule");
        }
        assert!(m.ovs_flow_ops_count.get(FlowOp::Modify).get() > 0);
        assert!(m.ovs_flow_ops_error_count.get(FlowOp::Delete).get() > 0);
    }

    #[test]
    fn deleting_everything_returns_to_the_static_flows() {
        let (mut w, mut ovs, _) = setup(0.0);
        let mut rng = Rng::seeded(2);
        let static_total = ovs.total();
        w.start(&mut rng, &mut ovs);
        for _ in 0..100 {
            w.delete_pod(&mut rng, &mut ovs);
            w.delete_policy(&mut rng, &mut ovs);
        }
        assert_eq!((w.pods(), w.policies()), (0, 0));
        assert_eq!(ovs.total(), static_total);
    }
}
