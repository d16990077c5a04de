//! One TLS configuration shared by many servers in a process.

use super::tls::Acceptor;
use std::sync::Arc;

/// The TLS side of a server (certificate, versions, cipher suites, client CA, ALPN), prepared
/// once with [`MetricsServerBuilder::prepare_tls`](super::MetricsServerBuilder::prepare_tls)
/// and given to any number of servers with
/// [`MetricsServerBuilder::shared_tls`](super::MetricsServerBuilder::shared_tls).
///
/// The servers then share one certificate (read, and re-read when its files change, once for
/// all of them), one rustls configuration and one TLS session cache, instead of a copy each:
/// for a process that serves many endpoints, such as a simulated fleet of Nodes.
///
/// ```no_run
/// use antrea_metrics::server::{MetricsServer, StaticTokens, TlsSource};
/// # async fn run() -> antrea_metrics::Result<()> {
/// let tls = MetricsServer::builder()
///     .tls(TlsSource::files("/etc/tls/tls.crt", "/etc/tls/tls.key"))
///     .prepare_tls()?;
/// let mut servers = Vec::new();
/// for port in 20000..20100 {
///     let server = MetricsServer::builder()
///         .listen(([127, 0, 0, 1], port).into())
///         .registry(prometheus::Registry::new())
///         .static_tokens(StaticTokens::from_file("/etc/metrics/tokens")?)
///         .shared_tls(tls.clone())
///         .build()
///         .await?;
///     servers.push(server);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SharedTls {
    pub(super) acceptor: Arc<Acceptor>,
    pub(super) ca_pem: Option<Arc<str>>,
    pub(super) http2: bool,
}

impl SharedTls {
    /// The PEM of the CA that issued a self-signed certificate (`None` for certificate files).
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }
}

impl std::fmt::Debug for SharedTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedTls")
            .field("self_signed", &self.ca_pem.is_some())
            .field("http2", &self.http2)
            .finish_non_exhaustive()
    }
}
