//! The whole simulated Node: one owner of every model, stepped by the main loop.

use crate::agent::conntrack::{Conntrack, ConntrackConfig, ProcConntrack};
use crate::agent::events::{EventConfig, Events};
use crate::agent::fqdn::{FqdnCache, FqdnConfig};
use crate::agent::ovs::{Ovs, OvsConfig};
use crate::agent::proxy::{Proxy, ProxyConfig};
use crate::agent::workloads::{WorkloadConfig, Workloads};
use crate::common::rng::Rng;
use antrea_metrics::AgentMetrics;

/// Every model's settings.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Seed of the simulation.
    pub seed: u64,
    /// OVS flow operations.
    pub ovs: OvsConfig,
    /// Pods and policies.
    pub workloads: WorkloadConfig,
    /// Connections.
    pub conntrack: ConntrackConfig,
    /// Services and Endpoints.
    pub proxy: ProxyConfig,
    /// The FQDN cache.
    pub fqdn: FqdnConfig,
    /// Denials, reconnections and meter drops.
    pub events: EventConfig,
}

/// A simulated Antrea agent's Node.
pub struct Node {
    rng: Rng,
    /// Polls run on their own timer, so they draw from their own generator: the sequence of
    /// steps then depends on the seed alone, however polls and steps interleave.
    poll_rng: Rng,
    ticks: u64,
    ovs: Ovs,
    workloads: Workloads,
    conntrack: Conntrack,
    proxy: Proxy,
    fqdn: FqdnCache,
    events: Events,
}

impl Node {
    /// A Node whose models publish into `metrics`; `real` sizes the conntrack table from the
    /// node's own figures.
    pub fn new(metrics: &AgentMetrics, config: NodeConfig, real: Option<ProcConntrack>) -> Self {
        Node {
            rng: Rng::seeded(config.seed),
            poll_rng: Rng::seeded(config.seed ^ 0x706F_6C6C),
            ticks: 0,
            ovs: Ovs::new(metrics, config.ovs),
            workloads: Workloads::new(metrics, config.workloads),
            conntrack: Conntrack::new(metrics, config.conntrack, real),
            proxy: Proxy::new(metrics, config.proxy),
            fqdn: FqdnCache::new(metrics, config.fqdn),
            events: Events::new(metrics, config.events),
        }
    }

    /// One simulation step. The first one also brings the Node to its configured size, so that
    /// every family has moved right after start.
    pub fn tick(&mut self) {
        let first = self.ticks == 0;
        self.ticks += 1;
        let rng = &mut self.rng;
        if first {
            self.workloads.start(rng, &mut self.ovs);
        }
        self.workloads.tick(rng, &mut self.ovs);
        self.proxy.tick(rng, &mut self.ovs);
        self.conntrack.tick(rng);
        let lookups = self.fqdn.tick(rng);
        self.events
            .tick(rng, first, self.workloads.policies(), lookups);
    }

    /// One conntrack poll cycle (every `--flow-poll-interval`).
    pub fn poll_conntrack(&mut self) {
        self.conntrack.poll(&mut self.poll_rng);
    }

    /// A one-line summary for the logs.
    pub fn summary(&self) -> String {
        format!(
            "tick {}: {} Pods, {} policies, {} flows, {} FQDN names",
            self.ticks,
            self.workloads.pods(),
            self.workloads.policies(),
            self.ovs.total(),
            self.fqdn.size()
        )
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::agent::ovs::{Table, PIPELINE};
    use antrea_metrics::catalogue;
    use antrea_metrics::{Component, Exposition, FlowOp, LabelValue, Profile};

    /// The defaults of the command line.
    pub fn config(seed: u64) -> NodeConfig {
        let cli = <crate::agent::cli::Cli as clap::Parser>::parse_from(["sim-agent"]);
        let mut config = cli.node_config(seed);
        config.ovs.error_rate = 0.02;
        config
    }

    fn run(seed: u64, ticks: u64, profile: Profile) -> (AgentMetrics, Node) {
        let m = AgentMetrics::unregistered(profile).unwrap();
        let mut node = Node::new(&m, config(seed), None);
        for i in 0..ticks {
            node.tick();
            if i % 5 == 0 {
                node.poll_conntrack();
            }
        }
        (m, node)
    }

    fn text(m: &AgentMetrics) -> String {
        let mut out = Vec::new();
        m.encode(antrea_metrics::format::Format::Text, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn invariants_hold_every_step() {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let mut node = Node::new(&m, config(42), None);
        for i in 0..600 {
            node.tick();
            node.poll_conntrack();
            let tables: f64 = (0..PIPELINE.len())
                .map(|t| {
                    let t = Table::named(PIPELINE[t]);
                    m.ovs_flow_count.table(t.id(), t.name()).get()
                })
                .sum();
            assert_eq!(m.ovs_total_flow_count.get(), tables, "tick {i}");
            let (a, t, x) = (
                m.conntrack_antrea_connection_count.get(),
                m.conntrack_total_connection_count.get(),
                m.conntrack_max_connection_count.get(),
            );
            assert!(a <= t && t <= x, "tick {i}: {a} <= {t} <= {x}");
        }
        // Every op observed a latency, failed or not.
        for op in FlowOp::ALL {
            let ops = m.ovs_flow_ops_count.get(*op).get();
            let observed = m
                .ovs_flow_ops_latency_milliseconds
                .get(*op)
                .snapshot()
                .count();
            assert_eq!(ops, observed, "{op}");
            assert!(m.ovs_flow_ops_error_count.get(*op).get() < ops, "{op}");
        }
    }

    /// The series of `name` in an exposition, without HELP/TYPE lines and buckets.
    fn samples<'t>(text: &'t str, name: &'t str) -> impl Iterator<Item = &'t str> {
        text.lines().filter(move |l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '{', '_']))
                && !l.contains("_bucket{")
        })
    }

    #[test]
    fn every_family_has_series_at_once_and_moves_soon() {
        for profile in Profile::ALL {
            let first = text(&run(1, 1, profile).0);
            let later = text(&run(1, 20, profile).0);
            for d in catalogue::for_process(Component::Agent, profile) {
                let name = d.exposed(profile).map_or(d.name, |e| e.name);
                assert!(samples(&first, name).next().is_some(), "{profile}: {name}");
                assert!(
                    samples(&later, name).any(|l| !l.ends_with(" 0")),
                    "{profile}: {name} did not move in 20 steps:\n{later}"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_exposition() {
        let a = text(&run(7, 50, Profile::Latest).0);
        assert_eq!(a, text(&run(7, 50, Profile::Latest).0));
        assert_ne!(a, text(&run(8, 50, Profile::Latest).0));
    }

    #[test]
    fn steps_do_not_depend_on_when_polls_happen() {
        let run = |poll_every: u64| {
            let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
            let mut node = Node::new(&m, config(5), None);
            for i in 0..100 {
                node.tick();
                if i % poll_every == 0 {
                    node.poll_conntrack();
                }
            }
            node.summary()
        };
        assert_eq!(run(3), run(7));
    }

    #[test]
    fn every_pipeline_table_is_exposed_by_id_and_name() {
        let (m, _) = run(3, 1, Profile::Latest);
        let text = text(&m);
        for (id, name) in PIPELINE.iter().enumerate() {
            let series =
                format!("antrea_agent_ovs_flow_count{{table_id=\"{id}\",table_name=\"{name}\"}}");
            assert!(text.contains(&series), "{series}");
        }
    }
}
