//! Routing, authentication of `/metrics`, and the (optionally gzipped) exposition.

use super::auth::{
    parse_bearer, Authentication, Authenticator, Authorizer, Decision, RequestAttributes, UserInfo,
};
use super::metrics::{AuthResult, ServerMetrics};
use crate::format::Format;
use crate::{exposition, Exposition};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Everything a request handler needs, shared by all connections.
pub(crate) struct App {
    pub(crate) sources: Vec<Arc<dyn Exposition>>,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    pub(crate) authorizer: Arc<dyn Authorizer>,
    pub(crate) anonymous: bool,
    pub(crate) gzip_level: u32,
    /// Whether OpenMetrics is offered to scrapers asking for it.
    pub(crate) openmetrics: bool,
    pub(crate) scrapes: Arc<Semaphore>,
    pub(crate) scrape_timeout: Duration,
    pub(crate) metrics: ServerMetrics,
}

type Resp = Response<Full<Bytes>>;

/// Answers one request; never fails (errors become status codes).
pub(crate) async fn handle<B>(
    app: Arc<App>,
    req: Request<B>,
) -> Result<Resp, std::convert::Infallible> {
    let path = req.uri().path().to_owned();
    let resp = route(&app, &req, &path).await;
    app.metrics.request(resp.status().as_u16(), &path);
    Ok(resp)
}

async fn route<B>(app: &App, req: &Request<B>, path: &str) -> Resp {
    let is_metrics = path == "/metrics";
    if !is_metrics && !matches!(path, "/healthz" | "/livez" | "/readyz") {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    if !is_metrics {
        return plain(StatusCode::OK, "ok");
    }
    if let Err(resp) = authorize(app, req, path).await {
        return resp;
    }
    let accept = req.headers().get_all(header::ACCEPT);
    let accept = accept.iter().filter_map(|v| v.to_str().ok());
    let format = exposition::choose(&app.sources, accept, app.openmetrics);
    scrape(app, format, accepts_gzip(req.headers())).await
}

/// Authenticates then authorizes; `Err` holds the response to send instead of the metrics.
async fn authorize<B>(app: &App, req: &Request<B>, path: &str) -> Result<(), Resp> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| parse_bearer(value.as_bytes()));
    let user = if token.is_none() && app.anonymous {
        UserInfo::anonymous()
    } else {
        match app.authenticator.authenticate(token).await {
            Ok(Authentication::Authenticated(user)) => {
                app.metrics.auth(AuthResult::Success);
                user
            }
            Ok(Authentication::Unauthenticated) => {
                app.metrics.auth(AuthResult::Failure);
                tracing::debug!(
                    has_token = token.is_some(),
                    "unauthenticated /metrics request"
                );
                return Err(unauthorized());
            }
            Err(err) => {
                app.metrics.auth(AuthResult::Error);
                tracing::error!(error = %err, "authentication backend failed");
                return Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"));
            }
        }
    };
    let attrs = RequestAttributes {
        path: path.to_owned(),
        verb: "get",
    };
    match app.authorizer.authorize(&user, &attrs).await {
        Ok(Decision::Allow) => Ok(()),
        Ok(Decision::Deny(reason)) => {
            tracing::info!(user = %user.name, %reason, "forbidden /metrics request");
            Err(forbidden(&user, &attrs))
        }
        Err(err) => {
            tracing::error!(user = %user.name, error = %err, "authorization backend failed");
            Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"))
        }
    }
}

/// Gathers, encodes and compresses on the blocking pool: a large registry takes milliseconds
/// of CPU that must not stall the connections sharing a worker thread. `spawn_blocking` (not
/// `block_in_place`) also works on a current-thread runtime. The permit travels with the
/// blocking task, so a timed-out scrape still counts against the limit until it really ends.
async fn scrape(app: &App, format: Format, gzip: bool) -> Resp {
    let Ok(permit) = Arc::clone(&app.scrapes).try_acquire_owned() else {
        return unavailable("Limit of concurrent requests reached, try again later.\n");
    };
    let sources = app.sources.clone();
    let level = app.gzip_level;
    let histogram = app.metrics.scrape_duration.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let started = Instant::now();
        let body = encode(&sources, format, gzip, level);
        histogram.observe(started.elapsed().as_secs_f64());
        body
    });
    match tokio::time::timeout(app.scrape_timeout, task).await {
        Err(_) => {
            tracing::warn!(timeout = ?app.scrape_timeout, "scrape timed out");
            unavailable("scrape timed out\n")
        }
        Ok(Err(err)) => {
            tracing::error!(error = %err, "scrape task failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
        Ok(Ok(Err(err))) => {
            tracing::error!(error = %err, "encoding the metrics failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "encoding the metrics failed\n",
            )
        }
        Ok(Ok(Ok(body))) => {
            let mut resp = Response::new(Full::new(Bytes::from(body)));
            let headers = resp.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            // The body depends on both: caches must not hand one client's format to another.
            headers.insert(
                header::VARY,
                HeaderValue::from_static("Accept-Encoding, Accept"),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            if gzip {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            resp
        }
    }
}

/// `503` with a `Retry-After` of one second: the scrapes in the way take milliseconds, so
/// clients that honour it (curl `--retry`, load balancers) come back soon but not at once.
fn unavailable(text: &'static str) -> Resp {
    let mut resp = plain(StatusCode::SERVICE_UNAVAILABLE, text);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

fn encode(
    sources: &[Arc<dyn Exposition>],
    format: Format,
    gzip: bool,
    level: u32,
) -> crate::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(16 * 1024);
    exposition::encode_all(sources, format, &mut text)?;
    if !gzip {
        return Ok(text);
    }
    let compress = || {
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(text.len() / 4),
            flate2::Compression::new(level),
        );
        gz.write_all(&text)?;
        gz.finish()
    };
    compress().map_err(|source| crate::Error::Compress { source })
}

/// Whether `Accept-Encoding` allows gzip: listed (or `*`) with a non-zero quality; an explicit
/// `gzip;q=0` wins over `*`.
pub(crate) fn accepts_gzip(headers: &http::HeaderMap) -> bool {
    let mut gzip = None;
    let mut star = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .next()
                .unwrap_or(1.0);
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(q > 0.0);
            } else if coding == "*" {
                star = Some(q > 0.0);
            }
        }
    }
    gzip.or(star).unwrap_or(false)
}

fn unauthorized() -> Resp {
    let mut resp = plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"antrea-metrics\""),
    );
    resp
}

/// `403` naming the user and what it may not do, as the Kubernetes apiserver words it. The
/// name comes from the authenticator, not the request, and is quoted with escapes; the path is
/// always `/metrics` here (the only authorized route).
fn forbidden(user: &UserInfo, attrs: &RequestAttributes) -> Resp {
    let body = format!(
        "User {:?} cannot {} path {:?}\n",
        user.name, attrs.verb, attrs.path
    );
    let mut resp = plain(StatusCode::FORBIDDEN, "");
    *resp.body_mut() = Full::new(Bytes::from(body));
    resp
}

/// A short plain-text response; bodies are fixed strings, never request input.
fn plain(status: StatusCode, body: &'static str) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ae(values: &[&str]) -> bool {
        let mut headers = http::HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        accepts_gzip(&headers)
    }

    #[test]
    fn accept_encoding() {
        assert!(ae(&["gzip"]));
        assert!(ae(&["GZIP"]));
        assert!(ae(&["deflate, gzip;q=0.5"]));
        assert!(ae(&["x-gzip"]));
        assert!(ae(&["*"]));
        assert!(ae(&["identity", "gzip"]));
        assert!(!ae(&[]));
        assert!(!ae(&["identity"]));
        assert!(!ae(&["gzip;q=0"]));
        assert!(!ae(&["gzip; q=0.000"]));
        assert!(!ae(&["*, gzip;q=0"]));
        assert!(!ae(&["*;q=0"]));
        assert!(!ae(&["gzip;q=bogus"]));
        assert!(!ae(&["br, deflate"]));
    }
}
