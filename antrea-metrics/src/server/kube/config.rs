//! Where the Kubernetes API server is and how the agent proves who it is: in-cluster settings,
//! a kubeconfig file, or explicit values.

use super::error::ConfigError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a pod finds its ServiceAccount token (kubelet rotates it in place).
pub const SERVICE_ACCOUNT_TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// Where a pod finds the cluster's CA bundle.
pub const SERVICE_ACCOUNT_CA_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

/// A secret string (a bearer token) whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The agent's own bearer token for the API server.
#[derive(Debug, Clone)]
pub(crate) enum AgentToken {
    /// No token (e.g. a kubeconfig user with a client certificate only).
    None,
    /// A fixed token.
    Fixed(Secret),
    /// A file read before every request, so a rotated ServiceAccount token is picked up.
    File(PathBuf),
}

/// A client certificate chain and key for mutual TLS with the API server.
pub(crate) struct ClientIdentity {
    pub(crate) certs: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

/// How to reach the Kubernetes API server and authenticate to it.
///
/// Its `Debug` output never shows a token or a key.
pub struct ApiServerConfig {
    pub(crate) server: ServerUrl,
    pub(crate) roots: Vec<CertificateDer<'static>>,
    pub(crate) token: AgentToken,
    pub(crate) identity: Option<ClientIdentity>,
}

impl fmt::Debug for ApiServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiServerConfig")
            .field("server", &self.server.url)
            .field("ca_certificates", &self.roots.len())
            .field("token", &self.token)
            .field("client_certificate", &self.identity.is_some())
            .finish()
    }
}

impl ApiServerConfig {
    /// An API server at `server` (an `https://host[:port][/prefix]` URL) whose certificate is
    /// issued by a CA in the PEM bundle `ca_pem`; add the agent's credentials with
    /// [`bearer_token`](Self::bearer_token) or [`bearer_token_file`](Self::bearer_token_file).
    ///
    /// # Errors
    /// [`ConfigError::ServerUrl`] for a URL that is not `https://host[:port]`,
    /// [`ConfigError::CaNotPem`] or [`ConfigError::NoCa`] for a bundle without certificates.
    pub fn new(server: &str, ca_pem: &[u8]) -> Result<Self, ConfigError> {
        Ok(Self {
            server: ServerUrl::parse(server)?,
            roots: parse_ca(ca_pem, "kube-auth CA bundle")?,
            token: AgentToken::None,
            identity: None,
        })
    }

    /// The settings of a pod: `KUBERNETES_SERVICE_HOST`/`_PORT` and the mounted ServiceAccount
    /// token and CA bundle; the token file is re-read before every request as kubelet rotates it.
    ///
    /// # Errors
    /// [`ConfigError::EnvUnset`] outside a pod (the variables are unset),
    /// [`ConfigError::ReadFile`] when the CA bundle cannot be read.
    pub fn in_cluster() -> Result<Self, ConfigError> {
        InCluster::from_env()?.config()
    }

    /// Authenticates the agent with this fixed bearer token.
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = AgentToken::Fixed(Secret::new(token.into()));
        self
    }

    /// Authenticates the agent with the token in this file, re-read before every request.
    #[must_use]
    pub fn bearer_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token = AgentToken::File(path.into());
        self
    }

    /// The API server URL.
    #[must_use]
    pub fn server(&self) -> &str {
        &self.server.url
    }
}

/// The in-cluster settings, with every path injectable (for tests, or unusual mounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InCluster {
    /// The API server host (`KUBERNETES_SERVICE_HOST`), a name or an IP address.
    pub host: String,
    /// The API server port (`KUBERNETES_SERVICE_PORT`).
    pub port: u16,
    /// The agent's ServiceAccount token file, re-read before every request.
    pub token_file: PathBuf,
    /// The cluster's CA bundle.
    pub ca_file: PathBuf,
}

impl InCluster {
    /// Reads `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, with the standard
    /// ServiceAccount mount paths.
    ///
    /// # Errors
    /// [`ConfigError::EnvUnset`] when a variable is unset, [`ConfigError::EnvPort`] when the
    /// port is not a number.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::EnvUnset(name))
        };
        let host = var("KUBERNETES_SERVICE_HOST")?;
        let port = var("KUBERNETES_SERVICE_PORT")?;
        let port = port
            .parse()
            .map_err(|_| ConfigError::EnvPort(port.chars().take(64).collect()))?;
        Ok(Self {
            host,
            port,
            token_file: SERVICE_ACCOUNT_TOKEN_FILE.into(),
            ca_file: SERVICE_ACCOUNT_CA_FILE.into(),
        })
    }

    /// The API server settings: reads the CA bundle now (a new CA needs a restart, as with
    /// client-go), the token before every request.
    ///
    /// # Errors
    /// [`ConfigError::ReadFile`] when the CA bundle or the token file cannot be read (checked
    /// now so that a missing mount fails at startup, not at the first scrape), as
    /// [`ApiServerConfig::new`] for an
    /// unusable CA bundle or host.
    pub fn config(&self) -> Result<ApiServerConfig, ConfigError> {
        read_file("service account token", &self.token_file)?;
        let ca = read_file("kube-auth CA bundle", &self.ca_file)?;
        // An IPv6 literal needs brackets in a URL.
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        Ok(
            ApiServerConfig::new(&format!("https://{host}:{}", self.port), &ca)?
                .bearer_token_file(&self.token_file),
        )
    }
}

/// A parsed `https` API server URL.
#[derive(Debug, Clone)]
pub(crate) struct ServerUrl {
    /// As given, for messages.
    pub(crate) url: String,
    /// The host without IPv6 brackets, for TLS server-name checks.
    pub(crate) host: String,
    /// `host:port` as a socket address string (IPv6 in brackets).
    pub(crate) authority: String,
    /// A path the API is served under (e.g. behind a proxy), without a trailing `/`.
    pub(crate) prefix: String,
}

impl ServerUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, ConfigError> {
        let bad = |problem| ConfigError::ServerUrl {
            url: url.chars().take(256).collect(),
            problem,
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        if uri.scheme_str() != Some("https") {
            return Err(bad("the scheme is not https"));
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        let port = uri.port_u16().unwrap_or(443);
        Ok(Self {
            url: url.to_owned(),
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            authority: format!("{host}:{port}"),
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }
}

pub(crate) fn read_file(field: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::ReadFile {
        field,
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn parse_ca(
    pem: &[u8],
    field: &'static str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ConfigError::CaNotPem { field, source })?;
    if certs.is_empty() {
        return Err(ConfigError::NoCa { field });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_cluster_env() {
        let env = |host: Option<&str>, port: Option<&str>| {
            let (host, port) = (host.map(str::to_owned), port.map(str::to_owned));
            InCluster::from_lookup(move |name| match name {
                "KUBERNETES_SERVICE_HOST" => host.clone(),
                "KUBERNETES_SERVICE_PORT" => port.clone(),
                _ => None,
            })
        };
        let ok = env(Some("10.96.0.1"), Some("443")).expect("valid settings");
        assert_eq!((ok.host.as_str(), ok.port), ("10.96.0.1", 443));
        assert_eq!(ok.token_file, Path::new(SERVICE_ACCOUNT_TOKEN_FILE));
        assert!(matches!(
            env(None, Some("443")),
            Err(ConfigError::EnvUnset("KUBERNETES_SERVICE_HOST"))
        ));
        assert!(matches!(
            env(Some("h"), None),
            Err(ConfigError::EnvUnset("KUBERNETES_SERVICE_PORT"))
        ));
        assert!(matches!(env(Some("h"), Some("x")), Err(ConfigError::EnvPort(p)) if p == "x"));
    }

    #[test]
    fn server_urls() {
        let url = ServerUrl::parse("https://[::1]:6443/prefix/").expect("valid URL");
        assert_eq!(url.host, "::1");
        assert_eq!(url.authority, "[::1]:6443");
        assert_eq!(url.prefix, "/prefix");
        let url = ServerUrl::parse("https://api.example").expect("valid URL");
        assert_eq!(
            (url.authority.as_str(), url.prefix.as_str()),
            ("api.example:443", "")
        );
        assert!(ServerUrl::parse("http://api.example").is_err());
        assert!(ServerUrl::parse("not a url").is_err());
    }

    #[test]
    fn debug_redacts_the_token() {
        let token = "agent-token-do-not-print";
        let config = ApiServerConfig {
            server: ServerUrl::parse("https://127.0.0.1:6443").expect("valid URL"),
            roots: Vec::new(),
            token: AgentToken::None,
            identity: None,
        }
        .bearer_token(token);
        assert!(!format!("{config:?}").contains(token));
    }
}
