//! The same series updated from 2 threads at once, against the same update from 1 thread.
//! Each figure is the wall time of one operation per thread: equal to the 1-thread figure when
//! two threads scale perfectly (2x the throughput), twice it when they get no more done than
//! one. Total throughput relative to 1 thread = 2 x (1-thread time) / (2-thread time).

use antrea_metrics::{AgentMetrics, Counter, FlowOp};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Runs `op` `iters` times on each of `threads` threads, started together, and returns the
/// wall time from the common start to the last thread's end (thread start-up excluded).
///
/// Thread `i` is pinned to the `i`-th CPU the process may use: every sample starts new threads,
/// and the scheduler can take milliseconds to move two of them onto two CPUs, which would
/// measure its placement instead of the two threads working side by side.
fn run(threads: usize, iters: u64, op: &(impl Fn() + Sync)) -> Duration {
    let barrier = Barrier::new(threads);
    let cpus = core_affinity::get_core_ids().unwrap_or_default();
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let (barrier, cpu) = (&barrier, cpus.get(i).copied());
                s.spawn(move || {
                    if let Some(cpu) = cpu {
                        core_affinity::set_for_current(cpu);
                    }
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op();
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let start = spans.iter().map(|s| s.0).min();
    let end = spans.iter().map(|s| s.1).max();
    match (start, end) {
        (Some(start), Some(end)) => end - start,
        _ => Duration::ZERO,
    }
}

/// Benchmarks `op` with 1 and with 2 threads, as `{name}/1 thread` and `{name}/2 threads`.
fn pair(c: &mut Criterion, name: &str, op: impl Fn() + Sync) {
    let mut g = c.benchmark_group("contention");
    for threads in [1, 2] {
        let label = format!(
            "{name}/{threads} thread{}",
            if threads > 1 { "s" } else { "" }
        );
        g.bench_function(label, |b| b.iter_custom(|iters| run(threads, iters, &op)));
    }
    g.finish();
}

thread_local! {
    /// One atomic per thread: no sharing at all.
    static OWN: AtomicU64 = const { AtomicU64::new(0) };
}

fn contention(c: &mut Criterion) {
    // The ceiling: what two threads get when they share nothing. On an idle 2-core machine its
    // throughput ratio is about 2; when other processes hold a core it shows how much less.
    pair(c, "R: per-thread AtomicU64 fetch_add (no sharing)", || {
        OWN.with(|a| black_box(a).fetch_add(1, Ordering::Relaxed));
    });
    let shared = AtomicU64::new(0);
    pair(c, "R: shared AtomicU64 fetch_add", || {
        black_box(&shared).fetch_add(1, Ordering::Relaxed);
    });
    let agent = AgentMetrics::unregistered(antrea_metrics::Profile::Latest)
        .unwrap_or_else(|e| panic!("agent: {e}"));
    let add = agent.ovs_flow_ops_count.get(FlowOp::Add);
    pair(c, "ours: counter inc", || black_box(add).inc());
    let sharded = Counter::sharded();
    pair(c, "ours: sharded counter inc", || black_box(&sharded).inc());
    pair(c, "ours: histogram observe", || {
        let h = &black_box(&agent).ovs_flow_ops_latency_milliseconds;
        h.get(FlowOp::Add).observe(black_box(0.3))
    });
    pair(c, "ours: labeled lookup + inc", || {
        let a = black_box(&agent);
        a.ovs_flow_ops_count.get(black_box(FlowOp::Add)).inc()
    });
    let opts = prometheus::HistogramOpts::new("lat", "h")
        .buckets(antrea_metrics::catalogue::DEFAULT_BUCKETS.to_vec());
    let lat = prometheus::HistogramVec::new(opts, &["operation"])
        .unwrap_or_else(|e| panic!("histogram: {e}"));
    let child = lat.with_label_values(&["add"]);
    pair(c, "prometheus: histogram child observe", || {
        black_box(&child).observe(black_box(0.3))
    });
    let ops = prometheus::IntCounterVec::new(prometheus::Opts::new("ops", "h"), &["operation"])
        .unwrap_or_else(|e| panic!("counter: {e}"));
    pair(c, "prometheus: with_label_values inc", || {
        black_box(&ops).with_label_values(&["add"]).inc()
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = contention
}
criterion_main!(benches);
