//! The one registration path of every metric set (agent, controller, proxy): a [`Builder`]
//! creates each declared family once, hands out its typed handles, and registers the whole set
//! as one collector, all or nothing.

use crate::collector::ComponentCollector;
use crate::def::Def;
use crate::descriptor::MetricType;
use crate::error::CoreResult;
use crate::family::{Family, FamilyView};
#[cfg(feature = "server")]
use crate::labeled::OnDemand;
use crate::labeled::{ByLabel, Labeled};
use crate::labels::{ClosedLabelSet, LabelSet};
use crate::store::Store;
use crate::{CounterMode, Exposition, NativeHistograms, Profile};
use std::marker::PhantomData;
use std::sync::Arc;

/// Creates a metric set ([`AgentMetrics`](crate::AgentMetrics),
/// [`ControllerMetrics`](crate::ControllerMetrics), [`ProxyMetrics`](crate::ProxyMetrics)):
/// choose the profile, how counters keep their values and which histograms keep native
/// buckets, then [`register`](Builder::register) it or [`build`](Builder::build) it
/// unregistered.
///
/// ```
/// use antrea_metrics::{ControllerMetrics, CounterMode, Profile};
/// let registry = prometheus::Registry::new();
/// let controller = ControllerMetrics::builder()
///     .profile(Profile::V1_11)
///     .counters(CounterMode::Sharded)
///     .register(&registry)?;
/// assert!(controller.network_policy_processed.is_sharded());
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[must_use]
pub struct Builder<T> {
    pub(crate) options: Options,
    set: PhantomData<fn() -> T>,
}

impl<T: MetricSet> Builder<T> {
    pub(crate) fn new() -> Self {
        Builder {
            options: Options::defaults(),
            set: PhantomData,
        }
    }

    /// The Antrea release whose exposition to reproduce (default [`Profile::Latest`]).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.options.profile = profile;
        self
    }

    /// How every counter of the set keeps its value (default [`CounterMode::Plain`]).
    pub fn counters(mut self, counters: CounterMode) -> Self {
        self.options.counters = counters;
        self
    }

    /// Which histogram families keep native buckets beside (or instead of) their classic ones
    /// (default [`NativeHistograms::none`], as Antrea). Native buckets are written only in the
    /// protobuf format, so serve the set itself ([`Exposition`]) to a Prometheus that asks for
    /// it; the text format and a `prometheus::Registry` it is registered into show the classic
    /// buckets.
    ///
    /// ```
    /// use antrea_metrics::{AgentMetrics, NativeConfig, NativeHistograms};
    /// let agent = AgentMetrics::builder()
    ///     .native_histograms(NativeHistograms::all(NativeConfig::new(1.1)?))
    ///     .build()?;
    /// assert!(agent.conntrack_poll_cycle_duration_seconds.is_native());
    /// # Ok::<(), antrea_metrics::Error>(())
    /// ```
    pub fn native_histograms(mut self, native: NativeHistograms) -> Self {
        self.options.native = native;
        self
    }

    /// Creates the set without registering it anywhere; serve it with
    /// [`Exposition::encode`], or register its collector yourself.
    ///
    /// # Errors
    /// [`crate::MetricsError::Describe`] if a declaration is invalid (never for the built-in ones).
    pub fn build(self) -> CoreResult<T> {
        T::create(Families::new(&self.options, T::COMPONENT.as_str()))
    }

    /// Creates the set and registers it into `registry`, all or nothing.
    ///
    /// # Errors
    /// [`crate::MetricsError::Register`] when `registry` already has one of these families, for
    /// instance when the same set was registered there before; as [`Builder::build`].
    pub fn register(self, registry: &prometheus::Registry) -> CoreResult<T> {
        let set = self.build()?;
        set.collector().register(registry)?;
        Ok(set)
    }
}

impl<T> std::fmt::Debug for Builder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("options", &self.options)
            .finish()
    }
}

/// A set of typed handles for one Antrea process, created by a [`Builder`]. Sealed: the
/// crate's sets are the only ones.
pub trait MetricSet: Exposition + Sized + private::Create {
    /// The collector holding every family of the set, to register into another registry or
    /// serve directly.
    fn collector(&self) -> &ComponentCollector;
}

/// What a builder was told.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) profile: Profile,
    pub(crate) counters: CounterMode,
    /// Native buckets, per histogram family.
    pub(crate) native: NativeHistograms,
    /// Only the controller reads it.
    pub(crate) node_ipam: bool,
    /// Only the agent reads it.
    pub(crate) antrea_proxy: bool,
}

impl Options {
    /// A builder's defaults, and what the server's own families are created with.
    pub(crate) fn defaults() -> Options {
        Options {
            profile: Profile::Latest,
            counters: CounterMode::Plain,
            native: NativeHistograms::none(),
            node_ipam: false,
            antrea_proxy: true,
        }
    }
}

pub(crate) mod private {
    use super::Families;
    use crate::descriptor::Component;
    use crate::error::CoreResult;

    /// How a set creates its handles; not nameable outside the crate, so only the crate's
    /// sets are [`MetricSet`](super::MetricSet)s.
    pub trait Create: Sized {
        /// The component named in registration errors.
        const COMPONENT: Component;

        /// Creates every family of the set through `families`, with their handles, and ends
        /// with [`Families::finish`].
        fn create(families: Families<'_>) -> CoreResult<Self>;
    }
}

/// The families a set creates while it is built.
pub struct Families<'a> {
    options: &'a Options,
    /// The set's name in registration errors.
    set: &'static str,
    list: Vec<Arc<dyn FamilyView>>,
}

impl<'a> Families<'a> {
    /// Starts creating the families of the set named `set` (in errors) with `options`.
    pub(crate) fn new(options: &'a Options, set: &'static str) -> Self {
        Families {
            options,
            set,
            list: Vec::new(),
        }
    }

    /// The collector of every family created, which the set keeps.
    ///
    /// # Errors
    /// [`crate::MetricsError::Describe`] if a declaration is invalid (never for the built-in ones).
    pub(crate) fn finish(self) -> CoreResult<ComponentCollector> {
        ComponentCollector::new(self.set, self.options.profile, self.list)
    }

    /// Finishes the families and, given a registry, registers them there as one collector:
    /// all of them or none (the server's own families, which no set holds).
    ///
    /// # Errors
    /// As [`Families::finish`]; [`crate::MetricsError::Register`] when `registry` already has
    /// one of these families.
    #[cfg(feature = "server")]
    pub(crate) fn register_into(self, registry: Option<&prometheus::Registry>) -> CoreResult<()> {
        let collector = self.finish()?;
        match registry {
            Some(registry) => collector.register(registry),
            None => Ok(()),
        }
    }

    /// The options the set is built with.
    pub(crate) fn options(&self) -> &Options {
        self.options
    }

    /// Creates the family `def` declares, with its startup series.
    pub(crate) fn add<K: Store, L: LabelSet>(&mut self, def: &'static Def<K, L>) -> Labeled<K, L> {
        let native = match K::TYPE {
            MetricType::Histogram => self.options.native.config_for(def.desc.name),
            MetricType::Counter | MetricType::Gauge => None,
        };
        let family = Arc::new(Family::<K>::new(
            &def.desc,
            self.options.profile,
            self.options.counters,
            native,
        ));
        self.list.push(family.clone());
        Labeled::new(family)
    }

    /// The one series of the unlabeled family `def`.
    pub(crate) fn one<K: Store>(&mut self, def: &'static Def<K>) -> K {
        self.add(def).series(())
    }

    /// One series per label set of the closed label set of `def`, all made now.
    pub(crate) fn by_label<K: Store, L: ClosedLabelSet>(
        &mut self,
        def: &'static Def<K, L>,
    ) -> ByLabel<L, K> {
        let family = self.add(def);
        ByLabel::new(|l: L| family.series(l))
    }

    /// The series of the closed label set of `def`, each made on its first use (the
    /// server's per-request families).
    #[cfg(feature = "server")]
    pub(crate) fn on_demand<K: Store, L: ClosedLabelSet>(
        &mut self,
        def: &'static Def<K, L>,
    ) -> OnDemand<K, L> {
        OnDemand::new(self.add(def))
    }
}

/// The inherent constructors and accessors every metric set shares, and its [`Exposition`]:
/// all delegate to the one [`Builder`].
macro_rules! metric_set {
    ($set:ident) => {
        impl $set {
            /// A [`Builder`](crate::Builder) of this set, to choose its profile and counters.
            pub fn builder() -> $crate::Builder<Self> {
                $crate::Builder::new()
            }

            /// Creates the set for `profile` and registers it into `registry`, all or nothing.
            ///
            /// # Errors
            /// As [`Builder::register`](crate::Builder::register).
            pub fn register(
                registry: &prometheus::Registry,
                profile: $crate::Profile,
            ) -> ::std::result::Result<Self, $crate::MetricsError> {
                Self::builder().profile(profile).register(registry)
            }

            /// Creates the set for `profile` without registering it anywhere.
            ///
            /// # Errors
            /// As [`Builder::build`](crate::Builder::build).
            pub fn unregistered(
                profile: $crate::Profile,
            ) -> ::std::result::Result<Self, $crate::MetricsError> {
                Self::builder().profile(profile).build()
            }

            /// The collector holding every family of the set, to register into another
            /// registry or serve directly.
            pub fn collector(&self) -> &$crate::ComponentCollector {
                &self.collector
            }

            /// The profile the set is exposed as.
            pub fn profile(&self) -> $crate::Profile {
                self.collector.profile()
            }
        }

        impl $crate::MetricSet for $set {
            fn collector(&self) -> &$crate::ComponentCollector {
                &self.collector
            }
        }

        impl $crate::Exposition for $set {
            fn supports(&self, format: $crate::format::Format) -> bool {
                $crate::Exposition::supports(&self.collector, format)
            }

            fn encode(
                &self,
                format: $crate::format::Format,
                out: &mut Vec<u8>,
            ) -> ::std::result::Result<(), $crate::MetricsError> {
                $crate::Exposition::encode(&self.collector, format, out)
            }
        }
    };
}
pub(crate) use metric_set;

#[cfg(test)]
mod tests {
    use crate::descriptor::Component;
    use crate::{catalogue, AgentMetrics, ControllerMetrics, MetricSet, Profile, ProxyMetrics};
    use prometheus::core::Collector;

    /// The names a set's collector describes to a registry.
    fn described(set: &impl MetricSet) -> Vec<String> {
        let descs = set.collector().desc();
        descs.iter().map(|d| d.fq_name.clone()).collect()
    }

    /// The catalogue's families of `component` as `profile` names them, sorted.
    fn catalogued(component: Component, profile: Profile) -> Vec<String> {
        catalogue::for_process(component, profile)
            .iter()
            .filter_map(|d| d.exposed(profile).map(|e| e.name.to_owned()))
            .collect()
    }

    #[test]
    fn each_set_creates_exactly_its_catalogued_families() {
        for profile in Profile::ALL {
            let agent = AgentMetrics::unregistered(profile).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(described(&agent), catalogued(Component::Agent, profile));
            let controller =
                ControllerMetrics::unregistered(profile).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                described(&controller),
                catalogued(Component::Controller, profile)
            );
            let proxy = ProxyMetrics::unregistered(profile).unwrap_or_else(|e| panic!("{e}"));
            let proxy_names: Vec<String> = catalogued(Component::Agent, profile)
                .into_iter()
                .filter(|n| n.starts_with("antrea_proxy_"))
                .collect();
            assert_eq!(described(&proxy), proxy_names);
        }
    }

    #[test]
    fn node_ipam_adds_its_families_to_the_controller_only_when_asked() {
        let on = ControllerMetrics::builder().node_ipam(true).build();
        let on = on.unwrap_or_else(|e| panic!("{e}"));
        let mut want = catalogued(Component::Controller, Profile::Latest);
        want.extend(catalogue::NODE_IPAM.iter().map(|d| d.name.to_owned()));
        want.sort();
        assert_eq!(described(&on), want);
    }
}
