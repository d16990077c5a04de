//! Antrea's edge cases, against facts taken from Antrea's source (`tests/data/antrea-v2.7.0-facts.json`,
//! each fact naming its file, lines and release) and from Go itself (`tests/data/go-facts.json`):
//! the agent without Antrea Proxy, cluster CIDR labels, the OVS pipeline in other modes, which
//! families Antrea defines and registers, and when the FQDN families appeared.

use antrea_metrics::format::Format;
use antrea_metrics::{
    catalogue, AgentMetrics, AgentModes, ClusterCidr, Exposition, IpStack, Pipeline, Profile,
    TrafficEncapMode,
};
use serde_json::Value;
use std::collections::BTreeSet;

fn json(file: &str) -> Value {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn facts() -> Value {
    json("antrea-v2.7.0-facts.json")
}

fn strings(v: &Value) -> Vec<String> {
    let list = v.as_array().unwrap_or_else(|| panic!("not a list: {v}"));
    list.iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

/// The family names of an exposition in `format`, from its `# TYPE` lines (text formats).
fn families(set: &impl Exposition, format: Format) -> BTreeSet<String> {
    let mut out = Vec::new();
    set.encode(format, &mut out).expect("encode");
    let text = String::from_utf8(out).expect("utf-8");
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect()
}

/// Guarantee: an agent built without Antrea Proxy exposes no `antrea_proxy_*` family, in any
/// format or registry, and everything else it exposes is what the default agent exposes.
#[test]
fn an_agent_without_antrea_proxy_registers_no_proxy_family() {
    let facts = &facts()["antrea_proxy_registration"];
    let with: BTreeSet<String> = strings(&facts["registered_when_enabled"])
        .into_iter()
        .collect();
    assert!(strings(&facts["registered_when_disabled"]).is_empty());
    let on = AgentMetrics::builder().build().expect("agent");
    let off = AgentMetrics::builder()
        .antrea_proxy(false)
        .build()
        .expect("agent without proxy");
    assert!(on.runs_antrea_proxy() && !off.runs_antrea_proxy());
    for format in [Format::Text, Format::OpenMetrics] {
        let (all, without) = (families(&on, format), families(&off, format));
        let proxy: BTreeSet<String> = all
            .iter()
            .filter(|n| n.starts_with("antrea_proxy_"))
            .cloned()
            .collect();
        assert_eq!(
            proxy, with,
            "the default agent registers Antrea Proxy's families"
        );
        assert_eq!(without, &all - &proxy, "{format:?}");
    }
    let mut pb = Vec::new();
    off.encode(Format::Protobuf, &mut pb).expect("protobuf");
    assert!(!pb.windows(13).any(|w| w == b"antrea_proxy_"));
    // Registered into a registry, as users of `prometheus` do.
    let registry = prometheus::Registry::new();
    let off = AgentMetrics::builder()
        .antrea_proxy(false)
        .register(&registry)
        .expect("register");
    // The handles work, and go nowhere (as Antrea's unregistered proxy variables).
    let v4 = off.proxy.family(antrea_metrics::IpFamily::V4);
    v4.total_services_updates.inc();
    let names: Vec<String> = registry
        .gather()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    assert!(!names.is_empty() && names.iter().all(|n| !n.starts_with("antrea_proxy_")));
    // The default (goldens) is unchanged: the proxy's families are there.
    let registry = prometheus::Registry::new();
    AgentMetrics::register(&registry, Profile::Latest).expect("register");
    let proxied = registry
        .gather()
        .iter()
        .filter(|f| f.name().starts_with("antrea_proxy_"))
        .count();
    assert_eq!(proxied, with.len());
}

/// Guarantee: a `clusterCIDR` label is what Antrea's controller writes for the same
/// configuration text: parsed as `k8s.io/utils/net.ParseCIDRSloppy`, written as Go's
/// `IPNet.String()` (facts made by Go itself, `tests/data/go-facts/main.go`), and text Antrea
/// refuses is refused.
#[test]
fn cluster_cidrs_parse_and_print_as_antrea_does() {
    let facts = json("go-facts.json");
    let cases = facts["cluster_cidrs"].as_array().expect("cases");
    assert!(cases.len() > 40);
    for case in cases {
        let input = case["input"].as_str().expect("input");
        let ours = input.parse::<ClusterCidr>().map(|c| c.to_string());
        match case["label"].as_str() {
            Some(label) => assert_eq!(ours.as_deref(), Ok(label), "{input:?}"),
            None => assert!(
                ours.is_err(),
                "{input:?} is no CIDR for Antrea, here {ours:?}"
            ),
        }
    }
}

/// Antrea's `generatePipelines` for one set of modes, from the facts: every activated feature's
/// required tables, collected per pipeline (ARP only with IPv4) and ordered as declared.
fn antrea_tables(
    facts: &Value,
    encap: &str,
    ipv4: bool,
    ipv6: bool,
    proxy_all: bool,
) -> Vec<String> {
    let features = &facts["features"];
    let mut required: BTreeSet<String> = BTreeSet::new();
    required.insert(facts["root_table"].as_str().expect("root").to_owned());
    let mut add = |v: &Value| required.extend(strings(v));
    add(&features["podConnectivity"]["always"]);
    if ipv4 {
        add(&features["podConnectivity"]["ipv4"]);
    }
    if ipv6 {
        add(&features["podConnectivity"]["ipv6"]);
    }
    add(&features["networkPolicy"]["always"]);
    add(&features["networkPolicy"]["antreaPolicy"]);
    add(&features["service"]["antreaProxy"]);
    if proxy_all {
        add(&features["service"]["proxyAll"]);
    }
    if strings(&facts["supports_encap"]).iter().any(|m| m == encap) {
        add(&features["egress"]["always"]);
    }
    let mut out = Vec::new();
    for pipeline in strings(&facts["pipelines_in_order"]) {
        if pipeline == "pipelineARP" && !ipv4 {
            continue;
        }
        let declared = strings(&facts["declared"][&pipeline]);
        out.extend(declared.into_iter().filter(|t| required.contains(t)));
    }
    out
}

/// Guarantee: for every encapsulation mode, IP stack and `proxyAll`, the crate's pipeline has
/// the tables (so the ids) Antrea's agent realizes, and the named presets are those modes.
#[test]
fn pipelines_in_antreas_modes_have_antreas_tables() {
    let facts = &facts()["ovs_pipeline"];
    let modes = [
        ("encap", TrafficEncapMode::Encap),
        ("noEncap", TrafficEncapMode::NoEncap),
        ("hybrid", TrafficEncapMode::Hybrid),
        ("networkPolicyOnly", TrafficEncapMode::NetworkPolicyOnly),
    ];
    assert_eq!(
        strings(&facts["traffic_encap_modes"]),
        modes.map(|(name, _)| name)
    );
    let stacks = [
        (IpStack::Ipv4, true, false),
        (IpStack::Ipv6, false, true),
        (IpStack::DualStack, true, true),
    ];
    let names = |p: &Pipeline| p.tables().map(|(_, t)| t.to_owned()).collect::<Vec<_>>();
    for (encap_name, encap) in modes {
        for (stack, ipv4, ipv6) in stacks {
            for proxy_all in [false, true] {
                let m = AgentModes::default()
                    .traffic_encap_mode(encap)
                    .ip_stack(stack)
                    .proxy_all(proxy_all);
                let want = antrea_tables(facts, encap_name, ipv4, ipv6, proxy_all);
                assert_eq!(names(&Pipeline::antrea(m)), want, "{m:?}");
            }
        }
    }
    let default = antrea_tables(facts, "encap", true, false, false);
    assert_eq!(names(&Pipeline::antrea_default()), default);
    assert_eq!(names(&Pipeline::antrea(AgentModes::default())), default);
    let presets = [
        (
            Pipeline::antrea_dual_stack(),
            antrea_tables(facts, "encap", true, true, false),
            30,
        ),
        (
            Pipeline::antrea_no_encap(),
            antrea_tables(facts, "noEncap", true, false, false),
            28,
        ),
        (
            Pipeline::antrea_network_policy_only(),
            antrea_tables(facts, "networkPolicyOnly", true, false, false),
            28,
        ),
        (
            Pipeline::antrea_proxy_all(),
            antrea_tables(facts, "encap", true, false, true),
            30,
        ),
    ];
    for (preset, want, len) in presets {
        assert_eq!((names(&preset), preset.len()), (want, len));
    }
    // Dual-stack: IPv6 right after SpoofGuard, every later id one up.
    let dual = Pipeline::antrea_dual_stack();
    assert_eq!(
        dual.id("IPv6").map(|t| t.0),
        Pipeline::antrea_default().id("SpoofGuard").map(|t| t.0 + 1)
    );
}

/// Guarantee: the catalogue has every family Antrea registers and none it only defines, and
/// the README and the metrics reference say so with Antrea's numbers.
#[test]
fn the_catalogue_has_the_34_registered_of_the_36_defined_families() {
    let facts = &facts()["metric_files"];
    let defined = strings(&facts["defined"]);
    let unregistered = strings(&facts["never_registered"]);
    let registered: Vec<&String> = defined
        .iter()
        .filter(|n| !unregistered.contains(n))
        .collect();
    assert_eq!((defined.len(), registered.len()), (36, 34));
    let ours: BTreeSet<&str> = catalogue::CATALOGUE.iter().map(|d| d.name).collect();
    let theirs: BTreeSet<&str> = registered.iter().map(|n| n.as_str()).collect();
    assert_eq!(ours, theirs);
    let sentence = format!("{} families Antrea v2.7 registers", registered.len());
    let of = format!("of the {} its", defined.len());
    for doc in ["README.md", "docs/metrics.md"] {
        let path = format!("{}/{doc}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("read");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&sentence) && flat.contains(&of),
            "{doc}: {sentence} ... {of}"
        );
        for name in &unregistered {
            assert!(flat.contains(name.as_str()), "{doc} names {name}");
        }
    }
}

/// Guarantee: the FQDN families say they appeared in every release that first shipped them,
/// the same day on three release lines, not only in v2.7.0.
#[test]
fn fqdn_families_appeared_in_three_releases_the_same_day() {
    let facts = &facts()["fqdn_families"];
    let mut releases: Vec<&str> = facts["first_releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|r| r["release"].as_str().expect("release"))
        .collect();
    let days: BTreeSet<&str> = facts["first_releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|r| &r["tagged"].as_str().expect("tagged")[..10])
        .collect();
    assert_eq!(days.len(), 1, "one day");
    releases.sort_unstable();
    for name in strings(&facts["names"]) {
        let d = catalogue::find(&name).expect("catalogued");
        assert_eq!(d.since, releases.join(", "), "{name}");
    }
}
