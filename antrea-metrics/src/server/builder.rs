//! The builder that validates settings, loads files and binds.

use super::collection::Collections;
use super::error::{BuildError, BuildResult};
use super::limits::Limits;
use super::service::App;
use super::{
    metrics, tls, AllowAuthenticated, Authenticator, Authorizer, MetricsServer, SharedTls,
    StaticTokens, TlsSource, TlsVersion,
};
use crate::Exposition;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Configures a [`MetricsServer`]; made by [`MetricsServer::builder`].
pub struct MetricsServerBuilder {
    bind: Option<Bind>,
    sources: Vec<Arc<dyn Exposition>>,
    tls: TlsSource,
    tls_options: tls::TlsOptions,
    shared_tls: Option<SharedTls>,
    authentication: Option<Authentication>,
    authorizer: Option<Arc<dyn Authorizer>>,
    anonymous: bool,
    gzip_level: u32,
    openmetrics: bool,
    limits: Limits,
    server_metrics: Option<prometheus::Registry>,
}

impl std::fmt::Debug for MetricsServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServerBuilder")
            .field("bind", &self.bind)
            .field("sources", &self.sources.len())
            .field("tls", &self.tls)
            .field("tls_options", &self.tls_options)
            .field("shared_tls", &self.shared_tls)
            .field("authentication", &self.authentication)
            .field("custom_authorizer", &self.authorizer.is_some())
            .field("anonymous", &self.anonymous)
            .field("openmetrics", &self.openmetrics)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl MetricsServerBuilder {
    pub(super) fn new() -> Self {
        Self {
            bind: None,
            sources: Vec::new(),
            tls: TlsSource::default(),
            tls_options: tls::TlsOptions::default(),
            shared_tls: None,
            authentication: None,
            authorizer: None,
            anonymous: false,
            gzip_level: 1,
            openmetrics: false,
            limits: Limits::default(),
            server_metrics: None,
        }
    }

    /// Listens on this address (IPv4 or IPv6; port 0 picks a free port). Replaces a
    /// [`listener`](Self::listener) given before: the server listens in one place.
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(Bind::Addr(addr));
        self
    }

    /// Serves on a listener bound by the caller (e.g. socket activation, tests). Replaces a
    /// [`listen`](Self::listen) address given before.
    #[must_use]
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.bind = Some(Bind::Listener(listener));
        self
    }

    /// Adds a source of metrics; sources are concatenated in the order added.
    ///
    /// The catalogue's components are sources themselves, and serving one directly skips the
    /// `gather()` a registry needs: a scrape is encoded straight into one buffer instead of
    /// building a `MetricFamily` per family and a `Metric` per series (about 2,000 allocations
    /// for a realistic agent).
    ///
    /// ```no_run
    /// use antrea_metrics::server::{MetricsServer, StaticTokens};
    /// use antrea_metrics::{AgentMetrics, FlowOp, Profile};
    /// use std::sync::Arc;
    /// # async fn run() -> antrea_metrics::Result<()> {
    /// let agent = AgentMetrics::unregistered(Profile::Latest)?;
    /// let server = MetricsServer::builder()
    ///     .exposition(Arc::new(agent.clone()))
    ///     .static_tokens(StaticTokens::from_file("/etc/antrea-metrics/tokens")?)
    ///     .build()
    ///     .await?;
    /// agent.ovs_flow_ops_count.get(FlowOp::Add).inc();
    /// server.serve(std::future::pending()).await;
    /// Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn exposition(mut self, source: Arc<dyn Exposition>) -> Self {
        self.sources.push(source);
        self
    }

    /// Adds a registry to serve; each scrape runs its `gather()`. For the catalogue's
    /// components, [`exposition`](Self::exposition) is the cheaper way.
    #[must_use]
    pub fn registry(self, registry: prometheus::Registry) -> Self {
        self.exposition(Arc::new(registry))
    }

    /// Where the certificate comes from (default: self-signed): a
    /// [`SelfSigned`](super::SelfSigned) or [`CertFiles`](super::CertFiles) source, each with
    /// only the options that apply to it.
    #[must_use]
    pub fn tls(mut self, source: impl Into<TlsSource>) -> Self {
        self.tls = source.into();
        self
    }

    /// Prepares this builder's TLS settings ([`tls`](Self::tls) and the `tls_*` options) once,
    /// for servers that share them with [`shared_tls`](Self::shared_tls); a self-signed
    /// certificate is generated (and its CA written) now. The builder is left as it was.
    ///
    /// # Errors
    /// As [`build`](Self::build) for its TLS settings: [`BuildError::ReadFile`],
    /// [`BuildError::Pem`], [`BuildError::CertKey`], [`BuildError::Tls`],
    /// [`BuildError::SelfSigned`] or [`BuildError::WriteFile`].
    pub fn prepare_tls(&self) -> BuildResult<SharedTls> {
        let provider = tls::provider(self.tls_options.cipher_suites.as_deref())?;
        let (resolver, ca_pem) = self.tls.clone().load(&provider)?;
        let config = tls::server_config(&self.tls_options, provider, &resolver)?;
        Ok(SharedTls {
            acceptor: Arc::new(tls::Acceptor::new(config, resolver)),
            ca_pem: ca_pem.map(Arc::from),
            http2: self.tls_options.http2,
        })
    }

    /// Serves with TLS settings prepared by [`prepare_tls`](Self::prepare_tls), shared with
    /// other servers. They replace this builder's own [`tls`](Self::tls) and `tls_*` settings,
    /// which then have no effect.
    #[must_use]
    pub fn shared_tls(mut self, tls: SharedTls) -> Self {
        self.shared_tls = Some(tls);
        self
    }

    /// The lowest TLS version accepted (default 1.2).
    #[must_use]
    pub fn tls_min_version(mut self, version: TlsVersion) -> Self {
        self.tls_options.min_version = version;
        self
    }

    /// Limits the cipher suites to these IANA names (see
    /// [`supported_cipher_suites`](super::supported_cipher_suites)). A list of TLS 1.2 suites
    /// only leaves TLS 1.3 suites enabled (as Go does); naming any TLS 1.3 suite limits TLS 1.3
    /// too. Unknown names fail `build`.
    #[must_use]
    pub fn tls_cipher_suites<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.tls_options.cipher_suites = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Requires clients to present a certificate issued by a CA in this PEM bundle (mTLS).
    #[must_use]
    pub fn client_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_options.client_ca = Some(path.into());
        self
    }

    /// Offers HTTP/2 through ALPN (default `true`).
    #[must_use]
    pub fn http2(mut self, enabled: bool) -> Self {
        self.tls_options.http2 = enabled;
        self
    }

    /// Authenticates with these static bearer tokens. Replaces an
    /// [`authenticator`](Self::authenticator) set before: a server has one token source.
    #[must_use]
    pub fn static_tokens(mut self, tokens: StaticTokens) -> Self {
        self.authentication = Some(Authentication::Static(tokens));
        self
    }

    /// Authenticates with a custom scheme. Replaces
    /// [`static_tokens`](Self::static_tokens) set before: a server has one token source.
    #[must_use]
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authentication = Some(Authentication::Custom(authenticator));
        self
    }

    /// Authorizes with a custom policy (default [`AllowAuthenticated`]).
    #[must_use]
    pub fn authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Treats a request without a token as [`ANONYMOUS_USER`](super::ANONYMOUS_USER) and lets the authorizer decide,
    /// as Antrea does (the default authorizer then answers `403`). Default: `401`.
    #[must_use]
    pub fn anonymous(mut self, enabled: bool) -> Self {
        self.anonymous = enabled;
        self
    }

    /// The gzip level, 0–9 (default 1: most of the size saving for a fraction of the CPU).
    #[must_use]
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level;
        self
    }

    /// Offers OpenMetrics 1.0.0 text to scrapers that ask for it (promhttp's
    /// `EnableOpenMetrics`). Default: off, because Prometheus then stores every counter as
    /// `<name>_total` (`antrea_agent_ovs_flow_ops_count_total`), which breaks queries and
    /// dashboards written for Antrea's names. Text 0.0.4 and protobuf are always offered.
    #[must_use]
    pub fn openmetrics(mut self, enabled: bool) -> Self {
        self.openmetrics = enabled;
        self
    }

    /// Registers the server's own metrics (`antrea_metrics_server_*`) in `registry`.
    #[must_use]
    pub fn server_metrics(mut self, registry: &prometheus::Registry) -> Self {
        self.server_metrics = Some(registry.clone());
        self
    }

    /// How long a TLS handshake may take (default 10 s).
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits.handshake_timeout = timeout;
        self
    }

    /// How long a client may take to send request headers (default 10 s).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// Closes a connection on which no byte moved for this long (default 90 s).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// Closes a connection whose response has waited this long for the client to take any of
    /// it (default 10 s): a client that does not read, or holds its HTTP/2 flow-control window
    /// at zero. A slow client that keeps reading is not affected.
    #[must_use]
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.limits.send_timeout = timeout;
        self
    }

    /// How long a new connection goes last when its address's connections make room for a
    /// newcomer (default 1 s): the time a scraper has to finish its TLS handshake and send its
    /// request. Keep it short; see `docs/reliability.md` for what it guarantees. Zero turns it
    /// off.
    #[must_use]
    pub fn fresh_connection_grace(mut self, grace: Duration) -> Self {
        self.limits.fresh_connection_grace = grace;
        self
    }

    /// The largest request head accepted, at least 8192 (default 16 KiB).
    #[must_use]
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_header_bytes = bytes;
        self
    }

    /// How many connections may be open at once (default 256). A new connection beyond it
    /// closes a held one: never one that proved a bearer token or on which the server is
    /// working; of the others, one from the address holding the most, connections older than
    /// [`fresh_connection_grace`](Self::fresh_connection_grace) first, the least useful first
    /// (in its handshake or without a request, oldest first, then the longest idle). When none
    /// may go, the new connection is closed instead. `docs/reliability.md` states the
    /// guarantee this gives a scraper.
    #[must_use]
    pub fn max_connections(mut self, count: usize) -> Self {
        self.limits.max_connections = count;
        self
    }

    /// How many connections one client IP address may hold (default 64; a Prometheus server
    /// holds one or two per target). A client beyond it makes room among its own connections
    /// only, as [`max_connections`](Self::max_connections) does among all, so one address
    /// cannot take every slot nor close another address's connections. A value of
    /// `max_connections` or more turns the bound off.
    #[must_use]
    pub fn max_connections_per_client(mut self, count: usize) -> Self {
        self.limits.max_connections_per_client = count;
        self
    }

    /// How many scrapes may wait for a collection at once; more get `503` (default 4).
    /// Coinciding scrapes of one format share one collection, and a scrape gives its slot back
    /// when its deadline passes, so the slots count waiting clients, not blocked threads.
    #[must_use]
    pub fn max_inflight_scrapes(mut self, count: usize) -> Self {
        self.limits.max_inflight_scrapes = count;
        self
    }

    /// How long one scrape may wait before it gets `503` (default 10 s); a scraper's shorter
    /// `X-Prometheus-Scrape-Timeout-Seconds` shortens it.
    #[must_use]
    pub fn scrape_timeout(mut self, timeout: Duration) -> Self {
        self.limits.scrape_timeout = timeout;
        self
    }

    /// How long [`MetricsServer::serve`] waits for connections to drain (default 10 s).
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.limits.shutdown_timeout = timeout;
        self
    }

    /// How many HTTP/2 streams one connection may open at once (default 16).
    #[must_use]
    pub fn h2_max_concurrent_streams(mut self, count: u32) -> Self {
        self.limits.h2_max_concurrent_streams = count;
        self
    }

    /// Validates the settings, loads the certificate and token files, and binds.
    ///
    /// # Errors
    /// A [`BuildError`]: a missing or invalid setting (e.g. [`BuildError::NoAuthentication`],
    /// [`BuildError::Zero`]); [`BuildError::ReadFile`], [`BuildError::Pem`] or
    /// [`BuildError::CertKey`] for unusable certificate, key or CA files; [`BuildError::Tls`]
    /// for a rejected TLS setting; [`BuildError::SelfSigned`] or [`BuildError::WriteFile`] when
    /// the self-signed certificate cannot be made or its CA written; [`BuildError::Metrics`]
    /// when the server metrics clash with the registry; [`BuildError::Listen`] when binding
    /// fails.
    pub async fn build(self) -> BuildResult<MetricsServer> {
        self.limits.validate()?;
        if self.sources.is_empty() {
            return Err(BuildError::NoExposition);
        }
        if self.gzip_level > 9 {
            return Err(BuildError::GzipLevel(self.gzip_level));
        }
        if self.authentication.is_none() {
            return Err(BuildError::NoAuthentication);
        }
        let tls = match &self.shared_tls {
            Some(shared) => shared.clone(),
            None => self.prepare_tls()?,
        };
        let authenticator: Arc<dyn Authenticator> = match self.authentication {
            None => return Err(BuildError::NoAuthentication),
            Some(Authentication::Static(tokens)) if tokens.is_empty() => {
                return Err(BuildError::EmptyTokens)
            }
            Some(Authentication::Static(tokens)) => Arc::new(tokens),
            Some(Authentication::Custom(authenticator)) => authenticator,
        };
        let listener = bind(self.bind.ok_or(BuildError::NoListener)?).await?;
        let local_addr = listener.local_addr().map_err(|source| BuildError::Listen {
            addr: "listener".to_owned(),
            source,
        })?;
        let metrics = metrics::ServerMetrics::new(self.server_metrics.as_ref())?;
        let collections = Collections::new(
            self.sources,
            self.gzip_level,
            metrics.scrape_duration.clone(),
        );
        let app = App {
            collections,
            authenticator,
            authorizer: self
                .authorizer
                .unwrap_or_else(|| Arc::new(AllowAuthenticated)),
            anonymous: self.anonymous,
            openmetrics: self.openmetrics,
            scrapes: Semaphore::new(self.limits.max_inflight_scrapes),
            scrape_timeout: self.limits.scrape_timeout,
            metrics,
        };
        Ok(MetricsServer {
            listener,
            local_addr,
            acceptor: tls.acceptor,
            app: Arc::new(app),
            limits: self.limits,
            http2: tls.http2,
            ca_pem: tls.ca_pem,
        })
    }
}

/// Where the server listens: one of the two, never both.
#[derive(Debug)]
enum Bind {
    Addr(SocketAddr),
    Listener(std::net::TcpListener),
}

/// The server's one token source.
enum Authentication {
    Static(StaticTokens),
    Custom(Arc<dyn Authenticator>),
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Tokens are redacted by `StaticTokens`' own `Debug`.
            Self::Static(tokens) => f.debug_tuple("Static").field(tokens).finish(),
            Self::Custom(_) => f.write_str("Custom"),
        }
    }
}

async fn bind(bind: Bind) -> BuildResult<TcpListener> {
    match bind {
        Bind::Addr(addr) => TcpListener::bind(addr)
            .await
            .map_err(|source| BuildError::Listen {
                addr: addr.to_string(),
                source,
            }),
        Bind::Listener(listener) => {
            let wrap = |source| BuildError::Listen {
                addr: "listener".to_owned(),
                source,
            };
            listener.set_nonblocking(true).map_err(wrap)?;
            TcpListener::from_std(listener).map_err(wrap)
        }
    }
}
