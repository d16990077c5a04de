//! A small HTTPS/1.1 JSON client for the API server's review endpoints, on the hyper and
//! rustls the server already uses (see the module docs for why not `kube`).

use super::config::{AgentToken, ApiServerConfig, Secret, ServerUrl};
use crate::{Error, Result};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Idle connections kept for reuse; reviews are few (answers are cached), so a handful will do.
const MAX_IDLE: usize = 4;

/// A review answer is a few hundred bytes; anything near this is not a review.
const MAX_BODY: usize = 1 << 20;

/// Posts reviews to one API server, with the agent's credentials and a deadline per review.
pub(crate) struct ApiClient {
    server: ServerUrl,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    token: AgentToken,
    timeout: Duration,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

impl ApiClient {
    pub(crate) fn new(config: ApiServerConfig, timeout: Duration) -> Result<Self> {
        let tls_error = |source| Error::Tls {
            field: "kube-auth client",
            source,
        };
        let mut roots = RootCertStore::empty();
        for cert in config.roots {
            roots.add(cert).map_err(tls_error)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_root_certificates(roots);
        let mut tls = match config.identity {
            Some(id) => builder
                .with_client_auth_cert(id.certs, id.key)
                .map_err(tls_error)?,
            None => builder.with_no_client_auth(),
        };
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let server_name =
            ServerName::try_from(config.server.host.clone()).map_err(|_| Error::Config {
                field: "kube-auth server",
                reason: format!("{:?} is not a valid host name", config.server.host),
            })?;
        Ok(Self {
            server: config.server,
            server_name,
            tls: TlsConnector::from(Arc::new(tls)),
            token: config.token,
            timeout,
            idle: Mutex::new(Vec::new()),
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
    ) -> Result<Resp> {
        let json = |source| Error::KubeJson { review, source };
        let body = serde_json::to_vec(body).map_err(json)?;
        let exchange = self.exchange(review, path, body);
        let (status, answer) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| Error::KubeTimeout {
                review,
                timeout: self.timeout,
            })??;
        if !status.is_success() {
            return Err(Error::KubeStatus {
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
    ) -> Result<(StatusCode, Bytes)> {
        let request_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::KubeRequest {
            review,
            source,
        };
        let token = self.agent_token().await?;
        let body = Bytes::from(body);
        let request = || -> Result<Request<Full<Bytes>>> {
            let mut request = Request::post(format!("{}{path}", self.server.prefix))
                .header(header::HOST, self.server.authority.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json")
                .header(header::USER_AGENT, "antrea-metrics")
                .body(Full::new(body.clone()))
                .map_err(|err| request_error(err.into()))?;
            if let Some(token) = &token {
                request
                    .headers_mut()
                    .insert(header::AUTHORIZATION, bearer(token)?);
            }
            Ok(request)
        };
        let (mut sender, reused) = match self.pooled() {
            Some(sender) => (sender, true),
            None => (self.connect().await?, false),
        };
        let mut response = sender.send_request(request()?).await;
        if reused && response.is_err() {
            // An idle connection the server closed (a restart, an idle timeout). Reviews have
            // no side effects, so sending one again on a new connection is safe.
            sender = self.connect().await?;
            response = sender.send_request(request()?).await;
        }
        let response = response.map_err(|err| request_error(err.into()))?;
        let status = response.status();
        let answer = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(request_error)?
            .to_bytes();
        // The whole answer was read, so the connection is ready for the next request.
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(sender);
            }
        }
        Ok((status, answer))
    }

    /// The agent's token, read from its file each time so a rotated token is used at once.
    async fn agent_token(&self) -> Result<Option<Secret>> {
        match &self.token {
            AgentToken::None => Ok(None),
            AgentToken::Fixed(token) => Ok(Some(token.clone())),
            AgentToken::File(path) => {
                let text =
                    tokio::fs::read_to_string(path)
                        .await
                        .map_err(|source| Error::ReadFile {
                            field: "service account token",
                            path: path.clone(),
                            source,
                        })?;
                Ok(Some(Secret::new(text.trim().to_owned())))
            }
        }
    }

    /// An idle connection that still looks usable.
    fn pooled(&self) -> Option<SendRequest<Full<Bytes>>> {
        // Bounded: each turn removes one idle connection.
        while let Some(sender) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    /// A new connection: TCP, TLS (verifying the API server), HTTP/1.1.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        let connect_error = |source| Error::KubeConnect {
            server: self.server.url.clone(),
            source,
        };
        let tcp = TcpStream::connect(&self.server.authority)
            .await
            .map_err(connect_error)?;
        let _ = tcp.set_nodelay(true);
        let tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(connect_error)?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|source| Error::KubeConnect {
                server: self.server.url.clone(),
                source: std::io::Error::other(source),
            })?;
        // Drives the connection; it ends when the server closes it or the sender is dropped.
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "API server connection ended");
            }
        });
        Ok(sender)
    }
}

fn bearer(token: &Secret) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        Error::Config {
            field: "service account token",
            reason: "holds characters not allowed in an HTTP header (check the token file)"
                .to_owned(),
        }
    })?;
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
