//! A real Prometheus (Debian's `prometheus` binary) on loopback, and a tiny client for its
//! HTTP API, for end-to-end tests.

use crate::BoxError;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Every request to Prometheus gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The `prometheus` binary on `PATH`.
///
/// # Errors
/// When there is none, with the command that installs it.
pub fn binary() -> Result<PathBuf, BoxError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("prometheus"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "the `prometheus` binary is not on PATH: install it with \
             `sudo scripts/install-test-deps.sh` (Debian package `prometheus`)"
                .into()
        })
}

/// A Prometheus server started for a test, stopped with SIGTERM when dropped (it closes its
/// storage; SIGKILL only after [`crate::stop::GRACE`]).
pub struct Prometheus {
    child: Child,
    /// Where its HTTP API listens.
    pub addr: SocketAddr,
    launch: Launch,
}

/// How a Prometheus was started, to start it again the same way.
#[derive(Clone)]
struct Launch {
    binary: PathBuf,
    args: Vec<String>,
}

impl Launch {
    fn spawn(&self, addr: SocketAddr) -> Result<Child, BoxError> {
        Ok(Command::new(&self.binary)
            .args(&self.args)
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?)
    }
}

impl Prometheus {
    /// Starts Prometheus with `config` (storage in `dir/tsdb`) on a free loopback port, and
    /// waits (bounded by `timeout`) until `/-/ready` answers 200.
    pub fn start(config: &Path, dir: &Path, timeout: Duration) -> Result<Prometheus, BoxError> {
        Self::start_with(config, dir, timeout, &[])
    }

    /// Like [`Prometheus::start`], with extra command-line flags (e.g. feature flags).
    pub fn start_with(
        config: &Path,
        dir: &Path,
        timeout: Duration,
        flags: &[&str],
    ) -> Result<Prometheus, BoxError> {
        let storage = format!("--storage.tsdb.path={}", dir.join("tsdb").display());
        Self::launch(config, storage, timeout, flags)
    }

    /// Starts Prometheus in agent mode (`--enable-feature=agent`: scrape and remote-write
    /// only, its write-ahead log in `dir/agent`) with `config`, like [`Prometheus::start`].
    pub fn start_agent(
        config: &Path,
        dir: &Path,
        timeout: Duration,
    ) -> Result<Prometheus, BoxError> {
        let storage = format!("--storage.agent.path={}", dir.join("agent").display());
        Self::launch(config, storage, timeout, &["--enable-feature=agent"])
    }

    fn launch(
        config: &Path,
        storage: String,
        timeout: Duration,
        flags: &[&str],
    ) -> Result<Prometheus, BoxError> {
        let mut args = vec![format!("--config.file={}", config.display()), storage];
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let launch = Launch {
            binary: binary()?,
            args,
        };
        // A port picked here could be taken before Prometheus binds it; retry a few times.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let child = launch.spawn(addr)?;
            let mut prom = Prometheus {
                child,
                addr,
                launch: launch.clone(),
            };
            match prom.wait_ready(timeout) {
                Ok(()) => return Ok(prom),
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(format!("Prometheus did not become ready: {last_error}").into())
    }

    /// Kills the process with SIGKILL (no clean shutdown: no stale markers, no final flush) and
    /// reaps it.
    pub fn kill(&mut self) -> Result<(), BoxError> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Starts the process again, after [`Prometheus::kill`], with the same flags, storage and
    /// address, and waits until it is ready.
    pub fn restart(&mut self, timeout: Duration) -> Result<(), BoxError> {
        if self.child.try_wait()?.is_none() {
            return Err("restart: Prometheus is still running".into());
        }
        self.child = self.launch.spawn(self.addr)?;
        self.wait_ready(timeout)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), BoxError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("prometheus exited: {status}").into());
            }
            if let Ok((200, _)) = get(self.addr, "/-/ready") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not ready after {timeout:?}").into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `GET path` on the API, parsed as JSON; `data` of a successful answer.
    pub fn api(&self, path: &str) -> Result<serde_json::Value, BoxError> {
        api_at(self.addr, path)
    }

    /// The result vector of instant query `promql`.
    pub fn query(&self, promql: &str) -> Result<Vec<serde_json::Value>, BoxError> {
        let data = self.api(&format!("/api/v1/query?query={}", url_encode(promql)))?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        crate::stop::terminate(&mut self.child);
    }
}

/// Polls `check` every 250 ms until it returns `Ok(true)`, for at most `deadline`; on timeout,
/// an error naming `what` with the last error `check` returned.
pub fn wait_until(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Result<bool, BoxError>,
) -> Result<(), BoxError> {
    let end = Instant::now() + deadline;
    let mut last = String::new();
    loop {
        match check() {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => last = e.to_string(),
        }
        if Instant::now() > end {
            return Err(format!("timed out after {deadline:?} waiting for {what} {last}").into());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `GET path` on the API of the Prometheus at `addr` (one started by other means, such as a
/// README recipe), parsed as JSON; `data` of a successful answer.
pub fn api_at(addr: SocketAddr, path: &str) -> Result<serde_json::Value, BoxError> {
    let (status, body) = get(addr, path)?;
    let v: serde_json::Value = serde_json::from_str(&body)?;
    if status != 200 || v["status"] != "success" {
        return Err(format!("GET {path}: {status} {body}").into());
    }
    Ok(v["data"].clone())
}

/// A plain HTTP/1.0 GET (Prometheus then answers without chunking and closes): status, body.
fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), BoxError> {
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw)?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no end of headers")?;
    let status = head.split_whitespace().nth(1).ok_or("no status")?.parse()?;
    Ok((status, body.to_owned()))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every PromQL expression of the Grafana dashboard (`deploy/grafana/antrea-dashboard.json`),
/// panels nested in rows included.
pub fn dashboard_exprs() -> Result<Vec<String>, BoxError> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana/antrea-dashboard.json"
    );
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut exprs = Vec::new();
    let mut stack = vec![&dashboard];
    // Bounded by the size of the document.
    while let Some(v) = stack.pop() {
        for p in v["panels"].as_array().into_iter().flatten() {
            for t in p["targets"].as_array().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    exprs.push(e.to_owned());
                }
            }
            stack.push(p);
        }
    }
    Ok(exprs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_promql() {
        assert_eq!(
            url_encode("rate(x{a=\"b\"}[1m]) / 2"),
            "rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%20%2F%202"
        );
    }
}
