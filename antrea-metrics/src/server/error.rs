//! The server's errors: why a [`MetricsServer`](super::MetricsServer) (or a setting for it)
//! could not be built, and what can fail while it serves. Each variant has one meaning.

use std::path::PathBuf;

/// Why a server setting, file or the server itself could not be made ready. Each message
/// says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The server's own metrics could not be registered: a family of theirs is already in
    /// the registry given to [`server_metrics`](super::MetricsServerBuilder::server_metrics).
    #[error(transparent)]
    Metrics(#[from] crate::MetricsError),
    /// Neither a registry nor an exposition was added.
    #[error("the server has nothing to serve (add a registry or an exposition)")]
    NoExposition,
    /// Neither static tokens nor an authenticator was set.
    #[error("the server has no authentication (set static tokens or an authenticator)")]
    NoAuthentication,
    /// Static tokens were set, but hold none.
    #[error("the static tokens set holds no token (add at least one)")]
    EmptyTokens,
    /// Neither a listen address nor a listener was given.
    #[error("the server has nowhere to listen (give a listen address or a listener)")]
    NoListener,
    /// A gzip level above 9.
    #[error("the gzip level {0} is invalid (give 0 to 9)")]
    GzipLevel(u32),
    /// A timeout or count that must be more than zero is zero.
    #[error("the server setting {setting} is zero (give a value above zero)")]
    Zero {
        /// Which setting.
        setting: &'static str,
    },
    /// A request head limit below what hyper can work with.
    #[error("the max header bytes {0} is too small (give at least 8192)")]
    MaxHeaderBytes(usize),
    /// A scrape timeout at or above the idle timeout: no bytes flow while a scrape is encoded,
    /// so a longer scrape would look idle.
    #[error("the scrape timeout {scrape:?} is not shorter than the idle timeout {idle:?} (shorten the scrape timeout or lengthen the idle timeout)")]
    ScrapeTimeout {
        /// The scrape timeout.
        scrape: std::time::Duration,
        /// The idle timeout.
        idle: std::time::Duration,
    },
    /// A TLS minimum version that is not `VersionTLS12` or `VersionTLS13` (shortened and
    /// escaped: it may come from an untrusted file).
    #[error("the TLS version {0:?} is not supported (use VersionTLS12 or VersionTLS13)")]
    TlsVersion(String),
    /// An empty cipher suite list.
    #[error("the TLS cipher suites list is empty (leave it unset for the defaults)")]
    NoCipherSuites,
    /// A cipher suite name rustls does not know (shortened and escaped).
    #[error("unknown TLS cipher suite {name:?} in the cipher suites (supported: {supported})")]
    UnknownCipherSuite {
        /// The name given.
        name: String,
        /// The supported names, comma-separated.
        supported: String,
    },
    /// A token file that is not UTF-8 text.
    #[error("the static tokens file {0} is not UTF-8 text (write one token per line)")]
    TokensNotText(PathBuf),
    /// A token file without a token.
    #[error("the static tokens file {0} holds no token (write one token per line)")]
    NoTokens(PathBuf),
    /// A file the server needs could not be read.
    #[error("reading the {field} file {path} failed: {source} ({})", read_hint(.source))]
    ReadFile {
        /// Which setting named the file (e.g. `tls cert`, `static tokens`).
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file the server writes (the self-signed CA) could not be written.
    #[error("writing the {field} file {path} failed: {source} (check that the directory exists and is writable)")]
    WriteFile {
        /// Which setting named the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A folder for a file the server writes (the self-signed CA) could not be created.
    #[error("creating the folder {folder} for the {field} file failed: {source} (create it yourself, or choose a writable location)")]
    CreateFolder {
        /// Which setting named the file.
        field: &'static str,
        /// The first folder that could not be created.
        folder: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file held no usable certificate or key.
    #[error("the {field} file {path} is not valid PEM: {source} (give a PEM file with the expected item)")]
    Pem {
        /// Which setting named the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM parser said.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The TLS configuration was rejected (no usable cipher suite, bad client CA...).
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
    /// A certificate and private key do not belong together, or the key cannot be used.
    #[error("the TLS key {key} cannot serve the certificate {cert}: {source} (give the key that matches the certificate)")]
    CertKey {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// Generating the self-signed certificate failed.
    #[error("generating the self-signed certificate failed: {0} (check the extra DNS names and IPs given)")]
    SelfSigned(#[source] rcgen::Error),
    /// The generated key was refused by rustls (a bug in the key generator, never the input).
    #[error("using the self-signed key failed: {0} (report this as a bug)")]
    SelfSignedKey(&'static str),
    /// Binding or configuring the listening socket failed.
    #[error("listening on {addr} failed: {source} (pick a free port, or an address of this host)")]
    Listen {
        /// The address (or `listener` for a listener handed in).
        addr: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// What can fail while the server serves, for its log. None of these ends
/// [`serve`](super::MetricsServer::serve): the scrape concerned is answered `500` and the
/// error logged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
    /// Compressing a scrape response failed.
    #[error(
        "gzip-compressing the metrics failed: {source} (lower the gzip level or disable gzip)"
    )]
    Compress {
        /// What the compressor said.
        #[source]
        source: std::io::Error,
    },
}

/// Result of building the server or one of its settings.
pub(crate) type BuildResult<T> = Result<T, BuildError>;

/// What to do about a file that could not be read, from what the operating system said.
fn read_hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::IsADirectory => "give the path of a file, not of a folder",
        std::io::ErrorKind::NotFound => "check that the path exists",
        std::io::ErrorKind::PermissionDenied => "check that this process may read it",
        _ => "check that the path exists and is readable",
    }
}
