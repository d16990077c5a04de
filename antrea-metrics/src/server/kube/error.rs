//! The Kubernetes layer's errors: why the API server settings or [`KubeAuth`](super::KubeAuth)
//! could not be made ([`ConfigError`]), and why a review failed ([`KubeError`]). Each variant
//! has one meaning; no message quotes a token or key material.

use std::path::PathBuf;
use std::time::Duration;

/// Why the API server settings or [`KubeAuth`](super::KubeAuth) could not be made. Each
/// message says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The review metrics could not be registered: a family of theirs is already in the
    /// registry given to [`KubeAuthBuilder::metrics`](super::KubeAuthBuilder::metrics).
    #[error(transparent)]
    Metrics(#[from] crate::MetricsError),
    /// A zero review timeout.
    #[error("the kube-auth timeout is zero (give a timeout above zero)")]
    ZeroTimeout,
    /// A zero cache size.
    #[error("the kube-auth cache size is zero (give at least 1)")]
    ZeroCacheSize,
    /// A file the settings name could not be read.
    #[error("reading the {field} file {path} failed: {source} (check that the path exists and is readable)")]
    ReadFile {
        /// Which setting named the file (e.g. `kubeconfig`, `kube-auth CA bundle`).
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A kubeconfig file is not valid YAML of the kubeconfig shape.
    #[error("the kubeconfig {path} is invalid: {source} (check it with `kubectl config view --kubeconfig <path>`)")]
    Kubeconfig {
        /// The kubeconfig file.
        path: PathBuf,
        /// What the YAML parser said.
        #[source]
        source: serde_norway::Error,
    },
    /// A kubeconfig without a current context, and none was named.
    #[error("the kubeconfig has no current-context (set one, or name a context)")]
    NoCurrentContext,
    /// A context, cluster or user the kubeconfig does not define.
    #[error("the kubeconfig has no {kind} named {name:?} (check `kubectl config view`)")]
    NotInKubeconfig {
        /// `context`, `cluster` or `user`.
        kind: &'static str,
        /// The name looked for.
        name: String,
    },
    /// A cluster that skips TLS verification.
    #[error(
        "the kubeconfig's insecure-skip-tls-verify is not supported (give certificate-authority)"
    )]
    InsecureSkipTlsVerify,
    /// A cluster without a CA (system roots are not used).
    #[error(
        "the kubeconfig's cluster has no certificate-authority(-data) (system roots are not used)"
    )]
    NoCertificateAuthority,
    /// A user that authenticates with an exec or auth-provider plugin.
    #[error("the kubeconfig's exec and auth-provider credential plugins are not supported (use a token, tokenFile or client certificate)")]
    CredentialPlugin,
    /// A user token that YAML read as something other than a string (e.g. a number).
    #[error("the kubeconfig user's token is not a string (quote it)")]
    TokenNotText,
    /// A user with a client certificate but no key, or a key but no certificate.
    #[error("the kubeconfig user has only one of client-certificate and client-key (give both, or neither)")]
    HalfClientIdentity,
    /// A `*-data` field that is not base64.
    #[error("the kubeconfig's {field} is not base64: {source}")]
    Base64 {
        /// The field.
        field: &'static str,
        /// What the decoder said.
        #[source]
        source: base64::DecodeError,
    },
    /// A client certificate that is not PEM.
    #[error("the kubeconfig's client certificate is not PEM: {0}")]
    ClientCertificate(#[source] rustls::pki_types::pem::Error),
    /// A client certificate PEM without a certificate.
    #[error("the kubeconfig's client certificate holds no certificate")]
    NoClientCertificate,
    /// A client key that is not a PEM private key (the parser's message is not shown: it
    /// could quote key material).
    #[error("the kubeconfig's client key is not a PEM private key")]
    ClientKey,
    /// A CA bundle that is not PEM.
    #[error("the {field} is not a PEM bundle: {source}")]
    CaNotPem {
        /// Which setting gave the bundle.
        field: &'static str,
        /// What the PEM parser said.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// A CA bundle without a certificate.
    #[error("the {field} holds no certificate (give the cluster's CA in PEM)")]
    NoCa {
        /// Which setting gave the bundle.
        field: &'static str,
    },
    /// An API server URL that is not `https://host[:port]`.
    #[error(
        "the kube-auth server {url:?} is invalid: {problem} (give an https://host[:port] URL)"
    )]
    ServerUrl {
        /// The URL given.
        url: String,
        /// `not a URL`, `the scheme is not https` or `no host`.
        problem: &'static str,
    },
    /// A host that is not a valid TLS server name.
    #[error("the kube-auth server host {0:?} is not a valid host name")]
    ServerName(String),
    /// An in-cluster variable that is unset or empty.
    #[error("{0} is unset: not running in a pod (use a kubeconfig file outside the cluster)")]
    EnvUnset(&'static str),
    /// `KUBERNETES_SERVICE_PORT` that is not a port number.
    #[error("KUBERNETES_SERVICE_PORT {0:?} is not a port number")]
    EnvPort(String),
    /// The client TLS configuration was rejected (an unusable CA or client certificate).
    #[error("the kube-auth client TLS setting is invalid: {0} (check the CA bundle and the client certificate)")]
    Tls(#[source] rustls::Error),
    /// The system random number generator failed (the review caches' key).
    #[error("the system random number generator failed (check /dev/urandom)")]
    Random,
}

/// Why a review did not get an answer. The scrape concerned gets `500`; the error is logged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KubeError {
    /// Connecting to the API server (TCP or TLS) failed.
    #[error("connecting to the Kubernetes API server {server} failed: {} (check the server address, that it is reachable from here, and that the CA bundle is the cluster's)", causes(source.as_ref()))]
    Connect {
        /// The API server URL.
        server: String,
        /// What the socket or the TLS handshake said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Sending a review or reading its answer failed.
    #[error("exchanging the {review} with the Kubernetes API server failed: {} (the connection broke, e.g. the API server refused the client certificate, or the answer was too large; check the API server's health)", causes(source.as_ref()))]
    Request {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// What the HTTP client said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The API server did not answer in time.
    #[error("the Kubernetes API server did not answer the {review} within {timeout:?} (check the API server's health, or raise the review timeout)")]
    Timeout {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// The configured review timeout.
        timeout: Duration,
    },
    /// The API server refused a review (not a negative answer: an HTTP error).
    #[error("the Kubernetes API server refused the {review} with HTTP {status}: {message} (401: the agent's own token is invalid; 403: grant its ServiceAccount `create` on tokenreviews and subjectaccessreviews)")]
    Status {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The `message` of the API server's `Status` answer, shortened, the token scrubbed.
        message: String,
    },
    /// A review could not be encoded, or the answer was not a valid review.
    #[error("the {review} JSON is invalid: {source} (check that the server is a Kubernetes API server of version 1.19 or later)")]
    Json {
        /// `TokenReview` or `SubjectAccessReview`.
        review: &'static str,
        /// What the JSON codec said.
        #[source]
        source: serde_json::Error,
    },
    /// The agent's token file could not be read before a review.
    #[error("reading the service account token file {path} failed: {source} (check that the token is mounted)")]
    TokenFile {
        /// The token file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The agent's token holds characters an HTTP header cannot carry.
    #[error("the service account token holds characters not allowed in an HTTP header (check the token file)")]
    TokenHeader,
    /// The task that was asking the API server ended without an answer, for the reviews that
    /// waited on it.
    #[error("the review shared by waiting scrapes ended without an answer (retry the scrape)")]
    Abandoned,
}

/// An error and its causes, `: `-separated: HTTP client errors say only "connection error"
/// themselves and keep the reason (a TLS alert, a reset) in their source.
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
