//! The library in a user's dependency graph: small downstream crates, generated here, depend on
//! `antrea-metrics` by path with each shape of `prometheus` a user may have (its default
//! features, `process`, `protobuf` alone, none). Each builds and runs: it registers the agent's
//! metrics next to a counter of its own and checks the exposition.
//!
//! They share one target directory, `target/downstream/target`, so a second run only relinks;
//! the first needs crates.io (the workspace's `Cargo.lock` is copied in to keep versions).

use std::path::PathBuf;
use std::time::Duration;
use suite::group::{cargo, Group};

/// A cold build of a downstream crate (the server's TLS stack included) on two busy cores.
const BUILD_TIMEOUT: Duration = Duration::from_secs(1200);

struct Shape {
    name: &'static str,
    prometheus: &'static str,
    antrea_metrics_features: &'static [&'static str],
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The downstream crate's `main.rs`: registers, updates, encodes, and checks what a user sees.
fn main_rs(process: bool) -> String {
    let process = if process {
        "antrea_metrics::register_process_metrics(&registry).expect(\"process metrics\");\n    \
         let want_process = true;"
    } else {
        "let want_process = false;"
    };
    format!(
        r##"use antrea_metrics::format::Format;
use antrea_metrics::{{AgentMetrics, Exposition, FlowOp, Profile}};

fn main() {{
    let registry = prometheus::Registry::new();
    let agent = AgentMetrics::register(&registry, Profile::Latest).expect("register the agent");
    agent.ovs_flow_ops_count.get(FlowOp::Add).inc();
    agent.local_pod_count.set(12.0);
    // A family of the user's own, read back through prometheus' `proto` types.
    let own = prometheus::IntCounter::new("downstream_requests_total", "Requests.").unwrap();
    own.inc_by(3);
    registry.register(Box::new(own)).expect("register the user's counter");
    {process}
    let mut out = Vec::new();
    registry.encode(Format::Text, &mut out).expect("encode");
    let text = String::from_utf8(out).expect("utf-8");
    for line in [
        "antrea_agent_ovs_flow_ops_count{{operation=\"add\"}} 1\n",
        "antrea_agent_local_pod_count 12\n",
        "# TYPE downstream_requests_total counter\ndownstream_requests_total 3\n",
    ] {{
        assert!(text.contains(line), "missing {{line:?}} in:\n{{text}}");
    }}
    assert_eq!(text.contains("process_cpu_seconds_total"), want_process, "{{text}}");
    println!("downstream ok: {{}} lines", text.lines().count());
}}
"##
    )
}

fn build_and_run(shape: &Shape) {
    let base = root().join("target/downstream");
    let dir = base.join(shape.name);
    std::fs::create_dir_all(dir.join("src")).expect("crate folder");
    let features = shape
        .antrea_metrics_features
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let manifest = format!(
        "[package]\nname = \"downstream-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n\
         # Not a member of the antrea-metrics workspace that contains this folder.\n[workspace]\n\n\
         [dependencies]\nantrea-metrics = {{ path = {path:?}, features = [{features}] }}\n\
         prometheus = {prometheus}\n",
        name = shape.name,
        path = root().join("antrea-metrics"),
        prometheus = shape.prometheus,
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
    let process = shape.antrea_metrics_features.contains(&"process");
    std::fs::write(dir.join("src/main.rs"), main_rs(process)).expect("main.rs");
    // The workspace's versions: cargo drops the entries this crate does not use.
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("Cargo.lock");

    let log = base.join(format!("{}.log", shape.name));
    let mut cmd = cargo();
    cmd.current_dir(&dir)
        .args(["run", "--quiet"])
        .env("CARGO_TARGET_DIR", base.join("target"))
        // Debug info is not what these builds check; without it they compile and link faster.
        .env("CARGO_PROFILE_DEV_DEBUG", "false");
    let mut run = Group::spawn(&mut cmd, &log).expect("start cargo");
    let status = run.wait(BUILD_TIMEOUT).unwrap_or_else(|e| {
        panic!("downstream {}: {e}", shape.name);
    });
    let output = run.output();
    assert!(
        status.success() && output.contains("downstream ok"),
        "downstream {} ({status}), cargo said:\n{output}",
        shape.name
    );
}

#[test]
fn prometheus_with_default_features() {
    build_and_run(&Shape {
        name: "default",
        prometheus: "\"0.14\"",
        antrea_metrics_features: &[],
    });
}

#[test]
fn prometheus_process_with_server_and_process() {
    build_and_run(&Shape {
        name: "process-server",
        prometheus: "{ version = \"0.14\", default-features = false, features = [\"process\"] }",
        antrea_metrics_features: &["server", "process"],
    });
}

#[test]
fn prometheus_protobuf_only() {
    build_and_run(&Shape {
        name: "protobuf",
        prometheus: "{ version = \"0.14\", default-features = false, features = [\"protobuf\"] }",
        antrea_metrics_features: &[],
    });
}

#[test]
fn prometheus_without_default_features() {
    build_and_run(&Shape {
        name: "no-default",
        prometheus: "{ version = \"0.14\", default-features = false }",
        antrea_metrics_features: &[],
    });
}
