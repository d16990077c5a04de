//! The exposition formats a scrape can ask for, and which one to answer with.
//!
//! - [`Format::Text`]: Prometheus' text format 0.0.4, the default and the fallback.
//! - [`Format::Protobuf`]: length-delimited `io.prometheus.client.MetricFamily` messages
//!   ([`proto`]), the only format that carries native histograms.
//! - [`Format::OpenMetrics`]: OpenMetrics 1.0.0 text, only when the server enables it.
//!
//! [`negotiate`] picks one from a request's `Accept` header as Prometheus' Go client
//! (`promhttp`) does.

mod negotiate;
pub(crate) mod openmetrics;
pub mod proto;
pub(crate) mod protobuf;
mod registry;
pub(crate) mod wire;

pub use negotiate::negotiate;

/// An exposition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Text format 0.0.4.
    Text,
    /// Protobuf, length-delimited `MetricFamily` messages.
    Protobuf,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` of a response in this format.
    ///
    /// ```
    /// use antrea_metrics::format::Format;
    /// assert_eq!(Format::Text.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    /// ```
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => crate::text::CONTENT_TYPE,
            Format::Protobuf => PROTOBUF_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }

    /// The format's name as the examples' `--format` flag spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Protobuf => "protobuf",
            Format::OpenMetrics => "openmetrics",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = crate::MetricsError;

    /// `text`, `protobuf` or `openmetrics`.
    fn from_str(s: &str) -> Result<Self, crate::MetricsError> {
        [Format::Text, Format::Protobuf, Format::OpenMetrics]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| crate::MetricsError::UnknownFormat(s.to_owned()))
    }
}

/// The `Content-Type` of the protobuf format.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// The `Content-Type` of OpenMetrics 1.0.0 text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub(crate) use registry::{convert as registry_message, write_families as write_registry_protobuf};
