//! One metric update, ours against the physical baseline R (one relaxed atomic add on a local
//! atomic) and against the same operation written with `prometheus` 0.14, `prometheus-client`
//! and `metrics` + `metrics-exporter-prometheus`. Ratios to R: see BENCHMARKS.md.

use antrea_metrics::{
    AgentMetrics, Counter, FlowOp, Histogram, IpFamily, NativeConfig, TableId, Unit,
};
use criterion::{criterion_group, criterion_main, Criterion};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Operations per timed iteration: enough to make the harness's per-iteration overhead (a
/// counter and a call) small next to a single store, without the compiler merging anything
/// (inputs go through `black_box`).
const BATCH: u32 = 16;

/// Times `op` on `state` in batches of [`BATCH`] and reports the time of one operation. The
/// state is hidden from the optimiser once per batch, as a hot loop holding a handle would be.
fn per_op<S, T>(b: &mut criterion::Bencher<'_>, state: &S, mut op: impl FnMut(&S) -> T) {
    b.iter_custom(|iters| {
        let start = Instant::now();
        for _ in 0..iters {
            let state = black_box(state);
            for _ in 0..BATCH {
                black_box(op(state));
            }
        }
        start.elapsed() / BATCH
    })
}

// Gauges are set to a constant: compilers do not merge atomic stores, and hiding the value
// would add a spill and reload that costs more than the store being measured.
// Every histogram observes the same value (0.3, the 5th of 11 buckets), so that all stacks
// search their buckets with the same, well-predicted branches.

/// Antrea's default buckets: 11 bounds, as `antrea_agent_ovs_flow_ops_latency_milliseconds`.
const BUCKETS: [f64; 11] = antrea_metrics::catalogue::DEFAULT_BUCKETS;

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("hot_paths");
    let local = AtomicU64::new(0);
    g.bench_function("R: local AtomicU64 fetch_add relaxed", |b| {
        // The result is dropped, as a counter's is: the CPU's plain locked add, not exchange-add.
        per_op(b, &local, |x| {
            x.fetch_add(1, Ordering::Relaxed);
        })
    });
    g.finish();
}

fn ours(c: &mut Criterion) {
    let agent = suite::realistic::agent();
    let mut g = c.benchmark_group("hot_paths");
    let add = agent.ovs_flow_ops_count.get(FlowOp::Add);
    g.bench_function("ours: counter inc, resolved handle", |b| {
        per_op(b, add, |x| x.inc())
    });
    g.bench_function("ours: labeled counter inc, ByLabel get(FlowOp)", |b| {
        per_op(b, &agent, |a: &AgentMetrics| {
            a.ovs_flow_ops_count.get(black_box(FlowOp::Add)).inc()
        })
    });
    let sharded = Counter::sharded();
    g.bench_function("ours: sharded counter inc", |b| {
        per_op(b, &sharded, |x| x.inc())
    });
    g.bench_function("ours: gauge set", |b| {
        per_op(b, &agent.local_pod_count, |x| x.set(3.0))
    });
    g.bench_function("ours: histogram observe (11 buckets), get(FlowOp)", |b| {
        per_op(b, &agent, |a| {
            let h = a
                .ovs_flow_ops_latency_milliseconds
                .get(black_box(FlowOp::Add));
            h.observe(black_box(0.3))
        })
    });
    // Table 3 is Antrea's `Classifier`, as the realistic agent names it.
    assert_eq!(suite::realistic::table_name(3), "Classifier");
    let table = agent.ovs_flow_count.table(TableId(3), "Classifier");
    g.bench_function("ours: per-table set, kept handle", |b| {
        per_op(b, &table, |x| x.set(10.0))
    });
    g.bench_function("ours: per-table set by id+name", |b| {
        per_op(b, &agent, |a| {
            let flows = &a.ovs_flow_count;
            flows.set(black_box(TableId(3)), black_box("Classifier"), 10.0)
        })
    });
    g.bench_function("ours: proxy per-family counter inc", |b| {
        per_op(b, &agent, |a| {
            let fam = a.proxy.family(black_box(IpFamily::V4));
            fam.total_services_updates.inc()
        })
    });
    g.finish();
}

/// One observation in each histogram mode, on a kept handle: classic buckets only (what every
/// Antrea family does by default), native buckets only (factor 1.1, schema 3), and both.
fn ours_native(c: &mut Criterion) {
    let mut g = c.benchmark_group("hot_paths");
    let native = NativeConfig::new(1.1).unwrap_or_else(|e| panic!("{e}"));
    let modes = [
        ("classic", Histogram::new(&BUCKETS, Unit::Milliseconds)),
        (
            "native",
            Histogram::with_native(&BUCKETS, Unit::Milliseconds, &native.classic_buckets(false)),
        ),
        (
            "classic + native",
            Histogram::with_native(&BUCKETS, Unit::Milliseconds, &native),
        ),
    ];
    for (mode, h) in &modes {
        g.bench_function(format!("ours: histogram observe, {mode}"), |b| {
            per_op(b, h, |x| x.observe(black_box(0.3)))
        });
        // The values client_golang's benchmarks observe (perf-go: `i % 1000 * 0.0001`), which
        // move across buckets: the cost with less predictable bucket searches.
        let mut i = 0u32;
        g.bench_function(
            format!("ours: histogram observe, {mode}, moving values"),
            |b| {
                per_op(b, h, |x| {
                    i = (i + 1) % 1000;
                    x.observe(f64::from(i) * 0.0001)
                })
            },
        );
    }
    g.finish();
}

fn prometheus_crate(c: &mut Criterion) {
    use prometheus::{GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts};
    let ops = IntCounterVec::new(Opts::new("ops", "h"), &["operation"]).unwrap_or_else(fail);
    let hopts = HistogramOpts::new("lat", "h").buckets(BUCKETS.to_vec());
    let lat = HistogramVec::new(hopts, &["operation"]).unwrap_or_else(fail);
    let flows =
        GaugeVec::new(Opts::new("flows", "h"), &["table_id", "table_name"]).unwrap_or_else(fail);
    let mut g = c.benchmark_group("hot_paths");
    g.bench_function("prometheus: counter with_label_values inc", |b| {
        per_op(b, &ops, |x| x.with_label_values(&["add"]).inc())
    });
    let child = ops.with_label_values(&["add"]);
    g.bench_function("prometheus: counter child inc", |b| {
        per_op(b, &child, |x| x.inc())
    });
    g.bench_function("prometheus: histogram with_label_values observe", |b| {
        per_op(b, &lat, |x| {
            x.with_label_values(&["add"]).observe(black_box(0.3))
        })
    });
    let hchild = lat.with_label_values(&["add"]);
    g.bench_function("prometheus: histogram child observe", |b| {
        per_op(b, &hchild, |x| x.observe(black_box(0.3)))
    });
    let gauge = flows.with_label_values(&["3", "Classifier"]);
    g.bench_function("prometheus: gauge child set", |b| {
        per_op(b, &gauge, |x| x.set(10.0))
    });
    g.bench_function("prometheus: per-table with_label_values set", |b| {
        per_op(b, &flows, |x| {
            let id = black_box(TableId(3)).to_string();
            x.with_label_values(&[id.as_str(), "Classifier"]).set(10.0)
        })
    });
    g.finish();
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum Operation {
    Add,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    operation: Operation,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table_id: u8,
    table_name: String,
}

fn prometheus_client_crate(c: &mut Criterion) {
    use prometheus_client::metrics::{
        counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
    };
    let ops = Family::<OpLabels, Counter>::default();
    let lat = Family::<OpLabels, Histogram>::new_with_constructor(|| Histogram::new(BUCKETS));
    let flows = Family::<TableLabels, Gauge<f64, AtomicU64>>::default();
    let add = OpLabels {
        operation: Operation::Add,
    };
    let mut g = c.benchmark_group("hot_paths");
    g.bench_function("prometheus-client: counter get_or_create inc", |b| {
        per_op(b, &ops, |x| x.get_or_create(black_box(&add)).inc())
    });
    let child = ops.get_or_create_owned(&add);
    g.bench_function("prometheus-client: counter handle inc", |b| {
        per_op(b, &child, |x| x.inc())
    });
    g.bench_function("prometheus-client: histogram get_or_create observe", |b| {
        per_op(b, &lat, |x| x.get_or_create(&add).observe(black_box(0.3)))
    });
    let gauge = Gauge::<f64, AtomicU64>::default();
    g.bench_function("prometheus-client: gauge set", |b| {
        per_op(b, &gauge, |x| x.set(10.0))
    });
    g.bench_function("prometheus-client: per-table get_or_create set", |b| {
        per_op(b, &flows, |x| {
            let labels = TableLabels {
                table_id: black_box(3),
                table_name: black_box("Classifier").to_owned(),
            };
            x.get_or_create(&labels).set(10.0)
        })
    });
    g.finish();
}

fn metrics_crate(c: &mut Criterion) {
    let _handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .and_then(|b| b.install_recorder())
        .unwrap_or_else(|e| panic!("metrics recorder: {e}"));
    let mut g = c.benchmark_group("hot_paths");
    g.bench_function("metrics: counter! with label inc", |b| {
        per_op(b, &(), |_| {
            metrics::counter!("ops", "operation" => "add").increment(1)
        })
    });
    let ops = metrics::counter!("ops", "operation" => "add");
    g.bench_function("metrics: registered counter inc", |b| {
        per_op(b, &ops, |x| x.increment(1))
    });
    g.bench_function("metrics: histogram! with label record", |b| {
        per_op(b, &(), |_| {
            metrics::histogram!("lat", "operation" => "add").record(black_box(0.3))
        })
    });
    let lat = metrics::histogram!("lat", "operation" => "add");
    g.bench_function("metrics: registered histogram record", |b| {
        per_op(b, &lat, |x| x.record(black_box(0.3)))
    });
    let gauge = metrics::gauge!("flows", "table_id" => "3", "table_name" => "Classifier");
    g.bench_function("metrics: registered gauge set", |b| {
        per_op(b, &gauge, |x| x.set(10.0))
    });
    g.bench_function("metrics: per-table gauge! set", |b| {
        per_op(b, &(), |_| {
            let id = black_box(TableId(3)).to_string();
            metrics::gauge!("flows", "table_id" => id, "table_name" => "Classifier").set(10.0)
        })
    });
    g.finish();
}

fn fail<T>(e: prometheus::Error) -> T {
    panic!("prometheus metric: {e}")
}

criterion_group! {
    name = hot_paths;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(40);
    targets = baseline, ours, ours_native, prometheus_crate, prometheus_client_crate, metrics_crate
}
criterion_main!(hot_paths);
