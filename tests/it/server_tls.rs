//! TLS: versions, cipher suites, client certificates, and certificate files with reload.

use antrea_metrics::server::{SharedTls, TlsSource, TlsVersion};
use std::path::Path;
use std::time::Duration;
use suite::certs::TestCa;
use suite::client;
use suite::logs;
use suite::serve::{self, Running, TOKEN};
use suite::tools::{self, s_client_handshakes};
use suite::BoxError;

/// Lets the OpenSSL client really offer old versions, so a refusal comes from the server.
const OLD_OK: &str = "DEFAULT@SECLEVEL=0";

#[tokio::test]
#[ignore = "needs openssl: scripts/install-test-deps.sh, then --include-ignored"]
async fn tls_versions() -> Result<(), BoxError> {
    let server = Running::start(serve::builder()?).await?;
    assert!(!s_client_handshakes(server.addr, &["-tls1_1", "-cipher", OLD_OK]).await?);
    assert!(s_client_handshakes(server.addr, &["-tls1_2"]).await?);
    assert!(s_client_handshakes(server.addr, &["-tls1_3"]).await?);
    server.stop().await?;

    let server = Running::start(serve::builder()?.tls_min_version(TlsVersion::Tls13)).await?;
    assert!(!s_client_handshakes(server.addr, &["-tls1_2"]).await?);
    assert!(s_client_handshakes(server.addr, &["-tls1_3"]).await?);
    server.stop().await
}

#[tokio::test]
#[ignore = "needs openssl: scripts/install-test-deps.sh, then --include-ignored"]
async fn cipher_suite_lists() -> Result<(), BoxError> {
    // TLS 1.2 names only: TLS 1.2 is limited, TLS 1.3 keeps its suites (Go's semantics).
    let server = Running::start(
        serve::builder()?.tls_cipher_suites(["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]),
    )
    .await?;
    let other = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"];
    assert!(!s_client_handshakes(server.addr, &other).await?);
    let listed = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"];
    assert!(s_client_handshakes(server.addr, &listed).await?);
    assert!(s_client_handshakes(server.addr, &["-tls1_3"]).await?);
    server.stop().await?;

    // A TLS 1.3 name limits TLS 1.3 too.
    let server =
        Running::start(serve::builder()?.tls_cipher_suites(["TLS_AES_256_GCM_SHA384"])).await?;
    let other = ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"];
    assert!(!s_client_handshakes(server.addr, &other).await?);
    let listed = ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"];
    assert!(s_client_handshakes(server.addr, &listed).await?);
    server.stop().await
}

#[tokio::test]
#[ignore = "needs openssl: scripts/install-test-deps.sh, then --include-ignored"]
async fn self_signed_certificate_names_loopback_and_extras_and_is_backdated() -> Result<(), BoxError>
{
    let extra_ip = std::net::IpAddr::from([10, 0, 0, 7]);
    let source = TlsSource::self_signed()
        .with_dns_name("metrics.example")
        .with_ip(extra_ip);
    let server = Running::start(serve::builder()?.tls(source)).await?;
    let config = client::config(server.ca()?)?;
    for name in ["localhost", "127.0.0.1", "metrics.example", "10.0.0.7"] {
        client::connect_as(server.addr, config.clone(), name).await?;
    }
    assert!(
        client::connect_as(server.addr, config.clone(), "other.example")
            .await
            .is_err()
    );
    let v6 =
        Running::start(serve::builder()?.listen((std::net::Ipv6Addr::LOCALHOST, 0).into())).await?;
    client::connect_as(v6.addr, client::config(v6.ca()?)?, "::1").await?;
    v6.stop().await?;

    // NotBefore is an hour back: valid 30 minutes ago, not yet valid 2 hours ago.
    let dir = suite::private_tempdir()?;
    let (ca, leaf) = (dir.path().join("ca.pem"), dir.path().join("leaf.der"));
    std::fs::write(&ca, server.ca()?)?;
    std::fs::write(&leaf, client::peer_certificate(server.addr, config).await?)?;
    let leaf_pem = dir.path().join("leaf.pem");
    let (leaf, leaf_pem_s) = (
        leaf.to_str().ok_or("path")?,
        leaf_pem.to_str().ok_or("path")?,
    );
    let converted = tools::run(
        "openssl",
        &["x509", "-inform", "DER", "-in", leaf, "-out", leaf_pem_s],
    )
    .await?;
    assert!(converted.status.success());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let ca = ca.to_str().ok_or("path")?;
    for (ago, valid) in [(30 * 60, true), (2 * 3600, false)] {
        let at = (now - ago).to_string();
        let out = tools::run(
            "openssl",
            &["verify", "-CAfile", ca, "-attime", &at, leaf_pem_s],
        )
        .await?;
        assert_eq!(
            out.status.success(),
            valid,
            "{ago}s ago: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    server.stop().await
}

#[tokio::test]
async fn client_certificates_are_required_with_a_client_ca() -> Result<(), BoxError> {
    let dir = suite::private_tempdir()?;
    let client_ca = TestCa::new()?;
    let ca_path = dir.path().join("client-ca.crt");
    std::fs::write(&ca_path, client_ca.pem())?;
    let server = Running::start(serve::builder()?.client_ca_file(&ca_path)).await?;

    let anonymous = client::config(server.ca()?)?;
    let refused = client::get_with_token(server.addr, anonymous, "/metrics", TOKEN).await;
    assert!(refused.is_err(), "{refused:?}");

    let leaf = client_ca.leaf()?;
    let config = client::config_with_client_cert(server.ca()?, &leaf.cert_pem, &leaf.key_pem)?;
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);

    let stranger = TestCa::new()?.leaf()?;
    let config =
        client::config_with_client_cert(server.ca()?, &stranger.cert_pem, &stranger.key_pem)?;
    let refused = client::get_with_token(server.addr, config, "/metrics", TOKEN).await;
    assert!(refused.is_err(), "{refused:?}");
    server.stop().await
}

/// Polls handshakes until the server presents `want`, at most 40 times 50 ms apart.
async fn await_certificate(server: &Running, ca: &str, want: &[u8]) -> Result<(), BoxError> {
    let config = client::config(ca)?;
    for _ in 0..40 {
        if client::peer_certificate(server.addr, config.clone()).await? == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the server never presented the new certificate".into())
}

/// Replaces `link` atomically with a symlink to `target`, like a Kubernetes secret volume.
fn swap_symlink(link: &Path, target: &Path) -> std::io::Result<()> {
    let tmp = link.with_extension("tmp");
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)
}

#[tokio::test]
async fn certificate_files_reload_and_a_bad_pair_keeps_the_old_one() -> Result<(), BoxError> {
    let (log, _guard) = logs::capture();
    let ca = TestCa::new()?;
    let dir = suite::private_tempdir()?;
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let first = ca.leaf()?;
    first.write(&cert, &key)?;
    let source = TlsSource::files(&cert, &key).with_reload_interval(Duration::from_millis(20));
    let server = Running::start(serve::builder()?.tls(source)).await?;
    assert!(server.ca_pem.is_none());
    await_certificate(&server, &ca.pem(), &first.cert_der).await?;

    let second = ca.leaf()?;
    second.write(&cert, &key)?;
    await_certificate(&server, &ca.pem(), &second.cert_der).await?;

    // A certificate with someone else's key: reported, and the old pair keeps serving.
    let (third, fourth) = (ca.leaf()?, ca.leaf()?);
    std::fs::write(&cert, &third.cert_pem)?;
    suite::certs::write_private(&key, &fourth.key_pem)?;
    let config = client::config(&ca.pem())?;
    let mut reported = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            client::peer_certificate(server.addr, config.clone()).await?,
            second.cert_der
        );
        if log.text().contains("keeping the previous TLS certificate") {
            reported = true;
            break;
        }
    }
    assert!(reported, "{}", log.text());
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    server.stop().await
}

#[tokio::test]
async fn atomic_symlink_swap_is_seen() -> Result<(), BoxError> {
    let ca = TestCa::new()?;
    let dir = suite::private_tempdir()?;
    let (v1, v2, live) = (
        dir.path().join("v1"),
        dir.path().join("v2"),
        dir.path().join("live"),
    );
    std::fs::create_dir(&v1)?;
    std::fs::create_dir(&v2)?;
    let (first, second) = (ca.leaf()?, ca.leaf()?);
    first.write(&v1.join("tls.crt"), &v1.join("tls.key"))?;
    second.write(&v2.join("tls.crt"), &v2.join("tls.key"))?;
    std::os::unix::fs::symlink(&v1, &live)?;
    let source = TlsSource::files(live.join("tls.crt"), live.join("tls.key"))
        .with_reload_interval(Duration::from_millis(20));
    let server = Running::start(serve::builder()?.tls(source)).await?;
    await_certificate(&server, &ca.pem(), &first.cert_der).await?;
    swap_symlink(&live, &v2)?;
    await_certificate(&server, &ca.pem(), &second.cert_der).await?;
    server.stop().await
}

#[tokio::test]
async fn bad_tls_settings_fail_at_startup_naming_the_file_or_field() -> Result<(), BoxError> {
    let ca = TestCa::new()?;
    let dir = suite::private_tempdir()?;
    let path = |name: &str| dir.path().join(name);
    let (good, other) = (ca.leaf()?, ca.leaf()?);
    good.write(&path("good.crt"), &path("good.key"))?;
    suite::certs::write_private(path("other.key"), &other.key_pem)?;
    std::fs::write(path("empty.crt"), "")?;
    suite::certs::write_private(path("empty.key"), "")?;

    let cases = [
        (
            TlsSource::files(path("missing.crt"), path("good.key")),
            "missing.crt",
        ),
        (
            TlsSource::files(path("good.crt"), path("missing.key")),
            "missing.key",
        ),
        (
            TlsSource::files(path("empty.crt"), path("good.key")),
            "empty.crt",
        ),
        (
            TlsSource::files(path("good.crt"), path("empty.key")),
            "empty.key",
        ),
        (
            TlsSource::files(path("good.crt"), path("other.key")),
            "other.key",
        ),
    ];
    for (source, name) in cases {
        let err = serve::builder()?
            .tls(source)
            .build()
            .await
            .map(|_| ())
            .err();
        let err = err.ok_or(format!("{name} was accepted"))?;
        assert!(err.to_string().contains(name), "{name}: {err}");
    }

    let err = serve::builder()?
        .tls_cipher_suites(["TLS_RSA_WITH_RC4_128_SHA"])
        .build()
        .await;
    let err = err
        .map(|_| ())
        .err()
        .ok_or("unknown cipher accepted")?
        .to_string();
    assert!(
        err.contains("cipher suites") && err.contains("TLS_RSA_WITH_RC4_128_SHA"),
        "{err}"
    );

    let err = serve::builder()?
        .client_ca_file(path("no-ca.pem"))
        .build()
        .await;
    let err = err
        .map(|_| ())
        .err()
        .ok_or("missing client CA accepted")?
        .to_string();
    assert!(err.contains("no-ca.pem"), "{err}");

    // A missing folder is created (the library's unit tests cover that); a regular file where
    // a folder must go cannot be, and the error names it.
    std::fs::write(path("a-file"), "")?;
    let unwritable = path("a-file").join("sub").join("ca.crt");
    let err = serve::builder()?
        .tls(TlsSource::self_signed().write_ca_to(&unwritable))
        .build()
        .await;
    let err = err
        .map(|_| ())
        .err()
        .ok_or("an unwritable CA path was accepted")?
        .to_string();
    assert!(
        err.contains("creating the folder") && err.contains("a-file/sub"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?;
    let err = serve::builder()?
        .listen(addr)
        .build()
        .await
        .map(|_| ())
        .err();
    let err = err.ok_or("a port in use was accepted")?.to_string();
    assert!(err.contains(&addr.to_string()), "{err}");
    Ok(())
}

/// The certificate `addr` presents, verified against `ca`.
async fn presented(addr: std::net::SocketAddr, ca: &str) -> Result<Vec<u8>, BoxError> {
    client::peer_certificate(addr, client::config(ca)?).await
}

/// Servers given one prepared TLS configuration serve one certificate, with the TLS settings
/// it was prepared with (their own TLS settings have no effect), and a certificate file change
/// reaches all of them.
#[tokio::test]
async fn servers_sharing_prepared_tls_serve_one_certificate_with_its_settings(
) -> Result<(), BoxError> {
    let shared: SharedTls = serve::builder()?
        .tls(TlsSource::self_signed())
        .tls_min_version(TlsVersion::Tls13)
        .prepare_tls()?;
    let ca = shared
        .ca_pem()
        .ok_or("no CA for a self-signed source")?
        .to_owned();
    let a = Running::start(serve::builder()?.shared_tls(shared.clone())).await?;
    let b = Running::start(
        serve::builder()?
            .tls_min_version(TlsVersion::Tls12)
            .shared_tls(shared.clone()),
    )
    .await?;
    assert_eq!((a.ca()?, b.ca()?), (ca.as_str(), ca.as_str()));
    assert_eq!(presented(a.addr, &ca).await?, presented(b.addr, &ca).await?);
    for server in [&a, &b] {
        assert!(!s_client_handshakes(server.addr, &["-tls1_2"]).await?);
        assert!(s_client_handshakes(server.addr, &["-tls1_3"]).await?);
        let resp =
            client::get_with_token(server.addr, client::config(&ca)?, "/metrics", TOKEN).await?;
        assert_eq!(resp.status, 200);
    }
    // Without sharing, each server generates its own certificate.
    let c = Running::start(serve::builder()?).await?;
    assert_ne!(c.ca()?, ca);
    c.stop().await?;
    a.stop().await?;
    b.stop().await?;

    // Certificate files: one reader for every server sharing them.
    let issuer = TestCa::new()?;
    let dir = tempfile::tempdir()?;
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let first = issuer.leaf()?;
    first.write(&cert, &key)?;
    let source = TlsSource::files(&cert, &key).with_reload_interval(Duration::from_millis(20));
    let shared = serve::builder()?.tls(source).prepare_tls()?;
    assert!(shared.ca_pem().is_none());
    let servers = [
        Running::start(serve::builder()?.shared_tls(shared.clone())).await?,
        Running::start(serve::builder()?.shared_tls(shared)).await?,
    ];
    for server in &servers {
        assert_eq!(presented(server.addr, &issuer.pem()).await?, first.cert_der);
    }
    let second = issuer.leaf()?;
    second.write(&cert, &key)?;
    for server in &servers {
        await_certificate(server, &issuer.pem(), &second.cert_der).await?;
    }
    for server in servers {
        server.stop().await?;
    }
    Ok(())
}
