//! The library's own families (`antrea_metrics_server_*`): the HTTPS server's and its
//! Kubernetes reviews', with their label enums. Antrea has none of them, so they belong to no
//! component, carry no stability level and their HELP has no `[ALPHA] ` prefix; the server
//! creates them through the same [`Families`] path as the components' sets and registers them
//! as one collector, all or nothing.
//!
//! [`Families`]: crate::registration::Families

use crate::catalogue::DEFAULT_BUCKETS;
use crate::descriptor::Descriptor;
use crate::labels::label_enum;
use crate::{Counter, Def, Gauge, Histogram, Unit};

label_enum! {
    /// The `code` label of `antrea_metrics_server_requests_total`: the status codes the
    /// server answers with, and `other` for any other (none today), so that the per-request
    /// counters are a closed set that resolves to an index.
    Code: "code" {
        /// `200`.
        Ok => "200",
        /// `400`.
        BadRequest => "400",
        /// `401`.
        Unauthorized => "401",
        /// `403`.
        Forbidden => "403",
        /// `404`.
        NotFound => "404",
        /// `405`.
        MethodNotAllowed => "405",
        /// `408`.
        RequestTimeout => "408",
        /// `413`.
        PayloadTooLarge => "413",
        /// `429`.
        TooManyRequests => "429",
        /// `431`.
        HeaderFieldsTooLarge => "431",
        /// `500`.
        InternalServerError => "500",
        /// `503`.
        ServiceUnavailable => "503",
        /// Any other status.
        Other => "other",
    }
}

impl Code {
    /// The label value of a response's status.
    pub(crate) fn of(status: http::StatusCode) -> Self {
        match status.as_u16() {
            200 => Self::Ok,
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            408 => Self::RequestTimeout,
            413 => Self::PayloadTooLarge,
            429 => Self::TooManyRequests,
            431 => Self::HeaderFieldsTooLarge,
            500 => Self::InternalServerError,
            503 => Self::ServiceUnavailable,
            _ => Self::Other,
        }
    }
}

label_enum! {
    /// The `path` label of `antrea_metrics_server_requests_total`: the server's endpoints, and
    /// `other` for any other path (so a client cannot create series at will).
    RequestPath: "path" {
        /// `/metrics`.
        Metrics => "/metrics",
        /// `/healthz`.
        Healthz => "/healthz",
        /// `/livez`.
        Livez => "/livez",
        /// `/readyz`.
        Readyz => "/readyz",
        /// Any other path.
        Other => "other",
    }
}

impl RequestPath {
    /// The label value of a request's path.
    pub(crate) fn of(path: &str) -> Self {
        match path {
            "/metrics" => Self::Metrics,
            "/healthz" => Self::Healthz,
            "/livez" => Self::Livez,
            "/readyz" => Self::Readyz,
            _ => Self::Other,
        }
    }
}

label_enum! {
    /// How an authentication attempt on `/metrics` ended: the `result` label of
    /// `antrea_metrics_server_authentication_attempts_total`.
    AuthResult: "result" {
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
    EvictReason: "reason" {
        /// Still in its TLS handshake.
        Handshake => "handshake",
        /// Handshake done, no whole request yet.
        Silent => "silent",
        /// Idle between requests (or its client has not taken a ready response).
        Idle => "idle",
    }
}

label_enum! {
    /// Why a new connection was closed at accept: the `reason` label of
    /// `antrea_metrics_server_connections_rejected_total`.
    RefuseReason: "reason" {
        /// Every held connection had a request in flight or had proven a token.
        Busy => "busy",
        /// Every connection of the client at its per-client bound had a request in flight or
        /// had proven a token.
        PerClient => "per_client",
    }
}

label_enum! {
    /// A Kubernetes review: the `review` label of the `antrea_metrics_server_kube_*` families.
    Review: "review" {
        /// `TokenReview` (authentication).
        TokenReview => "TokenReview",
        /// `SubjectAccessReview` (authorization).
        SubjectAccessReview => "SubjectAccessReview",
    }
}

label_enum! {
    /// How a review ended: the `result` label of `antrea_metrics_server_kube_reviews_total`
    /// (for a TokenReview, `allowed` means authenticated).
    ReviewResult: "result" {
        /// Authenticated, or allowed.
        Allowed => "allowed",
        /// Not authenticated, or denied.
        Denied => "denied",
        /// The review failed.
        Error => "error",
    }
}

/// `antrea_metrics_server_requests_total`.
pub(crate) const SERVER_REQUESTS_TOTAL: Def<Counter, (Code, RequestPath)> = Def::own(
    "antrea_metrics_server_requests_total",
    "HTTP requests by status code and path.",
)
.labels::<(Code, RequestPath)>();

/// `antrea_metrics_server_authentication_attempts_total`.
pub(crate) const SERVER_AUTHENTICATION_ATTEMPTS_TOTAL: Def<Counter, AuthResult> = Def::own(
    "antrea_metrics_server_authentication_attempts_total",
    "Authentication attempts on /metrics by result.",
)
.labels::<AuthResult>();

/// `antrea_metrics_server_tls_handshake_errors_total`.
pub(crate) const SERVER_TLS_HANDSHAKE_ERRORS_TOTAL: Def<Counter> = Def::own(
    "antrea_metrics_server_tls_handshake_errors_total",
    "TLS handshakes that failed or timed out.",
);

/// `antrea_metrics_server_connections`.
pub(crate) const SERVER_CONNECTIONS: Def<Gauge> = Def::own(
    "antrea_metrics_server_connections",
    "Connections held open.",
);

/// `antrea_metrics_server_connections_evicted_total`; every reason exported from the start, so
/// a dashboard sees zero rather than no series.
pub(crate) const SERVER_CONNECTIONS_EVICTED_TOTAL: Def<Counter, EvictReason> = Def::own(
    "antrea_metrics_server_connections_evicted_total",
    "Held connections closed to make room for a new one, by what they were doing.",
)
.labels::<EvictReason>();

/// `antrea_metrics_server_connections_rejected_total`; every reason exported from the start.
pub(crate) const SERVER_CONNECTIONS_REJECTED_TOTAL: Def<Counter, RefuseReason> = Def::own(
    "antrea_metrics_server_connections_rejected_total",
    "New connections closed at accept because every connection that could make room was busy.",
)
.labels::<RefuseReason>();

/// `antrea_metrics_server_scrape_duration_seconds`.
pub(crate) const SERVER_SCRAPE_DURATION_SECONDS: Def<Histogram> = Def::own_histogram(
    "antrea_metrics_server_scrape_duration_seconds",
    Unit::Seconds,
    &DEFAULT_BUCKETS,
    "Time to gather, encode and compress one /metrics response.",
);

/// `antrea_metrics_server_kube_reviews_total`: requests to the API server (a cache hit
/// makes none).
/// Labels in name order, as the `prometheus` crate wrote them before.
pub(crate) const SERVER_KUBE_REVIEWS_TOTAL: Def<Counter, (ReviewResult, Review)> = Def::own(
    "antrea_metrics_server_kube_reviews_total",
    "TokenReview and SubjectAccessReview requests to the Kubernetes API server by result.",
)
.labels::<(ReviewResult, Review)>();

/// `antrea_metrics_server_kube_review_duration_seconds`.
pub(crate) const SERVER_KUBE_REVIEW_DURATION_SECONDS: Def<Histogram, Review> = Def::own_histogram(
    "antrea_metrics_server_kube_review_duration_seconds",
    Unit::Seconds,
    &DEFAULT_BUCKETS,
    "Latency of TokenReview and SubjectAccessReview requests, errors included.",
)
.labels::<Review>();

/// `antrea_metrics_server_kube_review_cache_hits_total`.
pub(crate) const SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL: Def<Counter, Review> = Def::own(
    "antrea_metrics_server_kube_review_cache_hits_total",
    "Reviews answered from the cache, without a request.",
)
.labels::<Review>();

/// The metrics server's families, sorted by name (for the reference).
pub(crate) const SERVER: &[&Descriptor] = &[
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
