//! The library's own families (`antrea_metrics_server_*`): the HTTPS server's and its
//! Kubernetes reviews'. Antrea has none of them, so they carry no stability level and their
//! HELP has no `[ALPHA] ` prefix; the server creates them through the same [`Families`] path
//! as the components' sets and registers them as one collector, all or nothing.
//!
//! [`Families`]: crate::registration::Families

use super::{Component, Def, Stability, DEFAULT_BUCKETS};
use crate::labels::label_enum;
use crate::{Counter, Gauge, Histogram, Unit};

/// The label type of `antrea_metrics_server_requests_total`: the HTTP status code (`code`, a
/// number: an open set) and the path (the server's endpoints, or `other`).
pub(crate) enum RequestLabels {}

label_enum! {
    /// How an authentication attempt on `/metrics` ended: the `result` label of
    /// `antrea_metrics_server_authentication_attempts_total`.
    AuthResult {
        /// The token was valid.
        Success => "success",
        /// The token was missing or invalid.
        Failure => "failure",
        /// The authenticator failed.
        Error => "error",
    }
}

label_enum! {
    /// Why a held connection was closed to make room for a new one: the `reason` label of
    /// `antrea_metrics_server_connections_evicted_total`.
    EvictReason {
        /// Still in its TLS handshake.
        Handshake => "handshake",
        /// Handshake done, no whole request yet.
        Silent => "silent",
        /// Idle between requests.
        Idle => "idle",
    }
}

label_enum! {
    /// Why a new connection was closed at accept: the `reason` label of
    /// `antrea_metrics_server_connections_rejected_total`.
    RefuseReason {
        /// Every held connection had a request in flight.
        Busy => "busy",
        /// Every connection of the client at its per-client bound had a request in flight.
        PerClient => "per_client",
    }
}

label_enum! {
    /// A Kubernetes review: the `review` label of the `antrea_metrics_server_kube_*` families.
    Review {
        /// `TokenReview` (authentication).
        TokenReview => "TokenReview",
        /// `SubjectAccessReview` (authorization).
        SubjectAccessReview => "SubjectAccessReview",
    }
}

label_enum! {
    /// How a review ended: the `result` label of `antrea_metrics_server_kube_reviews_total`
    /// (for a TokenReview, `allowed` means authenticated).
    ReviewResult {
        /// Authenticated, or allowed.
        Allowed => "allowed",
        /// Not authenticated, or denied.
        Denied => "denied",
        /// The review failed.
        Error => "error",
    }
}

/// `antrea_metrics_server_requests_total`.
pub(crate) const SERVER_REQUESTS_TOTAL: Def<Counter, RequestLabels> = Def::scalar(
    "antrea_metrics_server_requests_total",
    Component::MetricsServer,
    Stability::Internal,
    "HTTP requests by status code and path.",
)
.labels(&["code", "path"]);

/// `antrea_metrics_server_authentication_attempts_total`.
pub(crate) const SERVER_AUTHENTICATION_ATTEMPTS_TOTAL: Def<Counter, AuthResult> = Def::scalar(
    "antrea_metrics_server_authentication_attempts_total",
    Component::MetricsServer,
    Stability::Internal,
    "Authentication attempts on /metrics by result.",
)
.labels(&["result"]);

/// `antrea_metrics_server_tls_handshake_errors_total`.
pub(crate) const SERVER_TLS_HANDSHAKE_ERRORS_TOTAL: Def<Counter> = Def::scalar(
    "antrea_metrics_server_tls_handshake_errors_total",
    Component::MetricsServer,
    Stability::Internal,
    "TLS handshakes that failed or timed out.",
);

/// `antrea_metrics_server_connections`.
pub(crate) const SERVER_CONNECTIONS: Def<Gauge> = Def::scalar(
    "antrea_metrics_server_connections",
    Component::MetricsServer,
    Stability::Internal,
    "Connections held open.",
);

/// `antrea_metrics_server_connections_evicted_total`; every reason exported from the start, so
/// a dashboard sees zero rather than no series.
pub(crate) const SERVER_CONNECTIONS_EVICTED_TOTAL: Def<Counter, EvictReason> = Def::scalar(
    "antrea_metrics_server_connections_evicted_total",
    Component::MetricsServer,
    Stability::Internal,
    "Held connections closed to make room for a new one, by what they were doing.",
)
.labels(&["reason"]);

/// `antrea_metrics_server_connections_rejected_total`; every reason exported from the start.
pub(crate) const SERVER_CONNECTIONS_REJECTED_TOTAL: Def<Counter, RefuseReason> = Def::scalar(
    "antrea_metrics_server_connections_rejected_total",
    Component::MetricsServer,
    Stability::Internal,
    "New connections closed at accept because every connection that could make room was busy.",
)
.labels(&["reason"]);

/// `antrea_metrics_server_scrape_duration_seconds`.
pub(crate) const SERVER_SCRAPE_DURATION_SECONDS: Def<Histogram> = Def::histogram(
    "antrea_metrics_server_scrape_duration_seconds",
    Component::MetricsServer,
    Stability::Internal,
    Unit::Seconds,
    &DEFAULT_BUCKETS,
    "Time to gather, encode and compress one /metrics response.",
);

/// `antrea_metrics_server_kube_reviews_total`: requests to the API server (a cache hit
/// makes none).
/// Labels in name order, as the `prometheus` crate wrote them before.
pub(crate) const SERVER_KUBE_REVIEWS_TOTAL: Def<Counter, (ReviewResult, Review)> = Def::scalar(
    "antrea_metrics_server_kube_reviews_total",
    Component::MetricsServer,
    Stability::Internal,
    "TokenReview and SubjectAccessReview requests to the Kubernetes API server by result.",
)
.labels(&["result", "review"]);

/// `antrea_metrics_server_kube_review_duration_seconds`.
pub(crate) const SERVER_KUBE_REVIEW_DURATION_SECONDS: Def<Histogram, Review> = Def::histogram(
    "antrea_metrics_server_kube_review_duration_seconds",
    Component::MetricsServer,
    Stability::Internal,
    Unit::Seconds,
    &DEFAULT_BUCKETS,
    "Latency of TokenReview and SubjectAccessReview requests, errors included.",
)
.labels(&["review"]);

/// `antrea_metrics_server_kube_review_cache_hits_total`.
pub(crate) const SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL: Def<Counter, Review> = Def::scalar(
    "antrea_metrics_server_kube_review_cache_hits_total",
    Component::MetricsServer,
    Stability::Internal,
    "Reviews answered from the cache, without a request.",
)
.labels(&["review"]);

/// The metrics server's families, sorted by name (for the reference).
pub(crate) const SERVER: &[&super::Descriptor] = &[
    &SERVER_AUTHENTICATION_ATTEMPTS_TOTAL.desc,
    &SERVER_CONNECTIONS.desc,
    &SERVER_CONNECTIONS_EVICTED_TOTAL.desc,
    &SERVER_CONNECTIONS_REJECTED_TOTAL.desc,
    &SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL.desc,
    &SERVER_KUBE_REVIEW_DURATION_SECONDS.desc,
    &SERVER_KUBE_REVIEWS_TOTAL.desc,
    &SERVER_REQUESTS_TOTAL.desc,
    &SERVER_SCRAPE_DURATION_SECONDS.desc,
    &SERVER_TLS_HANDSHAKE_ERRORS_TOTAL.desc,
];
