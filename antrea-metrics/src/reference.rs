//! The generated metrics reference, `docs/metrics.md`, from the catalogue's declarations and
//! the server's (so it sits above the server, at the top of the crate).

use crate::catalogue::{CATALOGUE, NODE_IPAM};
use crate::descriptor::Descriptor;
use crate::{Profile, Unit};

/// The metrics reference (`docs/metrics.md`): one Markdown table row per family.
///
/// ```
/// let md = antrea_metrics::reference_markdown();
/// assert!(md.contains("| `antrea_agent_local_pod_count` | gauge |"));
/// ```
pub fn reference_markdown() -> String {
    let mut md = String::from(
        "# Metrics reference\n\n\
         Every metric Antrea registers, as `antrea-metrics` exposes it: the 34 families Antrea \
         v2.7 registers, of the 36 its three metric files define \
         (`antrea_controller_eg_status_updates` and `antrea_controller_eip_status_updates` are \
         defined but never registered, so never exposed). `since` is the Antrea release that \
         added the family, or the releases of several lines that shipped it the same day. \
         Generated from the catalogue by \
         `scripts/regenerate.sh` (the `metrics-reference` example); a test fails when this file \
         is stale.\n\n",
    );
    table(&mut md, CATALOGUE);
    md.push_str(
        "\n## Node IPAM\n\n\
         Antrea's Node IPAM controller families: off by default, exposed by a controller built \
         with `ControllerMetrics::builder().node_ipam(true)`, each labeled by cluster CIDR and \
         shown once that CIDR set has used it. Antrea's metrics documentation does not list \
         them.\n\n",
    );
    table(&mut md, NODE_IPAM);
    #[cfg(feature = "server")]
    md.push_str(
        "\n## Metrics server\n\n\
         The library's own HTTPS server's families (not Antrea's, so without a stability \
         prefix in their HELP): exposed in the registry given to \
         `MetricsServerBuilder::server_metrics`; the `kube_*` families in the one given to \
         `KubeAuthBuilder::metrics`.\n\n",
    );
    #[cfg(feature = "server")]
    table(&mut md, crate::server::families::SERVER);
    md
}

fn table(md: &mut String, families: &[&Descriptor]) {
    md.push_str(
        "| name | type | unit | labels | stability | HELP | since | v1.11 |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for d in families {
        let mut labels: Vec<String> = d.labels.iter().map(|l| format!("`{l}`")).collect();
        if d.per_ip_family {
            labels.push("`ip_family` (v4, v6)".to_owned());
        }
        let v1_11 = match d.exposed(Profile::V1_11) {
            None => "absent".to_owned(),
            Some(e) if e.name != d.name => format!("as `{}`", e.name),
            Some(e) if e.labels != d.labels => format!("labels {}", e.labels.join(", ")),
            Some(e) if e.help != d.help => "other HELP".to_owned(),
            Some(_) => "same".to_owned(),
        };
        let unit = match d.unit {
            Some(Unit::Seconds) => "seconds",
            Some(Unit::Milliseconds) => "milliseconds",
            Some(Unit::Count) => "count",
            None => "",
        };
        md.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            d.name,
            d.metric_type.as_str(),
            unit,
            labels.join(", "),
            d.stability.as_str(),
            d.help.trim_end().replace('|', "\\|"),
            d.since,
            v1_11,
        ));
    }
}
