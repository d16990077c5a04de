//! The HTTPS `/metrics` server (feature `server`): TLS, bearer-token authentication, health
//! endpoints, gzip, limits and graceful shutdown.
//!
//! ```no_run
//! use antrea_metrics::server::{MetricsServer, StaticTokens, TlsSource};
//! # async fn run() -> antrea_metrics::Result<()> {
//! let registry = prometheus::Registry::new();
//! let server = MetricsServer::builder()
//!     .listen("[::]:10350".parse().expect("a valid address"))
//!     .registry(registry)
//!     .tls(TlsSource::self_signed().write_ca_to("/var/run/metrics/ca.crt"))
//!     .static_tokens(StaticTokens::from_file("/etc/metrics/tokens")?)
//!     .build()
//!     .await?;
//! println!("serving on https://{}", server.local_addr());
//! // Serve until the shutdown future resolves (e.g. on SIGTERM).
//! server.serve(std::future::pending()).await
//! # }
//! ```
//!
//! Status codes: a missing or invalid token gets `401` with `WWW-Authenticate: Bearer`
//! (Antrea answers `403` to a request without a token; [`MetricsServerBuilder::anonymous`]
//! gives Antrea's behaviour); a user the authorizer denies gets `403`; a failing
//! authentication or authorization backend gets `500`.

mod auth;
mod cert;
#[cfg(feature = "kube-auth")]
pub mod kube;
mod limits;
mod metrics;
mod service;
mod tls;
mod tokens;

pub use auth::{
    parse_bearer, AllowAuthenticated, Authentication, Authenticator, Authorizer, BackendError,
    BoxFuture, Decision, RequestAttributes, UserInfo, ANONYMOUS_USER,
};
pub use cert::{TlsSource, DEFAULT_CERT_RELOAD_INTERVAL};
pub use rustls;
pub use service::TEXT_CONTENT_TYPE;
pub use tls::{supported_cipher_suites, TlsVersion};
pub use tokens::{StaticTokens, DEFAULT_TOKEN_RELOAD_INTERVAL, STATIC_TOKEN_USER};

use crate::{Error, Exposition, Result};
use limits::{IdleTimeout, Limits};
use service::App;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

/// Configures a [`MetricsServer`]; made by [`MetricsServer::builder`].
#[must_use]
pub struct MetricsServerBuilder {
    listen: Option<SocketAddr>,
    listener: Option<std::net::TcpListener>,
    sources: Vec<Arc<dyn Exposition>>,
    tls: TlsSource,
    tls_options: tls::TlsOptions,
    static_tokens: Option<StaticTokens>,
    authenticator: Option<Arc<dyn Authenticator>>,
    authorizer: Option<Arc<dyn Authorizer>>,
    anonymous: bool,
    gzip_level: u32,
    limits: Limits,
    server_metrics: Option<prometheus::Registry>,
}

/// A bound, configured HTTPS metrics server; run it with [`MetricsServer::serve`].
pub struct MetricsServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    acceptor: TlsAcceptor,
    app: Arc<App>,
    limits: Limits,
    http2: bool,
    ca_pem: Option<String>,
}

impl MetricsServer {
    /// Starts configuring a server.
    pub fn builder() -> MetricsServerBuilder {
        MetricsServerBuilder {
            listen: None,
            listener: None,
            sources: Vec::new(),
            tls: TlsSource::self_signed(),
            tls_options: tls::TlsOptions::default(),
            static_tokens: None,
            authenticator: None,
            authorizer: None,
            anonymous: false,
            gzip_level: 1,
            limits: Limits::default(),
            server_metrics: None,
        }
    }

    /// The address the server listens on (useful after binding port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The PEM of the CA that issued the self-signed certificate; `None` for certificate files.
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Serves until `shutdown` resolves, then stops accepting (new connections are refused),
    /// lets in-flight requests finish for up to the shutdown timeout, and returns.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for fatal listener failures.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioTimer};
        use hyper_util::server::conn::auto;
        use hyper_util::server::graceful::GracefulShutdown;

        let limits = &self.limits;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.h2_max_concurrent_streams)
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
            // Rapid reset (CVE-2023-44487): hyper closes a connection past these counts.
            .max_pending_accept_reset_streams(Some(32))
            .max_local_error_reset_streams(Some(256));
        if !self.http2 {
            builder = builder.http1_only();
        }
        let builder = Arc::new(builder);
        let connections = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        tracing::info!(addr = %self.local_addr, "serving metrics over HTTPS");
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (tcp, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // E.g. EMFILE: back off briefly instead of spinning; never end the server.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                self.app.metrics.connections_rejected.inc();
                tracing::warn!(%peer, "connection limit reached; closing the new connection");
                continue;
            };
            let conn = Connection {
                acceptor: self.acceptor.clone(),
                builder: Arc::clone(&builder),
                app: Arc::clone(&self.app),
                handshake_timeout: limits.handshake_timeout,
                idle_timeout: limits.idle_timeout,
                _permit: permit,
            };
            tokio::spawn(conn.run(tcp, peer, graceful.watcher()));
        }
        drop(self.listener);
        tracing::info!("shutting down; draining connections");
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(limits.shutdown_timeout) => {
                tracing::warn!(timeout = ?limits.shutdown_timeout, "drain deadline passed; abandoning open connections");
            }
        }
        Ok(())
    }
}

/// One accepted connection, served in its own task.
struct Connection {
    acceptor: TlsAcceptor,
    builder: Arc<hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>>,
    app: Arc<App>,
    handshake_timeout: Duration,
    idle_timeout: Duration,
    /// Holds a connection slot until the connection ends.
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(
        self,
        tcp: TcpStream,
        peer: SocketAddr,
        watcher: hyper_util::server::graceful::Watcher,
    ) {
        // Scrape responses are written whole; Nagle would only delay the last segment.
        let _ = tcp.set_nodelay(true);
        let handshake = tokio::time::timeout(self.handshake_timeout, self.acceptor.accept(tcp));
        let stream = match handshake.await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                self.app.metrics.handshake_errors.inc();
                tracing::debug!(%peer, error = %err, "TLS handshake failed");
                return;
            }
            Err(_) => {
                self.app.metrics.handshake_errors.inc();
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        };
        let io = hyper_util::rt::TokioIo::new(IdleTimeout::new(stream, self.idle_timeout));
        let app = self.app;
        let service = hyper::service::service_fn(move |req| service::handle(Arc::clone(&app), req));
        let conn = self.builder.serve_connection(io, service).into_owned();
        if let Err(err) = watcher.watch(conn).await {
            tracing::debug!(%peer, error = %err, "connection ended with an error");
        }
    }
}

impl MetricsServerBuilder {
    /// Listens on this address (IPv4 or IPv6; port 0 picks a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Serves on a listener bound by the caller (e.g. socket activation, tests).
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Adds a source of metrics; sources are concatenated in the order added.
    pub fn exposition(mut self, source: Arc<dyn Exposition>) -> Self {
        self.sources.push(source);
        self
    }

    /// Adds a registry to serve.
    pub fn registry(self, registry: prometheus::Registry) -> Self {
        self.exposition(Arc::new(registry))
    }

    /// Where the certificate comes from (default: self-signed).
    pub fn tls(mut self, source: TlsSource) -> Self {
        self.tls = source;
        self
    }

    /// The lowest TLS version accepted (default 1.2).
    pub fn tls_min_version(mut self, version: TlsVersion) -> Self {
        self.tls_options.min_version = version;
        self
    }

    /// Limits the cipher suites to these IANA names (see [`supported_cipher_suites`]). A list
    /// of TLS 1.2 suites only leaves TLS 1.3 suites enabled (as Go does); naming any TLS 1.3
    /// suite limits TLS 1.3 too. Unknown names fail `build`.
    pub fn tls_cipher_suites<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.tls_options.cipher_suites = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Requires clients to present a certificate issued by a CA in this PEM bundle (mTLS).
    pub fn client_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_options.client_ca = Some(path.into());
        self
    }

    /// Offers HTTP/2 through ALPN (default `true`).
    pub fn http2(mut self, enabled: bool) -> Self {
        self.tls_options.http2 = enabled;
        self
    }

    /// Authenticates with these static bearer tokens.
    pub fn static_tokens(mut self, tokens: StaticTokens) -> Self {
        self.static_tokens = Some(tokens);
        self
    }

    /// Authenticates with a custom scheme (instead of static tokens).
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Authorizes with a custom policy (default [`AllowAuthenticated`]).
    pub fn authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Treats a request without a token as [`ANONYMOUS_USER`] and lets the authorizer decide,
    /// as Antrea does (the default authorizer then answers `403`). Default: `401`.
    pub fn anonymous(mut self, enabled: bool) -> Self {
        self.anonymous = enabled;
        self
    }

    /// The gzip level, 0–9 (default 1: most of the size saving for a fraction of the CPU).
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level;
        self
    }

    /// Registers the server's own metrics (`antrea_metrics_server_*`) in `registry`.
    pub fn server_metrics(mut self, registry: &prometheus::Registry) -> Self {
        self.server_metrics = Some(registry.clone());
        self
    }

    /// How long a TLS handshake may take (default 10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits.handshake_timeout = timeout;
        self
    }

    /// How long a client may take to send request headers (default 10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// Closes a connection on which no byte moved for this long (default 90 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// The largest request head accepted, at least 8192 (default 16 KiB).
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_header_bytes = bytes;
        self
    }

    /// How many connections may be open at once; more are closed at accept (default 128).
    pub fn max_connections(mut self, count: usize) -> Self {
        self.limits.max_connections = count;
        self
    }

    /// How many scrapes may run at once; more get `503` (default 4).
    pub fn max_inflight_scrapes(mut self, count: usize) -> Self {
        self.limits.max_inflight_scrapes = count;
        self
    }

    /// How long one scrape may take before it gets `503` (default 10 s).
    pub fn scrape_timeout(mut self, timeout: Duration) -> Self {
        self.limits.scrape_timeout = timeout;
        self
    }

    /// How long [`MetricsServer::serve`] waits for connections to drain (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.limits.shutdown_timeout = timeout;
        self
    }

    /// How many HTTP/2 streams one connection may open at once (default 16).
    pub fn h2_max_concurrent_streams(mut self, count: u32) -> Self {
        self.limits.h2_max_concurrent_streams = count;
        self
    }

    /// Validates the settings, loads the certificate and token files, and binds.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid setting, [`Error::ReadFile`], [`Error::Pem`] or
    /// [`Error::CertKey`] for unusable files, [`Error::Tls`] for a rejected TLS setting,
    /// [`Error::Listen`] when binding fails.
    pub async fn build(self) -> Result<MetricsServer> {
        self.limits.validate()?;
        let config = |field, reason: &str| Error::Config {
            field,
            reason: reason.to_owned(),
        };
        if self.sources.is_empty() {
            return Err(config(
                "exposition",
                "add a registry or an exposition to serve",
            ));
        }
        if self.gzip_level > 9 {
            return Err(config("gzip level", "must be 0 to 9"));
        }
        let authenticator: Arc<dyn Authenticator> = match (self.static_tokens, self.authenticator) {
            (Some(_), Some(_)) => {
                return Err(config(
                    "authentication",
                    "set static tokens or an authenticator, not both",
                ))
            }
            (None, None) => {
                return Err(config(
                    "authentication",
                    "set static tokens or an authenticator",
                ))
            }
            (Some(tokens), None) if tokens.is_empty() => {
                return Err(config(
                    "static tokens",
                    "the token set is empty (add at least one token)",
                ))
            }
            (Some(tokens), None) => Arc::new(tokens),
            (None, Some(authenticator)) => authenticator,
        };
        let provider = tls::provider(self.tls_options.cipher_suites.as_deref())?;
        let (resolver, ca_pem) = self.tls.load(&provider)?;
        let tls_config = tls::server_config(&self.tls_options, provider, resolver)?;
        let listener = bind(self.listen, self.listener).await?;
        let local_addr = listener.local_addr().map_err(|source| Error::Listen {
            addr: "listener".to_owned(),
            source,
        })?;
        let metrics = metrics::ServerMetrics::unregistered()?;
        if let Some(registry) = &self.server_metrics {
            metrics.register(registry)?;
        }
        let app = App {
            sources: self.sources,
            authenticator,
            authorizer: self
                .authorizer
                .unwrap_or_else(|| Arc::new(AllowAuthenticated)),
            anonymous: self.anonymous,
            gzip_level: self.gzip_level,
            scrapes: Arc::new(Semaphore::new(self.limits.max_inflight_scrapes)),
            scrape_timeout: self.limits.scrape_timeout,
            metrics,
        };
        Ok(MetricsServer {
            listener,
            local_addr,
            acceptor: TlsAcceptor::from(Arc::new(tls_config)),
            app: Arc::new(app),
            limits: self.limits,
            http2: self.tls_options.http2,
            ca_pem,
        })
    }
}

async fn bind(
    addr: Option<SocketAddr>,
    listener: Option<std::net::TcpListener>,
) -> Result<TcpListener> {
    match (addr, listener) {
        (Some(_), Some(_)) => Err(Error::Config {
            field: "listen",
            reason: "give a listen address or a listener, not both".to_owned(),
        }),
        (None, None) => Err(Error::Config {
            field: "listen",
            reason: "give a listen address or a listener".to_owned(),
        }),
        (Some(addr), None) => TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Listen {
                addr: addr.to_string(),
                source,
            }),
        (None, Some(listener)) => {
            let wrap = |source| Error::Listen {
                addr: "listener".to_owned(),
                source,
            };
            listener.set_nonblocking(true).map_err(wrap)?;
            TcpListener::from_std(listener).map_err(wrap)
        }
    }
}
