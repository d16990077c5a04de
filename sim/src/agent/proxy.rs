//! Antrea Proxy: Service and Endpoint updates arrive per IP family, and each sync installs
//! them as OVS flows (ServiceLB, SessionAffinity, EndpointDNAT) and takes a measured time.

use crate::agent::ovs::{Ovs, Table};
use crate::common::rng::Rng;
use antrea_metrics::{AgentMetrics, FlowOp, IpFamily, LabelValue, ProxyFamilyMetrics};
use std::time::Duration;

/// Sizes and churn of the Services of each family.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// IPv4 Services the cluster settles around.
    pub services_v4: u64,
    /// IPv6 Services the cluster settles around (dual-stack clusters have fewer).
    pub services_v6: u64,
    /// Mean Service updates per tick and family.
    pub service_churn: f64,
    /// Mean Endpoint updates per tick and family.
    pub endpoint_churn: f64,
}

struct Service {
    endpoints: u64,
    affinity: bool,
}

/// One family's installed Services.
struct Family {
    target: u64,
    /// Whether the initial full sync happened.
    synced: bool,
    services: Vec<Service>,
    handles: ProxyFamilyMetrics,
}

/// Antrea Proxy's state for both IP families.
pub struct Proxy {
    config: ProxyConfig,
    families: Vec<Family>,
}

const SERVICE_LB: Table = Table::named("ServiceLB");
const AFFINITY: Table = Table::named("SessionAffinity");
const DNAT: Table = Table::named("EndpointDNAT");

impl Proxy {
    /// No Services installed yet.
    pub fn new(metrics: &AgentMetrics, config: ProxyConfig) -> Self {
        let families = IpFamily::ALL
            .iter()
            .map(|f| Family {
                target: match f {
                    IpFamily::V4 => config.services_v4,
                    IpFamily::V6 => config.services_v6,
                },
                synced: false,
                services: Vec::new(),
                handles: metrics.proxy.family(*f).clone(),
            })
            .collect();
        Proxy { config, families }
    }

    /// One tick: updates arrive for each family, then one sync installs them. The first tick
    /// after start brings each family to its configured size, as the initial full sync does.
    pub fn tick(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        for fam in &mut self.families {
            let target = fam.target.max(1) as f64;
            let initial = if fam.synced { 0 } else { fam.target };
            fam.synced = true;
            let adds = initial + rng.arrivals(self.config.service_churn / 2.0);
            let dels =
                rng.arrivals(self.config.service_churn / 2.0 * fam.services.len() as f64 / target);
            let endpoint_updates = rng.arrivals(self.config.endpoint_churn);
            fam.handles.total_services_updates.inc_by(adds + dels);
            fam.handles.total_endpoints_updates.inc_by(endpoint_updates);
            if adds + dels + endpoint_updates == 0 {
                continue;
            }
            // Bounded by the update counts drawn above.
            for _ in 0..adds {
                fam.add_service(rng, ovs);
            }
            for _ in 0..dels {
                fam.delete_service(rng, ovs);
            }
            for _ in 0..endpoint_updates {
                fam.update_endpoints(rng, ovs);
            }
            fam.publish();
            // syncProxyRules walks every Service, so its time grows with their number.
            let secs = rng.log_normal(0.002 + fam.services.len() as f64 * 5e-5, 0.6);
            fam.handles
                .sync_proxy_rules_duration_seconds
                .observe_duration(Duration::from_secs_f64(secs));
        }
    }
}

impl Family {
    fn add_service(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        let endpoints = rng.between(1, 4);
        let affinity = rng.chance(0.1);
        let changes = [
            (SERVICE_LB, 1),
            (AFFINITY, i64::from(affinity)),
            (DNAT, endpoints as i64),
        ];
        if ovs.commit(rng, FlowOp::Add, &changes).is_ok() {
            self.services.push(Service {
                endpoints,
                affinity,
            });
        }
    }

    fn delete_service(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        if self.services.is_empty() {
            return;
        }
        let i = rng.below(self.services.len() as u64) as usize;
        let s = &self.services[i];
        let changes = [
            (SERVICE_LB, -1),
            (AFFINITY, -i64::from(s.affinity)),
            (DNAT, -(s.endpoints as i64)),
        ];
        if ovs.commit(rng, FlowOp::Delete, &changes).is_ok() {
            self.services.swap_remove(i);
        }
    }

    /// An Endpoint is added, removed or changes readiness: a flow add, delete or modify.
    fn update_endpoints(&mut self, rng: &mut Rng, ovs: &mut Ovs) {
        if self.services.is_empty() {
            return;
        }
        let i = rng.below(self.services.len() as u64) as usize;
        let have = self.services[i].endpoints;
        let (op, delta) = match rng.below(3) {
            0 if have < 8 => (FlowOp::Add, 1),
            1 if have > 1 => (FlowOp::Delete, -1),
            _ => (FlowOp::Modify, 0),
        };
        if ovs
            .commit(rng, op, &[(DNAT, delta), (SERVICE_LB, 0)])
            .is_ok()
        {
            self.services[i].endpoints = have.saturating_add_signed(delta);
        }
    }

    fn publish(&self) {
        let endpoints: u64 = self.services.iter().map(|s| s.endpoints).sum();
        self.handles
            .total_services_installed
            .set(self.services.len() as f64);
        self.handles.total_endpoints_installed.set(endpoints as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ovs::OvsConfig;
    use antrea_metrics::Profile;

    #[test]
    fn installed_counts_match_the_flows() {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let mut ovs = Ovs::new(
            &m,
            OvsConfig {
                error_rate: 0.05,
                latency_median_ms: 0.8,
            },
        );
        let (lb0, dnat0) = (ovs.flows(SERVICE_LB), ovs.flows(DNAT));
        let config = ProxyConfig {
            services_v4: 40,
            services_v6: 10,
            service_churn: 3.0,
            endpoint_churn: 6.0,
        };
        let mut proxy = Proxy::new(&m, config);
        let mut rng = Rng::seeded(11);
        for _ in 0..500 {
            proxy.tick(&mut rng, &mut ovs);
            let (v4, v6) = (m.proxy.family(IpFamily::V4), m.proxy.family(IpFamily::V6));
            let services = v4.total_services_installed.get() + v6.total_services_installed.get();
            let endpoints = v4.total_endpoints_installed.get() + v6.total_endpoints_installed.get();
            assert_eq!(services, (ovs.flows(SERVICE_LB) - lb0) as f64);
            assert_eq!(endpoints, (ovs.flows(DNAT) - dnat0) as f64);
        }
        for f in IpFamily::ALL {
            let h = m.proxy.family(*f);
            assert!(h.total_services_installed.get() > 0.0, "{f}");
            assert!(h.total_endpoints_updates.get() > 0, "{f}");
            assert!(
                h.sync_proxy_rules_duration_seconds.snapshot().count() > 0,
                "{f}"
            );
        }
    }
}
