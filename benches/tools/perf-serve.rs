//! Serves a realistic, moving agent over HTTPS with a bearer token, for load runs side by side
//! with `antrea-ref -drive`: the same families and Antrea's 40 OVS tables by default, updated
//! every 100 ms. Stops by itself after `--seconds` (default 600).
//!
//! `--no-server` runs the same moving agent on the same runtime without the server, so that
//! the server's marginal memory is the difference between the two processes.
//!
//! ```text
//! cargo run --release -p antrea-metrics-bench --bin perf-serve -- --listen 127.0.0.1:18351 \
//!     --token-file token --write-ca ca.pem [--tables 40] [--seconds 600] [--no-server] \
//!     [--gzip-level N]
//! ```

use antrea_metrics::server::{MetricsServer, StaticTokens, TlsSource};
use antrea_metrics::{Exposition, FlowOp, IpFamily, LabelValue, TableId};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use suite::realistic::table_name;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How often the metrics move, as `antrea-ref -drive`'s default `-interval`.
const DRIVE_INTERVAL: Duration = Duration::from_millis(100);

struct Args {
    listen: SocketAddr,
    token_file: String,
    write_ca: String,
    tables: u16,
    seconds: u64,
    no_server: bool,
    gzip_level: Option<u32>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut token_file, mut write_ca) = (None, None, None);
    let (mut tables, mut seconds) = (suite::realistic::PIPELINE_TABLES, 600);
    let (mut no_server, mut gzip_level) = (false, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(value()?.parse::<SocketAddr>()?),
            "--token-file" => token_file = Some(value()?),
            "--write-ca" => write_ca = Some(value()?),
            "--tables" => tables = value()?.parse()?,
            "--seconds" => seconds = value()?.parse()?,
            "--no-server" => no_server = true,
            "--gzip-level" => gzip_level = Some(value()?.parse()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let listen = listen.ok_or("--listen is required")?;
    if !listen.ip().is_loopback() {
        return Err(format!("{listen} is not a loopback address").into());
    }
    Ok(Args {
        listen,
        token_file: token_file.ok_or("--token-file is required")?,
        write_ca: write_ca.ok_or("--write-ca is required")?,
        tables: tables.min(suite::realistic::ALL_TABLES),
        seconds: seconds.clamp(1, 3600),
        no_server,
        gzip_level,
    })
}

fn main() -> std::process::ExitCode {
    suite::errors::exit_code_boxed(run())
}

#[tokio::main]
async fn run() -> Result<(), BoxError> {
    let args = parse_args()?;
    let agent = suite::realistic::agent_with_tables(args.tables);
    let driven = agent.clone();
    let tables = args.tables;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(DRIVE_INTERVAL);
        for step in 0u64.. {
            tick.tick().await;
            let id = (step % u64::from(tables.max(1))) as u8;
            let flows = (step % 200) as f64;
            driven
                .ovs_flow_count
                .set(TableId(id), &table_name(id), flows);
            driven.local_pod_count.set((step % 110) as f64);
            for op in FlowOp::ALL {
                driven.ovs_flow_ops_count.get(*op).inc_by(7);
                let h = driven.ovs_flow_ops_latency_milliseconds.get(*op);
                h.observe((step % 97) as f64 * 0.05);
            }
            for fam in IpFamily::ALL {
                driven.proxy.family(*fam).total_endpoints_updates.inc();
            }
        }
    });
    let stop = tokio::time::sleep(Duration::from_secs(args.seconds));
    if args.no_server {
        println!("perf-serve: the workload alone, no server");
        stop.await;
        return Ok(());
    }
    let mut builder = MetricsServer::builder();
    if let Some(level) = args.gzip_level {
        builder = builder.gzip_level(level);
    }
    let server = builder
        .listen(args.listen)
        .exposition(Arc::new(agent) as Arc<dyn Exposition>)
        .tls(TlsSource::self_signed().write_ca_to(&args.write_ca))
        .static_tokens(StaticTokens::from_file(&args.token_file)?)
        // Like Antrea's promhttp server, no cap on concurrent scrapes (ours defaults to 4 and
        // answers `503` past it): the load run measures throughput, not the limit.
        .max_inflight_scrapes(1024)
        .max_connections(1024)
        .build()
        .await?;
    println!(
        "perf-serve: serving https://{}/metrics",
        server.local_addr()
    );
    server.serve(stop).await;
    Ok(())
}
