//! The crate's one error type.

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `antrea-metrics`. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A metric family of this component already exists in the registry.
    #[error("registering the {component} metrics failed: {source} (register each component once per registry, and do not register another metric with an Antrea name)")]
    Register {
        /// Which component's metrics were being registered.
        component: &'static str,
        /// What the registry said.
        #[source]
        source: prometheus::Error,
    },
    /// Gathering or encoding metrics for a scrape failed.
    #[error("encoding the metrics exposition failed: {0}")]
    Encode(#[source] prometheus::Error),
    /// A profile name that is neither `latest` nor `v1.11`.
    #[error("unknown profile {0:?}: use \"latest\" (Antrea v2.7) or \"v1.11\"")]
    UnknownProfile(String),
}
