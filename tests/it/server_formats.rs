//! Content negotiation on `/metrics` with real clients (rustls, curl): the format follows the
//! `Accept` header as promhttp's does, `Content-Type` names it, gzip works with each, and
//! `Vary` covers both negotiated headers.

use crate::proto::MetricFamily;
use antrea_metrics::format::TEXT_CONTENT_TYPE;
use antrea_metrics::format::{Format, OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE};
use antrea_metrics::{Exposition, NativeConfig, NativeHistograms};
use prost::Message;
use std::io::Read;
use std::sync::Arc;
use suite::client;
use suite::serve::{self, Running, DEMO_LINE, TOKEN};
use suite::tools;
use suite::BoxError;

/// Prometheus 2.42 with `--enable-feature=native-histograms`.
const PROMETHEUS_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// Prometheus 2.42 without it.
const PROMETHEUS_DEFAULT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn decode(mut bytes: &[u8]) -> Result<Vec<MetricFamily>, BoxError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        out.push(MetricFamily::decode_length_delimited(&mut bytes)?);
    }
    Ok(out)
}

fn gunzip(body: &[u8]) -> Result<Vec<u8>, BoxError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut out)?;
    Ok(out)
}

async fn start(openmetrics: bool) -> Result<Running, BoxError> {
    let native = NativeHistograms::all(NativeConfig::default());
    let agent = antrea_metrics::AgentMetrics::builder()
        .native_histograms(native)
        .build()?;
    agent
        .ovs_flow_ops_latency_milliseconds
        .get(antrea_metrics::FlowOp::Add)
        .observe(2.5);
    Running::start(
        serve::builder()?
            .exposition(Arc::new(agent))
            .openmetrics(openmetrics),
    )
    .await
}

#[tokio::test]
async fn accept_chooses_the_format_and_gzip_works_with_each() -> Result<(), BoxError> {
    let server = start(false).await?;
    let config = client::config(server.ca()?)?;
    let auth = format!("Authorization: Bearer {TOKEN}");
    let get = |accept: &'static str, gzip: bool| {
        let (auth, config) = (auth.clone(), config.clone());
        async move {
            let accept = format!("Accept: {accept}");
            let mut headers = vec![auth.as_str(), accept.as_str()];
            if gzip {
                headers.push("Accept-Encoding: gzip");
            }
            client::request(server.addr, config, "GET", "/metrics", &headers).await
        }
    };
    for gzip in [false, true] {
        let pb = get(PROMETHEUS_NATIVE, gzip).await?;
        assert_eq!(pb.status, 200);
        assert_eq!(pb.header("content-type"), Some(PROTOBUF_CONTENT_TYPE));
        assert_eq!(pb.header("vary"), Some("Accept-Encoding, Accept"));
        assert_eq!(pb.header("content-encoding"), gzip.then_some("gzip"));
        let body = if gzip {
            gunzip(&pb.body)?
        } else {
            pb.body.clone()
        };
        let families = decode(&body)?;
        // The agent's families, then the registry's.
        assert!(families.iter().any(|f| f.name() == "suite_demo_total"));
        let latency = families
            .iter()
            .find(|f| f.name() == "antrea_agent_ovs_flow_ops_latency_milliseconds")
            .ok_or("no latency family")?;
        let add = latency
            .metric
            .iter()
            .find(|m| m.label[0].value() == "add")
            .ok_or("no add")?;
        let h = add.histogram.as_ref().ok_or("no histogram")?;
        assert_eq!((h.sample_count(), h.schema()), (1, 3));

        // Without OpenMetrics enabled, Prometheus' default Accept gets text.
        let text = get(PROMETHEUS_DEFAULT, gzip).await?;
        assert_eq!(text.header("content-type"), Some(TEXT_CONTENT_TYPE));
        let body = if gzip {
            gunzip(&text.body)?
        } else {
            text.body.clone()
        };
        assert!(String::from_utf8(body)?.contains(DEMO_LINE));
    }
    server.stop().await
}

#[tokio::test]
async fn openmetrics_only_when_enabled() -> Result<(), BoxError> {
    let server = start(true).await?;
    let config = client::config(server.ca()?)?;
    let auth = format!("Authorization: Bearer {TOKEN}");
    let accept = format!("Accept: {PROMETHEUS_DEFAULT}");
    let headers = [auth.as_str(), accept.as_str(), "Accept-Encoding: gzip"];
    let om = client::request(server.addr, config, "GET", "/metrics", &headers).await?;
    assert_eq!(om.header("content-type"), Some(OPENMETRICS_CONTENT_TYPE));
    let body = String::from_utf8(gunzip(&om.body)?)?;
    assert!(body.ends_with("# EOF\n"));
    assert_eq!(body.matches("# EOF").count(), 1);
    assert!(body.contains(
        "# TYPE suite_demo counter\n# HELP suite_demo A counter for the server tests.\nsuite_demo_total 7\n"
    ));
    server.stop().await
}

#[tokio::test]
async fn curl_gets_text_by_default_and_protobuf_when_asking() -> Result<(), BoxError> {
    let server = start(true).await?;
    let dir = suite::private_tempdir()?;
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca()?)?;
    let ca = ca.to_string_lossy().into_owned();
    let auth = format!("Authorization: Bearer {TOKEN}");
    let base = ["--cacert", ca.as_str(), "-H", auth.as_str(), "--compressed"];
    let ct = ["-o", "/dev/null", "-w", "%{content_type}"];

    // curl's own `Accept: */*`.
    let out = tools::curl(server.addr, "/metrics", &[&base[..], &ct[..]].concat()).await?;
    assert_eq!(String::from_utf8(out.stdout)?, TEXT_CONTENT_TYPE);

    let accept = format!("Accept: {PROMETHEUS_NATIVE}");
    let pb = [&base[..], &["-H", accept.as_str()][..]].concat();
    let out = tools::curl(server.addr, "/metrics", &pb).await?;
    assert!(out.status.success(), "{out:?}");
    assert!(decode(&out.stdout)?
        .iter()
        .any(|f| f.name() == "suite_demo_total"));
    server.stop().await
}

/// A source written before the other formats existed: text only.
struct TextOnly;

impl Exposition for TextOnly {
    // Text only (`supports` keeps its default), so the server asks for nothing else.
    fn encode(&self, _: Format, out: &mut Vec<u8>) -> Result<(), antrea_metrics::MetricsError> {
        out.extend_from_slice(b"# TYPE legacy gauge\nlegacy 1\n");
        Ok(())
    }
}

#[tokio::test]
async fn a_text_only_source_makes_the_whole_scrape_text() -> Result<(), BoxError> {
    assert!(!TextOnly.supports(Format::Protobuf));
    let server = Running::start(serve::builder()?.exposition(Arc::new(TextOnly))).await?;
    let config = client::config(server.ca()?)?;
    let auth = format!("Authorization: Bearer {TOKEN}");
    let accept = format!("Accept: {PROMETHEUS_NATIVE}");
    let resp = client::request(server.addr, config, "GET", "/metrics", &[&auth, &accept]).await?;
    assert_eq!(resp.header("content-type"), Some(TEXT_CONTENT_TYPE));
    let text = resp.text();
    assert!(
        text.contains(DEMO_LINE) && text.contains("legacy 1\n"),
        "{text}"
    );
    server.stop().await
}
