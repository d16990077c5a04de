//! Where the serving certificate comes from: generated at startup, or PEM files that are
//! re-read when they change.

use crate::{Error, Result};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often certificate files are checked for changes by default.
pub const DEFAULT_CERT_RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// The serving certificate: self-signed (the default, like Antrea's) or read from files.
#[derive(Debug, Clone)]
pub struct TlsSource {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    SelfSigned {
        dns_names: Vec<String>,
        ips: Vec<IpAddr>,
        write_ca_to: Option<PathBuf>,
    },
    Files {
        cert: PathBuf,
        key: PathBuf,
        reload_interval: Duration,
    },
}

impl Default for TlsSource {
    fn default() -> Self {
        Self::self_signed()
    }
}

impl TlsSource {
    /// A certificate generated at startup, kept in memory and valid for a year, for `localhost`,
    /// `127.0.0.1` and `::1`; its NotBefore is an hour back to tolerate clock skew. It is issued
    /// by a generated CA, whose PEM is [`MetricsServer::ca_pem`](super::MetricsServer::ca_pem).
    #[must_use]
    pub fn self_signed() -> Self {
        Self {
            kind: Kind::SelfSigned {
                dns_names: Vec::new(),
                ips: Vec::new(),
                write_ca_to: None,
            },
        }
    }

    /// A certificate chain and private key in PEM files, re-read when their contents change
    /// (checked at most every [`DEFAULT_CERT_RELOAD_INTERVAL`], on a TLS handshake). Paths are
    /// resolved on every check, so atomic symlink swaps are seen.
    #[must_use]
    pub fn files(cert_path: impl Into<PathBuf>, key_path: impl Into<PathBuf>) -> Self {
        Self {
            kind: Kind::Files {
                cert: cert_path.into(),
                key: key_path.into(),
                reload_interval: DEFAULT_CERT_RELOAD_INTERVAL,
            },
        }
    }

    /// Adds a DNS name to a self-signed certificate (no effect on a files source).
    #[must_use]
    pub fn with_dns_name(mut self, name: impl Into<String>) -> Self {
        if let Kind::SelfSigned { dns_names, .. } = &mut self.kind {
            dns_names.push(name.into());
        }
        self
    }

    /// Adds an IP address to a self-signed certificate.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        if let Kind::SelfSigned { ips, .. } = &mut self.kind {
            ips.push(ip);
        }
        self
    }

    /// Writes the CA of a self-signed certificate to `path` at build time, for Prometheus'
    /// `tls_config.ca_file`. Missing parent folders are created (mode 0755).
    #[must_use]
    pub fn write_ca_to(mut self, path: impl Into<PathBuf>) -> Self {
        if let Kind::SelfSigned { write_ca_to, .. } = &mut self.kind {
            *write_ca_to = Some(path.into());
        }
        self
    }

    /// How often certificate files are checked for changes.
    #[must_use]
    pub fn with_reload_interval(mut self, interval: Duration) -> Self {
        if let Kind::Files {
            reload_interval, ..
        } = &mut self.kind
        {
            *reload_interval = interval;
        }
        self
    }

    /// Makes the certificate resolver, and the CA PEM when self-signed.
    pub(crate) fn load(
        self,
        provider: &Arc<CryptoProvider>,
    ) -> Result<(Arc<CertResolver>, Option<String>)> {
        match self.kind {
            Kind::SelfSigned {
                dns_names,
                ips,
                write_ca_to,
            } => {
                let (key, ca_pem) = self_signed(dns_names, &ips, provider)?;
                if let Some(path) = write_ca_to {
                    super::ca_file::write(&path, &ca_pem)?;
                }
                let resolver = CertResolver {
                    current: RwLock::new(Arc::new(key)),
                    files: None,
                };
                Ok((Arc::new(resolver), Some(ca_pem)))
            }
            Kind::Files {
                cert,
                key,
                reload_interval,
            } => {
                let pair = Pair::read(&cert, &key)?;
                let certified = pair.certified_key(&cert, &key, provider)?;
                let files = WatchedFiles {
                    cert,
                    key,
                    interval: reload_interval,
                    provider: Arc::clone(provider),
                    state: Mutex::new((Instant::now(), pair)),
                };
                let resolver = CertResolver {
                    current: RwLock::new(Arc::new(certified)),
                    files: Some(files),
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
) -> Result<(CertifiedKey, String)> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let now = time::OffsetDateTime::now_utc();
    let not_before = now - time::Duration::hours(1);
    let not_after = now + time::Duration::days(365);

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(Error::SelfSigned)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "antrea-metrics-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(Error::SelfSigned)?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(Error::SelfSigned)?;

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.extend(dns_names);
    names.extend(ips.iter().map(IpAddr::to_string));
    let mut params = CertificateParams::new(names).map_err(Error::SelfSigned)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "antrea-metrics");
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(Error::SelfSigned)?;
    let leaf = params.signed_by(&key, &ca).map_err(Error::SelfSigned)?;

    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|reason| Error::Config {
        field: "self-signed key",
        reason: reason.to_owned(),
    })?;
    let chain = vec![leaf.der().clone()];
    let certified =
        CertifiedKey::from_der(chain, key_der, provider).map_err(|source| Error::Tls {
            field: "self-signed key",
            source,
        })?;
    Ok((certified, ca.as_ref().pem()))
}

/// The raw bytes of a cert/key pair, compared to notice changes.
#[derive(PartialEq, Eq)]
struct Pair {
    cert: Vec<u8>,
    key: Vec<u8>,
}

impl Pair {
    fn read(cert: &Path, key: &Path) -> Result<Self> {
        let read = |field, path: &Path| {
            std::fs::read(path).map_err(|source| Error::ReadFile {
                field,
                path: path.to_path_buf(),
                source,
            })
        };
        Ok(Self {
            cert: read("tls cert", cert)?,
            key: read("tls key", key)?,
        })
    }

    fn certified_key(
        &self,
        cert_path: &Path,
        key_path: &Path,
        provider: &CryptoProvider,
    ) -> Result<CertifiedKey> {
        let pem_err = |field, path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Pem {
                field,
                path,
                source,
            }
        };
        let chain = CertificateDer::pem_slice_iter(&self.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(pem_err("tls cert", cert_path))?;
        if chain.is_empty() {
            return Err(Error::Pem {
                field: "tls cert",
                path: cert_path.to_path_buf(),
                source: rustls::pki_types::pem::Error::NoItemsFound,
            });
        }
        let key = PrivateKeyDer::from_pem_slice(&self.key).map_err(pem_err("tls key", key_path))?;
        CertifiedKey::from_der(chain, key, provider).map_err(|source| Error::CertKey {
            cert: cert_path.to_path_buf(),
            key: key_path.to_path_buf(),
            source,
        })
    }
}

struct WatchedFiles {
    cert: PathBuf,
    key: PathBuf,
    interval: Duration,
    provider: Arc<CryptoProvider>,
    /// When the files were last checked, and the pair last seen (good or bad).
    state: Mutex<(Instant, Pair)>,
}

/// Hands rustls the current certificate, re-reading the files first when a check is due.
#[derive(Debug)]
pub(crate) struct CertResolver {
    current: RwLock<Arc<CertifiedKey>>,
    files: Option<WatchedFiles>,
}

impl std::fmt::Debug for WatchedFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchedFiles")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl CertResolver {
    /// Reloads when due. Reading two small files at most once per interval is cheap enough to
    /// do in the handshake; `try_lock` lets concurrent handshakes go on with the current pair.
    fn refresh(&self, files: &WatchedFiles) {
        let Ok(mut state) = files.state.try_lock() else {
            return;
        };
        if state.0.elapsed() < files.interval {
            return;
        }
        state.0 = Instant::now();
        let pair = match Pair::read(&files.cert, &files.key) {
            Ok(pair) => pair,
            Err(err) => {
                tracing::error!(error = %err, "keeping the previous TLS certificate");
                return;
            }
        };
        if pair == state.1 {
            return;
        }
        match pair.certified_key(&files.cert, &files.key, &files.provider) {
            Ok(key) => {
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(key);
                    tracing::info!(cert = %files.cert.display(), "reloaded the TLS certificate");
                }
            }
            Err(err) => tracing::error!(error = %err, "keeping the previous TLS certificate"),
        }
        // Remember a bad pair too, so it is reported once rather than on every handshake.
        state.1 = pair;
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(files) = &self.files {
            self.refresh(files);
        }
        self.current.read().ok().map(|key| Arc::clone(&key))
    }
}
