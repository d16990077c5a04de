//! Antrea Proxy's handles: one set per IP family.

use crate::catalogue as cat;
use crate::collector::ComponentCollector;
use crate::descriptor::Component;
use crate::error::CoreResult;
use crate::registration::{metric_set, private, Families};
use crate::{ByLabel, Counter, Gauge, Histogram, IpFamily};

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

/// Antrea Proxy's handles, per IP family, inside a set that exposes them: the agent's
/// ([`AgentMetrics::proxy`](crate::AgentMetrics::proxy)) or a standalone proxy's
/// ([`ProxyMetrics`]).
///
/// ```
/// use antrea_metrics::{AgentMetrics, IpFamily, Profile};
/// let agent = AgentMetrics::unregistered(Profile::Latest)?;
/// agent.proxy.family(IpFamily::V4).total_services_installed.set(40.0);
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ProxyHandles {
    families: ByLabel<IpFamily, ProxyFamilyMetrics>,
}

impl ProxyHandles {
    pub(crate) fn create(f: &mut Families<'_>) -> Self {
        let sync = f.by_label(&cat::PROXY_SYNC_PROXY_RULES_DURATION_SECONDS);
        let endpoints = f.by_label(&cat::PROXY_TOTAL_ENDPOINTS_INSTALLED);
        let endpoint_updates = f.by_label(&cat::PROXY_TOTAL_ENDPOINTS_UPDATES);
        let services = f.by_label(&cat::PROXY_TOTAL_SERVICES_INSTALLED);
        let service_updates = f.by_label(&cat::PROXY_TOTAL_SERVICES_UPDATES);
        let handles = |fam: IpFamily| ProxyFamilyMetrics {
            sync_proxy_rules_duration_seconds: sync.get(fam).clone(),
            total_endpoints_installed: endpoints.get(fam).clone(),
            total_endpoints_updates: endpoint_updates.get(fam).clone(),
            total_services_installed: services.get(fam).clone(),
            total_services_updates: service_updates.get(fam).clone(),
        };
        ProxyHandles {
            families: ByLabel::new(handles),
        }
    }

    /// The handles of one IP family.
    #[inline]
    pub fn family(&self, family: IpFamily) -> &ProxyFamilyMetrics {
        self.families.get(family)
    }
}

/// The metrics of a process that runs only Antrea Proxy: the `antrea_proxy_*` families alone.
/// An agent has these in [`AgentMetrics::proxy`](crate::AgentMetrics::proxy) instead.
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
    handles: ProxyHandles,
    collector: ComponentCollector,
}

metric_set!(ProxyMetrics);

impl private::Create for ProxyMetrics {
    const COMPONENT: Component = Component::Proxy;

    fn create(mut f: Families<'_>) -> CoreResult<Self> {
        Ok(ProxyMetrics {
            handles: ProxyHandles::create(&mut f),
            collector: f.finish()?,
        })
    }
}

impl ProxyMetrics {
    /// The handles of one IP family.
    #[inline]
    pub fn family(&self, family: IpFamily) -> &ProxyFamilyMetrics {
        self.handles.family(family)
    }
}
