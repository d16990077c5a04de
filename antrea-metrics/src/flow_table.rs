//! Per-OVS-table flow counts (`antrea_agent_ovs_flow_count{table_id,table_name}`).

use crate::labeled::Labeled;
use crate::{Gauge, TableId, TableLabels};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

const TABLES: usize = u8::MAX as usize + 1;
/// Slots are made 16 ids at a time, on first use: a pipeline uses a few dozen of the 256 ids,
/// and a process with many agents' views (a simulated fleet) would otherwise hold 8 KiB of
/// empty slots for each.
const CHUNK: usize = 16;

/// The first name seen for a table id, with its gauge.
type Slot = OnceLock<(Box<str>, Gauge)>;
type Chunk = OnceLock<Box<[Slot; CHUNK]>>;

/// Flow counts per OVS table. A table is keyed by its id *and* name, so distinct tables never
/// share a series; the common case (one name per id) is a lock-free array lookup.
///
/// ```
/// use antrea_metrics::{AgentMetrics, Profile, TableId};
/// let agent = AgentMetrics::register(&prometheus::Registry::new(), Profile::Latest)?;
/// let classifier = agent.ovs_flow_count.table(TableId(1), "Classifier");
/// classifier.set(12.0);
/// agent.ovs_flow_count.set(TableId(2), "SpoofGuard", 3.0);
/// assert_eq!(agent.ovs_flow_count.table(TableId(1), "Classifier").get(), 12.0);
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone)]
pub struct OvsFlowCount {
    inner: Arc<Inner>,
}

struct Inner {
    family: Labeled<Gauge, TableLabels<'static>>,
    by_id: [Chunk; TABLES / CHUNK],
    /// Any further name for an id already taken (rare: a pipeline rebuilt with new ids). Keyed
    /// by id, then name, so that a lookup borrows `&str` instead of allocating a key.
    others: Mutex<BTreeMap<TableId, BTreeMap<Box<str>, Gauge>>>,
}

impl OvsFlowCount {
    pub(crate) fn new(family: Labeled<Gauge, TableLabels<'static>>) -> Self {
        OvsFlowCount {
            inner: Arc::new(Inner {
                family,
                by_id: std::array::from_fn(|_| OnceLock::new()),
                others: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The gauge of table `id` named `name`, created on first use. Keep it for hot paths.
    pub fn table(&self, id: TableId, name: &str) -> Gauge {
        let slot = self.slot(id);
        let (first, gauge) = slot.get_or_init(|| (name.into(), self.create(id, name)));
        if **first == *name {
            return gauge.clone();
        }
        let mut others = self
            .inner
            .others
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let names = others.entry(id).or_default();
        if let Some(gauge) = names.get(name) {
            return gauge.clone();
        }
        let gauge = self.create(id, name);
        names.insert(name.into(), gauge.clone());
        gauge
    }

    /// Sets the flow count of table `id` named `name`.
    #[inline]
    pub fn set(&self, id: TableId, name: &str, flows: f64) {
        match self.slot(id).get() {
            Some((first, gauge)) if **first == *name => gauge.set(flows),
            _ => self.table(id, name).set(flows),
        }
    }

    /// The slot of table `id` (its chunk made on first use).
    #[inline]
    fn slot(&self, id: TableId) -> &Slot {
        let i = usize::from(id.0);
        let chunk = self.inner.by_id[i / CHUNK]
            .get_or_init(|| Box::new(std::array::from_fn(|_| OnceLock::new())));
        &chunk[i % CHUNK]
    }

    fn create(&self, id: TableId, name: &str) -> Gauge {
        self.inner.family.series(TableLabels { id, name })
    }
}

impl fmt::Debug for OvsFlowCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables = self
            .inner
            .by_id
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|chunk| chunk.iter())
            .filter(|s| s.get().is_some())
            .count();
        f.debug_struct("OvsFlowCount")
            .field("tables", &tables)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::{AgentMetrics, Exposition, Profile, TableId};

    #[test]
    fn ids_and_names_never_collide() {
        let agent = AgentMetrics::unregistered(Profile::Latest).unwrap_or_else(|e| panic!("{e}"));
        let flows = &agent.ovs_flow_count;
        // Joined without a separator, each pair below spells the same string ("12ab", "1ab").
        flows.set(TableId(1), "2ab", 1.0);
        flows.set(TableId(12), "ab", 2.0);
        flows.set(TableId(1), "ab", 3.0);
        flows.set(TableId(1), "a", 4.0);
        assert_eq!(flows.table(TableId(1), "2ab").get(), 1.0);
        assert_eq!(flows.table(TableId(12), "ab").get(), 2.0);
        assert_eq!(flows.table(TableId(1), "ab").get(), 3.0);
        assert_eq!(flows.table(TableId(1), "a").get(), 4.0);
        let mut out = Vec::new();
        agent
            .encode(crate::format::Format::Text, &mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out);
        let series = text
            .lines()
            .filter(|l| l.starts_with("antrea_agent_ovs_flow_count{"));
        assert_eq!(series.count(), 4);
    }
}
