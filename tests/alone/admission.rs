//! No client without a token can keep a scraper out (issue #18): the three attacks the issue
//! found, run as the attacker would, each from at least four loopback addresses and holding for
//! the whole test, while a scraper with the token makes 20 scrapes, each on a new connection.
//! The guarantee (`docs/reliability.md`, "Admission: threat model and guarantee"): such a
//! scrape gets `200` within its deadline. The acceptance is 19 of 20 within 2 s each; the
//! figures are printed (`-- --nocapture`) and recorded in `docs/reliability.md`.
//!
//! The servers run with the test server's settings (`tests/support/serve.rs`: 1 s handshake
//! and header timeouts, 3 s idle timeout) and the default admission bounds (256 connections,
//! 64 per client, 1 s fresh-connection grace, 10 s send timeout). The attacks run one at a
//! time (they share two cores with the server and the scraper).
//!
//! `the_three_attacks_against_a_release_sim_agent` (ignored: it builds and starts the
//! simulator) runs the same attacks against `sim-agent`; with `--release` the simulator is a
//! release build: `cargo test --release --test alone admission:: -- --ignored --nocapture`.

use crate::gate::Runtime;
use antrea_sim::common::fds;
use prometheus::Registry;
use std::net::IpAddr;
use std::time::Duration;
use suite::attacks::{
    evict_and_reconnect, fresh_scrapes, hold_pin, loopback, silent_flood, zero_window_pin,
    zero_window_pins, Attack, Scrapes, Target,
};
use suite::client;
use suite::keepalive::KeepAlive;
use suite::serve::{self, Running, DEMO_LINE, TOKEN};
use suite::BoxError;

const SCRAPES: usize = 20;
const MIN_OK: usize = 19;
const WITHIN: Duration = Duration::from_secs(2);
const EVERY: Duration = Duration::from_millis(100);
/// How long the attack may take to be in place (256 TLS handshakes on a busy 2-core machine).
const SETUP_LIMIT: Duration = Duration::from_secs(60);
const NEEDED_FDS: u64 = 4096;

/// The attacks take turns: each needs the machine to itself to mean anything.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// 256 pins from five addresses, under the per-client bound of 64 (the first attack).
fn pin_sources(total: usize) -> Vec<(IpAddr, usize)> {
    let mut sources = Vec::new();
    let mut left = total;
    for last in 20..25 {
        let count = left.min(56);
        sources.push((loopback(last), count));
        left -= count;
    }
    sources
}

const SCRAPER: u8 = 1;

async fn start() -> Result<(Running, Registry, Target), BoxError> {
    let raised = fds::raise_open_file_limit()?;
    if raised.after.is_some_and(|limit| limit < NEEDED_FDS) {
        return Err(format!(
            "these tests need {NEEDED_FDS} file descriptors, the hard RLIMIT_NOFILE allows {:?}",
            raised.after
        )
        .into());
    }
    let registry = Registry::new();
    let server = Running::start(serve::builder()?.server_metrics(&registry)).await?;
    let target = Target {
        addr: server.addr,
        config: client::config(server.ca()?)?,
        token: TOKEN.to_owned(),
        expect: DEMO_LINE.to_owned(),
    };
    Ok((server, registry, target))
}

/// The server's own counter or gauge `name` (summed over its labels), or one labelled series.
fn server_metric(registry: &Registry, name: &str, label: Option<(&str, &str)>) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|f| f.name() == name)
        .flat_map(|f| f.get_metric().iter())
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

fn figures(registry: &Registry) -> String {
    let evicted = |reason| {
        server_metric(
            registry,
            "antrea_metrics_server_connections_evicted_total",
            Some(("reason", reason)),
        )
    };
    format!(
        "server holds {}; evicted handshake/silent/idle {}/{}/{}; refused {}",
        server_metric(registry, "antrea_metrics_server_connections", None),
        evicted("handshake"),
        evicted("silent"),
        evicted("idle"),
        server_metric(
            registry,
            "antrea_metrics_server_connections_rejected_total",
            None
        ),
    )
}

fn evictions(registry: &Registry) -> f64 {
    server_metric(
        registry,
        "antrea_metrics_server_connections_evicted_total",
        None,
    )
}

fn verdict(what: &str, scrapes: &Scrapes) -> Result<(), BoxError> {
    if scrapes.ok.len() < MIN_OK {
        return Err(format!("{what}: {scrapes}").into());
    }
    Ok(())
}

/// Attack 1: 256 HTTP/2 connections from five addresses hold a window of zero on a tokenless
/// request; every slot is taken by them before the scraper starts. Before the fix, 0 of 20.
#[test]
fn zero_window_pins_never_keep_a_scraper_out() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(4), async {
        let _serial = SERIAL.lock().await;
        let (server, registry, target) = start().await?;
        let attack = zero_window_pins(&target, &pin_sources(256));
        let took = attack.wait_held(256, SETUP_LIMIT).await?;
        let full = server_metric(&registry, "antrea_metrics_server_connections", None);
        let scrapes = fresh_scrapes(loopback(SCRAPER), &target, SCRAPES, EVERY, WITHIN).await;
        let still_held = attack
            .counters
            .held
            .load(std::sync::atomic::Ordering::Acquire);
        let figures = figures(&registry);
        let counters = attack.stop().await;
        println!(
        "zero-window pins: 256 held after {took:?}, server held {full}; {scrapes}; attacker at \
         the end: {still_held} held, {}; {figures}",
        Attack::summary(&counters)
    );
        assert_eq!(full, 256.0, "the attack took every slot before the scrapes");
        // The attack held throughout: the pins the scraper's connections displaced came back.
        assert!(still_held >= 200, "only {still_held} pins held at the end");
        verdict("zero-window pins", &scrapes)?;
        server.stop().await
    })
}

/// Attack 2: 4 addresses × 64 kept-alive connections after one `GET /healthz`, reconnecting
/// the instant one is closed. Before the fix, 0 to 4 of 20.
#[test]
fn evict_and_reconnect_never_keeps_a_scraper_out() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(4), async {
        let _serial = SERIAL.lock().await;
        let (server, registry, target) = start().await?;
        let sources: Vec<_> = (30..34).map(|last| (loopback(last), 64)).collect();
        let attack = evict_and_reconnect(&target, &sources);
        let took = attack.wait_held(256, SETUP_LIMIT).await?;
        let full = server_metric(&registry, "antrea_metrics_server_connections", None);
        let scrapes = fresh_scrapes(loopback(SCRAPER), &target, SCRAPES, EVERY, WITHIN).await;
        let still_held = attack
            .counters
            .held
            .load(std::sync::atomic::Ordering::Acquire);
        let figures = figures(&registry);
        let counters = attack.stop().await;
        let reconnects = counters
            .closed_by_server
            .load(std::sync::atomic::Ordering::Acquire);
        println!(
        "evict and reconnect: 256 held after {took:?}, server held {full}; {scrapes}; attacker \
         at the end: {still_held} held, {}; {figures}",
        Attack::summary(&counters)
    );
        assert_eq!(full, 256.0, "the attack took every slot before the scrapes");
        // The issue needed about 20 reconnects to win; each scrape displaces one at least.
        assert!(reconnects >= SCRAPES, "only {reconnects} reconnects");
        verdict("evict and reconnect", &scrapes)?;
        server.stop().await
    })
}

/// Attack 3: 254 zero-window pins from five addresses, and silent TCP connections (closed with
/// RST) from eight other addresses, paced at about 3,000 a second in all. Before the fix, 30
/// to 37 of 40.
#[test]
fn pins_and_a_flood_never_keep_a_scraper_out() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(4), async {
        let _serial = SERIAL.lock().await;
        let (server, registry, target) = start().await?;
        let pins = zero_window_pins(&target, &pin_sources(254));
        let took = pins.wait_held(254, SETUP_LIMIT).await?;
        let flood_sources: Vec<_> = (40..48).map(loopback).collect();
        let flood = silent_flood(&target, &flood_sources, Duration::from_micros(2667), 64);
        // Let the flood reach its pace before the first scrape.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let flooded_before = flood
            .counters
            .flooded
            .load(std::sync::atomic::Ordering::Acquire);
        let evicted_before = evictions(&registry);
        let started = std::time::Instant::now();
        let scrapes = fresh_scrapes(loopback(SCRAPER), &target, SCRAPES, EVERY, WITHIN).await;
        let flooded = flood
            .counters
            .flooded
            .load(std::sync::atomic::Ordering::Acquire)
            - flooded_before;
        let rate = flooded as f64 / started.elapsed().as_secs_f64();
        let evicted = evictions(&registry) - evicted_before;
        let figures = figures(&registry);
        let flood_counters = flood.stop().await;
        let pin_counters = pins.stop().await;
        println!(
            "pins and a flood: 254 pins held after {took:?}; flood {rate:.0} connections/s and \
         {evicted} evictions during the scrapes; {scrapes}; pins: {}; flood: {}; {figures}",
            Attack::summary(&pin_counters),
            Attack::summary(&flood_counters)
        );
        // What puts a scraper's handshake at risk is newcomers evicting while it runs: at least
        // ten per scrape. (The flood's rate is bounded by this process's own CPU: in a debug
        // build the pins' TLS handshakes, as they come back, take most of it.)
        assert!(
            evicted >= 10.0 * SCRAPES as f64,
            "only {evicted} evictions during the scrapes"
        );
        verdict("pins and a flood", &scrapes)?;
        server.stop().await
    })
}

/// Kept-alive connections that proved their token are never closed to make room: with every
/// slot held by them, a newcomer is refused at accept, and they go on scraping.
#[test]
fn connections_that_proved_a_token_are_never_evicted() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let registry = Registry::new();
        let builder = serve::builder()?
            .server_metrics(&registry)
            .max_connections(2);
        let server = Running::start(builder).await?;
        let config = client::config(server.ca()?)?;
        let mut scrapers = Vec::new();
        for _ in 0..2 {
            let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
            assert_eq!(conn.get("/metrics", Some(TOKEN)).await?.status, 200);
            scrapers.push(conn);
        }
        // Past the fresh-connection grace: nothing but proof keeps them.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        for _ in 0..3 {
            assert!(client::connect(server.addr, config.clone()).await.is_err());
        }
        let rejected = server_metric(
            &registry,
            "antrea_metrics_server_connections_rejected_total",
            Some(("reason", "busy")),
        );
        assert_eq!(rejected, 3.0);
        for conn in &mut scrapers {
            assert_eq!(conn.get("/metrics", Some(TOKEN)).await?.status, 200);
        }
        assert_eq!(evictions(&registry), 0.0);
        server.stop().await
    })
}

/// A token holder's HTTP/2 connection whose window stays at zero is closed by the send timeout
/// (1 s here), though its PINGs keep it from ever being idle; its slot is then free again.
#[test]
fn a_zero_window_is_closed_after_the_send_timeout_even_with_a_token() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(4), async {
        let _serial = SERIAL.lock().await;
        let registry = Registry::new();
        let builder = serve::builder()?
            .server_metrics(&registry)
            .send_timeout(Duration::from_secs(1));
        let server = Running::start(builder).await?;
        let target = Target {
            addr: server.addr,
            config: client::config(server.ca()?)?,
            token: TOKEN.to_owned(),
            expect: DEMO_LINE.to_owned(),
        };
        let mut pin = zero_window_pin(loopback(50), &target, "/metrics", Some(TOKEN)).await?;
        let closed = hold_pin(&mut pin, Duration::from_secs(8)).await;
        println!("a token holder's zero window: closed after {closed:?}");
        let closed = closed.ok_or("a zero window held for 8 s was not closed")?;
        // The idle timeout (3 s) never fires: PINGs arrive every second.
        assert!(
            closed >= Duration::from_millis(500),
            "closed after {closed:?}"
        );
        // The slot is given back as the connection's task ends, just after the socket closes.
        for _ in 0..100 {
            if server_metric(&registry, "antrea_metrics_server_connections", None) == 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let held = server_metric(&registry, "antrea_metrics_server_connections", None);
        assert_eq!(held, 0.0, "the slot was given back");
        server.stop().await
    })
}

/// The three attacks against `sim-agent` (a release build with `cargo test --release`), from
/// the same addresses; the simulator's defaults are the library's.
#[test]
#[ignore = "builds and starts sim-agent; run with --release --ignored for the issue's figures"]
fn the_three_attacks_against_a_release_sim_agent() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(4), async {
        use suite::sims::{Sim, TempDir};
        let _serial = SERIAL.lock().await;
        fds::raise_open_file_limit()?;
        let dir = TempDir::new("admission-sim")?;
        let token_file = dir.file("agent.token");
        let ca_file = dir.file("ca.pem");
        let _sim =
            Sim::start_on_loopback("sim-agent", &token_file, &ca_file, &["--duration", "600"])?;
        let target = Target {
            addr: _sim.addr,
            config: client::config(&std::fs::read_to_string(&ca_file)?)?,
            token: std::fs::read_to_string(&token_file)?.trim().to_owned(),
            expect: "antrea_agent_ovs_flow_ops_count".to_owned(),
        };
        let mut failed = Vec::new();

        let pins = zero_window_pins(&target, &pin_sources(256));
        let took = pins.wait_held(256, SETUP_LIMIT).await?;
        let scrapes = fresh_scrapes(loopback(SCRAPER), &target, SCRAPES, EVERY, WITHIN).await;
        let counters = pins.stop().await;
        println!(
            "sim-agent, zero-window pins (256 held after {took:?}): {scrapes}; {}",
            Attack::summary(&counters)
        );
        failed.extend(verdict("zero-window pins", &scrapes).err());

        let sources: Vec<_> = (30..34).map(|last| (loopback(last), 64)).collect();
        let reconnect = evict_and_reconnect(&target, &sources);
        let took = reconnect.wait_held(256, SETUP_LIMIT).await?;
        let scrapes = fresh_scrapes(loopback(SCRAPER), &target, SCRAPES, EVERY, WITHIN).await;
        let counters = reconnect.stop().await;
        println!(
            "sim-agent, evict and reconnect (256 held after {took:?}): {scrapes}; {}",
            Attack::summary(&counters)
        );
        failed.extend(verdict("evict and reconnect", &scrapes).err());

        let pins = zero_window_pins(&target, &pin_sources(254));
        let took = pins.wait_held(254, SETUP_LIMIT).await?;
        let flood_sources: Vec<_> = (40..48).map(loopback).collect();
        let flood = silent_flood(&target, &flood_sources, Duration::from_micros(2667), 64);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let scrapes = fresh_scrapes(loopback(SCRAPER), &target, SCRAPES, EVERY, WITHIN).await;
        let flood_counters = flood.stop().await;
        let pin_counters = pins.stop().await;
        println!(
            "sim-agent, pins and a flood (254 pins after {took:?}): {scrapes}; pins: {}; flood: {}",
            Attack::summary(&pin_counters),
            Attack::summary(&flood_counters)
        );
        failed.extend(verdict("pins and a flood", &scrapes).err());

        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("{failed:?}").into())
        }
    })
}
