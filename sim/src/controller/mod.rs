//! A simulated Antrea Controller serving Antrea's controller metrics over HTTPS.
//!
//! ```text
//! cargo run --release --example sim-controller
//! cargo run --release --example sim-controller -- --help
//! ```
//!
//! See `docs/simulator.md` for what it models.

mod cli;
pub(crate) mod cluster;
pub(crate) mod cluster_args;
pub(crate) mod node_ipam;

use crate::common::run::{main_with, serve_while, served, step_timer, Failure};
use crate::common::snapshot::StepLock;
use clap::Parser;
use cli::Cli;
use cluster::Cluster;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the running state is summarized in the log.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// The `sim-controller` example: parses the command line, serves until stopped, and returns
/// the exit status.
pub fn main() -> ExitCode {
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
    let (metrics, cluster) = cli.cluster.build(seed, profile, native)?;
    let lock = StepLock::default();
    let served = served(metrics.collector().clone(), &lock)?;
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
