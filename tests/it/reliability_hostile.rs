//! Hostile HTTP/1.1 and TLS clients against the real server on loopback (issue #6, part 2).
//! Every test ends by checking that a normal authenticated scrape still works.
//!
//! The test server's handshake and header timeouts are 1 s (`suite::serve::builder`), so a
//! connection the server must drop is given 3 s before the test fails.

use prometheus::Registry;
use std::sync::Arc;
use std::time::Duration;
use suite::client;
use suite::hostile::{assert_serves, read_all_until_closed, wait_closed, Gated};
use suite::keepalive::KeepAlive;
use suite::serve::{self, Running, TOKEN};
use suite::BoxError;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

/// The header read and handshake timeout of the test server.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How long a test waits for the server to drop a connection it must drop.
const DROP_LIMIT: Duration = Duration::from_secs(3);

/// The value of a counter family (summed over its series) in the server's own metrics.
fn server_counter(registry: &Registry, name: &str) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|family| family.name() == name)
        .flat_map(|family| family.get_metric())
        .map(|metric| metric.counter.value())
        .sum()
}

async fn start_with_metrics(
    builder: antrea_metrics::server::MetricsServerBuilder,
) -> Result<(Running, Registry), BoxError> {
    let registry = Registry::new();
    let server = Running::start(builder.server_metrics(&registry)).await?;
    Ok((server, registry))
}

/// Writes `bytes` one at a time, 100 ms apart, while waiting for the server to close; returns
/// how long the server took.
async fn trickle_until_closed(
    mut conn: TlsStream<TcpStream>,
    bytes: &[u8],
) -> Result<Duration, BoxError> {
    let (mut rd, mut wr) = tokio::io::split(&mut conn);
    let writer = async {
        for byte in bytes {
            if wr.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // All sent and still open: keep waiting for the reader's verdict.
        std::future::pending::<()>().await;
    };
    tokio::select! {
        closed = wait_closed(&mut rd, DROP_LIMIT) => closed,
        () = writer => unreachable!("the writer never finishes"),
    }
}

#[tokio::test]
async fn slowloris_head_is_closed_after_the_header_timeout() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let config = client::config(server.ca()?)?;
    // 40 bytes at 10 per second would take 4 s; the head is never finished anyway.
    let head = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaa";
    let tls = client::connect(server.addr, config).await?;
    let took = trickle_until_closed(tls, &head[..40]).await?;
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "closed after {took:?}"
    );
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn slowloris_on_a_kept_alive_connection_is_closed_too() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let config = client::config(server.ca()?)?;
    let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
    assert_eq!(conn.get("/metrics", Some(TOKEN)).await?.status, 200);
    let tls = conn.into_inner();
    let took = trickle_until_closed(
        tls,
        b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: a",
    )
    .await?;
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "closed after {took:?}"
    );
    assert_serves(&server).await?;
    server.stop().await
}

/// Prometheus scrapes every 15–60 s over one kept-alive connection: a pause longer than the
/// header read timeout (but shorter than the idle timeout) must not close it. hyper 1.x starts
/// its header timer when a response ends, which capped the idle timeout at the header timeout.
#[tokio::test]
async fn kept_alive_connection_outlives_the_header_timeout_until_idle() -> Result<(), BoxError> {
    let idle = Duration::from_secs(3);
    let server = Running::start(serve::builder()?.idle_timeout(idle)).await?;
    let config = client::config(server.ca()?)?;
    let mut conn = KeepAlive::connect(server.addr, config).await?;
    assert_eq!(conn.get("/metrics", Some(TOKEN)).await?.status, 200);
    // The pause between two scrapes (the point of the test, not a wait for readiness).
    tokio::time::sleep(TIMEOUT + TIMEOUT / 2).await;
    assert_eq!(conn.get("/metrics", Some(TOKEN)).await?.status, 200);
    let took = conn.closed_within(idle + DROP_LIMIT).await?;
    assert!(
        took >= idle - Duration::from_millis(500),
        "closed after {took:?}"
    );
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn tcp_without_tls_is_closed_after_the_handshake_timeout() -> Result<(), BoxError> {
    let (server, registry) = start_with_metrics(serve::builder()?).await?;
    let mut tcp = TcpStream::connect(server.addr).await?;
    let took = wait_closed(&mut tcp, DROP_LIMIT).await?;
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "closed after {took:?}"
    );
    assert_eq!(
        server_counter(
            &registry,
            "antrea_metrics_server_tls_handshake_errors_total"
        ),
        1.0
    );
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn truncated_client_hello_is_closed_after_the_handshake_timeout() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let config = client::config(server.ca()?)?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let mut hello = Vec::new();
    rustls::ClientConnection::new(config, name)?.write_tls(&mut hello)?;
    let mut tcp = TcpStream::connect(server.addr).await?;
    tcp.write_all(&hello[..hello.len() / 2]).await?;
    let took = wait_closed(&mut tcp, DROP_LIMIT).await?;
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "closed after {took:?}"
    );
    assert_serves(&server).await?;
    server.stop().await
}

/// Sends `bytes` on a plain TCP connection; the server must close it at once, without metrics.
async fn garbage_is_refused(bytes: &[u8]) -> Result<(), BoxError> {
    let (server, registry) = start_with_metrics(serve::builder()?).await?;
    let mut tcp = TcpStream::connect(server.addr).await?;
    tcp.write_all(bytes).await?;
    let answer = read_all_until_closed(&mut tcp, TIMEOUT / 2).await?;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains("suite_demo_total") && !answer.contains("200 OK"),
        "{answer}"
    );
    assert_eq!(
        server_counter(
            &registry,
            "antrea_metrics_server_tls_handshake_errors_total"
        ),
        1.0
    );
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn plaintext_http_is_refused() -> Result<(), BoxError> {
    let head = format!(
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    garbage_is_refused(head.as_bytes()).await
}

#[tokio::test]
async fn random_bytes_are_refused() -> Result<(), BoxError> {
    // A fixed xorshift sequence: random-looking, and the same on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    garbage_is_refused(&bytes).await
}

/// Sends `head` over TLS in `parts` writes, 20 ms apart (so the server reads it in pieces, as
/// in hyper #4081), and returns the status line of the answer.
async fn send_head_in_parts(
    server: &Running,
    head: &[u8],
    parts: usize,
) -> Result<String, BoxError> {
    let config = client::config(server.ca()?)?;
    let mut tls = client::connect(server.addr, config).await?;
    for chunk in head.chunks(head.len().div_ceil(parts)) {
        if tls.write_all(chunk).await.is_err() {
            break; // the server may answer and close before the head is complete
        }
        tls.flush().await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answer = read_all_until_closed(&mut tls, DROP_LIMIT).await?;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn header_block_over_the_size_limit_gets_431_whole_or_split() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?.max_header_bytes(8192)).await?;
    let big = "a".repeat(12 * 1024);
    let head = format!("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nX-Big: {big}\r\n\r\n");
    for parts in [1, 2, 3, 12] {
        let status = send_head_in_parts(&server, head.as_bytes(), parts).await?;
        assert!(
            status.starts_with("HTTP/1.1 431"),
            "{parts} parts: {status:?}"
        );
    }
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn too_many_header_fields_get_431_whole_or_split() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let mut head =
        format!("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n");
    for i in 0..150 {
        head.push_str(&format!("X-Field-{i}: v\r\n"));
    }
    head.push_str("\r\n");
    for parts in [1, 4] {
        let status = send_head_in_parts(&server, head.as_bytes(), parts).await?;
        assert!(
            status.starts_with("HTTP/1.1 431"),
            "{parts} parts: {status:?}"
        );
    }
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn connections_over_the_limit_evict_the_longest_idle() -> Result<(), BoxError> {
    let (server, registry) = start_with_metrics(serve::builder()?.max_connections(4)).await?;
    let config = client::config(server.ca()?)?;
    let mut held = Vec::new();
    for _ in 0..4 {
        // An answer proves the server holds the connection's slot. No token: a connection that
        // proved one is never evicted (`tests/alone/admission.rs`).
        let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
        assert_eq!(conn.get("/healthz", None).await?.status, 200);
        held.push(conn);
    }
    // Three more, each asking: each closes the held connection idle the longest.
    for _ in 0..3 {
        let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
        assert_eq!(conn.get("/healthz", None).await?.status, 200);
        held.push(conn);
    }
    let mut held = held.into_iter();
    for evicted in held.by_ref().take(3) {
        evicted.closed_within(DROP_LIMIT).await?;
    }
    let counter = |name| server_counter(&registry, name);
    assert_eq!(
        counter("antrea_metrics_server_connections_evicted_total"),
        3.0
    );
    assert_eq!(
        counter("antrea_metrics_server_connections_rejected_total"),
        0.0
    );
    // The connection idle the shortest and the newcomers keep working.
    for mut conn in held {
        assert_eq!(conn.get("/healthz", None).await?.status, 200);
    }
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn scrapes_over_the_in_flight_limit_get_503() -> Result<(), BoxError> {
    let (gate, mut entered) = Gated::new();
    let gate = Arc::new(gate);
    let builder = serve::builder()?
        .exposition(gate.clone())
        .max_inflight_scrapes(2);
    let server = Running::start(builder).await?;
    let config = client::config(server.ca()?)?;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
        held.push(tokio::spawn(async move {
            conn.get("/metrics", Some(TOKEN)).await.map(|r| r.status)
        }));
    }
    // Both wait on one collection (the gate sees only the first). Until the second has reached
    // the server, a third scrape takes the free slot and gives up after its 0.2 s.
    tokio::time::timeout(DROP_LIMIT, entered.recv())
        .await?
        .ok_or("gate dropped")?;
    let auth = format!("Authorization: Bearer {TOKEN}");
    let probe = [auth.as_str(), "X-Prometheus-Scrape-Timeout-Seconds: 0.2"];
    let mut third = client::request(server.addr, config.clone(), "GET", "/metrics", &probe).await?;
    for _ in 0..20 {
        if !third.text().contains("timed out") {
            break;
        }
        third = client::request(server.addr, config.clone(), "GET", "/metrics", &probe).await?;
    }
    assert_eq!(third.status, 503);
    assert!(
        third
            .text()
            .contains("Limit of concurrent requests reached"),
        "{}",
        third.text()
    );
    gate.release();
    for scrape in held {
        assert_eq!(scrape.await??, 200);
    }
    assert_serves(&server).await?;
    server.stop().await
}
