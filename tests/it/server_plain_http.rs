//! Plain HTTP to the HTTPS port gets what Go's `net/http` sends (Antrea's metrics server is
//! Go's): `HTTP/1.0 400 Bad Request` with the body "Client sent an HTTP request to an HTTPS
//! server.", then the connection closes; the attempt counts as a failed handshake, and the
//! server goes on serving. The expected bytes are Go's, from `net/http/server.go`.

use prometheus::Registry;
use std::time::Duration;
use suite::hostile::{assert_serves, read_all_until_closed};
use suite::serve::{self, Running};
use suite::BoxError;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const GO_ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// The server's `antrea_metrics_server_tls_handshake_errors_total`.
fn handshake_errors(registry: &Registry) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|f| f.name() == "antrea_metrics_server_tls_handshake_errors_total")
        .flat_map(|f| f.get_metric())
        .map(|m| m.counter.value())
        .sum()
}

#[tokio::test]
async fn plain_http_gets_go_s_400_then_the_connection_closes() -> Result<(), BoxError> {
    let registry = Registry::new();
    let server = Running::start(serve::builder()?.server_metrics(&registry)).await?;
    let before = handshake_errors(&registry);
    for request in [
        &b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        b"HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"POST /metrics HTTP/1.0\r\n\r\n",
    ] {
        let mut tcp = TcpStream::connect(server.addr).await?;
        // In two writes: the start of a request may arrive in pieces.
        tcp.write_all(&request[..3]).await?;
        tokio::time::sleep(Duration::from_millis(30)).await;
        tcp.write_all(&request[3..]).await?;
        let answer = read_all_until_closed(&mut tcp, Duration::from_secs(3)).await?;
        assert_eq!(
            String::from_utf8_lossy(&answer),
            String::from_utf8_lossy(GO_ANSWER)
        );
    }
    assert_eq!(handshake_errors(&registry), before + 3.0);
    assert_serves(&server).await?;
    server.stop().await
}

#[tokio::test]
async fn curl_with_http_prints_go_s_sentence() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let url = format!("http://{}/metrics", server.addr);
    let out = suite::tools::run(
        "curl",
        &["--silent", "--show-error", "--max-time", "5", &url],
    )
    .await?;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Client sent an HTTP request to an HTTPS server.\n"
    );
    assert_serves(&server).await?;
    server.stop().await
}
