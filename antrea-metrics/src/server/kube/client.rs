//! A small HTTPS/1.1 JSON client for the API server's review endpoints: `hyper-util`'s pooled
//! client over a rustls connector, on the hyper and rustls the server already uses (see the
//! module docs for why not `kube`).

use super::config::{AgentToken, ApiServerConfig, Secret, ServerUrl};
use super::error::{ConfigError, KubeError};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Idle connections kept for reuse; reviews are few (answers are cached), so a handful will do.
const MAX_IDLE: usize = 4;

/// How long an idle connection is kept: under the API server's own idle timeout (90 s in
/// Go's `net/http`), so the pool rarely hands out a connection the server is closing.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A review answer is a few hundred bytes; anything near this is not a review.
const MAX_BODY: usize = 1 << 20;

/// Posts reviews to one API server, with the agent's credentials and a deadline per review,
/// on `hyper-util`'s pooled client.
pub(crate) struct ApiClient {
    server: ServerUrl,
    token: AgentToken,
    timeout: Duration,
    client: Client<TlsConnect, Full<Bytes>>,
}

impl ApiClient {
    pub(crate) fn new(config: ApiServerConfig, timeout: Duration) -> Result<Self, ConfigError> {
        let mut roots = RootCertStore::empty();
        for cert in config.roots {
            roots.add(cert).map_err(ConfigError::Tls)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(ConfigError::Tls)?
            .with_root_certificates(roots);
        let mut tls = match config.identity {
            Some(id) => builder
                .with_client_auth_cert(id.certs, id.key)
                .map_err(ConfigError::Tls)?,
            None => builder.with_no_client_auth(),
        };
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let server_name = ServerName::try_from(config.server.host.clone())
            .map_err(|_| ConfigError::ServerName(config.server.host.clone()))?;
        let connect = TlsConnect {
            authority: Arc::from(config.server.authority.as_str()),
            server_name,
            tls: TlsConnector::from(Arc::new(tls)),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(MAX_IDLE)
            .pool_idle_timeout(IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .build(connect);
        Ok(Self {
            server: config.server,
            token: config.token,
            timeout,
            client,
        })
    }

    /// POSTs `body` to `path` and decodes the answer, all within the review timeout.
    /// `secret` (the token under review) is scrubbed from any error message the server sends.
    pub(crate) async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        review: &'static str,
        path: &str,
        body: &Req,
        secret: Option<&str>,
    ) -> Result<Resp, KubeError> {
        let json = |source| KubeError::Json { review, source };
        let body = serde_json::to_vec(body).map_err(json)?;
        let exchange = self.exchange(review, path, body);
        let (status, answer) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| KubeError::Timeout {
                review,
                timeout: self.timeout,
            })??;
        if !status.is_success() {
            return Err(KubeError::Status {
                review,
                status: status.as_u16(),
                message: status_message(&answer, secret),
            });
        }
        serde_json::from_slice(&answer).map_err(json)
    }

    async fn exchange(
        &self,
        review: &'static str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Bytes), KubeError> {
        let request_error = |source: Box<dyn std::error::Error + Send + Sync>| KubeError::Request {
            review,
            source,
        };
        let token = self.agent_token().await?;
        let token = token.as_ref().map(bearer).transpose()?;
        // An absolute URI: the pool is keyed by its scheme and authority (one API server).
        let uri = format!(
            "https://{}{}{path}",
            self.server.authority, self.server.prefix
        );
        let body = Bytes::from(body);
        let request = || {
            let mut request = Request::post(uri.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json")
                .header(header::USER_AGENT, "antrea-metrics")
                .body(Full::new(body.clone()))
                .map_err(|err| request_error(err.into()))?;
            if let Some(token) = &token {
                (request.headers_mut()).insert(header::AUTHORIZATION, token.clone());
            }
            Ok::<_, KubeError>(request)
        };
        // The pool resends by itself only a request that never started. A pooled connection
        // the server closed while the request went out (a restart, an idle timeout) fails it
        // after it started; reviews have no side effects, so it is sent once more, on a new
        // connection. A connection that cannot be made is not retried.
        let mut response = self.client.request(request()?).await;
        if matches!(&response, Err(err) if !err.is_connect()) {
            response = self.client.request(request()?).await;
        }
        let response = response.map_err(|err| {
            if err.is_connect() {
                KubeError::Connect {
                    server: self.server.url.clone(),
                    source: err.into(),
                }
            } else {
                request_error(err.into())
            }
        })?;
        let status = response.status();
        let answer = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(request_error)?
            .to_bytes();
        Ok((status, answer))
    }

    /// The agent's token, read from its file each time so a rotated token is used at once.
    async fn agent_token(&self) -> Result<Option<Secret>, KubeError> {
        match &self.token {
            AgentToken::None => Ok(None),
            AgentToken::Fixed(token) => Ok(Some(token.clone())),
            AgentToken::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|source| {
                    KubeError::TokenFile {
                        path: path.clone(),
                        source,
                    }
                })?;
                Ok(Some(Secret::new(text.trim().to_owned())))
            }
        }
    }
}

/// Opens the pool's connections: TCP to the API server, then TLS verifying it (the URI is
/// ignored: the client talks to one server, whose TLS name may differ from the URL's host).
#[derive(Clone)]
struct TlsConnect {
    authority: Arc<str>,
    server_name: ServerName<'static>,
    tls: TlsConnector,
}

impl tower_service::Service<Uri> for TlsConnect {
    type Response = TokioIo<TlsConn>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let tcp = TcpStream::connect(&*this.authority).await?;
            let _ = tcp.set_nodelay(true);
            let tls = this.tls.connect(this.server_name, tcp).await?;
            Ok(TokioIo::new(TlsConn(tls)))
        })
    }
}

/// A TLS connection to the API server, as the pool needs it: hyper-util's `Connection` says
/// how it was made (plain HTTP/1.1, the only protocol offered).
struct TlsConn(TlsStream<TcpStream>);

impl Connection for TlsConn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn bearer(token: &Secret) -> Result<HeaderValue, KubeError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| KubeError::TokenHeader)?;
    value.set_sensitive(true);
    Ok(value)
}

/// The `message` of a Kubernetes `Status` answer, shortened, without `secret`.
fn status_message(answer: &[u8], secret: Option<&str>) -> String {
    #[derive(serde::Deserialize)]
    struct Status {
        #[serde(default)]
        message: String,
    }
    let message = serde_json::from_slice::<Status>(answer)
        .map(|s| s.message)
        .unwrap_or_default();
    // Scrub before shortening, so no prefix of the secret survives a cut.
    let message = match secret.filter(|s| !s.is_empty()) {
        Some(secret) => message.replace(secret, "[redacted]"),
        None => message,
    };
    let message: String = message.chars().take(300).collect();
    if message.is_empty() {
        "no Status message".to_owned()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_are_scrubbed_and_short() {
        let answer = br#"{"kind":"Status","message":"token tok-123 is bad"}"#;
        assert_eq!(
            status_message(answer, Some("tok-123")),
            "token [redacted] is bad"
        );
        assert_eq!(status_message(b"not json", None), "no Status message");
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(1000));
        assert_eq!(status_message(long.as_bytes(), None).len(), 300);
    }
}
