//! The agent simulator's flags.

use crate::agent::conntrack::ConntrackConfig;
use crate::agent::events::EventConfig;
use crate::agent::fqdn::FqdnConfig;
use crate::agent::node::NodeConfig;
use crate::agent::ovs::OvsConfig;
use crate::agent::proxy::ProxyConfig;
use crate::agent::workloads::WorkloadConfig;
use crate::common::cli::{parse_duration, positive, probability, rate, CommonArgs, Defaults};
use std::time::Duration;

/// The agent simulator's defaults for the shared flags.
pub const DEFAULTS: Defaults = Defaults {
    listen: "127.0.0.1:10350",
    token_file: "target/sim/agent.token",
    write_ca: "target/sim/agent-ca.pem",
};

/// A simulated Antrea Agent: Pods, NetworkPolicies, OVS flows, conntrack, Antrea Proxy and the
/// FQDN cache of one Node, exposed as Antrea's agent metrics over HTTPS with a bearer token.
#[derive(clap::Parser, Debug)]
#[command(name = "sim-agent", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,

    /// How often conntrack is polled (Antrea's flowPollInterval), e.g. 5s or 500ms.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub flow_poll_interval: Duration,

    /// Publish the node's real conntrack total and size, from /proc/sys/net/netfilter.
    #[arg(long)]
    pub real_conntrack: bool,

    /// Pods the Node settles around.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub pods: u64,

    /// Pods never exceed this (kubelet's maxPods).
    #[arg(long, value_name = "N", default_value_t = 110)]
    pub max_pods: u64,

    /// Mean Pod arrivals per step.
    #[arg(long, value_name = "RATE", default_value_t = 0.5, value_parser = rate)]
    pub pod_churn: f64,

    /// NetworkPolicies the Node settles around.
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub policies: u64,

    /// Mean NetworkPolicy arrivals per step.
    #[arg(long, value_name = "RATE", default_value_t = 0.2, value_parser = rate)]
    pub policy_churn: f64,

    /// Probability that an OVS flow operation fails.
    #[arg(long, value_name = "P", default_value_t = 0.01, value_parser = probability)]
    pub flow_error_rate: f64,

    /// Median latency of an OVS flow operation, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0.8, value_parser = positive)]
    pub flow_latency_ms: f64,

    /// Antrea-zone (Pod) connections the conntrack table settles around.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub connections: u64,

    /// Connections outside Antrea's zone (host processes).
    #[arg(long, value_name = "N", default_value_t = 400)]
    pub host_connections: u64,

    /// Size of the simulated conntrack table (nf_conntrack_max).
    #[arg(long, value_name = "N", default_value_t = 262_144)]
    pub conntrack_max: u64,

    /// IPv4 Services the cluster settles around.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub services_v4: u64,

    /// IPv6 Services the cluster settles around.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub services_v6: u64,

    /// Mean Service updates per step and IP family.
    #[arg(long, value_name = "RATE", default_value_t = 1.0, value_parser = rate)]
    pub service_churn: f64,

    /// Mean Endpoint updates per step and IP family.
    #[arg(long, value_name = "RATE", default_value_t = 3.0, value_parser = rate)]
    pub endpoint_churn: f64,

    /// Domain names one FQDN selector tracks at most.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub fqdn_selector_limit: u64,

    /// Domain names the agent tracks at most.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub fqdn_total_limit: u64,

    /// Mean newly resolved domain names per step.
    #[arg(long, value_name = "RATE", default_value_t = 6.0, value_parser = rate)]
    pub fqdn_lookups: f64,

    /// Mean connections denied by policy per step.
    #[arg(long, value_name = "RATE", default_value_t = 0.5, value_parser = rate)]
    pub denied_rate: f64,
}

impl Cli {
    /// Every model's settings from the flags.
    pub fn node_config(&self, seed: u64) -> NodeConfig {
        NodeConfig {
            seed,
            ovs: OvsConfig {
                error_rate: self.flow_error_rate,
                latency_median_ms: self.flow_latency_ms,
            },
            workloads: WorkloadConfig {
                pods: self.pods,
                max_pods: self.max_pods,
                pod_churn: self.pod_churn,
                policies: self.policies,
                policy_churn: self.policy_churn,
            },
            conntrack: ConntrackConfig {
                antrea_connections: self.connections,
                other_connections: self.host_connections,
                max: self.conntrack_max,
                close_rate: 0.1,
            },
            proxy: ProxyConfig {
                services_v4: self.services_v4,
                services_v6: self.services_v6,
                service_churn: self.service_churn,
                endpoint_churn: self.endpoint_churn,
            },
            fqdn: FqdnConfig {
                selectors: 4,
                selector_limit: self.fqdn_selector_limit,
                total_limit: self.fqdn_total_limit,
                lookups: self.fqdn_lookups,
                expiry: 0.02,
            },
            events: EventConfig {
                denied_per_tick: self.denied_rate,
                reconnect_chance: 0.01,
                meter_burst_chance: 0.05,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_parse_and_bad_ones_are_refused() {
        let cli = Cli::parse_from(["sim-agent", "--seed", "3", "--flow-poll-interval", "250ms"]);
        assert_eq!(cli.common.seed, Some(3));
        assert_eq!(cli.flow_poll_interval, Duration::from_millis(250));
        for bad in [
            &["--flow-error-rate", "1.5"][..],
            &["--profile", "v2"],
            &["--tls-cert", "c.pem"],
            &["--tick-ms", "0"],
            &["--listen", "nowhere"],
        ] {
            let args = std::iter::once("sim-agent").chain(bad.iter().copied());
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
