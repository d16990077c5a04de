//! What a `/metrics` endpoint serves: anything that writes a text exposition, and possibly
//! the other [formats](mod@crate::format).

use crate::error::{CoreResult, MetricsError};
use crate::format::{self, Format};

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

    /// Whether [`Exposition::encode`] writes `format`. The text format always; the default
    /// says no to the others, so a source written before them keeps working (served as text).
    fn supports(&self, format: Format) -> bool {
        format == Format::Text
    }

    /// Appends every metric family to `out` in `format`. For OpenMetrics, the families only:
    /// [`encode_all`] ends the whole exposition with `# EOF`.
    ///
    /// # Errors
    /// [`MetricsError::UnsupportedFormat`] for a format [`Exposition::supports`] refuses; otherwise
    /// as [`Exposition::encode_text`].
    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()> {
        match format {
            Format::Text => self.encode_text(out),
            other => Err(MetricsError::UnsupportedFormat {
                format: other.as_str(),
            }),
        }
    }
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
    if format == Format::OpenMetrics {
        out.extend_from_slice(b"# EOF\n");
    }
    Ok(())
}

impl Exposition for prometheus::Registry {
    fn encode_text(&self, out: &mut Vec<u8>) -> CoreResult<()> {
        crate::proto_text::write_families(out, &self.gather());
        Ok(())
    }

    fn supports(&self, _format: Format) -> bool {
        true
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()> {
        match format {
            Format::Text => self.encode_text(out),
            Format::Protobuf => {
                format::write_registry_protobuf(out, &self.gather());
                Ok(())
            }
            Format::OpenMetrics => {
                let gathered = self.gather();
                let messages = gathered.iter().map(format::registry_message);
                format::openmetrics::write_families(out, messages);
                Ok(())
            }
        }
    }
}

impl<T: Exposition + ?Sized> Exposition for std::sync::Arc<T> {
    fn encode_text(&self, out: &mut Vec<u8>) -> CoreResult<()> {
        (**self).encode_text(out)
    }

    fn supports(&self, format: Format) -> bool {
        (**self).supports(format)
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()> {
        (**self).encode(format, out)
    }
}
