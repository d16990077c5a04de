//! Kubernetes delegated authentication and authorization (feature `kube-auth`), as Antrea
//! does it: a scraper's bearer token is checked with a `TokenReview`, and its permission to
//! `get` the non-resource URL `/metrics` with a `SubjectAccessReview`.
//!
//! ```no_run
//! use antrea_metrics::server::kube::{ApiServerConfig, KubeAuth};
//! use antrea_metrics::server::MetricsServer;
//! # async fn run() -> antrea_metrics::Result<()> {
//! let registry = prometheus::Registry::new();
//! let kube = KubeAuth::builder(ApiServerConfig::in_cluster()?)
//!     .metrics(&registry)
//!     .build()?;
//! let server = MetricsServer::builder()
//!     .listen("[::]:10350".parse().expect("a valid address"))
//!     .registry(registry)
//!     .authenticator(kube.authenticator())
//!     .authorizer(kube.authorizer())
//!     // Requests without a token are reviewed as `system:anonymous` (403 unless RBAC allows).
//!     .anonymous(true)
//!     .build()
//!     .await?;
//! server.serve(std::future::pending()).await;
//! Ok(())
//! # }
//! ```
//!
//! Outcomes: an unknown or invalid token gets `401`; a user RBAC does not allow gets `403`
//! with `User "<name>" cannot get path "/metrics"`; an API server that fails, refuses the
//! agent or does not answer within the review timeout gets `500`, never `200`.
//!
//! The agent's ServiceAccount needs `create` on `tokenreviews.authentication.k8s.io` and
//! `subjectaccessreviews.authorization.k8s.io`; scrapers need `get` on `/metrics`.
//!
//! Why a small client and not `kube` + `k8s-openapi`: the two reviews are two JSON POSTs, and
//! the server already links hyper, rustls and tokio; `kube` would add tower, its own TLS and
//! config stacks and the generated API types of every Kubernetes kind, for two endpoints.

mod access_review;
mod cache;
mod client;
mod config;
mod error;
mod kubeconfig;
mod metrics;
mod token_review;

pub use config::{ApiServerConfig, InCluster, SERVICE_ACCOUNT_CA_FILE, SERVICE_ACCOUNT_TOKEN_FILE};
pub use error::{ConfigError, KubeError};

use super::{Authenticator, Authorizer};
use std::sync::Arc;
use std::time::Duration;

/// How long a review may take, connection included, before the scrape gets `500`.
pub const DEFAULT_REVIEW_TIMEOUT: Duration = Duration::from_secs(5);

/// How long allowed and denied answers are cached (the apiserver's delegating default).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(10);

/// How many answers each of the two caches keeps at most.
pub const DEFAULT_CACHE_SIZE: usize = 1024;

/// Configures [`KubeAuth`]; made by [`KubeAuth::builder`].
#[derive(Debug)]
pub struct KubeAuthBuilder {
    api: ApiServerConfig,
    timeout: Duration,
    cache_ttl: Duration,
    cache_size: usize,
    audiences: Vec<String>,
    registry: Option<prometheus::Registry>,
}

/// A TokenReview authenticator and a SubjectAccessReview authorizer sharing one API server
/// connection; hand them to [`MetricsServerBuilder`](super::MetricsServerBuilder).
pub struct KubeAuth {
    authenticator: Arc<token_review::TokenReviewer>,
    authorizer: Arc<access_review::AccessReviewer>,
}

impl KubeAuth {
    /// Starts configuring reviews against the API server `api`.
    #[must_use]
    pub fn builder(api: ApiServerConfig) -> KubeAuthBuilder {
        KubeAuthBuilder {
            api,
            timeout: DEFAULT_REVIEW_TIMEOUT,
            cache_ttl: DEFAULT_CACHE_TTL,
            cache_size: DEFAULT_CACHE_SIZE,
            audiences: Vec::new(),
            registry: None,
        }
    }

    /// The TokenReview authenticator, for [`MetricsServerBuilder::authenticator`](super::MetricsServerBuilder::authenticator).
    #[must_use]
    pub fn authenticator(&self) -> Arc<dyn Authenticator> {
        Arc::clone(&self.authenticator) as Arc<dyn Authenticator>
    }

    /// The SubjectAccessReview authorizer, for [`MetricsServerBuilder::authorizer`](super::MetricsServerBuilder::authorizer).
    #[must_use]
    pub fn authorizer(&self) -> Arc<dyn Authorizer> {
        Arc::clone(&self.authorizer) as Arc<dyn Authorizer>
    }
}

impl KubeAuthBuilder {
    /// How long one review may take, connecting included (default 5 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long allowed and denied answers are reused (default 10 s; zero caches nothing, but
    /// concurrent identical reviews still share one request). Errors are never cached.
    #[must_use]
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// How many answers each cache keeps at most (default 1024).
    #[must_use]
    pub fn cache_size(mut self, entries: usize) -> Self {
        self.cache_size = entries;
        self
    }

    /// Audiences the scrapers' tokens must be issued for (`spec.audiences`); default none,
    /// which means the API server's own audiences.
    #[must_use]
    pub fn audiences<S: Into<String>>(mut self, audiences: impl IntoIterator<Item = S>) -> Self {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Registers the review metrics (`antrea_metrics_server_kube_*`) in `registry`.
    #[must_use]
    pub fn metrics(mut self, registry: &prometheus::Registry) -> Self {
        self.registry = Some(registry.clone());
        self
    }

    /// Validates the settings and prepares the client; connects on the first review.
    ///
    /// # Errors
    /// [`ConfigError::ZeroTimeout`] or [`ConfigError::ZeroCacheSize`], [`ConfigError::Tls`]
    /// for an unusable CA or client certificate, [`ConfigError::Metrics`] when the metrics are
    /// already registered.
    pub fn build(self) -> Result<KubeAuth, ConfigError> {
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        if self.cache_size == 0 {
            return Err(ConfigError::ZeroCacheSize);
        }
        let metrics = metrics::KubeMetrics::new(self.registry.as_ref())?;
        let client = Arc::new(client::ApiClient::new(self.api, self.timeout)?);
        let cache = (self.cache_ttl, self.cache_size);
        Ok(KubeAuth {
            authenticator: Arc::new(token_review::TokenReviewer::new(
                Arc::clone(&client),
                self.audiences,
                cache,
                metrics.clone(),
            )?),
            authorizer: Arc::new(access_review::AccessReviewer::new(client, cache, metrics)?),
        })
    }
}
