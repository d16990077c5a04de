//! Stopping what a test started as a user would: SIGTERM first, so that the process removes its
//! temporary files and Prometheus closes its storage; SIGKILL only if it is still running after
//! [`GRACE`].

use rustix::process::{kill_process, kill_process_group, Pid, Signal};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How long a process may take to stop after SIGTERM.
pub const GRACE: Duration = Duration::from_secs(10);

/// Sends `signal` to `child` (a no-op once it has been reaped).
pub fn signal(child: &Child, signal: Signal) -> std::io::Result<()> {
    Ok(kill_process(Pid::from_child(child), signal)?)
}

/// Stops `child`: SIGTERM, up to [`GRACE`] to exit, then SIGKILL. Returns its exit status
/// when it stopped by itself within the grace period.
pub fn terminate(child: &mut Child) -> Option<ExitStatus> {
    let pid = Pid::from_child(child);
    stop(child, |sig| Ok(kill_process(pid, sig)?))
}

/// Like [`terminate`], for `child` and every process of its process group (a child spawned as
/// the leader of a group of its own, whose background jobs may outlive it).
pub fn terminate_group(child: &mut Child) -> Option<ExitStatus> {
    let group = Pid::from_child(child);
    let status = stop(child, |sig| Ok(kill_process_group(group, sig)?));
    // Members may outlive the leader; the group id stays theirs until the last one exits.
    let _ = kill_process_group(group, Signal::KILL);
    status
}

fn stop(child: &mut Child, send: impl Fn(Signal) -> std::io::Result<()>) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    let _ = send(Signal::TERM);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = send(Signal::KILL);
    let _ = child.wait();
    None
}
