//! The metrics port cannot be starved (issue #12): floods of silent connections, a flood from
//! one address among well-behaved ones, a source that hangs, and evictions around requests in
//! flight. Every test ends with an authenticated scrape that must succeed.
//!
//! Attackers and scrapers stand at different loopback addresses (`127.0.0.2`, ...). The
//! servers here keep the default-sized handshake and header timeouts (10 s), longer than each
//! test, so no connection goes away by timing out: only admission makes room.
//!
//! `cargo test --test alone flood:: -- --nocapture` prints the figures.

use crate::gate::Runtime;
use antrea_metrics::server::{
    Authentication, Authenticator, BackendError, BoxFuture, MetricsServer, MetricsServerBuilder,
    UserInfo,
};
use antrea_sim::common::fds;
use prometheus::Registry;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use suite::client;
use suite::flood::{renew, Flood, Latencies, Waves, ISSUE_WAVES};
use suite::hostile::{assert_serves, open_fds, rss_kib, Gated};
use suite::keepalive::KeepAlive;
use suite::serve::{self, Running, DEMO_LINE, TOKEN};
use suite::BoxError;

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const SCRAPER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const MAX_CONNECTIONS: usize = 64;
/// At least 20 tries, one every 100 ms (the issue's acceptance).
const TRIES: usize = 25;
const EVERY: Duration = Duration::from_millis(100);
/// How often the attacker renews its flood while the scrapers scrape.
const RENEW_EVERY: Duration = Duration::from_millis(10);
/// The attacker's held connections, the renewal and the server's ends, with room to spare.
const NEEDED_FDS: u64 = 4096;
const GATED_LINE: &str = "gated_scrapes_total 1";

fn flood_builder() -> Result<MetricsServerBuilder, BoxError> {
    Ok(serve::builder()?
        .handshake_timeout(Duration::from_secs(10))
        .header_read_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(30))
        .max_connections(MAX_CONNECTIONS))
}

async fn start(builder: MetricsServerBuilder) -> Result<(Running, Registry), BoxError> {
    // The attackers hold 1,300 descriptors of this process; Go programs raise the soft limit to
    // the hard one the same way.
    let raised = fds::raise_open_file_limit()?;
    if raised.after.is_some_and(|limit| limit < NEEDED_FDS) {
        return Err(format!(
            "the flood tests need {NEEDED_FDS} file descriptors, the hard RLIMIT_NOFILE allows \
             {:?}; raise it (ulimit -Hn) for the test run",
            raised.after
        )
        .into());
    }
    let registry = Registry::new();
    let server = Running::start(builder.server_metrics(&registry)).await?;
    Ok((server, registry))
}

/// A series of the server's own metrics (`label` = `value`, or the unlabelled one).
fn server_metric(registry: &Registry, name: &str, label: Option<(&str, &str)>) -> f64 {
    let families = registry.gather();
    let Some(family) = families.iter().find(|f| f.name() == name) else {
        return f64::NAN;
    };
    family
        .get_metric()
        .iter()
        .filter(|m| {
            label.is_none_or(|(k, v)| {
                m.get_label()
                    .iter()
                    .any(|l| l.name() == k && l.value() == v)
            })
        })
        .map(|m| m.counter.value() + m.gauge.value())
        .sum()
}

fn evicted(registry: &Registry, reason: &str) -> f64 {
    server_metric(
        registry,
        "antrea_metrics_server_connections_evicted_total",
        Some(("reason", reason)),
    )
}

fn rejected(registry: &Registry) -> f64 {
    server_metric(
        registry,
        "antrea_metrics_server_connections_rejected_total",
        None,
    )
}

fn held(registry: &Registry) -> f64 {
    server_metric(registry, "antrea_metrics_server_connections", None)
}

/// Prints the flood figures recorded in `docs/reliability.md`.
fn report(what: &str, registry: &Registry, flood: &Flood, took: Duration, latencies: &Latencies) {
    println!(
        "{what}: flood of {} connections opened in {:.2} s ({} refused or cut short); server holds {} \
         (limit {MAX_CONNECTIONS}); evicted handshake/silent/idle {}/{}/{}; rejected {}; \
         {latencies}; process fds {}, RSS {} KiB",
        flood.opened(),
        took.as_secs_f64(),
        flood.failed,
        held(registry),
        evicted(registry, "handshake"),
        evicted(registry, "silent"),
        evicted(registry, "idle"),
        rejected(registry),
        open_fds().unwrap_or(0),
        rss_kib().unwrap_or(0),
    );
}

#[test]
fn silent_floods_never_keep_a_scraper_out() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let builder = flood_builder()?.max_connections_per_client(MAX_CONNECTIONS);
        let (server, registry) = start(builder).await?;
        let config = client::config(server.ca()?)?;
        let mut flood = Flood::new(ATTACKER, server.addr, config.clone());
        let started = Instant::now();
        flood.waves(ISSUE_WAVES).await;
        let took = started.elapsed();
        let (stop, renewing) = renew(ATTACKER, server.addr, RENEW_EVERY);
        let latencies =
            Latencies::scrape_from(SCRAPER, server.addr, config, TRIES, EVERY, DEMO_LINE).await?;
        report("one address floods", &registry, &flood, took, &latencies);
        let _ = stop.send(());
        let renewed = renewing.await?;
        println!("renewed during the scrapes: {renewed} more silent connections");

        assert!(held(&registry) <= MAX_CONNECTIONS as f64);
        // Both kinds of silence made room: connections in their handshake and after it.
        assert!(evicted(&registry, "handshake") > 0.0);
        assert!(evicted(&registry, "silent") > 0.0);
        assert_eq!(
            rejected(&registry),
            0.0,
            "nothing was busy, so nothing is refused"
        );
        assert!(renewed > 0, "the flood went on while the scraper scraped");
        assert_serves(&server).await?;
        drop(flood);
        server.stop().await
    })
}

/// Scrapes over one kept-alive connection from `source` every [`EVERY`] until stopped; fails on
/// any error (the connection must never be closed under it).
fn keep_scraping(
    source: IpAddr,
    server: &Running,
    config: Arc<tokio_rustls::rustls::ClientConfig>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<Latencies, BoxError>>,
) {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let addr = server.addr;
    let task = tokio::spawn(async move {
        let mut conn = KeepAlive::connect_from(source, addr, config).await?;
        let mut latencies = Latencies::default();
        for _ in 0..1000 {
            let started = Instant::now();
            let resp = conn.get("/metrics", Some(TOKEN)).await?;
            latencies.record(started.elapsed());
            if resp.status != 200 || !resp.text().contains(DEMO_LINE) {
                return Err(format!("keep-alive scrape from {source}: {}", resp.status).into());
            }
            tokio::select! {
                _ = &mut stopped => break,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
        Ok(latencies)
    });
    (stop, task)
}

#[test]
fn a_flood_from_one_address_leaves_the_other_addresses_scraping() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        const PER_CLIENT: usize = 16;
        let builder = flood_builder()?.max_connections_per_client(PER_CLIENT);
        let (server, registry) = start(builder).await?;
        let config = client::config(server.ca()?)?;
        // Three scrapers on kept-alive connections, as Prometheus servers scrape, from their own
        // addresses; they sit idle between scrapes, the state a flood would evict first.
        let scrapers: Vec<_> = (3..=5)
            .map(|last| keep_scraping(IpAddr::from([127, 0, 0, last]), &server, config.clone()))
            .collect();

        let mut flood = Flood::new(ATTACKER, server.addr, config.clone());
        let started = Instant::now();
        flood.waves(ISSUE_WAVES).await;
        let took = started.elapsed();
        let (stop, renewing) = renew(ATTACKER, server.addr, RENEW_EVERY);
        let fresh = IpAddr::from([127, 0, 0, 6]);
        let latencies =
            Latencies::scrape_from(fresh, server.addr, config, TRIES, EVERY, DEMO_LINE).await?;
        report(
            "one address floods, others scrape",
            &registry,
            &flood,
            took,
            &latencies,
        );
        let _ = stop.send(());
        renewing.await?;

        for (stop, task) in scrapers {
            let _ = stop.send(());
            let kept = task.await??;
            println!("  kept-alive scraper: {kept}");
            assert!(kept.count() >= TRIES, "{kept}");
        }
        // The attacker only ever made room among its own connections.
        assert!(held(&registry) <= (PER_CLIENT + 4) as f64);
        assert!(evicted(&registry, "handshake") > 0.0);
        assert_eq!(rejected(&registry), 0.0);
        assert_serves(&server).await?;
        drop(flood);
        server.stop().await
    })
}

#[test]
fn a_hung_source_holds_one_thread_and_every_scrape_ends_by_its_deadline() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let (gate, mut entered) = Gated::new();
        let gate = Arc::new(gate);
        let deadline = Duration::from_secs(3);
        let builder = serve::builder()?
            .exposition(gate.clone())
            .scrape_timeout(deadline)
            .idle_timeout(Duration::from_secs(10))
            .max_inflight_scrapes(2);
        let server = Running::start(builder).await?;
        let config = client::config(server.ca()?)?;
        let scrape = |extra: Option<&'static str>| {
            let config = config.clone();
            let addr = server.addr;
            tokio::spawn(async move {
                let auth = format!("Authorization: Bearer {TOKEN}");
                let mut lines = vec![auth.as_str()];
                lines.extend(extra);
                let started = Instant::now();
                let resp = client::request(addr, config, "GET", "/metrics", &lines).await?;
                Ok::<_, BoxError>((resp, started.elapsed()))
            })
        };
        let slack = Duration::from_millis(1500);

        // Two scrapes wait on one collection; a third finds both in-flight slots taken.
        let first = scrape(None);
        tokio::time::timeout(deadline, entered.recv())
            .await?
            .ok_or("gate dropped")?;
        let second = scrape(None);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (third, _) = scrape(None).await??;
        assert_eq!(third.status, 503);
        assert!(
            third.text().contains("Limit of concurrent requests"),
            "{}",
            third.text()
        );
        for waiting in [first, second] {
            let (resp, took) = waiting.await??;
            assert_eq!(resp.status, 503, "{}", resp.text());
            assert!(resp.text().contains("timed out"));
            assert_eq!(resp.header("retry-after"), Some("1"));
            assert!(took < deadline + slack, "{took:?}");
        }

        // Their slots came back at their deadline although the collection still hangs; a scraper
        // that gives up sooner is answered sooner.
        for _ in 0..3 {
            let (resp, took) = scrape(Some("X-Prometheus-Scrape-Timeout-Seconds: 0.5")).await??;
            assert_eq!(resp.status, 503, "{}", resp.text());
            assert!(resp.text().contains("timed out"), "{}", resp.text());
            assert!(took < Duration::from_millis(500) + slack, "{took:?}");
        }
        // Six scrapes, one collection: one blocked thread.
        assert!(entered.try_recv().is_err(), "a second collection started");

        // The source returns: scrapes succeed again.
        gate.release();
        let (resp, _) = scrape(None).await??;
        assert_eq!(resp.status, 200);
        assert!(resp.text().contains(GATED_LINE) && resp.text().contains(DEMO_LINE));
        assert_serves(&server).await?;
        server.stop().await
    })
}

#[test]
fn a_slow_scrape_in_progress_completes_while_a_flood_arrives() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let (gate, mut entered) = Gated::new();
        let gate = Arc::new(gate);
        let builder = flood_builder()?
            .exposition(gate.clone())
            .max_connections(16)
            .max_connections_per_client(16);
        let (server, registry) = start(builder).await?;
        let config = client::config(server.ca()?)?;
        let mut slow = KeepAlive::connect_from(SCRAPER, server.addr, config.clone()).await?;
        let in_flight = tokio::spawn(async move {
            let resp = slow.get("/metrics", Some(TOKEN)).await?;
            Ok::<_, BoxError>((slow, resp))
        });
        tokio::time::timeout(Duration::from_secs(5), entered.recv())
            .await?
            .ok_or("gate dropped")?;

        // Every slot but the busy one is taken and retaken many times over.
        let mut flood = Flood::new(ATTACKER, server.addr, config.clone());
        let started = Instant::now();
        flood
            .waves(Waves {
                tcp: 300,
                tls: 50,
                half_heads: 20,
            })
            .await;
        let took = started.elapsed();
        assert!(!in_flight.is_finished(), "the slow scrape ended early");
        assert!(evicted(&registry, "handshake") + evicted(&registry, "silent") >= 300.0);

        gate.release();
        let (mut slow, resp) = in_flight.await??;
        assert_eq!(resp.status, 200);
        assert!(resp.text().contains(GATED_LINE));
        // The same connection goes on serving.
        assert_eq!(slow.get("/metrics", Some(TOKEN)).await?.status, 200);
        println!(
        "flood of {} connections in {:.2} s around a scrape in flight: {} evictions, the scrape completed",
        flood.opened(),
        took.as_secs_f64(),
        evicted(&registry, "handshake") + evicted(&registry, "silent")
    );
        assert_serves(&server).await?;
        drop(flood);
        server.stop().await
    })
}

/// An authenticator that holds every request until released, announcing each: requests in
/// flight that a test can count (coinciding scrapes share one collection, so a gated source
/// announces only the first).
struct HeldAuth {
    entered: tokio::sync::mpsc::UnboundedSender<()>,
    release: tokio::sync::Semaphore,
}

impl Authenticator for HeldAuth {
    fn authenticate<'a>(
        &'a self,
        _token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Authentication, BackendError>> {
        Box::pin(async move {
            let _ = self.entered.send(());
            // Closed on release; bounded so that a failing test leaves nothing behind.
            let _ = tokio::time::timeout(Duration::from_secs(10), self.release.acquire()).await;
            Ok(Authentication::Authenticated(UserInfo {
                name: "scraper".to_owned(),
                uid: String::new(),
                groups: Vec::new(),
            }))
        })
    }
}

#[test]
fn when_every_connection_is_busy_the_new_one_is_refused() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let (entered_tx, mut entered) = tokio::sync::mpsc::unbounded_channel();
        let auth = Arc::new(HeldAuth {
            entered: entered_tx,
            release: tokio::sync::Semaphore::new(0),
        });
        let builder = MetricsServer::builder()
            .listen(SocketAddr::from((SCRAPER, 0)))
            .registry(serve::demo_registry()?)
            .authenticator(auth.clone())
            .handshake_timeout(Duration::from_secs(10))
            .header_read_timeout(Duration::from_secs(10))
            .max_connections(2);
        let (server, registry) = start(builder).await?;
        let config = client::config(server.ca()?)?;
        let mut busy = Vec::new();
        for _ in 0..2 {
            let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
            busy.push(tokio::spawn(async move {
                let status = conn.get("/metrics", Some(TOKEN)).await?.status;
                Ok::<_, BoxError>((conn, status))
            }));
            tokio::time::timeout(Duration::from_secs(5), entered.recv())
                .await?
                .ok_or("authenticator dropped")?;
        }
        // Both held connections have a request in flight: the new one is closed at accept.
        assert!(client::connect(server.addr, config.clone()).await.is_err());
        assert_eq!(
            server_metric(
                &registry,
                "antrea_metrics_server_connections_rejected_total",
                Some(("reason", "busy"))
            ),
            1.0
        );
        assert_eq!(rejected(&registry), 1.0);
        auth.release.close();
        let mut idle = Vec::new();
        for scrape in busy {
            let (conn, status) = scrape.await??;
            assert_eq!(status, 200);
            idle.push(conn);
        }
        // Idle again, but both proved their token: they are never evicted (issue #18), so a
        // newcomer is still refused.
        assert!(client::connect(server.addr, config.clone()).await.is_err());
        assert_eq!(rejected(&registry), 2.0);
        // One closes: its slot is free (given back as its task ends) and a newcomer is served.
        drop(idle.pop());
        for _ in 0..100 {
            if held(&registry) < 2.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
        assert_eq!(resp.status, 200);
        assert!(resp.text().contains(DEMO_LINE));
        assert_eq!(evicted(&registry, "idle"), 0.0);
        server.stop().await
    })
}

#[test]
fn an_http2_connection_is_evictable_only_while_no_stream_is_open() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let (gate, mut entered) = Gated::new();
        let gate = Arc::new(gate);
        let builder = flood_builder()?.exposition(gate.clone()).max_connections(2);
        let (server, registry) = start(builder).await?;
        let h2_config = client::config_h2(server.ca()?)?;
        let get = |path: &str| {
            http::Request::get(format!("https://localhost{path}"))
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(())
        };

        // One HTTP/2 connection that made a request and has no stream open now...
        let tls = client::connect(server.addr, h2_config.clone()).await?;
        let (send, conn) = h2::client::handshake(tls).await?;
        let idle_conn = tokio::spawn(conn);
        let mut send = send.ready().await?;
        let (resp, _) = send.send_request(get("/healthz")?, true)?;
        assert_eq!(resp.await?.status(), 200);
        // ...and one with a scrape open on a stream.
        let tls = client::connect(server.addr, h2_config).await?;
        let (send_busy, conn) = h2::client::handshake(tls).await?;
        let busy_conn = tokio::spawn(conn);
        let mut send_busy = send_busy.ready().await?;
        let (resp, _) = send_busy.send_request(get("/metrics")?, true)?;
        let scrape = tokio::spawn(resp);
        tokio::time::timeout(Duration::from_secs(5), entered.recv())
            .await?
            .ok_or("gate dropped")?;

        // A newcomer closes the idle HTTP/2 connection, not the busy one.
        let newcomer = client::connect(server.addr, client::config(server.ca()?)?).await?;
        tokio::time::timeout(Duration::from_secs(5), idle_conn)
            .await??
            .ok();
        assert_eq!(evicted(&registry, "idle"), 1.0);
        assert!(!busy_conn.is_finished() && !scrape.is_finished());
        gate.release();
        let resp = tokio::time::timeout(Duration::from_secs(5), scrape).await???;
        assert_eq!(resp.status(), 200);
        drop((newcomer, send, send_busy));
        assert_serves(&server).await?;
        server.stop().await
    })
}
