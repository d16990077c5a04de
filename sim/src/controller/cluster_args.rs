//! The controller model's flags and the model they make: shared by `sim-controller` (flattened
//! into its flags) and `sim-fleet --controller` (with their defaults).

use crate::common::cli::{positive, probability, rate};
use crate::common::run::Failure;
use crate::controller::cluster::{Cluster, ClusterConfig};
use crate::controller::node_ipam::{NodeIpam, NodeIpamConfig};
use antrea_metrics::{ClusterCidr, ControllerMetrics, NativeHistograms, Profile};

/// How the simulated controller's work arrives and drains.
#[derive(clap::Args, Debug)]
pub struct ClusterArgs {
    /// NetworkPolicies in the cluster, all synced at start.
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub policies: u64,

    /// Mean policy changes per step.
    #[arg(long, value_name = "RATE", default_value_t = 4.0, value_parser = rate)]
    pub churn: f64,

    /// Probability per step of a burst of policy changes.
    #[arg(long, value_name = "P", default_value_t = 0.03, value_parser = probability)]
    pub burst_chance: f64,

    /// Mean policy changes in a burst.
    #[arg(long, value_name = "N", default_value_t = 150.0, value_parser = rate)]
    pub burst_size: f64,

    /// Items each queue's workers finish per step.
    #[arg(long, value_name = "N", default_value_t = 25,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub capacity: u64,

    /// Median time to sync one internal NetworkPolicy, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3.0, value_parser = positive)]
    pub sync_ms: f64,

    /// Run Antrea's Node IPAM controller, allocating Node CIDRs from this cluster CIDR (off by
    /// default, as in Antrea): exposes the `antrea_node_ipam_controller_cidrset_*` families.
    #[arg(long, value_name = "CIDR")]
    pub node_ipam: Option<ClusterCidr>,

    /// Prefix length of each Node's CIDR (with --node-ipam).
    #[arg(long, value_name = "BITS", default_value_t = 24)]
    pub node_cidr_mask_size: u8,

    /// Nodes in the cluster, all joining at the first step (with --node-ipam).
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(0..=65_536))]
    pub nodes: u64,

    /// Mean Nodes joining, and leaving, per step (with --node-ipam).
    #[arg(long, value_name = "RATE", default_value_t = 0.2, value_parser = rate)]
    pub node_churn: f64,
}

/// Parses no flags at all, to read the defaults from the flags' own declarations.
#[derive(clap::Parser)]
struct DefaultsOnly {
    #[command(flatten)]
    args: ClusterArgs,
}

impl Default for ClusterArgs {
    /// The flags' defaults, as `sim-controller` without flags has them.
    fn default() -> Self {
        let parsed = <DefaultsOnly as clap::Parser>::try_parse_from(["defaults"]);
        // No flag is required and every default is in range: only a broken declaration fails.
        parsed.expect("the controller flags' defaults parse").args
    }
}

impl ClusterArgs {
    /// The model's settings from the flags.
    pub fn cluster_config(&self, seed: u64) -> ClusterConfig {
        ClusterConfig {
            seed,
            policies: self.policies,
            churn: self.churn,
            burst_chance: self.burst_chance,
            burst_size: self.burst_size,
            capacity: self.capacity,
            sync_ms: self.sync_ms,
        }
    }

    /// The Node IPAM model's settings, when `--node-ipam` is given.
    pub fn node_ipam_config(&self, seed: u64) -> Option<NodeIpamConfig> {
        Some(NodeIpamConfig {
            seed,
            cluster_cidr: self.node_ipam?,
            node_mask: self.node_cidr_mask_size,
            nodes: self.nodes,
            churn: self.node_churn,
        })
    }

    /// The controller's metrics (with Node IPAM's families when `--node-ipam` is given) and
    /// the model that moves them.
    pub fn build(
        &self,
        seed: u64,
        profile: Profile,
        native: NativeHistograms,
    ) -> Result<(ControllerMetrics, Cluster), Failure> {
        let node_ipam_config = self.node_ipam_config(seed);
        let metrics = ControllerMetrics::builder()
            .profile(profile)
            .native_histograms(native)
            .node_ipam(node_ipam_config.is_some())
            .build()
            .map_err(|e| Failure::Runtime(e.to_string()))?;
        let node_ipam = match (node_ipam_config, &metrics.node_ipam) {
            (Some(config), Some(handles)) => {
                Some(NodeIpam::new(handles, config).map_err(Failure::Usage)?)
            }
            _ => None,
        };
        let cluster = Cluster::new(&metrics, self.cluster_config(seed)).with_node_ipam(node_ipam);
        Ok((metrics, cluster))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_flags_defaults() {
        let d = ClusterArgs::default();
        assert_eq!((d.policies, d.capacity, d.nodes), (200, 25, 50));
        assert!(d.node_ipam.is_none(), "Node IPAM is off by default");
        let (metrics, _) = d
            .build(1, Profile::Latest, NativeHistograms::default())
            .unwrap();
        assert!(metrics.node_ipam.is_none());
    }
}
