//! What a `/metrics` endpoint serves: anything that writes a text exposition.

use crate::error::CoreResult;

/// A source of metrics in the Prometheus text format (version 0.0.4).
///
/// Implemented for [`prometheus::Registry`] (every collector in it, written as Prometheus' Go
/// client writes them), for the typed metric sets, and for `Arc`s of these; the `/metrics`
/// server serves any number of them.
///
/// ```
/// use antrea_metrics::Exposition;
/// let registry = prometheus::Registry::new();
/// let counter = prometheus::IntCounter::new("demo_total", "A demo counter.").unwrap();
/// registry.register(Box::new(counter.clone())).unwrap();
/// counter.inc();
/// let mut out = Vec::new();
/// registry.encode_text(&mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("demo_total 1\n"));
/// ```
pub trait Exposition: Send + Sync {
    /// Appends the text exposition of every metric family to `out`.
    ///
    /// # Errors
    /// [`crate::MetricsError::Encode`] when a source cannot produce its metrics.
    fn encode_text(&self, out: &mut Vec<u8>) -> CoreResult<()>;
}

impl Exposition for prometheus::Registry {
    fn encode_text(&self, out: &mut Vec<u8>) -> CoreResult<()> {
        crate::proto_text::write_families(out, &self.gather());
        Ok(())
    }
}

impl<T: Exposition + ?Sized> Exposition for std::sync::Arc<T> {
    fn encode_text(&self, out: &mut Vec<u8>) -> CoreResult<()> {
        (**self).encode_text(out)
    }
}
