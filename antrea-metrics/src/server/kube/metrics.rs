//! Metrics of the Kubernetes reviews, beside the server's own `antrea_metrics_server_*`,
//! declared in `server::families` and created through the same
//! [`Families`] path as Antrea's sets.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `antrea_metrics_server_kube_reviews_total` | counter | `result` (`allowed`, `denied`, `error`), `review` (`TokenReview`, `SubjectAccessReview`) |
//! | `antrea_metrics_server_kube_review_duration_seconds` | histogram | `review` |
//! | `antrea_metrics_server_kube_review_cache_hits_total` | counter | `review` |
//!
//! Reviews count requests to the API server (a cache hit makes none); for a TokenReview,
//! `allowed` means authenticated and `denied` not authenticated.

use crate::labeled::OnDemand;
use crate::registration::{Families, Options};
pub(crate) use crate::server::families::{Review, ReviewResult as Outcome};
use crate::server::families::{
    SERVER_KUBE_REVIEWS_TOTAL, SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL,
    SERVER_KUBE_REVIEW_DURATION_SECONDS,
};
use crate::{Counter, Histogram, MetricsError};
use prometheus::Registry;
use std::time::Duration;

#[derive(Clone)]
pub(crate) struct KubeMetrics {
    reviews: OnDemand<Counter, (Outcome, Review)>,
    duration: OnDemand<Histogram, Review>,
    cache_hits: OnDemand<Counter, Review>,
}

impl KubeMetrics {
    /// Creates the families and, given a registry, registers them there as one collector:
    /// all of them or none.
    ///
    /// # Errors
    /// [`MetricsError::Register`] when `registry` already has one of these families.
    pub(crate) fn new(registry: Option<&Registry>) -> Result<Self, MetricsError> {
        let options = Options::defaults();
        let mut families = Families::new(&options, "metrics server");
        let metrics = Self {
            reviews: families.on_demand(&SERVER_KUBE_REVIEWS_TOTAL),
            duration: families.on_demand(&SERVER_KUBE_REVIEW_DURATION_SECONDS),
            cache_hits: families.on_demand(&SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL),
        };
        families.register_into(registry)?;
        Ok(metrics)
    }

    /// The cache-hit counter of `review`, whose series exists from this call on.
    pub(crate) fn cache_hits(&self, review: Review) -> Counter {
        self.cache_hits.get(review).clone()
    }

    pub(crate) fn review(&self, review: Review, outcome: Outcome, took: Duration) {
        self.reviews.get((outcome, review)).inc();
        self.duration.get(review).observe_duration(took);
    }
}
