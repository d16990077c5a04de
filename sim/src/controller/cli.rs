//! The controller simulator's flags.

use crate::common::cli::{CommonArgs, Defaults};
use crate::controller::cluster_args::ClusterArgs;

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

    #[command(flatten)]
    pub cluster: ClusterArgs,
}
