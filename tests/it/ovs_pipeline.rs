//! Antrea's OVS pipeline in the library agrees with the facts (`tests/data/ovs-pipeline.json`),
//! and an agent whose OVS has just connected exposes every documented agent family, with a 0
//! series for each of the pipeline's 29 tables, exactly as Antrea does.

use antrea_metrics::format::Format;
use antrea_metrics::{AgentMetrics, Exposition, Pipeline, Profile};
use serde_json::Value;

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn facts() -> Value {
    serde_json::from_str(&data("ovs-pipeline.json")).expect("parse ovs-pipeline.json")
}

/// The facts' profile key for `profile`.
fn key(profile: Profile) -> &'static str {
    profile.as_str()
}

/// `(id, name)` of every table the facts list for `profile`.
fn fact_tables(profile: Profile) -> Vec<(u64, String)> {
    let facts = facts();
    let tables = facts["profiles"][key(profile)]["tables"]
        .as_array()
        .expect("tables");
    let table = |t: &Value| {
        let id = t["id"].as_u64().expect("id");
        (id, t["name"].as_str().expect("name").to_owned())
    };
    tables.iter().map(table).collect()
}

fn connected_exposition(profile: Profile) -> String {
    let agent = AgentMetrics::unregistered(profile).expect("agent");
    agent.ovs_connected(&Pipeline::antrea_default());
    let mut out = Vec::new();
    agent.encode(Format::Text, &mut out).expect("encode");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn the_default_pipeline_is_antreas() {
    let _hint = suite::regen::hint();
    let ours: Vec<(u64, String)> = Pipeline::antrea_default()
        .tables()
        .map(|(id, name)| (u64::from(id.0), name.to_owned()))
        .collect();
    for profile in Profile::ALL {
        assert_eq!(ours, fact_tables(profile), "{profile}");
    }
    assert_eq!(ours.len(), 29);
}

#[test]
fn a_connected_agent_has_a_zero_series_per_table() {
    let _hint = suite::regen::hint();
    let facts = facts();
    for profile in Profile::ALL {
        let text = connected_exposition(profile);
        let labels = facts["profiles"][key(profile)]["metric_labels"]
            .as_array()
            .expect("metric_labels");
        let want: Vec<String> = fact_tables(profile)
            .iter()
            .map(|(id, name)| {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|l| match l.as_str() {
                        Some("table_id") => format!("table_id=\"{id}\""),
                        Some("table_name") => format!("table_name=\"{name}\""),
                        other => panic!("unknown label {other:?}"),
                    })
                    .collect();
                format!("antrea_agent_ovs_flow_count{{{}}} 0", pairs.join(","))
            })
            .collect();
        let mut got: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("antrea_agent_ovs_flow_count{"))
            .collect();
        let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
        // Prometheus orders series by label values as strings ("10" before "2").
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{profile}");
        assert!(
            text.contains("\nantrea_agent_ovs_total_flow_count 0\n"),
            "{profile}"
        );
    }
}

#[test]
fn a_connected_agent_exposes_every_documented_family() {
    let _hint = suite::regen::hint();
    let spec: Value = serde_json::from_str(&data("antrea-metrics.json")).expect("parse spec");
    for profile in Profile::ALL {
        let text = connected_exposition(profile);
        let mut checked = 0;
        for m in spec["metrics"].as_array().expect("metrics") {
            if m["component"] == "controller" {
                continue;
            }
            let name = match profile {
                Profile::Latest => m["name"].as_str(),
                Profile::V1_11 if m["in_v1_11"] == false => continue,
                Profile::V1_11 => m["v1_11"]["name"].as_str().or(m["name"].as_str()),
                other => panic!("the facts describe no profile {other}"),
            }
            .expect("name");
            let sample = |l: &&str| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([' ', '{', '_']))
            };
            assert!(text.lines().any(|l| sample(&l)), "{profile}: {name}");
            checked += 1;
        }
        assert_eq!(checked, if profile == Profile::Latest { 23 } else { 19 });
    }
}

#[test]
fn connecting_is_the_startup_exposition_plus_the_table_series() {
    let _hint = suite::regen::hint();
    for profile in Profile::ALL {
        let golden = data(&format!("golden/agent-{}.prom", key(profile)));
        let text = connected_exposition(profile);
        let without: String = text
            .split_inclusive('\n')
            .filter(|l| {
                !l.starts_with("antrea_agent_ovs_flow_count{")
                    && !l.starts_with("# HELP antrea_agent_ovs_flow_count ")
                    && !l.starts_with("# TYPE antrea_agent_ovs_flow_count ")
            })
            .collect();
        assert_eq!(without, golden, "{profile}");
        assert_ne!(text, golden, "{profile}");
    }
}

#[test]
fn a_reconnection_resets_every_table_and_the_total() {
    let agent = AgentMetrics::unregistered(Profile::Latest).expect("agent");
    let pipeline = Pipeline::antrea_default();
    agent.ovs_connected(&pipeline);
    for (id, name) in pipeline.tables() {
        agent.ovs_flow_count.set(id, name, 2.0);
    }
    agent.ovs_total_flow_count.set(58.0);
    agent.ovs_connected(&pipeline);
    for (id, name) in pipeline.tables() {
        assert_eq!(agent.ovs_flow_count.table(id, name).get(), 0.0, "{name}");
    }
    assert_eq!(agent.ovs_total_flow_count.get(), 0.0);
}

#[test]
fn another_feature_set_gets_its_own_ids() {
    // TrafficControl on: Antrea realizes its table right after L2ForwardingCalc.
    let pipeline = Pipeline::antrea_default()
        .with_after("L2ForwardingCalc", ["TrafficControl"])
        .expect("valid pipeline");
    let agent = AgentMetrics::unregistered(Profile::Latest).expect("agent");
    agent.ovs_connected(&pipeline);
    let mut out = Vec::new();
    agent.encode(Format::Text, &mut out).expect("encode");
    let text = String::from_utf8(out).expect("utf-8");
    let series = |id: u8, name: &str| {
        format!("antrea_agent_ovs_flow_count{{table_id=\"{id}\",table_name=\"{name}\"}} 0\n")
    };
    assert!(text.contains(&series(22, "TrafficControl")));
    assert!(text.contains(&series(23, "IngressSecurityClassifier")));
    assert!(text.contains(&series(29, "Output")));
    assert!(!text.contains(&series(28, "Output")));
    let tables = text
        .lines()
        .filter(|l| l.starts_with("antrea_agent_ovs_flow_count{"))
        .count();
    assert_eq!(tables, 30);
}
