//! Authentication by `authentication.k8s.io/v1` TokenReview.

use super::cache::{KeyHasher, ReviewCache};
use super::client::ApiClient;
use super::error::{ConfigError, KubeError};
use super::metrics::{KubeMetrics, Outcome, Review};
use crate::server::{Authentication, Authenticator, BackendError, BoxFuture, UserInfo};
use crate::LabelValue;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

const REVIEW: Review = Review::TokenReview;
const PATH: &str = "/apis/authentication.k8s.io/v1/tokenreviews";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenReview<'a> {
    api_version: &'static str,
    kind: &'static str,
    spec: Spec<'a>,
}

#[derive(Serialize)]
struct Spec<'a> {
    token: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    audiences: &'a [String],
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    status: Status,
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(default)]
    authenticated: bool,
    #[serde(default)]
    user: User,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    error: String,
}

#[derive(Deserialize, Default)]
struct User {
    #[serde(default)]
    username: String,
    #[serde(default)]
    uid: String,
    #[serde(default)]
    groups: Vec<String>,
}

/// Asks the API server who a bearer token belongs to; answers are cached by keyed digest.
pub(crate) struct TokenReviewer {
    client: Arc<ApiClient>,
    audiences: Arc<[String]>,
    keys: KeyHasher,
    cache: Arc<ReviewCache<Authentication>>,
    metrics: KubeMetrics,
}

impl TokenReviewer {
    pub(crate) fn new(
        client: Arc<ApiClient>,
        audiences: Vec<String>,
        cache: (std::time::Duration, usize),
        metrics: KubeMetrics,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            client,
            audiences: audiences.into(),
            keys: KeyHasher::random()?,
            cache: ReviewCache::new(cache.0, cache.1, metrics.cache_hits(REVIEW)),
            metrics,
        })
    }

    async fn review(&self, token: &str) -> Result<Authentication, BackendError> {
        let mut fields: Vec<&[u8]> = vec![REVIEW.as_str().as_bytes(), token.as_bytes()];
        fields.extend(self.audiences.iter().map(|a| a.as_bytes()));
        let key = self.keys.key(&fields);
        let fetch = || {
            let (client, audiences, metrics) = (
                Arc::clone(&self.client),
                Arc::clone(&self.audiences),
                self.metrics.clone(),
            );
            let token = token.to_owned();
            async move { ask(&client, &token, &audiences, &metrics).await }
        };
        self.cache
            .get_or_fetch(key, fetch)
            .await
            .map_err(|err| Box::new(err) as BackendError)
    }
}

impl Authenticator for TokenReviewer {
    fn authenticate<'a>(
        &'a self,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Authentication, BackendError>> {
        Box::pin(async move {
            match token {
                // No token, no review: the server answers 401 (or, with anonymous requests
                // enabled, never asks).
                Some(token) if !token.is_empty() => self.review(token).await,
                _ => Ok(Authentication::Unauthenticated),
            }
        })
    }
}

async fn ask(
    client: &ApiClient,
    token: &str,
    audiences: &[String],
    metrics: &KubeMetrics,
) -> Result<Authentication, KubeError> {
    let started = Instant::now();
    let body = TokenReview {
        api_version: "authentication.k8s.io/v1",
        kind: REVIEW.as_str(),
        spec: Spec { token, audiences },
    };
    let answer = client
        .post::<_, Answer>(REVIEW.as_str(), PATH, &body, Some(token))
        .await;
    let result = answer.map(|answer| decide(answer.status, audiences, token));
    let outcome = match &result {
        Ok(Authentication::Authenticated(_)) => Outcome::Allowed,
        Ok(Authentication::Unauthenticated) => Outcome::Denied,
        Err(_) => Outcome::Error,
    };
    metrics.review(REVIEW, outcome, started.elapsed());
    result
}

fn decide(status: Status, audiences: &[String], token: &str) -> Authentication {
    // An answer for other audiences does not vouch for this server (as the apiserver's
    // webhook authenticator checks); an empty list means the API server's own audiences.
    let audience_ok = audiences.is_empty()
        || status.audiences.is_empty()
        || status.audiences.iter().any(|a| audiences.contains(a));
    if status.authenticated && audience_ok && !status.user.username.is_empty() {
        return Authentication::Authenticated(UserInfo {
            name: status.user.username,
            uid: status.user.uid,
            groups: status.user.groups,
        });
    }
    // The API server's error text is not expected to quote the token; scrub it regardless.
    let error = if token.is_empty() {
        status.error
    } else {
        status.error.replace(token, "[redacted]")
    };
    tracing::debug!(error = %error, audience_ok, "TokenReview did not authenticate the token");
    Authentication::Unauthenticated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: &str) -> Status {
        serde_json::from_str::<Answer>(json)
            .expect("valid JSON")
            .status
    }

    #[test]
    fn answers() {
        let ok = status(
            r#"{"status":{"authenticated":true,"user":{"username":"u","uid":"1","groups":["g"]}}}"#,
        );
        let user = UserInfo {
            name: "u".into(),
            uid: "1".into(),
            groups: vec!["g".into()],
        };
        assert_eq!(decide(ok, &[], "t"), Authentication::Authenticated(user));
        let no = status(r#"{"status":{"authenticated":false,"error":"invalid bearer token"}}"#);
        assert_eq!(decide(no, &[], "t"), Authentication::Unauthenticated);
        assert_eq!(
            decide(status("{}"), &[], "t"),
            Authentication::Unauthenticated
        );
        let other = status(
            r#"{"status":{"authenticated":true,"user":{"username":"u"},"audiences":["vault"]}}"#,
        );
        let ours = ["antrea".to_owned()];
        assert_eq!(decide(other, &ours, "t"), Authentication::Unauthenticated);
    }

    #[test]
    fn request_shape() {
        let body = TokenReview {
            api_version: "authentication.k8s.io/v1",
            kind: REVIEW.as_str(),
            spec: Spec {
                token: "t",
                audiences: &[],
            },
        };
        let json = serde_json::to_value(&body).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t"}})
        );
    }
}
