//! Exactness under concurrency (issue #6, part 1): threads update every typed handle kind while
//! other tasks scrape over TLS the whole time; every scrape is internally consistent and never
//! goes backwards, and the last one equals the exact totals.

use antrea_metrics::{AgentMetrics, CounterMode, FlowOp, LabelValue, Profile, TableId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use suite::client;
use suite::keepalive::KeepAlive;
use suite::serve::{self, Running, TOKEN};
use suite::BoxError;

/// Updater threads per wave: more than the 16 per-thread shards of a histogram or sharded
/// counter, so the shared shard (atomic read-modify-writes) is used too.
const THREADS: usize = 20;
/// Two waves, one after the other: the second's threads take over shards released by the
/// first's, so a value handed from one owner thread to the next is checked too.
const WAVES: usize = 2;
const UPDATERS: usize = THREADS * WAVES;
const ITERATIONS: usize = 2_500;
const SCRAPERS: usize = 2;
/// Scrapes that must complete while the updaters are half-way, so reads really overlap writes.
const SCRAPES_MID_RUN: usize = 6;
const OPS: [FlowOp; 3] = [FlowOp::Add, FlowOp::Modify, FlowOp::Delete];
const TABLES: [(u8, &str); 4] = [
    (0, "PipelineRootClassifier"),
    (10, "Classifier"),
    (20, "SpoofGuard"),
    (255, "Output"),
];
/// Large enough that the error counters pass 1e6 and print as Go does (`8e+06`).
const ERROR_STEP: u64 = 100;

/// The latency observed at iteration `i`: multiples of 0.5, so every sum is exact in f64.
fn latency(i: usize) -> f64 {
    (i % 8) as f64 * 0.5
}

fn update(agent: &AgentMetrics, i: usize) {
    let op = OPS[i % OPS.len()];
    agent.ovs_flow_ops_count.get(op).inc();
    agent.ovs_flow_ops_error_count.get(op).inc_by(ERROR_STEP);
    agent
        .ovs_flow_ops_latency_milliseconds
        .get(op)
        .observe(latency(i));
    agent.local_pod_count.add(1.0);
    let (id, name) = TABLES[i % TABLES.len()];
    agent.ovs_flow_count.table(TableId(id), name).add(1.0);
}

/// Series (everything before the value) to value, for one exposition.
fn parse(text: &str) -> Result<HashMap<String, f64>, BoxError> {
    let mut values = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').ok_or("a line without a value")?;
        values.insert(series.to_owned(), value.parse::<f64>()?);
    }
    Ok(values)
}

fn get(values: &HashMap<String, f64>, series: &str) -> f64 {
    values.get(series).copied().unwrap_or(f64::NAN)
}

fn latency_series(op: FlowOp, suffix: &str) -> String {
    format!(
        "antrea_agent_ovs_flow_ops_latency_milliseconds_{suffix}{{operation=\"{}\"{}}}",
        op.as_str(),
        if suffix == "bucket" {
            ",le=\"+Inf\""
        } else {
            ""
        }
    )
}

/// Checks one mid-run scrape: `_count` equals the `+Inf` bucket, buckets are cumulative, and
/// no counter went down since the previous scrape on this connection.
fn check_consistent(values: &HashMap<String, f64>, previous: &HashMap<String, f64>) {
    for op in OPS {
        assert_eq!(
            get(values, &latency_series(op, "count")),
            get(values, &latency_series(op, "bucket"))
        );
        let prefix = format!(
            "antrea_agent_ovs_flow_ops_latency_milliseconds_bucket{{operation=\"{}\"",
            op.as_str()
        );
        let mut buckets: Vec<(f64, f64)> = values
            .iter()
            .filter(|(series, _)| series.starts_with(&prefix))
            .map(|(series, v)| {
                let le = series
                    .rsplit("le=\"")
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches("\"}");
                (le.parse::<f64>().unwrap_or(f64::INFINITY), *v)
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "buckets not cumulative: {buckets:?}"
        );
    }
    for (series, before) in previous {
        let monotonic =
            series.contains("_count{") || series.contains("_sum{") || series.contains("_bucket{");
        if monotonic && series.starts_with("antrea_agent_ovs_flow_ops") {
            assert!(
                get(values, series) >= *before,
                "{series} went down from {before}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraped_totals_are_exact_under_concurrent_updates() -> Result<(), BoxError> {
    exact_under_concurrency(CounterMode::Plain).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharded_counters_are_exact_under_concurrent_updates() -> Result<(), BoxError> {
    exact_under_concurrency(CounterMode::Sharded).await
}

async fn exact_under_concurrency(counters: CounterMode) -> Result<(), BoxError> {
    let registry = prometheus::Registry::new();
    let agent = AgentMetrics::builder()
        .profile(Profile::Latest)
        .counters(counters)
        .register(&registry)?;
    let server = Running::start(serve::builder()?.registry(registry)).await?;
    let config = client::config(server.ca()?)?;
    let scrapes = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(30);

    let mut scrapers = Vec::new();
    for _ in 0..SCRAPERS {
        let mut conn = KeepAlive::connect(server.addr, config.clone()).await?;
        let (scrapes, done) = (Arc::clone(&scrapes), Arc::clone(&done));
        scrapers.push(tokio::spawn(async move {
            let mut previous = HashMap::new();
            while !done.load(Ordering::Acquire) && Instant::now() < deadline {
                let resp = conn.get("/metrics", Some(TOKEN)).await?;
                assert_eq!(resp.status, 200);
                let values = parse(&resp.text())?;
                check_consistent(&values, &previous);
                previous = values;
                scrapes.fetch_add(1, Ordering::AcqRel);
            }
            Ok::<_, BoxError>(())
        }));
    }

    for _ in 0..WAVES {
        let updaters: Vec<_> = (0..THREADS)
            .map(|_| {
                let (agent, scrapes) = (agent.clone(), Arc::clone(&scrapes));
                std::thread::spawn(move || {
                    let start = scrapes.load(Ordering::Acquire);
                    for i in 0..ITERATIONS {
                        update(&agent, i);
                        // Half-way, hold on until enough scrapes ran during the updates
                        // (bounded by the deadline).
                        while i == ITERATIONS / 2
                            && scrapes.load(Ordering::Acquire) < start + SCRAPES_MID_RUN
                            && Instant::now() < deadline
                        {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        for updater in updaters {
            tokio::task::spawn_blocking(move || updater.join())
                .await?
                .map_err(|_| "an updater panicked")?;
        }
    }
    done.store(true, Ordering::Release);
    for scraper in scrapers {
        scraper.await??;
    }
    assert!(
        scrapes.load(Ordering::Acquire) >= SCRAPES_MID_RUN,
        "scrapes did not overlap the updates"
    );

    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    let text = resp.text();
    let values = parse(&text)?;
    let total = (UPDATERS * ITERATIONS) as f64;
    assert_eq!(get(&values, "antrea_agent_local_pod_count"), total);
    for (k, op) in OPS.iter().enumerate() {
        let mine: Vec<usize> = (0..ITERATIONS).filter(|i| i % OPS.len() == k).collect();
        let count = (UPDATERS * mine.len()) as f64;
        let sum = UPDATERS as f64 * mine.iter().map(|i| latency(*i)).sum::<f64>();
        let label = format!("{{operation=\"{}\"}}", op.as_str());
        assert_eq!(
            get(&values, &format!("antrea_agent_ovs_flow_ops_count{label}")),
            count
        );
        assert_eq!(
            get(
                &values,
                &format!("antrea_agent_ovs_flow_ops_error_count{label}")
            ),
            count * ERROR_STEP as f64
        );
        assert_eq!(get(&values, &latency_series(*op, "count")), count);
        assert_eq!(get(&values, &latency_series(*op, "sum")), sum);
    }
    assert!(
        text.contains("e+06"),
        "the error counters print as Go does:\n{text}"
    );
    for (k, (id, name)) in TABLES.iter().enumerate() {
        let per_table =
            (UPDATERS * (0..ITERATIONS).filter(|i| i % TABLES.len() == k).count()) as f64;
        let series =
            format!("antrea_agent_ovs_flow_count{{table_id=\"{id}\",table_name=\"{name}\"}}");
        assert_eq!(get(&values, &series), per_table, "{series}");
    }
    server.stop().await
}
