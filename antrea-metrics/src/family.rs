//! A registered metric family: its declaration resolved for one profile, and its series.

use crate::descriptor::{Descriptor, Exposed, MetricType};
use crate::store::Store;
use crate::{CounterMode, LabelValue, Profile};
use prometheus::proto;
use std::fmt;
use std::sync::{PoisonError, RwLock};

/// What a family shows on the wire, fixed at registration.
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
    /// The `# HELP` and `# TYPE` lines, as written in every scrape (empty when not exposed).
    header: Box<[u8]>,
    /// Histogram bucket bounds as `le` label values, `+Inf` last: formatted once, not per scrape.
    le_values: Box<[Box<str>]>,
}

impl Head {
    fn new(desc: &'static Descriptor, profile: Profile) -> Self {
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
            let bounds = desc.buckets.iter().copied().chain([f64::INFINITY]);
            bounds.map(crate::text::float_string).collect()
        } else {
            Box::default()
        };
        let header = exposed.map_or_else(Box::default, |e| {
            crate::text::family_header(e.name, &help, desc.metric_type.as_str())
        });
        Head {
            desc,
            exposed,
            help,
            label_names,
            projection,
            header,
            le_values,
        }
    }
}

/// One series: its label values, in the order of [`Head::label_names`], and its store.
#[derive(Debug)]
struct Series<K> {
    values: Box<[Box<str>]>,
    /// The values with their label names as the text format writes them (`a="x",b="y"`).
    labels: Box<[u8]>,
    store: K,
}

/// A family of series of kind `K`, as one process exposes it.
#[derive(Debug)]
pub(crate) struct Family<K> {
    head: Head,
    /// How new counter series keep their values.
    counters: CounterMode,
    /// Kept sorted by label values, the order Prometheus' Go client exposes series in.
    series: RwLock<Vec<Series<K>>>,
}

impl<K: Store> Family<K> {
    pub(crate) fn new(desc: &'static Descriptor, profile: Profile, counters: CounterMode) -> Self {
        let family = Family {
            head: Head::new(desc, profile),
            counters,
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

    /// The store of the series with these label values (the declaration's labels, then the IP
    /// family for Antrea Proxy families), created on first use. Values of labels that the
    /// profile does not expose are dropped, so such series share one store.
    pub(crate) fn series(&self, values: &[&str]) -> K {
        let head = &self.head;
        let key: Vec<&str> = (head.projection.iter())
            .map(|&i| values.get(i).copied().unwrap_or(""))
            .collect();
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
                let store = K::create(head.desc, self.counters);
                let values: Box<[Box<str>]> = key.iter().map(|v| Box::from(*v)).collect();
                let labels = crate::text::label_pairs(&head.label_names, &values);
                let new = Series {
                    values,
                    labels,
                    store: store.clone(),
                };
                series.insert(i, new);
                store
            }
        }
    }
}

/// A family of any kind, as a collector holds it.
pub(crate) trait AnyFamily: Send + Sync + fmt::Debug {
    /// What it shows on the wire.
    fn head(&self) -> &Head;

    /// Appends its exposition; nothing when its profile does not expose it or it has no series.
    fn write_text(&self, out: &mut Vec<u8>);

    /// Its protobuf form, `None` when its profile does not expose it.
    fn to_proto(&self) -> Option<proto::MetricFamily>;
}

impl<K: Store> AnyFamily for Family<K> {
    fn head(&self) -> &Head {
        &self.head
    }

    fn write_text(&self, out: &mut Vec<u8>) {
        let Some(exposed) = self.head.exposed else {
            return;
        };
        let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
        // Like Prometheus' Go client, a family without series is not written at all.
        if series.is_empty() {
            return;
        }
        out.extend_from_slice(&self.head.header);
        for s in series.iter() {
            (s.store).write_samples(out, exposed.name, &s.labels, &self.head.le_values);
        }
    }

    fn to_proto(&self) -> Option<proto::MetricFamily> {
        let head = &self.head;
        let exposed = head.exposed?;
        let mut mf = proto::MetricFamily::default();
        mf.set_name(exposed.name.to_owned());
        mf.set_help(head.help.clone());
        mf.set_field_type(match head.desc.metric_type {
            MetricType::Counter => proto::MetricType::COUNTER,
            MetricType::Gauge => proto::MetricType::GAUGE,
            MetricType::Histogram => proto::MetricType::HISTOGRAM,
        });
        let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
        let metrics = series
            .iter()
            .map(|s| {
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
                s.store.fill(&mut m);
                m
            })
            .collect();
        mf.set_metric(metrics);
        Some(mf)
    }
}
