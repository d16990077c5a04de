//! A component's families as one unit: registered into a `prometheus::Registry` as a single
//! collector (all or nothing), and able to write its exposition directly.

use crate::descriptor::{Component, MetricType};
use crate::family::{Family, Store};
use crate::format::{self, Format};
use crate::{catalogue, text, CounterMode, Error, Exposition, NativeHistograms, Profile, Result};
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
    families: Vec<Family>,
    descs: Vec<Desc>,
    /// Bytes written by the last exposition: reserved up front so that a scrape allocates its
    /// buffer once instead of growing it a dozen times.
    last_len: AtomicUsize,
}

impl ComponentCollector {
    pub(crate) fn new(
        component: Component,
        profile: Profile,
        counters: CounterMode,
        native: &NativeHistograms,
    ) -> Result<Self> {
        let mut families: Vec<Family> = catalogue::CATALOGUE
            .iter()
            .filter(|d| match component {
                // The agent process also runs Antrea Proxy.
                Component::Agent => d.component != Component::Controller,
                other => d.component == other,
            })
            .map(|d| Family::new(d, profile, counters, native.config_for(d.name)))
            .collect();
        families.sort_by_key(|f| (f.exposed.is_none(), f.exposed.map(|e| e.name)));
        let descs = families
            .iter()
            .filter_map(|f| {
                let e = f.exposed?;
                let labels = f.label_names.iter().map(|l| l.to_string()).collect();
                Some(Desc::new(
                    e.name.to_owned(),
                    f.help.clone(),
                    labels,
                    HashMap::new(),
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| Error::Register {
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

    /// The family whose latest-release name is `name`.
    pub(crate) fn family(&self, name: &str) -> &Family {
        let found = self.inner.families.iter().find(|f| f.desc.name == name);
        // Every typed handle names a family of its own component, which `new` created.
        found.unwrap_or_else(|| unreachable!("{name} is not a {:?} family", self.inner.component))
    }

    /// Registers this collector into `registry`.
    pub(crate) fn register(&self, registry: &prometheus::Registry) -> Result<()> {
        registry
            .register(Box::new(self.clone()))
            .map_err(|source| Error::Register {
                component: self.inner.component.as_str(),
                source,
            })
    }
}

impl Exposition for ComponentCollector {
    fn encode_text(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        // A little headroom for series added since the last scrape.
        out.reserve(self.inner.last_len.load(Ordering::Relaxed) * 9 / 8);
        for family in &self.inner.families {
            text::write_family(out, family);
        }
        (self.inner.last_len).store(out.len() - start, Ordering::Relaxed);
        Ok(())
    }

    fn supports(&self, _format: Format) -> bool {
        true
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> Result<()> {
        match format {
            Format::Text => self.encode_text(out),
            Format::Protobuf => {
                out.reserve(self.inner.last_len.load(Ordering::Relaxed));
                let mut scratch = format::protobuf::Scratch::default();
                for family in &self.inner.families {
                    format::protobuf::write_family(out, family, &mut scratch);
                }
                Ok(())
            }
            Format::OpenMetrics => {
                for family in &self.inner.families {
                    format::openmetrics::write_component_family(out, family);
                }
                Ok(())
            }
        }
    }
}

impl Collector for ComponentCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.descs.iter().collect()
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        self.inner.families.iter().filter_map(to_proto).collect()
    }
}

fn to_proto(family: &Family) -> Option<proto::MetricFamily> {
    let exposed = family.exposed?;
    let mut mf = proto::MetricFamily::default();
    mf.set_name(exposed.name.to_owned());
    mf.set_help(family.help.clone());
    mf.set_field_type(match family.desc.metric_type {
        MetricType::Counter => proto::MetricType::COUNTER,
        MetricType::Gauge => proto::MetricType::GAUGE,
        MetricType::Histogram => proto::MetricType::HISTOGRAM,
    });
    let series = family
        .series
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let metrics = series
        .iter()
        .map(|s| {
            let mut m = proto::Metric::default();
            let labels = family
                .label_names
                .iter()
                .zip(s.values.iter())
                .map(|(n, v)| {
                    let mut lp = proto::LabelPair::default();
                    lp.set_name((*n).to_owned());
                    lp.set_value(v.to_string());
                    lp
                })
                .collect();
            m.set_label(labels);
            match &s.store {
                Store::Counter(c) => {
                    let mut p = proto::Counter::default();
                    p.set_value(c.get() as f64);
                    m.set_counter(p);
                }
                Store::Gauge(g) => {
                    let mut p = proto::Gauge::default();
                    p.set_value(g.get());
                    m.set_gauge(p);
                }
                Store::Histogram(h) => {
                    let snap = h.snapshot();
                    let mut p = proto::Histogram::default();
                    p.set_sample_count(snap.count());
                    p.set_sample_sum(snap.sum);
                    let buckets = h
                        .bounds()
                        .iter()
                        .zip(snap.cumulative.iter())
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
            m
        })
        .collect();
    mf.set_metric(metrics);
    Some(mf)
}
