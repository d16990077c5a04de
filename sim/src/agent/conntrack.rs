//! The conntrack table: connections open and close every tick; every flow poll interval the
//! agent reads the table and publishes the counts, as Antrea's Flow Exporter does.
//!
//! Invariant of everything published: Antrea-zone connections <= total <= table size.

use crate::common::rng::Rng;
use antrea_metrics::AgentMetrics;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where Linux shows the node's conntrack figures.
pub const PROC_NETFILTER: &str = "/proc/sys/net/netfilter";

/// Sizes and churn of the simulated connections.
#[derive(Clone, Debug)]
pub struct ConntrackConfig {
    /// Connections of Pods (Antrea's zone) the table settles around.
    pub antrea_connections: u64,
    /// Connections outside Antrea's zone (host processes) the table settles around.
    pub other_connections: u64,
    /// The table size, `nf_conntrack_max`.
    pub max: u64,
    /// Fraction of open connections that close in one tick.
    pub close_rate: f64,
}

/// The node's real conntrack figures, read from `nf_conntrack_count` and `nf_conntrack_max`.
#[derive(Clone, Debug)]
pub struct ProcConntrack {
    dir: PathBuf,
}

impl ProcConntrack {
    /// Reads the figures under `dir` (normally [`PROC_NETFILTER`]) once, to fail at startup
    /// rather than at the first poll when they are unreadable.
    pub fn open(dir: &Path) -> Result<Self, String> {
        let proc = ProcConntrack { dir: dir.into() };
        proc.read()?;
        Ok(proc)
    }

    /// `(count, max)`.
    pub fn read(&self) -> Result<(u64, u64), String> {
        let read = |name: &str| {
            let path = self.dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "cannot read {}: {e} (is the nf_conntrack module loaded? run without --real-conntrack to simulate the table)",
                    path.display()
                )
            })?;
            text.trim()
                .parse::<u64>()
                .map_err(|e| format!("{} does not hold a number: {e}", path.display()))
        };
        Ok((read("nf_conntrack_count")?, read("nf_conntrack_max")?))
    }
}

/// The simulated table, optionally sized by the node's real one.
pub struct Conntrack {
    config: ConntrackConfig,
    real: Option<ProcConntrack>,
    antrea: u64,
    other: u64,
    metrics: AgentMetrics,
}

impl Conntrack {
    /// An empty table; with `real`, polls publish the node's total and size instead.
    pub fn new(
        metrics: &AgentMetrics,
        config: ConntrackConfig,
        real: Option<ProcConntrack>,
    ) -> Self {
        Conntrack {
            config,
            real,
            antrea: 0,
            other: 0,
            metrics: metrics.clone(),
        }
    }

    /// One tick of traffic: arrivals around the configured sizes, closes proportional to the
    /// open connections, and now and then a burst (a busy job) that fills the table further.
    pub fn tick(&mut self, rng: &mut Rng) {
        let c = &self.config;
        let burst = if rng.chance(0.02) { 4.0 } else { 1.0 };
        let open_antrea = rng.arrivals(c.antrea_connections as f64 * c.close_rate * burst);
        let open_other = rng.arrivals(c.other_connections as f64 * c.close_rate);
        let close_antrea = rng
            .arrivals(self.antrea as f64 * c.close_rate)
            .min(self.antrea);
        let close_other = rng
            .arrivals(self.other as f64 * c.close_rate)
            .min(self.other);
        self.antrea -= close_antrea;
        self.other -= close_other;
        // A full table drops new connections, as the kernel does.
        let room = c.max.saturating_sub(self.antrea + self.other);
        let open_antrea = open_antrea.min(room);
        self.antrea += open_antrea;
        self.other += open_other.min(room - open_antrea);
    }

    /// One poll cycle: publishes the counts and how long reading them took.
    pub fn poll(&mut self, rng: &mut Rng) {
        let (total, max) = match &self.real {
            None => (self.antrea + self.other, self.config.max),
            Some(proc) => match proc.read() {
                Ok(figures) => figures,
                Err(e) => {
                    // Keep the last published values rather than publish made-up ones.
                    tracing::warn!(error = %e, "conntrack poll failed");
                    return;
                }
            },
        };
        // The kernel's count may briefly exceed max while entries are being evicted.
        let total = total.min(max);
        let antrea = self.antrea.min(total);
        let m = &self.metrics;
        m.conntrack_max_connection_count.set(max as f64);
        m.conntrack_total_connection_count.set(total as f64);
        m.conntrack_antrea_connection_count.set(antrea as f64);
        // Dumping the table costs a fixed overhead plus a few microseconds per entry.
        let secs = rng.log_normal(0.004 + total as f64 * 3e-6, 0.5);
        m.conntrack_poll_cycle_duration_seconds
            .observe_duration(Duration::from_secs_f64(secs));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antrea_metrics::Profile;

    fn config(max: u64) -> ConntrackConfig {
        ConntrackConfig {
            antrea_connections: 800,
            other_connections: 300,
            max,
            close_rate: 0.1,
        }
    }

    fn check(m: &AgentMetrics) {
        let (a, t, x) = (
            m.conntrack_antrea_connection_count.get(),
            m.conntrack_total_connection_count.get(),
            m.conntrack_max_connection_count.get(),
        );
        assert!(a <= t && t <= x, "antrea {a} total {t} max {x}");
    }

    #[test]
    fn zone_within_total_within_max_even_when_full() {
        for max in [100_000, 1000, 50] {
            let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
            let mut ct = Conntrack::new(&m, config(max), None);
            let mut rng = Rng::seeded(max);
            for i in 0..500 {
                ct.tick(&mut rng);
                if i % 5 == 0 {
                    ct.poll(&mut rng);
                    check(&m);
                }
            }
            assert!(m.conntrack_total_connection_count.get() > 0.0);
            assert_eq!(
                m.conntrack_poll_cycle_duration_seconds.snapshot().count(),
                100
            );
        }
    }

    #[test]
    fn settles_around_the_configured_sizes() {
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let mut ct = Conntrack::new(&m, config(1_000_000), None);
        let mut rng = Rng::seeded(1);
        for _ in 0..400 {
            ct.tick(&mut rng);
        }
        ct.poll(&mut rng);
        let antrea = m.conntrack_antrea_connection_count.get();
        assert!((600.0..1400.0).contains(&antrea), "{antrea}");
    }

    #[test]
    fn real_figures_are_used_and_clamp_the_zone() {
        let dir = std::env::temp_dir().join(format!("sim-agent-ct-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("nf_conntrack_count"), "12\n").unwrap();
        std::fs::write(dir.join("nf_conntrack_max"), "65536\n").unwrap();
        let m = AgentMetrics::unregistered(Profile::Latest).unwrap();
        let proc = ProcConntrack::open(&dir).unwrap();
        let mut ct = Conntrack::new(&m, config(1000), Some(proc));
        let mut rng = Rng::seeded(1);
        for _ in 0..50 {
            ct.tick(&mut rng);
        }
        ct.poll(&mut rng);
        assert_eq!(m.conntrack_total_connection_count.get(), 12.0);
        assert_eq!(m.conntrack_max_connection_count.get(), 65536.0);
        check(&m);
        std::fs::remove_dir_all(&dir).unwrap();
        let err = ProcConntrack::open(&dir).unwrap_err();
        assert!(err.contains("nf_conntrack_count"), "{err}");
    }
}
