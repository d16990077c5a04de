//! The rustls server configuration: versions, cipher suites, ALPN and client certificates.

use super::cert::CertResolver;
use crate::{Error, Result};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};
use std::path::PathBuf;
use std::sync::Arc;

/// The lowest TLS version the server accepts (like Antrea's `tlsMinVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3 (the default).
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
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
fn iana_name(suite: &SupportedCipherSuite) -> String {
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
pub(crate) fn provider(names: Option<&[String]>) -> Result<Arc<CryptoProvider>> {
    let mut provider = ring::default_provider();
    let Some(names) = names else {
        return Ok(Arc::new(provider));
    };
    if names.is_empty() {
        return Err(Error::Config {
            field: "tls cipher suites",
            reason: "the list is empty (leave it unset for the defaults)".to_owned(),
        });
    }
    let all = provider.cipher_suites.clone();
    if let Some(unknown) = names
        .iter()
        .find(|n| !all.iter().any(|s| iana_name(s) == **n))
    {
        return Err(Error::Config {
            field: "tls cipher suites",
            reason: format!(
                "unknown cipher suite {unknown:?} (supported: {})",
                supported_cipher_suites().join(", ")
            ),
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

/// Builds the server configuration around a certificate resolver.
pub(crate) fn server_config(
    options: &TlsOptions,
    provider: Arc<CryptoProvider>,
    resolver: Arc<CertResolver>,
) -> Result<ServerConfig> {
    let versions: &[&rustls::SupportedProtocolVersion] = match options.min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .map_err(|source| Error::Tls {
            field: "tls cipher suites / min version",
            source,
        })?;
    let builder = match &options.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|source| Error::ReadFile {
                field: "client CA",
                path: path.clone(),
                source,
            })?;
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert = cert.map_err(|source| Error::Pem {
                    field: "client CA",
                    path: path.clone(),
                    source,
                })?;
                roots.add(cert).map_err(|source| Error::Tls {
                    field: "client CA",
                    source,
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|err| Error::Tls {
                    field: "client CA",
                    source: rustls::Error::General(format!("{err} (in {})", path.display())),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_cert_resolver(resolver);
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
    fn tls12_only_list_keeps_tls13() -> Result<()> {
        let p = provider(Some(
            &["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".to_owned()],
        ))?;
        let got = names(&p);
        assert!(got.contains(&"TLS_AES_128_GCM_SHA256".to_owned()));
        assert!(!got.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".to_owned()));
        Ok(())
    }

    #[test]
    fn tls13_name_limits_tls13() -> Result<()> {
        let p = provider(Some(&["TLS_AES_256_GCM_SHA384".to_owned()]))?;
        assert_eq!(names(&p), vec!["TLS_AES_256_GCM_SHA384".to_owned()]);
        Ok(())
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
