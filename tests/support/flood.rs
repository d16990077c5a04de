//! An attacker that floods the metrics port from one loopback address with connections that
//! say nothing (or half a request) and holds them, and a scraper that measures its latency
//! while that goes on (issue #12).

use crate::client;
use crate::serve::TOKEN;
use crate::BoxError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;

/// What a flood does to the port: the three waves of the issue's acceptance test.
#[derive(Debug, Clone, Copy)]
pub struct Waves {
    /// Silent TCP connections (no TLS).
    pub tcp: usize,
    /// TLS connections that complete the handshake and then stay silent.
    pub tls: usize,
    /// TLS connections that send half a request head and stop.
    pub half_heads: usize,
}

/// The issue's figures: 1,000 silent TCP, 200 silent TLS, 50 half heads.
pub const ISSUE_WAVES: Waves = Waves {
    tcp: 1000,
    tls: 200,
    half_heads: 50,
};

/// Connections an attacker holds open; the server may close them (evictions), the attacker
/// never does until dropped.
pub struct Flood {
    source: IpAddr,
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    tcp: Vec<TcpStream>,
    tls: Vec<TlsStream<TcpStream>>,
    /// Connections the attacker could not open or finish (the server closed them first).
    pub failed: usize,
}

impl Flood {
    /// An attacker at loopback address `source` aiming at `addr`.
    pub fn new(source: IpAddr, addr: SocketAddr, config: Arc<ClientConfig>) -> Self {
        Self {
            source,
            addr,
            config,
            tcp: Vec::new(),
            tls: Vec::new(),
            failed: 0,
        }
    }

    /// Sends the three waves, one after the other.
    pub async fn waves(&mut self, waves: Waves) {
        for _ in 0..waves.tcp {
            match client::tcp_from(self.source, self.addr).await {
                Ok(tcp) => self.tcp.push(tcp),
                Err(_) => self.failed += 1,
            }
        }
        for _ in 0..waves.tls {
            match client::connect_from(self.source, self.addr, self.config.clone()).await {
                Ok(tls) => self.tls.push(tls),
                Err(_) => self.failed += 1,
            }
        }
        let half = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bear";
        for _ in 0..waves.half_heads {
            let sent = async {
                let mut tls =
                    client::connect_from(self.source, self.addr, self.config.clone()).await?;
                tls.write_all(half).await?;
                tls.flush().await?;
                Ok::<_, BoxError>(tls)
            };
            match sent.await {
                Ok(tls) => self.tls.push(tls),
                Err(_) => self.failed += 1,
            }
        }
    }

    /// Connections opened and still held by the attacker (whether or not the server closed
    /// its side).
    pub fn opened(&self) -> usize {
        self.tcp.len() + self.tls.len()
    }
}

/// Keeps renewing the flood while a test scrapes: one more silent TCP connection from `source`
/// every `every`, until the returned sender is dropped or fires; the task returns how many it
/// opened (it holds them until it ends).
pub fn renew(
    source: IpAddr,
    addr: SocketAddr,
    every: Duration,
) -> (oneshot::Sender<()>, JoinHandle<usize>) {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        // Bounded: a test that forgets to stop it still ends.
        for _ in 0..10_000 {
            tokio::select! {
                _ = &mut stopped => break,
                () = tokio::time::sleep(every) => {}
            }
            if let Ok(tcp) = client::tcp_from(source, addr).await {
                held.push(tcp);
            }
        }
        held.len()
    });
    (stop, task)
}

/// Latencies of scrapes that must all succeed.
#[derive(Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// Scrapes `/metrics` on a new connection from `source` `count` times, one every `every`;
    /// fails on the first scrape that does not get `200` with `expect` in its body.
    pub async fn scrape_from(
        source: IpAddr,
        addr: SocketAddr,
        config: Arc<ClientConfig>,
        count: usize,
        every: Duration,
        expect: &str,
    ) -> Result<Self, BoxError> {
        let mut latencies = Self::default();
        for attempt in 0..count {
            let started = Instant::now();
            let resp = client::get_from(source, addr, config.clone(), "/metrics", TOKEN)
                .await
                .map_err(|err| format!("scrape {attempt} from {source} failed: {err}"))?;
            latencies.record(started.elapsed());
            if resp.status != 200 || !resp.text().contains(expect) {
                return Err(format!("scrape {attempt} from {source}: {}", resp.status).into());
            }
            tokio::time::sleep(every.saturating_sub(started.elapsed())).await;
        }
        Ok(latencies)
    }

    /// Adds one latency.
    pub fn record(&mut self, latency: Duration) {
        self.0.push(latency);
    }

    /// How many were recorded.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// The nearest-rank `q` quantile (0 < q ≤ 1); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let rank = (sorted.len() as f64 * q).ceil() as usize;
        sorted
            .get(rank.clamp(1, sorted.len().max(1)) - 1)
            .copied()
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "{} scrapes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.count(),
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.quantile(1.0)),
        )
    }
}
