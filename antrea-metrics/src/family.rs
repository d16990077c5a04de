//! A registered metric family: its descriptor resolved for one profile, and its series.

use crate::descriptor::{Descriptor, Exposed, MetricType};
use crate::metrics::{Counter, CounterMode, Gauge, Histogram, NativeConfig, Unit};
use crate::{LabelValue, Profile};
use std::sync::{PoisonError, RwLock};

/// The value store of one series.
#[derive(Clone, Debug)]
pub(crate) enum Store {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
}

/// One series: its label values, in the order of [`Family::label_names`], and its store.
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) values: Box<[Box<str>]>,
    /// The values with their label names as the text format writes them (`a="x",b="y"`).
    pub(crate) labels: Box<[u8]>,
    pub(crate) store: Store,
}

/// A family as one process exposes it.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) desc: &'static Descriptor,
    /// `None` when the profile does not expose this family: handles still work, unseen.
    pub(crate) exposed: Option<Exposed>,
    /// The HELP text with its stability prefix.
    pub(crate) help: String,
    /// Exposed label names (`ip_family` last for Antrea Proxy families).
    pub(crate) label_names: Vec<&'static str>,
    /// For each exposed label, its position in the values handles pass in.
    projection: Vec<usize>,
    /// How new counter series keep their values.
    counters: CounterMode,
    /// Native buckets for new histogram series, when the family opted in.
    native: Option<NativeConfig>,
    /// The `# HELP` and `# TYPE` lines, as written in every scrape (empty when not exposed).
    pub(crate) header: Box<[u8]>,
    /// Histogram bucket bounds as `le` label values, `+Inf` last: formatted once, not per scrape.
    pub(crate) le_values: Box<[Box<str>]>,
    /// Kept sorted by label values, the order Prometheus' Go client exposes series in.
    pub(crate) series: RwLock<Vec<Series>>,
}

impl Family {
    pub(crate) fn new(
        desc: &'static Descriptor,
        profile: Profile,
        counters: CounterMode,
        native: Option<NativeConfig>,
    ) -> Self {
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
        let le_values = if desc.metric_type == MetricType::Histogram {
            // A native histogram without classic buckets has the `+Inf` one alone.
            let classic = native.is_none_or(|n| n.keeps_classic());
            let buckets = if classic { desc.buckets } else { &[] };
            let bounds = buckets.iter().copied().chain([f64::INFINITY]);
            bounds.map(crate::text::float_string).collect()
        } else {
            Box::default()
        };
        let header = exposed.map_or_else(Box::default, |e| {
            crate::text::family_header(e.name, &help, desc.metric_type.as_str())
        });
        let family = Family {
            desc,
            exposed,
            help,
            header,
            label_names,
            projection,
            counters,
            native,
            le_values,
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
                for fam in crate::IpFamily::ALL {
                    let mut v = values.to_vec();
                    v.push(fam.as_str());
                    family.series(&v);
                }
            } else {
                family.series(values);
            }
        }
        family
    }

    /// The store of the series with these label values (the descriptor's labels, then the IP
    /// family for Antrea Proxy families), created on first use. Values of labels that the
    /// profile does not expose are dropped, so such series share one store.
    pub(crate) fn series(&self, values: &[&str]) -> Store {
        let key: Vec<&str> = self
            .projection
            .iter()
            .map(|&i| values.get(i).copied().unwrap_or(""))
            .collect();
        let cmp = |s: &Series| s.values.iter().map(|v| &**v).cmp(key.iter().copied());
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
                let store = self.new_store();
                let values: Box<[Box<str>]> = key.iter().map(|v| Box::from(*v)).collect();
                let labels = crate::text::label_pairs(&self.label_names, &values);
                series.insert(
                    i,
                    Series {
                        values,
                        labels,
                        store: store.clone(),
                    },
                );
                store
            }
        }
    }

    fn new_store(&self) -> Store {
        match self.desc.metric_type {
            MetricType::Counter => Store::Counter(Counter::with_mode(self.counters)),
            MetricType::Gauge => Store::Gauge(Gauge::default()),
            MetricType::Histogram => {
                let unit = if self.desc.name.ends_with("_milliseconds") {
                    Unit::Milliseconds
                } else {
                    Unit::Seconds
                };
                Store::Histogram(match &self.native {
                    Some(native) => Histogram::with_native(self.desc.buckets, unit, native),
                    None => Histogram::new(self.desc.buckets, unit),
                })
            }
        }
    }

    pub(crate) fn counter(&self, values: &[&str]) -> Counter {
        match self.series(values) {
            Store::Counter(c) => c,
            other => unreachable!("{} is not a counter: {other:?}", self.desc.name),
        }
    }

    pub(crate) fn gauge(&self, values: &[&str]) -> Gauge {
        match self.series(values) {
            Store::Gauge(g) => g,
            other => unreachable!("{} is not a gauge: {other:?}", self.desc.name),
        }
    }

    pub(crate) fn histogram(&self, values: &[&str]) -> Histogram {
        match self.series(values) {
            Store::Histogram(h) => h,
            other => unreachable!("{} is not a histogram: {other:?}", self.desc.name),
        }
    }
}
