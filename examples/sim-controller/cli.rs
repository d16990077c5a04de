//! The controller simulator's flags.

use crate::cluster::ClusterConfig;
use crate::node_ipam::NodeIpamConfig;
use crate::sim::cli::{positive, probability, rate, CommonArgs, Defaults};
use antrea_metrics::ClusterCidr;

/// The controller simulator's defaults for the shared flags.
pub const DEFAULTS: Defaults = Defaults {
    listen: "127.0.0.1:10349",
    token_file: "target/sim/controller.token",
    write_ca: "target/sim/controller-ca.pem",
};

/// A simulated Antrea Controller: NetworkPolicy changes (with bursts) fill its address-group,
/// applied-to-group and internal NetworkPolicy queues, which its workers drain, exposed as
/// Antrea's controller metrics over HTTPS with a bearer token.
#[derive(clap::Parser, Debug)]
#[command(name = "sim-controller", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,

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

impl Cli {
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
}
