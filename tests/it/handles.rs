//! Each typed handle moves only its own series, and concurrent updates lose nothing.

use antrea_metrics::format::Format;
use antrea_metrics::{
    AgentMetrics, ControllerMetrics, EvictionReason, Exposition, FlowOp, IpFamily, LabelValue,
    MeterId, Profile, TableId,
};
use std::collections::BTreeMap;

/// Every sample line of an exposition, as series → value text.
fn samples(e: &dyn Exposition) -> BTreeMap<String, String> {
    let mut out = Vec::new();
    e.encode(Format::Text, &mut out).expect("encode");
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Applies `update` and returns the series whose value changed or that appeared.
fn changed(e: &dyn Exposition, update: impl FnOnce()) -> Vec<String> {
    let before = samples(e);
    update();
    samples(e)
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .map(|(k, _)| k)
        .collect()
}

fn agent() -> AgentMetrics {
    AgentMetrics::unregistered(Profile::Latest).expect("agent")
}

#[test]
fn flow_op_counters_move_only_their_operation() {
    let a = agent();
    for op in FlowOp::ALL {
        let got = changed(&a, || a.ovs_flow_ops_count.get(*op).inc());
        assert_eq!(
            got,
            [format!(
                "antrea_agent_ovs_flow_ops_count{{operation=\"{op}\"}}"
            )]
        );
        let got = changed(&a, || a.ovs_flow_ops_error_count.get(*op).inc_by(3));
        assert_eq!(
            got,
            [format!(
                "antrea_agent_ovs_flow_ops_error_count{{operation=\"{op}\"}}"
            )]
        );
    }
}

#[test]
fn flow_op_latency_moves_only_its_operation() {
    let a = agent();
    for op in FlowOp::ALL {
        let got = changed(&a, || {
            a.ovs_flow_ops_latency_milliseconds.get(*op).observe(0.3)
        });
        let p = "antrea_agent_ovs_flow_ops_latency_milliseconds";
        // 0.3 ms lands in le=0.5 and every bound above it, plus _sum and _count.
        let mut want: Vec<String> = ["0.5", "1", "2.5", "5", "10", "+Inf"]
            .iter()
            .map(|le| format!("{p}_bucket{{operation=\"{op}\",le=\"{le}\"}}"))
            .collect();
        want.push(format!("{p}_count{{operation=\"{op}\"}}"));
        want.push(format!("{p}_sum{{operation=\"{op}\"}}"));
        want.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn meters_and_evictions_move_only_their_label() {
    let a = agent();
    for m in MeterId::ALL {
        let got = changed(&a, || a.ovs_meter_packet_dropped_count.get(*m).set(7.0));
        assert_eq!(
            got,
            [format!(
                "antrea_agent_ovs_meter_packet_dropped_count{{meter_id=\"{m}\"}}"
            )]
        );
    }
    for r in EvictionReason::ALL {
        let got = changed(&a, || a.fqdn_cache_eviction_count.get(*r).inc());
        assert_eq!(
            got,
            [format!(
                "antrea_agent_fqdn_cache_eviction_count{{reason=\"{r}\"}}"
            )]
        );
    }
}

#[test]
fn gauges_move_only_their_family() {
    let a = agent();
    let gauges = [
        (&a.local_pod_count, "antrea_agent_local_pod_count"),
        (&a.networkpolicy_count, "antrea_agent_networkpolicy_count"),
        (&a.ovs_total_flow_count, "antrea_agent_ovs_total_flow_count"),
        (&a.fqdn_cache_size, "antrea_agent_fqdn_cache_size"),
        (
            &a.denied_connection_count,
            "antrea_agent_denied_connection_count",
        ),
        (
            &a.conntrack_total_connection_count,
            "antrea_agent_conntrack_total_connection_count",
        ),
    ];
    for (g, name) in gauges {
        assert_eq!(changed(&a, || g.set(5.0)), [name]);
    }
}

#[test]
fn proxy_handles_move_only_their_ip_family() {
    let a = agent();
    for fam in IpFamily::ALL {
        let p = a.proxy.family(*fam);
        let got = changed(&a, || p.total_services_updates.inc());
        assert_eq!(
            got,
            [format!(
                "antrea_proxy_total_services_updates{{ip_family=\"{fam}\"}}"
            )]
        );
        let got = changed(&a, || p.total_endpoints_installed.set(9.0));
        assert_eq!(
            got,
            [format!(
                "antrea_proxy_total_endpoints_installed{{ip_family=\"{fam}\"}}"
            )]
        );
    }
}

#[test]
fn tables_are_keyed_by_id_and_name() {
    let a = agent();
    let got = changed(&a, || a.ovs_flow_count.set(TableId(1), "ab", 1.0));
    assert_eq!(
        got,
        ["antrea_agent_ovs_flow_count{table_id=\"1\",table_name=\"ab\"}"]
    );
    // Same id, other name: its own series, the first untouched.
    let got = changed(&a, || a.ovs_flow_count.set(TableId(1), "abc", 2.0));
    assert_eq!(
        got,
        ["antrea_agent_ovs_flow_count{table_id=\"1\",table_name=\"abc\"}"]
    );
    // Values that would join to the same string stay apart.
    a.ovs_flow_count.set(TableId(11), "b", 3.0);
    let s = samples(&a);
    assert_eq!(
        s["antrea_agent_ovs_flow_count{table_id=\"1\",table_name=\"ab\"}"],
        "1"
    );
    assert_eq!(
        s["antrea_agent_ovs_flow_count{table_id=\"11\",table_name=\"b\"}"],
        "3"
    );
}

#[test]
fn v1_11_tables_show_only_their_id() {
    let a = AgentMetrics::unregistered(Profile::V1_11).expect("agent");
    a.ovs_flow_count.set(TableId(3), "SpoofGuard", 4.0);
    assert_eq!(
        samples(&a)["antrea_agent_ovs_flow_count{table_id=\"3\"}"],
        "4"
    );
}

#[test]
fn two_threads_times_a_million_increments_are_exact() {
    let a = agent();
    let add = a.ovs_flow_ops_count.get(FlowOp::Add);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| (0..1_000_000).for_each(|_| add.inc()));
        }
    });
    assert_eq!(add.get(), 2_000_000);
    // Go's client writes this float64 as 2e+06; so do we.
    assert_eq!(
        samples(&a)["antrea_agent_ovs_flow_ops_count{operation=\"add\"}"],
        "2e+06"
    );
}

#[test]
fn controller_handles_move_only_their_family() {
    let c = ControllerMetrics::unregistered(Profile::Latest).expect("controller");
    assert_eq!(
        changed(&c, || c.annp_status_updates.inc()),
        ["antrea_controller_annp_status_updates"]
    );
    assert_eq!(
        changed(&c, || c.length_network_policy_queue.set(4.0)),
        ["antrea_controller_length_network_policy_queue"]
    );
}

#[test]
fn unexposed_families_still_accept_updates() {
    // v1.11 has no FQDN families; code written for the latest release runs unchanged.
    let a = AgentMetrics::unregistered(Profile::V1_11).expect("agent");
    assert!(changed(&a, || a.fqdn_cache_size.set(3.0)).is_empty());
    assert_eq!(a.fqdn_cache_size.get(), 3.0);
}
