//! Antrea's Node IPAM families agree with the facts (`tests/data/antrea-node-ipam-metrics.json`):
//! opt-in on the controller, labeled by cluster CIDR, and exposed as Antrea's Go registration
//! exposes them (nothing until a CIDR set uses a family).

use antrea_metrics::format::Format;
use antrea_metrics::{catalogue, ClusterCidr, ControllerMetrics, Exposition, Profile};
use prometheus::{Registry, TextEncoder};
use serde_json::Value;

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn facts() -> Vec<Value> {
    let v: Value = serde_json::from_str(&data("antrea-node-ipam-metrics.json")).expect("parse");
    v["metrics"].as_array().expect("metrics").clone()
}

fn text(source: &dyn Exposition) -> String {
    let mut out = Vec::new();
    source.encode(Format::Text, &mut out).expect("encode");
    String::from_utf8(out).expect("utf-8")
}

fn cidr(text: &str) -> ClusterCidr {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_fact_matches_its_declaration() {
    let _hint = suite::regen::hint();
    let facts = facts();
    assert_eq!(facts.len(), catalogue::NODE_IPAM.len());
    for m in &facts {
        let name = m["name"].as_str().expect("name");
        let d = catalogue::NODE_IPAM
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("{name} is not declared"));
        assert_eq!(
            d.component.map(|c| c.as_str()),
            m["component"].as_str(),
            "{name}"
        );
        assert_eq!(d.metric_type.as_str(), m["type"], "{name}");
        assert_eq!(d.stability.as_str(), m["stability"], "{name}");
        assert_eq!(d.help, m["help"], "{name}");
        assert_eq!(d.labels, ["clusterCIDR"], "{name}");
        assert_eq!(m["labels"], serde_json::json!(["clusterCIDR"]), "{name}");
        assert!(d.startup.is_empty(), "{name}");
        assert_eq!(m["startup_label_values"], serde_json::json!([]), "{name}");
        let buckets: Vec<f64> = m
            .get("buckets")
            .and_then(Value::as_array)
            .map(|b| b.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        assert_eq!(d.buckets, buckets, "{name}");
        assert_eq!(d.since, m["since"], "{name}");
        assert!(!catalogue::CATALOGUE.iter().any(|c| c.name == name));
    }
}

#[test]
fn node_ipam_is_off_unless_asked_for() {
    let controller = ControllerMetrics::unregistered(Profile::Latest).expect("controller");
    assert!(controller.node_ipam.is_none());
    let on = ControllerMetrics::builder()
        .node_ipam(true)
        .build()
        .expect("on");
    assert!(on.node_ipam.is_some());
}

#[test]
fn an_idle_node_ipam_controller_exposes_nothing_more() {
    let _hint = suite::regen::hint();
    for (profile, golden) in [
        (Profile::Latest, "controller-latest"),
        (Profile::V1_11, "controller-v1.11"),
    ] {
        let registry = Registry::new();
        let controller = ControllerMetrics::builder()
            .profile(profile)
            .node_ipam(true)
            .register(&registry)
            .expect("register");
        let want = data(&format!("golden/{golden}.prom"));
        assert_eq!(text(&controller), want, "{profile}");
        let gathered = TextEncoder::new()
            .encode_to_string(&registry.gather())
            .expect("encode");
        assert_eq!(gathered, want, "{profile}");
    }
}

#[test]
fn a_used_cidr_set_is_exposed_as_antrea_exposes_it() {
    let _hint = suite::regen::hint();
    let facts = facts();
    let registry = Registry::new();
    let controller = ControllerMetrics::builder()
        .node_ipam(true)
        .register(&registry)
        .expect("register");
    let ipam = controller.node_ipam.as_ref().expect("node ipam");
    let v4 = ipam.cidr_set(cidr("10.244.0.0/16"));
    let v6 = ipam.cidr_set(cidr("fd00:10:244::/48"));
    v4.allocations().inc_by(3);
    v4.releases().inc();
    v4.usage().set(2.0 / 256.0);
    v4.allocation_tries_per_request().observe(1.0);
    v4.allocation_tries_per_request().observe(7.0);
    v6.allocations().inc();
    let text = text(&controller);
    for m in &facts {
        let name = m["name"].as_str().expect("name");
        let help = format!(
            "# HELP {name} [ALPHA] {}\n",
            m["help"].as_str().expect("help")
        );
        let kind = format!("# TYPE {name} {}\n", m["type"].as_str().expect("type"));
        assert!(text.contains(&(help + &kind)), "{name} HELP and TYPE");
    }
    for want in [
        "antrea_node_ipam_controller_cidrset_cidrs_allocations_total{clusterCIDR=\"10.244.0.0/16\"} 3\n",
        "antrea_node_ipam_controller_cidrset_cidrs_allocations_total{clusterCIDR=\"fd00:10:244::/48\"} 1\n",
        "antrea_node_ipam_controller_cidrset_cidrs_releases_total{clusterCIDR=\"10.244.0.0/16\"} 1\n",
        "antrea_node_ipam_controller_cidrset_usage_cidrs{clusterCIDR=\"10.244.0.0/16\"} 0.0078125\n",
        "antrea_node_ipam_controller_cidrset_allocation_tries_per_request_bucket{clusterCIDR=\"10.244.0.0/16\",le=\"1\"} 1\n",
        "antrea_node_ipam_controller_cidrset_allocation_tries_per_request_bucket{clusterCIDR=\"10.244.0.0/16\",le=\"25\"} 2\n",
        "antrea_node_ipam_controller_cidrset_allocation_tries_per_request_bucket{clusterCIDR=\"10.244.0.0/16\",le=\"625\"} 2\n",
        "antrea_node_ipam_controller_cidrset_allocation_tries_per_request_sum{clusterCIDR=\"10.244.0.0/16\"} 8\n",
        "antrea_node_ipam_controller_cidrset_allocation_tries_per_request_count{clusterCIDR=\"10.244.0.0/16\"} 2\n",
    ] {
        assert!(text.contains(want), "missing {want}");
    }
    // A family shows the CIDR sets that used it, and no others (Go's WithLabelValues).
    assert!(!text.contains("releases_total{clusterCIDR=\"fd00"));
    assert!(!text.contains("usage_cidrs{clusterCIDR=\"fd00"));
    // The Antrea families are unchanged, and the registry path writes the same bytes.
    let gathered = TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode");
    assert_eq!(gathered, text);
    let antrea: String = text
        .split_inclusive('\n')
        .filter(|l| !l.contains("antrea_node_ipam_"))
        .collect();
    assert_eq!(antrea, data("golden/controller-latest.prom"));
}

#[test]
fn handles_of_one_cidr_share_their_series() {
    let controller = ControllerMetrics::builder()
        .node_ipam(true)
        .build()
        .expect("on");
    let ipam = controller.node_ipam.as_ref().expect("node ipam");
    // Host bits are cleared as Go's ParseCIDR does: both name one CIDR set.
    let a = ipam.cidr_set(cidr("10.244.0.0/16"));
    let b = ipam.cidr_set(cidr("10.244.9.9/16"));
    a.allocations().inc();
    b.allocations().inc();
    assert_eq!(a.allocations().get(), 2);
    assert_eq!(b.cluster_cidr(), "10.244.0.0/16");
}
