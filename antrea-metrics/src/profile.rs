//! Which Antrea release's exposition to reproduce, as data: each profile is a table of how
//! its families differ from the latest release's.

use crate::error::MetricsError;
use std::fmt;

/// How a profile changes one family from the latest release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The release does not expose the family.
    Absent,
    /// The release exposes it under this name.
    Name(&'static str),
    /// The release's HELP text (without the stability prefix).
    Help(&'static str),
    /// The release's label names, some of the latest release's, in exposition order.
    Labels(&'static [&'static str]),
}

/// One row of a profile's table: a family, by its name in the latest release, and one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Override {
    /// The family's name in the latest release.
    pub family: &'static str,
    /// How the profile differs.
    pub change: Change,
}

/// Which Antrea release's exposition to reproduce. The Rust API is the same for every profile;
/// only names, labels and HELP texts on the wire differ.
///
/// A profile is data: a table of [`Override`]s, one row per family that differs from the
/// latest release. A new profile is a variant here and its table below, nothing else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// Antrea v2.7, the current release.
    #[default]
    Latest,
    /// The names and labels documented for Antrea v1.11.
    V1_11,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::Latest, Profile::V1_11];

    /// How this profile's exposition differs from the latest release's, by family.
    pub fn overrides(self) -> &'static [Override] {
        match self {
            Profile::Latest => &[],
            Profile::V1_11 => V1_11,
        }
    }

    /// The profile's name as used on command lines: `latest` or `v1.11`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Latest => "latest",
            Profile::V1_11 => "v1.11",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Profile {
    type Err = MetricsError;

    fn from_str(s: &str) -> Result<Self, MetricsError> {
        match s {
            "latest" => Ok(Profile::Latest),
            "v1.11" | "1.11" => Ok(Profile::V1_11),
            _ => Err(MetricsError::UnknownProfile(s.to_owned())),
        }
    }
}

const fn row(family: &'static str, change: Change) -> Override {
    Override { family, change }
}

/// Antrea v1.11, as its metrics documentation lists the families.
const V1_11: &[Override] = &[
    row(
        "antrea_agent_conntrack_poll_cycle_duration_seconds",
        Change::Absent,
    ),
    row("antrea_agent_fqdn_cache_eviction_count", Change::Absent),
    row("antrea_agent_fqdn_cache_size", Change::Absent),
    row(
        "antrea_agent_ovs_flow_count",
        Change::Help("Flow count for each OVS flow table. The TableID is used as a label."),
    ),
    row("antrea_agent_ovs_flow_count", Change::Labels(&["table_id"])),
    row(
        "antrea_agent_ovs_meter_packet_dropped_count",
        Change::Absent,
    ),
    row(
        "antrea_controller_annp_status_updates",
        Change::Name("antrea_controller_anp_status_updates"),
    ),
    row(
        "antrea_proxy_sync_proxy_rules_duration_seconds",
        Change::Help("SyncProxyRules duration of AntreaProxy in seconds"),
    ),
    row(
        "antrea_proxy_total_endpoints_installed",
        Change::Help("The number of Endpoints installed by AntreaProxy"),
    ),
    row(
        "antrea_proxy_total_endpoints_updates",
        Change::Help("The cumulative number of Endpoint updates received by AntreaProxy"),
    ),
    row(
        "antrea_proxy_total_services_installed",
        Change::Help("The number of Services installed by AntreaProxy"),
    ),
    row(
        "antrea_proxy_total_services_updates",
        Change::Help("The cumulative number of Service updates received by AntreaProxy"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_print() {
        for p in Profile::ALL {
            assert_eq!(p.as_str().parse::<Profile>().ok(), Some(p));
        }
        assert!("v2".parse::<Profile>().is_err());
    }

    #[test]
    fn every_override_names_a_catalogued_family() {
        for p in Profile::ALL {
            for o in p.overrides() {
                assert!(
                    crate::catalogue::find(o.family).is_some(),
                    "{p}: {}",
                    o.family
                );
            }
        }
    }
}
