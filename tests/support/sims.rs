//! Running the simulator examples (`sim-agent`, `sim-controller`, `sim-fleet`) as child
//! processes.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long building the simulators may take (a cold build on two cores takes minutes).
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(1200);

/// How long a simulator may take to print its address.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds the simulator examples once per test process, with the profile the tests were built
/// with, and returns the directory holding them.
///
/// `CARGO_BIN_EXE_*` exists only for `[[bin]]` targets, not examples; so this runs the same
/// cargo that runs the tests (`cargo test` has built the examples already, so this usually
/// only checks that they are fresh). Cargo releases its build lock before running test binaries.
pub fn examples_dir() -> Result<&'static Path, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(build_examples)
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

fn build_examples() -> Result<PathBuf, String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut cmd = crate::group::cargo();
    cmd.args(["build", "--quiet", "--manifest-path", manifest]);
    cmd.args(["--example", "sim-agent", "--example", "sim-controller"]);
    cmd.args(["--example", "sim-fleet"]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run cargo to build the simulators: {e}"))?;
    let deadline = Instant::now() + BUILD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            crate::stop::terminate(&mut child);
            return Err(format!(
                "building the simulators took over {BUILD_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if !status.success() {
        return Err(format!("building the simulators failed: {status}"));
    }
    // The test binary is <target>/<profile>/deps/<name>; examples are in <target>/<profile>/examples.
    let exe = std::env::current_exe().map_err(|e| format!("no current exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("unexpected test binary path {}", exe.display()))?;
    Ok(profile_dir.join("examples"))
}

/// A running simulator, stopped with SIGTERM when dropped (SIGKILL only if it has not exited
/// within [`crate::stop::GRACE`]), so that it removes its temporary files.
pub struct Sim {
    child: Child,
    /// The address it serves on.
    pub addr: SocketAddr,
    /// Everything it printed on stdout up to its address (the banner).
    pub banner: String,
}

impl Sim {
    /// Starts `name` on a free loopback port with its token file and CA file at `token` and
    /// `ca`, and `extra` flags.
    pub fn start_on_loopback(
        name: &str,
        token: &str,
        ca: &str,
        extra: &[&str],
    ) -> Result<Sim, String> {
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            token,
            "--write-ca",
            ca,
        ];
        args.extend_from_slice(extra);
        Self::start(name, &args)
    }

    /// Starts example `name` (`sim-agent`, `sim-controller` or `sim-fleet`) with `args`, and waits (bounded)
    /// for its whole banner: the URL, the files, and the `try: curl ...` line. Pass `--listen 127.0.0.1:0` to get a free port.
    pub fn start(name: &str, args: &[&str]) -> Result<Sim, String> {
        let exe = examples_dir()?.join(name);
        let mut cmd = Command::new(&exe);
        // Their info logs would bury the test output; RUST_LOG still wins when set.
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        // The reader thread ends when the child closes stdout (it exits or is killed).
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut sim = Sim {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            banner: String::new(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).map_err(|_| {
                format!(
                    "{name} printed no URL within {START_TIMEOUT:?}: {}",
                    sim.banner
                )
            })?;
            sim.banner.push_str(&line);
            sim.banner.push('\n');
            if sim.addr.port() == 0 {
                if let Some(addr) = url_addr(&line) {
                    sim.addr = addr;
                }
            }
            // The banner's last line is the ready curl command.
            if line.trim_start().starts_with("try:") && sim.addr.port() != 0 {
                // Keep reading so the child never blocks on a full pipe.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return Ok(sim);
            }
        }
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (bounded) for the process to exit, and returns its exit code.
    pub fn wait(&mut self, timeout: Duration) -> Result<Option<i32>, String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status.code());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("still running after {timeout:?}"))
    }

    /// The process id, e.g. to send it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        crate::stop::terminate(&mut self.child);
    }
}

/// The address in a banner line `... https://HOST:PORT/metrics`.
fn url_addr(line: &str) -> Option<SocketAddr> {
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("https://"))?;
    let hostport = url.strip_prefix("https://")?.strip_suffix("/metrics")?;
    hostport.parse().ok()
}

/// A fresh directory under the system temp dir that only its owner may enter (mode 0700),
/// removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<tmp>/<prefix>-<pid>-<n>` (an error if it exists).
    pub fn new(prefix: &str) -> Result<TempDir, String> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
        // Only its owner may enter it: simulators write their token and CA in it.
        std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
            .create(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `path()/rel` as a string, for command lines.
    pub fn file(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The files a `sim-fleet` writes for its scrapers (paths as strings, for command lines).
pub struct FleetFiles {
    /// The bearer token every Node accepts.
    pub token: String,
    /// The CA that signed every Node's certificate.
    pub ca: String,
    /// Prometheus file_sd targets of the agents, one group per Node with its `node` label.
    pub file_sd: String,
    /// Prometheus file_sd targets of the controller.
    pub controller_sd: String,
}

/// Starts `sim-fleet` with `nodes` agents and its controller on loopback ports, writing its
/// token, CA and file_sd lists under `dir/run/`; the fleet stops by itself after 10 minutes
/// even if the test is killed.
pub fn start_fleet(dir: &TempDir, nodes: usize, seed: u64) -> Result<(Sim, FleetFiles), String> {
    let files = FleetFiles {
        token: dir.file("run/fleet.token"),
        ca: dir.file("run/fleet-ca.pem"),
        file_sd: dir.file("run/fleet.json"),
        controller_sd: dir.file("run/fleet-controller.json"),
    };
    let (nodes, seed) = (nodes.to_string(), seed.to_string());
    let fleet = Sim::start(
        "sim-fleet",
        &[
            "--nodes",
            &nodes,
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &files.token,
            "--write-ca",
            &files.ca,
            "--file-sd",
            &files.file_sd,
            "--controller",
            "--file-sd-controller",
            &files.controller_sd,
            "--seed",
            &seed,
            "--duration",
            "600",
        ],
    )?;
    Ok((fleet, files))
}

/// The `node` labels a fleet's agents file_sd list names.
pub fn listed_nodes(file_sd: &str) -> Result<std::collections::BTreeSet<String>, String> {
    let text = std::fs::read_to_string(file_sd).map_err(|e| format!("{file_sd}: {e}"))?;
    let groups: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{file_sd}: {e}"))?;
    let groups = groups.as_array().ok_or("file_sd is not a list")?;
    Ok(groups
        .iter()
        .filter_map(|g| g["labels"]["node"].as_str().map(str::to_owned))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_urls_parse() {
        let line = "Antrea agent metrics: https://127.0.0.1:10350/metrics";
        assert_eq!(url_addr(line), Some("127.0.0.1:10350".parse().unwrap()));
        assert_eq!(
            url_addr("try: curl x https://[::1]:9/metrics"),
            Some("[::1]:9".parse().unwrap())
        );
        assert_eq!(url_addr("token file: x"), None);
    }
}
