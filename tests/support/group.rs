//! Commands run in a process group of their own with a time bound, their output in a log file:
//! for nested `cargo` builds and shell recipes that start background processes.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A `cargo` command (the one running the tests) without the variables cargo sets for this
/// package's test binaries: build scripts (ring's) track some of them, so passing them on
/// would make a nested build recompile half the dependency tree.
pub fn cargo() -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    without_test_env(&mut cmd);
    cmd
}

/// Removes the per-package and per-run variables that cargo gives test binaries.
pub fn without_test_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let per_package = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| key.starts_with(p));
        let per_run = ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*key);
        if per_package || per_run {
            cmd.env_remove(&*key);
        }
    }
}

/// A command running in its own process group; the whole group is killed when dropped, so
/// background jobs it started end with it.
pub struct Group {
    child: Child,
    log: PathBuf,
}

impl Group {
    /// Starts `cmd` with stdin closed and stdout and stderr appended to `log`.
    pub fn spawn(cmd: &mut Command, log: &Path) -> Result<Group, String> {
        use std::os::unix::process::CommandExt;
        let out = File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("sharing {}: {e}", log.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {cmd:?}: {e}"))?;
        Ok(Group {
            child,
            log: log.to_owned(),
        })
    }

    /// Everything the group has written so far.
    pub fn output(&self) -> String {
        std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The leader's exit status if it has exited.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>, String> {
        self.child.try_wait().map_err(|e| e.to_string())
    }

    /// Waits (bounded) for the leader to exit; on timeout the group is killed and the error
    /// holds its output.
    pub fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "still running after {timeout:?}; its output:\n{}",
                    self.output()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls `ready` every 250 ms until it returns `Some`, the leader exits, or `timeout`.
    pub fn wait_for<T>(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut(&str) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = ready(&self.output()) {
                return Ok(v);
            }
            if let Some(status) = self.exited()? {
                return Err(format!("exited ({status}); its output:\n{}", self.output()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "not ready after {timeout:?}; its output:\n{}",
                    self.output()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Sends SIGINT to the whole group, as Ctrl-C in a terminal does to the foreground job.
    pub fn interrupt(&self) {
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::INT);
    }

    /// Stops the whole group: SIGTERM, then SIGKILL to whatever is left after
    /// [`crate::stop::GRACE`].
    pub fn kill(&mut self) {
        crate::stop::terminate_group(&mut self.child);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
