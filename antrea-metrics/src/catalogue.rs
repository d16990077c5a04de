//! Antrea's metric families, each declared once as a typed [`Def`]: the handles' construction,
//! registration, the generated reference (`docs/metrics.md`) and the conformance tests all
//! read these declarations. A metric is added here, once (in its component's file, in name
//! order: [`CATALOGUE`] lists it from there), and to the handle struct that exposes it.
//!
//! Facts from Antrea v2.7 (`pkg/agent/metrics/prometheus.go`, `pkg/controller/metrics/prometheus.go`,
//! `pkg/agent/proxy/metrics/metrics.go`) and the names documented for v1.11.

pub use crate::def::Def;
pub use crate::descriptor::Descriptor;
use crate::descriptor::{Component, Stability};

/// Declares a component's families, each a `pub const` [`Def`], and the list of their
/// descriptors in declaration order, so that a family declared is a family listed: the
/// component files below use it, and [`CATALOGUE`] is made of their lists.
macro_rules! families {
    (
        $(#[$list_attr:meta])* $list_vis:vis const $list:ident;
        $( $(#[$attr:meta])* pub const $name:ident: $ty:ty = $def:expr; )*
    ) => {
        $( $(#[$attr])* pub const $name: $ty = $def; )*
        $(#[$list_attr])*
        $list_vis const $list: &[&crate::descriptor::Descriptor] = &[$( &$name.desc ),*];
    };
}

mod agent;
mod controller;
mod node_ipam;
mod proxy;
pub use agent::*;
pub use controller::*;
pub use node_ipam::*;
pub use proxy::*;

/// Prometheus' default buckets, which Antrea uses wherever it sets none (even for milliseconds).
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets of `antrea_agent_conntrack_poll_cycle_duration_seconds`.
pub const CONNTRACK_POLL_BUCKETS: [f64; 10] =
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Every family of Antrea's metrics documentation, sorted by name (the Node IPAM families,
/// which it does not list, are in [`NODE_IPAM`]): the agent's, the controller's and Antrea
/// Proxy's declarations, in that order.
pub const CATALOGUE: &[&Descriptor] = &ALL;

const ALL: [&Descriptor;
    agent::AGENT_FAMILIES.len()
        + controller::CONTROLLER_FAMILIES.len()
        + proxy::PROXY_FAMILIES.len()] = concat([
    agent::AGENT_FAMILIES,
    controller::CONTROLLER_FAMILIES,
    proxy::PROXY_FAMILIES,
]);

/// `parts` one after the other (`N` is their total length).
const fn concat<const N: usize>(parts: [&[&'static Descriptor]; 3]) -> [&'static Descriptor; N] {
    let mut out = [parts[0][0]; N];
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        let mut i = 0;
        while i < parts[p].len() {
            out[n] = parts[p][i];
            (n, i) = (n + 1, i + 1);
        }
        p += 1;
    }
    out
}

/// The descriptor of the family named `name` in the latest release, if Antrea defines one.
///
/// ```
/// use antrea_metrics::catalogue;
/// let d = catalogue::find("antrea_agent_local_pod_count").unwrap();
/// assert_eq!(d.exposed_help(d.help), "[STABLE] Number of Pods on local Node which are managed by the Antrea Agent.");
/// ```
pub fn find(name: &str) -> Option<&'static Descriptor> {
    CATALOGUE.iter().find(|d| d.name == name).copied()
}

/// The families exposed by a component's process for `profile`, sorted by exposed name.
pub fn for_process(component: Component, profile: crate::Profile) -> Vec<&'static Descriptor> {
    let mut v: Vec<_> = CATALOGUE
        .iter()
        .filter(|d| match component {
            Component::Agent | Component::Proxy => d.component != Some(Component::Controller),
            Component::Controller => d.component == Some(Component::Controller),
        })
        .filter(|d| d.exposed(profile).is_some())
        .copied()
        .collect();
    v.sort_by_key(|d| d.exposed(profile).map(|e| e.name));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_sorted() {
        for w in CATALOGUE.windows(2) {
            assert!(
                w[0].name < w[1].name,
                "{} then {}: declare each family in name order in src/catalogue/<component>.rs",
                w[0].name,
                w[1].name
            );
        }
        let mut node_ipam = NODE_IPAM.windows(2);
        assert!(
            node_ipam.all(|w| w[0].name < w[1].name),
            "NODE_IPAM out of name order"
        );
    }

    #[test]
    fn each_component_file_declares_that_components_families() {
        // How many there are is the facts' business: tests/it/spec_conformance.rs compares the
        // catalogue with Antrea's facts both ways.
        for (list, component) in [
            (agent::AGENT_FAMILIES, Component::Agent),
            (controller::CONTROLLER_FAMILIES, Component::Controller),
            (proxy::PROXY_FAMILIES, Component::Proxy),
        ] {
            for d in list {
                assert_eq!(d.component, Some(component), "{}", d.name);
            }
        }
    }

    #[test]
    fn histograms_and_only_histograms_have_buckets() {
        for d in CATALOGUE {
            let is_hist = d.metric_type == crate::MetricType::Histogram;
            assert_eq!(is_hist, !d.buckets.is_empty(), "{}", d.name);
            assert!(d.buckets.windows(2).all(|w| w[0] < w[1]), "{}", d.name);
        }
    }
}
