//! Where the serving certificate comes from: generated at startup, or PEM files that are
//! re-read when they change.

use super::error::{BuildError, BuildResult};
use super::reload::{Label, Reloading};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How often certificate files are checked for changes by default.
pub const DEFAULT_CERT_RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// The serving certificate: self-signed (the default, like Antrea's) or read from files.
/// Each kind has only the options that apply to it; give either to
/// [`MetricsServerBuilder::tls`](super::MetricsServerBuilder::tls).
///
/// ```
/// use antrea_metrics::server::TlsSource;
/// let generated = TlsSource::self_signed().with_dns_name("agent.example");
/// let files = TlsSource::files("/etc/tls/tls.crt", "/etc/tls/tls.key");
/// assert!(matches!(TlsSource::from(generated), TlsSource::SelfSigned(_)));
/// assert!(matches!(TlsSource::from(files), TlsSource::Files(_)));
/// ```
///
/// A self-signed option does not exist on a files source (before, it did nothing there):
///
/// ```compile_fail
/// use antrea_metrics::server::TlsSource;
/// let files = TlsSource::files("tls.crt", "tls.key").with_dns_name("agent.example");
/// ```
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// A certificate generated at startup.
    SelfSigned(SelfSigned),
    /// A certificate chain and private key in PEM files, re-read when they change.
    Files(CertFiles),
}

/// A certificate generated at startup; made by [`TlsSource::self_signed`].
#[derive(Debug, Clone, Default)]
pub struct SelfSigned {
    dns_names: Vec<String>,
    ips: Vec<IpAddr>,
    write_ca_to: Option<PathBuf>,
}

/// A certificate chain and private key in PEM files; made by [`TlsSource::files`].
#[derive(Debug, Clone)]
pub struct CertFiles {
    cert: PathBuf,
    key: PathBuf,
    reload_interval: Duration,
}

impl Default for TlsSource {
    fn default() -> Self {
        Self::SelfSigned(SelfSigned::default())
    }
}

impl From<SelfSigned> for TlsSource {
    fn from(source: SelfSigned) -> Self {
        Self::SelfSigned(source)
    }
}

impl From<CertFiles> for TlsSource {
    fn from(source: CertFiles) -> Self {
        Self::Files(source)
    }
}

impl TlsSource {
    /// A certificate generated at startup, kept in memory and valid for a year, for `localhost`,
    /// `127.0.0.1` and `::1`; its NotBefore is an hour back to tolerate clock skew. It is issued
    /// by a generated CA, whose PEM is [`MetricsServer::ca_pem`](super::MetricsServer::ca_pem).
    #[must_use]
    pub fn self_signed() -> SelfSigned {
        SelfSigned::default()
    }

    /// A certificate chain and private key in PEM files, re-read when their contents change
    /// (checked at most every [`DEFAULT_CERT_RELOAD_INTERVAL`], on a TLS handshake). Paths are
    /// resolved on every check, so atomic symlink swaps are seen.
    #[must_use]
    pub fn files(cert_path: impl Into<PathBuf>, key_path: impl Into<PathBuf>) -> CertFiles {
        CertFiles {
            cert: cert_path.into(),
            key: key_path.into(),
            reload_interval: DEFAULT_CERT_RELOAD_INTERVAL,
        }
    }
}

impl SelfSigned {
    /// Adds a DNS name to the certificate.
    #[must_use]
    pub fn with_dns_name(mut self, name: impl Into<String>) -> Self {
        self.dns_names.push(name.into());
        self
    }

    /// Adds an IP address to the certificate.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ips.push(ip);
        self
    }

    /// Writes the CA of a self-signed certificate to `path` at build time, for Prometheus'
    /// `tls_config.ca_file`. Missing parent folders are created (mode 0755).
    #[must_use]
    pub fn write_ca_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.write_ca_to = Some(path.into());
        self
    }
}

impl CertFiles {
    /// How often the files are checked for changes.
    #[must_use]
    pub fn with_reload_interval(mut self, interval: Duration) -> Self {
        self.reload_interval = interval;
        self
    }
}

impl TlsSource {
    /// Makes the certificate resolver, and the CA PEM when self-signed.
    pub(crate) fn load(
        self,
        provider: &Arc<CryptoProvider>,
    ) -> BuildResult<(Arc<CertResolver>, Option<String>)> {
        match self {
            Self::SelfSigned(SelfSigned {
                dns_names,
                ips,
                write_ca_to,
            }) => {
                let (key, ca_pem) = self_signed(dns_names, &ips, provider)?;
                if let Some(path) = write_ca_to {
                    super::ca_file::write(&path, &ca_pem)?;
                }
                let resolver = CertResolver {
                    current: Current::Fixed(Arc::new(key)),
                };
                Ok((Arc::new(resolver), Some(ca_pem)))
            }
            Self::Files(CertFiles {
                cert,
                key,
                reload_interval,
            }) => {
                let bytes = read_pair(&cert, &key)?;
                let certified = certified_key((&bytes[0], &bytes[1]), (&cert, &key), provider)?;
                let parse = {
                    let (cert, key, provider) = (cert.clone(), key.clone(), Arc::clone(provider));
                    move |files: &[Vec<u8>]| {
                        certified_key((&files[0], &files[1]), (&cert, &key), &provider)
                    }
                };
                let label = Label {
                    files: "TLS certificate files",
                    value: "TLS certificate",
                };
                let files = Reloading::new(
                    label,
                    vec![cert, key],
                    bytes,
                    certified,
                    reload_interval,
                    parse,
                );
                let resolver = CertResolver {
                    current: Current::Files(files),
                };
                Ok((Arc::new(resolver), None))
            }
        }
    }
}

fn self_signed(
    dns_names: Vec<String>,
    ips: &[IpAddr],
    provider: &CryptoProvider,
) -> BuildResult<(CertifiedKey, String)> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let now = time::OffsetDateTime::now_utc();
    let not_before = now - time::Duration::hours(1);
    let not_after = now + time::Duration::days(365);

    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(BuildError::SelfSigned)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "antrea-metrics-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(BuildError::SelfSigned)?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(BuildError::SelfSigned)?;

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.extend(dns_names);
    names.extend(ips.iter().map(IpAddr::to_string));
    let mut params = CertificateParams::new(names).map_err(BuildError::SelfSigned)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "antrea-metrics");
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(BuildError::SelfSigned)?;
    let leaf = params
        .signed_by(&key, &ca)
        .map_err(BuildError::SelfSigned)?;

    let key_der =
        PrivateKeyDer::try_from(key.serialize_der()).map_err(BuildError::SelfSignedKey)?;
    let chain = vec![leaf.der().clone()];
    let certified =
        CertifiedKey::from_der(chain, key_der, provider).map_err(|source| BuildError::Tls {
            field: "self-signed key",
            source,
        })?;
    Ok((certified, ca.as_ref().pem()))
}

/// Reads a certificate file and its key file.
fn read_pair(cert: &Path, key: &Path) -> BuildResult<Vec<Vec<u8>>> {
    let read = |field, path: &Path| {
        std::fs::read(path).map_err(|source| BuildError::ReadFile {
            field,
            path: path.to_path_buf(),
            source,
        })
    };
    Ok(vec![read("tls cert", cert)?, read("tls key", key)?])
}

/// The certificate chain and key in `cert` and `key` (PEM), read from the named files.
fn certified_key(
    (cert, key): (&[u8], &[u8]),
    (cert_path, key_path): (&Path, &Path),
    provider: &CryptoProvider,
) -> BuildResult<CertifiedKey> {
    let pem_err = |field, path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Pem {
            field,
            path,
            source,
        }
    };
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_err("tls cert", cert_path))?;
    if chain.is_empty() {
        return Err(BuildError::Pem {
            field: "tls cert",
            path: cert_path.to_path_buf(),
            source: rustls::pki_types::pem::Error::NoItemsFound,
        });
    }
    let key = PrivateKeyDer::from_pem_slice(key).map_err(pem_err("tls key", key_path))?;
    CertifiedKey::from_der(chain, key, provider).map_err(|source| BuildError::CertKey {
        cert: cert_path.to_path_buf(),
        key: key_path.to_path_buf(),
        source,
    })
}

/// Hands rustls the current certificate; [`refresh`](Self::refresh), awaited before each
/// handshake, reloads certificate files when a check is due (the server's one reload
/// mechanism), so that rustls' synchronous `resolve` never reads a file.
#[derive(Debug)]
pub(crate) struct CertResolver {
    current: Current,
}

enum Current {
    /// Generated at startup.
    Fixed(Arc<CertifiedKey>),
    /// Read from files, reloaded when they change.
    Files(Reloading<CertifiedKey>),
}

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed(_) => f.write_str("Fixed"),
            Self::Files(files) => f.debug_tuple("Files").field(&files.path()).finish(),
        }
    }
}

impl CertResolver {
    /// Reloads the certificate files if a check is due.
    pub(crate) async fn refresh(&self) {
        if let Current::Files(files) = &self.current {
            files.refresh().await;
        }
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(match &self.current {
            Current::Fixed(key) => Arc::clone(key),
            Current::Files(files) => files.current(),
        })
    }
}
