//! A simulated Antrea Controller serving Antrea's controller metrics over HTTPS.
//!
//! ```text
//! cargo run --release --example sim-controller
//! cargo run --release --example sim-controller -- --help
//! ```
//!
//! See `docs/simulator.md` for what it models.

#[path = "../sim/mod.rs"]
mod sim;

mod cli;
mod cluster;
mod node_ipam;

use antrea_metrics::ControllerMetrics;
use clap::Parser;
use cli::Cli;
use cluster::Cluster;
use node_ipam::NodeIpam;
use sim::run::{main_with, serve_while, served, step_timer, Failure};
use sim::snapshot::StepLock;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the running state is summarized in the log.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let cli = Cli::parse();
    main_with("sim-controller", cli.common.threads, run(cli))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let options = cli
        .common
        .serve_options(&cli::DEFAULTS)
        .map_err(Failure::Usage)?;
    let seed = cli.common.seed().map_err(Failure::Usage)?;
    let profile = cli.common.profile;
    let native = cli.common.native_histograms().map_err(Failure::Usage)?;
    let node_ipam_config = cli.node_ipam_config(seed);
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
    let lock = StepLock::default();
    let served = served(metrics.collector().clone(), &lock)?;
    let cluster = Cluster::new(&metrics, cli.cluster_config(seed)).with_node_ipam(node_ipam);
    tracing::info!(seed, %profile, tick_ms = cli.common.tick_ms, "simulating an Antrea controller");
    let tick = cli.common.tick();
    serve_while(
        "Antrea controller",
        &options,
        served,
        cli.common.duration,
        |stop| simulate(cluster, lock, tick, stop),
    )
    .await
}

/// Steps the cluster every `tick` until `stop` turns true.
async fn simulate(
    mut cluster: Cluster,
    lock: StepLock,
    tick: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = step_timer(tick);
    let mut last_summary = Instant::now();
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            _ = ticks.tick() => {
                let _step = lock.hold();
                cluster.tick();
            }
        }
        if last_summary.elapsed() >= SUMMARY_EVERY {
            last_summary = Instant::now();
            tracing::info!("{}", cluster.summary());
        }
    }
}
