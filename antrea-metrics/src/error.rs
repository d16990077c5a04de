//! The core's error type, and the crate-wide wrapper of every layer's errors.

/// Result with this crate's [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    /// Invalid native histogram settings.
    #[error("invalid native histogram settings: {0}")]
    NativeHistogram(String),
}

/// Any of the crate's errors, for programs that handle them alike (`?` converts each layer's
/// error into it): the core's [`MetricsError`],
// Links only to what the documented features contain, so that the docs of every feature set
// build without broken links.
#[cfg_attr(
    feature = "server",
    doc = "the server's [`BuildError`](crate::server::BuildError) and \
           [`ServeError`](crate::server::ServeError),"
)]
#[cfg_attr(
    not(feature = "server"),
    doc = "the server's `BuildError` and `ServeError` (feature `server`),"
)]
#[cfg_attr(
    feature = "kube-auth",
    doc = "and the Kubernetes layer's [`ConfigError`](crate::server::kube::ConfigError) and \
           [`KubeError`](crate::server::kube::KubeError)."
)]
#[cfg_attr(
    not(feature = "kube-auth"),
    doc = "and the Kubernetes layer's `ConfigError` and `KubeError` (feature `kube-auth`)."
)]
/// Each layer's functions return their own type; this one only wraps them, with the same
/// message and source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Creating, registering or encoding metrics failed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The server, or one of its settings, could not be built.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
    #[error(transparent)]
    Build(#[from] crate::server::BuildError),
    /// The server failed while serving.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
    #[error(transparent)]
    Serve(#[from] crate::server::ServeError),
    /// The Kubernetes API server settings or the review client could not be made.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error(transparent)]
    KubeConfig(#[from] crate::server::kube::ConfigError),
    /// A Kubernetes review failed.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error(transparent)]
    Kube(#[from] crate::server::kube::KubeError),
}
