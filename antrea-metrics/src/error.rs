//! The crate's one error type.

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
}

/// Everything that can go wrong in `antrea-metrics`, the server's failures included. Each
/// message says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Creating, registering or encoding metrics failed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The server's own metrics could not be registered: a family of theirs is already in
    /// the registry.
    #[cfg(feature = "server")]
    #[error("registering the {component} metrics failed: {source} (register each component once per registry, and do not register another metric with an Antrea name)")]
    Register {
        /// Which metrics were being registered.
        component: &'static str,
        /// What the registry said.
        #[source]
        source: prometheus::Error,
    },
    /// A file the server needs could not be read.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
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
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
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
    /// A folder for a file the server writes (the self-signed CA) could not be created.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
    #[error("creating the folder {folder} for the {field} file failed: {source} (create it yourself, or choose a writable location)")]
    CreateFolder {
        /// Which setting named the file.
        field: &'static str,
        /// The first folder that could not be created.
        folder: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file held no usable certificate or key.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
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
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
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
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
    #[error("generating the self-signed certificate failed: {0} (check the extra DNS names and IPs given)")]
    SelfSigned(#[source] rcgen::Error),
    /// Binding or configuring the listening socket failed.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
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
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
    #[error("the server setting {field} is invalid: {reason}")]
    Config {
        /// Which setting.
        field: &'static str,
        /// Why, and what to do.
        reason: String,
    },
    /// A certificate and private key do not belong together, or the key cannot be used.
    #[cfg(feature = "server")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
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
    #[cfg_attr(docsrs, doc(cfg(feature = "server")))]
    #[error(
        "gzip-compressing the metrics failed: {source} (lower the gzip level or disable gzip)"
    )]
    Compress {
        /// What the compressor said.
        #[source]
        source: std::io::Error,
    },
    /// Connecting to the Kubernetes API server (TCP or TLS) failed.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error("connecting to the Kubernetes API server {server} failed: {source} (check the server address, that it is reachable from here, and that the CA bundle is the cluster's)")]
    KubeConnect {
        /// The API server URL.
        server: String,
        /// What the socket or the TLS handshake said.
        #[source]
        source: std::io::Error,
    },
    /// Sending a review to the Kubernetes API server or reading its answer failed.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error("exchanging the {review} with the Kubernetes API server failed: {} (the connection broke, e.g. the API server refused the client certificate, or the answer was too large; check the API server's health)", causes(source.as_ref()))]
    KubeRequest {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// What the HTTP client said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The Kubernetes API server did not answer a review in time.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error("the Kubernetes API server did not answer the {review} within {timeout:?} (check the API server's health, or raise the review timeout)")]
    KubeTimeout {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// The configured review timeout.
        timeout: std::time::Duration,
    },
    /// The Kubernetes API server refused a review (not a negative answer: an HTTP error).
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error("the Kubernetes API server refused the {review} with HTTP {status}: {message} (401: the agent's own token is invalid; 403: grant its ServiceAccount `create` on tokenreviews and subjectaccessreviews)")]
    KubeStatus {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The `message` of the API server's `Status` answer, shortened.
        message: String,
    },
    /// A review could not be encoded, or the API server's answer was not a valid review.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error("the {review} JSON is invalid: {source} (check that the server is a Kubernetes API server of version 1.19 or later)")]
    KubeJson {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// What the JSON codec said.
        #[source]
        source: serde_json::Error,
    },
    /// A kubeconfig file is not valid YAML of the kubeconfig shape.
    #[cfg(feature = "kube-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "kube-auth")))]
    #[error("the kubeconfig {path} is invalid: {source} (check it with `kubectl config view --kubeconfig <path>`)")]
    Kubeconfig {
        /// The kubeconfig file.
        path: std::path::PathBuf,
        /// What the YAML parser said.
        #[source]
        source: serde_norway::Error,
    },
}

/// An error and its causes, `: `-separated: HTTP client errors say only "connection error"
/// themselves and keep the reason (a TLS alert, a reset) in their source.
#[cfg(feature = "kube-auth")]
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    // Bounded: error chains are short, and a cyclic one must not loop forever.
    for _ in 0..8 {
        let Some(cause) = next else { break };
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
