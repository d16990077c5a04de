//! The rustls server configuration (versions, cipher suites, ALPN, client certificates) and
//! the handshake that uses it.

use super::cert::CertResolver;
use super::error::{BuildError, BuildResult};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::LazyConfigAcceptor;

/// The lowest TLS version the server accepts (like Antrea's `tlsMinVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3 (the default).
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

impl TlsVersion {
    /// The name Antrea's `tlsMinVersion` option (and Go's `crypto/tls`) uses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls12 => "VersionTLS12",
            Self::Tls13 => "VersionTLS13",
        }
    }
}

/// Parses Antrea's `tlsMinVersion` names, `VersionTLS12` and `VersionTLS13`, exactly as Go's
/// option parser does (case-sensitive); `VersionTLS10`/`VersionTLS11` and anything else fail.
///
/// ```
/// use antrea_metrics::server::TlsVersion;
/// assert_eq!("VersionTLS13".parse::<TlsVersion>().ok(), Some(TlsVersion::Tls13));
/// assert!("VersionTLS10".parse::<TlsVersion>().is_err());
/// ```
impl std::str::FromStr for TlsVersion {
    type Err = BuildError;

    fn from_str(name: &str) -> BuildResult<Self> {
        match name {
            "VersionTLS12" => Ok(Self::Tls12),
            "VersionTLS13" => Ok(Self::Tls13),
            // Bounded echo (escaped by the message): it may come from an untrusted config file.
            _ => Err(BuildError::TlsVersion(name.chars().take(64).collect())),
        }
    }
}

/// TLS settings besides the certificate.
#[derive(Debug, Clone)]
pub(crate) struct TlsOptions {
    pub(crate) min_version: TlsVersion,
    pub(crate) cipher_suites: Option<Vec<String>>,
    pub(crate) client_ca: Option<PathBuf>,
    pub(crate) http2: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            min_version: TlsVersion::Tls12,
            cipher_suites: None,
            client_ca: None,
            http2: true,
        }
    }
}

/// The IANA name of a suite: rustls spells TLS 1.3 suites `TLS13_*`, IANA `TLS_*`.
pub(crate) fn iana_name(suite: &SupportedCipherSuite) -> String {
    let name = suite.suite().as_str().unwrap_or_default();
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name.to_owned(),
    }
}

/// The IANA names of every cipher suite the server can be limited to.
#[must_use]
pub fn supported_cipher_suites() -> Vec<String> {
    ring::default_provider()
        .cipher_suites
        .iter()
        .map(iana_name)
        .collect()
}

/// The ring provider limited to the configured suites.
///
/// A list that names only TLS 1.2 suites leaves every TLS 1.3 suite enabled, as Go (and so
/// Antrea's `tlsCipherSuites`) does; a list that names any TLS 1.3 suite limits TLS 1.3 as well.
pub(crate) fn provider(names: Option<&[String]>) -> BuildResult<Arc<CryptoProvider>> {
    let mut provider = ring::default_provider();
    let Some(names) = names else {
        return Ok(Arc::new(provider));
    };
    if names.is_empty() {
        return Err(BuildError::NoCipherSuites);
    }
    let all = provider.cipher_suites.clone();
    if let Some(unknown) = names
        .iter()
        .find(|n| !all.iter().any(|s| iana_name(s) == **n))
    {
        return Err(BuildError::UnknownCipherSuite {
            name: unknown.chars().take(64).collect(),
            supported: supported_cipher_suites().join(", "),
        });
    }
    let limits_tls13 = all
        .iter()
        .any(|s| s.tls13().is_some() && names.contains(&iana_name(s)));
    provider.cipher_suites = all
        .into_iter()
        .filter(|s| names.contains(&iana_name(s)) || (s.tls13().is_some() && !limits_tls13))
        .collect();
    Ok(Arc::new(provider))
}

/// Runs the server side of TLS handshakes: once a client's hello has arrived, the certificate
/// files are reloaded if a check is due (off the async threads), then the handshake goes on
/// with the current certificate.
pub(crate) struct Acceptor {
    config: Arc<ServerConfig>,
    resolver: Arc<CertResolver>,
}

impl Acceptor {
    pub(crate) fn new(config: ServerConfig, resolver: Arc<CertResolver>) -> Self {
        Self {
            config: Arc::new(config),
            resolver,
        }
    }

    /// The TLS handshake on `tcp`; plain HTTP gets Go's `400` and fails the handshake.
    pub(crate) async fn accept(&self, mut tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        super::plain_http::refuse_plain_http(&mut tcp).await?;
        let hello = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
        self.resolver.refresh().await;
        hello.into_stream(Arc::clone(&self.config)).await
    }
}

/// Builds the server configuration around a certificate resolver.
pub(crate) fn server_config(
    options: &TlsOptions,
    provider: Arc<CryptoProvider>,
    resolver: &Arc<CertResolver>,
) -> BuildResult<ServerConfig> {
    let versions: &[&rustls::SupportedProtocolVersion] = match options.min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .map_err(|source| BuildError::Tls {
            field: "tls cipher suites / min version",
            source,
        })?;
    let builder = match &options.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|source| BuildError::ReadFile {
                field: "client CA",
                path: path.clone(),
                source,
            })?;
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert = cert.map_err(|source| BuildError::Pem {
                    field: "client CA",
                    path: path.clone(),
                    source,
                })?;
                roots.add(cert).map_err(|source| BuildError::Tls {
                    field: "client CA",
                    source,
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|err| BuildError::Tls {
                    field: "client CA",
                    source: rustls::Error::General(format!("{err} (in {})", path.display())),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_cert_resolver(Arc::clone(resolver) as _);
    config.alpn_protocols = if options.http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &CryptoProvider) -> Vec<String> {
        p.cipher_suites.iter().map(iana_name).collect()
    }

    #[test]
    fn iana_names() {
        let all = supported_cipher_suites();
        assert!(
            all.contains(&"TLS_AES_128_GCM_SHA256".to_owned()),
            "{all:?}"
        );
        assert!(all.contains(&"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_owned()));
    }

    #[test]
    fn tls12_only_list_keeps_tls13() -> BuildResult<()> {
        let p = provider(Some(
            &["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".to_owned()],
        ))?;
        let got = names(&p);
        assert!(got.contains(&"TLS_AES_128_GCM_SHA256".to_owned()));
        assert!(!got.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".to_owned()));
        Ok(())
    }

    #[test]
    fn tls13_name_limits_tls13() -> BuildResult<()> {
        let p = provider(Some(&["TLS_AES_256_GCM_SHA384".to_owned()]))?;
        assert_eq!(names(&p), vec!["TLS_AES_256_GCM_SHA384".to_owned()]);
        Ok(())
    }

    #[test]
    fn version_names() {
        for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
            assert_eq!(version.as_str().parse::<TlsVersion>().ok(), Some(version));
        }
        for bad in [
            "VersionTLS10",
            "VersionTLS11",
            "versiontls12",
            "1.2",
            "",
            "VersionTLS12 ",
        ] {
            assert!(bad.parse::<TlsVersion>().is_err(), "{bad:?}");
        }
        let long = "x".repeat(10_000);
        let err = long.parse::<TlsVersion>().unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
    }

    #[test]
    fn unknown_and_empty_lists_fail() {
        let err = provider(Some(&["TLS_RSA_WITH_RC4_128_SHA".to_owned()])).unwrap_err();
        assert!(
            err.to_string().contains("TLS_RSA_WITH_RC4_128_SHA"),
            "{err}"
        );
        assert!(provider(Some(&[])).is_err());
    }
}
