//! Rarer events: connections denied by policy, Flow Exporter reconnections to its collector,
//! and packet-ins dropped by OVS meters. Antrea exposes all of them as gauges that only grow.

use crate::common::rng::Rng;
use antrea_metrics::{AgentMetrics, LabelValue, MeterId};

/// Rates of the rare events.
#[derive(Clone, Debug)]
pub struct EventConfig {
    /// Mean connections denied per tick while policies are applied.
    pub denied_per_tick: f64,
    /// Probability per tick that the Flow Exporter reconnects to its collector.
    pub reconnect_chance: f64,
    /// Probability per tick and meter of a packet-in burst above the meter's rate.
    pub meter_burst_chance: f64,
}

/// The running totals behind the gauges.
pub struct Events {
    config: EventConfig,
    denied: u64,
    reconnections: u64,
    dropped: Vec<u64>,
    metrics: AgentMetrics,
}

impl Events {
    /// Nothing happened yet.
    pub fn new(metrics: &AgentMetrics, config: EventConfig) -> Self {
        Events {
            config,
            denied: 0,
            reconnections: 0,
            dropped: vec![0; MeterId::ALL.len()],
            metrics: metrics.clone(),
        }
    }

    /// One tick. Denials need policies; DNS interception drops grow with FQDN lookups; the
    /// first tick has one event of each kind, so every family moves right after start.
    pub fn tick(&mut self, rng: &mut Rng, first: bool, policies: u64, dns_lookups: u64) {
        let c = &self.config;
        if policies > 0 {
            self.denied += rng.arrivals(c.denied_per_tick) + u64::from(first);
        }
        if first || rng.chance(c.reconnect_chance) {
            self.reconnections += 1;
        }
        for (meter, dropped) in MeterId::ALL.iter().zip(&mut self.dropped) {
            let burst = first || rng.chance(c.meter_burst_chance);
            if !burst {
                continue;
            }
            let mean = match meter {
                MeterId::PacketInMeterDNSInterception => 5.0 + dns_lookups as f64,
                MeterId::PacketInMeterNetworkPolicy => 20.0,
                MeterId::PacketInMeterTraceflow => 2.0,
            };
            *dropped += rng.arrivals(mean).max(1);
        }
        self.publish();
    }

    fn publish(&self) {
        let m = &self.metrics;
        m.denied_connection_count.set(self.denied as f64);
        m.flow_collector_reconnection_count
            .set(self.reconnections as f64);
        for (meter, dropped) in MeterId::ALL.iter().zip(&self.dropped) {
            m.ovs_meter_packet_dropped_count
                .get(*meter)
                .set(*dropped as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antrea_metrics::Profile;

    #[test]
    fn first_tick_moves_everything_and_gauges_never_fall() {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let config = EventConfig {
            denied_per_tick: 0.5,
            reconnect_chance: 0.01,
            meter_burst_chance: 0.05,
        };
        let mut e = Events::new(&m, config);
        let mut rng = Rng::seeded(2);
        e.tick(&mut rng, true, 3, 0);
        assert!(m.denied_connection_count.get() >= 1.0);
        assert_eq!(m.flow_collector_reconnection_count.get(), 1.0);
        for meter in MeterId::ALL {
            assert!(m.ovs_meter_packet_dropped_count.get(*meter).get() >= 1.0);
        }
        let mut last = m.denied_connection_count.get();
        for _ in 0..200 {
            e.tick(&mut rng, false, 3, 4);
            assert!(m.denied_connection_count.get() >= last);
            last = m.denied_connection_count.get();
        }
    }
}
