//! A stand-in for the Kubernetes API server's TokenReview and SubjectAccessReview endpoints:
//! HTTPS on loopback with a test CA, checking each request as the real one would (method, path,
//! content type, the agent's own bearer token, the JSON fields), counting the reviews, and able
//! to answer slowly. Checks that fail are answered with an error and recorded as violations.

use crate::certs::TestCa;
use crate::BoxError;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

const TOKEN_REVIEWS: &str = "/apis/authentication.k8s.io/v1/tokenreviews";
const ACCESS_REVIEWS: &str = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
const TOKEN_AUDIENCE: &str = "https://kubernetes.default.svc";

#[derive(Default)]
struct State {
    agent_token: Mutex<String>,
    /// Scraper token → (user name, groups).
    users: Mutex<HashMap<String, (String, Vec<String>)>>,
    /// User names RBAC lets `get` `/metrics`.
    allowed: Mutex<Vec<String>>,
    delay: Mutex<Duration>,
    token_reviews: AtomicUsize,
    access_reviews: AtomicUsize,
    violations: Mutex<Vec<String>>,
    access_specs: Mutex<Vec<Value>>,
    connections: Mutex<Vec<tokio::task::AbortHandle>>,
}

/// The running stand-in; stops accepting when dropped.
pub struct KubeStub {
    /// Where it listens (`127.0.0.1`).
    pub addr: SocketAddr,
    /// The CA that issued its certificate, as PEM.
    pub ca_pem: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for KubeStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl KubeStub {
    /// Starts a stand-in that accepts `agent_token` as the agent's own credentials.
    pub async fn start(agent_token: &str) -> Result<Self, BoxError> {
        Self::start_with(agent_token, None).await
    }

    /// Starts a stand-in that also requires a client certificate issued by `client_ca_pem`.
    pub async fn start_with(
        agent_token: &str,
        client_ca_pem: Option<&str>,
    ) -> Result<Self, BoxError> {
        let ca = TestCa::new()?;
        let leaf = ca.leaf()?;
        let certs = vec![CertificateDer::from_pem_slice(leaf.cert_pem.as_bytes())?];
        let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let builder = match client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(CertificateDer::from_pem_slice(pem.as_bytes())?)?;
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let config = builder.with_single_cert(certs, key)?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        *lock(&state.agent_token) = agent_token.to_owned();
        let task = tokio::spawn(accept(listener, acceptor, Arc::clone(&state)));
        Ok(Self {
            addr,
            ca_pem: ca.pem(),
            state,
            task,
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Makes `token` a valid scraper token of user `name` in `groups`.
    pub fn add_user(&self, token: &str, name: &str, groups: &[&str]) {
        let groups = groups.iter().map(|g| (*g).to_owned()).collect();
        lock(&self.state.users).insert(token.to_owned(), (name.to_owned(), groups));
    }

    /// Lets user `name` `get` `/metrics` (a ClusterRoleBinding, in a real cluster).
    pub fn allow(&self, name: &str) {
        lock(&self.state.allowed).push(name.to_owned());
    }

    /// Answers every review after `delay`.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.state.delay) = delay;
    }

    /// Accepts only `token` as the agent's credentials from now on (a rotation).
    pub fn set_agent_token(&self, token: &str) {
        *lock(&self.state.agent_token) = token.to_owned();
    }

    /// TokenReviews received (well-formed or not).
    pub fn token_reviews(&self) -> usize {
        self.state.token_reviews.load(Ordering::SeqCst)
    }

    /// SubjectAccessReviews received (well-formed or not).
    pub fn access_reviews(&self) -> usize {
        self.state.access_reviews.load(Ordering::SeqCst)
    }

    /// The `spec` of each well-formed SubjectAccessReview, in order.
    pub fn access_specs(&self) -> Vec<Value> {
        lock(&self.state.access_specs).clone()
    }

    /// Closes every open connection at once, without a word (as a restarted API server or a
    /// load balancer's idle timeout would).
    pub fn drop_connections(&self) {
        for connection in lock(&self.state.connections).drain(..) {
            connection.abort();
        }
    }

    /// Every check a request failed.
    pub fn violations(&self) -> Vec<String> {
        lock(&self.state.violations).clone()
    }
}

async fn accept(listener: TcpListener, acceptor: TlsAcceptor, state: Arc<State>) {
    // Ends when the stub is dropped (the task is aborted).
    while let Ok((tcp, _)) = listener.accept().await {
        let (acceptor, state2) = (acceptor.clone(), Arc::clone(&state));
        let connection = tokio::spawn(async move {
            let state = state2;
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper::service::service_fn(move |req| handle(Arc::clone(&state), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
        lock(&state.connections).push(connection.abort_handle());
    }
}

type Resp = Response<Full<Bytes>>;

async fn handle(
    state: Arc<State>,
    req: Request<hyper::body::Incoming>,
) -> Result<Resp, std::convert::Infallible> {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        TOKEN_REVIEWS => state.token_reviews.fetch_add(1, Ordering::SeqCst),
        ACCESS_REVIEWS => state.access_reviews.fetch_add(1, Ordering::SeqCst),
        _ => 0,
    };
    let delay = *lock(&state.delay);
    let resp = match review(&state, req, &path).await {
        Ok(resp) => resp,
        Err((code, message)) => {
            lock(&state.violations).push(format!("{path}: {message}"));
            answer(
                code,
                &json!({"kind": "Status", "status": "Failure", "message": message}),
            )
        }
    };
    tokio::time::sleep(delay).await;
    Ok(resp)
}

async fn review(
    state: &State,
    req: Request<hyper::body::Incoming>,
    path: &str,
) -> Result<Resp, (StatusCode, String)> {
    let fail = |code, message: &str| Err((code, message.to_owned()));
    if req.method() != hyper::Method::POST {
        return fail(StatusCode::METHOD_NOT_ALLOWED, "not a POST");
    }
    let want = format!("Bearer {}", lock(&state.agent_token));
    let auth = req.headers().get(hyper::header::AUTHORIZATION);
    if auth.and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return fail(StatusCode::UNAUTHORIZED, "not the agent's bearer token");
    }
    let json_type = req.headers().get(hyper::header::CONTENT_TYPE);
    if json_type.and_then(|v| v.to_str().ok()) != Some("application/json") {
        return fail(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not application/json");
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map_err(|_| (StatusCode::BAD_REQUEST, "unreadable body".to_owned()))?
        .to_bytes();
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return fail(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    match path {
        TOKEN_REVIEWS => token_review(state, &body),
        ACCESS_REVIEWS => access_review(state, &body),
        _ => fail(StatusCode::NOT_FOUND, "unknown path"),
    }
}

fn token_review(state: &State, body: &Value) -> Result<Resp, (StatusCode, String)> {
    check_kind(body, "authentication.k8s.io/v1", "TokenReview")?;
    let token = body["spec"]["token"].as_str().unwrap_or_default();
    if token.is_empty() {
        return Err((StatusCode::UNPROCESSABLE_ENTITY, "no spec.token".to_owned()));
    }
    // Every token here is issued for the API server's own audience only.
    let requested = body["spec"]["audiences"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let for_us = requested.is_empty() || requested.iter().any(|a| a == TOKEN_AUDIENCE);
    let status = match lock(&state.users).get(token) {
        Some((name, groups)) if for_us => json!({
            "authenticated": true,
            "user": {"username": name, "uid": format!("uid-{name}"), "groups": groups},
            "audiences": [TOKEN_AUDIENCE]
        }),
        Some(_) => json!({"authenticated": false, "user": {},
            "error": "token audiences are invalid for the target audiences"}),
        None => json!({"authenticated": false, "user": {}, "error": "invalid bearer token"}),
    };
    // The real API server echoes the spec (token included) in its answer.
    let mut answer_body = body.clone();
    answer_body["status"] = status;
    Ok(answer(StatusCode::CREATED, &answer_body))
}

fn access_review(state: &State, body: &Value) -> Result<Resp, (StatusCode, String)> {
    check_kind(body, "authorization.k8s.io/v1", "SubjectAccessReview")?;
    let spec = &body["spec"];
    let user = spec["user"].as_str().unwrap_or_default();
    let attrs = &spec["nonResourceAttributes"];
    if user.is_empty() || !spec["groups"].is_array() {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "no spec.user or spec.groups".to_owned(),
        ));
    }
    if attrs["path"] != "/metrics" || attrs["verb"] != "get" {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "not get /metrics".to_owned(),
        ));
    }
    lock(&state.access_specs).push(spec.clone());
    let allowed = lock(&state.allowed).iter().any(|u| u == user);
    let status = if allowed {
        json!({"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"metrics\""})
    } else {
        json!({"allowed": false})
    };
    let mut answer_body = body.clone();
    answer_body["status"] = status;
    Ok(answer(StatusCode::CREATED, &answer_body))
}

fn check_kind(body: &Value, api_version: &str, kind: &str) -> Result<(), (StatusCode, String)> {
    if body["apiVersion"] != api_version || body["kind"] != kind {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("not a {api_version} {kind}"),
        ));
    }
    Ok(())
}

fn answer(code: StatusCode, body: &Value) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// A loopback address where nothing listens (an API server that is down): the socket is bound
/// but never listens, so connections are refused, and the port stays taken until it drops.
pub fn closed_address() -> Result<(tokio::net::TcpSocket, SocketAddr), BoxError> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let addr = socket.local_addr()?;
    Ok((socket, addr))
}
