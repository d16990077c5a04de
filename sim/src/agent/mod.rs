//! A simulated Antrea Agent serving Antrea's agent and proxy metrics over HTTPS.
//!
//! ```text
//! cargo run --release --example sim-agent
//! cargo run --release --example sim-agent -- --help
//! ```
//!
//! The models (Pods and policies, OVS, conntrack, Antrea Proxy, the FQDN cache, rare events)
//! are plain structs, stepped under one lock so that every scrape sees a whole step; see
//! `docs/simulator.md`.

pub(crate) mod cli;
pub(crate) mod conntrack;
pub(crate) mod events;
pub(crate) mod fqdn;
pub(crate) mod node;
pub(crate) mod ovs;
pub(crate) mod proxy;
pub(crate) mod workloads;

use crate::common::run::{main_with, serve_while, served, step_timer, Failure};
use crate::common::snapshot::StepLock;
use antrea_metrics::AgentMetrics;
use clap::Parser;
use cli::Cli;
use conntrack::{ProcConntrack, PROC_NETFILTER};
use node::Node;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the running state is summarized in the log.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// The `sim-agent` example: parses the command line, serves until stopped, and returns the
/// exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    main_with("sim-agent", cli.common.threads, run(cli))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let options = cli
        .common
        .serve_options(&cli::DEFAULTS)
        .map_err(Failure::Usage)?;
    let seed = cli.common.seed().map_err(Failure::Usage)?;
    let real = if cli.real_conntrack {
        Some(ProcConntrack::open(Path::new(PROC_NETFILTER)).map_err(Failure::Usage)?)
    } else {
        None
    };
    let profile = cli.common.profile;
    let native = cli.common.native_histograms().map_err(Failure::Usage)?;
    let metrics = AgentMetrics::builder()
        .profile(profile)
        .native_histograms(native)
        .build()
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let lock = StepLock::default();
    let served = served(metrics.collector().clone(), &lock)?;
    let mut node = Node::new(&metrics, cli.node_config(seed), real);
    // One step and one conntrack poll before the server answers, so that no scrape sees a
    // Node that has not polled yet (the timers below then run from there).
    node.tick();
    node.poll_conntrack();
    tracing::info!(seed, %profile, tick_ms = cli.common.tick_ms,
        flow_poll_interval = ?cli.flow_poll_interval, "simulating an Antrea agent");
    let (tick, poll) = (cli.common.tick(), cli.flow_poll_interval);
    serve_while(
        "Antrea agent",
        &options,
        served,
        cli.common.duration,
        |stop| simulate(node, lock, tick, poll, stop),
    )
    .await
}

/// Steps the Node every `tick` and polls conntrack every `poll` until `stop` turns true.
async fn simulate(
    mut node: Node,
    lock: StepLock,
    tick: Duration,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let (mut ticks, mut polls) = (step_timer(tick), step_timer(poll));
    let mut last_summary = Instant::now();
    loop {
        tokio::select! {
            // In this order: a stop wins, and the first step runs before the first poll.
            biased;
            _ = stop.wait_for(|s| *s) => break,
            _ = ticks.tick() => {
                let _step = lock.hold();
                node.tick();
            }
            _ = polls.tick() => {
                let _step = lock.hold();
                node.poll_conntrack();
            }
        }
        if last_summary.elapsed() >= SUMMARY_EVERY {
            last_summary = Instant::now();
            tracing::info!("{}", node.summary());
        }
    }
}
