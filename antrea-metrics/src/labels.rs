//! Closed label sets as enums, newtypes for values that a bare integer would make ambiguous,
//! and a label set's canonical form.

use std::fmt;

/// Appends `value` quoted as Prometheus quotes a label value: backslash, double quote and
/// newline escaped. The text formats and the label sets' canonical form share it.
pub(crate) fn write_escaped_value(out: &mut Vec<u8>, value: &str) {
    let mut rest = value.as_bytes();
    // Copy the runs between escaped bytes whole: most values have none at all.
    while let Some(i) = rest.iter().position(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(match rest[i] {
            b'\\' => b"\\\\",
            b'"' => b"\\\"",
            _ => b"\\n",
        });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// A label set's canonical form, `a="x",b="y"` (Prometheus' own notation, which both text
/// formats print between braces): made once when a series is created, never per scrape.
pub(crate) fn render(names: &[&str], values: &[Box<str>]) -> Box<[u8]> {
    let mut out = Vec::new();
    for (i, (l, v)) in names.iter().zip(values.iter()).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"=\"");
        write_escaped_value(&mut out, v);
        out.push(b'"');
    }
    out.into()
}

/// A family's label set, as one type: it names the family's variable labels and gives the
/// values that select a series, so a wrong label count or order does not compile and nothing
/// is filled in.
///
/// - `()`: no labels;
/// - a label enum ([`LabelValue`], such as [`FlowOp`]): one label from a closed set;
/// - a pair of label enums: two labels from closed sets, in the pair's order;
/// - a struct for open sets, such as [`TableLabels`] (`table_id`, `table_name`) or
///   [`ClusterCidr`](crate::ClusterCidr) (`clusterCIDR`).
///
/// Sealed: families are declared by the crate, with the crate's label sets.
pub trait LabelSet: sealed::Sealed {
    /// The label names, in exposition order (before any the profile leaves out).
    const NAMES: &'static [&'static str];

    /// Calls `f` with the label values, in the order of [`LabelSet::NAMES`].
    fn with_values<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R;
}

/// A label set whose values are all known: each resolves to an index, so that its handle is
/// found with no lock, no hashing and no allocation.
pub trait ClosedLabelSet: LabelSet + Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// How many label sets there are.
    const COUNT: usize;

    /// Position of this label set, below [`ClosedLabelSet::COUNT`].
    fn index(self) -> usize;

    /// The label set at `index` (below [`ClosedLabelSet::COUNT`]); `None` past the end.
    fn from_index(index: usize) -> Option<Self>;
}

/// One label's closed set of values, as an enum: the label's name, and each value exactly as
/// Antrea exposes it. Sealed, like [`LabelSet`].
pub trait LabelValue: ClosedLabelSet + sealed::Startup {
    /// The label's name.
    const NAME: &'static str;
    /// Every value, in a fixed order; `Self::ALL[v.index()] == v`.
    const ALL: &'static [Self];
    /// The label value exactly as Antrea exposes it.
    fn as_str(self) -> &'static str;
}

pub(crate) mod sealed {
    /// Implemented by the crate's label sets only.
    pub trait Sealed {}

    /// Every value of a label enum as a list of startup series, for declarations whose series
    /// all exist from startup (`Def::startup_all`): written once, by `label_enum!`.
    pub trait Startup {
        const STARTUP: &'static [&'static [&'static str]];
    }
}

impl sealed::Sealed for () {}

impl LabelSet for () {
    const NAMES: &'static [&'static str] = &[];

    fn with_values<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        f(&[])
    }
}

impl<A: LabelValue, B: LabelValue> sealed::Sealed for (A, B) {}

impl<A: LabelValue, B: LabelValue> LabelSet for (A, B) {
    const NAMES: &'static [&'static str] = &[A::NAME, B::NAME];

    fn with_values<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        f(&[self.0.as_str(), self.1.as_str()])
    }
}

impl<A: LabelValue, B: LabelValue> ClosedLabelSet for (A, B) {
    const COUNT: usize = A::COUNT * B::COUNT;

    fn index(self) -> usize {
        self.0.index() * B::COUNT + self.1.index()
    }

    fn from_index(index: usize) -> Option<Self> {
        let a = A::from_index(index / B::COUNT)?;
        Some((a, B::from_index(index % B::COUNT)?))
    }
}

/// Declares a label enum: `Name: "label_name" { Variant => "value", ... }`.
macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident: $label:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $crate::labels::sealed::Sealed for $name {}

        impl $crate::labels::sealed::Startup for $name {
            const STARTUP: &'static [&'static [&'static str]] = &[$(&[$text]),+];
        }

        impl $crate::LabelSet for $name {
            const NAMES: &'static [&'static str] = &[$label];

            fn with_values<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
                f(&[$crate::LabelValue::as_str(*self)])
            }
        }

        impl $crate::ClosedLabelSet for $name {
            const COUNT: usize = <Self as $crate::LabelValue>::ALL.len();

            fn index(self) -> usize {
                self as usize
            }

            fn from_index(index: usize) -> Option<Self> {
                <Self as $crate::LabelValue>::ALL.get(index).copied()
            }
        }

        impl $crate::LabelValue for $name {
            const NAME: &'static str = $label;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::LabelValue::as_str(*self))
            }
        }
    };
}
// The server declares its own label enums with it.
#[cfg(feature = "server")]
pub(crate) use label_enum;

/// The label enums of Antrea's families, re-exported at the crate's root as a whole (`lib.rs`),
/// so that a new one needs no edit there.
pub(crate) mod values {
    label_enum! {
        /// An OVS flow operation: the `operation` label of the `antrea_agent_ovs_flow_ops_*` families.
        FlowOp: "operation" {
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
        MeterId: "meter_id" {
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
        EvictionReason: "reason" {
            /// A selector's limit of tracked names was reached.
            SelectorLimit => "selector_limit",
            /// The agent-wide limit of tracked names was reached.
            TotalLimit => "total_limit",
        }
    }

    label_enum! {
        /// An IP family: the `ip_family` constant label of the `antrea_proxy_*` families.
        IpFamily: "ip_family" {
            /// IPv4 (`ip_family="v4"`).
            V4 => "v4",
            /// IPv6 (`ip_family="v6"`).
            V6 => "v6",
        }
    }
}
pub use values::*;

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

/// The label set of `antrea_agent_ovs_flow_count`, an open one: a table's id and name
/// (`table_id`, `table_name`). [`OvsFlowCount`](crate::OvsFlowCount)'s methods take them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableLabels<'a> {
    /// The table's id (`table_id`).
    pub id: TableId,
    /// The table's name (`table_name`).
    pub name: &'a str,
}

impl sealed::Sealed for TableLabels<'_> {}

impl LabelSet for TableLabels<'_> {
    const NAMES: &'static [&'static str] = &["table_id", "table_name"];

    fn with_values<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        // A `u8` in decimal, on the stack: at most three digits.
        let mut digits = [0u8; 3];
        let mut n = self.id.0;
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + n % 10;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let id = std::str::from_utf8(&digits[start..]).unwrap_or_default();
        f(&[id, self.name])
    }
}

impl sealed::Sealed for crate::cidr::ClusterCidr {}

/// The label set of the Node IPAM families, an open one: `clusterCIDR`.
impl LabelSet for crate::cidr::ClusterCidr {
    const NAMES: &'static [&'static str] = &["clusterCIDR"];

    fn with_values<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        // Allocates, but only when a CIDR set's series is first made.
        f(&[&self.to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_indices<L: LabelValue>() {
        for (i, v) in L::ALL.iter().enumerate() {
            assert_eq!(v.index(), i, "{v:?}");
            assert_eq!(L::from_index(i), Some(*v));
        }
        assert_eq!(L::from_index(L::ALL.len()), None);
    }

    #[test]
    fn pairs_index_every_combination_once() {
        let n = <(FlowOp, IpFamily)>::COUNT;
        assert_eq!(n, 6);
        for i in 0..n {
            let pair = <(FlowOp, IpFamily)>::from_index(i).unwrap_or_else(|| panic!("{i}"));
            assert_eq!(pair.index(), i);
        }
        assert_eq!(<(FlowOp, IpFamily)>::NAMES, ["operation", "ip_family"]);
        (FlowOp::Delete, IpFamily::V6).with_values(|v| assert_eq!(v, ["delete", "v6"]));
    }

    #[test]
    fn table_ids_are_written_in_decimal() {
        for (id, want) in [(0, "0"), (7, "7"), (42, "42"), (255, "255")] {
            let labels = TableLabels {
                id: TableId(id),
                name: "T",
            };
            labels.with_values(|v| assert_eq!(v, [want, "T"]));
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let v = render(&["x", "y"], &["a\"b\\c\nd".into(), "plain".into()]);
        assert_eq!(&*v, b"x=\"a\\\"b\\\\c\\nd\",y=\"plain\"");
    }

    #[test]
    fn indices_match_positions() {
        check_indices::<FlowOp>();
        check_indices::<MeterId>();
        check_indices::<EvictionReason>();
        check_indices::<IpFamily>();
    }
}
