//! Routing, authentication of `/metrics`, and the (optionally gzipped) exposition.

use super::admission::Slot;
use super::auth::{
    parse_bearer, Authentication, Authenticator, Authorizer, Decision, RequestAttributes, UserInfo,
};
use super::body::TrackedBody;
use super::collection::{Collections, Encoding, Failure};
use super::metrics::{AuthResult, ServerMetrics};
use crate::exposition;
use crate::format::Format;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Everything a request handler needs, shared by all connections.
pub(crate) struct App {
    pub(crate) collections: Collections,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    pub(crate) authorizer: Arc<dyn Authorizer>,
    pub(crate) anonymous: bool,
    /// Whether OpenMetrics is offered to scrapers asking for it.
    pub(crate) openmetrics: bool,
    pub(crate) scrapes: Semaphore,
    pub(crate) scrape_timeout: Duration,
    pub(crate) metrics: ServerMetrics,
}

type Resp = Response<Full<Bytes>>;

/// Answers one request on the connection `slot`; never fails (errors become status codes).
/// The connection is in flight (not evictable) while the response is being made; once it is
/// ready, waiting for the client to take it does not count (admission rule 4).
pub(crate) async fn handle<B>(
    app: Arc<App>,
    slot: Arc<Slot>,
    req: Request<B>,
) -> Result<Response<TrackedBody>, std::convert::Infallible> {
    let path = req.uri().path().to_owned();
    let Some(busy) = slot.begin() else {
        // The connection was chosen for eviction a moment ago and is closing.
        let resp = unavailable("connection closing\n");
        app.metrics.request(resp.status(), &path);
        return Ok(resp.map(|body| TrackedBody::new(body, None)));
    };
    let resp = route(&app, &slot, &req, &path).await;
    app.metrics.request(resp.status(), &path);
    let sending = busy.responded();
    Ok(resp.map(|body| TrackedBody::new(body, Some(sending))))
}

async fn route<B>(app: &App, slot: &Slot, req: &Request<B>, path: &str) -> Resp {
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
    if let Err(resp) = authorize(app, slot, req, path).await {
        return resp;
    }
    let accept = req.headers().get_all(header::ACCEPT);
    let accept = accept.iter().filter_map(|v| v.to_str().ok());
    let format = exposition::choose(app.collections.sources(), accept, app.openmetrics);
    scrape(app, format, req.headers()).await
}

/// Authenticates then authorizes; `Err` holds the response to send instead of the metrics. A
/// presented token that is accepted and authorized proves the connection (admission rule 1);
/// anonymous access proves nothing.
async fn authorize<B>(app: &App, slot: &Slot, req: &Request<B>, path: &str) -> Result<(), Resp> {
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
        Ok(Decision::Allow) => {
            if token.is_some() {
                slot.prove();
            }
            Ok(())
        }
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

/// Answers in `format` from the collection of that format in progress or a new one
/// (`collection.rs`), waiting at most the scrape deadline. The in-flight permit is held only
/// while this scrape waits, so a scrape whose deadline passes gives its slot back at once even
/// if the collection goes on.
async fn scrape(app: &App, format: Format, headers: &http::HeaderMap) -> Resp {
    let Ok(_permit) = app.scrapes.try_acquire() else {
        return unavailable("Limit of concurrent requests reached, try again later.\n");
    };
    let encoding = if accepts_gzip(headers) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    };
    let deadline = scrape_deadline(app.scrape_timeout, headers);
    match tokio::time::timeout(deadline, app.collections.get(format, encoding)).await {
        Err(_) => {
            tracing::warn!(timeout = ?deadline, "scrape timed out");
            unavailable("scrape timed out\n")
        }
        Ok(Err(Failure::Encode)) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding the metrics failed\n",
        ),
        Ok(Err(Failure::Compress | Failure::Aborted)) => {
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
        Ok(Ok(body)) => {
            let mut resp = Response::new(Full::new(body));
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
            if encoding == Encoding::Gzip {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            resp
        }
    }
}

/// How long a scrape may wait: the server's scrape timeout, or less when Prometheus says in
/// `X-Prometheus-Scrape-Timeout-Seconds` that it gives up sooner. A tenth of the scraper's
/// timeout (at most half a second) is kept back so that the `503` reaches it in time.
fn scrape_deadline(limit: Duration, headers: &http::HeaderMap) -> Duration {
    let scraper = headers
        .get("x-prometheus-scrape-timeout-seconds")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
    match scraper {
        Some(scraper) => {
            let margin = (scraper / 10).min(Duration::from_millis(500));
            limit.min(scraper - margin)
        }
        None => limit,
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

    fn deadline(value: &str) -> Duration {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-prometheus-scrape-timeout-seconds",
            HeaderValue::from_str(value).unwrap(),
        );
        scrape_deadline(Duration::from_secs(10), &headers)
    }

    #[test]
    fn the_scrapers_timeout_shortens_the_deadline_never_lengthens_it() {
        assert_eq!(deadline("2"), Duration::from_millis(1800));
        assert_eq!(deadline("0.5"), Duration::from_millis(450));
        assert_eq!(deadline("30"), Duration::from_secs(10));
        assert_eq!(deadline("9.9"), Duration::from_millis(9400));
        for ignored in ["0", "-1", "NaN", "inf", "soon", "1e400"] {
            assert_eq!(deadline(ignored), Duration::from_secs(10), "{ignored}");
        }
        assert_eq!(
            scrape_deadline(Duration::from_secs(10), &http::HeaderMap::new()),
            Duration::from_secs(10)
        );
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
