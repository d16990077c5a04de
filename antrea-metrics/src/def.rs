//! The typed declaration of one metric family: its facts plus, in its type, the kind of handle
//! it gives and the label values that select a series.

use crate::descriptor::{Component, Descriptor, MetricType, Stability};
use crate::labels::sealed::Startup;
use crate::labels::{LabelSet, LabelValue};
use crate::{Counter, Gauge, Histogram, Unit};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

/// The handle type of a family's series, fixing its Prometheus type: [`Counter`], [`Gauge`]
/// or [`Histogram`]. Sealed: these three are the only kinds.
pub trait Kind: sealed::Sealed + Clone + Send + Sync + 'static {
    /// The Prometheus type of families of this kind.
    const TYPE: MetricType;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Counter {}
    impl Sealed for crate::Gauge {}
    impl Sealed for crate::Histogram {}

    /// The kinds whose families have no unit and no buckets: counters and gauges.
    pub trait Scalar: super::Kind {}
    impl Scalar for crate::Counter {}
    impl Scalar for crate::Gauge {}
}

impl Kind for Counter {
    const TYPE: MetricType = MetricType::Counter;
}

impl Kind for Gauge {
    const TYPE: MetricType = MetricType::Gauge;
}

impl Kind for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

/// One metric family, declared once: its [`Descriptor`] (name, type, HELP, stability, labels,
/// startup series, buckets, unit, `since`; a [`Profile`](crate::Profile)'s table says how an older release differs), with the handle kind `K` and the
/// label set `L` ([`LabelSet`]: `()` for none, a label enum, a pair of them, or a struct for an
/// open set) in
/// its type, so that asking a gauge family for a counter does not compile.
///
/// Handles, registration, `docs/metrics.md` and the conformance tests all come from these
/// declarations ([`catalogue`](crate::catalogue)). A `Def` reads as its descriptor:
///
/// ```
/// use antrea_metrics::{catalogue, Def, Gauge};
/// let pods: &Def<Gauge> = &catalogue::AGENT_LOCAL_POD_COUNT;
/// assert_eq!(pods.name, "antrea_agent_local_pod_count");
/// assert_eq!(pods.metric_type.as_str(), "gauge");
/// ```
///
/// The kind is part of the type, so a gauge declaration is never taken for a counter's:
///
/// ```compile_fail
/// use antrea_metrics::{catalogue, Counter, Def};
/// let pods: &Def<Counter> = &catalogue::AGENT_LOCAL_POD_COUNT;
/// ```
pub struct Def<K, L = ()> {
    pub(crate) desc: Descriptor,
    handles: PhantomData<fn() -> (K, L)>,
}

impl<K: Kind> Def<K, ()> {
    const fn new(
        name: &'static str,
        component: Option<Component>,
        stability: Stability,
        help: &'static str,
        unit: Option<Unit>,
        buckets: &'static [f64],
    ) -> Self {
        Def {
            desc: Descriptor {
                name,
                component,
                metric_type: K::TYPE,
                stability,
                help,
                labels: &[],
                startup: &[],
                buckets,
                unit,
                per_ip_family: false,
                since: "",
            },
            handles: PhantomData,
        }
    }
}

impl<K: sealed::Scalar> Def<K> {
    /// A counter or gauge family without labels (the kind is the declared type's).
    pub(crate) const fn scalar(
        name: &'static str,
        component: Component,
        stability: Stability,
        help: &'static str,
    ) -> Self {
        Self::new(name, Some(component), stability, help, None, &[])
    }

    /// A counter or gauge family of the library's own (not Antrea's): no component, no
    /// stability level. The server's.
    #[cfg(feature = "server")]
    pub(crate) const fn own(name: &'static str, help: &'static str) -> Self {
        Self::new(name, None, Stability::Internal, help, None, &[])
    }
}

impl Def<Histogram> {
    /// A histogram family without labels, observing values in `unit` into `buckets`.
    pub(crate) const fn histogram(
        name: &'static str,
        component: Component,
        stability: Stability,
        unit: Unit,
        buckets: &'static [f64],
        help: &'static str,
    ) -> Self {
        Self::new(name, Some(component), stability, help, Some(unit), buckets)
    }

    /// A histogram family of the library's own (not Antrea's), observing values in `unit`.
    /// The server's.
    #[cfg(feature = "server")]
    pub(crate) const fn own_histogram(
        name: &'static str,
        unit: Unit,
        buckets: &'static [f64],
        help: &'static str,
    ) -> Self {
        Self::new(name, None, Stability::Internal, help, Some(unit), buckets)
    }
}

impl<K> Def<K, ()> {
    /// The same family with the label set `L`, which names its variable labels and gives
    /// their values.
    pub(crate) const fn labels<L: LabelSet>(self) -> Def<K, L> {
        let mut desc = self.desc;
        desc.labels = L::NAMES;
        Def {
            desc,
            handles: PhantomData,
        }
    }

    /// The same family as Antrea Proxy registers it: one series per IP family, told apart by
    /// the constant label `ip_family`.
    pub(crate) const fn per_ip_family(self) -> Def<K, crate::IpFamily> {
        let mut desc = self.desc;
        desc.per_ip_family = true;
        Def {
            desc,
            handles: PhantomData,
        }
    }
}

impl<K, L: LabelValue> Def<K, L> {
    /// Every value of the label's closed set has its series from startup (at 0).
    pub(crate) const fn startup_all(mut self) -> Self {
        self.desc.startup = <L as Startup>::STARTUP;
        self
    }
}

impl<K, L> Def<K, L> {
    /// The Antrea release that introduced the family.
    pub(crate) const fn since(mut self, since: &'static str) -> Self {
        self.desc.since = since;
        self
    }

    /// The family's facts.
    pub const fn descriptor(&self) -> &Descriptor {
        &self.desc
    }
}

impl<K, L> Deref for Def<K, L> {
    type Target = Descriptor;

    fn deref(&self) -> &Descriptor {
        &self.desc
    }
}

impl<K, L> fmt::Debug for Def<K, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.desc, f)
    }
}
