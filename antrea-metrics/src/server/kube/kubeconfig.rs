//! Reading a kubeconfig file: the cluster, user and context parts this client can use.
//!
//! Supported: `server`, `certificate-authority(-data)`, `tls-server-name`, `token`, `tokenFile`,
//! `client-certificate(-data)` and `client-key(-data)`. `exec` and `auth-provider` plugins and
//! `insecure-skip-tls-verify` are refused: the agent must verify the API server it trusts.

use super::config::{read_file, AgentToken, ApiServerConfig, ClientIdentity, Secret};
use super::error::ConfigError;
use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::path::{Path, PathBuf};

// No `Debug` on these types: `User` holds tokens and keys.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Kubeconfig {
    #[serde(default)]
    current_context: String,
    #[serde(default)]
    clusters: Vec<Named<Cluster>>,
    #[serde(default)]
    contexts: Vec<Named<Context>>,
    #[serde(default)]
    users: Vec<Named<User>>,
}

#[derive(Deserialize)]
struct Named<T> {
    name: String,
    #[serde(alias = "cluster", alias = "context", alias = "user")]
    item: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    server: String,
    certificate_authority: Option<PathBuf>,
    certificate_authority_data: Option<String>,
    tls_server_name: Option<String>,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
}

#[derive(Deserialize)]
struct Context {
    cluster: String,
    #[serde(default)]
    user: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct User {
    // Any YAML value: a type error about a string would quote the token (`token: 123456`).
    token: Option<serde_norway::Value>,
    #[serde(rename = "tokenFile")]
    token_file: Option<PathBuf>,
    client_certificate: Option<PathBuf>,
    client_certificate_data: Option<String>,
    client_key: Option<PathBuf>,
    client_key_data: Option<String>,
    exec: Option<serde::de::IgnoredAny>,
    auth_provider: Option<serde::de::IgnoredAny>,
}

// The kubeconfig constructors live here, with the parser, so that `config` does not depend on
// this module (it only depends on `config`).
impl ApiServerConfig {
    /// The current context of the kubeconfig file at `path`, for running outside the cluster.
    ///
    /// # Errors
    /// [`ConfigError::ReadFile`], [`ConfigError::Kubeconfig`] or another [`ConfigError`] for an
    /// unusable file.
    pub fn from_kubeconfig(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        load(path.as_ref(), None)
    }

    /// The context `context` of the kubeconfig file at `path`.
    ///
    /// # Errors
    /// As [`from_kubeconfig`](Self::from_kubeconfig); [`ConfigError::NotInKubeconfig`] when the context does not exist.
    pub fn from_kubeconfig_context(
        path: impl AsRef<Path>,
        context: &str,
    ) -> Result<Self, ConfigError> {
        load(path.as_ref(), Some(context))
    }
}

/// Loads `context` (or the current context) of the kubeconfig at `path`.
pub(crate) fn load(path: &Path, context: Option<&str>) -> Result<ApiServerConfig, ConfigError> {
    let text = read_file("kubeconfig", path)?;
    let config: Kubeconfig =
        serde_norway::from_slice(&text).map_err(|source| ConfigError::Kubeconfig {
            path: path.to_owned(),
            source,
        })?;
    // Relative file names in a kubeconfig are relative to the file itself.
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = context.unwrap_or(&config.current_context);
    if name.is_empty() {
        return Err(ConfigError::NoCurrentContext);
    }
    let ctx = take(config.contexts, name, "context")?;
    let cluster = take(config.clusters, &ctx.cluster, "cluster")?;
    if cluster.insecure_skip_tls_verify {
        return Err(ConfigError::InsecureSkipTlsVerify);
    }
    let ca = match (
        &cluster.certificate_authority_data,
        &cluster.certificate_authority,
    ) {
        (Some(data), _) => decode(data, "certificate-authority-data")?,
        (None, Some(file)) => read_file("kubeconfig certificate-authority", &dir.join(file))?,
        (None, None) => return Err(ConfigError::NoCertificateAuthority),
    };
    let mut api = ApiServerConfig::new(&cluster.server, &ca)?;
    if let Some(name) = &cluster.tls_server_name {
        api.server.host.clone_from(name);
    }
    let user = if ctx.user.is_empty() {
        User::default()
    } else {
        take(config.users, &ctx.user, "user")?
    };
    if user.exec.is_some() || user.auth_provider.is_some() {
        return Err(ConfigError::CredentialPlugin);
    }
    api.identity = identity(&user_files(&user, dir)?)?;
    api.token = match (user.token, user.token_file) {
        (Some(serde_norway::Value::String(token)), _) => AgentToken::Fixed(Secret::new(token)),
        (Some(_), _) => return Err(ConfigError::TokenNotText),
        (None, Some(file)) => AgentToken::File(dir.join(file)),
        (None, None) => AgentToken::None,
    };
    Ok(api)
}

fn take<T>(items: Vec<Named<T>>, name: &str, kind: &'static str) -> Result<T, ConfigError> {
    items
        .into_iter()
        .find(|n| n.name == name)
        .map(|n| n.item)
        .ok_or_else(|| ConfigError::NotInKubeconfig {
            kind,
            name: name.to_owned(),
        })
}

/// The client certificate and key, as PEM, from the `-data` fields or the files.
struct CertFiles {
    cert: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
}

fn user_files(user: &User, dir: &Path) -> Result<CertFiles, ConfigError> {
    let pick = |data: &Option<String>,
                file: &Option<PathBuf>,
                field|
     -> Result<Option<Vec<u8>>, ConfigError> {
        match (data, file) {
            (Some(data), _) => decode(data, field).map(Some),
            (None, Some(file)) => {
                read_file("kubeconfig client certificate or key", &dir.join(file)).map(Some)
            }
            (None, None) => Ok(None),
        }
    };
    Ok(CertFiles {
        cert: pick(
            &user.client_certificate_data,
            &user.client_certificate,
            "client-certificate-data",
        )?,
        key: pick(&user.client_key_data, &user.client_key, "client-key-data")?,
    })
}

fn identity(files: &CertFiles) -> Result<Option<ClientIdentity>, ConfigError> {
    let (cert, key) = match (&files.cert, &files.key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err(ConfigError::HalfClientIdentity),
    };
    let certs = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ConfigError::ClientCertificate)?;
    if certs.is_empty() {
        return Err(ConfigError::NoClientCertificate);
    }
    // The key's parse error is not shown: it could quote key material.
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| ConfigError::ClientKey)?;
    Ok(Some(ClientIdentity { certs, key }))
}

fn decode(data: &str, field: &'static str) -> Result<Vec<u8>, ConfigError> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|source| ConfigError::Base64 { field, source })
}
