//! The fleet's simulated Antrea controller (`--controller`): the controller simulator's model
//! with its flags' defaults, served like a Node and stepped by the fleet's timer.

use crate::common::rng::Rng;
use crate::common::run::{served, Failure};
use crate::common::serve::Server;
use crate::common::snapshot::StepLock;
use crate::controller::cluster::Cluster;
use crate::controller::cluster_args::ClusterArgs;
use crate::fleet::file_sd::{Component, Target};
use crate::fleet::nodes::Shared;
use std::net::SocketAddr;

/// The controller target's name, in errors and the banner.
pub const NAME: &str = "sim-controller";

/// Mixed into the fleet seed for the controller's, so that it draws apart from every Node.
const SEED_SALT: u64 = 0x6374_726C; // "ctrl"

/// The controller's model and the lock its scrapes share with its steps.
pub struct FleetController {
    /// Its model.
    pub cluster: Cluster,
    lock: StepLock,
}

impl FleetController {
    /// One step of the model, under its lock.
    pub fn step(&mut self) {
        let _step = self.lock.hold();
        self.cluster.tick();
    }
}

/// Makes the controller and binds its server at `listen`.
pub async fn bind(
    shared: &Shared<'_>,
    listen: SocketAddr,
) -> Result<(FleetController, Server, Target), Failure> {
    let seed = Rng::seeded(shared.seed ^ SEED_SALT).next_u64();
    let (metrics, cluster) =
        ClusterArgs::default().build(seed, shared.profile, shared.native.clone())?;
    let lock = StepLock::default();
    let served = served(metrics.collector().clone(), &lock)?;
    let server = shared.bind(listen, served, NAME).await?;
    let target = Target {
        addr: server.local_addr(),
        node: NAME.to_owned(),
        component: Component::Controller,
    };
    Ok((FleetController { cluster, lock }, server, target))
}
