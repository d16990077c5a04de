//! `sim-agent --kubeconfig`: scrapes are checked by the Kubernetes API server (here a local
//! HTTPS stand-in), as Antrea checks them.

use base64::Engine as _;
use suite::kube_stub::KubeStub;
use suite::sims::{Sim, TempDir};
use suite::{client, BoxError};

const AGENT: &str = "sim-agent-own-token-5d1f";
const SCRAPER: &str = "prometheus-sa-token-0b7c";
const STRANGER: &str = "other-sa-token-93aa";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_mode_delegates_to_the_api_server() -> Result<(), BoxError> {
    let stub = KubeStub::start(AGENT).await?;
    stub.add_user(SCRAPER, "system:serviceaccount:monitoring:prometheus", &[]);
    stub.add_user(STRANGER, "system:serviceaccount:default:other", &[]);
    stub.allow("system:serviceaccount:monitoring:prometheus");

    let dir = TempDir::new("sim-kube")?;
    let ca_data = base64::engine::general_purpose::STANDARD.encode(&stub.ca_pem);
    let kubeconfig = dir.file("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
             clusters:\n- name: k\n  cluster:\n    server: {}\n    certificate-authority-data: {ca_data}\n\
             users:\n- name: u\n  user:\n    token: {AGENT}\n\
             contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n",
            stub.url()
        ),
    )?;
    let ca = dir.file("ca.pem");
    let args = [
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--kubeconfig".to_owned(),
        kubeconfig,
        "--write-ca".to_owned(),
        ca.clone(),
        "--duration".to_owned(),
        "60".to_owned(),
    ];
    // Sim::start waits on the child's banner: keep it off the runtime the stand-in runs on.
    let sim = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Sim::start("sim-agent", &args)
    })
    .await??;
    assert!(sim.banner.contains("TokenReview"), "{}", sim.banner);
    let config = client::config(&std::fs::read_to_string(&ca)?)?;

    let allowed = client::get_with_token(sim.addr, config.clone(), "/metrics", SCRAPER).await?;
    assert_eq!(allowed.status, 200);
    assert!(allowed.text().contains("antrea_agent_local_pod_count"));

    let denied = client::get_with_token(sim.addr, config.clone(), "/metrics", STRANGER).await?;
    assert_eq!(denied.status, 403);
    assert!(denied
        .text()
        .contains("system:serviceaccount:default:other"));

    let unknown = client::get_with_token(sim.addr, config.clone(), "/metrics", "nope").await?;
    assert_eq!(unknown.status, 401);

    let anonymous = client::request(sim.addr, config, "GET", "/metrics", &[]).await?;
    assert_eq!(
        anonymous.status, 403,
        "no token is system:anonymous, as in Antrea"
    );
    assert!(stub.token_reviews() >= 2 && stub.access_reviews() >= 2);
    assert_eq!(stub.violations(), Vec::<String>::new());
    Ok(())
}
