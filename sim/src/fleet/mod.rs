//! A simulated fleet of Antrea Agents in one process, for sizing Prometheus: every Node has its
//! own seeded model (the agent simulator's) and its own HTTPS listener, on consecutive ports;
//! with `--controller`, one simulated Antrea controller (the controller simulator's model) too.
//!
//! ```text
//! cargo run --release --example sim-fleet -- --nodes 1000 --listen 127.0.0.1:20000 \
//!     --file-sd target/sim/fleet.json
//! cargo run --release --example sim-fleet -- --help
//! ```
//!
//! One runtime thread (by default) serves every listener, one certificate and one token serve
//! every Node, and one timer steps every model; see `docs/simulator.md` and `docs/scale.md`.

mod args;
mod cert;
mod controller;
mod fds;
mod file_sd;
mod nodes;
mod variety;

use crate::agent::node::Node;
use crate::common::cli::{Auth, ServeOptions};
use crate::common::run::{main_with, run_until_stopped, step_timer, Failure};
use crate::common::serve::{banner, ensure_token_file, StopSignals};
use args::FleetCli;
use clap::Parser;
use controller::FleetController;
use nodes::{Fleet, FleetNode, Shared};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the running state is summarized in the log.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// Nodes stepped between two yields to the scrapes waiting on the same runtime thread.
const STEP_BATCH: usize = 32;

/// The `sim-fleet` example: parses the command line, serves until stopped, and returns the exit
/// status.
pub fn main() -> ExitCode {
    let cli = FleetCli::parse();
    // A line per listener at start would bury the fleet's own lines; RUST_LOG still wins.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "info,antrea_metrics::server=warn");
    }
    main_with("sim-fleet", cli.agent.common.threads, run(cli))
}

async fn run(cli: FleetCli) -> Result<(), Failure> {
    if let Some(why) = cli.refused() {
        return Err(Failure::Usage(why.to_owned()));
    }
    let common = &cli.agent.common;
    let options = common
        .serve_options(&args::DEFAULTS)
        .map_err(Failure::Usage)?;
    let listeners = cli.nodes + u32::from(cli.controller);
    let mut addrs = args::listen_addrs(options.listen, listeners).map_err(Failure::Usage)?;
    if let Some(warning) = args::ephemeral_range()
        .and_then(|range| args::ephemeral_overlap(options.listen.port(), listeners, range))
    {
        tracing::warn!("{warning}");
    }
    // The controller's port is the one after the last Node's.
    let controller_addr = if cli.controller { addrs.pop() } else { None };
    fds::check_open_files(fds::needed(listeners)).map_err(Failure::Usage)?;
    let seed = common.seed().map_err(Failure::Usage)?;
    let signals = StopSignals::install().map_err(Failure::Runtime)?;
    if let Auth::TokenFile(path) = &options.auth {
        ensure_token_file(path).map_err(Failure::Usage)?;
    }
    let cert = cert::fleet_cert(&options.tls).map_err(Failure::Usage)?;
    let parts = cert::shared_parts(&ServeOptions {
        tls: cert.tls.clone(),
        ..options.clone()
    })
    .map_err(Failure::Usage)?;
    let shared = Shared {
        options: &options,
        tls: &cert.tls,
        parts,
        base: cli.agent.node_config(seed),
        seed,
        profile: common.profile,
        native: common.native_histograms().map_err(Failure::Usage)?,
    };
    let started = Instant::now();
    let fleet = Fleet::bind(&shared, &addrs).await?;
    let controller = match controller_addr {
        Some(addr) => Some(controller::bind(&shared, addr).await?),
        None => None,
    };
    tracing::info!(seed, nodes = cli.nodes, controller = cli.controller, profile = %common.profile,
        tick_ms = common.tick_ms, bound_in = ?started.elapsed(), "simulating a fleet of Antrea agents");
    if let Some(path) = &cli.file_sd {
        file_sd::write(path, &fleet.targets).map_err(Failure::Usage)?;
    }
    let (first, last) = (&fleet.targets[0], &fleet.targets[fleet.targets.len() - 1]);
    println!(
        "Nodes:      {} ({} on {} to {} on {})",
        cli.nodes, first.node, first.addr, last.node, last.addr
    );
    if let Some(path) = &cli.file_sd {
        println!("file_sd:    {}", path.display());
    }
    let Fleet {
        nodes, mut servers, ..
    } = fleet;
    let controller = match controller {
        Some((controller, server, target)) => {
            println!("Controller: {} on {}", target.node, target.addr);
            if let Some(path) = &cli.file_sd_controller {
                file_sd::write(path, &[target]).map_err(Failure::Usage)?;
                println!("file_sd:    {} (the controller)", path.display());
            }
            servers.push(server);
            Some(controller)
        }
        None => None,
    };
    let what = format!("Antrea agent {}", first.node);
    println!("{}", banner(&what, first.addr, &options, cert.ca_written));
    let (tick, poll) = (common.tick(), cli.agent.flow_poll_interval);
    run_until_stopped(signals, servers, common.duration, |stop| {
        simulate(nodes, controller, tick, poll, stop)
    })
    .await
}

/// Steps every Node (then the controller) every `tick` and polls the Nodes' conntrack every
/// `poll`, on one timer each, until `stop` turns true.
async fn simulate(
    mut nodes: Vec<FleetNode>,
    mut controller: Option<FleetController>,
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
                step_all(&mut nodes, Node::tick).await;
                if let Some(controller) = &mut controller {
                    controller.step();
                }
            }
            _ = polls.tick() => step_all(&mut nodes, Node::poll_conntrack).await,
        }
        if last_summary.elapsed() >= SUMMARY_EVERY {
            last_summary = Instant::now();
            let first = &nodes[0];
            tracing::info!(
                "{} Nodes; {}: {}",
                nodes.len(),
                first.name,
                first.node.summary()
            );
            if let Some(controller) = &controller {
                tracing::info!("controller: {}", controller.cluster.summary());
            }
        }
    }
}

/// Runs `step` on every Node under its own lock, so a scrape waits for its own Node's step
/// only, yielding every [`STEP_BATCH`] Nodes so that a thousand steps do not stall scrapes.
async fn step_all(nodes: &mut [FleetNode], step: fn(&mut Node)) {
    for (i, n) in nodes.iter_mut().enumerate() {
        {
            let _step = n.lock.hold();
            step(&mut n.node);
        }
        if i % STEP_BATCH == STEP_BATCH - 1 {
            tokio::task::yield_now().await;
        }
    }
}
