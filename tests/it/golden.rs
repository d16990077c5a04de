//! A freshly registered set exposes byte for byte what Antrea prints at startup
//! (`tests/data/golden/*.prom`, dumped from Prometheus' Go client with Antrea's definitions).

use antrea_metrics::format::Format;
use antrea_metrics::{AgentMetrics, ControllerMetrics, Exposition, Profile};
use prometheus::{Registry, TextEncoder};

fn golden(name: &str) -> String {
    let path = format!(
        "{}/tests/data/golden/{name}.prom",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Compares line by line so that a failure names the first differing line.
fn same(got: &str, want: &str, what: &str) {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{what}: line {}", i + 1);
    }
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "{what}: line count"
    );
    assert_eq!(got, want, "{what}: bytes");
}

fn check(name: &str, registry: &Registry, direct: &dyn Exposition) {
    let want = golden(name);
    let gathered = TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode");
    same(
        &gathered,
        &want,
        &format!("{name}: registry.gather() + TextEncoder"),
    );
    let sources: [(&str, &dyn Exposition); 2] = [
        ("encode(Text)", direct),
        ("Registry::encode(Text)", registry),
    ];
    for (what, source) in sources {
        let mut out = Vec::new();
        source.encode(Format::Text, &mut out).expect("encode");
        let got = String::from_utf8(out).expect("utf-8");
        same(&got, &want, &format!("{name}: {what}"));
    }
}

#[test]
fn agent_latest() {
    let _hint = suite::regen::hint();
    let r = Registry::new();
    let m = AgentMetrics::register(&r, Profile::Latest).expect("register");
    check("agent-latest", &r, &m);
}

#[test]
fn agent_v1_11() {
    let _hint = suite::regen::hint();
    let r = Registry::new();
    let m = AgentMetrics::register(&r, Profile::V1_11).expect("register");
    check("agent-v1.11", &r, &m);
}

#[test]
fn controller_latest() {
    let _hint = suite::regen::hint();
    let r = Registry::new();
    let m = ControllerMetrics::register(&r, Profile::Latest).expect("register");
    check("controller-latest", &r, &m);
}

#[test]
fn controller_v1_11() {
    let _hint = suite::regen::hint();
    let r = Registry::new();
    let m = ControllerMetrics::register(&r, Profile::V1_11).expect("register");
    check("controller-v1.11", &r, &m);
}

#[test]
fn registering_twice_is_an_error_and_changes_nothing() {
    let r = Registry::new();
    let _first = AgentMetrics::register(&r, Profile::Latest).expect("first");
    let before = TextEncoder::new()
        .encode_to_string(&r.gather())
        .expect("encode");
    let err = AgentMetrics::register(&r, Profile::Latest).expect_err("second must fail");
    assert!(
        err.to_string().contains("register each component once"),
        "{err}"
    );
    let after = TextEncoder::new()
        .encode_to_string(&r.gather())
        .expect("encode");
    assert_eq!(before, after);
}

#[test]
fn a_clashing_family_is_refused() {
    let r = Registry::new();
    let clash =
        prometheus::Gauge::new("antrea_agent_local_pod_count", "not Antrea's").expect("gauge");
    r.register(Box::new(clash)).expect("register clash");
    assert!(AgentMetrics::register(&r, Profile::Latest).is_err());
    // Nothing of the agent's got in: the registry still holds the one family.
    assert_eq!(r.gather().len(), 1);
}
