//! A component's families as one unit: registered into a `prometheus::Registry` as a single
//! collector (all or nothing), and able to write its exposition directly in every format.

use crate::error::{CoreResult, MetricsError};
use crate::family::{FamilyView, SeriesView, Value};
use crate::format::{self, Format, Prepared};
use crate::{Exposition, Profile};
use prometheus::core::{Collector, Desc};
use prometheus::proto;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The families of one process (agent or controller) for one profile.
#[derive(Clone, Debug)]
pub struct ComponentCollector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The set's name in registration errors.
    set: &'static str,
    profile: Profile,
    /// Every family of the component, sorted by exposed name (absent ones last, unseen).
    families: Vec<Arc<dyn FamilyView>>,
    /// What the formats prepared for them, and their descriptors, in the same order.
    shape: Arc<Shape>,
    /// Bytes written by the last exposition: reserved up front so that a scrape allocates its
    /// buffer once instead of growing it a dozen times.
    last_len: AtomicUsize,
}

/// The parts of a component's collector that follow from its families' heads alone: the same
/// for every component of one shape (set, profile, options) in the process, so kept once.
#[derive(Debug)]
struct Shape {
    prepared: Vec<Prepared>,
    descs: Vec<Desc>,
}

impl Shape {
    fn new(set: &'static str, families: &[Arc<dyn FamilyView>]) -> CoreResult<Self> {
        let descs = families
            .iter()
            .filter_map(|f| {
                let head = f.head();
                let name = head.name()?;
                let labels = head.label_names.iter().map(|l| l.to_string()).collect();
                Some(Desc::new(
                    name.to_owned(),
                    head.help.clone(),
                    labels,
                    HashMap::new(),
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| MetricsError::Describe {
                component: set,
                source,
            })?;
        let prepared = families.iter().map(|f| Prepared::new(f.head())).collect();
        Ok(Shape { prepared, descs })
    }

    /// The shape of `families`, made once per process: a process serving many components of
    /// one kind (a simulated fleet; several agents' views in one binary) keeps one set of
    /// headers and descriptors, not one per component. Heads are shared per declaration
    /// ([`crate::family`]), so their addresses identify the shape; shapes are few and live for
    /// the process.
    fn shared(set: &'static str, families: &[Arc<dyn FamilyView>]) -> CoreResult<Arc<Self>> {
        static SHAPES: OnceLock<Mutex<HashMap<Vec<usize>, Arc<Shape>>>> = OnceLock::new();
        let key: Vec<usize> = (families.iter())
            .map(|f| std::ptr::from_ref(f.head()) as usize)
            .collect();
        let mut shapes = SHAPES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(shape) = shapes.get(&key) {
            return Ok(Arc::clone(shape));
        }
        let shape = Arc::new(Shape::new(set, families)?);
        shapes.insert(key, Arc::clone(&shape));
        Ok(shape)
    }
}

impl ComponentCollector {
    /// The collector of `families`, which a metric set's registration created.
    pub(crate) fn new(
        set: &'static str,
        profile: Profile,
        mut families: Vec<Arc<dyn FamilyView>>,
    ) -> CoreResult<Self> {
        families.sort_by_key(|f| (f.head().exposed.is_none(), f.head().name()));
        let shape = Shape::shared(set, &families)?;
        Ok(ComponentCollector {
            inner: Arc::new(Inner {
                set,
                profile,
                families,
                shape,
                last_len: AtomicUsize::new(0),
            }),
        })
    }

    /// The profile this collector exposes.
    pub fn profile(&self) -> Profile {
        self.inner.profile
    }

    /// Registers this collector into `registry`.
    pub(crate) fn register(&self, registry: &prometheus::Registry) -> CoreResult<()> {
        registry
            .register(Box::new(self.clone()))
            .map_err(|source| MetricsError::Register {
                component: self.inner.set,
                source,
            })
    }
}

impl Exposition for ComponentCollector {
    fn supports(&self, _format: Format) -> bool {
        true
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> CoreResult<()> {
        let start = out.len();
        // A little headroom for series added since the last scrape (the protobuf form is
        // about as long as the text: numbers are shorter, names are not repeated).
        out.reserve(self.inner.last_len.load(Ordering::Relaxed) * 9 / 8);
        let prepared = self.inner.shape.prepared.iter();
        let families = (self.inner.families.iter()).map(|f| &**f).zip(prepared);
        format::write_families(format, out, families);
        (self.inner.last_len).store(out.len() - start, Ordering::Relaxed);
        Ok(())
    }
}

impl Collector for ComponentCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.shape.descs.iter().collect()
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        (self.inner.families.iter())
            .filter_map(|f| to_prometheus(&**f))
            .collect()
    }
}

/// A family as `prometheus`' own message, for the registry it is registered into: the edge
/// where this crate meets `prometheus`' types (its classic buckets only: the message has no
/// native fields). `None` when the profile does not expose the family.
fn to_prometheus(family: &dyn FamilyView) -> Option<proto::MetricFamily> {
    let head = family.head();
    let name = head.name()?;
    let mut mf = proto::MetricFamily::default();
    mf.set_name(name.to_owned());
    mf.set_help(head.help.clone());
    mf.set_field_type(match head.desc.metric_type {
        crate::MetricType::Counter => proto::MetricType::COUNTER,
        crate::MetricType::Gauge => proto::MetricType::GAUGE,
        crate::MetricType::Histogram => proto::MetricType::HISTOGRAM,
    });
    let mut metrics = Vec::new();
    family.visit(&mut |s: SeriesView<'_>| {
        let mut m = proto::Metric::default();
        let labels = (head.label_names.iter().zip(s.values.iter()))
            .map(|(n, v)| {
                let mut lp = proto::LabelPair::default();
                lp.set_name((*n).to_owned());
                lp.set_value(v.to_string());
                lp
            })
            .collect();
        m.set_label(labels);
        match s.value {
            Value::Counter(n) => {
                let mut p = proto::Counter::default();
                p.set_value(n as f64);
                m.set_counter(p);
            }
            Value::Gauge(v) => {
                let mut p = proto::Gauge::default();
                p.set_value(v);
                m.set_gauge(p);
            }
            Value::Histogram(h) => {
                let snap = h.snapshot();
                let mut p = proto::Histogram::default();
                p.set_sample_count(snap.count());
                p.set_sample_sum(snap.sum);
                let buckets = (h.bounds().iter().zip(snap.cumulative.iter()))
                    .map(|(le, n)| {
                        let mut b = proto::Bucket::default();
                        b.set_upper_bound(*le);
                        b.set_cumulative_count(*n);
                        b
                    })
                    .collect();
                p.set_bucket(buckets);
                m.set_histogram(p);
            }
        }
        metrics.push(m);
    });
    mf.set_metric(metrics);
    Some(mf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentMetrics, TableId};

    fn text(agent: &AgentMetrics) -> String {
        let mut out = Vec::new();
        (agent.collector().encode(Format::Text, &mut out)).unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Many components in one process (a simulated fleet) share what follows from their
    /// declarations, and nothing that holds a value.
    #[test]
    fn components_of_one_shape_share_headers_not_values() {
        let make = |p| AgentMetrics::unregistered(p).unwrap_or_else(|e| panic!("{e}"));
        let (a, b) = (make(Profile::Latest), make(Profile::Latest));
        let old = make(Profile::V1_11);
        assert!(Arc::ptr_eq(
            &a.collector().inner.shape,
            &b.collector().inner.shape
        ));
        assert!(!Arc::ptr_eq(
            &a.collector().inner.shape,
            &old.collector().inner.shape
        ));
        a.local_pod_count.set(7.0);
        a.ovs_flow_count.set(TableId(3), "SpoofGuard", 2.0);
        b.ovs_flow_count.set(TableId(4), "Classifier", 2.0);
        let (ta, tb) = (text(&a), text(&b));
        assert!(ta.contains("antrea_agent_local_pod_count 7\n"), "{ta}");
        assert!(tb.contains("antrea_agent_local_pod_count 0\n"), "{tb}");
        assert!(ta.contains("table_id=\"3\""), "{ta}");
        assert!(!tb.contains("table_id=\"3\""), "{tb}");
        assert!(!ta.contains("table_id=\"4\""), "{ta}");
        // Each component's exposition still carries every header, and the same ones.
        let headers = |t: &str| -> Vec<String> {
            (t.lines().filter(|l| l.starts_with('#')).map(str::to_owned)).collect()
        };
        assert_eq!(headers(&ta), headers(&tb));
        assert_ne!(headers(&ta), headers(&text(&old)));
    }
}
