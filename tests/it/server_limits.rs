//! Hostile and slow peers, limits, timeouts and graceful shutdown.

use antrea_metrics::format::Format;
use antrea_metrics::Exposition;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use suite::client;
use suite::serve::{self, Running, TOKEN};
use suite::BoxError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An exposition that blocks each scrape until released (or until the release side drops).
struct Gate {
    entered: tokio::sync::mpsc::UnboundedSender<()>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl Exposition for Gate {
    // Text only (`supports` keeps its default), so the server asks for nothing else.
    fn encode(&self, _: Format, out: &mut Vec<u8>) -> Result<(), antrea_metrics::MetricsError> {
        let _ = self.entered.send(());
        if let Ok(release) = self.release.lock() {
            let _ = release.recv_timeout(Duration::from_secs(5));
        }
        out.extend_from_slice(b"gated_total 1\n");
        Ok(())
    }
}

struct GateHandle {
    entered: tokio::sync::mpsc::UnboundedReceiver<()>,
    release: mpsc::Sender<()>,
}

impl GateHandle {
    async fn wait_entered(&mut self) -> Result<(), BoxError> {
        tokio::time::timeout(Duration::from_secs(5), self.entered.recv())
            .await?
            .ok_or("gate dropped")?;
        Ok(())
    }
}

fn gate() -> (Arc<Gate>, GateHandle) {
    let (entered_tx, entered) = tokio::sync::mpsc::unbounded_channel();
    let (release, release_rx) = mpsc::channel();
    let gate = Gate {
        entered: entered_tx,
        release: Mutex::new(release_rx),
    };
    (Arc::new(gate), GateHandle { entered, release })
}

fn gated_builder(gate: Arc<Gate>) -> antrea_metrics::server::MetricsServerBuilder {
    antrea_metrics::server::MetricsServer::builder()
        .listen(([127, 0, 0, 1], 0).into())
        .exposition(gate)
        .static_tokens(antrea_metrics::server::StaticTokens::new(
            [TOKEN.to_owned()],
        ))
        .handshake_timeout(Duration::from_secs(1))
        .header_read_timeout(Duration::from_secs(1))
        .scrape_timeout(Duration::from_secs(3))
        .idle_timeout(Duration::from_secs(4))
}

/// Reads until the server closes the connection; returns how long that took.
async fn closed_within(mut tcp: TcpStream, limit: Duration) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit, tcp.read(&mut buf)).await? {
            Ok(0) | Err(_) => return Ok(started.elapsed()),
            Ok(_) => continue,
        }
    }
}

#[tokio::test]
async fn garbage_and_silent_connections_are_closed_and_others_still_served() -> Result<(), BoxError>
{
    let registry = serve::demo_registry()?;
    let server = Running::start(
        serve::builder()?
            .server_metrics(&registry)
            .registry(registry),
    )
    .await?;
    let limit = Duration::from_secs(3);

    let mut plain = TcpStream::connect(server.addr).await?;
    plain
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await?;
    closed_within(plain, limit).await?;

    let mut random = TcpStream::connect(server.addr).await?;
    let mut x: u32 = 0x9e37_79b9;
    let noise: Vec<u8> = (0..600)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    random.write_all(&noise).await?;
    closed_within(random, limit).await?;

    let silent = TcpStream::connect(server.addr).await?;
    let took = closed_within(silent, limit).await?;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");

    // A slow request head after a good handshake is cut by the header read timeout.
    let mut slow = client::connect(server.addr, client::config(server.ca()?)?).await?;
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: local")
        .await?;
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(limit, slow.read_to_end(&mut buf)).await?;
    assert!(started.elapsed() < limit);

    let config = client::config(server.ca()?)?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    let body = resp.text();
    let errors = body
        .lines()
        .find_map(|l| l.strip_prefix("antrea_metrics_server_tls_handshake_errors_total "))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or("no handshake error counter")?;
    assert!(errors >= 3, "{body}");
    server.stop().await
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_inflight_scrape_and_refuses_new_connections(
) -> Result<(), BoxError> {
    let (gate, mut handle) = gate();
    let server = Running::start(gated_builder(gate)).await?;
    let (addr, config) = (server.addr, client::config(server.ca()?)?);
    let scrape = tokio::spawn(client::get_with_token(addr, config, "/metrics", TOKEN));
    handle.wait_entered().await?;

    let serving = server.signal();
    let mut refused = false;
    for _ in 0..40 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(refused, "new connections are still accepted");

    handle.release.send(())?;
    let resp = tokio::time::timeout(Duration::from_secs(5), scrape).await???;
    assert_eq!(resp.status, 200);
    assert!(resp.text().contains("gated_total 1"));
    tokio::time::timeout(Duration::from_secs(5), serving).await??;
    Ok(())
}

#[tokio::test]
async fn shutdown_gives_up_on_a_stuck_connection_after_the_deadline() -> Result<(), BoxError> {
    let (gate, mut handle) = gate();
    let builder = gated_builder(gate).shutdown_timeout(Duration::from_millis(300));
    let server = Running::start(builder).await?;
    let (addr, config) = (server.addr, client::config(server.ca()?)?);
    let scrape = tokio::spawn(client::get_with_token(addr, config, "/metrics", TOKEN));
    handle.wait_entered().await?;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), server.signal()).await??;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    // The stuck connection was closed at the deadline, though its scrape is still blocked.
    let outcome = tokio::time::timeout(Duration::from_secs(1), scrape).await??;
    assert!(outcome.is_err(), "{outcome:?}");
    drop(handle);
    Ok(())
}

#[tokio::test]
async fn scrape_limits_answer_503() -> Result<(), BoxError> {
    let (gate, mut handle) = gate();
    let builder = gated_builder(gate)
        .max_inflight_scrapes(1)
        .scrape_timeout(Duration::from_millis(400));
    let server = Running::start(builder).await?;
    let config = client::config(server.ca()?)?;
    let first = tokio::spawn(client::get_with_token(
        server.addr,
        config.clone(),
        "/metrics",
        TOKEN,
    ));
    handle.wait_entered().await?;

    // The first scrape holds the only slot: the next one is refused at once.
    let second = client::get_with_token(server.addr, config.clone(), "/metrics", TOKEN).await?;
    assert_eq!(second.status, 503);
    assert!(second.text().contains("Limit of concurrent requests"));
    assert_eq!(second.header("retry-after"), Some("1"));

    // The first one runs past the scrape timeout.
    let first = tokio::time::timeout(Duration::from_secs(5), first).await???;
    assert_eq!(first.status, 503);
    assert!(first.text().contains("timed out"));
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.header("content-encoding"), None);

    // Dropping the release side unblocks every scrape; the slot frees once the first ends.
    drop(handle);
    for _ in 0..40 {
        let resp = client::get_with_token(server.addr, config.clone(), "/metrics", TOKEN).await?;
        if resp.status == 200 {
            return server.stop().await;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err("the scrape slot was never freed".into())
}

#[tokio::test]
async fn a_connection_beyond_the_limit_closes_a_silent_one() -> Result<(), BoxError> {
    // A header timeout longer than the test: only admission closes the silent connection.
    let builder = serve::builder()?
        .header_read_timeout(Duration::from_secs(10))
        .max_connections(1);
    let server = Running::start(builder).await?;
    let config = client::config(server.ca()?)?;
    let mut silent = client::connect(server.addr, config.clone()).await?;
    // The new connection is served; the silent one made room for it.
    let resp = client::get_with_token(server.addr, config.clone(), "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(3), silent.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the silent connection is still open");
    assert!(buf.is_empty());
    server.stop().await
}

#[tokio::test]
async fn an_oversized_head_sent_in_pieces_is_refused() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let mut tls = client::connect(server.addr, client::config(server.ca()?)?).await?;
    let head = format!(
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    // Split writes (hyper #4081): the limit must hold however the head arrives.
    for piece in head.as_bytes().chunks(1024) {
        if tls.write_all(piece).await.is_err() {
            break;
        }
    }
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), tls.read_to_end(&mut raw)).await?;
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains("suite_demo"), "{text}");
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "{text}"
    );
    server.stop().await
}

#[tokio::test]
async fn an_idle_connection_is_closed_by_the_idle_timeout() -> Result<(), BoxError> {
    let builder = serve::builder()?
        .header_read_timeout(Duration::from_secs(10))
        .scrape_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_secs(1));
    let server = Running::start(builder).await?;
    let mut tls = client::connect(server.addr, client::config(server.ca()?)?).await?;
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut buf)).await?;
    let took = started.elapsed();
    // Closed by the 1 s idle timeout, well before the 10 s header read timeout.
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    server.stop().await
}
