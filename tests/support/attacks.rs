//! The three ways issue #18 found for a client without a token to keep every scraper out, as
//! an attacker runs them, and the fresh-connection scraper that measures whether they work:
//!
//! - [`zero_window_pins`]: HTTP/2 connections that announce a flow-control window of zero,
//!   ask for `/metrics` (no token) or `/healthz`, and so never let the body out; a PING every
//!   second keeps each one from being idle, and a pin the server closes is opened again at once;
//! - [`evict_and_reconnect`]: kept-alive HTTP/1.1 connections after one `GET /healthz`, opened
//!   again (and the request sent again) the instant the server closes one;
//! - [`silent_flood`]: TCP connections that never start TLS, opened as fast as a pace allows
//!   and closed with RST when the attacker moves on.
//!
//! Each runs in tasks until [`Attack::stop`]; every loop is bounded in count and time.

use crate::client::{self, CLIENT_TIMEOUT};
use crate::keepalive::KeepAlive;
use crate::BoxError;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::rustls::ClientConfig;

/// Where the attacks and scrapes go.
#[derive(Clone)]
pub struct Target {
    /// The server's address.
    pub addr: SocketAddr,
    /// A client configuration trusting the server's CA.
    pub config: Arc<ClientConfig>,
    /// The scraper's token.
    pub token: String,
    /// A line every successful scrape's body contains.
    pub expect: String,
}

/// Loopback address `127.0.0.<last>`.
pub fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// No attack task runs longer than this, even if never stopped.
const ATTACK_LIMIT: Duration = Duration::from_secs(120);
/// How often a pin sends a PING, so that it never looks idle.
const PING_EVERY: Duration = Duration::from_secs(1);
/// The pause after a failed connection attempt, so that a refused attacker does not spin.
const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// What the attack tasks count.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections the attacker holds now (answered pins, served kept-alive connections).
    pub held: AtomicUsize,
    /// Connections that reached their goal (a pin's response headers, a `/healthz` answer).
    pub established: AtomicUsize,
    /// Of those, closed by the server while the attack held them.
    pub closed_by_server: AtomicUsize,
    /// Connection attempts that failed (refused, closed in the handshake, no answer).
    pub failed: AtomicUsize,
    /// Flood connections opened.
    pub flooded: AtomicUsize,
}

/// Running attack tasks.
pub struct Attack {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    started: Instant,
    /// Shared with the tasks.
    pub counters: Arc<Counters>,
}

impl Attack {
    fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: JoinSet::new(),
            started: Instant::now(),
            counters: Arc::default(),
        }
    }

    fn spawn<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(watch::Receiver<bool>, Arc<Counters>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let stopped = self.stop.subscribe();
        let counters = Arc::clone(&self.counters);
        let run = task(stopped, counters);
        self.tasks.spawn(async move {
            let _ = tokio::time::timeout(ATTACK_LIMIT, run).await;
        });
    }

    /// Waits (bounded) until the attacker holds `count` connections.
    pub async fn wait_held(&self, count: usize, limit: Duration) -> Result<Duration, BoxError> {
        let deadline = Instant::now() + limit;
        while self.counters.held.load(Ordering::Acquire) < count {
            if Instant::now() > deadline {
                return Err(format!(
                    "the attack holds only {} of {count} connections after {limit:?}",
                    self.counters.held.load(Ordering::Acquire)
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(self.started.elapsed())
    }

    /// Stops every task and waits (bounded) for them; the connections close.
    pub async fn stop(mut self) -> Arc<Counters> {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
        self.counters
    }

    /// A one-line summary of the counters.
    pub fn summary(counters: &Counters) -> String {
        format!(
            "held {}, established {}, closed by the server {}, failed {}, flood connections {}",
            counters.held.load(Ordering::Acquire),
            counters.established.load(Ordering::Acquire),
            counters.closed_by_server.load(Ordering::Acquire),
            counters.failed.load(Ordering::Acquire),
            counters.flooded.load(Ordering::Acquire),
        )
    }
}

/// Whether the stop signal was given.
fn stopping(stopped: &watch::Receiver<bool>) -> bool {
    *stopped.borrow()
}

/// Resolves once the stop signal is given.
async fn stop_signal(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

// --- HTTP/2, written by hand (RFC 9113 framing, RFC 7541 literals) -----------------------------

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const ACK: u8 = 0x1;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap_or(0);
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// A `GET path` header block: indexed `:method GET` and `:scheme https`, then literals without
/// indexing (static-table names), with `authorization` when a token is given.
fn get_block(path: &str, token: Option<&str>) -> Vec<u8> {
    let mut block = vec![0x82, 0x87];
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut fields = vec![(&[0x04][..], path), (&[0x01][..], "localhost")];
    if let Some(bearer) = &bearer {
        fields.push((&[0x0f, 0x08][..], bearer)); // authorization (index 23 = 15 + 8)
    }
    for (index, value) in fields {
        block.extend_from_slice(index);
        block.push(u8::try_from(value.len()).unwrap_or(0));
        block.extend_from_slice(value.as_bytes());
    }
    block
}

/// Reads frames until one of `kind` (on `stream`, without the ACK flag) has arrived.
async fn read_until_frame<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut Vec<u8>,
    kind: u8,
    stream: u32,
) -> Result<(), BoxError> {
    loop {
        while buf.len() >= 9 {
            let len = usize::from(buf[0]) << 16 | usize::from(buf[1]) << 8 | usize::from(buf[2]);
            if buf.len() < 9 + len {
                break;
            }
            let id = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) & 0x7fff_ffff;
            let found = buf[3] == kind && id == stream && (kind != SETTINGS || buf[4] & ACK == 0);
            buf.drain(..9 + len);
            if found {
                return Ok(());
            }
        }
        let mut chunk = [0u8; 4096];
        let n = io.read(&mut chunk).await?;
        if n == 0 {
            return Err("closed by the server".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One pin: h2 with a window of zero, a request (with `token` if given) whose response
/// headers arrive but whose body never can.
pub async fn zero_window_pin(
    source: IpAddr,
    target: &Target,
    path: &str,
    token: Option<&str>,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, BoxError> {
    let mut config = (*target.config).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let mut tls = client::connect_from(source, target.addr, Arc::new(config)).await?;
    let setup = async {
        let mut out = PREFACE.to_vec();
        let mut zero_window = SETTINGS_INITIAL_WINDOW_SIZE.to_be_bytes().to_vec();
        zero_window.extend_from_slice(&0u32.to_be_bytes());
        frame(&mut out, SETTINGS, 0, 0, &zero_window);
        tls.write_all(&out).await?;
        let mut buf = Vec::new();
        read_until_frame(&mut tls, &mut buf, SETTINGS, 0).await?;
        let mut out = Vec::new();
        frame(&mut out, SETTINGS, ACK, 0, &[]);
        frame(
            &mut out,
            HEADERS,
            END_STREAM | END_HEADERS,
            1,
            &get_block(path, token),
        );
        tls.write_all(&out).await?;
        read_until_frame(&mut tls, &mut buf, HEADERS, 1).await
    };
    tokio::time::timeout(CLIENT_TIMEOUT, setup).await??;
    Ok(tls)
}

/// Holds `tls` (reading and discarding, sending a PING every second, never a WINDOW_UPDATE)
/// until the server closes it (true) or the attack stops (false).
async fn hold<S: AsyncRead + tokio::io::AsyncWrite + Unpin>(
    tls: &mut S,
    stopped: &mut watch::Receiver<bool>,
    ping: bool,
) -> bool {
    let mut chunk = [0u8; 4096];
    let mut next_ping = tokio::time::Instant::now() + PING_EVERY;
    loop {
        tokio::select! {
            () = stop_signal(stopped) => return false,
            read = tls.read(&mut chunk) => if !matches!(read, Ok(n) if n > 0) { return true },
            () = tokio::time::sleep_until(next_ping), if ping => {
                next_ping += PING_EVERY;
                let mut out = Vec::new();
                frame(&mut out, PING, 0, 0, b"antrea18");
                if tls.write_all(&out).await.is_err() {
                    return true;
                }
            }
        }
    }
}

/// Holds a pin as [`zero_window_pins`] does (a PING every second, never a WINDOW_UPDATE) until
/// the server closes it; how long that took, or `None` after `limit`.
pub async fn hold_pin<S: AsyncRead + tokio::io::AsyncWrite + Unpin>(
    tls: &mut S,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let (_stop, mut stopped) = watch::channel(false);
    tokio::time::timeout(limit, hold(tls, &mut stopped, true))
        .await
        .ok()
        .map(|_| started.elapsed())
}

/// `count` zero-window pins from each source, half asking for `/metrics` without a token and
/// half for `/healthz`; a pin the server closes is opened again at once.
pub fn zero_window_pins(target: &Target, sources: &[(IpAddr, usize)]) -> Attack {
    let mut attack = Attack::new();
    for &(source, count) in sources {
        for i in 0..count {
            let target = target.clone();
            let path = if i % 2 == 0 { "/metrics" } else { "/healthz" };
            attack.spawn(move |mut stopped, counters| async move {
                while !stopping(&stopped) {
                    match zero_window_pin(source, &target, path, None).await {
                        Ok(mut tls) => {
                            counters.established.fetch_add(1, Ordering::AcqRel);
                            counters.held.fetch_add(1, Ordering::AcqRel);
                            let closed = hold(&mut tls, &mut stopped, true).await;
                            counters.held.fetch_sub(1, Ordering::AcqRel);
                            if closed {
                                counters.closed_by_server.fetch_add(1, Ordering::AcqRel);
                            }
                        }
                        Err(_) => {
                            counters.failed.fetch_add(1, Ordering::AcqRel);
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                    }
                }
            });
        }
    }
    attack
}

/// `count` kept-alive HTTP/1.1 connections from each source, each after one `GET /healthz`;
/// when the server closes one, the attacker connects again and asks again at once.
pub fn evict_and_reconnect(target: &Target, sources: &[(IpAddr, usize)]) -> Attack {
    let mut attack = Attack::new();
    for &(source, count) in sources {
        for _ in 0..count {
            let target = target.clone();
            attack.spawn(move |mut stopped, counters| async move {
                while !stopping(&stopped) {
                    let served = async {
                        let mut conn =
                            KeepAlive::connect_from(source, target.addr, target.config.clone())
                                .await?;
                        let resp = conn.get("/healthz", None).await?;
                        if resp.status != 200 {
                            return Err(format!("/healthz: {}", resp.status).into());
                        }
                        Ok::<_, BoxError>(conn.into_inner())
                    };
                    match served.await {
                        Ok(mut tls) => {
                            counters.established.fetch_add(1, Ordering::AcqRel);
                            counters.held.fetch_add(1, Ordering::AcqRel);
                            let closed = hold(&mut tls, &mut stopped, false).await;
                            counters.held.fetch_sub(1, Ordering::AcqRel);
                            if closed {
                                counters.closed_by_server.fetch_add(1, Ordering::AcqRel);
                            }
                        }
                        Err(_) => {
                            counters.failed.fetch_add(1, Ordering::AcqRel);
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                    }
                }
            });
        }
    }
    attack
}

/// From each source, a silent TCP connection every `every` (no TLS), keeping the newest
/// `keep` and closing older ones with RST.
pub fn silent_flood(target: &Target, sources: &[IpAddr], every: Duration, keep: usize) -> Attack {
    let mut attack = Attack::new();
    for &source in sources {
        let addr = target.addr;
        attack.spawn(move |stopped, counters| async move {
            let mut held = VecDeque::new();
            let mut tick = tokio::time::interval(every);
            while !stopping(&stopped) {
                tick.tick().await;
                match client::tcp_from(source, addr).await {
                    Ok(tcp) => {
                        counters.flooded.fetch_add(1, Ordering::AcqRel);
                        // Zero linger: dropping the socket sends RST, as the flood did.
                        let _ = tcp.set_zero_linger();
                        held.push_back(tcp);
                        if held.len() > keep {
                            held.pop_front();
                        }
                    }
                    Err(_) => {
                        counters.failed.fetch_add(1, Ordering::AcqRel);
                    }
                }
            }
        });
    }
    attack
}

/// The outcome of fresh-connection scrapes.
#[derive(Debug, Default)]
pub struct Scrapes {
    /// Latencies of the scrapes that got `200` with the expected line in time.
    pub ok: Vec<Duration>,
    /// What happened to the others.
    pub failures: Vec<String>,
}

impl Scrapes {
    /// The nearest-rank `q` quantile of the successful scrapes' latencies.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.ok.clone();
        sorted.sort_unstable();
        let rank = (sorted.len() as f64 * q).ceil() as usize;
        sorted
            .get(rank.clamp(1, sorted.len().max(1)) - 1)
            .copied()
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Scrapes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "{} of {} scrapes 200 in time, p50 {:.1} ms, max {:.1} ms; failures {:?}",
            self.ok.len(),
            self.ok.len() + self.failures.len(),
            ms(self.quantile(0.5)),
            ms(self.quantile(1.0)),
            self.failures,
        )
    }
}

/// `count` scrapes of `/metrics` with the token, each on a new connection from `source`, one
/// every `every`; a scrape counts when it gets `200` with the expected line within `within`.
pub async fn fresh_scrapes(
    source: IpAddr,
    target: &Target,
    count: usize,
    every: Duration,
    within: Duration,
) -> Scrapes {
    let mut scrapes = Scrapes::default();
    for attempt in 0..count {
        let started = Instant::now();
        let get = client::get_from(
            source,
            target.addr,
            target.config.clone(),
            "/metrics",
            &target.token,
        );
        match tokio::time::timeout(within, get).await {
            Err(_) => scrapes
                .failures
                .push(format!("{attempt}: no answer in {within:?}")),
            Ok(Err(err)) => scrapes.failures.push(format!("{attempt}: {err}")),
            Ok(Ok(resp)) if resp.status == 200 && resp.text().contains(&target.expect) => {
                scrapes.ok.push(started.elapsed());
            }
            Ok(Ok(resp)) => scrapes.failures.push(format!("{attempt}: {}", resp.status)),
        }
        tokio::time::sleep(every.saturating_sub(started.elapsed())).await;
    }
    scrapes
}
