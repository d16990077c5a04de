//! Starting a metrics server on loopback for a test, and stopping it.

use antrea_metrics::server::{MetricsServer, MetricsServerBuilder, StaticTokens};
use prometheus::{IntCounter, Registry};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::BoxError;

/// The bearer token the default test server accepts.
pub const TOKEN: &str = "suite-token-7f3a9c1e";

/// The metric line every test registry exposes.
pub const DEMO_LINE: &str = "suite_demo_total 7";

/// A registry with one counter, `suite_demo_total`, at 7.
pub fn demo_registry() -> Result<Registry, BoxError> {
    let registry = Registry::new();
    let counter = IntCounter::new("suite_demo_total", "A counter for the server tests.")?;
    registry.register(Box::new(counter.clone()))?;
    counter.inc_by(7);
    Ok(registry)
}

/// A builder on `127.0.0.1:0` serving [`demo_registry`] with [`TOKEN`] and short timeouts.
pub fn builder() -> Result<MetricsServerBuilder, BoxError> {
    Ok(MetricsServer::builder()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .registry(demo_registry()?)
        .static_tokens(StaticTokens::new([TOKEN.to_owned()]))
        .handshake_timeout(Duration::from_secs(1))
        .header_read_timeout(Duration::from_secs(1))
        .scrape_timeout(Duration::from_secs(2))
        .idle_timeout(Duration::from_secs(3))
        .shutdown_timeout(Duration::from_secs(3)))
}

/// A server running in a task until [`Running::stop`].
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The self-signed CA, if any.
    pub ca_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Builds and starts the server.
    pub async fn start(builder: MetricsServerBuilder) -> Result<Self, BoxError> {
        let server = builder.build().await?;
        let addr = server.local_addr();
        let ca_pem = server.ca_pem().map(str::to_owned);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            ca_pem,
            stop: Some(stop),
            task,
        })
    }

    /// The self-signed CA PEM (fails for a server on certificate files).
    pub fn ca(&self) -> Result<&str, BoxError> {
        Ok(self.ca_pem.as_deref().ok_or("no self-signed CA")?)
    }

    /// Signals shutdown without waiting; returns the task to await.
    pub fn signal(mut self) -> JoinHandle<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
    }

    /// Signals shutdown and waits (bounded) for `serve` to return.
    pub async fn stop(self) -> Result<(), BoxError> {
        let task = self.signal();
        tokio::time::timeout(Duration::from_secs(10), task).await??;
        Ok(())
    }
}
