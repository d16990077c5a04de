//! A load generator for `/metrics` servers: N keep-alive HTTPS/1.1 connections, each sending
//! authenticated scrapes back to back for T seconds; reports successful scrapes/s, their body
//! bytes/s, latency p50/p99 and, given the server's pid, its resident memory (VmRSS, and the
//! peak VmHWM).
//! Loopback targets only: it refuses any other address.
//!
//! ```text
//! cargo run --release -p antrea-metrics-bench --bin scrape-load -- --addr 127.0.0.1:10350 --ca ca.pem \
//!     --token-file token --connections 1,16,64 --seconds 5 --label ours --pid 1234
//! ```

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{ACCEPT_ENCODING, AUTHORIZATION, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::UnixTime;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{crypto::ring, ClientConfig, DigitallySignedStruct, RootCertStore};
use tokio_rustls::rustls::{Error as TlsError, SignatureScheme};
use tokio_rustls::TlsConnector;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// No single request may take longer; a stuck server ends the run instead of hanging it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound on scrapes per connection, whatever the duration.
const MAX_SCRAPES: usize = 5_000_000;

struct Args {
    addr: SocketAddr,
    ca: String,
    token: String,
    connections: Vec<usize>,
    seconds: u64,
    gzip: bool,
    label: String,
    pid: Option<u32>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut ca, mut token) = (None, None, None);
    let mut a = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 10350)),
        ca: String::new(),
        token: String::new(),
        connections: vec![1, 16, 64],
        seconds: 5,
        gzip: false,
        label: "server".into(),
        pid: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = Some(value()?.parse::<SocketAddr>()?),
            "--ca" => ca = Some(std::fs::read_to_string(value()?)?),
            "--token-file" => token = Some(std::fs::read_to_string(value()?)?.trim().to_owned()),
            "--connections" => {
                let list = value()?;
                a.connections = list.split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--seconds" => a.seconds = value()?.parse()?,
            "--gzip" => a.gzip = true,
            "--label" => a.label = value()?,
            "--pid" => a.pid = Some(value()?.parse()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    a.addr = addr.ok_or("--addr is required")?;
    if !a.addr.ip().is_loopback() {
        return Err(format!("{} is not a loopback address", a.addr).into());
    }
    a.ca = ca.ok_or("--ca is required")?;
    a.token = token.ok_or("--token-file is required")?;
    a.seconds = a.seconds.clamp(1, 300);
    Ok(a)
}

/// What one connection did.
#[derive(Default)]
struct Stats {
    latencies: Vec<Duration>,
    bytes: u64,
    errors: u64,
}

struct Target {
    addr: SocketAddr,
    connector: TlsConnector,
    auth: String,
    gzip: bool,
}

async fn connection(target: Arc<Target>, deadline: Instant) -> Result<Stats, BoxError> {
    let tcp = TcpStream::connect(target.addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::IpAddress(target.addr.ip().into());
    let tls = target.connector.connect(name, tcp).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    let driver = tokio::spawn(conn);
    let mut stats = Stats::default();
    while Instant::now() < deadline && stats.latencies.len() + (stats.errors as usize) < MAX_SCRAPES
    {
        let mut req = Request::get("/metrics")
            .header(HOST, target.addr.to_string())
            .header(AUTHORIZATION, &target.auth);
        if target.gzip {
            req = req.header(ACCEPT_ENCODING, "gzip");
        }
        let req = req.body(Empty::<Bytes>::new())?;
        let start = Instant::now();
        let scrape = async {
            sender.ready().await?;
            let resp = sender.send_request(req).await?;
            let ok = resp.status().is_success();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, BoxError>((ok, body.len()))
        };
        let (ok, len) = tokio::time::timeout(REQUEST_TIMEOUT, scrape).await??;
        // Only complete expositions count; refusals (e.g. `503` past a server's scrape limit)
        // are reported as errors.
        if ok {
            stats.latencies.push(start.elapsed());
            stats.bytes += len as u64;
        } else {
            stats.errors += 1;
        }
    }
    drop(sender);
    if let Ok(Err(e)) = driver.await {
        eprintln!("scrape-load: connection ended with {e}");
    }
    Ok(stats)
}

/// Trusts a server whose chain verifies against `--ca`, or whose certificate *is* the one in
/// `--ca`: `antrea-ref` (like Go's self-signed Antrea certificates) serves a self-signed CA
/// certificate as its leaf, which WebPKI verification rejects as a CA used as an end entity.
#[derive(Debug)]
struct CaOrPinned {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for CaOrPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        (self.webpki).verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

async fn run(args: &Args, target: &Arc<Target>, conns: usize) -> Result<(), BoxError> {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..conns)
        .map(|_| tokio::spawn(connection(target.clone(), deadline)))
        .collect();
    let mut all = Stats::default();
    for t in tasks {
        let s = t.await??;
        all.latencies.extend(s.latencies);
        all.bytes += s.bytes;
        all.errors += s.errors;
    }
    let secs = start.elapsed().as_secs_f64();
    all.latencies.sort_unstable();
    let mem = args.pid.and_then(memory);
    println!(
        "scrape-load: {} connections={conns} scrapes={} scrapes/s={:.0} MB/s={:.2} \
         bytes/scrape={} p50_ms={:.3} p99_ms={:.3} errors={} rss_kib={} hwm_kib={}",
        args.label,
        all.latencies.len(),
        all.latencies.len() as f64 / secs,
        all.bytes as f64 / secs / 1e6,
        all.bytes / (all.latencies.len() as u64).max(1),
        percentile(&all.latencies, 0.5),
        percentile(&all.latencies, 0.99),
        all.errors,
        mem.map_or("-".into(), |m| m.0.to_string()),
        mem.map_or("-".into(), |m| m.1.to_string()),
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    suite::errors::exit_code_boxed(run_all())
}

#[tokio::main]
async fn run_all() -> Result<(), BoxError> {
    let args = parse_args()?;
    let provider = Arc::new(ring::default_provider());
    let pinned: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(args.ca.as_bytes()).collect::<Result<_, _>>()?;
    let mut roots = RootCertStore::empty();
    for cert in &pinned {
        roots.add(cert.clone())?;
    }
    let webpki =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let verifier = Arc::new(CaOrPinned { webpki, pinned });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let target = Arc::new(Target {
        addr: args.addr,
        connector: TlsConnector::from(Arc::new(config)),
        auth: format!("Bearer {}", args.token),
        gzip: args.gzip,
    });
    for &conns in &args.connections {
        run(&args, &target, conns.clamp(1, 1024)).await?;
    }
    Ok(())
}
