//! Scraping `/metrics` over HTTPS with real clients: rustls, curl (HTTP/1.1, HTTP/2, gzip).

use antrea_metrics::format::TEXT_CONTENT_TYPE;
use antrea_metrics::server::TlsSource;
use std::io::Read;
use std::net::SocketAddr;
use suite::client;
use suite::serve::{self, Running, DEMO_LINE, TOKEN};
use suite::tools;
use suite::BoxError;

/// Every line is a comment or `name[{labels}] value`; the demo sample is there.
fn assert_exposition(body: &str) {
    assert!(body.contains(DEMO_LINE), "{body}");
    for line in body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').unwrap_or_default();
        assert!(!series.is_empty(), "bad line {line:?}");
        assert!(value.parse::<f64>().is_ok(), "bad value in {line:?}");
    }
}

#[tokio::test]
async fn rustls_client_trusting_written_ca_scrapes() -> Result<(), BoxError> {
    let dir = suite::private_tempdir()?;
    let ca_path = dir.path().join("ca.crt");
    let server =
        Running::start(serve::builder()?.tls(TlsSource::self_signed().write_ca_to(&ca_path)))
            .await?;
    let ca = std::fs::read_to_string(&ca_path)?;
    assert_eq!(Some(ca.as_str()), server.ca_pem.as_deref());
    let config = client::config(&ca)?;

    let resp = client::get_with_token(server.addr, config.clone(), "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some(TEXT_CONTENT_TYPE));
    assert_eq!(resp.header("content-encoding"), None);
    assert_exposition(&resp.text());

    let auth = format!("Authorization: Bearer {TOKEN}");
    let head = client::request(server.addr, config.clone(), "HEAD", "/metrics", &[&auth]).await?;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    let gz = client::request(
        server.addr,
        config,
        "GET",
        "/metrics",
        &[&auth, "Accept-Encoding: deflate, gzip;q=0.8"],
    )
    .await?;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz.body.as_slice()).read_to_string(&mut text)?;
    assert_exposition(&text);
    server.stop().await
}

// On a multi-thread runtime, as most servers run; the other tests use a current-thread one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_scrapes_with_cacert_compressed_and_http2() -> Result<(), BoxError> {
    let dir = suite::private_tempdir()?;
    let ca_path = dir.path().join("ca.crt");
    let server =
        Running::start(serve::builder()?.tls(TlsSource::self_signed().write_ca_to(&ca_path)))
            .await?;
    let ca = ca_path.to_str().ok_or("path")?;
    let auth = format!("Authorization: Bearer {TOKEN}");

    let plain = tools::curl(
        server.addr,
        "/metrics",
        &["--cacert", ca, "-H", &auth, "-i"],
    )
    .await?;
    let out = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(
        out.contains(&format!("content-type: {TEXT_CONTENT_TYPE}")),
        "{out}"
    );
    assert_exposition(out.split("\r\n\r\n").nth(1).unwrap_or_default());

    let args = [
        "--cacert",
        ca,
        "-H",
        &auth,
        "--compressed",
        "-D",
        "-",
        "--http1.1",
    ];
    let gz = tools::curl(server.addr, "/metrics", &args).await?;
    let out = String::from_utf8_lossy(&gz.stdout).to_ascii_lowercase();
    assert!(out.contains("content-encoding: gzip"), "{out}");
    assert!(out.contains(DEMO_LINE), "{out}");

    let args = ["--cacert", ca, "-H", &auth, "-D", "-", "--http2"];
    let h2 = tools::curl(server.addr, "/metrics", &args).await?;
    let out = String::from_utf8_lossy(&h2.stdout);
    assert!(out.starts_with("HTTP/2 200"), "{out}");
    assert!(out.contains(DEMO_LINE), "{out}");
    server.stop().await
}

#[tokio::test]
async fn http2_can_be_turned_off() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?.http2(false)).await?;
    let dir = suite::private_tempdir()?;
    let ca_path = dir.path().join("ca.crt");
    std::fs::write(&ca_path, server.ca()?)?;
    let ca = ca_path.to_str().ok_or("path")?;
    let auth = format!("Authorization: Bearer {TOKEN}");
    let args = ["--cacert", ca, "-H", &auth, "-D", "-", "--http2"];
    let out = tools::curl(server.addr, "/metrics", &args).await?;
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    server.stop().await
}

#[tokio::test]
async fn health_routes_and_errors() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    let config = client::config(server.ca()?)?;
    for path in ["/healthz", "/livez", "/readyz"] {
        let resp = client::request(server.addr, config.clone(), "GET", path, &[]).await?;
        assert_eq!((resp.status, resp.text().as_str()), (200, "ok"), "{path}");
    }
    let resp = client::request(
        server.addr,
        config.clone(),
        "GET",
        "/nope-reflected-input",
        &[],
    )
    .await?;
    assert_eq!(resp.status, 404);
    assert!(!resp.text().contains("reflected"));
    assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
    let resp = client::request(server.addr, config.clone(), "POST", "/metrics", &[]).await?;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD"));
    let resp = client::request(server.addr, config, "DELETE", "/healthz", &[]).await?;
    assert_eq!(resp.status, 405);
    server.stop().await
}

#[tokio::test]
async fn serves_on_ipv6_loopback_and_a_given_listener() -> Result<(), BoxError> {
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0));
    // `listen` replaces the builder's IPv4 address.
    let server = Running::start(serve::builder()?.listen(v6)).await?;
    assert!(server.addr.is_ipv6());
    let config = client::config(server.ca()?)?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    server.stop().await?;

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let builder = antrea_metrics::server::MetricsServer::builder()
        .listener(listener)
        .registry(serve::demo_registry()?)
        .static_tokens(antrea_metrics::server::StaticTokens::new(
            [TOKEN.to_owned()],
        ));
    let server = Running::start(builder).await?;
    assert_eq!(server.addr, addr);
    let config = client::config(server.ca()?)?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    server.stop().await
}

#[tokio::test]
async fn server_metrics_count_requests() -> Result<(), BoxError> {
    let registry = serve::demo_registry()?;
    let server = Running::start(
        serve::builder()?
            .registry(registry.clone())
            .server_metrics(&registry),
    )
    .await?;
    let config = client::config(server.ca()?)?;
    client::request(server.addr, config.clone(), "GET", "/metrics", &[]).await?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    let body = resp.text();
    assert!(
        body.contains(r#"antrea_metrics_server_requests_total{code="401",path="/metrics"} 1"#),
        "{body}"
    );
    assert!(
        body.contains(r#"antrea_metrics_server_authentication_attempts_total{result="failure"} 1"#),
        "{body}"
    );
    server.stop().await
}
