//! Helpers for the reliability tests: waiting for the server to drop a connection, process
//! figures (fds, RSS, CPU), an exposition that blocks until released, and the check every
//! hostile test ends with (a normal authenticated scrape still works).

use crate::client;
use crate::serve::{Running, DEMO_LINE, TOKEN};
use crate::BoxError;
use antrea_metrics::format::Format;
use antrea_metrics::Exposition;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

/// Reads (and discards) until the peer closes `stream` or resets it; returns how long that
/// took, or fails after `limit`.
pub async fn wait_closed<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut chunk)).await {
            Err(_) => return Err(format!("connection still open after {limit:?}").into()),
            Ok(Ok(0) | Err(_)) => return Ok(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Reads what the peer sends until it closes the connection (bounded by `limit`).
pub async fn read_all_until_closed<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Result<Vec<u8>, BoxError> {
    let started = Instant::now();
    let mut all = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut chunk)).await {
            Err(_) => return Err(format!("connection still open after {limit:?}").into()),
            Ok(Ok(0) | Err(_)) => return Ok(all),
            Ok(Ok(n)) => all.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Fails unless a fresh connection with the test token gets `200` and the demo metric.
pub async fn assert_serves(server: &Running) -> Result<(), BoxError> {
    let config = client::config(server.ca()?)?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    if resp.status != 200 || !resp.text().contains(DEMO_LINE) {
        return Err(format!("scrape after the attack: {} {}", resp.status, resp.text()).into());
    }
    Ok(())
}

/// Open file descriptors of this process.
pub fn open_fds() -> Result<usize, BoxError> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

/// Resident set size of this process in KiB (`VmRSS`).
pub fn rss_kib() -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS line")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("empty VmRSS line")?
        .parse()?)
}

/// User + system CPU time of this process, from `/proc/self/stat` (clock ticks of 10 ms, the
/// `USER_HZ` every Linux architecture we run on uses).
pub fn cpu_time() -> Result<Duration, BoxError> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')').ok_or("bad /proc/self/stat")? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11).ok_or("no utime")?.parse::<u64>()?
        + fields.get(12).ok_or("no stime")?.parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 10))
}

/// An exposition whose scrapes block until [`Gated::release`], announcing each entry, so a
/// test can hold scrapes in flight deterministically instead of guessing with sleeps.
pub struct Gated {
    open: Mutex<bool>,
    opened: Condvar,
    entered: mpsc::UnboundedSender<()>,
}

/// How long a gated scrape waits at most, so a failing test never leaves a thread behind.
const GATE_LIMIT: Duration = Duration::from_secs(10);

impl Gated {
    /// A closed gate, and the receiver that gets one message per scrape that reached it.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<()>) {
        let (entered, rx) = mpsc::unbounded_channel();
        let gate = Self {
            open: Mutex::new(false),
            opened: Condvar::new(),
            entered,
        };
        (gate, rx)
    }

    /// Lets every held and future scrape through.
    pub fn release(&self) {
        if let Ok(mut open) = self.open.lock() {
            *open = true;
        }
        self.opened.notify_all();
    }
}

impl Exposition for Gated {
    // Text only (`supports` keeps its default), so the server asks for nothing else.
    fn encode(&self, _: Format, out: &mut Vec<u8>) -> Result<(), antrea_metrics::MetricsError> {
        let _ = self.entered.send(());
        if let Ok(open) = self.open.lock() {
            let _ = self
                .opened
                .wait_timeout_while(open, GATE_LIMIT, |open| !*open);
        }
        out.extend_from_slice(b"# TYPE gated_scrapes_total counter\ngated_scrapes_total 1\n");
        Ok(())
    }
}
