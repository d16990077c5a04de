//! Test certificates: a CA and leaf certificates for `localhost`, written as PEM files.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::path::Path;

/// The error type of the certificate helpers.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A test CA that issues leaf certificates.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate and its key, as PEM.
pub struct Leaf {
    /// The certificate PEM.
    pub cert_pem: String,
    /// The private key PEM.
    pub key_pem: String,
    /// The certificate DER (to compare with what a client sees).
    pub cert_der: Vec<u8>,
}

impl TestCa {
    /// Generates a new CA.
    pub fn new() -> Result<Self, BoxError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        // Names of their own: with rcgen's one default name for both, OpenSSL (curl) takes
        // the leaf for self-signed and does not look for its issuer.
        params
            .distinguished_name
            .push(DnType::CommonName, "antrea-metrics test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        Ok(Self { issuer })
    }

    /// The CA certificate PEM.
    pub fn pem(&self) -> String {
        self.issuer.as_ref().pem()
    }

    /// Issues a certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn leaf(&self) -> Result<Leaf, BoxError> {
        let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
        })
    }
}

impl Leaf {
    /// Writes the certificate and key to the given paths, the key readable by its owner only
    /// (mode 0600, as a new file).
    pub fn write(&self, cert: &Path, key: &Path) -> std::io::Result<()> {
        std::fs::write(cert, &self.cert_pem)?;
        write_private(key, &self.key_pem)
    }
}

/// Writes `contents` to `path` as `std::fs::write` does, the file readable by its owner only
/// (mode 0600, also when it existed before with another mode).
pub fn write_private(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_ref())
}
