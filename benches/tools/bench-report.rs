//! Turns one benchmark run (criterion's `target/criterion/**/new/*.json` plus the logs that
//! `benches/run-all.sh` writes) into the Markdown tables of BENCHMARKS.md: every figure as a
//! ratio to its baseline from the same run, with its target and whether it is met.
//!
//! ```text
//! cargo run --release -p antrea-metrics-bench --bin bench-report -- target/criterion target/bench-run
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use suite::BoxError;

/// One benchmark's time per iteration, in nanoseconds.
#[derive(Clone, Copy)]
struct Timing {
    /// The fastest sample: other processes on a shared VM only ever add time, so the fastest of
    /// a benchmark's samples is the best estimate of what the code itself costs.
    fastest: f64,
    /// Criterion's median, to show how far interference moved the rest.
    median: f64,
}

/// Every benchmark's timing, by criterion's `full_id`.
fn criterion_timings(root: &Path) -> Result<BTreeMap<String, Timing>, BoxError> {
    let mut times = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    let json = |path: &Path| -> Result<serde_json::Value, BoxError> {
        Ok(serde_json::from_str(&fs::read_to_string(path)?)?)
    };
    // Bounded by the directory tree criterion wrote.
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.ends_with("new/benchmark.json") {
                let id = json(&path)?;
                let est = json(&path.with_file_name("estimates.json"))?;
                let sample = json(&path.with_file_name("sample.json"))?;
                let numbers = |key: &str| -> Vec<f64> {
                    sample[key].as_array().map_or(Vec::new(), |a| {
                        a.iter().filter_map(serde_json::Value::as_f64).collect()
                    })
                };
                let fastest = numbers("times")
                    .iter()
                    .zip(numbers("iters"))
                    .map(|(t, n)| t / n)
                    .fold(f64::INFINITY, f64::min);
                let full_id = id["full_id"].as_str().unwrap_or_default().to_owned();
                let median = est["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
                times.insert(full_id, Timing { fastest, median });
            }
        }
    }
    Ok(times)
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

/// `≤`/`≥` targets: the text shown and whether `ratio` meets it.
fn verdict(ratio: f64, target: Option<(&str, f64)>) -> (String, &'static str) {
    match target {
        Some(("<=", t)) => (format!("≤ {t}"), if ratio <= t { "met" } else { "not met" }),
        Some((_, t)) => (format!("≥ {t}"), if ratio >= t { "met" } else { "not met" }),
        None => (String::new(), ""),
    }
}

fn hot_paths(times: &BTreeMap<String, Timing>, go: &[(String, f64)]) {
    let Some(r) = times
        .get("hot_paths/R: local AtomicU64 fetch_add relaxed")
        .copied()
    else {
        return;
    };
    println!(
        "### Hot paths (R = {} fastest sample, {} median)\n",
        fmt_ns(r.fastest),
        fmt_ns(r.median)
    );
    println!(
        "| operation | fastest sample | ratio to R | median | ratio to R (medians) | target | |"
    );
    println!("|---|---|---|---|---|---|---|");
    let targets: [(&str, (&str, f64)); 5] = [
        ("ours: counter inc, resolved handle", ("<=", 1.1)),
        (
            "ours: labeled counter inc, ByLabel get(FlowOp)",
            ("<=", 1.1),
        ),
        ("ours: gauge set", ("<=", 0.15)),
        (
            "ours: histogram observe (11 buckets), get(FlowOp)",
            ("<=", 4.0),
        ),
        ("ours: per-table set by id+name", ("<=", 5.0)),
    ];
    let order = ["R:", "ours", "prometheus:", "prometheus-client", "metrics"];
    for prefix in order {
        for (id, t) in times.iter().filter(|(k, _)| k.starts_with("hot_paths/")) {
            let name = &id["hot_paths/".len()..];
            if !name.starts_with(prefix) {
                continue;
            }
            let target = targets.iter().find(|t| t.0 == name).map(|t| t.1);
            let (goal, ok) = verdict(t.fastest / r.fastest, target);
            println!(
                "| {name} | {} | {:.2} | {} | {:.2} | {goal} | {ok} |",
                fmt_ns(t.fastest),
                t.fastest / r.fastest,
                fmt_ns(t.median),
                t.median / r.median
            );
        }
    }
    // Go's benchmarks report one figure (a mean over its own run), set against R's median.
    for (name, ns) in go {
        println!(
            "| client_golang: {name} | | | {} | {:.2} | | |",
            fmt_ns(*ns),
            ns / r.median
        );
    }
    println!();
}

/// Total throughput of 2 threads relative to 1 for the benchmark pair `base`, from medians.
fn throughput(times: &BTreeMap<String, Timing>, base: &str) -> Option<f64> {
    let one = times.get(&format!("{base}/1 thread"))?.median;
    let two = times.get(&format!("{base}/2 threads"))?.median;
    Some(2.0 * one / two)
}

fn contention(times: &BTreeMap<String, Timing>) {
    let ceiling = throughput(
        times,
        "contention/R: per-thread AtomicU64 fetch_add (no sharing)",
    );
    println!("### Contention: the same series from 2 threads\n");
    if let Some(c) = ceiling {
        println!("Ceiling C (two threads sharing nothing): {c:.2}x the throughput of one.\n");
    }
    println!("| operation | 1 thread (median) | 2 threads (median) | per-op cost, 2 vs 1 | total throughput, 2 vs 1 | throughput / C | target | |");
    println!("|---|---|---|---|---|---|---|---|");
    for (id, one) in times.iter().filter(|(k, _)| k.ends_with("/1 thread")) {
        let base = id.trim_end_matches("/1 thread");
        let Some(two) = times.get(&format!("{base}/2 threads")) else {
            continue;
        };
        // Medians: a 2-thread sample is fastest when the threads happened not to overlap, which
        // would hide exactly the contention measured here.
        let (one, two) = (&one.median, &two.median);
        let name = base.trim_start_matches("contention/");
        let (cost, throughput) = (two / one, 2.0 * one / two);
        let (t, ok) = match name {
            "ours: histogram observe" => verdict(cost, Some(("<=", 4.0))),
            "ours: sharded counter inc" => verdict(throughput, Some((">=", 1.9))),
            _ => (String::new(), ""),
        };
        let target = match name {
            "ours: histogram observe" => format!("cost {t}"),
            "ours: sharded counter inc" => format!("throughput {t}"),
            _ => t,
        };
        let of_ceiling = ceiling.map_or(String::new(), |c| format!("{:.2}", throughput / c));
        println!(
            "| {name} | {} | {} | {cost:.2} | {throughput:.2} | {of_ceiling} | {target} | {ok} |",
            fmt_ns(*one),
            fmt_ns(*two)
        );
    }
    println!();
}

fn scrape(times: &BTreeMap<String, Timing>, log: &str) {
    let base = times
        .get("scrape/prometheus: native gather + TextEncoder")
        .map(|t| t.fastest);
    let Some(base) = base else { return };
    println!("### Scrape of the realistic agent (baseline P = prometheus 0.14 native gather + TextEncoder)\n");
    for line in log.lines().filter(|l| l.starts_with("scrape content:")) {
        println!("{line}\n");
    }
    println!("| path | fastest sample | ratio to P | allocations per scrape | target | |\n|---|---|---|---|---|---|");
    for (id, t) in times.iter().filter(|(k, _)| k.starts_with("scrape/")) {
        let ns = &t.fastest;
        let name = &id["scrape/".len()..];
        let allocs = log
            .lines()
            .find_map(|l| l.strip_prefix(&format!("scrape allocations: {name}: ")))
            .map_or("", |rest| rest.split(',').next().unwrap_or(""));
        let target = (name == "ours: text").then_some(("<=", 0.5));
        let (t, ok) = verdict(ns / base, target);
        println!(
            "| {name} | {} | {:.3} | {allocs} | {t} | {ok} |",
            fmt_ns(*ns),
            ns / base
        );
    }
    println!();
}

/// The gzip group: each backend and level's time and compressed size on the realistic agent.
fn gzip(times: &BTreeMap<String, Timing>, log: &str) {
    let rows: Vec<_> = times
        .iter()
        .filter(|(k, _)| k.starts_with("gzip/"))
        .collect();
    if rows.is_empty() {
        return;
    }
    println!("### Gzip backends and levels (the realistic agent's exposition)\n");
    for line in log.lines().filter(|l| l.starts_with("gzip input:")) {
        println!("{line}\n");
    }
    println!("| backend and level | fastest sample | median | MB/s in | compressed |\n|---|---|---|---|---|");
    let input: f64 = log
        .lines()
        .find_map(|l| l.strip_prefix("gzip input: "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN);
    for (id, t) in rows {
        let name = &id["gzip/".len()..];
        let size = log
            .lines()
            .find_map(|l| l.strip_prefix(&format!("gzip size: {name}: ")))
            .unwrap_or("");
        println!(
            "| {name} | {} | {} | {:.0} | {size} |",
            fmt_ns(t.fastest),
            fmt_ns(t.median),
            input / t.fastest * 1e3
        );
    }
    println!();
}

/// `key=value` fields of a `scrape-load:` line, after its label.
fn fields(line: &str) -> (String, BTreeMap<String, String>) {
    let mut words = line.split_whitespace().skip(1);
    let label = words.next().unwrap_or_default().to_owned();
    let kv = words
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (label, kv)
}

fn server(log: &str) {
    let runs: Vec<_> = log
        .lines()
        .filter(|l| l.starts_with("scrape-load:"))
        .map(fields)
        .collect();
    if runs.is_empty() {
        return;
    }
    println!("### Server: keep-alive HTTPS scrapes with a bearer token\n");
    println!("MB/s and bytes/scrape count exposition bytes (inflated, with gzip); wire columns count the body as sent.\n");
    println!("| server | encoding | connections | scrapes/s | MB/s | bytes/scrape | wire MB/s | wire bytes/scrape | p50 ms | p99 ms | errors | VmRSS KiB | VmHWM KiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let get = |kv: &BTreeMap<String, String>, k: &str| kv.get(k).cloned().unwrap_or_default();
    for (label, kv) in &runs {
        let cols = [
            "encoding",
            "connections",
            "scrapes/s",
            "MB/s",
            "bytes/scrape",
            "wire_MB/s",
            "wire_bytes/scrape",
            "p50_ms",
            "p99_ms",
            "errors",
            "rss_kib",
            "hwm_kib",
        ];
        let cols: Vec<String> = cols.iter().map(|k| get(kv, k)).collect();
        println!("| {label} | {} |", cols.join(" | "));
    }
    // The best of a label's runs in one encoding at 16 connections (several rounds alternate
    // the servers; the best is the least disturbed by the other helpers' load).
    let at16 = |label: &str, encoding: &str, key: &str| {
        runs.iter()
            .filter(|(l, kv)| {
                l == label
                    && kv.get("connections").map(String::as_str) == Some("16")
                    && kv.get("encoding").map_or("identity", String::as_str) == encoding
            })
            .filter_map(|(_, kv)| kv.get(key)?.parse::<f64>().ok())
            .reduce(f64::max)
    };
    for (encoding, target) in [("identity", 1.5), ("gzip", 3.0)] {
        for server in ["ours", "sim-agent"] {
            let (Some(ours), Some(go)) = (
                at16(server, encoding, "MB/s"),
                at16("antrea-ref", encoding, "MB/s"),
            ) else {
                continue;
            };
            let (t, ok) = verdict(ours / go, Some((">=", target)));
            println!(
                "\nExposition bytes/s at 16 connections, {encoding}, {server} / antrea-ref: {:.2} (target {t}): {ok}.",
                ours / go
            );
        }
    }
    if let (Some(sim), Some(go)) = (
        at16("sim-agent", "gzip", "hwm_kib"),
        at16("antrea-ref", "gzip", "hwm_kib"),
    ) {
        let (t, ok) = verdict(sim / go, Some(("<=", 0.5)));
        println!(
            "\nVmHWM after the 16-connection runs, sim-agent / antrea-ref: {sim:.0} / {go:.0} KiB = {:.2} (target {t}): {ok}.",
            sim / go
        );
    }
    memory(log);
    println!();
}

/// `memory: LABEL rss_kib=N hwm_kib=N` lines: processes measured without a load generator's
/// line, such as the workload alone without the server.
fn memory(log: &str) {
    let lines: Vec<_> = log
        .lines()
        .filter(|l| l.starts_with("memory:"))
        .map(fields)
        .collect();
    for (label, kv) in &lines {
        let get = |k: &str| kv.get(k).map_or("", String::as_str);
        println!(
            "\n{label}: VmRSS {} KiB, VmHWM {} KiB.",
            get("rss_kib"),
            get("hwm_kib")
        );
    }
}

/// `BenchmarkName-2  N  123 ns/op ...` lines of `go test -bench` output.
fn go_benchmarks(log: &str) -> Vec<(String, f64)> {
    log.lines()
        .filter(|l| l.starts_with("Benchmark"))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next()?.trim_start_matches("Benchmark").to_owned();
            let ns = w.nth(1)?.parse().ok()?;
            Some((name, ns))
        })
        .collect()
}

fn main() -> std::process::ExitCode {
    suite::errors::exit_code_boxed(run())
}

fn run() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let criterion = PathBuf::from(args.next().unwrap_or_else(|| "target/criterion".into()));
    let logs = PathBuf::from(args.next().unwrap_or_else(|| "target/bench-run".into()));
    let read = |name: &str| fs::read_to_string(logs.join(name)).unwrap_or_default();
    let times = criterion_timings(&criterion)?;
    hot_paths(&times, &go_benchmarks(&read("perf-go.log")));
    contention(&times);
    scrape(&times, &read("criterion.log"));
    gzip(&times, &read("criterion.log"));
    server(&read("server.log"));
    Ok(())
}
