//! The server's own metrics, all under `antrea_metrics_server_`.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `antrea_metrics_server_requests_total` | counter | `code`, `path` (`/metrics`, `/healthz`, `/livez`, `/readyz`, `other`) |
//! | `antrea_metrics_server_authentication_attempts_total` | counter | `result` (`success`, `failure`, `error`) |
//! | `antrea_metrics_server_tls_handshake_errors_total` | counter | |
//! | `antrea_metrics_server_connections_rejected_total` | counter | |
//! | `antrea_metrics_server_scrape_duration_seconds` | histogram | |

use crate::{Error, MetricsError, Result};
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry};

/// Counters the server updates; registered in a registry of the caller's choice.
#[derive(Clone)]
pub(crate) struct ServerMetrics {
    requests: IntCounterVec,
    auth_attempts: IntCounterVec,
    pub(crate) handshake_errors: IntCounter,
    pub(crate) connections_rejected: IntCounter,
    pub(crate) scrape_duration: Histogram,
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
        Ok(Self {
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
            connections_rejected: IntCounter::with_opts(
                Opts::new(
                    "connections_rejected_total",
                    "Connections closed at once because the connection limit was reached.",
                )
                .namespace(PREFIX),
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
        })
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
        register(Box::new(self.connections_rejected.clone()))?;
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
}
