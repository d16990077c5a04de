//! Antrea Proxy's families (`antrea_proxy_*`), from Antrea v2.7's
//! `pkg/agent/proxy/metrics/metrics.go` and the names documented for v1.11.

use super::{Component, Def, Stability, DEFAULT_BUCKETS};
use crate::{Counter, Gauge, Histogram, IpFamily, Unit};

families! {
    pub(super) const PROXY_FAMILIES;

    /// `antrea_proxy_sync_proxy_rules_duration_seconds`.
    ///
    /// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
    pub const PROXY_SYNC_PROXY_RULES_DURATION_SECONDS: Def<Histogram, IpFamily> = Def::histogram(
        "antrea_proxy_sync_proxy_rules_duration_seconds",
        Component::Proxy,
        Stability::Alpha,
        Unit::Seconds,
        &DEFAULT_BUCKETS,
        "SyncProxyRules duration of Antrea Proxy in seconds",
    )
    .per_ip_family()
    .since("v0.x");

    /// `antrea_proxy_total_endpoints_installed`.
    ///
    /// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
    pub const PROXY_TOTAL_ENDPOINTS_INSTALLED: Def<Gauge, IpFamily> = Def::scalar(
        "antrea_proxy_total_endpoints_installed",
        Component::Proxy,
        Stability::Alpha,
        "The number of Endpoints installed by Antrea Proxy",
    )
    .per_ip_family()
    .since("v0.x");

    /// `antrea_proxy_total_endpoints_updates`.
    ///
    /// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
    pub const PROXY_TOTAL_ENDPOINTS_UPDATES: Def<Counter, IpFamily> = Def::scalar(
        "antrea_proxy_total_endpoints_updates",
        Component::Proxy,
        Stability::Alpha,
        "The cumulative number of Endpoint updates received by Antrea Proxy",
    )
    .per_ip_family()
    .since("v0.x");

    /// `antrea_proxy_total_services_installed`.
    ///
    /// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
    pub const PROXY_TOTAL_SERVICES_INSTALLED: Def<Gauge, IpFamily> = Def::scalar(
        "antrea_proxy_total_services_installed",
        Component::Proxy,
        Stability::Alpha,
        "The number of Services installed by Antrea Proxy",
    )
    .per_ip_family()
    .since("v0.x");

    /// `antrea_proxy_total_services_updates`.
    ///
    /// Note: two series in one family, told apart by the constant label ip_family (v4, v6).
    pub const PROXY_TOTAL_SERVICES_UPDATES: Def<Counter, IpFamily> = Def::scalar(
        "antrea_proxy_total_services_updates",
        Component::Proxy,
        Stability::Alpha,
        "The cumulative number of Service updates received by Antrea Proxy",
    )
    .per_ip_family()
    .since("v0.x");
}
