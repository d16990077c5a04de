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
    /// A file the server needs could not be read.
    #[cfg(feature = "server")]
    #[error("reading the {field} file {path} failed: {source} (check that the path exists and is readable)")]
    ReadFile {
        /// Which setting named the file (e.g. `tls cert`, `static tokens`).
        field: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file the server writes (the self-signed CA) could not be written.
    #[cfg(feature = "server")]
    #[error("writing the {field} file {path} failed: {source} (check that the directory exists and is writable)")]
    WriteFile {
        /// Which setting named the file.
        field: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file held no usable certificate or key.
    #[cfg(feature = "server")]
    #[error("the {field} file {path} is not valid PEM: {source} (give a PEM file with the expected item)")]
    Pem {
        /// Which setting named the file.
        field: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What the PEM parser said.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The TLS configuration was rejected (mismatched key, no usable cipher suite, bad CA...).
    #[cfg(feature = "server")]
    #[error(
        "the TLS setting {field} is invalid: {source} (fix the setting or the files it names)"
    )]
    Tls {
        /// Which setting was rejected.
        field: &'static str,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// Generating the self-signed certificate failed.
    #[cfg(feature = "server")]
    #[error("generating the self-signed certificate failed: {0} (check the extra DNS names and IPs given)")]
    SelfSigned(#[source] rcgen::Error),
    /// Binding or configuring the listening socket failed.
    #[cfg(feature = "server")]
    #[error("listening on {addr} failed: {source} (pick a free port, or an address of this host)")]
    Listen {
        /// The address (or `listener` for a listener handed in).
        addr: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A server setting has a value that cannot work; there is no underlying cause.
    #[cfg(feature = "server")]
    #[error("the server setting {field} is invalid: {reason}")]
    Config {
        /// Which setting.
        field: &'static str,
        /// Why, and what to do.
        reason: String,
    },
    /// A certificate and private key do not belong together, or the key cannot be used.
    #[cfg(feature = "server")]
    #[error("the TLS key {key} cannot serve the certificate {cert}: {source} (give the key that matches the certificate)")]
    CertKey {
        /// The certificate file.
        cert: std::path::PathBuf,
        /// The key file.
        key: std::path::PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// Compressing a scrape response failed.
    #[cfg(feature = "server")]
    #[error(
        "gzip-compressing the metrics failed: {source} (lower the gzip level or disable gzip)"
    )]
    Compress {
        /// What the compressor said.
        #[source]
        source: std::io::Error,
    },
}
