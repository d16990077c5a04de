//! What a `/metrics` endpoint serves: anything that writes a text exposition, and possibly
//! the other [formats](mod@crate::format).

use crate::error::CoreResult;
#[cfg(doc)]
use crate::error::MetricsError;
use crate::format::{self, Format};

/// A source of metrics that a `/metrics` endpoint serves: it writes the text format
/// (version 0.0.4), and possibly the other [formats](mod@crate::format).
///
/// Implemented for [`prometheus::Registry`] (every collector in it, written as Prometheus' Go
/// client writes them), for the typed metric sets, and for `Arc`s of these; the `/metrics`
/// server serves any number of them. [`Exposition::encode`] is the one way to write any format.
///
/// ```
/// use antrea_metrics::{format::Format, Exposition};
/// let registry = prometheus::Registry::new();
/// let counter = prometheus::IntCounter::new("demo_total", "A demo counter.").unwrap();
/// registry.register(Box::new(counter.clone())).unwrap();
/// counter.inc();
/// let mut out = Vec::new();
/// registry.encode(Format::Text, &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("demo_total 1\n"));
/// ```
pub trait Exposition: Send + Sync {
    /// Whether [`Exposition::encode`] writes `format`. The text format always; the default
    /// says no to the others, so a source that writes text alone is served as text.
    fn supports(&self, format: Format) -> bool {
        format == Format::Text
    }

    /// Appends every metric family to `out` in `format`. For OpenMetrics, the families only:
    /// [`encode_all`] ends the whole exposition with `# EOF`.
    ///
    /// # Errors
    /// [`MetricsError::Encode`] when a source cannot produce its metrics;
    /// [`MetricsError::UnsupportedFormat`] for a format [`Exposition::supports`] refuses.
    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()>;
}

/// The best format for a request with these `Accept` header values that every source writes:
/// [`format::negotiate`]'s choice, or text when a source cannot write it.
///
/// ```
/// use antrea_metrics::{exposition, format::Format, AgentMetrics, Exposition, Profile};
/// use std::sync::Arc;
/// let agent: Arc<dyn Exposition> = Arc::new(AgentMetrics::unregistered(Profile::Latest)?);
/// let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
/// assert_eq!(exposition::choose(&[agent], [accept], false), Format::Protobuf);
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
pub fn choose<'a>(
    sources: &[std::sync::Arc<dyn Exposition>],
    accept: impl IntoIterator<Item = &'a str>,
    openmetrics: bool,
) -> Format {
    let wanted = format::negotiate(accept, openmetrics);
    if sources.iter().all(|s| s.supports(wanted)) {
        wanted
    } else {
        Format::Text
    }
}

/// Appends the exposition of all `sources`, one after another, in `format`: what a scrape
/// receives (before compression). OpenMetrics ends with its `# EOF` line.
///
/// # Errors
/// The first source's error; [`MetricsError::UnsupportedFormat`] when a source cannot write `format`.
pub fn encode_all(
    sources: &[std::sync::Arc<dyn Exposition>],
    format: Format,
    out: &mut Vec<u8>,
) -> CoreResult<()> {
    for source in sources {
        source.encode(format, out)?;
    }
    format::finish(format, out);
    Ok(())
}

impl Exposition for prometheus::Registry {
    fn supports(&self, _format: Format) -> bool {
        true
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()> {
        format::write_gathered(format, out, &self.gather());
        Ok(())
    }
}

impl<T: Exposition + ?Sized> Exposition for std::sync::Arc<T> {
    fn supports(&self, format: Format) -> bool {
        (**self).supports(format)
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()> {
        (**self).encode(format, out)
    }
}
