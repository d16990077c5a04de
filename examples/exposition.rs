//! Prints the startup exposition of an Antrea agent or controller, exactly as Antrea prints it,
//! in any exposition format a scrape can ask for; with `--ovs-connected`, an agent's right
//! after OVS connected (a 0 series for every table of a default agent's pipeline).
//!
//! ```text
//! cargo run --example exposition -- --component agent|controller --profile latest|v1.11 \
//!     --format text|protobuf|openmetrics [--native-histograms] [--ovs-connected]
//! ```
//!
//! `--format protobuf` writes the raw length-delimited bytes a scrape receives, to pipe into
//! other tools (e.g. `prom2json`, or `protoc --decode_raw` per message).

use antrea_metrics::exposition::encode_all;
use antrea_metrics::format::Format;
use antrea_metrics::{
    AgentMetrics, ControllerMetrics, Exposition, NativeConfig, NativeHistograms, Pipeline, Profile,
};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: exposition [--component agent|controller] [--profile latest|v1.11] [--format text|protobuf|openmetrics] [--native-histograms] [--ovs-connected]";

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
    let mut format = Format::Text;
    let mut native = NativeHistograms::none();
    let mut ovs_connected = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--component" => component = value()?,
            "--profile" => profile = value()?.parse().map_err(|e| format!("{e}"))?,
            "--format" => format = value()?.parse().map_err(|e| format!("{e}"))?,
            "--native-histograms" => native = NativeHistograms::all(NativeConfig::default()),
            "--ovs-connected" => ovs_connected = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let error = |e: antrea_metrics::MetricsError| e.to_string();
    let source: Arc<dyn Exposition> = match component.as_str() {
        "agent" => {
            let agent = AgentMetrics::builder()
                .profile(profile)
                .native_histograms(native)
                .build()
                .map_err(error)?;
            if ovs_connected {
                agent.ovs_connected(&Pipeline::antrea_default());
            }
            Arc::new(agent)
        }
        "controller" if ovs_connected => {
            return Err("--ovs-connected applies to --component agent only".to_owned())
        }
        "controller" => Arc::new(
            ControllerMetrics::builder()
                .profile(profile)
                .native_histograms(native)
                .build()
                .map_err(error)?,
        ),
        other => {
            return Err(format!(
                "unknown component {other:?}: use agent or controller"
            ))
        }
    };
    let mut out = Vec::new();
    encode_all(&[source], format, &mut out).map_err(error)?;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("writing to stdout: {e}"))
}
