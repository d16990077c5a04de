//! The HTTPS `/metrics` server (feature `server`): TLS, bearer-token authentication, health
//! endpoints, gzip, limits with admission that prefers work over silence (see `docs/server.md`),
//! and graceful shutdown.
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
//! server.serve(std::future::pending()).await;
//! Ok(())
//! # }
//! ```
//!
//! Status codes: a missing or invalid token gets `401` with `WWW-Authenticate: Bearer`
//! (Antrea answers `403` to a request without a token; [`MetricsServerBuilder::anonymous`]
//! gives Antrea's behaviour); a user the authorizer denies gets `403`; a failing
//! authentication or authorization backend gets `500`.

mod accept;
mod admission;
mod auth;
mod body;
mod builder;
mod ca_file;
mod cert;
mod collection;
mod error;
pub(crate) mod families;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod gzip;
#[cfg(feature = "kube-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
pub mod kube;
mod limits;
mod metrics;
mod plain_http;
mod reload;
mod service;
mod shared_tls;
mod timeouts;
mod tls;
mod tokens;

pub use auth::{
    parse_bearer, AllowAuthenticated, Authentication, Authenticator, Authorizer, BackendError,
    BoxFuture, Decision, RequestAttributes, UserInfo, ANONYMOUS_USER,
};
pub use builder::MetricsServerBuilder;
pub use cert::{CertFiles, SelfSigned, TlsSource, DEFAULT_CERT_RELOAD_INTERVAL};
pub use error::BuildError;
pub(crate) use error::ServeError;
pub use rustls;
pub use shared_tls::SharedTls;
pub use tls::{supported_cipher_suites, TlsVersion};
pub use tokens::{StaticTokens, DEFAULT_TOKEN_RELOAD_INTERVAL, STATIC_TOKEN_USER};

use admission::{Admission, Bounds, Ticket};
use limits::Limits;
use service::App;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use timeouts::Timed;
use tokio::net::{TcpListener, TcpStream};

/// A bound, configured HTTPS metrics server; run it with [`MetricsServer::serve`].
pub struct MetricsServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    acceptor: Arc<tls::Acceptor>,
    app: Arc<App>,
    limits: Limits,
    http2: bool,
    ca_pem: Option<Arc<str>>,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("local_addr", &self.local_addr)
            .field("http2", &self.http2)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl MetricsServer {
    /// Starts configuring a server.
    #[must_use]
    pub fn builder() -> MetricsServerBuilder {
        MetricsServerBuilder::new()
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
    /// lets in-flight requests finish for up to the shutdown timeout, closes the connections
    /// still open, and returns.
    ///
    ///
    /// Nothing that happens while serving ends it: a scrape that fails is answered `500` and
    /// logged, a connection that fails is closed.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        use hyper_util::rt::{TokioExecutor, TokioTimer};
        use hyper_util::server::conn::auto;
        use hyper_util::server::graceful::GracefulShutdown;

        let limits = &self.limits;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // hyper's header timer also runs while a kept-alive connection waits for its next
            // request, closing it long before the idle timeout; `Timed` times heads instead.
            .header_read_timeout(None)
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
        let bounds = Bounds {
            max_total: limits.max_connections,
            max_per_client: limits.max_connections_per_client,
            protection: limits.fresh_connection_grace,
        };
        let admission = Arc::new(Admission::new(bounds, self.app.metrics.clone()));
        let mut backoff = accept::Backoff::default();
        let graceful = GracefulShutdown::new();
        // Connection tasks, so that those still open after the drain deadline can be aborted.
        let mut tasks = tokio::task::JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        tracing::info!(addr = %self.local_addr, "serving metrics over HTTPS");
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (tcp, peer) = match accepted {
                Ok(accepted) => {
                    backoff.reset();
                    accepted
                }
                Err(err) => {
                    // E.g. EMFILE: back off instead of spinning; never end the server.
                    let pause = backoff.next();
                    tracing::warn!(error = %err, retry_in = ?pause, "accepting a connection failed");
                    tokio::select! {
                        () = tokio::time::sleep(pause) => continue,
                        () = &mut shutdown => break,
                    }
                }
            };
            // A dual-stack listener sees IPv4 clients as `::ffff:a.b.c.d`; key them by the IPv4 address.
            let Some(ticket) = admission.admit(peer.ip().to_canonical()) else {
                tracing::warn!(%peer, "every connection that could make room is busy; closing the new connection");
                continue;
            };
            let conn = Connection {
                acceptor: Arc::clone(&self.acceptor),
                builder: Arc::clone(&builder),
                app: Arc::clone(&self.app),
                handshake_timeout: limits.handshake_timeout,
                header_read_timeout: limits.header_read_timeout,
                idle_timeout: limits.idle_timeout,
                send_timeout: limits.send_timeout,
            };
            tasks.spawn(conn.run(ticket, tcp, peer, graceful.watcher()));
            // Reap finished connections so the set holds only open ones.
            while tasks.try_join_next().is_some() {}
        }
        drop(self.listener);
        tracing::info!("shutting down; draining connections");
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(limits.shutdown_timeout) => {
                tracing::warn!(timeout = ?limits.shutdown_timeout, "drain deadline passed; closing open connections");
                tasks.abort_all();
            }
        }
    }
}

/// One accepted connection, served in its own task.
struct Connection {
    acceptor: Arc<tls::Acceptor>,
    builder: Arc<hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>>,
    app: Arc<App>,
    handshake_timeout: Duration,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    send_timeout: Duration,
}

impl Connection {
    /// Serves until the connection ends, is evicted to make room for another, or leaves a
    /// response untaken for the send timeout (an HTTP/2 window held at zero: the body is never
    /// polled, so no write is pending for `Timed` to time). `ticket` holds the connection's
    /// slot until the task ends; dropping the connection's future closes the socket.
    async fn run(
        self,
        ticket: Ticket,
        tcp: TcpStream,
        peer: SocketAddr,
        watcher: hyper_util::server::graceful::Watcher,
    ) {
        let send_timeout = self.send_timeout;
        tokio::select! {
            () = ticket.evicted() => tracing::debug!(%peer, "connection evicted to make room"),
            () = ticket.send_stalled(send_timeout) => {
                tracing::debug!(%peer, timeout = ?send_timeout, "the client took no response in time; closing");
            }
            () = self.serve(&ticket, tcp, peer, watcher) => {}
        }
    }

    async fn serve(
        self,
        ticket: &Ticket,
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
        let slot = ticket.slot();
        slot.handshake_done();
        let http1 = stream.get_ref().1.alpn_protocol() != Some(b"h2");
        let stream = Timed::new(
            stream,
            self.idle_timeout,
            self.header_read_timeout,
            self.send_timeout,
            http1,
        );
        let io = hyper_util::rt::TokioIo::new(stream);
        let app = self.app;
        let service = hyper::service::service_fn(move |req| {
            service::handle(Arc::clone(&app), Arc::clone(&slot), req)
        });
        let conn = self.builder.serve_connection(io, service).into_owned();
        if let Err(err) = watcher.watch(conn).await {
            tracing::debug!(%peer, error = %err, "connection ended with an error");
        }
    }
}
