//! Prints the startup exposition of an Antrea agent or controller, exactly as Antrea prints it;
//! with `--ovs-connected`, an agent's right after OVS connected (a 0 series for every table of
//! a default agent's pipeline).
//!
//! ```text
//! cargo run --example exposition -- --component agent|controller --profile latest|v1.11 [--ovs-connected]
//! ```

use antrea_metrics::{AgentMetrics, ControllerMetrics, Exposition, Pipeline, Profile};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str =
    "usage: exposition [--component agent|controller] [--profile latest|v1.11] [--ovs-connected]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut component = String::from("agent");
    let mut profile = Profile::Latest;
    let mut ovs_connected = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--component" => component = value()?,
            "--profile" => profile = value()?.parse().map_err(|e| format!("{e}"))?,
            "--ovs-connected" => ovs_connected = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let source: Box<dyn Exposition> = match component.as_str() {
        "agent" => {
            let agent = AgentMetrics::unregistered(profile).map_err(|e| e.to_string())?;
            if ovs_connected {
                agent.ovs_connected(&Pipeline::antrea_default());
            }
            Box::new(agent)
        }
        "controller" if ovs_connected => {
            return Err("--ovs-connected applies to --component agent only".to_owned())
        }
        "controller" => {
            Box::new(ControllerMetrics::unregistered(profile).map_err(|e| e.to_string())?)
        }
        other => {
            return Err(format!(
                "unknown component {other:?}: use agent or controller"
            ))
        }
    };
    let mut out = Vec::new();
    source.encode_text(&mut out).map_err(|e| e.to_string())?;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("writing to stdout: {e}"))
}
