//! Metrics of the Kubernetes reviews, beside the server's own `antrea_metrics_server_*`.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `antrea_metrics_server_kube_reviews_total` | counter | `review` (`TokenReview`, `SubjectAccessReview`), `result` (`allowed`, `denied`, `error`) |
//! | `antrea_metrics_server_kube_review_duration_seconds` | histogram | `review` |
//! | `antrea_metrics_server_kube_review_cache_hits_total` | counter | `review` |
//!
//! Reviews count requests to the API server (a cache hit makes none); for a TokenReview,
//! `allowed` means authenticated and `denied` not authenticated.

use crate::{Error, MetricsError, Result};
use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};
use std::time::Duration;

const PREFIX: &str = "antrea_metrics_server";

/// How a review ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    Allowed,
    Denied,
    Error,
}

#[derive(Clone)]
pub(crate) struct KubeMetrics {
    reviews: IntCounterVec,
    duration: HistogramVec,
    cache_hits: IntCounterVec,
}

impl KubeMetrics {
    pub(crate) fn new(registry: Option<&Registry>) -> Result<Self> {
        let wrap = |source| MetricsError::Describe {
            component: "kube-auth",
            source,
        };
        let metrics = Self {
            reviews: IntCounterVec::new(
                Opts::new(
                    "kube_reviews_total",
                    "TokenReview and SubjectAccessReview requests to the Kubernetes API server by result.",
                )
                .namespace(PREFIX),
                &["review", "result"],
            )
            .map_err(wrap)?,
            duration: HistogramVec::new(
                HistogramOpts::new(
                    "kube_review_duration_seconds",
                    "Latency of TokenReview and SubjectAccessReview requests, errors included.",
                )
                .namespace(PREFIX)
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
                &["review"],
            )
            .map_err(wrap)?,
            cache_hits: IntCounterVec::new(
                Opts::new(
                    "kube_review_cache_hits_total",
                    "Reviews answered from the cache, without a request.",
                )
                .namespace(PREFIX),
                &["review"],
            )
            .map_err(wrap)?,
        };
        if let Some(registry) = registry {
            let register = |c: Box<dyn prometheus::core::Collector>| {
                registry.register(c).map_err(|source| Error::Register {
                    component: "kube-auth",
                    source,
                })
            };
            register(Box::new(metrics.reviews.clone()))?;
            register(Box::new(metrics.duration.clone()))?;
            register(Box::new(metrics.cache_hits.clone()))?;
        }
        Ok(metrics)
    }

    pub(crate) fn cache_hits(&self, review: &str) -> IntCounter {
        self.cache_hits.with_label_values(&[review])
    }

    pub(crate) fn review(&self, review: &str, outcome: Outcome, took: Duration) {
        let result = match outcome {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Error => "error",
        };
        self.reviews.with_label_values(&[review, result]).inc();
        self.duration
            .with_label_values(&[review])
            .observe(took.as_secs_f64());
    }
}
