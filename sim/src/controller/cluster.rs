//! The controller's work: NetworkPolicy changes and Pod churn enqueue internal
//! NetworkPolicies, address groups and applied-to groups; workers drain the three queues,
//! timing each sync; realized Antrea-native policies get status updates.

use crate::common::rng::Rng;
use crate::controller::node_ipam::NodeIpam;
use antrea_metrics::{ControllerMetrics, Counter, Gauge, Histogram};

/// Rates and sizes of the controller's work.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Seed of the simulation.
    pub seed: u64,
    /// NetworkPolicies in the cluster, all synced once at start.
    pub policies: u64,
    /// Mean policy changes per step.
    pub churn: f64,
    /// Probability per step of a burst (a namespace rolled out, a policy bundle applied).
    pub burst_chance: f64,
    /// Mean policy changes in a burst.
    pub burst_size: f64,
    /// Items each queue's workers finish per step.
    pub capacity: u64,
    /// Median time to sync one internal NetworkPolicy, in milliseconds.
    pub sync_ms: f64,
}

/// One work queue with its handles.
struct Queue {
    len: u64,
    gauge: Gauge,
    processed: Counter,
    duration: Histogram,
    /// This queue's median sync time relative to an internal NetworkPolicy's.
    cost: f64,
}

impl Queue {
    /// Workers take up to `capacity` items, each timed; returns how many were done.
    fn drain(&mut self, rng: &mut Rng, capacity: u64, sync_ms: f64) -> u64 {
        // Workers do not all finish as many items every step.
        let done = self.len.min(rng.between(capacity / 2, capacity));
        for _ in 0..done {
            self.processed.inc();
            self.duration
                .observe(rng.log_normal(sync_ms * self.cost, 0.8));
        }
        self.len -= done;
        done
    }
}

/// The controller's queues and what drives them.
pub struct Cluster {
    config: ClusterConfig,
    rng: Rng,
    ticks: u64,
    policies: Queue,
    address_groups: Queue,
    applied_to_groups: Queue,
    metrics: ControllerMetrics,
    /// Antrea's Node IPAM controller, when enabled.
    node_ipam: Option<NodeIpam>,
}

impl Cluster {
    /// Empty queues.
    pub fn new(metrics: &ControllerMetrics, config: ClusterConfig) -> Self {
        let m = metrics;
        Cluster {
            rng: Rng::seeded(config.seed),
            ticks: 0,
            policies: Queue {
                len: 0,
                gauge: m.length_network_policy_queue.clone(),
                processed: m.network_policy_processed.clone(),
                duration: m.network_policy_sync_duration_milliseconds.clone(),
                cost: 1.0,
            },
            address_groups: Queue {
                len: 0,
                gauge: m.length_address_group_queue.clone(),
                processed: m.address_group_processed.clone(),
                duration: m.address_group_sync_duration_milliseconds.clone(),
                cost: 0.6,
            },
            applied_to_groups: Queue {
                len: 0,
                gauge: m.length_applied_to_group_queue.clone(),
                processed: m.applied_to_group_processed.clone(),
                duration: m.applied_to_group_sync_duration_milliseconds.clone(),
                cost: 0.4,
            },
            metrics: metrics.clone(),
            node_ipam: None,
            config,
        }
    }

    /// The same cluster, with Nodes taking their CIDRs from `node_ipam`.
    pub fn with_node_ipam(mut self, node_ipam: Option<NodeIpam>) -> Self {
        self.node_ipam = node_ipam;
        self
    }

    /// One step: changes arrive (all policies at the first step, as the initial sync), the
    /// queues grow, workers drain them, and realized policies update their status.
    pub fn tick(&mut self) {
        let c = &self.config;
        let rng = &mut self.rng;
        let mut changes = rng.arrivals(c.churn);
        if self.ticks == 0 {
            changes += c.policies;
        } else if rng.chance(c.burst_chance) {
            changes += rng.arrivals(c.burst_size);
            tracing::debug!(changes, "burst of policy changes");
        }
        self.ticks += 1;
        // Each change touches one internal policy, the groups it selects and its peers'.
        for _ in 0..changes {
            self.policies.len += 1;
            self.applied_to_groups.len += rng.between(1, 2);
            self.address_groups.len += rng.between(0, 3);
        }
        // Pod churn alone moves group membership.
        self.address_groups.len += rng.arrivals(c.churn);
        self.applied_to_groups.len += rng.arrivals(c.churn / 2.0);

        let realized = self.policies.drain(rng, c.capacity, c.sync_ms);
        self.address_groups.drain(rng, c.capacity, c.sync_ms);
        self.applied_to_groups.drain(rng, c.capacity, c.sync_ms);
        // About a third of the policies are Antrea ClusterNetworkPolicies and a fifth Antrea
        // NetworkPolicies; each realized one reports its status once.
        for _ in 0..realized {
            match rng.below(15) {
                0..=4 => self.metrics.acnp_status_updates.inc(),
                5..=7 => self.metrics.annp_status_updates.inc(),
                _ => {}
            }
        }
        for q in [
            &self.policies,
            &self.address_groups,
            &self.applied_to_groups,
        ] {
            q.gauge.set(q.len as f64);
        }
        if let Some(node_ipam) = &mut self.node_ipam {
            node_ipam.tick();
        }
    }

    /// A one-line summary for the logs.
    pub fn summary(&self) -> String {
        let nodes = (self.node_ipam.as_ref())
            .map(|n| format!(", {} Node CIDRs allocated", n.allocated()))
            .unwrap_or_default();
        format!(
            "tick {}: queues: {} policies, {} address groups, {} applied-to groups{nodes}",
            self.ticks, self.policies.len, self.address_groups.len, self.applied_to_groups.len
        )
    }

    /// The three queue lengths.
    #[cfg(test)]
    pub fn lengths(&self) -> [u64; 3] {
        [
            self.policies.len,
            self.address_groups.len,
            self.applied_to_groups.len,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antrea_metrics::{catalogue, Component, Exposition, Profile};

    fn config() -> ClusterConfig {
        crate::controller::cluster_args::ClusterArgs::default().cluster_config(5)
    }

    #[test]
    fn initial_sync_grows_the_queues_then_they_drain() {
        let m = ControllerMetrics::unregistered(Profile::Latest).unwrap();
        let mut c = Cluster::new(&m, config());
        c.tick();
        let first = c.lengths();
        assert!(first[0] > 0, "{first:?}");
        assert_eq!(m.length_network_policy_queue.get(), first[0] as f64);
        for _ in 0..200 {
            c.tick();
        }
        let mut quiet = Cluster::new(
            &m,
            ClusterConfig {
                burst_chance: 0.0,
                ..config()
            },
        );
        for _ in 0..200 {
            quiet.tick();
        }
        assert!(quiet.lengths()[0] < first[0], "{:?}", quiet.lengths());
        // Everything that was processed was timed.
        let processed = m.network_policy_processed.get();
        let timed = m
            .network_policy_sync_duration_milliseconds
            .snapshot()
            .count();
        assert_eq!(processed, timed);
        assert!(m.acnp_status_updates.get() > 0 && m.annp_status_updates.get() > 0);
    }

    #[test]
    fn a_burst_backs_the_queues_up() {
        let m = ControllerMetrics::unregistered(Profile::Latest).unwrap();
        let config = ClusterConfig {
            burst_chance: 1.0,
            burst_size: 500.0,
            ..config()
        };
        let mut c = Cluster::new(&m, config);
        let mut last = 0;
        for _ in 0..10 {
            c.tick();
            assert!(c.lengths()[0] >= last);
            last = c.lengths()[0];
        }
    }

    #[test]
    fn every_family_moves_at_the_first_step() {
        for profile in Profile::ALL {
            let m = ControllerMetrics::unregistered(profile).unwrap();
            Cluster::new(&m, config()).tick();
            let mut out = Vec::new();
            m.encode(antrea_metrics::format::Format::Text, &mut out)
                .unwrap();
            let text = String::from_utf8(out).unwrap();
            for d in catalogue::for_process(Component::Controller, profile) {
                let name = d.exposed(profile).map_or(d.name, |e| e.name);
                let moved = text
                    .lines()
                    .any(|l| l.starts_with(name) && !l.contains("_bucket{") && !l.ends_with(" 0"));
                assert!(moved, "{profile}: {name}\n{text}");
            }
        }
    }
}
