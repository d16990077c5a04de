//! Faults while serving (issue #6, part 3): certificate, key and token files that disappear or
//! turn to garbage, and metric sources that fail or panic.
//!
//! Files are re-read on every handshake / request here (reload interval zero), so each fault
//! is seen by the very next connection and no test waits for a reload.

use antrea_metrics::format::Format;
use antrea_metrics::server::{StaticTokens, TlsSource};
use antrea_metrics::{Exposition, MetricsError};
use prometheus::Registry;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;
use suite::certs::TestCa;
use suite::client;
use suite::hostile::assert_serves;
use suite::logs;
use suite::serve::{self, Running, TOKEN};
use suite::BoxError;

/// Garbage that is neither PEM nor UTF-8.
const GARBAGE: &[u8] = b"\x00\xff\xfe-----BEGIN CERTIFICATE-----\n\x80\x81garbage\n";

#[tokio::test]
async fn broken_certificate_files_keep_the_old_pair_serving() -> Result<(), BoxError> {
    let (log, _guard) = logs::capture();
    let ca = TestCa::new()?;
    let dir = suite::private_tempdir()?;
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let first = ca.leaf()?;
    first.write(&cert, &key)?;
    let source = TlsSource::files(&cert, &key).with_reload_interval(Duration::ZERO);
    let server = Running::start(serve::builder()?.tls(source)).await?;
    // A new client configuration per handshake: a shared one would resume the TLS session,
    // which skips certificate selection and would show the old certificate whatever the files.
    let ca_pem = ca.pem();
    let fresh = || client::config(&ca_pem);

    let half = |path: &Path| -> std::io::Result<()> {
        let bytes = std::fs::read(path)?;
        std::fs::write(path, &bytes[..bytes.len() / 2])
    };
    type Fault<'a> = Box<dyn Fn() -> std::io::Result<()> + 'a>;
    let faults: Vec<(&str, Fault)> = vec![
        (
            "both deleted",
            Box::new(|| {
                std::fs::remove_file(&cert)?;
                std::fs::remove_file(&key)
            }),
        ),
        ("key deleted", Box::new(|| std::fs::remove_file(&key))),
        ("cert truncated", Box::new(|| half(&cert))),
        ("key truncated", Box::new(|| half(&key))),
        ("cert garbage", Box::new(|| std::fs::write(&cert, GARBAGE))),
        (
            "key garbage",
            Box::new(|| suite::certs::write_private(&key, GARBAGE)),
        ),
        (
            "both empty",
            Box::new(|| {
                std::fs::write(&cert, "")?;
                suite::certs::write_private(&key, "")
            }),
        ),
    ];
    for (name, fault) in &faults {
        first.write(&cert, &key)?;
        assert_eq!(
            client::peer_certificate(server.addr, fresh()?).await?,
            first.cert_der,
            "{name}: before"
        );
        let reported = log
            .text()
            .matches("keeping the previous TLS certificate")
            .count();
        fault()?;
        let seen = client::peer_certificate(server.addr, fresh()?).await?;
        assert_eq!(
            seen, first.cert_der,
            "{name}: the old pair must keep serving"
        );
        let now = log
            .text()
            .matches("keeping the previous TLS certificate")
            .count();
        assert!(now > reported, "{name}: not reported:\n{}", log.text());
        let resp = client::get_with_token(server.addr, fresh()?, "/metrics", TOKEN).await?;
        assert_eq!(resp.status, 200, "{name}");
    }
    // A good new pair after all that is picked up.
    let second = ca.leaf()?;
    second.write(&cert, &key)?;
    assert_eq!(
        client::peer_certificate(server.addr, fresh()?).await?,
        second.cert_der
    );
    server.stop().await
}

/// Asserts the server's verdict for each credential, over fresh connections.
async fn verdicts(
    server: &Running,
    want: &[(Option<&str>, u16)],
    case: &str,
) -> Result<(), BoxError> {
    let config = client::config(server.ca()?)?;
    for (token, status) in want {
        let extra = token.map(|t| format!("Authorization: Bearer {t}"));
        let headers: Vec<&str> = extra.iter().map(String::as_str).collect();
        let resp =
            client::request(server.addr, config.clone(), "GET", "/metrics", &headers).await?;
        assert_eq!(resp.status, *status, "{case}: token {token:?}");
    }
    Ok(())
}

#[tokio::test]
async fn broken_token_file_keeps_the_last_good_set_and_never_allows_all() -> Result<(), BoxError> {
    let (log, _guard) = logs::capture();
    let dir = suite::private_tempdir()?;
    let path = dir.path().join("tokens");
    suite::certs::write_private(&path, format!("{TOKEN}\n"))?;
    let tokens = StaticTokens::from_file(&path)?.with_reload_interval(Duration::ZERO);
    let server = Running::start(serve::builder()?.static_tokens(tokens)).await?;
    let faults: [(&str, &[u8]); 5] = [
        ("emptied", b""),
        ("only blanks and comments", b"\n   \n# rotated\n"),
        ("not UTF-8", GARBAGE),
        (
            "a token with a byte that is not UTF-8",
            b"next-token-\xff\n",
        ),
        ("deleted", b""),
    ];
    for (case, bytes) in faults {
        if case == "deleted" {
            std::fs::remove_file(&path)?;
        } else {
            std::fs::write(&path, bytes)?;
        }
        let want = [
            (Some(TOKEN), 200),
            (None, 401),
            (Some("next-token-\u{fffd}"), 401),
            (Some("wrong-token"), 401),
            (Some("\u{fffd}"), 401),
        ];
        verdicts(&server, &want, case).await?;
    }
    // A good file is picked up again, and only its tokens count.
    suite::certs::write_private(&path, "rotated-token\n")?;
    verdicts(
        &server,
        &[(Some("rotated-token"), 200), (Some(TOKEN), 401)],
        "rotated",
    )
    .await?;
    server.stop().await?;
    assert!(!log.text().contains(TOKEN), "a token was logged");
    Ok(())
}

/// A source that works, fails or panics, as the test says.
#[derive(Default)]
struct Flaky(AtomicU8);

const WORK: u8 = 0;
const FAIL: u8 = 1;
const PANIC: u8 = 2;

impl Exposition for Flaky {
    // Text only (`supports` keeps its default), so the server asks for nothing else.
    fn encode(&self, _: Format, out: &mut Vec<u8>) -> Result<(), antrea_metrics::MetricsError> {
        match self.0.load(Ordering::Relaxed) {
            FAIL => Err(MetricsError::Encode(prometheus::Error::Msg(
                "collector <secret-detail> failed".to_owned(),
            ))),
            PANIC => panic!("a collector panicked (deliberately, in a test)"),
            _ => {
                out.extend_from_slice(b"flaky_up 1\n");
                Ok(())
            }
        }
    }
}

fn requests(registry: &Registry, code: &str) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|f| f.name() == "antrea_metrics_server_requests_total")
        .flat_map(|f| f.get_metric())
        .filter(|m| {
            let labels = m.get_label();
            labels
                .iter()
                .any(|l| l.name() == "code" && l.value() == code)
                && labels
                    .iter()
                    .any(|l| l.name() == "path" && l.value() == "/metrics")
        })
        .map(|m| m.counter.value())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_panicking_sources_get_500_and_the_server_survives() -> Result<(), BoxError> {
    let flaky = Arc::new(Flaky::default());
    let registry = Registry::new();
    let builder = serve::builder()?
        .exposition(flaky.clone())
        .server_metrics(&registry)
        .max_inflight_scrapes(2);
    let server = Running::start(builder).await?;
    let config = client::config(server.ca()?)?;
    let auth = format!("Authorization: Bearer {TOKEN}");
    // More scrapes than the in-flight limit: a permit leaked by a failure would show as 503.
    for (mode, runs) in [(FAIL, 4), (PANIC, 4)] {
        flaky.0.store(mode, Ordering::Relaxed);
        for _ in 0..runs {
            let headers = [auth.as_str(), "Accept-Encoding: gzip"];
            let resp =
                client::request(server.addr, config.clone(), "GET", "/metrics", &headers).await?;
            assert_eq!(resp.status, 500, "mode {mode}");
            assert_eq!(resp.header("content-encoding"), None);
            assert!(
                !resp.text().contains("secret-detail"),
                "error detail leaked: {}",
                resp.text()
            );
        }
    }
    assert_eq!(requests(&registry, "500"), 8.0);
    flaky.0.store(WORK, Ordering::Relaxed);
    assert_serves(&server).await?;
    assert_eq!(requests(&registry, "200"), 1.0);
    server.stop().await
}
