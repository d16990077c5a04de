//! The core's error type: creating, registering and encoding metrics. It knows nothing of the
//! layers above (the server has its own errors; `crate::umbrella` wraps them all).

/// Result with the core's [`MetricsError`].
pub(crate) type CoreResult<T> = std::result::Result<T, MetricsError>;

/// What can go wrong creating, registering or encoding metrics: the errors of the library's
/// core, each variant with one meaning. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// A registry refused a set's families: one of them is already registered there.
    #[error("registering the {component} metrics failed: {source} (register each component once per registry, and do not register another metric with an Antrea name)")]
    Register {
        /// Which component's metrics were being registered.
        component: &'static str,
        /// What the registry said.
        #[source]
        source: prometheus::Error,
    },
    /// The `prometheus` crate refused a family's description (an invalid name or label name):
    /// a declaration is wrong, never one of the built-in ones.
    #[error("describing the {component} metric families failed: {source} (a family declaration has an invalid metric or label name)")]
    Describe {
        /// Which component's metrics were being created.
        component: &'static str,
        /// What the `prometheus` crate said.
        #[source]
        source: prometheus::Error,
    },
    /// An [`Exposition`](crate::Exposition) source could not produce its metrics for a scrape.
    #[error("encoding the metrics exposition failed: {0}")]
    Encode(#[source] prometheus::Error),
    /// A profile name that is neither `latest` nor `v1.11`.
    #[error("unknown profile {0:?}: use \"latest\" (Antrea v2.7) or \"v1.11\"")]
    UnknownProfile(String),
    /// An exposition format name that is not `text`, `protobuf` or `openmetrics`.
    #[error("unknown exposition format {0:?}: use \"text\", \"protobuf\" or \"openmetrics\"")]
    UnknownFormat(String),
    /// A source asked to encode a format it does not write.
    #[error("this metrics source cannot write the {format} format (ask for text, or serve the source through a type that implements the format)")]
    UnsupportedFormat {
        /// The format asked for.
        format: &'static str,
    },
    /// A native histogram bucket factor that is not a number above 1.
    #[error("invalid native histogram bucket factor {factor}: it must be a number above 1 (1.1 is a good start)")]
    BucketFactor {
        /// The factor given.
        factor: f64,
    },
}
