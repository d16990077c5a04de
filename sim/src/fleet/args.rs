//! The fleet simulator's flags: the agent simulator's, plus how many Nodes and where to list
//! them for Prometheus.

use crate::agent::cli::Cli as AgentCli;
use crate::common::cli::Defaults;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The fleet simulator's defaults for the shared flags.
pub const DEFAULTS: Defaults = Defaults {
    listen: "127.0.0.1:20000",
    token_file: "target/sim/fleet.token",
    write_ca: "target/sim/fleet-ca.pem",
};

/// A simulated fleet of Antrea Agents in one process: every Node has its own seeded model and
/// its own HTTPS listener (consecutive ports from --listen), all behind one token and one CA.
/// The agent flags set the fleet's means; every Node varies around them.
#[derive(clap::Parser, Debug)]
#[command(name = "sim-fleet", version, about, long_about = None)]
pub struct FleetCli {
    #[command(flatten)]
    pub agent: AgentCli,

    /// How many Nodes to simulate.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub nodes: u32,

    /// Write a Prometheus file_sd_configs file listing every Node's target with a `node` label.
    #[arg(long, value_name = "PATH")]
    pub file_sd: Option<PathBuf>,

    /// Also simulate one Antrea controller (sim-controller's model with its default flags), on
    /// the port after the last Node's.
    #[arg(long)]
    pub controller: bool,

    /// Write a file_sd_configs file listing the controller's target, for a job of its own.
    #[arg(long, value_name = "PATH", requires = "controller")]
    pub file_sd_controller: Option<PathBuf>,
}

impl FleetCli {
    /// The flags the fleet cannot honour, as a sentence saying why.
    pub fn refused(&self) -> Option<&'static str> {
        let common = &self.agent.common;
        if common.kube_auth || common.kubeconfig.is_some() {
            return Some(
                "--kube-auth and --kubeconfig are for sim-agent: sim-fleet checks scrapers' \
                 tokens against --token-file only",
            );
        }
        if self.agent.real_conntrack {
            return Some(
                "--real-conntrack would give every simulated Node this machine's conntrack \
                 figures: use sim-agent for that",
            );
        }
        None
    }
}

/// The `count` addresses from `first` on consecutive ports; port 0 gives each a free port.
pub fn listen_addrs(first: SocketAddr, count: u32) -> Result<Vec<SocketAddr>, String> {
    if first.port() == 0 {
        return Ok(vec![first; count as usize]);
    }
    let last = u32::from(first.port()) + count - 1;
    if last > u32::from(u16::MAX) {
        return Err(format!(
            "{count} listeners (the Nodes, and the controller with --controller) from port {} \
             would need ports up to {last}, past 65535: start --listen lower or run fewer Nodes",
            first.port()
        ));
    }
    Ok((0..count)
        .map(|i| {
            let mut addr = first;
            // In range: checked above.
            addr.set_port(first.port() + i as u16);
            addr
        })
        .collect())
}

/// The kernel's ephemeral port range, from which it picks the local port of every outgoing
/// connection (Linux: `net.ipv4.ip_local_port_range`); `None` where it cannot be read.
pub fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut ports = text.split_whitespace().map(str::parse::<u16>);
    match (ports.next(), ports.next()) {
        (Some(Ok(low)), Some(Ok(high))) if low <= high => Some((low, high)),
        _ => None,
    }
}

/// A warning when the `count` ports from `first` overlap the ephemeral `range`: any outgoing
/// connection on the machine (Prometheus' scrapes among them) may hold one of those ports, and
/// the Node that should listen there then fails with "Address already in use".
pub fn ephemeral_overlap(first: u16, count: u32, (low, high): (u16, u16)) -> Option<String> {
    let last = u32::from(first) + count.max(1) - 1;
    if first == 0 || last < u32::from(low) || u32::from(first) > u32::from(high) {
        return None;
    }
    Some(format!(
        "ports {first} to {last} overlap the kernel's ephemeral port range {low}-{high} \
         (net.ipv4.ip_local_port_range), from which outgoing connections take their local \
         port: a Node may fail to bind with \"Address already in use\". Start --listen below \
         {low} (e.g. 127.0.0.1:20000) or above {high}"
    ))
}

/// The name of Node `index` of `nodes`, zero-padded so that names sort like the ports.
pub fn node_name(index: u32, nodes: u32) -> String {
    let width = nodes.saturating_sub(1).max(1).ilog10() as usize + 1;
    format!("sim-node-{index:0width$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_parse_and_bad_ones_are_refused() {
        let cli = FleetCli::parse_from(["sim-fleet", "--nodes", "1000", "--pods", "40"]);
        assert_eq!((cli.nodes, cli.agent.pods), (1000, 40));
        assert_eq!(cli.refused(), None);
        for bad in [
            &["--nodes", "0"][..],
            &["--nodes", "x"],
            &["--tick-ms", "0"],
        ] {
            let args = std::iter::once("sim-fleet").chain(bad.iter().copied());
            assert_eq!(FleetCli::try_parse_from(args).unwrap_err().exit_code(), 2);
        }
        let sd = ["sim-fleet", "--file-sd-controller", "c.json"];
        assert_eq!(FleetCli::try_parse_from(sd).unwrap_err().exit_code(), 2);
        let cli = FleetCli::parse_from([&sd[..], &["--controller"]].concat());
        assert!(cli.controller && cli.file_sd_controller.is_some());
        let cli = FleetCli::parse_from(["sim-fleet", "--kube-auth"]);
        assert!(cli
            .refused()
            .is_some_and(|why| why.contains("--token-file")));
    }

    #[test]
    fn ports_are_consecutive_and_bounded() {
        let first: SocketAddr = "127.0.0.1:20000".parse().unwrap();
        let addrs = listen_addrs(first, 1000).unwrap();
        assert_eq!(addrs.len(), 1000);
        assert_eq!(addrs[999], "127.0.0.1:20999".parse().unwrap());
        let high: SocketAddr = "127.0.0.1:65000".parse().unwrap();
        assert!(listen_addrs(high, 536).is_ok());
        let err = listen_addrs(high, 537).unwrap_err();
        assert!(err.contains("65536"), "{err}");
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert!(listen_addrs(any, 3).unwrap().iter().all(|a| a.port() == 0));
    }

    #[test]
    fn ports_in_the_ephemeral_range_are_warned_about() {
        let linux = (32768, 60999);
        assert_eq!(ephemeral_overlap(20000, 5000, linux), None);
        assert_eq!(ephemeral_overlap(20000, 12768, linux), None);
        assert_eq!(ephemeral_overlap(61000, 4000, linux), None);
        assert_eq!(ephemeral_overlap(0, 5000, linux), None);
        let warning = ephemeral_overlap(20000, 12769, linux).unwrap();
        assert!(warning.contains("20000 to 32768"), "{warning}");
        assert!(warning.contains("below 32768"), "{warning}");
        assert!(ephemeral_overlap(40000, 10, linux).is_some());
        assert!(ephemeral_overlap(60999, 1, linux).is_some());
        assert!(ephemeral_overlap(32000, 1000, linux).is_some());
    }

    #[test]
    fn names_are_padded_to_the_fleet_size() {
        assert_eq!(node_name(0, 1), "sim-node-0");
        assert_eq!(node_name(7, 10), "sim-node-7");
        assert_eq!(node_name(7, 11), "sim-node-07");
        assert_eq!(node_name(42, 1000), "sim-node-042");
        assert_eq!(node_name(999, 1000), "sim-node-999");
    }
}
