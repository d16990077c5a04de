//! A component's families as one unit: registered into a `prometheus::Registry` as a single
//! collector (all or nothing), and able to write its exposition directly.

use crate::descriptor::Component;
use crate::error::{CoreResult, MetricsError};
use crate::family::AnyFamily;
use crate::{Exposition, Profile};
use prometheus::core::{Collector, Desc};
use prometheus::proto;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The families of one process (agent or controller) for one profile.
#[derive(Clone, Debug)]
pub struct ComponentCollector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    component: Component,
    profile: Profile,
    /// Every family of the component, sorted by exposed name (absent ones last, unseen).
    families: Vec<Arc<dyn AnyFamily>>,
    descs: Vec<Desc>,
    /// Bytes written by the last exposition: reserved up front so that a scrape allocates its
    /// buffer once instead of growing it a dozen times.
    last_len: AtomicUsize,
}

impl ComponentCollector {
    /// The collector of `families`, which a metric set's registration created.
    pub(crate) fn new(
        component: Component,
        profile: Profile,
        mut families: Vec<Arc<dyn AnyFamily>>,
    ) -> CoreResult<Self> {
        families.sort_by_key(|f| (f.head().exposed.is_none(), f.head().exposed.map(|e| e.name)));
        let descs = families
            .iter()
            .filter_map(|f| {
                let head = f.head();
                let e = head.exposed?;
                let labels = head.label_names.iter().map(|l| l.to_string()).collect();
                Some(Desc::new(
                    e.name.to_owned(),
                    head.help.clone(),
                    labels,
                    HashMap::new(),
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| MetricsError::Describe {
                component: component.as_str(),
                source,
            })?;
        Ok(ComponentCollector {
            inner: Arc::new(Inner {
                component,
                profile,
                families,
                descs,
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
                component: self.inner.component.as_str(),
                source,
            })
    }
}

impl Exposition for ComponentCollector {
    fn encode_text(&self, out: &mut Vec<u8>) -> CoreResult<()> {
        let start = out.len();
        // A little headroom for series added since the last scrape.
        out.reserve(self.inner.last_len.load(Ordering::Relaxed) * 9 / 8);
        for family in &self.inner.families {
            family.write_text(out);
        }
        (self.inner.last_len).store(out.len() - start, Ordering::Relaxed);
        Ok(())
    }
}

impl Collector for ComponentCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.descs.iter().collect()
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        self.inner
            .families
            .iter()
            .filter_map(|f| f.to_proto())
            .collect()
    }
}
