//! What a `/metrics` endpoint serves: anything that writes a text exposition.

use crate::{Error, Result};
use prometheus::Encoder;

/// A source of metrics in the Prometheus text format (version 0.0.4).
///
/// Implemented for [`prometheus::Registry`]; the `/metrics` server serves any number of these.
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
    /// [`Error::Encode`] when a collector yields an inconsistent family.
    fn encode_text(&self, out: &mut Vec<u8>) -> Result<()>;
}

impl Exposition for prometheus::Registry {
    fn encode_text(&self, out: &mut Vec<u8>) -> Result<()> {
        prometheus::TextEncoder::new()
            .encode(&self.gather(), out)
            .map_err(Error::Encode)
    }
}
