//! End to end: the simulated agent and controller, scraped by a real Prometheus with the
//! project's own `deploy/prometheus/prometheus.yml` (ports and files rewritten for the test).
//!
//! Checks through Prometheus' HTTP API that both targets are up, that every family of both
//! components has series, that every PromQL expression of the Grafana dashboard returns data,
//! that every alerting and recording rule evaluates without error, and that a wrong token
//! makes a target `down` with a 401. Needs Debian's `prometheus` (scripts/install-test-deps.sh).

use antrea_metrics::{catalogue, Component, MetricType, Profile};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use suite::prom::Prometheus;
use suite::sims::{Sim, TempDir};
use suite::BoxError;

/// Every wait of this test: polled every 250 ms, given up after 60 s.
const DEADLINE: Duration = Duration::from_secs(60);

const WRONG_TOKEN_JOB: &str = "antrea-agents-wrong-token";

/// [`suite::prom::wait_until`] with this test's [`DEADLINE`].
fn wait_until(what: &str, check: impl FnMut() -> Result<bool, BoxError>) -> Result<(), BoxError> {
    suite::prom::wait_until(what, DEADLINE, check)
}

fn repo_file(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The deploy config with the simulators' real addresses, plus a job that sends a wrong token.
fn test_config(agent: &Sim, controller: &Sim) -> Result<String, BoxError> {
    let mut config = std::fs::read_to_string(repo_file("deploy/prometheus/prometheus.yml"))?;
    for (from, to) in [
        ("127.0.0.1:10350", agent.addr),
        ("127.0.0.1:10349", controller.addr),
    ] {
        assert_eq!(config.matches(from).count(), 1, "{from} in prometheus.yml");
        config = config.replace(from, &to.to_string());
    }
    // Appending a job is only valid while scrape_configs is the last top-level key.
    let last_top_level = config
        .lines()
        .rfind(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()));
    assert_eq!(
        last_top_level,
        Some("scrape_configs:"),
        "prometheus.yml layout"
    );
    config.push_str(&format!(
        r#"
  - job_name: {WRONG_TOKEN_JOB}
    scheme: https
    bearer_token_file: run/wrong.token
    tls_config:
      ca_file: run/agent-ca.pem
      server_name: localhost
    static_configs:
      - targets: ["{}"]
"#,
        agent.addr
    ));
    Ok(config)
}

fn start_sim(name: &str, dir: &TempDir, short: &str, extra: &[&str]) -> Result<Sim, BoxError> {
    let token = dir.file(&format!("run/{short}.token"));
    let ca = dir.file(&format!("run/{short}-ca.pem"));
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        &token,
        "--write-ca",
        &ca,
        "--seed",
        "7",
        "--tick-ms",
        "250",
        // A safety net: the children stop by themselves even if this test is killed.
        "--duration",
        "600",
    ];
    args.extend_from_slice(extra);
    Ok(Sim::start(name, &args)?)
}

/// The health of each job's targets: (job, health, last error).
fn targets(prom: &Prometheus) -> Result<Vec<(String, String, String)>, BoxError> {
    let data = prom.api("/api/v1/targets")?;
    let active = data["activeTargets"].as_array().ok_or("no activeTargets")?;
    Ok(active
        .iter()
        .map(|t| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (s(&t["labels"]["job"]), s(&t["health"]), s(&t["lastError"]))
        })
        .collect())
}

#[test]
#[ignore = "needs Debian's prometheus: scripts/install-test-deps.sh, then --include-ignored"]
fn prometheus_scrapes_both_simulators_and_every_dashboard_query_has_data() -> Result<(), BoxError> {
    let started = Instant::now();
    // Fail early and clearly when Prometheus is missing, before building anything.
    suite::prom::binary()?;
    let dir = TempDir::new("e2e-prometheus")?;
    std::fs::create_dir_all(dir.path().join("run"))?;
    suite::certs::write_private(dir.path().join("run/wrong.token"), "not-the-token\n")?;
    // Native histograms on in the agent, off in this Prometheus: it asks for text and gets the
    // classic buckets, so the classic dashboard keeps working (tests/e2e_native_histograms.rs
    // covers a Prometheus with the feature on).
    let agent_args = ["--flow-poll-interval", "1s", "--native-histograms"];
    let agent = start_sim("sim-agent", &dir, "agent", &agent_args)?;
    let controller = start_sim("sim-controller", &dir, "controller", &[])?;

    // Prometheus resolves the relative run/ paths against the config's directory.
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, test_config(&agent, &controller)?)?;
    std::fs::copy(
        repo_file("deploy/prometheus/antrea-alerts.yml"),
        dir.path().join("antrea-alerts.yml"),
    )?;
    let prom = Prometheus::start(&config, dir.path(), DEADLINE)?;

    wait_until(
        "both targets up and the wrong-token target down with 401",
        || {
            let t = targets(&prom)?;
            let health = |job: &str| {
                t.iter()
                    .find(|(j, _, _)| j == job)
                    .map(|(_, h, e)| (h.as_str(), e.as_str()))
            };
            let up = |job| matches!(health(job), Some(("up", _)));
            let refused = matches!(health(WRONG_TOKEN_JOB), Some(("down", e)) if e.contains("401"));
            Ok(up("antrea-agents") && up("antrea-controllers") && refused)
        },
    )?;
    let t = targets(&prom)?;
    assert!(
        t.iter()
            .any(|(j, _, e)| j == WRONG_TOKEN_JOB && e.contains("401 Unauthorized")),
        "{t:?}"
    );

    // Every family of both processes has series, from the right job.
    for (component, job) in [
        (Component::Agent, "antrea-agents"),
        (Component::Controller, "antrea-controllers"),
    ] {
        for d in catalogue::for_process(component, Profile::Latest) {
            let name = match d.metric_type {
                MetricType::Histogram => format!("{}_count", d.name),
                _ => d.name.to_owned(),
            };
            let promql = format!("{name}{{job=\"{job}\"}}");
            wait_until(&promql, || Ok(!prom.query(&promql)?.is_empty()))?;
        }
    }

    // Every dashboard query returns data; rate() needs two scrapes, hence the wait.
    let exprs = suite::prom::dashboard_exprs()?;
    assert!(
        exprs.len() >= 30,
        "only {} dashboard queries found",
        exprs.len()
    );
    let mut empty: Vec<&String> = exprs.iter().collect();
    wait_until("every dashboard query to return data", || {
        let mut still = Vec::new();
        for e in &empty {
            if prom.query(e)?.is_empty() {
                still.push(*e);
            }
        }
        empty = still;
        if !empty.is_empty() {
            return Err(format!("no data yet for {empty:#?}").into());
        }
        Ok(true)
    })?;

    // The alert and recording rules evaluate against real series without error.
    wait_until("every rule evaluated without error", || {
        let groups = prom.api("/api/v1/rules")?;
        let rules: Vec<&Value> = groups["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        let bad: Vec<_> = rules
            .iter()
            .filter(|r| r["health"] != "ok")
            .map(|r| (&r["name"], &r["health"], &r["lastError"]))
            .collect();
        if !bad.is_empty() {
            return Err(format!("rules not ok: {bad:?}").into());
        }
        Ok(!rules.is_empty())
    })?;
    eprintln!("end-to-end checks passed in {:?}", started.elapsed());
    check_config_paths(&config)
}

/// The rewritten config still points at the files the simulators wrote.
fn check_config_paths(config: &Path) -> Result<(), BoxError> {
    let dir = config.parent().ok_or("config has no directory")?;
    for f in [
        "run/agent.token",
        "run/agent-ca.pem",
        "run/controller.token",
        "run/controller-ca.pem",
    ] {
        assert!(dir.join(f).is_file(), "{f} was not written");
    }
    Ok(())
}
