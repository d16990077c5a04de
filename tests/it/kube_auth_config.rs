//! Reaching the API server from a kubeconfig file and from in-cluster settings, each proven by a
//! real TokenReview against the stand-in API server.

use antrea_metrics::server::kube::{ApiServerConfig, ConfigError, InCluster, KubeAuth};
use antrea_metrics::server::{Authentication, UserInfo};
use base64::Engine as _;
use std::path::Path;
use suite::kube_stub::KubeStub;
use suite::BoxError;

const AGENT: &str = "agent-token-from-config-91ac";
const SCRAPER: &str = "scraper-token-77e0b3";
const USER: &str = "system:serviceaccount:monitoring:prometheus";

async fn stub() -> Result<KubeStub, BoxError> {
    let stub = KubeStub::start(AGENT).await?;
    stub.add_user(SCRAPER, USER, &["system:serviceaccounts"]);
    Ok(stub)
}

/// Authenticates `token` through `api`; `Ok(Some(name))` when the review succeeded.
async fn who(api: ApiServerConfig, token: &str) -> Result<Option<String>, BoxError> {
    let kube = KubeAuth::builder(api).build()?;
    Ok(
        match kube.authenticator().authenticate(Some(token)).await? {
            Authentication::Authenticated(UserInfo { name, .. }) => Some(name),
            Authentication::Unauthenticated => None,
        },
    )
}

/// A kubeconfig with one cluster, one user and two contexts; `cluster` and `user` are the
/// YAML lines under `cluster:` and `user:`.
fn kubeconfig(dir: &Path, server: &str, cluster: &str, user: &str) -> std::io::Result<()> {
    let text = format!(
        "apiVersion: v1
kind: Config
current-context: main
clusters:
- name: kind
  cluster:
    server: {server}
    {cluster}
users:
- name: agent
  user:
    {user}
contexts:
- name: main
  context:
    cluster: kind
    user: agent
- name: nobody
  context:
    cluster: kind
"
    );
    std::fs::write(dir.join("config"), text)
}

#[tokio::test]
async fn kubeconfig_with_inline_ca_and_token() -> Result<(), BoxError> {
    let stub = stub().await?;
    let dir = suite::private_tempdir()?;
    let ca = base64::engine::general_purpose::STANDARD.encode(&stub.ca_pem);
    let cluster = format!("certificate-authority-data: {ca}");
    kubeconfig(
        dir.path(),
        &stub.url(),
        &cluster,
        &format!("token: {AGENT}"),
    )?;
    let api = ApiServerConfig::from_kubeconfig(dir.path().join("config"))?;
    assert_eq!(api.server(), stub.url());
    assert!(!format!("{api:?}").contains(AGENT), "Debug shows the token");
    assert_eq!(who(api, SCRAPER).await?.as_deref(), Some(USER));
    assert_eq!(stub.violations(), Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn kubeconfig_with_relative_ca_and_token_files() -> Result<(), BoxError> {
    let stub = stub().await?;
    let dir = suite::private_tempdir()?;
    std::fs::write(dir.path().join("ca.crt"), &stub.ca_pem)?;
    suite::certs::write_private(dir.path().join("token"), format!("{AGENT}\n"))?;
    kubeconfig(
        dir.path(),
        &stub.url(),
        "certificate-authority: ca.crt",
        "tokenFile: token",
    )?;
    let api = ApiServerConfig::from_kubeconfig_context(dir.path().join("config"), "main")?;
    assert_eq!(who(api, SCRAPER).await?.as_deref(), Some(USER));
    // A context without a user sends no agent token: the API server refuses the review.
    let api = ApiServerConfig::from_kubeconfig_context(dir.path().join("config"), "nobody")?;
    assert!(who(api, SCRAPER).await.is_err());
    assert_eq!(stub.violations().len(), 1);
    Ok(())
}

#[tokio::test]
async fn kubeconfig_with_a_client_certificate_and_token() -> Result<(), BoxError> {
    let client_ca = suite::certs::TestCa::new()?;
    let client = client_ca.leaf()?;
    let stub = KubeStub::start_with(AGENT, Some(&client_ca.pem())).await?;
    stub.add_user(SCRAPER, USER, &[]);
    let dir = suite::private_tempdir()?;
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let cluster = format!("certificate-authority-data: {}", b64(&stub.ca_pem));
    let user = format!(
        "client-certificate-data: {}\n    client-key-data: {}\n    token: {AGENT}",
        b64(&client.cert_pem),
        b64(&client.key_pem)
    );
    kubeconfig(dir.path(), &stub.url(), &cluster, &user)?;
    let api = ApiServerConfig::from_kubeconfig(dir.path().join("config"))?;
    assert!(format!("{api:?}").contains("client_certificate: true"));
    assert!(!format!("{api:?}").contains(AGENT));
    // The stand-in requires the client certificate: without it the handshake fails.
    assert_eq!(who(api, SCRAPER).await?.as_deref(), Some(USER));
    let no_cert = format!("certificate-authority-data: {}", b64(&stub.ca_pem));
    kubeconfig(
        dir.path(),
        &stub.url(),
        &no_cert,
        &format!("token: {AGENT}"),
    )?;
    let api = ApiServerConfig::from_kubeconfig(dir.path().join("config"))?;
    let err = who(api, SCRAPER)
        .await
        .err()
        .ok_or("no client certificate, yet reviewed")?;
    // TLS 1.3 finishes the client's side first, so the refusal arrives with the request.
    assert!(err.to_string().contains("CertificateRequired"), "{err}");
    Ok(())
}

#[tokio::test]
async fn unusable_kubeconfigs_are_refused_with_a_reason() -> Result<(), BoxError> {
    let dir = suite::private_tempdir()?;
    let path = dir.path().join("config");
    let server = "https://127.0.0.1:6443";
    let ca = base64::engine::general_purpose::STANDARD.encode(suite::certs::TestCa::new()?.pem());
    let ca = format!("certificate-authority-data: {ca}");
    let cases = [
        (ca.as_str(), "exec: {command: aws}", "exec"),
        (
            "insecure-skip-tls-verify: true",
            "token: x",
            "insecure-skip-tls-verify",
        ),
        ("certificate-authority-data: '%%%'", "token: x", "base64"),
        (
            "tls-server-name: localhost",
            "token: x",
            "certificate-authority",
        ),
        (ca.as_str(), "client-certificate-data: eA==", "client-key"),
        (ca.as_str(), "token: 987654321", "not a string"),
    ];
    for (cluster, user, reason) in cases {
        kubeconfig(dir.path(), server, cluster, user)?;
        match ApiServerConfig::from_kubeconfig(&path) {
            // A refusal of the file's content, not a read or YAML failure.
            Err(err)
                if !matches!(
                    err,
                    ConfigError::ReadFile { .. } | ConfigError::Kubeconfig { .. }
                ) =>
            {
                let got = err.to_string();
                assert!(got.contains(reason), "{got}");
                assert!(!got.contains("987654321"), "a token in an error: {got}");
            }
            other => panic!("{cluster} / {user}: expected a config error, got {other:?}"),
        }
    }
    let missing = ApiServerConfig::from_kubeconfig_context(&path, "absent");
    assert!(matches!(
        missing,
        Err(ConfigError::NotInKubeconfig {
            kind: "context",
            ..
        })
    ));
    std::fs::write(&path, "clusters: [unclosed")?;
    let yaml = ApiServerConfig::from_kubeconfig(&path);
    assert!(
        matches!(yaml, Err(ConfigError::Kubeconfig { .. })),
        "{yaml:?}"
    );
    let absent = ApiServerConfig::from_kubeconfig(dir.path().join("absent"));
    assert!(matches!(absent, Err(ConfigError::ReadFile { .. })));
    Ok(())
}

#[tokio::test]
async fn in_cluster_token_is_reread_as_it_rotates() -> Result<(), BoxError> {
    let stub = stub().await?;
    stub.add_user("second-scraper-token", "second", &[]);
    let dir = suite::private_tempdir()?;
    let (token_file, ca_file) = (dir.path().join("token"), dir.path().join("ca.crt"));
    suite::certs::write_private(&token_file, AGENT)?;
    std::fs::write(&ca_file, &stub.ca_pem)?;
    let settings = InCluster {
        host: "127.0.0.1".to_owned(),
        port: stub.addr.port(),
        token_file: token_file.clone(),
        ca_file,
    };
    let missing = InCluster {
        token_file: dir.path().join("absent"),
        ..settings.clone()
    };
    assert!(matches!(
        missing.config(),
        Err(ConfigError::ReadFile { .. })
    ));
    let kube = KubeAuth::builder(settings.config()?).build()?;
    let authenticated = |a: Authentication| matches!(a, Authentication::Authenticated(_));
    assert!(authenticated(
        kube.authenticator().authenticate(Some(SCRAPER)).await?
    ));

    // kubelet rotates the token in place; the API server only takes the new one.
    suite::certs::write_private(&token_file, "rotated-agent-token")?;
    stub.set_agent_token("rotated-agent-token");
    let second = kube
        .authenticator()
        .authenticate(Some("second-scraper-token"))
        .await?;
    assert!(authenticated(second));
    assert_eq!(stub.token_reviews(), 2);
    assert_eq!(stub.violations(), Vec::<String>::new());
    Ok(())
}
