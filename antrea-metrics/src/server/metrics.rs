//! The server's own metrics, all under `antrea_metrics_server_`.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `antrea_metrics_server_requests_total` | counter | `code`, `path` (`/metrics`, `/healthz`, `/livez`, `/readyz`, `other`) |
//! | `antrea_metrics_server_authentication_attempts_total` | counter | `result` (`success`, `failure`, `error`) |
//! | `antrea_metrics_server_tls_handshake_errors_total` | counter | |
//! | `antrea_metrics_server_connections` | gauge | |
//! | `antrea_metrics_server_connections_evicted_total` | counter | `reason` (`handshake`, `silent`, `idle`) |
//! | `antrea_metrics_server_connections_rejected_total` | counter | `reason` (`busy`, `per_client`) |
//! | `antrea_metrics_server_scrape_duration_seconds` | histogram | |

use crate::{Error, MetricsError, Result};
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Counters the server updates; registered in a registry of the caller's choice.
#[derive(Clone)]
pub(crate) struct ServerMetrics {
    requests: IntCounterVec,
    auth_attempts: IntCounterVec,
    pub(crate) handshake_errors: IntCounter,
    pub(crate) open_connections: IntGauge,
    evicted: IntCounterVec,
    rejected: IntCounterVec,
    pub(crate) scrape_duration: Histogram,
}

/// Why a held connection was closed to make room for a new one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EvictReason {
    /// Still in its TLS handshake.
    Handshake,
    /// Handshake done, no whole request yet.
    Silent,
    /// Idle between requests.
    Idle,
}

impl EvictReason {
    const ALL: [Self; 3] = [Self::Handshake, Self::Silent, Self::Idle];

    fn as_str(self) -> &'static str {
        match self {
            Self::Handshake => "handshake",
            Self::Silent => "silent",
            Self::Idle => "idle",
        }
    }
}

/// Why a new connection was closed at accept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RefuseReason {
    /// Every held connection had a request in flight.
    Busy,
    /// Every connection of the client at its per-client bound had a request in flight.
    PerClient,
}

impl RefuseReason {
    const ALL: [Self; 2] = [Self::Busy, Self::PerClient];

    fn as_str(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::PerClient => "per_client",
        }
    }
}

/// How an authentication attempt ended, for `authentication_attempts_total`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AuthResult {
    Success,
    Failure,
    Error,
}

const PREFIX: &str = "antrea_metrics_server";

impl ServerMetrics {
    /// Metrics not registered anywhere, for a server without `server_metrics`.
    pub(crate) fn unregistered() -> Result<Self> {
        // Only invalid names or labels fail here, and these are constants.
        let wrap = |source| MetricsError::Describe {
            component: "metrics server",
            source,
        };
        let metrics = Self {
            requests: IntCounterVec::new(
                Opts::new("requests_total", "HTTP requests by status code and path.")
                    .namespace(PREFIX),
                &["code", "path"],
            )
            .map_err(wrap)?,
            auth_attempts: IntCounterVec::new(
                Opts::new(
                    "authentication_attempts_total",
                    "Authentication attempts on /metrics by result.",
                )
                .namespace(PREFIX),
                &["result"],
            )
            .map_err(wrap)?,
            handshake_errors: IntCounter::with_opts(
                Opts::new(
                    "tls_handshake_errors_total",
                    "TLS handshakes that failed or timed out.",
                )
                .namespace(PREFIX),
            )
            .map_err(wrap)?,
            open_connections: IntGauge::with_opts(
                Opts::new("connections", "Connections held open.").namespace(PREFIX),
            )
            .map_err(wrap)?,
            evicted: IntCounterVec::new(
                Opts::new(
                    "connections_evicted_total",
                    "Held connections closed to make room for a new one, by what they were doing.",
                )
                .namespace(PREFIX),
                &["reason"],
            )
            .map_err(wrap)?,
            rejected: IntCounterVec::new(
                Opts::new(
                    "connections_rejected_total",
                    "New connections closed at accept because every connection that could make room was busy.",
                )
                .namespace(PREFIX),
                &["reason"],
            )
            .map_err(wrap)?,
            scrape_duration: Histogram::with_opts(
                HistogramOpts::new(
                    "scrape_duration_seconds",
                    "Time to gather, encode and compress one /metrics response.",
                )
                .namespace(PREFIX),
            )
            .map_err(wrap)?,
        };
        // Every reason is exported from the start, so a dashboard sees zero rather than no series.
        for reason in EvictReason::ALL {
            metrics.evicted.with_label_values(&[reason.as_str()]);
        }
        for reason in RefuseReason::ALL {
            metrics.rejected.with_label_values(&[reason.as_str()]);
        }
        Ok(metrics)
    }

    /// Registers every metric in `registry`.
    pub(crate) fn register(&self, registry: &Registry) -> Result<()> {
        let register = |c: Box<dyn prometheus::core::Collector>| {
            registry.register(c).map_err(|source| Error::Register {
                component: "metrics server",
                source,
            })
        };
        register(Box::new(self.requests.clone()))?;
        register(Box::new(self.auth_attempts.clone()))?;
        register(Box::new(self.handshake_errors.clone()))?;
        register(Box::new(self.open_connections.clone()))?;
        register(Box::new(self.evicted.clone()))?;
        register(Box::new(self.rejected.clone()))?;
        register(Box::new(self.scrape_duration.clone()))
    }

    pub(crate) fn request(&self, code: u16, path: &str) {
        let path = match path {
            "/metrics" | "/healthz" | "/livez" | "/readyz" => path,
            _ => "other",
        };
        let code = code.to_string();
        self.requests
            .with_label_values(&[code.as_str(), path])
            .inc();
    }

    pub(crate) fn auth(&self, result: AuthResult) {
        let result = match result {
            AuthResult::Success => "success",
            AuthResult::Failure => "failure",
            AuthResult::Error => "error",
        };
        self.auth_attempts.with_label_values(&[result]).inc();
    }

    pub(crate) fn evicted(&self, reason: EvictReason) {
        self.evicted.with_label_values(&[reason.as_str()]).inc();
    }

    pub(crate) fn refused(&self, reason: RefuseReason) {
        self.rejected.with_label_values(&[reason.as_str()]).inc();
    }
}
