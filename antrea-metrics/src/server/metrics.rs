//! The server's own metrics, all under `antrea_metrics_server_`, declared in
//! `server::families` and created through the same [`Families`] path as Antrea's sets.
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

pub(crate) use super::families::{AuthResult, EvictReason, RefuseReason};
use super::families::{
    Code, RequestPath, SERVER_AUTHENTICATION_ATTEMPTS_TOTAL, SERVER_CONNECTIONS,
    SERVER_CONNECTIONS_EVICTED_TOTAL, SERVER_CONNECTIONS_REJECTED_TOTAL, SERVER_REQUESTS_TOTAL,
    SERVER_SCRAPE_DURATION_SECONDS, SERVER_TLS_HANDSHAKE_ERRORS_TOTAL,
};
use crate::labeled::{ByLabel, OnDemand};
use crate::registration::{Families, Options};
use crate::{Counter, Gauge, Histogram, MetricsError};
use prometheus::Registry;

/// Counters the server updates; registered in a registry of the caller's choice.
#[derive(Clone)]
pub(crate) struct ServerMetrics {
    /// By status and path, each series made on its first request and found by index after.
    requests: OnDemand<Counter, (Code, RequestPath)>,
    auth_attempts: OnDemand<Counter, AuthResult>,
    pub(crate) handshake_errors: Counter,
    pub(crate) open_connections: Gauge,
    evicted: ByLabel<EvictReason, Counter>,
    rejected: ByLabel<RefuseReason, Counter>,
    pub(crate) scrape_duration: Histogram,
}

impl ServerMetrics {
    /// Creates the families and, given a registry, registers them there as one collector:
    /// all of them or none.
    ///
    /// # Errors
    /// [`MetricsError::Register`] when `registry` already has one of these families.
    pub(crate) fn new(registry: Option<&Registry>) -> Result<Self, MetricsError> {
        let options = Options::defaults();
        let mut families = Families::new(&options, "metrics server");
        let metrics = Self {
            requests: families.on_demand(&SERVER_REQUESTS_TOTAL),
            auth_attempts: families.on_demand(&SERVER_AUTHENTICATION_ATTEMPTS_TOTAL),
            handshake_errors: families.one(&SERVER_TLS_HANDSHAKE_ERRORS_TOTAL),
            open_connections: families.one(&SERVER_CONNECTIONS),
            evicted: families.by_label(&SERVER_CONNECTIONS_EVICTED_TOTAL),
            rejected: families.by_label(&SERVER_CONNECTIONS_REJECTED_TOTAL),
            scrape_duration: families.one(&SERVER_SCRAPE_DURATION_SECONDS),
        };
        families.register_into(registry)?;
        Ok(metrics)
    }

    pub(crate) fn request(&self, code: http::StatusCode, path: &str) {
        let labels = (Code::of(code), RequestPath::of(path));
        self.requests.get(labels).inc();
    }

    pub(crate) fn auth(&self, result: AuthResult) {
        self.auth_attempts.get(result).inc();
    }

    pub(crate) fn evicted(&self, reason: EvictReason) {
        self.evicted.get(reason).inc();
    }

    pub(crate) fn refused(&self, reason: RefuseReason) {
        self.rejected.get(reason).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Exposition;

    #[test]
    fn a_clash_registers_none_of_the_families() {
        let registry = Registry::new();
        let clash = prometheus::IntGauge::new("antrea_metrics_server_connections", "taken")
            .expect("a valid gauge");
        registry
            .register(Box::new(clash))
            .expect("an empty registry");
        let err = ServerMetrics::new(Some(&registry)).err();
        assert!(
            matches!(err, Some(MetricsError::Register { component, .. }) if component == "metrics server"),
            "{err:?}"
        );
        // Only the clashing gauge is there: the other six families were not registered.
        let names: Vec<String> = registry
            .gather()
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        assert_eq!(names, ["antrea_metrics_server_connections"]);
        ServerMetrics::new(Some(&Registry::new())).expect("a fresh registry");
    }

    #[test]
    fn families_are_exposed_without_a_stability_prefix_and_with_every_reason_at_zero() {
        let registry = Registry::new();
        let metrics = ServerMetrics::new(Some(&registry)).expect("a fresh registry");
        metrics.request(http::StatusCode::NOT_FOUND, "/anything");
        let mut text = Vec::new();
        registry
            .encode(crate::format::Format::Text, &mut text)
            .expect("encodable");
        let text = String::from_utf8(text).expect("UTF-8");
        for line in [
            "# HELP antrea_metrics_server_connections Connections held open.",
            r#"antrea_metrics_server_requests_total{code="404",path="other"} 1"#,
            r#"antrea_metrics_server_connections_evicted_total{reason="handshake"} 0"#,
            r#"antrea_metrics_server_connections_rejected_total{reason="per_client"} 0"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("[ALPHA]"), "{text}");
    }
}
