//! Antrea's OVS pipeline: the flow tables an agent realizes, with the ids Antrea gives them.
//!
//! Antrea declares its tables in one fixed order and, at startup, numbers the tables that the
//! enabled features need densely from 0 in that order; a feature that is off leaves no gap.
//! When OVS connects, it sets a 0 series of `antrea_agent_ovs_flow_count` for every realized
//! table, then `antrea_agent_ovs_total_flow_count` to 0
//! ([`AgentMetrics::ovs_connected`](crate::AgentMetrics::ovs_connected)).

use crate::TableId;
use std::borrow::Cow;
use std::fmt;

/// The tables of a default Linux agent (Antrea v2.7 and v1.11: encap mode, IPv4, Antrea Proxy
/// without proxyAll, Antrea policies, Egress; no TrafficControl, Multicast, L7 policies,
/// Multicluster or AntreaIPAM), in pipeline order: a table's id is its index.
pub const ANTREA_DEFAULT_TABLES: [&str; 29] = [
    "PipelineRootClassifier",
    "ARPSpoofGuard",
    "ARPResponder",
    "Classifier",
    "SpoofGuard",
    "UnSNAT",
    "ConntrackZone",
    "ConntrackState",
    "PreRoutingClassifier",
    "SessionAffinity",
    "ServiceLB",
    "EndpointDNAT",
    "AntreaPolicyEgressRule",
    "EgressRule",
    "EgressDefaultRule",
    "EgressMetric",
    "L3Forwarding",
    "EgressMark",
    "L3DecTTL",
    "SNATMark",
    "SNAT",
    "L2ForwardingCalc",
    "IngressSecurityClassifier",
    "AntreaPolicyIngressRule",
    "IngressRule",
    "IngressDefaultRule",
    "IngressMetric",
    "ConntrackCommit",
    "Output",
];

/// Antrea's `trafficEncapMode` (agent configuration), as far as it shapes the pipeline: the
/// modes without encapsulation (`noEncap`, `networkPolicyOnly`) run no Egress (Antrea's
/// `validateEgressConfig` turns it off unless the mode `SupportsEncap()`), so no `EgressMark`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrafficEncapMode {
    /// `encap` (the default): Pod traffic between Nodes is tunnelled.
    #[default]
    Encap,
    /// `noEncap`: routed by the Node network.
    NoEncap,
    /// `hybrid`: tunnelled only between Nodes in different subnets.
    Hybrid,
    /// `networkPolicyOnly`: Antrea chained after another CNI, enforcing policies only.
    NetworkPolicyOnly,
}

impl TrafficEncapMode {
    /// Antrea's `SupportsEncap()`: whether Egress can run.
    fn supports_encap(self) -> bool {
        matches!(self, TrafficEncapMode::Encap | TrafficEncapMode::Hybrid)
    }
}

/// The IP families an agent's Pods use (Antrea derives them from the Node's Pod CIDRs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IpStack {
    /// IPv4 only (the default).
    #[default]
    Ipv4,
    /// IPv6 only: no ARP tables, the `IPv6` table after `SpoofGuard`.
    Ipv6,
    /// Both: the ARP tables and the `IPv6` table.
    DualStack,
}

/// The agent settings that change a default Linux agent's pipeline
/// ([`Pipeline::antrea`]): encapsulation mode, IP families, and Antrea Proxy's `proxyAll`.
/// The default is the default agent's ([`Pipeline::antrea_default`]).
///
/// ```
/// use antrea_metrics::{AgentModes, IpStack, Pipeline, TableId, TrafficEncapMode};
/// let modes = AgentModes::default()
///     .traffic_encap_mode(TrafficEncapMode::NoEncap)
///     .ip_stack(IpStack::DualStack)
///     .proxy_all(true);
/// let p = Pipeline::antrea(modes);
/// assert_eq!(p.id("IPv6"), Some(TableId(5)));
/// assert_eq!(p.id("NodePortMark"), Some(TableId(10)));
/// assert_eq!(p.id("EgressMark"), None);
/// assert_eq!(p.len(), 30);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AgentModes {
    encap: TrafficEncapMode,
    ip_stack: IpStack,
    proxy_all: bool,
}

impl AgentModes {
    /// Antrea's `trafficEncapMode` (default `encap`).
    pub fn traffic_encap_mode(mut self, mode: TrafficEncapMode) -> Self {
        self.encap = mode;
        self
    }

    /// The Pods' IP families (default IPv4 only).
    pub fn ip_stack(mut self, stack: IpStack) -> Self {
        self.ip_stack = stack;
        self
    }

    /// Antrea Proxy's `proxyAll` (default off): NodePort traffic from the host too, through
    /// the `NodePortMark` table after `PreRoutingClassifier`.
    pub fn proxy_all(mut self, on: bool) -> Self {
        self.proxy_all = on;
        self
    }
}

/// OVS numbers tables with a `uint8`.
const MAX_TABLES: usize = u8::MAX as usize + 1;

/// The realized tables of one agent, in pipeline order; ids are dense from 0, as Antrea
/// assigns them.
///
/// [`Pipeline::antrea_default`] is a default agent's; [`Pipeline::antrea`] (and its presets
/// [`Pipeline::antrea_dual_stack`], [`Pipeline::antrea_no_encap`],
/// [`Pipeline::antrea_network_policy_only`], [`Pipeline::antrea_proxy_all`]) an agent's in
/// other encapsulation modes, IP families or with `proxyAll`. Describe another feature set by
/// adding the tables its features need where Antrea declares them, or removing those of a
/// feature that is off:
///
/// ```
/// use antrea_metrics::{Pipeline, TableId};
/// // TrafficControl on: its table follows L2ForwardingCalc, and every later id moves up one.
/// let tc = Pipeline::antrea_default().with_after("L2ForwardingCalc", ["TrafficControl"])?;
/// assert_eq!(tc.id("TrafficControl"), Some(TableId(22)));
/// assert_eq!(tc.id("Output"), Some(TableId(29)));
/// // Egress off: no EgressMark, and the tables after it move down one.
/// let no_egress = Pipeline::antrea_default().without("EgressMark")?;
/// assert_eq!(no_egress.id("L3DecTTL"), Some(TableId(17)));
/// assert_eq!(no_egress.len(), 28);
/// # Ok::<(), antrea_metrics::PipelineError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pipeline {
    tables: Vec<Cow<'static, str>>,
}

/// A pipeline description that OVS or Antrea could not realize.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// More tables than OVS table ids.
    #[error("a pipeline of {0} tables does not fit OVS's 256 table ids (remove tables)")]
    TooManyTables(usize),
    /// Two tables with one name.
    #[error("the pipeline names table {0:?} twice (give each table once)")]
    Duplicate(String),
    /// A table with an empty name.
    #[error("a pipeline table has an empty name (name every table as Antrea does)")]
    EmptyName,
    /// A table named as a position that the pipeline does not have.
    #[error("the pipeline has no table {0:?} (use a name of Pipeline::tables)")]
    NoSuchTable(String),
}

impl Pipeline {
    /// A default Linux agent's pipeline: the 29 tables of [`ANTREA_DEFAULT_TABLES`], ids 0–28
    /// (the same for Antrea v2.7 and v1.11).
    pub fn antrea_default() -> Self {
        Pipeline {
            tables: ANTREA_DEFAULT_TABLES
                .iter()
                .map(|t| Cow::Borrowed(*t))
                .collect(),
        }
    }

    /// The pipeline of an agent with `modes` and otherwise default features: the tables
    /// Antrea v2.7 realizes for them, in its order (`pkg/agent/openflow`: each feature's
    /// required tables, ordered as `pipeline.go` declares them).
    pub fn antrea(modes: AgentModes) -> Self {
        let mut tables: Vec<&'static str> = ANTREA_DEFAULT_TABLES.to_vec();
        let insert_after = |tables: &mut Vec<&'static str>, after: &str, table| {
            let at = tables.iter().position(|t| *t == after).map_or(0, |i| i + 1);
            tables.insert(at, table);
        };
        if modes.ip_stack != IpStack::Ipv4 {
            insert_after(&mut tables, "SpoofGuard", "IPv6");
        }
        if modes.ip_stack == IpStack::Ipv6 {
            tables.retain(|t| !matches!(*t, "ARPSpoofGuard" | "ARPResponder"));
        }
        if modes.proxy_all {
            insert_after(&mut tables, "PreRoutingClassifier", "NodePortMark");
        }
        if !modes.encap.supports_encap() {
            tables.retain(|t| *t != "EgressMark");
        }
        Pipeline {
            tables: tables.into_iter().map(Cow::Borrowed).collect(),
        }
    }

    /// A dual-stack agent's pipeline: the default one with the `IPv6` table after
    /// `SpoofGuard` (30 tables).
    pub fn antrea_dual_stack() -> Self {
        Self::antrea(AgentModes::default().ip_stack(IpStack::DualStack))
    }

    /// A `noEncap` agent's pipeline: the default one without `EgressMark` (28 tables).
    pub fn antrea_no_encap() -> Self {
        Self::antrea(AgentModes::default().traffic_encap_mode(TrafficEncapMode::NoEncap))
    }

    /// A `networkPolicyOnly` agent's pipeline: the same tables as `noEncap`'s.
    pub fn antrea_network_policy_only() -> Self {
        Self::antrea(AgentModes::default().traffic_encap_mode(TrafficEncapMode::NetworkPolicyOnly))
    }

    /// The pipeline of an agent with `proxyAll`: the default one with `NodePortMark` after
    /// `PreRoutingClassifier` (30 tables).
    pub fn antrea_proxy_all() -> Self {
        Self::antrea(AgentModes::default().proxy_all(true))
    }

    /// A pipeline of `tables` in this order, numbered from 0.
    ///
    /// # Errors
    /// [`PipelineError`] for an empty or repeated name, or more than 256 tables.
    pub fn new<I, S>(tables: I) -> Result<Self, PipelineError>
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        let tables: Vec<Cow<'static, str>> = tables.into_iter().map(Into::into).collect();
        check(&tables)?;
        Ok(Pipeline { tables })
    }

    /// This pipeline with `tables` inserted right after the table named `after`; every later
    /// table's id moves up.
    ///
    /// # Errors
    /// [`PipelineError::NoSuchTable`] when there is no table `after`, and as [`Pipeline::new`].
    pub fn with_after<I, S>(mut self, after: &str, tables: I) -> Result<Self, PipelineError>
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        let at = self.position(after)? + 1;
        self.tables
            .splice(at..at, tables.into_iter().map(Into::into));
        check(&self.tables)?;
        Ok(self)
    }

    /// This pipeline without the table named `table`; every later table's id moves down.
    ///
    /// # Errors
    /// [`PipelineError::NoSuchTable`] when there is no such table.
    pub fn without(mut self, table: &str) -> Result<Self, PipelineError> {
        let at = self.position(table)?;
        self.tables.remove(at);
        Ok(self)
    }

    /// The id Antrea gives the table named `name`, if the pipeline has it.
    pub fn id(&self, name: &str) -> Option<TableId> {
        let i = self.tables.iter().position(|t| t == name)?;
        // `check` keeps every position below 256.
        u8::try_from(i).ok().map(TableId)
    }

    /// The name of the table with id `id`, if the pipeline has one.
    pub fn name(&self, id: TableId) -> Option<&str> {
        self.tables.get(usize::from(id.0)).map(|t| &**t)
    }

    /// Every table with its id, in pipeline order.
    pub fn tables(&self) -> impl ExactSizeIterator<Item = (TableId, &str)> {
        // `check` keeps every position below 256, so the ids are the positions.
        (0..=u8::MAX)
            .map(TableId)
            .zip(self.tables.iter().map(|t| &**t))
    }

    /// The number of tables.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether the pipeline has no table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    fn position(&self, name: &str) -> Result<usize, PipelineError> {
        let found = self.tables.iter().position(|t| t == name);
        found.ok_or_else(|| PipelineError::NoSuchTable(name.to_owned()))
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::antrea_default()
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.tables()).finish()
    }
}

fn check(tables: &[Cow<'static, str>]) -> Result<(), PipelineError> {
    if tables.len() > MAX_TABLES {
        return Err(PipelineError::TooManyTables(tables.len()));
    }
    for (i, t) in tables.iter().enumerate() {
        if t.is_empty() {
            return Err(PipelineError::EmptyName);
        }
        if tables[..i].contains(t) {
            return Err(PipelineError::Duplicate(t.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_dense_from_zero() {
        let p = Pipeline::antrea_default();
        let ids: Vec<u8> = p.tables().map(|(id, _)| id.0).collect();
        assert_eq!(ids, (0..29).collect::<Vec<u8>>());
        assert_eq!(p.id("PipelineRootClassifier"), Some(TableId(0)));
        assert_eq!(p.id("L2ForwardingCalc"), Some(TableId(21)));
        assert_eq!(p.id("IngressSecurityClassifier"), Some(TableId(22)));
        assert_eq!(p.id("TrafficControl"), None);
        assert_eq!(p.name(TableId(28)), Some("Output"));
        assert_eq!(p.name(TableId(29)), None);
    }

    #[test]
    fn bad_descriptions_are_refused_and_change_nothing() {
        assert_eq!(
            Pipeline::new(["A", "B", "A"]),
            Err(PipelineError::Duplicate("A".into()))
        );
        assert_eq!(Pipeline::new(["A", ""]), Err(PipelineError::EmptyName));
        let many = (0..257).map(|i| format!("T{i}"));
        assert_eq!(Pipeline::new(many), Err(PipelineError::TooManyTables(257)));
        let full = Pipeline::new((0..256).map(|i| format!("T{i}"))).map(|p| p.len());
        assert_eq!(full, Ok(256));
        let p = Pipeline::antrea_default();
        assert_eq!(
            p.clone().with_after("Nope", ["X"]),
            Err(PipelineError::NoSuchTable("Nope".into()))
        );
        assert_eq!(
            p.clone().with_after("Output", ["Classifier"]),
            Err(PipelineError::Duplicate("Classifier".into()))
        );
        assert_eq!(
            p.without("TrafficControl"),
            Err(PipelineError::NoSuchTable("TrafficControl".into()))
        );
    }
}
