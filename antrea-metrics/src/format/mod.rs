//! The exposition formats a scrape can ask for, and which one to answer with.
//!
//! - [`Format::Text`]: Prometheus' text format 0.0.4, the default and the fallback.
//! - [`Format::Protobuf`]: length-delimited `io.prometheus.client.MetricFamily` messages
//!   (`client_model`'s `metrics.proto`), the only format that carries native histograms.
//! - [`Format::OpenMetrics`]: OpenMetrics 1.0.0 text, only when the server enables it.
//!
//! [`negotiate`] picks one from a request's `Accept` header as Prometheus' Go client
//! (`promhttp`) does.
//!
//! The formats are a layer of their own: each is an encoder that reads the read-only view of a
//! family (its head and its series, by kind) or, at the edge that bridges a
//! `prometheus::Registry`, the families gathered from it. Families and their stores know no
//! format. Adding a format is one file here plus one variant of [`Format`] (and its arms below).

mod negotiate;
mod number;
mod openmetrics;
mod protobuf;
mod registry;
mod registry_text;
mod text;
mod wire;

use crate::family::{FamilyView, Head};
pub use negotiate::negotiate;

/// An exposition format. More may come, hence `#[non_exhaustive]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
            Format::Text => TEXT_CONTENT_TYPE,
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

/// The `Content-Type` of the text format 0.0.4.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `Content-Type` of the protobuf format.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// The `Content-Type` of OpenMetrics 1.0.0 text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What each format writes of a family the same way in every scrape (header lines, bucket
/// bounds as label values), made once when the family is registered.
#[derive(Debug)]
pub(crate) struct Prepared {
    text: text::Prepared,
    protobuf: protobuf::Prepared,
    openmetrics: openmetrics::Prepared,
}

impl Prepared {
    pub(crate) fn new(head: &Head) -> Self {
        Prepared {
            text: text::Prepared::new(head),
            protobuf: protobuf::Prepared::new(head),
            openmetrics: openmetrics::Prepared::new(head),
        }
    }
}

/// Appends `families` in `format` (for OpenMetrics, without the closing `# EOF`: see
/// [`finish`]). A family its profile does not expose, or without series, writes nothing.
pub(crate) fn write_families<'a>(
    format: Format,
    out: &mut Vec<u8>,
    families: impl Iterator<Item = (&'a dyn FamilyView, &'a Prepared)>,
) {
    match format {
        Format::Text => families.for_each(|(f, p)| text::write_family(out, f, &p.text)),
        Format::Protobuf => families.for_each(|(f, p)| protobuf::write_family(out, f, &p.protobuf)),
        Format::OpenMetrics => {
            families.for_each(|(f, p)| openmetrics::write_family(out, f, &p.openmetrics))
        }
    }
}

/// Appends families gathered from a `prometheus::Registry` in `format`, as Prometheus' Go
/// client writes them.
pub(crate) fn write_gathered(
    format: Format,
    out: &mut Vec<u8>,
    gathered: &[prometheus::proto::MetricFamily],
) {
    match format {
        Format::Text => registry_text::write_families(out, gathered),
        Format::Protobuf => registry::write_families(out, gathered),
        Format::OpenMetrics => gathered
            .iter()
            .for_each(|mf| openmetrics::write_message(out, mf)),
    }
}

/// Appends what ends a whole exposition after every source's families: OpenMetrics'
/// `# EOF` line; nothing for the other formats.
pub(crate) fn finish(format: Format, out: &mut Vec<u8>) {
    if format == Format::OpenMetrics {
        out.extend_from_slice(b"# EOF\n");
    }
}
