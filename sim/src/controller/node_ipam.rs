//! Antrea's Node IPAM controller (with `--node-ipam CIDR`): Nodes join and leave, each taking
//! a Node CIDR from the cluster CIDR's set, allocated as Kubernetes' `cidrset` does (a bitmap
//! scanned from the candidate after the last allocation).

use crate::common::rng::Rng;
use antrea_metrics::{CidrSetMetrics, ClusterCidr, NodeIpamMetrics};

/// Kubernetes refuses a cluster CIDR split into more than 2^16 Node CIDRs.
const MAX_SPLIT_BITS: u8 = 16;

/// What the Node IPAM controller allocates from, and how Nodes come and go.
#[derive(Clone, Debug)]
pub struct NodeIpamConfig {
    /// Seed of the Node churn.
    pub seed: u64,
    /// The cluster CIDR.
    pub cluster_cidr: ClusterCidr,
    /// The prefix length of each Node's CIDR.
    pub node_mask: u8,
    /// Nodes that join at the first step.
    pub nodes: u64,
    /// Mean Nodes joining, and leaving, per step.
    pub churn: f64,
}

impl NodeIpamConfig {
    /// How many Node CIDRs the cluster CIDR holds.
    ///
    /// # Errors
    /// A sentence for the command line when the Node mask does not split the cluster CIDR
    /// into 1 to 2^16 Node CIDRs.
    pub fn capacity(&self) -> Result<usize, String> {
        let (cluster, node) = (self.cluster_cidr.prefix(), self.node_mask);
        let max = if self.cluster_cidr.network().is_ipv4() {
            32
        } else {
            128
        };
        if node < cluster || node > max || node - cluster > MAX_SPLIT_BITS {
            return Err(format!(
                "--node-cidr-mask-size {node} must be between the cluster CIDR's prefix \
                 ({cluster}) and {} (and at most {max})",
                cluster.saturating_add(MAX_SPLIT_BITS)
            ));
        }
        Ok(1 << (node - cluster))
    }
}

/// The Node CIDRs of one cluster CIDR.
pub struct NodeIpam {
    rng: Rng,
    config: NodeIpamConfig,
    metrics: CidrSetMetrics,
    used: Vec<bool>,
    allocated: usize,
    next_candidate: usize,
    ticks: u64,
}

impl NodeIpam {
    /// An empty CIDR set publishing into `metrics`.
    ///
    /// # Errors
    /// As [`NodeIpamConfig::capacity`].
    pub fn new(metrics: &NodeIpamMetrics, config: NodeIpamConfig) -> Result<Self, String> {
        let capacity = config.capacity()?;
        Ok(NodeIpam {
            rng: Rng::seeded(config.seed ^ 0x6970_616D),
            metrics: metrics.cidr_set(config.cluster_cidr),
            used: vec![false; capacity],
            allocated: 0,
            next_candidate: 0,
            ticks: 0,
            config,
        })
    }

    /// One step: Nodes join (all configured ones at the first step) and leave.
    pub fn tick(&mut self) {
        let mut joins = self.rng.arrivals(self.config.churn);
        if self.ticks == 0 {
            joins += self.config.nodes;
        }
        self.ticks += 1;
        let leaves = self.rng.arrivals(self.config.churn);
        for _ in 0..leaves.min(self.allocated as u64) {
            self.release();
        }
        for _ in 0..joins {
            // A full set refuses the Node, as Antrea's controller does, without a metric.
            if !self.allocate() {
                break;
            }
        }
    }

    /// Kubernetes' `AllocateNext`: the first free CIDR from the candidate on, observing how
    /// many taken ones it passed.
    fn allocate(&mut self) -> bool {
        let max = self.used.len();
        for tries in 0..max {
            let candidate = (self.next_candidate + tries) % max;
            if !self.used[candidate] {
                self.used[candidate] = true;
                self.allocated += 1;
                self.next_candidate = (candidate + 1) % max;
                let m = &self.metrics;
                m.allocations().inc();
                m.allocation_tries_per_request().observe(tries as f64);
                m.usage().set(self.allocated as f64 / max as f64);
                return true;
            }
        }
        false
    }

    /// A random Node leaves and its CIDR is released.
    fn release(&mut self) {
        let nth = self.rng.below(self.allocated as u64) as usize;
        let Some(i) = (self.used.iter().enumerate())
            .filter(|(_, used)| **used)
            .nth(nth)
            .map(|(i, _)| i)
        else {
            return;
        };
        self.used[i] = false;
        self.allocated -= 1;
        self.metrics.releases().inc();
        (self.metrics.usage()).set(self.allocated as f64 / self.used.len() as f64);
    }

    /// Node CIDRs allocated now.
    pub fn allocated(&self) -> usize {
        self.allocated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antrea_metrics::{ControllerMetrics, Exposition};

    fn config(cidr: &str, node_mask: u8, nodes: u64) -> NodeIpamConfig {
        NodeIpamConfig {
            seed: 3,
            cluster_cidr: cidr.parse().unwrap(),
            node_mask,
            nodes,
            churn: 2.0,
        }
    }

    #[test]
    fn counts_and_usage_follow_the_nodes() {
        let m = ControllerMetrics::builder()
            .node_ipam(true)
            .build()
            .unwrap();
        let ipam = m.node_ipam.as_ref().unwrap();
        let mut set = NodeIpam::new(ipam, config("10.244.0.0/16", 24, 40)).unwrap();
        let cidr = ipam.cidr_set("10.244.0.0/16".parse().unwrap());
        for _ in 0..300 {
            set.tick();
            let (a, r) = (cidr.allocations().get(), cidr.releases().get());
            assert_eq!(a - r, set.allocated() as u64);
            assert_eq!(cidr.usage().get(), set.allocated() as f64 / 256.0);
        }
        assert_eq!(
            cidr.allocation_tries_per_request().snapshot().count(),
            cidr.allocations().get()
        );
        let mut out = Vec::new();
        m.encode(antrea_metrics::format::Format::Text, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("clusterCIDR=\"10.244.0.0/16\""));
    }

    /// Antrea's `AllocateNext` (v2.7.0 third_party/ipam/nodeipam/ipam/cidrset/cidr_set.go:
    /// 158-171) observes its loop index: the taken candidates it skipped, 0 for a free one.
    #[test]
    fn tries_count_the_taken_candidates_skipped() {
        let m = ControllerMetrics::builder()
            .node_ipam(true)
            .build()
            .unwrap();
        let ipam = m.node_ipam.as_ref().unwrap();
        let mut set = NodeIpam::new(ipam, config("10.0.0.0/24", 26, 0)).unwrap();
        for _ in 0..4 {
            assert!(set.allocate());
        }
        // Full; the next candidate is 0 again. Free the third: two taken ones are skipped.
        set.used[2] = false;
        set.allocated -= 1;
        assert!(set.allocate());
        let tries = ipam.cidr_set("10.0.0.0/24".parse().unwrap());
        let snap = tries.allocation_tries_per_request().snapshot();
        // Buckets 1, 5, 25, 125, 625: four 0s and one 2.
        assert_eq!((snap.count(), snap.sum), (5, 2.0));
        assert_eq!(snap.cumulative[..2], [4, 5]);
    }

    #[test]
    fn a_full_set_refuses_nodes() {
        let m = ControllerMetrics::builder()
            .node_ipam(true)
            .build()
            .unwrap();
        let ipam = m.node_ipam.as_ref().unwrap();
        let mut set = NodeIpam::new(ipam, config("10.0.0.0/24", 26, 10)).unwrap();
        set.tick();
        assert_eq!(set.allocated(), 4);
        assert_eq!(
            ipam.cidr_set("10.0.0.0/24".parse().unwrap()).usage().get(),
            1.0
        );
    }

    #[test]
    fn masks_that_do_not_split_the_cidr_are_refused() {
        assert!(config("10.0.0.0/16", 15, 1).capacity().is_err());
        assert!(config("10.0.0.0/8", 25, 1).capacity().is_err());
        assert!(config("10.0.0.0/16", 33, 1).capacity().is_err());
        assert_eq!(config("fd00::/48", 64, 1).capacity(), Ok(65536));
    }
}
