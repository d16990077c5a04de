//! Serving a registry over HTTPS with a bearer token, the start-up banner, and shutdown on
//! Ctrl-C, SIGTERM or `--duration`.

use crate::sim::cli::{ServeOptions, Tls};
use antrea_metrics::prometheus::Registry;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

/// Uses the token in `path`, or writes a new random one there (mode 0600) when the file does
/// not exist. The token itself is never printed nor logged.
pub fn ensure_token_file(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
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

/// The lines printed at start: where to scrape, with what, and a command that does it.
pub fn banner(what: &str, addr: SocketAddr, options: &ServeOptions) -> String {
    // A wildcard address is reachable on loopback; curl needs a concrete one.
    let host = match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => "127.0.0.1".to_owned(),
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => "[::1]".to_owned(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    let url = format!("https://{host}:{}/metrics", addr.port());
    let token = shell_quote(&options.token_file);
    let (ca_line, ca) = match &options.tls {
        Tls::SelfSigned { write_ca } => (
            format!("CA file:    {}", write_ca.display()),
            shell_quote(write_ca),
        ),
        Tls::Files { cert, .. } => (
            format!("TLS cert:   {} (use its issuer's CA)", cert.display()),
            shell_quote(cert),
        ),
    };
    format!(
        "{what} metrics: {url}\n\
         token file: {}\n\
         {ca_line}\n\
         try:        curl --cacert {ca} -H \"Authorization: Bearer $(cat {token})\" {url}",
        options.token_file.display()
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
    listener: tokio::net::TcpListener,
}

impl Server {
    /// Binds `options.listen` and loads the certificate and token; serves `registry` once run.
    pub async fn bind(options: &ServeOptions, registry: Registry) -> Result<Self, String> {
        let _ = registry;
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        Ok(Server { listener })
    }

    /// The address actually bound (`--listen` with port 0 picks one).
    pub fn local_addr(&self) -> Result<SocketAddr, String> {
        self.listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))
    }

    /// Serves until `stop` says so, then finishes the requests in flight.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> Result<(), String> {
        let _ = stop.wait_for(|s| *s).await;
        Ok(())
    }
}

/// Resolves at Ctrl-C, SIGTERM or after `duration`, whichever comes first, saying which.
pub async fn stop_requested(duration: Option<Duration>) -> &'static str {
    let timer = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let terminate = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    term.recv().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch SIGTERM; stop with Ctrl-C");
                    std::future::pending::<()>().await;
                }
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = terminate => "SIGTERM",
        _ = timer => "--duration elapsed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_is_created_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("sim-token-{}", std::process::id()));
        let path = dir.join("sub/agent.token");
        ensure_token_file(&path).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.trim().len(), 64);
        ensure_token_file(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn banner_has_a_ready_curl_command() {
        let options = ServeOptions {
            listen: "0.0.0.0:10350".parse().unwrap(),
            token_file: "target/sim/agent.token".into(),
            tls: Tls::SelfSigned {
                write_ca: "my dir/ca.pem".into(),
            },
        };
        let text = banner("agent", options.listen, &options);
        assert!(text.contains("https://127.0.0.1:10350/metrics"), "{text}");
        assert!(
            text.contains(r#"curl --cacert 'my dir/ca.pem' -H "Authorization: Bearer $(cat target/sim/agent.token)" https://127.0.0.1:10350/metrics"#),
            "{text}"
        );
    }
}
