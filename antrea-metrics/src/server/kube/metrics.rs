//! Metrics of the Kubernetes reviews, beside the server's own `antrea_metrics_server_*`,
//! declared in the catalogue (`catalogue::server`) and created through the same
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

pub(crate) use crate::catalogue::server::{Review, ReviewResult as Outcome};
use crate::catalogue::server::{
    SERVER_KUBE_REVIEWS_TOTAL, SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL,
    SERVER_KUBE_REVIEW_DURATION_SECONDS,
};
use crate::descriptor::Component;
use crate::registration::{Families, Labeled, Options};
use crate::{Counter, Histogram, LabelValue, MetricsError};
use prometheus::Registry;
use std::time::Duration;

#[derive(Clone)]
pub(crate) struct KubeMetrics {
    reviews: Labeled<Counter, (Outcome, Review)>,
    duration: Labeled<Histogram, Review>,
    cache_hits: Labeled<Counter, Review>,
}

impl KubeMetrics {
    /// Creates the families and, given a registry, registers them there as one collector:
    /// all of them or none.
    ///
    /// # Errors
    /// [`MetricsError::Register`] when `registry` already has one of these families.
    pub(crate) fn new(registry: Option<&Registry>) -> Result<Self, MetricsError> {
        let options = Options::defaults();
        let mut families = Families::new(&options, Component::MetricsServer);
        let metrics = Self {
            reviews: families.add(&SERVER_KUBE_REVIEWS_TOTAL),
            duration: families.add(&SERVER_KUBE_REVIEW_DURATION_SECONDS),
            cache_hits: families.add(&SERVER_KUBE_REVIEW_CACHE_HITS_TOTAL),
        };
        families.register_into(registry)?;
        Ok(metrics)
    }

    /// The cache-hit counter of `review`, whose series exists from this call on.
    pub(crate) fn cache_hits(&self, review: Review) -> Counter {
        self.cache_hits.series(&[review.as_str()])
    }

    pub(crate) fn review(&self, review: Review, outcome: Outcome, took: Duration) {
        let values = [outcome.as_str(), review.as_str()];
        self.reviews.series(&values).inc();
        let duration = self.duration.series(&[review.as_str()]);
        duration.observe_duration(took);
    }
}
