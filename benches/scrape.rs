//! One scrape of a realistic agent (every agent and proxy family, 256 OVS tables, observed
//! histograms): our direct text encoder against `prometheus` 0.14's `gather()` +
//! `TextEncoder` on the same series, plus gzip at levels 1 and 6, and our protobuf and
//! OpenMetrics encoders (protobuf also with native histograms on every histogram) beside
//! `prometheus`' `gather()` + `ProtobufEncoder`. Allocations per scrape are counted by a
//! counting global allocator and printed before the timings.

use antrea_metrics::format::Format;
use antrea_metrics::{AgentMetrics, Exposition, NativeConfig, NativeHistograms};
use criterion::{criterion_group, criterion_main, Criterion};
use flate2::{write::GzEncoder, Compression};
use prometheus::{Encoder, ProtobufEncoder, Registry, TextEncoder};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The system allocator, counting allocations (reallocations included).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a side effect.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through `alloc`/`realloc` above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn ours(agent: &AgentMetrics) -> Vec<u8> {
    let mut out = Vec::new();
    agent
        .encode(Format::Text, &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

fn ours_in(agent: &AgentMetrics, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    agent
        .encode(format, &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

fn prometheus_text(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

fn prometheus_protobuf(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    ProtobufEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

fn gzip(text: &[u8], level: u32) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::new(level));
    gz.write_all(text).unwrap_or_else(|e| panic!("{e}"));
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `f` once and reports its allocations and output size.
fn report(name: &str, f: impl Fn() -> Vec<u8>) {
    black_box(f()); // warm: first-use allocations (series, buffers) are not per scrape
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let out = f();
    let n = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "scrape allocations: {name}: {n} per scrape, {} bytes",
        out.len()
    );
}

fn scrape(c: &mut Criterion) {
    let agent = suite::realistic::agent();
    let native_registry = suite::realistic::native_registry(&agent);
    let via_registry = Registry::new();
    via_registry
        .register(Box::new(agent.collector().clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let native = NativeHistograms::all(NativeConfig::default());
    let agent_native = AgentMetrics::builder()
        .native_histograms(native)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    suite::realistic::populate(&agent_native, 256);
    let text = ours(&agent);
    let (families, series) = count(&text);
    println!("scrape content: {families} families, {series} sample lines");
    report("ours: text", || ours(&agent));
    report("ours: text + gzip 1", || gzip(&ours(&agent), 1));
    report("ours: text + gzip 6", || gzip(&ours(&agent), 6));
    report("ours: protobuf", || ours_in(&agent, Format::Protobuf));
    report("ours: protobuf, native histograms", || {
        ours_in(&agent_native, Format::Protobuf)
    });
    report("ours: openmetrics", || ours_in(&agent, Format::OpenMetrics));
    report("prometheus: native gather + TextEncoder", || {
        prometheus_text(&native_registry)
    });
    report("prometheus: our collector, gather + TextEncoder", || {
        prometheus_text(&via_registry)
    });
    report("prometheus: native gather + ProtobufEncoder", || {
        prometheus_protobuf(&native_registry)
    });
    assert_eq!(
        count(&prometheus_text(&native_registry)),
        (families, series)
    );

    let mut g = c.benchmark_group("scrape");
    g.bench_function("ours: text", |b| b.iter(|| ours(black_box(&agent))));
    g.bench_function("ours: text + gzip 1", |b| {
        b.iter(|| gzip(&ours(black_box(&agent)), 1))
    });
    g.bench_function("ours: text + gzip 6", |b| {
        b.iter(|| gzip(&ours(black_box(&agent)), 6))
    });
    g.bench_function("ours: protobuf", |b| {
        b.iter(|| ours_in(black_box(&agent), Format::Protobuf))
    });
    g.bench_function("ours: protobuf, native histograms", |b| {
        b.iter(|| ours_in(black_box(&agent_native), Format::Protobuf))
    });
    g.bench_function("ours: openmetrics", |b| {
        b.iter(|| ours_in(black_box(&agent), Format::OpenMetrics))
    });
    g.bench_function("prometheus: native gather + TextEncoder", |b| {
        b.iter(|| prometheus_text(black_box(&native_registry)))
    });
    g.bench_function("prometheus: our collector, gather + TextEncoder", |b| {
        b.iter(|| prometheus_text(black_box(&via_registry)))
    });
    g.bench_function("prometheus: native gather + ProtobufEncoder", |b| {
        b.iter(|| prometheus_protobuf(black_box(&native_registry)))
    });
    g.finish();
}

/// `# TYPE` lines and sample lines of an exposition.
fn count(text: &[u8]) -> (usize, usize) {
    let lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    lines.fold((0, 0), |(f, s), l| match l.first() {
        Some(b'#') => (f + usize::from(l.starts_with(b"# TYPE")), s),
        _ => (f, s + 1),
    })
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = scrape
}
criterion_main!(benches);
