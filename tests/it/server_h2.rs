//! HTTP/2 abuse: a rapid-reset burst (CVE-2023-44487) closes the connection, not the server.

use std::time::Duration;
use suite::client;
use suite::serve::{self, Running, TOKEN};
use suite::BoxError;

#[tokio::test]
async fn rapid_reset_burst_gets_the_connection_closed() -> Result<(), BoxError> {
    // A long idle timeout, so only the reset limit can close the connection within the 8 s we
    // wait (a generous bound: CI machines are loaded; it closes in milliseconds when idle).
    let server = Running::start(serve::builder()?.idle_timeout(Duration::from_secs(60))).await?;
    let tls = client::connect(server.addr, client::config_h2(server.ca()?)?).await?;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) = h2::client::handshake(tls).await?;
    let conn = tokio::spawn(conn);
    let started = std::time::Instant::now();
    let mut opened = 0;
    for _ in 0..2000 {
        let Ok(ready) = tokio::time::timeout(Duration::from_secs(2), send.ready()).await else {
            break;
        };
        let Ok(ready) = ready else { break };
        send = ready;
        let req = http::Request::get("https://localhost/metrics")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(())?;
        // Dropping the response future and the stream at once resets the stream.
        if send.send_request(req, true).is_err() {
            break;
        }
        opened += 1;
    }
    let ended = tokio::time::timeout(Duration::from_secs(8), conn).await??;
    let took = started.elapsed();
    assert!(
        ended.is_err(),
        "opened {opened}, connection ended {ended:?}"
    );
    assert!(
        took < Duration::from_secs(8),
        "closed only after {took:?} ({opened} opened)"
    );

    let config = client::config(server.ca()?)?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    server.stop().await
}
