//! The fleet: every Node's model, the lock its scrapes share with its steps, and its server.

use crate::agent::node::{Node, NodeConfig};
use crate::common::cli::{ServeOptions, Tls};
use crate::common::run::{served, Failure, Served};
use crate::common::serve::{Server, SharedParts};
use crate::common::snapshot::StepLock;
use crate::fleet::args::node_name;
use crate::fleet::file_sd::{Component, Target};
use crate::fleet::variety;
use antrea_metrics::{AgentMetrics, NativeHistograms, Profile};
use std::net::SocketAddr;

/// One simulated Node's model and step lock.
pub struct FleetNode {
    /// The Node's name (its target's `node` label).
    pub name: String,
    /// Its model.
    pub node: Node,
    /// Held while the model steps; its scrapes wait for it.
    pub lock: StepLock,
}

/// Every Node, bound and ready to serve.
pub struct Fleet {
    /// The models, in Node order.
    pub nodes: Vec<FleetNode>,
    /// Their servers, in the same order.
    pub servers: Vec<Server>,
    /// Their targets, in the same order.
    pub targets: Vec<Target>,
}

/// What every Node has in common.
pub struct Shared<'a> {
    /// The serving options; `listen` is replaced per Node.
    pub options: &'a ServeOptions,
    /// The one certificate all Nodes serve.
    pub tls: &'a Tls,
    /// Its TLS configuration and the token set, prepared once for every Node: a copy per Node
    /// would cost each of them a rustls configuration, session cache and file reader.
    pub parts: SharedParts,
    /// The agent flags' settings, which every Node varies around.
    pub base: NodeConfig,
    /// The fleet's seed.
    pub seed: u64,
    /// The metric names and labels to expose.
    pub profile: Profile,
    /// Which histograms keep native buckets (`--native-histograms`).
    pub native: NativeHistograms,
}

impl Shared<'_> {
    /// Binds the server of target `name` at `listen`, with the fleet's token, certificate and
    /// format options.
    pub async fn bind(
        &self,
        listen: SocketAddr,
        served: Served,
        name: &str,
    ) -> Result<Server, Failure> {
        let options = ServeOptions {
            listen,
            auth: self.options.auth.clone(),
            tls: self.tls.clone(),
            openmetrics: self.options.openmetrics,
        };
        Server::bind_sharing(&options, served, &self.parts)
            .await
            .map_err(|e| Failure::Usage(format!("{name}: {e}")))
    }
}

impl Fleet {
    /// Makes one Node per address and binds its server.
    pub async fn bind(shared: &Shared<'_>, addrs: &[SocketAddr]) -> Result<Self, Failure> {
        let mut fleet = Fleet {
            nodes: Vec::with_capacity(addrs.len()),
            servers: Vec::with_capacity(addrs.len()),
            targets: Vec::with_capacity(addrs.len()),
        };
        let count = addrs.len() as u32;
        for (index, &listen) in (0..count).zip(addrs) {
            let name = node_name(index, count);
            let metrics = AgentMetrics::builder()
                .profile(shared.profile)
                .native_histograms(shared.native.clone())
                .build()
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let lock = StepLock::default();
            let served = served(metrics.collector().clone(), &lock)?;
            let server = shared.bind(listen, served, &name).await?;
            let config = variety::node_config(&shared.base, shared.seed, index);
            fleet.targets.push(Target {
                addr: server.local_addr(),
                node: name.clone(),
                component: Component::Agent,
            });
            let mut node = Node::new(&metrics, config, None);
            // As sim-agent: one step and one poll before any scrape, so none sees a Node that
            // has not polled yet.
            node.tick();
            node.poll_conntrack();
            fleet.nodes.push(FleetNode { name, node, lock });
            fleet.servers.push(server);
        }
        Ok(fleet)
    }
}
