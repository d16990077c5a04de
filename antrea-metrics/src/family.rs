//! A registered metric family: its declaration resolved for one profile, its series, and the
//! read-only view of both that the formats encode.

use crate::descriptor::{Descriptor, Exposed, MetricType};
use crate::labels::{self, LabelSet, LabelValue};
use crate::metrics::{CounterMode, NativeConfig};
use crate::profile::Profile;
use crate::store::Store;
pub(crate) use crate::store::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// What a family shows on the wire, fixed at registration: what every format reads first.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) desc: &'static Descriptor,
    /// `None` when the profile does not expose this family: handles still work, unseen.
    pub(crate) exposed: Option<Exposed>,
    /// The HELP text with its stability prefix.
    pub(crate) help: String,
    /// Exposed label names (`ip_family` last for Antrea Proxy families).
    pub(crate) label_names: Vec<&'static str>,
    /// For each exposed label, its position in the values handles pass in.
    projection: Vec<usize>,
    /// A histogram's exposed bucket bounds, `+Inf` last (empty for other kinds).
    pub(crate) bounds: Box<[f64]>,
}

impl Head {
    /// The head of `desc` under `profile`, shared by every family of the process with the same
    /// declaration, profile and bucket layout: a process serving many components (a simulated
    /// fleet, or several in one binary) keeps one HELP text, label list and bucket list per
    /// family, not one per component. Heads are few (declarations × profiles × 2) and live for
    /// the process.
    fn shared(
        desc: &'static Descriptor,
        profile: Profile,
        native: Option<&NativeConfig>,
    ) -> Arc<Self> {
        type Key = (usize, Profile, bool);
        static HEADS: OnceLock<Mutex<HashMap<Key, Arc<Head>>>> = OnceLock::new();
        let classic = native.is_none_or(NativeConfig::keeps_classic);
        let key = (std::ptr::from_ref(desc) as usize, profile, classic);
        let mut heads = HEADS
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            heads
                .entry(key)
                .or_insert_with(|| Arc::new(Head::new(desc, profile, native))),
        )
    }

    fn new(desc: &'static Descriptor, profile: Profile, native: Option<&NativeConfig>) -> Self {
        let exposed = desc.exposed(profile);
        let shown = exposed.map_or(desc.labels, |e| e.labels);
        let mut label_names: Vec<&'static str> = shown.to_vec();
        let mut projection: Vec<usize> = shown
            .iter()
            .filter_map(|l| desc.labels.iter().position(|d| d == l))
            .collect();
        if desc.per_ip_family {
            label_names.push("ip_family");
            projection.push(desc.labels.len());
        }
        let help = desc.exposed_help(exposed.map_or(desc.help, |e| e.help));
        let bounds = if desc.metric_type == MetricType::Histogram {
            // A native histogram without classic buckets has the `+Inf` one alone.
            let classic = native.is_none_or(NativeConfig::keeps_classic);
            let buckets = if classic { desc.buckets } else { &[] };
            buckets.iter().copied().chain([f64::INFINITY]).collect()
        } else {
            Box::default()
        };
        Head {
            desc,
            exposed,
            help,
            label_names,
            projection,
            bounds,
        }
    }

    /// The exposed name, `None` when the profile does not expose the family.
    pub(crate) fn name(&self) -> Option<&'static str> {
        self.exposed.map(|e| e.name)
    }
}

/// One series: its label values, in the order of [`Head::label_names`], and its store.
#[derive(Debug)]
struct Series<K> {
    values: Box<[Box<str>]>,
    /// The label set's canonical form, `a="x",b="y"` ([`labels::render`]), made once.
    rendered: Box<[u8]>,
    store: K,
}

/// A family of series of kind `K`, as one process exposes it.
#[derive(Debug)]
pub(crate) struct Family<K> {
    head: Arc<Head>,
    /// How new counter series keep their values.
    counters: CounterMode,
    /// Native buckets for new histogram series, when the family opted in.
    native: Option<NativeConfig>,
    /// Kept sorted by label values, the order Prometheus' Go client exposes series in.
    series: RwLock<Vec<Series<K>>>,
}

impl<K: Store> Family<K> {
    pub(crate) fn new(
        desc: &'static Descriptor,
        profile: Profile,
        counters: CounterMode,
        native: Option<NativeConfig>,
    ) -> Self {
        let family = Family {
            head: Head::shared(desc, profile, native.as_ref()),
            counters,
            native,
            series: RwLock::new(Vec::new()),
        };
        // Unlabeled families have their one series from the start; labeled ones the listed ones.
        let startup: Vec<&[&str]> = if desc.labels.is_empty() {
            vec![&[]]
        } else {
            desc.startup.to_vec()
        };
        for values in startup {
            if desc.per_ip_family {
                for fam in labels::IpFamily::ALL {
                    let mut v = values.to_vec();
                    v.push(fam.as_str());
                    family.series_of(&v);
                }
            } else {
                family.series_of(values);
            }
        }
        family
    }

    /// The store of the series with the label set `labels` (of the family's declared label
    /// type), created on first use. Values of labels that the profile does not expose are
    /// dropped, so such series share one store.
    pub(crate) fn series<L: LabelSet>(&self, labels: &L) -> K {
        labels.with_values(|values| self.series_of(values))
    }

    /// As [`Family::series`], from the values themselves: the declaration's labels, then the
    /// IP family for Antrea Proxy families. Their count is the label type's, so every
    /// projected position exists.
    fn series_of(&self, values: &[&str]) -> K {
        let head = &self.head;
        let key: Vec<&str> = head.projection.iter().map(|&i| values[i]).collect();
        let cmp = |s: &Series<K>| s.values.iter().map(|v| &**v).cmp(key.iter().copied());
        {
            let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
            if let Ok(i) = series.binary_search_by(cmp) {
                return series[i].store.clone();
            }
        }
        let mut series = self.series.write().unwrap_or_else(PoisonError::into_inner);
        match series.binary_search_by(cmp) {
            Ok(i) => series[i].store.clone(),
            Err(i) => {
                let store = K::create(head.desc, self.counters, self.native.as_ref());
                let values: Box<[Box<str>]> = key.iter().map(|v| Box::from(*v)).collect();
                let rendered = labels::render(&head.label_names, &values);
                let new = Series {
                    values,
                    rendered,
                    store: store.clone(),
                };
                series.insert(i, new);
                store
            }
        }
    }
}

/// One series as the formats read it.
pub(crate) struct SeriesView<'a> {
    /// Label values, in the order of [`Head::label_names`].
    pub(crate) values: &'a [Box<str>],
    /// The label set's canonical form, `a="x",b="y"` (empty without labels).
    pub(crate) rendered: &'a [u8],
    /// The series' value.
    pub(crate) value: Value<'a>,
}

/// The read-only view of a family of any kind: what the [formats](crate::format) encode and
/// the `prometheus::Registry` bridge converts. It knows no format.
pub(crate) trait FamilyView: Send + Sync + fmt::Debug {
    /// What it shows on the wire.
    fn head(&self) -> &Head;

    /// Calls `f` with every series, in exposition order (sorted by label values), under one
    /// read of the series list; returns how many there were.
    fn visit(&self, f: &mut dyn FnMut(SeriesView<'_>)) -> usize;
}

impl<K: Store> FamilyView for Family<K> {
    fn head(&self) -> &Head {
        &self.head
    }

    fn visit(&self, f: &mut dyn FnMut(SeriesView<'_>)) -> usize {
        let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
        for s in series.iter() {
            f(SeriesView {
                values: &s.values,
                rendered: &s.rendered,
                value: s.store.value(),
            });
        }
        series.len()
    }
}
