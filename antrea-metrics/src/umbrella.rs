//! The crate-wide wrapper of every layer's errors, for programs that handle them alike. It sits
//! above every layer (it names the server's errors), so no layer imports it: each returns its
//! own error type.

use crate::error::MetricsError;

/// Result with this crate's [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any of the crate's errors, for programs that handle them alike (`?` converts each layer's
/// error into it): the core's [`MetricsError`],
// Links only to what the documented features contain, so that the docs of every feature set
// build without broken links.
#[cfg_attr(
    feature = "server",
    doc = "the server's [`BuildError`](crate::server::BuildError),"
)]
#[cfg_attr(
    not(feature = "server"),
    doc = "the server's `BuildError` (feature `server`),"
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
