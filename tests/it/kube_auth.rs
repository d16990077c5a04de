//! Kubernetes delegated auth end to end: scrapes over TLS to the metrics server, which asks a
//! stand-in API server (also TLS, on loopback) for TokenReviews and SubjectAccessReviews.

use antrea_metrics::server::kube::{ApiServerConfig, KubeAuth, KubeAuthBuilder};
use antrea_metrics::server::{MetricsServer, MetricsServerBuilder};
use prometheus::Registry;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use suite::client::{config, get_with_token, request, Response};
use suite::kube_stub::{closed_address, KubeStub};
use suite::serve::{demo_registry, Running, DEMO_LINE};
use suite::BoxError;

const AGENT: &str = "agent-sa-token-4b1d9e";
const ALLOWED: &str = "scraper-allowed-token-8c2f71";
const DENIED: &str = "scraper-denied-token-3a9e05";
const UNKNOWN: &str = "scraper-unknown-token-6d4b22";
const PROMETHEUS: &str = "system:serviceaccount:monitoring:prometheus";
const OTHER: &str = "system:serviceaccount:default:other";

/// A stand-in API server that knows the two scrapers and lets only Prometheus in.
async fn stub() -> Result<KubeStub, BoxError> {
    let stub = KubeStub::start(AGENT).await?;
    let groups = ["system:serviceaccounts", "system:authenticated"];
    stub.add_user(ALLOWED, PROMETHEUS, &groups);
    stub.add_user(DENIED, OTHER, &groups);
    stub.allow(PROMETHEUS);
    Ok(stub)
}

fn kube(api: &str, ca_pem: &str) -> Result<KubeAuthBuilder, BoxError> {
    let api = ApiServerConfig::new(api, ca_pem.as_bytes())?.bearer_token(AGENT);
    Ok(KubeAuth::builder(api).timeout(Duration::from_millis(500)))
}

/// A metrics server on loopback using `kube`, serving the demo registry and `own` (which
/// holds the server's and the reviews' metrics).
fn server(kube: &KubeAuth, own: &Registry) -> Result<MetricsServerBuilder, BoxError> {
    Ok(MetricsServer::builder()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .registry(demo_registry()?)
        .registry(own.clone())
        .server_metrics(own)
        .authenticator(kube.authenticator())
        .authorizer(kube.authorizer())
        .anonymous(true)
        .max_inflight_scrapes(64)
        .scrape_timeout(Duration::from_secs(5)))
}

async fn scrape(running: &Running, token: Option<&str>) -> Result<Response, BoxError> {
    let tls = config(running.ca()?)?;
    match token {
        Some(token) => get_with_token(running.addr, tls, "/metrics", token).await,
        None => request(running.addr, tls, "GET", "/metrics", &[]).await,
    }
}

#[tokio::test]
async fn allowed_denied_unknown_and_anonymous_scrapers() -> Result<(), BoxError> {
    let (logs, _guard) = suite::logs::capture();
    let stub = stub().await?;
    let own = Registry::new();
    let kube = kube(&stub.url(), &stub.ca_pem)?.metrics(&own).build()?;
    let running = Running::start(server(&kube, &own)?).await?;

    let ok = scrape(&running, Some(ALLOWED)).await?;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(ok.text().contains(DEMO_LINE));

    let denied = scrape(&running, Some(DENIED)).await?;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.text(),
        format!("User \"{OTHER}\" cannot get path \"/metrics\"\n")
    );

    let unknown = scrape(&running, Some(UNKNOWN)).await?;
    assert_eq!(unknown.status, 401);

    // As Antrea: no token means system:anonymous, which RBAC does not allow here.
    let anonymous = scrape(&running, None).await?;
    assert_eq!(anonymous.status, 403);
    assert_eq!(
        anonymous.text(),
        "User \"system:anonymous\" cannot get path \"/metrics\"\n"
    );

    assert_eq!(stub.violations(), Vec::<String>::new());
    assert_eq!((stub.token_reviews(), stub.access_reviews()), (3, 3));
    let specs = stub.access_specs();
    assert_eq!(specs[0]["user"], PROMETHEUS);
    assert_eq!(specs[0]["uid"], format!("uid-{PROMETHEUS}"));
    assert_eq!(specs[0]["groups"][1], "system:authenticated");
    assert_eq!(specs[2]["user"], "system:anonymous");
    assert_eq!(specs[2]["groups"][0], "system:unauthenticated");

    let metrics = scrape(&running, Some(ALLOWED)).await?.text();
    for line in [
        r#"antrea_metrics_server_kube_reviews_total{result="allowed",review="TokenReview"} 2"#,
        r#"antrea_metrics_server_kube_reviews_total{result="denied",review="TokenReview"} 1"#,
        r#"antrea_metrics_server_kube_reviews_total{result="allowed",review="SubjectAccessReview"} 1"#,
        r#"antrea_metrics_server_kube_reviews_total{result="denied",review="SubjectAccessReview"} 2"#,
        r#"antrea_metrics_server_kube_review_cache_hits_total{review="TokenReview"} 1"#,
        r#"antrea_metrics_server_kube_review_duration_seconds_count{review="TokenReview"} 3"#,
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    running.stop().await?;

    let text = logs.text();
    assert!(
        text.contains("forbidden /metrics request"),
        "nothing captured: {text}"
    );
    for token in [AGENT, ALLOWED, DENIED, UNKNOWN] {
        assert!(!text.contains(token), "a token was logged:\n{text}");
    }
    Ok(())
}

#[tokio::test]
async fn answers_are_reused_within_the_ttl() -> Result<(), BoxError> {
    let stub = stub().await?;
    let kube = kube(&stub.url(), &stub.ca_pem)?
        .cache_ttl(Duration::from_millis(800))
        .build()?;
    let running = Running::start(server(&kube, &Registry::new())?).await?;
    for _ in 0..2 {
        assert_eq!(scrape(&running, Some(ALLOWED)).await?.status, 200);
    }
    assert_eq!((stub.token_reviews(), stub.access_reviews()), (1, 1));
    // Denials are cached too.
    for _ in 0..2 {
        assert_eq!(scrape(&running, Some(DENIED)).await?.status, 403);
    }
    assert_eq!((stub.token_reviews(), stub.access_reviews()), (2, 2));
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(scrape(&running, Some(ALLOWED)).await?.status, 200);
    assert_eq!(
        (stub.token_reviews(), stub.access_reviews()),
        (3, 3),
        "asked again after the TTL"
    );
    running.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_scrapes_with_a_new_token_make_one_token_review() -> Result<(), BoxError> {
    let stub = stub().await?;
    // Slow answers keep the first review in flight while the other scrapes arrive.
    stub.set_delay(Duration::from_millis(300));
    let kube = kube(&stub.url(), &stub.ca_pem)?
        .timeout(Duration::from_secs(5))
        .build()?;
    let running = Running::start(server(&kube, &Registry::new())?).await?;
    let mut scrapes = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (addr, tls) = (running.addr, config(running.ca()?)?);
        scrapes.spawn(async move { get_with_token(addr, tls, "/metrics", ALLOWED).await });
    }
    let mut ok = 0;
    while let Some(done) = scrapes.join_next().await {
        let resp = done??;
        assert_eq!(resp.status, 200, "{}", resp.text());
        ok += 1;
    }
    assert_eq!(ok, 50);
    assert_eq!((stub.token_reviews(), stub.access_reviews()), (1, 1));
    running.stop().await
}

#[tokio::test]
async fn api_server_down_gives_500_and_errors_hold_no_token() -> Result<(), BoxError> {
    let (logs, _guard) = suite::logs::capture();
    let ca = suite::certs::TestCa::new()?;
    let (_reserved, down) = closed_address()?;
    let down = format!("https://{down}");
    let kube = kube(&down, &ca.pem())?.build()?;
    let running = Running::start(server(&kube, &Registry::new())?).await?;
    let started = Instant::now();
    let resp = scrape(&running, Some(ALLOWED)).await?;
    assert_eq!(resp.status, 500);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!resp.text().contains(ALLOWED));
    // Anonymous requests are authorized by review, so they fail the same way: never 200.
    assert_eq!(scrape(&running, None).await?.status, 500);

    let err = kube
        .authenticator()
        .authenticate(Some(ALLOWED))
        .await
        .err()
        .ok_or("an unreachable API server authenticated a token")?;
    let (shown, debug) = (err.to_string(), format!("{err:?}"));
    assert!(
        shown.contains("connecting to the Kubernetes API server"),
        "{shown}"
    );
    for text in [&shown, &debug, &logs.text()] {
        assert!(!text.contains(ALLOWED) && !text.contains(AGENT), "{text}");
    }
    running.stop().await
}

#[tokio::test]
async fn slow_api_server_gives_500_within_the_timeout_and_is_asked_again() -> Result<(), BoxError> {
    let stub = stub().await?;
    stub.set_delay(Duration::from_secs(3));
    let own = Registry::new();
    let kube = kube(&stub.url(), &stub.ca_pem)?
        .timeout(Duration::from_millis(300))
        .metrics(&own)
        .build()?;
    let running = Running::start(server(&kube, &own)?).await?;
    let started = Instant::now();
    assert_eq!(scrape(&running, Some(ALLOWED)).await?.status, 500);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");

    // The timeout was not cached: once the API server recovers, the same token works.
    stub.set_delay(Duration::ZERO);
    let resp = scrape(&running, Some(ALLOWED)).await?;
    assert_eq!(resp.status, 200);
    assert_eq!(stub.token_reviews(), 2);
    let error =
        r#"antrea_metrics_server_kube_reviews_total{result="error",review="TokenReview"} 1"#;
    assert!(resp.text().contains(error), "{}", resp.text());
    running.stop().await
}

#[tokio::test]
async fn a_refused_agent_token_gives_500() -> Result<(), BoxError> {
    let stub = stub().await?;
    let api = ApiServerConfig::new(&stub.url(), stub.ca_pem.as_bytes())?.bearer_token("stale");
    let kube = KubeAuth::builder(api).build()?;
    let running = Running::start(server(&kube, &Registry::new())?).await?;
    assert_eq!(scrape(&running, Some(ALLOWED)).await?.status, 500);
    assert_eq!(
        stub.violations(),
        vec![
            "/apis/authentication.k8s.io/v1/tokenreviews: not the agent's bearer token".to_owned()
        ]
    );
    let err = kube.authenticator().authenticate(Some(ALLOWED)).await.err();
    let err = err
        .ok_or("a refused review authenticated a token")?
        .to_string();
    assert!(err.contains("HTTP 401"), "{err}");
    running.stop().await
}

#[tokio::test]
async fn connections_the_api_server_closed_are_not_an_error() -> Result<(), BoxError> {
    let stub = stub().await?;
    let kube = kube(&stub.url(), &stub.ca_pem)?.build()?;
    let authenticator = kube.authenticator();
    authenticator.authenticate(Some(ALLOWED)).await?;
    for n in 0..5 {
        stub.drop_connections();
        // A new token each time, so every review goes to the API server.
        let token = format!("{ALLOWED}-{n}");
        authenticator.authenticate(Some(&token)).await?;
    }
    assert_eq!(stub.token_reviews(), 6);
    Ok(())
}

#[tokio::test]
async fn tokens_for_other_audiences_are_refused() -> Result<(), BoxError> {
    let stub = stub().await?;
    let ours = kube(&stub.url(), &stub.ca_pem)?
        .audiences(["https://kubernetes.default.svc"])
        .build()?;
    let running = Running::start(server(&ours, &Registry::new())?).await?;
    assert_eq!(scrape(&running, Some(ALLOWED)).await?.status, 200);
    running.stop().await?;

    let other = kube(&stub.url(), &stub.ca_pem)?
        .audiences(["antrea"])
        .build()?;
    let running = Running::start(server(&other, &Registry::new())?).await?;
    assert_eq!(scrape(&running, Some(ALLOWED)).await?.status, 401);
    assert_eq!(stub.violations(), Vec::<String>::new());
    running.stop().await
}
