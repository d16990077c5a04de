//! Closed label sets as enums, and newtypes for values that a bare integer would make ambiguous.

use std::fmt;

/// A closed set of label values, resolved to an array index once so that the hot path never
/// hashes or compares strings.
pub trait LabelValue: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// Every value, in a fixed order; `Self::ALL[v.index()] == v`.
    const ALL: &'static [Self];
    /// The label value exactly as Antrea exposes it.
    fn as_str(self) -> &'static str;
    /// Position of this value in [`LabelValue::ALL`].
    fn index(self) -> usize;
}

macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl LabelValue for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            fn index(self) -> usize {
                self as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

label_enum! {
    /// An OVS flow operation: the `operation` label of the `antrea_agent_ovs_flow_ops_*` families.
    FlowOp {
        /// A flow was added (`operation="add"`).
        Add => "add",
        /// A flow was modified (`operation="modify"`).
        Modify => "modify",
        /// A flow was deleted (`operation="delete"`).
        Delete => "delete",
    }
}

label_enum! {
    /// An OVS meter that rate-limits packet-in messages: the `meter_id` label of
    /// `antrea_agent_ovs_meter_packet_dropped_count`.
    MeterId {
        /// Packet-ins for NetworkPolicy logging and reject.
        PacketInMeterNetworkPolicy => "PacketInMeterNetworkPolicy",
        /// Packet-ins for Traceflow.
        PacketInMeterTraceflow => "PacketInMeterTraceflow",
        /// Packet-ins for DNS interception (FQDN policies).
        PacketInMeterDNSInterception => "PacketInMeterDNSInterception",
    }
}

label_enum! {
    /// Why the agent stopped tracking an FQDN: the `reason` label of
    /// `antrea_agent_fqdn_cache_eviction_count`.
    EvictionReason {
        /// A selector's limit of tracked names was reached.
        SelectorLimit => "selector_limit",
        /// The agent-wide limit of tracked names was reached.
        TotalLimit => "total_limit",
    }
}

label_enum! {
    /// An IP family: the `ip_family` constant label of the `antrea_proxy_*` families.
    IpFamily {
        /// IPv4 (`ip_family="v4"`).
        V4 => "v4",
        /// IPv6 (`ip_family="v6"`).
        V6 => "v6",
    }
}

/// An OVS flow table id, as Antrea numbers the tables of its pipeline (`uint8` in Antrea).
///
/// ```
/// use antrea_metrics::TableId;
/// assert_eq!(TableId(42).to_string(), "42");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u8);

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The label type of `antrea_agent_ovs_flow_count`: a table's [`TableId`] and name
/// (`table_id`, `table_name`), given to [`OvsFlowCount`](crate::OvsFlowCount)'s methods.
#[derive(Clone, Copy, Debug)]
pub enum TableLabels {}

/// Which Antrea release's exposition to reproduce. The Rust API is the same for every profile;
/// only names, labels and HELP texts on the wire differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
    type Err = crate::MetricsError;

    fn from_str(s: &str) -> Result<Self, crate::MetricsError> {
        match s {
            "latest" => Ok(Profile::Latest),
            "v1.11" | "1.11" => Ok(Profile::V1_11),
            _ => Err(crate::MetricsError::UnknownProfile(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_indices<L: LabelValue>() {
        for (i, v) in L::ALL.iter().enumerate() {
            assert_eq!(v.index(), i, "{v:?}");
        }
    }

    #[test]
    fn indices_match_positions() {
        check_indices::<FlowOp>();
        check_indices::<MeterId>();
        check_indices::<EvictionReason>();
        check_indices::<IpFamily>();
    }

    #[test]
    fn profiles_parse_and_print() {
        for p in Profile::ALL {
            assert_eq!(p.as_str().parse::<Profile>().ok(), Some(p));
        }
        assert!("v2".parse::<Profile>().is_err());
    }
}
