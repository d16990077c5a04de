//! A bounded soak of the HTTPS `/metrics` server (issue #6, part 5): N keep-alive TLS scrapers
//! and M hot-path updaters on loopback for a fixed time, then a report of scrapes/s, scrape
//! latency (p50/p99/max), errors, RSS growth and open descriptors before/after.
//!
//! ```text
//! cargo run --release -p antrea-metrics-bench --bin soak -- --seconds 60 --scrapers 8 --updaters 2
//! ```
//!
//! Exits non-zero on any scrape error, on a final count that differs from the updates made, on
//! descriptors not back to their baseline, or on RSS growth above `--max-rss-growth-mib`.

use antrea_metrics::server::{MetricsServer, StaticTokens};
use antrea_metrics::{AgentMetrics, FlowOp, LabelValue, Profile, TableId};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use suite::client;
use suite::hostile::{open_fds, rss_kib};
use suite::keepalive::KeepAlive;
use suite::serve::Running;
use suite::BoxError;

const TOKEN: &str = "soak-token-5d2c8e71";

struct Options {
    seconds: u64,
    scrapers: usize,
    updaters: usize,
    max_rss_growth_mib: u64,
}

fn options() -> Result<Options, BoxError> {
    let mut o = Options {
        seconds: 60,
        scrapers: 8,
        updaters: 2,
        max_rss_growth_mib: 16,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => o.seconds = value.parse()?,
            "--scrapers" => o.scrapers = value.parse()?,
            "--updaters" => o.updaters = value.parse()?,
            "--max-rss-growth-mib" => o.max_rss_growth_mib = value.parse()?,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    // Bounds keep a typo from turning the soak into a day-long run or a fork bomb.
    if !(1..=3600).contains(&o.seconds) || !(1..=256).contains(&o.scrapers) || o.updaters > 16 {
        return Err("--seconds 1..=3600, --scrapers 1..=256, --updaters 0..=16".into());
    }
    Ok(o)
}

/// Updates every handle kind in batches until `stop`; returns how many flow-op increments.
fn update_until(agent: &AgentMetrics, stop: &AtomicBool) -> u64 {
    let mut done = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for i in 0..1000u64 {
            let op = FlowOp::ALL[(i % 3) as usize];
            agent.ovs_flow_ops_count.get(op).inc();
            agent
                .ovs_flow_ops_latency_milliseconds
                .get(op)
                .observe((i % 50) as f64 * 0.1);
            agent.local_pod_count.set((i % 110) as f64);
            agent
                .ovs_flow_count
                .table(TableId((i % 40) as u8), "SoakTable")
                .add(1.0);
        }
        done += 1000;
        // About a million updates a second per thread: far above a real agent, while leaving
        // the two cores of CI room for the scrapers.
        std::thread::sleep(Duration::from_millis(1));
    }
    done
}

/// Scrape latencies in fixed 10 µs buckets up to 200 ms (the last bucket holds the rest),
/// allocated before the RSS baseline so that recording them does not show as growth.
struct Latencies {
    buckets: Vec<u64>,
    max: Duration,
}

const BUCKET: Duration = Duration::from_micros(10);
const BUCKETS: usize = 20_000;

impl Latencies {
    fn new() -> Self {
        Self {
            buckets: vec![0; BUCKETS],
            max: Duration::ZERO,
        }
    }

    fn record(&mut self, d: Duration) {
        let i = (d.as_nanos() / BUCKET.as_nanos()) as usize;
        self.buckets[i.min(BUCKETS - 1)] += 1;
        self.max = self.max.max(d);
    }

    fn merge(&mut self, other: &Self) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.max = self.max.max(other.max);
    }

    fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The upper edge of the bucket holding the `p` quantile.
    fn quantile(&self, p: f64) -> Duration {
        let rank = ((self.count() as f64 * p).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return BUCKET * (i as u32 + 1);
            }
        }
        self.max
    }
}

/// Scrapes over one kept-alive connection until `deadline`; latencies, and errors (a failed
/// connection is replaced, so one error does not end the scraper).
async fn scrape_until(
    addr: SocketAddr,
    config: Arc<tokio_rustls::rustls::ClientConfig>,
    deadline: Instant,
    mut latencies: Latencies,
) -> (Latencies, u64) {
    let mut errors = 0u64;
    let mut conn = None;
    while Instant::now() < deadline {
        if conn.is_none() {
            match KeepAlive::connect(addr, config.clone()).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let started = Instant::now();
        match c.get("/metrics", Some(TOKEN)).await {
            Ok(resp) if resp.status == 200 => latencies.record(started.elapsed()),
            failed => {
                if errors == 0 {
                    let what = failed.map(|r| format!("status {}", r.status));
                    eprintln!("first scrape error on a connection: {what:?}");
                }
                errors += 1;
                conn = None;
            }
        }
    }
    (latencies, errors)
}

/// The sum of `antrea_agent_ovs_flow_ops_count` over its series, from one scrape.
async fn scraped_flow_ops(
    running: &Running,
    config: Arc<tokio_rustls::rustls::ClientConfig>,
) -> Result<f64, BoxError> {
    let resp = client::get_with_token(running.addr, config, "/metrics", TOKEN).await?;
    let mut sum = 0.0;
    for line in resp
        .text()
        .lines()
        .filter(|l| l.starts_with("antrea_agent_ovs_flow_ops_count{"))
    {
        sum += line.rsplit_once(' ').ok_or("no value")?.1.parse::<f64>()?;
    }
    Ok(sum)
}

fn main() -> std::process::ExitCode {
    suite::errors::exit_code_boxed(run())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn run() -> Result<(), BoxError> {
    let o = options()?;
    let registry = prometheus::Registry::new();
    let agent = AgentMetrics::register(&registry, Profile::Latest)?;
    let builder = MetricsServer::builder()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .server_metrics(&registry)
        .registry(registry)
        .static_tokens(StaticTokens::new([TOKEN.to_owned()]))
        .max_connections(o.scrapers + 8)
        // Every scraper may be mid-scrape at once; the default limit (4) would answer 503.
        .max_inflight_scrapes(o.scrapers);
    let running = Running::start(builder).await?;
    let config = client::config(running.ca()?)?;
    // Warm up (first handshake, first encode) before taking the baseline.
    scraped_flow_ops(&running, config.clone()).await?;
    let recorders: Vec<Latencies> = (0..o.scrapers).map(|_| Latencies::new()).collect();
    let (fds_before, rss_before) = (open_fds()?, rss_kib()?);

    let stop = Arc::new(AtomicBool::new(false));
    let updaters: Vec<_> = (0..o.updaters)
        .map(|_| {
            let (agent, stop) = (agent.clone(), Arc::clone(&stop));
            std::thread::spawn(move || update_until(&agent, &stop))
        })
        .collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(o.seconds);
    let scrapers: Vec<_> = recorders
        .into_iter()
        .map(|l| tokio::spawn(scrape_until(running.addr, config.clone(), deadline, l)))
        .collect();
    // The peak, and the RSS once 10% of the run is over: threads, connection buffers and
    // allocator arenas are in place by then, so later growth would be a leak.
    let (rss_peak, rss_warm) = (
        Arc::new(AtomicU64::new(rss_before)),
        Arc::new(AtomicU64::new(0)),
    );
    let sampler = {
        let (rss_peak, rss_warm) = (Arc::clone(&rss_peak), Arc::clone(&rss_warm));
        let warm_at = started + Duration::from_secs(o.seconds) / 10;
        tokio::spawn(async move {
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let rss = rss_kib().unwrap_or(0);
                rss_peak.fetch_max(rss, Ordering::Relaxed);
                if Instant::now() >= warm_at && rss_warm.load(Ordering::Relaxed) == 0 {
                    rss_warm.store(rss, Ordering::Relaxed);
                }
            }
        })
    };

    let (mut latencies, mut errors) = (Latencies::new(), 0u64);
    for scraper in scrapers {
        let (l, e) = scraper.await?;
        latencies.merge(&l);
        errors += e;
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut updates = 0u64;
    for updater in updaters {
        updates += updater.join().map_err(|_| "an updater panicked")?;
    }
    sampler.await?;
    let rss_after = rss_kib()?;
    let scraped = scraped_flow_ops(&running, config).await?;

    // The scrapers' connections are closed; give the server a bounded moment to see it.
    let mut fds_after = open_fds()?;
    for _ in 0..200 {
        if fds_after <= fds_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        fds_after = open_fds()?;
    }
    running.stop().await?;

    let secs = elapsed.as_secs_f64();
    let growth_kib = rss_after.saturating_sub(rss_before);
    println!("| figure | value |\n| --- | --- |");
    println!(
        "| duration | {secs:.1} s, {} scrapers, {} updaters |",
        o.scrapers, o.updaters
    );
    let scrapes = latencies.count();
    println!("| scrapes | {scrapes} ({:.0}/s) |", scrapes as f64 / secs);
    println!(
        "| scrape latency p50 / p99 / max | {:.2?} / {:.2?} / {:.2?} |",
        latencies.quantile(0.5),
        latencies.quantile(0.99),
        latencies.max
    );
    println!("| errors | {errors} |");
    println!(
        "| hot-path updates | {updates} ({:.0}/s), scraped total {scraped} |",
        updates as f64 / secs
    );
    let rss_warm = rss_warm.load(Ordering::Relaxed);
    println!(
        "| RSS before / at 10% / peak / end | {rss_before} / {rss_warm} / {} / {rss_after} KiB (growth {growth_kib} KiB, {} KiB after 10%) |",
        rss_peak.load(Ordering::Relaxed),
        rss_after.saturating_sub(rss_warm),
    );
    println!("| open fds before / after | {fds_before} / {fds_after} |");

    let mut failures = Vec::new();
    if errors > 0 {
        failures.push(format!("{errors} scrape errors"));
    }
    if scraped != updates as f64 {
        failures.push(format!("scraped {scraped} flow ops, made {updates}"));
    }
    if fds_after > fds_before {
        failures.push(format!("{} descriptors leaked", fds_after - fds_before));
    }
    if growth_kib > o.max_rss_growth_mib * 1024 {
        failures.push(format!("RSS grew {growth_kib} KiB"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}
