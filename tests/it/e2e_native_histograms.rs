//! End to end: Debian's Prometheus started with `--enable-feature=native-histograms` scrapes the
//! simulated agent (`--native-histograms`) over HTTPS with the documented job
//! (`deploy/prometheus/prometheus-native.yml`), and the native histogram queries return data
//! (`histogram_quantile`, `histogram_count`, and every query of the native dashboard).
//! Needs Debian's `prometheus` (scripts/install-test-deps.sh).

use serde_json::Value;
use std::time::Duration;
use suite::prom::Prometheus;
use suite::sims::{Sim, TempDir};
use suite::BoxError;

/// Every wait of this test: polled every 250 ms, given up after 60 s.
const DEADLINE: Duration = Duration::from_secs(60);
const LATENCY: &str = "antrea_agent_ovs_flow_ops_latency_milliseconds";

fn repo_file(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// [`suite::prom::wait_until`] with this test's [`DEADLINE`].
fn wait_until(what: &str, check: impl FnMut() -> Result<bool, BoxError>) -> Result<(), BoxError> {
    suite::prom::wait_until(what, DEADLINE, check)
}

/// The float value of a one-sample instant vector, if it has one and it is a number.
fn scalar(result: &[Value]) -> Option<f64> {
    let v = result.first()?["value"][1].as_str()?.parse::<f64>().ok()?;
    v.is_finite().then_some(v)
}

#[test]
#[ignore = "needs Debian's prometheus: scripts/install-test-deps.sh, then --include-ignored"]
fn prometheus_with_native_histograms_queries_the_sim_agent() -> Result<(), BoxError> {
    suite::prom::binary()?;
    let dir = TempDir::new("e2e-native")?;
    std::fs::create_dir_all(dir.path().join("run"))?;
    let (token, ca) = (dir.file("run/agent.token"), dir.file("run/agent-ca.pem"));
    let flags = [
        "--seed",
        "11",
        "--tick-ms",
        "250",
        "--flow-poll-interval",
        "1s",
        "--native-histograms",
        // A safety net: the child stops by itself even if this test is killed.
        "--duration",
        "600",
    ];
    let agent = Sim::start_on_loopback("sim-agent", &token, &ca, &flags)?;
    let documented = std::fs::read_to_string(repo_file("deploy/prometheus/prometheus-native.yml"))?;
    assert_eq!(documented.matches("127.0.0.1:10350").count(), 1);
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        documented.replace("127.0.0.1:10350", &agent.addr.to_string()),
    )?;
    let prom = Prometheus::start_with(
        &config,
        dir.path(),
        DEADLINE,
        &["--enable-feature=native-histograms"],
    )?;

    // The stored series is a native histogram (a `histogram` value, no `_bucket` series).
    wait_until("a native latency histogram", || {
        let raw = prom.query(LATENCY)?;
        // A native sample is `"histogram": [time, {count, sum, buckets}]`, not `"value"`.
        Ok(raw.iter().any(|s| s["histogram"][1]["buckets"].is_array()))
    })?;
    assert!(prom.query(&format!("{LATENCY}_bucket"))?.is_empty());

    let p99 = format!("histogram_quantile(0.99, sum(rate({LATENCY}[1m])))");
    let count = format!("histogram_count(sum(rate({LATENCY}[1m])))");
    // rate() needs two scrapes of a moving histogram.
    wait_until(&p99, || {
        Ok(scalar(&prom.query(&p99)?).is_some_and(|v| v > 0.0))
    })?;
    wait_until(&count, || {
        Ok(scalar(&prom.query(&count)?).is_some_and(|v| v > 0.0))
    })?;

    // Every query of the native dashboard returns data.
    let text = std::fs::read_to_string(repo_file("deploy/grafana/antrea-dashboard-native.json"))?;
    let dashboard: Value = serde_json::from_str(&text)?;
    let exprs: Vec<&str> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        .collect();
    assert!(exprs.len() >= 5, "{exprs:?}");
    for e in exprs {
        wait_until(e, || Ok(!prom.query(e)?.is_empty()))?;
    }
    Ok(())
}
