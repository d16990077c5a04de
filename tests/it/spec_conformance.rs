//! The descriptor table agrees with Antrea's facts (`tests/data/antrea-metrics.json`), entry by
//! entry, and holds nothing the facts lack.

use antrea_metrics::{catalogue, Profile, CATALOGUE};
use serde_json::Value;

fn spec() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/antrea-metrics.json"
    );
    let text = std::fs::read_to_string(path).expect("read spec");
    let v: Value = serde_json::from_str(&text).expect("parse spec");
    v["metrics"].as_array().expect("metrics array").clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

#[test]
fn every_spec_entry_matches_its_descriptor() {
    let _hint = suite::regen::hint();
    let spec = spec();
    // How many families there are is the facts' (tests/data, from scripts/regenerate.sh);
    // the_catalogue_has_nothing_the_spec_lacks checks the other direction.
    assert!(
        !spec.is_empty(),
        "tests/data/antrea-metrics.json lists no metric"
    );
    for m in &spec {
        let name = m["name"].as_str().expect("name");
        let d = catalogue::find(name).unwrap_or_else(|| panic!("{name} missing from CATALOGUE"));
        assert_eq!(
            d.component.map(|c| c.as_str()),
            m["component"].as_str(),
            "{name} component"
        );
        assert_eq!(d.metric_type.as_str(), m["type"], "{name} type");
        assert_eq!(d.stability.as_str(), m["stability"], "{name} stability");
        assert_eq!(d.help, m["help"], "{name} help");
        assert_eq!(d.labels, strings(&m["labels"]), "{name} labels");
        let startup: Vec<Vec<String>> = m["startup_label_values"]
            .as_array()
            .expect("startup")
            .iter()
            .map(strings)
            .collect();
        assert_eq!(d.startup, startup, "{name} startup series");
        let buckets: Vec<f64> = m
            .get("buckets")
            .and_then(Value::as_array)
            .map(|b| b.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        assert_eq!(d.buckets, buckets, "{name} buckets");
        // The spec names one release; a family that several release lines shipped the same
        // day lists them all (tests/it/antrea_edge_cases.rs checks those against Antrea's tags).
        let since = m["since"].as_str().expect("since");
        assert!(
            d.since == since || d.since.split(", ").any(|r| r == since),
            "{name} since {} (spec: {since})",
            d.since
        );
        let per_family = m.get("const_labels_per_series").is_some();
        assert_eq!(d.per_ip_family, per_family, "{name} ip_family series");
        if per_family {
            let fams: Vec<&str> = m["const_labels_per_series"]
                .as_array()
                .expect("const labels")
                .iter()
                .filter_map(|c| c["ip_family"].as_str())
                .collect();
            assert_eq!(fams, ["v4", "v6"], "{name} ip families");
        }
        check_v1_11(d, m);
    }
}

fn check_v1_11(d: &antrea_metrics::Descriptor, m: &Value) {
    let name = d.name;
    let present = m["in_v1_11"].as_bool().expect("in_v1_11");
    assert_eq!(
        d.exposed(Profile::V1_11).is_some(),
        present,
        "{name} in v1.11"
    );
    let Some(exposed) = d.exposed(Profile::V1_11) else {
        return;
    };
    let over = &m["v1_11"];
    let want_name = over["name"].as_str().unwrap_or(name);
    let want_help = over["help"].as_str().unwrap_or(d.help);
    assert_eq!(exposed.name, want_name, "{name} v1.11 name");
    assert_eq!(exposed.help, want_help, "{name} v1.11 help");
    let want_labels = over
        .get("labels")
        .map(strings)
        .unwrap_or_else(|| strings(&m["labels"]));
    assert_eq!(exposed.labels, want_labels, "{name} v1.11 labels");
}

#[test]
fn the_catalogue_has_nothing_the_spec_lacks() {
    let _hint = suite::regen::hint();
    let spec = spec();
    for d in CATALOGUE {
        assert!(
            spec.iter().any(|m| m["name"] == d.name),
            "{} is not in the spec",
            d.name
        );
    }
    assert_eq!(CATALOGUE.len(), spec.len());
}

#[test]
fn help_prefix_follows_component_base() {
    let _hint = suite::regen::hint();
    for d in CATALOGUE {
        let help = d.exposed_help(d.help);
        let prefix = format!("[{}] ", d.stability.as_str());
        assert!(
            help.starts_with(&prefix) && help.ends_with(d.help),
            "{}",
            d.name
        );
    }
}
