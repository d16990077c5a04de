//! The OVS bridge: Antrea's pipeline tables, their flow counts, and flow operations that take
//! time and sometimes fail.
//!
//! This is the one owner of the flow counts: every change goes through [`Ovs::commit`], which
//! updates the per-table gauges and the total together, so the total always equals the sum of
//! the tables.

use crate::common::rng::Rng;
use antrea_metrics::{pipeline, AgentMetrics, FlowOp, Gauge, Pipeline, TableId};

/// Antrea's pipeline on a Linux Node with the default features, in pipeline order, as the
/// library ships it: Antrea numbers the tables it realizes in this order, so the id is the index.
pub const PIPELINE: [&str; 29] = pipeline::ANTREA_DEFAULT_TABLES;

/// A table of [`PIPELINE`], by name, so that callers cannot misspell one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(usize);

impl Table {
    /// The table named `name`; panics on a name outside the pipeline, which is a bug in the
    /// simulator's own constants, never user input.
    pub const fn named(name: &str) -> Table {
        let mut i = 0;
        while i < PIPELINE.len() {
            if const_eq(PIPELINE[i], name) {
                return Table(i);
            }
            i += 1;
        }
        panic!("not a pipeline table");
    }

    /// The table's id, as Antrea assigns it.
    pub fn id(self) -> TableId {
        TableId(self.0 as u8)
    }

    /// The table's name.
    pub fn name(self) -> &'static str {
        PIPELINE[self.0]
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Flows each table holds with no Pod, policy or Service: the pipeline's own static flows.
const STATIC_FLOWS: [u64; PIPELINE.len()] = [
    6, 2, 3, 4, 2, 2, 3, 5, 2, 1, 4, 2, 1, 1, 1, 3, 8, 3, 4, 3, 3, 6, 3, 1, 1, 1, 3, 4, 6,
];

/// How flow operations behave.
#[derive(Clone, Debug)]
pub struct OvsConfig {
    /// Probability that one flow operation fails.
    pub error_rate: f64,
    /// Median latency of one flow operation, in milliseconds.
    pub latency_median_ms: f64,
}

/// An OVS flow operation that OVS rejected; the flows are as they were before it.
#[derive(Debug, PartialEq, Eq)]
pub struct OpFailed;

/// The bridge's flow tables.
pub struct Ovs {
    flows: [u64; PIPELINE.len()],
    gauges: Vec<Gauge>,
    metrics: AgentMetrics,
    config: OvsConfig,
}

impl Ovs {
    /// A bridge with the pipeline's static flows installed, as after the agent's startup:
    /// OVS connected (every table's series at 0), then each table's default flows.
    pub fn new(metrics: &AgentMetrics, config: OvsConfig) -> Self {
        metrics.ovs_connected(&Pipeline::antrea_default());
        // Keeping each table's gauge avoids the name lookup on every update.
        let gauges = (0..PIPELINE.len())
            .map(|i| metrics.ovs_flow_count.table(Table(i).id(), Table(i).name()))
            .collect();
        let ovs = Ovs {
            flows: STATIC_FLOWS,
            gauges,
            metrics: metrics.clone(),
            config,
        };
        ovs.publish();
        ovs
    }

    /// One flow operation of kind `op` changing each listed table's flow count by its delta
    /// (a modify has deltas of 0 and only rewrites flows). It takes a latency, counts in
    /// `ovs_flow_ops_count`, and fails at the configured rate, leaving every count unchanged.
    pub fn commit(
        &mut self,
        rng: &mut Rng,
        op: FlowOp,
        changes: &[(Table, i64)],
    ) -> Result<(), OpFailed> {
        let m = &self.metrics;
        m.ovs_flow_ops_count.get(op).inc();
        // Bigger bundles take longer; the log-normal tail gives the p99 a realistic distance
        // from the median (OVS occasionally stalls on revalidation).
        let flows: u64 = changes.iter().map(|(_, d)| d.unsigned_abs()).sum();
        let size_factor = 1.0 + (flows as f64).ln_1p() * 0.25;
        let latency = rng.log_normal(self.config.latency_median_ms * size_factor, 0.7);
        m.ovs_flow_ops_latency_milliseconds.get(op).observe(latency);
        if rng.chance(self.config.error_rate) {
            m.ovs_flow_ops_error_count.get(op).inc();
            return Err(OpFailed);
        }
        // Validate first so that a delete of flows that do not exist changes nothing.
        let valid = changes
            .iter()
            .all(|(t, d)| self.flows[t.0].checked_add_signed(*d).is_some());
        if !valid {
            m.ovs_flow_ops_error_count.get(op).inc();
            return Err(OpFailed);
        }
        for (t, d) in changes {
            self.flows[t.0] = self.flows[t.0].saturating_add_signed(*d);
            self.gauges[t.0].set(self.flows[t.0] as f64);
        }
        self.metrics.ovs_total_flow_count.set(self.total() as f64);
        Ok(())
    }

    /// The flow count of `table`.
    #[cfg(test)]
    pub fn flows(&self, table: Table) -> u64 {
        self.flows[table.0]
    }

    /// The flow count of every table.
    pub fn total(&self) -> u64 {
        self.flows.iter().sum()
    }

    fn publish(&self) {
        for (g, n) in self.gauges.iter().zip(self.flows) {
            g.set(n as f64);
        }
        self.metrics.ovs_total_flow_count.set(self.total() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antrea_metrics::{LabelValue, Profile};

    fn ovs(error_rate: f64) -> (Ovs, AgentMetrics) {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let config = OvsConfig {
            error_rate,
            latency_median_ms: 0.8,
        };
        (Ovs::new(&m, config), m)
    }

    fn published_sum(m: &AgentMetrics) -> f64 {
        (0..PIPELINE.len())
            .map(|i| m.ovs_flow_count.table(Table(i).id(), Table(i).name()).get())
            .sum()
    }

    #[test]
    fn names_resolve_to_pipeline_ids() {
        assert_eq!(Table::named("PipelineRootClassifier").id(), TableId(0));
        assert_eq!(Table::named("Classifier").id(), TableId(3));
        assert_eq!(Table::named("Output").id(), TableId(28));
        assert_eq!(Table::named("IngressSecurityClassifier").id(), TableId(22));
        assert_eq!(Table::named("L2ForwardingCalc").name(), "L2ForwardingCalc");
    }

    #[test]
    fn total_is_the_sum_of_tables_after_any_ops() {
        let (mut o, m) = ovs(0.1);
        let mut rng = Rng::seeded(5);
        let t = Table::named("IngressRule");
        for i in 0..2000 {
            let op = [FlowOp::Add, FlowOp::Modify, FlowOp::Delete][i % 3];
            let d = match op {
                FlowOp::Add => 3,
                FlowOp::Modify => 0,
                FlowOp::Delete => -2,
            };
            let _ = o.commit(
                &mut rng,
                op,
                &[(t, d), (Table::named("Output"), d.signum())],
            );
            assert_eq!(m.ovs_total_flow_count.get(), o.total() as f64);
            assert_eq!(published_sum(&m), o.total() as f64);
        }
        let ops: u64 = FlowOp::ALL
            .iter()
            .map(|op| m.ovs_flow_ops_count.get(*op).get())
            .sum();
        assert_eq!(ops, 2000);
        assert_eq!(m.ovs_flow_ops_count.get(FlowOp::Add).get(), 667);
        let errors = m.ovs_flow_ops_error_count.get(FlowOp::Add).get();
        assert!((30..=110).contains(&errors), "{errors}");
    }

    #[test]
    fn a_failed_op_changes_no_count() {
        let (mut o, m) = ovs(1.0);
        let before = o.total();
        let t = Table::named("Classifier");
        assert_eq!(
            o.commit(&mut Rng::seeded(1), FlowOp::Add, &[(t, 5)]),
            Err(OpFailed)
        );
        assert_eq!(o.total(), before);
        assert_eq!(m.ovs_flow_ops_error_count.get(FlowOp::Add).get(), 1);
        assert_eq!(
            m.ovs_flow_ops_latency_milliseconds
                .get(FlowOp::Add)
                .snapshot()
                .count(),
            1
        );
    }

    #[test]
    fn deleting_missing_flows_fails_cleanly() {
        let (mut o, _) = ovs(0.0);
        let t = Table::named("SessionAffinity");
        let have = o.flows(t) as i64;
        assert_eq!(
            o.commit(&mut Rng::seeded(1), FlowOp::Delete, &[(t, -have - 1)]),
            Err(OpFailed)
        );
        assert_eq!(o.flows(t), have as u64);
    }
}
