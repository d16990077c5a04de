//! The OpenMetrics exposition passes a real parser (Python `prometheus_client`'s OpenMetrics
//! parser, installed by scripts/install-test-deps.sh into target/test-venv) and holds the same
//! samples as the text exposition, with counters renamed `<name>_total`.

use antrea_metrics::exposition::encode_all;
use antrea_metrics::format::Format;
use antrea_metrics::{Exposition, NativeConfig, NativeHistograms};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use suite::realistic;

/// Parses stdin and prints one line per sample: `family<TAB>type<TAB>sample{labels}<TAB>value`.
const PARSE: &str = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        labels = ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')) for k, v in sorted(s.labels.items()))
        print("%s\t%s\t%s{%s}\t%r" % (f.name, f.type, s.name, labels, float(s.value)))
"#;

fn python() -> PathBuf {
    let venv = std::env::var_os("TEST_VENV").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv"),
        PathBuf::from,
    );
    venv.join("bin/python")
}

/// What the parser read, or its error message.
fn parse(exposition: &[u8]) -> Result<Vec<String>, String> {
    let python = python();
    let mut child = Command::new(&python)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} cannot run ({e}): run scripts/install-test-deps.sh",
                python.display()
            )
        });
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(exposition).expect("write to the parser");
    }
    let out = child.wait_with_output().expect("parser ran");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Text-format samples as `name{sorted labels}` → value, counters renamed as OpenMetrics names
/// them, and `le` bounds made canonical.
fn text_samples(text: &str) -> BTreeMap<String, f64> {
    let mut counters = Vec::new();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.strip_suffix(" counter") {
                counters.push(name.to_owned());
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        let (name, labels) = series.split_once('{').unwrap_or((series, "}"));
        let mut name = name.to_owned();
        if counters.contains(&name) && !name.ends_with("_total") {
            name.push_str("_total");
        }
        let mut labels: Vec<String> = split_labels(labels.trim_end_matches('}'))
            .into_iter()
            .map(|l| match l.strip_prefix("le=\"") {
                Some(le) if !le.contains('.') && !le.contains('e') && !le.contains("Inf") => {
                    format!("le=\"{}.0\"", le.trim_end_matches('"'))
                }
                _ => l,
            })
            .collect();
        labels.sort();
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().expect("number"),
        };
        out.insert(format!("{name}{{{}}}", labels.join(",")), value);
    }
    out
}

/// `a="x",b="y"` split at the commas between pairs (not inside quoted values).
fn split_labels(labels: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in labels.chars() {
        match c {
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => {
                quoted ^= c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn check(sources: &[Arc<dyn Exposition>]) -> usize {
    let mut om = Vec::new();
    encode_all(sources, Format::OpenMetrics, &mut om).expect("openmetrics");
    assert!(om.ends_with(b"# EOF\n"));
    let parsed = parse(&om).unwrap_or_else(|e| panic!("the OpenMetrics parser refused it: {e}"));
    let mut text = Vec::new();
    encode_all(sources, Format::Text, &mut text).expect("text");
    let expected = text_samples(&String::from_utf8(text).expect("utf-8"));
    let got: BTreeMap<String, f64> = parsed
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[2].to_owned(), cols[3].parse().expect("python float"))
        })
        .collect();
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !got.contains_key(*k))
        .take(3)
        .collect();
    let extra: Vec<_> = got
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(3)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (k, v) in &expected {
        assert_eq!(got[k], *v, "{k}");
    }
    // Counter families are named without `_total` (the parser checks the samples' suffix).
    assert!(parsed.iter().any(
        |l| l.starts_with("antrea_agent_ovs_flow_ops_count\tcounter\t")
            || l.starts_with("antrea_controller_network_policy_processed\tcounter\t")
    ));
    expected.len()
}

#[test]
#[ignore = "needs the Python parser's virtualenv (target/test-venv): scripts/install-test-deps.sh, then --include-ignored"]
fn agent_and_registry_openmetrics_pass_the_parser() {
    let agent = realistic::agent_with_tables(30);
    let registry = realistic::native_registry(&agent);
    let requests = prometheus::IntCounterVec::new(
        prometheus::Opts::new("demo_requests_total", "Requests with \"quotes\" and \\."),
        &["path"],
    )
    .expect("counter");
    requests.with_label_values(&["/a\"b"]).inc();
    let other = prometheus::Registry::new();
    other.register(Box::new(requests)).expect("register");
    assert!(check(&[Arc::new(agent), Arc::new(other)]) > 100);
    // The agent's families re-created as `prometheus` metrics, through the registry path.
    assert!(check(&[Arc::new(registry)]) > 100);
}

#[test]
#[ignore = "needs the Python parser's virtualenv (target/test-venv): scripts/install-test-deps.sh, then --include-ignored"]
fn native_histograms_expose_their_classic_part_in_openmetrics() {
    let native = NativeHistograms::all(NativeConfig::default().classic_buckets(false));
    let controller = antrea_metrics::ControllerMetrics::builder()
        .native_histograms(native)
        .build()
        .expect("controller");
    controller.network_policy_processed.inc();
    controller
        .address_group_sync_duration_milliseconds
        .observe(3.0);
    assert!(check(&[Arc::new(controller)]) > 10);
}

#[test]
#[ignore = "needs the Python parser's virtualenv (target/test-venv): scripts/install-test-deps.sh, then --include-ignored"]
fn node_ipam_families_pass_the_parser() {
    let controller = antrea_metrics::ControllerMetrics::builder()
        .node_ipam(true)
        .build()
        .expect("controller");
    let ipam = controller.node_ipam.as_ref().expect("node ipam families");
    let set = ipam.cidr_set("10.244.0.0/16".parse().expect("cidr"));
    set.allocations().inc_by(2);
    set.releases().inc();
    set.usage().set(0.5);
    set.allocation_tries_per_request().observe(1.0);
    let controller: Arc<dyn Exposition> = Arc::new(controller);
    assert!(check(std::slice::from_ref(&controller)) > 20);
    let mut om = Vec::new();
    encode_all(&[controller], Format::OpenMetrics, &mut om).expect("openmetrics");
    let om = String::from_utf8(om).expect("utf-8");
    // Already `_total` in Antrea: the family loses it and the sample keeps it.
    assert!(om.contains("# TYPE antrea_node_ipam_controller_cidrset_cidrs_allocations counter\n"));
    assert!(om.contains(
        "antrea_node_ipam_controller_cidrset_cidrs_allocations_total{clusterCIDR=\"10.244.0.0/16\"} 2\n"
    ));
}

#[test]
#[ignore = "needs the Python parser's virtualenv (target/test-venv): scripts/install-test-deps.sh, then --include-ignored"]
fn the_parser_refuses_an_exposition_without_eof() {
    let agent = realistic::agent_with_tables(2);
    let mut om = Vec::new();
    agent
        .encode(Format::OpenMetrics, &mut om)
        .expect("openmetrics");
    assert!(parse(&om).is_err(), "no `# EOF`, yet accepted");
    om.extend_from_slice(b"# EOF\n");
    assert!(parse(&om).is_ok());
}
