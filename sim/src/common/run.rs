//! The life of a simulator process: logging, exit codes, serving while the simulation runs,
//! and stopping both together.

use crate::common::cli::{Auth, ServeOptions};
use crate::common::serve::{banner, ensure_token_file, Server, StopSignals};
use crate::common::snapshot::{Consistent, StepLock};
use antrea_metrics::prometheus::Registry;
use antrea_metrics::Exposition;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Interval, MissedTickBehavior};

/// Why a simulator stopped early.
#[derive(Debug)]
pub enum Failure {
    /// Bad flags or unusable files: exit code 2.
    Usage(String),
    /// Something failed while running: exit code 1.
    Runtime(String),
}

/// A simulation loop's timer, firing every `period` from now on. A late step is run late, not
/// twice: bursts of catch-up steps would distort rates.
pub fn step_timer(period: Duration) -> Interval {
    let mut timer = tokio::time::interval(period);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    timer
}

/// Sets up logging and a runtime of `threads` threads, runs `body`, and turns its outcome into
/// an exit code.
pub fn main_with<F: Future<Output = Result<(), Failure>>>(
    name: &str,
    threads: u16,
    body: F,
) -> ExitCode {
    // RUST_LOG overrides; info shows the start, periodic summaries and the stop.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match crate::common::fds::raise_open_file_limit() {
        Ok(raised) if raised.before != raised.after => {
            tracing::info!(before = ?raised.before, after = ?raised.after, "raised the open-file limit to the hard limit");
        }
        Ok(_) => {}
        // Not fatal: the server bounds its descriptors; say so and go on.
        Err(msg) => tracing::warn!("{msg}"),
    }
    // Steps stay in order either way: one task runs them all.
    let mut builder = if threads > 1 {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(usize::from(threads));
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    // Collections run on the blocking pool; they are CPU work, so threads past the cores only
    // queue in the kernel, and each one that allocates keeps its own malloc arena: a fleet
    // under scrape grew to ~100 of them. Bounded, a collection waits for a free thread.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    builder.max_blocking_threads(cores);
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {name} cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(body) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// What a simulator serves: its component's families, encoded under the step lock, then a
/// registry with the process metrics Antrea's processes expose too (and, with Kubernetes auth,
/// the review metrics).
pub struct Served {
    /// The component's families.
    pub families: Arc<dyn Exposition>,
    /// Everything else.
    pub registry: Registry,
}

/// Serves `families` consistently with the steps under `lock`, plus the process metrics.
pub fn served<E: Exposition + 'static>(families: E, lock: &StepLock) -> Result<Served, Failure> {
    let registry = Registry::new();
    antrea_metrics::register_process_metrics(&registry)
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    Ok(Served {
        families: Arc::new(Consistent {
            inner: families,
            lock: lock.clone(),
        }),
        registry,
    })
}

/// Serves `served` and runs `simulate` until Ctrl-C, SIGTERM or `duration`; `simulate`
/// must return once its receiver turns true. Prints the banner once the port is bound.
pub async fn serve_while<S, F>(
    what: &str,
    options: &ServeOptions,
    served: Served,
    duration: Option<Duration>,
    simulate: S,
) -> Result<(), Failure>
where
    S: FnOnce(watch::Receiver<bool>) -> F,
    F: Future<Output = ()>,
{
    let signals = StopSignals::install().map_err(Failure::Runtime)?;
    if let Auth::TokenFile(path) = &options.auth {
        ensure_token_file(path).map_err(Failure::Usage)?;
    }
    let server = Server::bind(options, served)
        .await
        .map_err(Failure::Usage)?;
    let addr = server.local_addr();
    println!("{}", banner(what, addr, options, server.ca_written()));
    run_until_stopped(signals, vec![server], duration, simulate).await
}

/// Runs `servers` and `simulate` until a signal, `duration`, or a server failing; `simulate`
/// must return once its receiver turns true.
pub async fn run_until_stopped<S, F>(
    signals: StopSignals,
    servers: Vec<Server>,
    duration: Option<Duration>,
    simulate: S,
) -> Result<(), Failure>
where
    S: FnOnce(watch::Receiver<bool>) -> F,
    F: Future<Output = ()>,
{
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut server_done = stop_rx.clone();
    let stopper = async {
        tokio::select! {
            why = signals.requested(duration) => tracing::info!("stopping: {why}"),
            // A server failed on its own: stop the simulation too.
            _ = server_done.wait_for(|s| *s) => {}
        }
        stop_tx.send_replace(true);
    };
    let serving = async {
        let mut running = tokio::task::JoinSet::new();
        for server in servers {
            running.spawn(server.run(stop_rx.clone()));
        }
        let mut result = Ok(());
        // Bounded by the number of servers.
        while let Some(done) = running.join_next().await {
            let outcome = done
                .map_err(|e| format!("a server task ended abnormally: {e}"))
                .and_then(|served| served);
            if let Err(e) = outcome {
                // The first failure stops every other server and the simulation.
                stop_tx.send_replace(true);
                result = result.and(Err(e));
            }
        }
        stop_tx.send_replace(true);
        result
    };
    let ((), (), served) = tokio::join!(stopper, simulate(stop_rx.clone()), serving);
    served.map_err(Failure::Runtime)?;
    tracing::info!("stopped");
    Ok(())
}
