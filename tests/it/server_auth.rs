//! Authentication and authorization of `/metrics`: status codes, header forms, pluggable
//! backends, token-file reload, and that no token ever reaches the log.

use antrea_metrics::server::{
    Authentication, Authenticator, Authorizer, BackendError, BoxFuture, Decision,
    RequestAttributes, StaticTokens, UserInfo,
};
use std::sync::Arc;
use std::time::Duration;
use suite::client::{self, Response};
use suite::logs;
use suite::serve::{self, Running, TOKEN};
use suite::tools;
use suite::BoxError;

/// Fails if any secret shows up in the captured log.
fn assert_no_secrets(log: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!log.contains(secret), "a token was logged: {log}");
    }
}

fn assert_401(resp: &Response, case: &str) {
    assert_eq!(resp.status, 401, "{case}");
    let challenge = resp.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer"), "{case}: {challenge}");
    assert!(
        !resp.text().contains("suite_demo"),
        "{case}: metrics leaked"
    );
}

#[tokio::test]
async fn missing_wrong_and_malformed_credentials_get_401() -> Result<(), BoxError> {
    let (log, _guard) = logs::capture();
    let server = Running::start(serve::builder()?).await?;
    let config = client::config(server.ca()?)?;
    let basic = format!("Authorization: Basic {TOKEN}");
    let bad_headers = [
        "X-None: no authorization header".to_owned(),
        "Authorization: Bearer wrong-token-31337".to_owned(),
        "Authorization: Bearer".to_owned(),
        format!("Authorization: Bearer: {TOKEN}"),
        format!("Authorization: Bearer  {TOKEN}"),
        format!("Authorization: bear {TOKEN}"),
        format!("Authorization: Token {TOKEN}"),
        format!("Authorization: Bearer{TOKEN}"),
        basic,
    ];
    for header in &bad_headers {
        let resp =
            client::request(server.addr, config.clone(), "GET", "/metrics", &[header]).await?;
        assert_401(&resp, header);
    }
    for good in [format!("bearer {TOKEN}"), format!("BEARER {TOKEN} extra")] {
        let header = format!("Authorization: {good}");
        let resp =
            client::request(server.addr, config.clone(), "GET", "/metrics", &[&header]).await?;
        assert_eq!(resp.status, 200, "{good}");
    }
    // HTTP/2 too, whose codec logs at TRACE.
    let dir = suite::private_tempdir()?;
    let ca_path = dir.path().join("ca.crt");
    std::fs::write(&ca_path, server.ca()?)?;
    let ca = ca_path.to_str().ok_or("path")?;
    for token in [TOKEN, "wrong-token-31337"] {
        let auth = format!("Authorization: Bearer {token}");
        let out = tools::curl(
            server.addr,
            "/metrics",
            &["--http2", "--cacert", ca, "-H", &auth],
        )
        .await?;
        assert!(out.status.success());
    }
    let resp = client::request(server.addr, config, "GET", "/healthz", &[]).await?;
    assert_eq!((resp.status, resp.text().as_str()), (200, "ok"));
    server.stop().await?;
    let log = log.text();
    assert!(log.contains("unauthenticated"), "the capture works: {log}");
    assert_no_secrets(&log, &[TOKEN, "wrong-token-31337"]);
    Ok(())
}

#[tokio::test]
async fn anonymous_mode_answers_403_like_antrea() -> Result<(), BoxError> {
    let (log, _guard) = logs::capture();
    let server = Running::start(serve::builder()?.anonymous(true)).await?;
    let config = client::config(server.ca()?)?;
    let resp = client::request(server.addr, config.clone(), "GET", "/metrics", &[]).await?;
    assert_eq!(resp.status, 403);
    assert!(!resp.text().contains("suite_demo"));
    let resp = client::get_with_token(server.addr, config.clone(), "/metrics", "wrong").await?;
    assert_401(&resp, "wrong token");
    let resp = client::get_with_token(server.addr, config, "/metrics", TOKEN).await?;
    assert_eq!(resp.status, 200);
    server.stop().await?;
    let log = log.text();
    assert!(log.contains("forbidden"), "{log}");
    assert_no_secrets(&log, &[TOKEN]);
    Ok(())
}

/// Tokens name users; `fail` makes the backend fail.
struct FakeAuthn;

impl Authenticator for FakeAuthn {
    fn authenticate<'a>(
        &'a self,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Authentication, BackendError>> {
        Box::pin(async move {
            match token {
                Some("fail") => Err("token review backend unreachable".into()),
                Some(name) => Ok(Authentication::Authenticated(UserInfo {
                    name: name.to_owned(),
                    uid: String::new(),
                    groups: Vec::new(),
                })),
                None => Ok(Authentication::Unauthenticated),
            }
        })
    }
}

/// Allows `prometheus` on `get /metrics`, fails for `broken`, denies the rest.
struct FakeAuthz;

impl Authorizer for FakeAuthz {
    fn authorize<'a>(
        &'a self,
        user: &'a UserInfo,
        request: &'a RequestAttributes,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        Box::pin(async move {
            match user.name.as_str() {
                "broken" => Err("access review backend unreachable".into()),
                "prometheus" if request.verb == "get" && request.path == "/metrics" => {
                    Ok(Decision::Allow)
                }
                _ => Ok(Decision::Deny("not a metrics reader".to_owned())),
            }
        })
    }
}

#[tokio::test]
async fn pluggable_backends_map_to_403_and_500() -> Result<(), BoxError> {
    let (log, _guard) = logs::capture();
    let builder = antrea_metrics::server::MetricsServer::builder()
        .listen(([127, 0, 0, 1], 0).into())
        .registry(serve::demo_registry()?)
        .authenticator(Arc::new(FakeAuthn))
        .authorizer(Arc::new(FakeAuthz));
    let server = Running::start(builder).await?;
    let config = client::config(server.ca()?)?;
    for (token, status) in [
        ("prometheus", 200),
        ("intruder", 403),
        ("fail", 500),
        ("broken", 500),
    ] {
        let resp = client::get_with_token(server.addr, config.clone(), "/metrics", token).await?;
        assert_eq!(resp.status, status, "{token}");
        assert_eq!(resp.text().contains("suite_demo"), status == 200, "{token}");
    }
    server.stop().await?;
    let log = log.text();
    assert!(log.contains("backend unreachable"), "{log}");
    Ok(())
}

/// Polls `token` until it gets `status`, at most 40 times 50 ms apart.
async fn await_status(server: &Running, token: &str, status: u16) -> Result<(), BoxError> {
    let config = client::config(server.ca()?)?;
    let mut last = 0;
    for _ in 0..40 {
        last = client::get_with_token(server.addr, config.clone(), "/metrics", token)
            .await?
            .status;
        if last == status {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("wanted {status}, still {last}").into())
}

#[tokio::test]
async fn token_file_is_reloaded_and_a_broken_file_keeps_the_last_good_set() -> Result<(), BoxError>
{
    let (log, _guard) = logs::capture();
    let dir = suite::private_tempdir()?;
    let path = dir.path().join("tokens");
    suite::certs::write_private(&path, "# readers\n  file-token-aaa  \n")?;
    let tokens = StaticTokens::from_file(&path)?
        .with_tokens(["code-token-ccc".to_owned()])
        .with_reload_interval(Duration::from_millis(20));
    let server = Running::start(serve::builder()?.static_tokens(tokens)).await?;
    await_status(&server, "file-token-aaa", 200).await?;

    suite::certs::write_private(&path, "file-token-bbb\n")?;
    await_status(&server, "file-token-aaa", 401).await?;
    await_status(&server, "file-token-bbb", 200).await?;
    await_status(&server, "code-token-ccc", 200).await?;

    std::fs::write(&path, "# nothing left\n\n")?;
    tokio::time::sleep(Duration::from_millis(60)).await;
    await_status(&server, "file-token-bbb", 200).await?;
    std::fs::remove_file(&path)?;
    tokio::time::sleep(Duration::from_millis(60)).await;
    await_status(&server, "file-token-bbb", 200).await?;
    await_status(&server, "wrong-token-31337", 401).await?;
    server.stop().await?;

    let log = log.text();
    assert!(log.contains("holds no token"), "{log}");
    assert!(log.contains("cannot read the token file"), "{log}");
    let secrets = [
        "file-token-aaa",
        "file-token-bbb",
        "code-token-ccc",
        "wrong-token-31337",
    ];
    assert_no_secrets(&log, &secrets);
    Ok(())
}

#[tokio::test]
async fn bad_token_settings_fail_at_startup() -> Result<(), BoxError> {
    let dir = suite::private_tempdir()?;
    let missing = dir.path().join("missing-tokens");
    let err = StaticTokens::from_file(&missing)
        .map(|_| ())
        .err()
        .ok_or("accepted")?;
    assert!(err.to_string().contains("missing-tokens"), "{err}");

    let empty = dir.path().join("empty-tokens");
    std::fs::write(&empty, "# none\n \n")?;
    let err = StaticTokens::from_file(&empty)
        .map(|_| ())
        .err()
        .ok_or("accepted")?;
    assert!(err.to_string().contains("empty-tokens"), "{err}");

    let builder = serve::builder()?.static_tokens(StaticTokens::new(Vec::<String>::new()));
    let err = builder.build().await.map(|_| ()).err().ok_or("accepted")?;
    assert!(err.to_string().contains("static tokens"), "{err}");

    let secret = StaticTokens::new(["debug-secret-777".to_owned()]);
    assert!(!format!("{secret:?}").contains("debug-secret-777"));
    let builder = serve::builder()?.static_tokens(secret);
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("StaticTokens") && !shown.contains("debug-secret-777"),
        "{shown}"
    );
    Ok(())
}
