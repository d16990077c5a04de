//! Antrea Proxy's handles: one set per IP family.

use crate::catalogue as cat;
use crate::collector::ComponentCollector;
use crate::descriptor::Component;
use crate::format::Format;
use crate::{
    ByLabel, Counter, CounterMode, Exposition, Gauge, Histogram, IpFamily, LabelValue,
    NativeHistograms, Profile, Result,
};

/// The `antrea_proxy_*` handles of one IP family (`ip_family="v4"` or `"v6"`).
#[derive(Clone, Debug)]
pub struct ProxyFamilyMetrics {
    /// `antrea_proxy_sync_proxy_rules_duration_seconds`: how long one `syncProxyRules` took.
    pub sync_proxy_rules_duration_seconds: Histogram,
    /// `antrea_proxy_total_endpoints_installed`: Endpoints currently installed.
    pub total_endpoints_installed: Gauge,
    /// `antrea_proxy_total_endpoints_updates`: Endpoint updates received.
    pub total_endpoints_updates: Counter,
    /// `antrea_proxy_total_services_installed`: Services currently installed.
    pub total_services_installed: Gauge,
    /// `antrea_proxy_total_services_updates`: Service updates received.
    pub total_services_updates: Counter,
}

/// Antrea Proxy's metrics, as the agent process (or a standalone proxy) exposes them.
///
/// ```
/// use antrea_metrics::{IpFamily, ProxyMetrics, Profile};
/// let registry = prometheus::Registry::new();
/// let proxy = ProxyMetrics::register(&registry, Profile::Latest)?;
/// proxy.family(IpFamily::V6).total_services_updates.inc();
/// assert_eq!(proxy.family(IpFamily::V6).total_services_updates.get(), 1);
/// assert_eq!(proxy.family(IpFamily::V4).total_services_updates.get(), 0);
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ProxyMetrics {
    families: ByLabel<IpFamily, ProxyFamilyMetrics>,
    collector: Option<ComponentCollector>,
}

impl ProxyMetrics {
    /// Registers the `antrea_proxy_*` families alone into `registry`, for a process that runs
    /// only a proxy. An agent gets these through [`crate::AgentMetrics::proxy`] instead.
    ///
    /// # Errors
    /// [`crate::Error::Register`] when the registry already has one of these families.
    pub fn register(registry: &prometheus::Registry, profile: Profile) -> Result<Self> {
        Self::register_with(registry, profile, CounterMode::Plain)
    }

    /// Like [`ProxyMetrics::register`], with every counter kept as `counters` says.
    ///
    /// # Errors
    /// As [`ProxyMetrics::register`].
    pub fn register_with(
        registry: &prometheus::Registry,
        profile: Profile,
        counters: CounterMode,
    ) -> Result<Self> {
        let none = NativeHistograms::none();
        let collector = ComponentCollector::new(Component::Proxy, profile, counters, &none)?;
        collector.register(registry)?;
        let mut proxy = Self::from_collector(&collector);
        proxy.collector = Some(collector);
        Ok(proxy)
    }

    pub(crate) fn from_collector(c: &ComponentCollector) -> Self {
        let handles = |fam: IpFamily| {
            let v = [fam.as_str()];
            ProxyFamilyMetrics {
                sync_proxy_rules_duration_seconds: c
                    .family(cat::PROXY_SYNC_PROXY_RULES_DURATION_SECONDS.name)
                    .histogram(&v),
                total_endpoints_installed: c
                    .family(cat::PROXY_TOTAL_ENDPOINTS_INSTALLED.name)
                    .gauge(&v),
                total_endpoints_updates: c
                    .family(cat::PROXY_TOTAL_ENDPOINTS_UPDATES.name)
                    .counter(&v),
                total_services_installed: c
                    .family(cat::PROXY_TOTAL_SERVICES_INSTALLED.name)
                    .gauge(&v),
                total_services_updates: c
                    .family(cat::PROXY_TOTAL_SERVICES_UPDATES.name)
                    .counter(&v),
            }
        };
        ProxyMetrics {
            families: ByLabel::new(handles),
            collector: None,
        }
    }

    /// The handles of one IP family.
    #[inline]
    pub fn family(&self, family: IpFamily) -> &ProxyFamilyMetrics {
        self.families.get(family)
    }
}

impl Exposition for ProxyMetrics {
    /// Writes the proxy families when registered on their own; an agent's proxy handles are
    /// written by the agent's exposition, so this writes nothing for them.
    fn encode_text(&self, out: &mut Vec<u8>) -> Result<()> {
        match &self.collector {
            Some(c) => c.encode_text(out),
            None => Ok(()),
        }
    }

    fn supports(&self, format: Format) -> bool {
        self.collector.as_ref().is_none_or(|c| c.supports(format))
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> Result<()> {
        match &self.collector {
            Some(c) => c.encode(format, out),
            None => Ok(()),
        }
    }
}
