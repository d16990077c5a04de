//! The simulators' format flags: `--openmetrics` offers OpenMetrics to scrapers asking for it
//! (and only then), `--native-histograms` adds native buckets to the protobuf exposition.

use crate::proto::MetricFamily;
use antrea_metrics::format::TEXT_CONTENT_TYPE;
use antrea_metrics::format::{OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE};
use prost::Message;
use suite::sims::{Sim, TempDir};
use suite::BoxError;

const PROMETHEUS_DEFAULT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const PROTOBUF: &str =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

async fn get(sim: &Sim, dir: &TempDir, accept: &str) -> Result<suite::client::Response, BoxError> {
    let ca = std::fs::read_to_string(dir.file("run/ca.pem"))?;
    let token = std::fs::read_to_string(dir.file("run/token"))?;
    let auth = format!("Authorization: Bearer {}", token.trim());
    let accept = format!("Accept: {accept}");
    let config = suite::client::config(&ca)?;
    let resp =
        suite::client::request(sim.addr, config, "GET", "/metrics", &[&auth, &accept]).await?;
    assert_eq!(resp.status, 200, "{}", resp.text());
    Ok(resp)
}

fn start(dir: &TempDir, flags: &[&str]) -> Result<Sim, BoxError> {
    let (token, ca) = (dir.file("run/token"), dir.file("run/ca.pem"));
    let mut args = vec!["--tick-ms", "20", "--seed", "5", "--duration", "120"];
    args.extend_from_slice(flags);
    Ok(Sim::start_on_loopback(
        "sim-controller",
        &token,
        &ca,
        &args,
    )?)
}

#[tokio::test]
async fn openmetrics_and_native_histograms_follow_the_flags() -> Result<(), BoxError> {
    let dir = TempDir::new("sim-formats-on")?;
    let sim = start(&dir, &["--openmetrics", "--native-histograms"])?;
    let om = get(&sim, &dir, PROMETHEUS_DEFAULT).await?;
    assert_eq!(om.header("content-type"), Some(OPENMETRICS_CONTENT_TYPE));
    let text = om.text();
    assert!(text.ends_with("# EOF\n"));
    assert!(
        text.contains("\nantrea_controller_network_policy_processed_total "),
        "{text}"
    );
    // Process metrics come from the registry, in the same format.
    assert!(text.contains("\nprocess_cpu_seconds_total "), "{text}");

    let pb = get(&sim, &dir, PROTOBUF).await?;
    assert_eq!(pb.header("content-type"), Some(PROTOBUF_CONTENT_TYPE));
    let mut rest = pb.body.as_slice();
    let mut native = 0;
    while !rest.is_empty() {
        let mf = MetricFamily::decode_length_delimited(&mut rest)?;
        native += mf
            .metric
            .iter()
            .filter(|m| m.histogram.as_ref().is_some_and(|h| h.schema.is_some()))
            .count();
    }
    assert_eq!(native, 3, "the controller's three sync-duration histograms");

    let dir = TempDir::new("sim-formats-off")?;
    let sim = start(&dir, &[])?;
    let text = get(&sim, &dir, PROMETHEUS_DEFAULT).await?;
    assert_eq!(text.header("content-type"), Some(TEXT_CONTENT_TYPE));
    let pb = get(&sim, &dir, PROTOBUF).await?;
    let mut rest = pb.body.as_slice();
    while !rest.is_empty() {
        let mf = MetricFamily::decode_length_delimited(&mut rest)?;
        assert!(mf
            .metric
            .iter()
            .all(|m| m.histogram.as_ref().is_none_or(|h| h.schema.is_none())));
    }
    Ok(())
}
