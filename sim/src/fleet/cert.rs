//! One certificate for the whole fleet: every Node presents it, and one CA file verifies all.

use crate::certs::{BoxError, TestCa};
use crate::common::cli::{Auth, ServeOptions, Tls};
use crate::common::serve::{tls_source, write_file, SharedParts};
use antrea_metrics::server::{MetricsServer, StaticTokens};
use std::sync::Arc;

/// The certificate every Node serves. A generated one lives in a private temporary
/// directory (the server re-reads certificate files when they change) removed at exit.
pub struct FleetCert {
    /// What each Node's server loads.
    pub tls: Tls,
    /// Whether the CA was written to `--write-ca`.
    pub ca_written: bool,
    _dir: Option<tempfile::TempDir>,
}

/// The certificate files given with --tls-cert/--tls-key, or a new CA and a certificate for
/// `localhost`, `127.0.0.1` and `::1`, its CA written where `tls` says.
pub fn fleet_cert(tls: &Tls) -> Result<FleetCert, String> {
    let (write_ca, required) = match tls {
        Tls::Files { .. } => {
            return Ok(FleetCert {
                tls: tls.clone(),
                ca_written: false,
                _dir: None,
            })
        }
        Tls::SelfSigned { write_ca, required } => (write_ca, *required),
    };
    let made = |e: BoxError| format!("cannot make the fleet's certificate: {e}");
    let ca = TestCa::new().map_err(made)?;
    let leaf = ca.leaf().map_err(made)?;
    let dir = tempfile::Builder::new()
        .prefix("sim-fleet-tls-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .map_err(|e| format!("cannot create a directory for the certificate: {e}"))?;
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    leaf.write(&cert, &key).map_err(|e| {
        format!(
            "cannot write the certificate to {}: {e}",
            dir.path().display()
        )
    })?;
    let ca_written = match write_file(write_ca, &ca.pem()) {
        Ok(()) => true,
        Err(e) if required => return Err(e),
        Err(e) => {
            tracing::warn!("not writing the CA file: {e}");
            false
        }
    };
    Ok(FleetCert {
        tls: Tls::Files { cert, key },
        ca_written,
        _dir: Some(dir),
    })
}

/// The TLS configuration and token set that `options` describe, prepared once for every Node.
pub fn shared_parts(options: &ServeOptions) -> Result<SharedParts, String> {
    let tls = MetricsServer::builder()
        .tls(tls_source(options))
        .prepare_tls()
        .map_err(|e| e.to_string())?;
    let tokens = match &options.auth {
        Auth::TokenFile(path) => Some(Arc::new(
            StaticTokens::from_file(path).map_err(|e| e.to_string())?,
        )),
        Auth::KubeInCluster | Auth::Kubeconfig(_) => None,
    };
    Ok(SharedParts {
        tls: Some(tls),
        tokens,
    })
}
