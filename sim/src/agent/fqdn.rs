//! The FQDN cache: domain names resolved by Pods that FQDN rules select, tracked up to a
//! per-selector and an agent-wide limit; reaching a limit evicts a name (Antrea v2.7).

use crate::common::rng::Rng;
use antrea_metrics::{AgentMetrics, EvictionReason};

/// Limits and rates of the cache.
#[derive(Clone, Debug)]
pub struct FqdnConfig {
    /// FQDN selectors (rules' `fqdn` peers) on the Node.
    pub selectors: u64,
    /// Names one selector tracks at most.
    pub selector_limit: u64,
    /// Names the agent tracks at most.
    pub total_limit: u64,
    /// Mean newly resolved names per tick.
    pub lookups: f64,
    /// Fraction of names whose TTL runs out in one tick.
    pub expiry: f64,
}

/// Names tracked per selector.
pub struct FqdnCache {
    config: FqdnConfig,
    per_selector: Vec<u64>,
    metrics: AgentMetrics,
}

impl FqdnCache {
    /// The cache full, one selector at its own limit, as on a busy Node that has run for a
    /// while: both kinds of eviction start within the first steps.
    pub fn new(metrics: &AgentMetrics, config: FqdnConfig) -> Self {
        let selectors = config.selectors.max(1) as usize;
        let first = config.selector_limit.min(config.total_limit);
        let rest = (config.total_limit - first) / (selectors as u64 - 1).max(1);
        let per_selector = (0..selectors)
            .map(|i| {
                if i == 0 {
                    first
                } else {
                    rest.min(config.selector_limit)
                }
            })
            .collect();
        let cache = FqdnCache {
            per_selector,
            config,
            metrics: metrics.clone(),
        };
        cache.publish();
        cache
    }

    /// Names tracked now.
    pub fn size(&self) -> u64 {
        self.per_selector.iter().sum()
    }

    /// One tick: names expire, new names arrive and are tracked or evict another. Returns how
    /// many lookups the DNS interception saw, which drives its packet-in meter.
    pub fn tick(&mut self, rng: &mut Rng) -> u64 {
        for n in &mut self.per_selector {
            *n -= rng.arrivals(*n as f64 * self.config.expiry).min(*n);
        }
        let lookups = rng.arrivals(self.config.lookups);
        for _ in 0..lookups {
            // Popularity is skewed, as in real clusters: the first selector (say, a rule
            // for `*.amazonaws.com`) sees half the lookups, so it reaches its own limit.
            let s = if rng.chance(0.5) {
                0
            } else {
                rng.below(self.per_selector.len() as u64) as usize
            };
            self.track(s);
        }
        self.publish();
        lookups
    }

    /// Tracks one new name for selector `s`, evicting another when a limit is reached.
    fn track(&mut self, s: usize) {
        let evictions = &self.metrics.fqdn_cache_eviction_count;
        if self.per_selector[s] >= self.config.selector_limit {
            // The selector's oldest name makes room: its count stays the same.
            evictions.get(EvictionReason::SelectorLimit).inc();
            return;
        }
        if self.size() >= self.config.total_limit {
            // The agent evicts from the selector that tracks the most names.
            let (largest, _) = self
                .per_selector
                .iter()
                .enumerate()
                .max_by_key(|(_, n)| **n)
                .unwrap_or((s, &0));
            if self.per_selector[largest] == 0 {
                return;
            }
            self.per_selector[largest] -= 1;
            evictions.get(EvictionReason::TotalLimit).inc();
        }
        self.per_selector[s] += 1;
    }

    fn publish(&self) {
        self.metrics.fqdn_cache_size.set(self.size() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antrea_metrics::Profile;

    #[test]
    fn limits_hold_and_both_evictions_happen() {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let config = FqdnConfig {
            selectors: 4,
            selector_limit: 64,
            total_limit: 200,
            lookups: 6.0,
            expiry: 0.02,
        };
        let mut cache = FqdnCache::new(&m, config);
        let mut rng = Rng::seeded(3);
        for _ in 0..60 {
            cache.tick(&mut rng);
            assert!(cache.size() <= 200);
            assert!(cache.per_selector.iter().all(|n| *n <= 64));
            assert_eq!(m.fqdn_cache_size.get(), cache.size() as f64);
        }
        let evicted = |r| m.fqdn_cache_eviction_count.get(r).get();
        assert!(evicted(EvictionReason::SelectorLimit) > 0);
        assert!(evicted(EvictionReason::TotalLimit) > 0);
    }
}
