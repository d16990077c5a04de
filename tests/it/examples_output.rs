//! The `exposition` example prints exactly Antrea's startup exposition, and `docs/metrics.md`
//! is what `metrics-reference` generates from the catalogue.

use std::path::PathBuf;
use std::process::Command;

/// An example binary built by `cargo test` (which builds every example) next to this test.
fn example(name: &str) -> Command {
    let mut dir = std::env::current_exe().expect("test path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path: PathBuf = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run the whole suite (`cargo test --workspace`), which builds the examples",
        path.display()
    );
    Command::new(path)
}

fn root(rel: &str) -> String {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

#[test]
fn exposition_prints_each_golden_file() {
    let _hint = suite::regen::hint();
    for component in ["agent", "controller"] {
        for profile in ["latest", "v1.11"] {
            let out = example("exposition")
                .args(["--component", component, "--profile", profile])
                .output()
                .expect("run exposition");
            assert!(out.status.success(), "{component}/{profile}: {out:?}");
            let want = root(&format!("tests/data/golden/{component}-{profile}.prom"));
            assert!(
                out.stdout == want.as_bytes(),
                "{component}/{profile}: output differs from the golden file"
            );
        }
    }
}

#[test]
fn exposition_ovs_connected_adds_a_zero_series_per_pipeline_table() {
    let _hint = suite::regen::hint();
    for profile in ["latest", "v1.11"] {
        let out = example("exposition")
            .args([
                "--component",
                "agent",
                "--profile",
                profile,
                "--ovs-connected",
            ])
            .output()
            .expect("run exposition");
        assert!(out.status.success(), "{profile}: {out:?}");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let tables: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("antrea_agent_ovs_flow_count{"))
            .collect();
        assert_eq!(tables.len(), 29, "{profile}");
        assert!(tables.iter().all(|l| l.ends_with("} 0")), "{profile}");
        let named = tables.iter().filter(|l| l.contains("table_name=")).count();
        assert_eq!(named, if profile == "latest" { 29 } else { 0 });
        let golden = root(&format!("tests/data/golden/agent-{profile}.prom"));
        let rest: String = text
            .split_inclusive('\n')
            .filter(|l| !l.contains("antrea_agent_ovs_flow_count"))
            .collect();
        assert_eq!(
            rest, golden,
            "{profile}: the rest is the startup exposition"
        );
    }
    let out = example("exposition")
        .args(["--component", "controller", "--ovs-connected"])
        .output()
        .expect("run exposition");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn exposition_rejects_bad_arguments() {
    let out = example("exposition")
        .args(["--profile", "v9"])
        .output()
        .expect("run exposition");
    assert_eq!(out.status.code(), Some(2));
    // A sentence, not a Debug dump, then the usage.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: unknown profile \"v9\""),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn metrics_reference_is_current() {
    let _hint = suite::regen::hint();
    let out = example("metrics-reference").output().expect("run");
    assert!(out.status.success());
    assert!(
        out.stdout == root("docs/metrics.md").as_bytes(),
        "docs/metrics.md is stale: run `scripts/regenerate.sh`"
    );
}

#[test]
fn exposition_writes_raw_protobuf_and_openmetrics() {
    let _hint = suite::regen::hint();
    use crate::proto::MetricFamily;
    use prost::Message;
    let run = |format: &str, extra: &[&str]| {
        let out = example("exposition")
            .args(["--component", "agent", "--format", format])
            .args(extra)
            .output()
            .expect("run exposition");
        assert!(out.status.success(), "{format}: {out:?}");
        out.stdout
    };
    // The raw delimited stream: the golden file's families, in its order.
    let golden = root("tests/data/golden/agent-latest.prom");
    let want: Vec<&str> = golden
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    for extra in [&[][..], &["--native-histograms"]] {
        let bytes = run("protobuf", extra);
        let mut rest = &bytes[..];
        let mut names = Vec::new();
        while !rest.is_empty() {
            let mf = MetricFamily::decode_length_delimited(&mut rest).expect("delimited message");
            // Every histogram series has native buckets with the flag, none without it.
            let histogram = mf.r#type() == crate::proto::MetricType::Histogram;
            for m in &mf.metric {
                let native = m.histogram.as_ref().is_some_and(|h| h.schema.is_some());
                assert_eq!(native, histogram && !extra.is_empty(), "{}", mf.name());
            }
            names.push(mf.name().to_owned());
        }
        assert_eq!(names, want);
    }
    let om = String::from_utf8(run("openmetrics", &[])).expect("utf-8");
    assert!(om.ends_with("# EOF\n"));
    assert!(om.contains("# TYPE antrea_agent_ovs_flow_ops_count counter\n"));
    assert!(om.contains("antrea_agent_ovs_flow_ops_count_total{operation=\"add\"} 0\n"));
    // The default stays byte-equal to Antrea's text.
    assert!(run("text", &[]) == golden.as_bytes());
    let bad = example("exposition")
        .args(["--format", "yaml"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown exposition format \"yaml\""));
}
