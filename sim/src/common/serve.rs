//! Serving a registry over HTTPS with a bearer token, the start-up banner, and shutdown on
//! Ctrl-C, SIGTERM or `--duration`.

use crate::common::cli::{Auth, ServeOptions, Tls};
use crate::common::run::Served;
use antrea_metrics::server::kube::{ApiServerConfig, KubeAuth};
use antrea_metrics::server::{MetricsServer, SharedTls, StaticTokens, TlsSource};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Uses the token in `path`, or writes a new random one there (mode 0600) when the file does
/// not exist. The token itself is never printed nor logged.
pub fn ensure_token_file(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    create_parent(path)?;
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("cannot draw a random token: {e}"))?;
    let token = bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let mut options = std::fs::OpenOptions::new();
    // create_new: never overwrite a token file another process just wrote.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create the token file {}: {e}", path.display()))?;
    file.write_all(format!("{token}\n").as_bytes())
        .map_err(|e| format!("cannot write the token file {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "wrote a new random token");
    Ok(())
}

/// Creates the missing folders above `path` for the owner only (mode 0700): the token file
/// and the CA usually share one, and a token must not sit in a folder others may list.
fn create_parent(path: &Path) -> Result<(), String> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// The lines printed at start: where to scrape, with what, and a command that does it.
/// `ca_written` says whether the self-signed certificate's CA file exists.
pub fn banner(what: &str, addr: SocketAddr, options: &ServeOptions, ca_written: bool) -> String {
    // A wildcard address is reachable on loopback; curl needs a concrete one.
    let host = match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => "127.0.0.1".to_owned(),
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => "[::1]".to_owned(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    let url = format!("https://{host}:{}/metrics", addr.port());
    let (ca_line, trust) = match &options.tls {
        Tls::SelfSigned { write_ca, .. } if ca_written => (
            format!("CA file:    {}", write_ca.display()),
            format!("--cacert {}", shell_quote(write_ca)),
        ),
        Tls::SelfSigned { .. } => (
            "CA file:    not written (see the log); pass --write-ca PATH".to_owned(),
            "--insecure".to_owned(),
        ),
        Tls::Files { cert, .. } => (
            format!("TLS cert:   {} (use its issuer's CA)", cert.display()),
            format!("--cacert {}", shell_quote(cert)),
        ),
    };
    let (auth_line, token) = match &options.auth {
        Auth::TokenFile(path) => (
            format!("token file: {}", path.display()),
            format!("$(cat {})", shell_quote(path)),
        ),
        Auth::KubeInCluster | Auth::Kubeconfig(_) => (
            "auth:       Kubernetes TokenReview + SubjectAccessReview (get /metrics)".to_owned(),
            "$(kubectl create token prometheus -n monitoring)".to_owned(),
        ),
    };
    format!(
        "{what} metrics: {url}\n\
         {auth_line}\n\
         {ca_line}\n\
         try:        curl {trust} -H \"Authorization: Bearer {token}\" {url}"
    )
}

/// A path as one shell word: unchanged when safe, else single-quoted.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@".contains(c));
    if safe {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The HTTPS server, bound and ready.
pub struct Server {
    server: MetricsServer,
    ca_written: bool,
}

/// What the servers of one process (a fleet's Nodes) share instead of each loading its own:
/// one TLS configuration (certificate, rustls config, session cache) and one token set.
#[derive(Clone, Default)]
pub struct SharedParts {
    /// Replaces each server's own TLS settings.
    pub tls: Option<SharedTls>,
    /// Replaces each server's own `--token-file` reader.
    pub tokens: Option<Arc<StaticTokens>>,
}

/// Where the certificate comes from, as `options` say.
pub fn tls_source(options: &ServeOptions) -> TlsSource {
    match &options.tls {
        // The certificate covers localhost, 127.0.0.1 and ::1; a specific address given to
        // --listen (a Pod IP) is added, so scrapers can verify it against the CA too.
        Tls::SelfSigned { .. } => {
            let ip = options.listen.ip();
            if ip.is_unspecified() || ip.is_loopback() {
                TlsSource::self_signed().into()
            } else {
                TlsSource::self_signed().with_ip(ip).into()
            }
        }
        Tls::Files { cert, key } => TlsSource::files(cert, key).into(),
    }
}

impl Server {
    /// Loads the certificate and token, binds `options.listen`, and writes the self-signed
    /// certificate's CA; serves `served` once run.
    pub async fn bind(options: &ServeOptions, served: Served) -> Result<Self, String> {
        Self::bind_sharing(options, served, &SharedParts::default()).await
    }

    /// Like [`Server::bind`], with the parts in `shared` instead of its own.
    pub async fn bind_sharing(
        options: &ServeOptions,
        served: Served,
        shared: &SharedParts,
    ) -> Result<Self, String> {
        let Served { families, registry } = served;
        let builder = MetricsServer::builder()
            .listen(options.listen)
            .exposition(families)
            .registry(registry.clone())
            // Antrea's API server takes hundreds of concurrent reads; the library's default of
            // 4 would answer `503` to a load test a real agent serves.
            .max_inflight_scrapes(64)
            .openmetrics(options.openmetrics);
        let builder = match &shared.tls {
            Some(tls) => builder.shared_tls(tls.clone()),
            None => builder.tls(tls_source(options)),
        };
        let builder = match (&options.auth, &shared.tokens) {
            (Auth::TokenFile(_), Some(tokens)) => builder.authenticator(Arc::clone(tokens) as _),
            // Re-read at most every 10 s, so a rotated token file takes effect without a restart.
            (Auth::TokenFile(path), None) => {
                builder.static_tokens(StaticTokens::from_file(path).map_err(|e| e.to_string())?)
            }
            (Auth::KubeInCluster | Auth::Kubeconfig(_), _) => {
                let api = match &options.auth {
                    Auth::Kubeconfig(path) => ApiServerConfig::from_kubeconfig(path),
                    _ => ApiServerConfig::in_cluster(),
                }
                .map_err(|e| e.to_string())?;
                let kube = KubeAuth::builder(api)
                    .metrics(&registry)
                    .build()
                    .map_err(|e| e.to_string())?;
                // As Antrea: a request without a token is reviewed as system:anonymous (403).
                builder
                    .authenticator(kube.authenticator())
                    .authorizer(kube.authorizer())
                    .anonymous(true)
            }
        };
        let server = builder.build().await.map_err(|e| e.to_string())?;
        let mut ca_written = false;
        if let (Tls::SelfSigned { write_ca, required }, Some(pem)) = (&options.tls, server.ca_pem())
        {
            match write_file(write_ca, pem) {
                Ok(()) => ca_written = true,
                Err(e) if *required => return Err(e),
                Err(e) => tracing::warn!("not writing the CA file: {e}"),
            }
        }
        Ok(Server { server, ca_written })
    }

    /// The address actually bound (`--listen` with port 0 picks one).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Whether the self-signed certificate's CA was written to its file.
    pub fn ca_written(&self) -> bool {
        self.ca_written
    }

    /// Serves until `stop` turns true, then lets the requests in flight finish.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> Result<(), String> {
        let stopped = async move {
            // An error means the sender is gone, which also means stop.
            let _ = stop.wait_for(|s| *s).await;
        };
        self.server.serve(stopped).await;
        Ok(())
    }
}

/// Writes `text` to `path`, creating its directory; Prometheus reads it as `ca_file`.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    create_parent(path)?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Ctrl-C and SIGTERM, watched from creation on: a signal that arrives once the banner is
/// out (a script may send one right after reading it) stops the process cleanly instead of
/// killing it.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts watching the signals.
    pub fn install() -> Result<Self, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let watch = |kind: SignalKind, name: &str| {
                signal(kind).map_err(|e| format!("cannot watch {name}: {e}"))
            };
            Ok(StopSignals {
                interrupt: watch(SignalKind::interrupt(), "SIGINT")?,
                terminate: watch(SignalKind::terminate(), "SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// Resolves at Ctrl-C, SIGTERM or after `duration`, whichever comes first, saying which.
    pub async fn requested(mut self, duration: Option<Duration>) -> &'static str {
        let timer = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        let (interrupt, terminate) = (self.interrupt.recv(), self.terminate.recv());
        #[cfg(not(unix))]
        let (interrupt, terminate) = (tokio::signal::ctrl_c(), std::future::pending::<()>());
        tokio::select! {
            _ = interrupt => "Ctrl-C",
            _ = terminate => "SIGTERM",
            _ = timer => "--duration elapsed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_is_created_once_with_mode_0600_in_a_0700_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/agent.token");
        ensure_token_file(&path).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.trim().len(), 64);
        ensure_token_file(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("sub")), 0o700);
        }
    }

    #[test]
    fn banner_has_a_ready_curl_command() {
        let options = ServeOptions {
            listen: "0.0.0.0:10350".parse().unwrap(),
            auth: Auth::TokenFile("target/sim/agent.token".into()),
            tls: Tls::SelfSigned {
                write_ca: "my dir/ca.pem".into(),
                required: true,
            },
            openmetrics: false,
        };
        let text = banner("agent", options.listen, &options, true);
        assert!(text.contains("https://127.0.0.1:10350/metrics"), "{text}");
        assert!(
            text.contains(r#"curl --cacert 'my dir/ca.pem' -H "Authorization: Bearer $(cat target/sim/agent.token)" https://127.0.0.1:10350/metrics"#),
            "{text}"
        );
    }
}
