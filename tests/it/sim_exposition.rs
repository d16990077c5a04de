//! The simulated agent's and controller's `/metrics`, scraped over TLS with the token: every
//! family of the catalogue with the right HELP, type and label names, and simulated values
//! that are consistent in every scrape (flow total = sum of tables, Antrea-zone <= total <= max).

use antrea_metrics::{catalogue, Component, MetricType, Profile};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use suite::sims::{Sim, TempDir};
use suite::BoxError;

/// One sample line: metric name, label names and values, value.
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the sample lines of a text exposition (our label values hold no escaped quotes).
fn samples(text: &str) -> Result<Vec<Sample>, BoxError> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').ok_or("no value")?;
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').ok_or("unclosed labels")?;
                let pairs = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once("=\"").ok_or("bad label")?;
                        Ok((k.to_owned(), v.trim_end_matches('"').to_owned()))
                    })
                    .collect::<Result<_, BoxError>>()?;
                (name, pairs)
            }
        };
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse()?,
        };
        out.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    Ok(out)
}

/// Checks every family `component` exposes for `profile`: HELP, TYPE, series and label names.
fn check_conformance(text: &str, component: Component, profile: Profile) -> Result<(), BoxError> {
    let all = samples(text)?;
    let families = catalogue::for_process(component, profile);
    for d in &families {
        let e = d.exposed(profile).ok_or("absent family listed")?;
        let help = format!("# HELP {} {}", e.name, d.exposed_help(e.help));
        assert!(
            text.lines().any(|l| l == help),
            "{profile}: missing {help:?}"
        );
        let kind = format!("# TYPE {} {}", e.name, d.metric_type.as_str());
        assert!(
            text.lines().any(|l| l == kind),
            "{profile}: missing {kind:?}"
        );
        let suffixes: &[&str] = match d.metric_type {
            MetricType::Histogram => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        for suffix in suffixes {
            let name = format!("{}{suffix}", e.name);
            let mut want: BTreeSet<&str> = e.labels.iter().copied().collect();
            if d.per_ip_family {
                want.insert("ip_family");
            }
            if *suffix == "_bucket" {
                want.insert("le");
            }
            let series: Vec<_> = all.iter().filter(|s| s.name == name).collect();
            assert!(!series.is_empty(), "{profile}: no series of {name}");
            for s in series {
                let got: BTreeSet<&str> = s.labels.iter().map(|(k, _)| k.as_str()).collect();
                assert_eq!(got, want, "{profile}: label names of {name}");
            }
        }
    }
    // Nothing Antrea-named beyond the catalogue.
    for s in all.iter().filter(|s| s.name.starts_with("antrea_")) {
        let known = families.iter().filter_map(|d| d.exposed(profile)).any(|e| {
            s.name == e.name
                || ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|x| s.name == format!("{}{x}", e.name))
        });
        assert!(known, "{profile}: unexpected series {}", s.name);
    }
    Ok(())
}

/// The agent's invariants in one scrape.
fn check_agent_values(text: &str) -> Result<(), BoxError> {
    let all = samples(text)?;
    let one = |name: &str| -> Result<f64, BoxError> {
        let found = all.iter().find(|s| s.name == name);
        Ok(found.ok_or_else(|| format!("no {name}"))?.value)
    };
    let tables: Vec<_> = all
        .iter()
        .filter(|s| s.name == "antrea_agent_ovs_flow_count")
        .collect();
    let pipeline = antrea_metrics::Pipeline::antrea_default();
    assert_eq!(
        tables.len(),
        pipeline.len(),
        "one series per pipeline table"
    );
    assert_eq!(tables.len(), 29, "a default agent's pipeline");
    let sum: f64 = tables.iter().map(|s| s.value).sum();
    assert_eq!(
        sum,
        one("antrea_agent_ovs_total_flow_count")?,
        "total = sum of tables"
    );
    let antrea = one("antrea_agent_conntrack_antrea_connection_count")?;
    let total = one("antrea_agent_conntrack_total_connection_count")?;
    let max = one("antrea_agent_conntrack_max_connection_count")?;
    assert!(
        antrea <= total && total <= max,
        "{antrea} <= {total} <= {max}"
    );
    assert!(antrea > 0.0, "connections are simulated");
    Ok(())
}

/// Starts `name` with a fast tick on `threads` threads and returns it with its CA and token.
fn start(
    name: &str,
    dir: &TempDir,
    profile: Profile,
    threads: &str,
) -> Result<(Sim, String, String), BoxError> {
    start_with(name, dir, profile, threads, &[])
}

/// As [`start`], with `extra` arguments.
fn start_with(
    name: &str,
    dir: &TempDir,
    profile: Profile,
    threads: &str,
    extra: &[&str],
) -> Result<(Sim, String, String), BoxError> {
    let (token, ca) = (dir.file("run/token"), dir.file("run/ca.pem"));
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        &token,
        "--write-ca",
        &ca,
        "--profile",
        profile.as_str(),
        "--tick-ms",
        "20",
        "--seed",
        "11",
        "--duration",
        "120",
        "--threads",
        threads,
    ];
    if name == "sim-agent" {
        args.extend(["--flow-poll-interval", "50ms"]);
    }
    args.extend(extra);
    let sim = Sim::start(name, &args)?;
    let token = std::fs::read_to_string(&token)?.trim().to_owned();
    Ok((sim, std::fs::read_to_string(&ca)?, token))
}

async fn scrape(sim: &Sim, ca: &str, token: &str) -> Result<String, BoxError> {
    let config = suite::client::config(ca)?;
    let response = suite::client::get_with_token(sim.addr, config, "/metrics", token).await?;
    assert_eq!(response.status, 200, "{}", response.text());
    Ok(response.text())
}

#[tokio::test]
async fn agent_exposition_conforms_and_is_consistent_in_every_scrape() -> Result<(), BoxError> {
    // One thread, and two: then scrapes run on other threads than the steps, at the same time.
    for (profile, threads) in Profile::ALL.into_iter().zip(["1", "2"]) {
        let dir = TempDir::new("sim-expo-agent")?;
        let (sim, ca, token) = start("sim-agent", &dir, profile, threads)?;
        // Scrapes land at random points of the 20 ms steps and 50 ms polls, three at a time.
        for _ in 0..15 {
            let (a, b, c) = tokio::join!(
                scrape(&sim, &ca, &token),
                scrape(&sim, &ca, &token),
                scrape(&sim, &ca, &token)
            );
            for text in [a?, b?, c?] {
                check_conformance(&text, Component::Agent, profile)?;
                check_agent_values(&text)?;
            }
            tokio::time::sleep(Duration::from_millis(37)).await;
        }
    }
    Ok(())
}

#[tokio::test]
async fn controller_exposition_conforms() -> Result<(), BoxError> {
    for profile in Profile::ALL {
        let dir = TempDir::new("sim-expo-controller")?;
        let (sim, ca, token) = start("sim-controller", &dir, profile, "1")?;
        let text = scrape(&sim, &ca, &token).await?;
        check_conformance(&text, Component::Controller, profile)?;
        let queues: HashMap<_, _> = samples(&text)?
            .into_iter()
            .filter(|s| s.name.starts_with("antrea_controller_length_"))
            .map(|s| (s.name, s.value))
            .collect();
        assert_eq!(queues.len(), 3, "{queues:?}");
    }
    Ok(())
}

#[tokio::test]
async fn controller_with_node_ipam_exposes_its_cidr_set() -> Result<(), BoxError> {
    let dir = TempDir::new("sim-expo-ipam")?;
    let args = [
        "--node-ipam",
        "10.244.0.0/16",
        "--nodes",
        "20",
        "--node-churn",
        "3",
    ];
    let (sim, ca, token) = start_with("sim-controller", &dir, Profile::Latest, "1", &args)?;
    let families = catalogue::NODE_IPAM;
    let mut text = String::new();
    // Releases need a Node to leave: bounded wait over a few 20 ms steps.
    for _ in 0..50 {
        text = scrape(&sim, &ca, &token).await?;
        if families
            .iter()
            .all(|d| text.contains(&format!("\n{}", d.name)))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for d in families {
        let help = format!("# HELP {} [ALPHA] {}\n", d.name, d.help);
        assert!(text.contains(&help), "{}:\n{text}", d.name);
        let series = format!("{}{{clusterCIDR=\"10.244.0.0/16\"}} ", d.name);
        let bucket = format!(
            "{}_bucket{{clusterCIDR=\"10.244.0.0/16\",le=\"1\"}} ",
            d.name
        );
        assert!(
            text.contains(&series) || text.contains(&bucket),
            "{}:\n{text}",
            d.name
        );
    }
    // The Antrea families are all still there, unchanged in shape.
    let antrea: String = text
        .split_inclusive('\n')
        .filter(|l| !l.contains("antrea_node_ipam_"))
        .collect();
    check_conformance(&antrea, Component::Controller, Profile::Latest)?;
    Ok(())
}

#[test]
fn a_node_mask_that_does_not_split_the_cidr_is_a_usage_error() -> Result<(), BoxError> {
    let exe = suite::sims::examples_dir()?.join("sim-controller");
    let out = std::process::Command::new(exe)
        .args(["--node-ipam", "10.0.0.0/16", "--node-cidr-mask-size", "8"])
        .args(["--listen", "127.0.0.1:0", "--duration", "5"])
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--node-cidr-mask-size 8"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn a_wrong_token_gets_401() -> Result<(), BoxError> {
    let dir = TempDir::new("sim-expo-401")?;
    let (sim, ca, _) = start("sim-agent", &dir, Profile::Latest, "1")?;
    let config = suite::client::config(&ca)?;
    let response = suite::client::get_with_token(sim.addr, config, "/metrics", "wrong").await?;
    assert_eq!(response.status, 401);
    Ok(())
}
