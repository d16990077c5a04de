//! Authorization by `authorization.k8s.io/v1` SubjectAccessReview of a non-resource URL.

use super::cache::{KeyHasher, ReviewCache};
use super::client::ApiClient;
use super::error::{ConfigError, KubeError};
use super::metrics::{KubeMetrics, Outcome, Review};
use crate::server::{Authorizer, BackendError, BoxFuture, Decision, RequestAttributes, UserInfo};
use crate::LabelValue;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

const REVIEW: Review = Review::SubjectAccessReview;
const PATH: &str = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubjectAccessReview<'a> {
    api_version: &'static str,
    kind: &'static str,
    spec: Spec<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    user: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    uid: &'a str,
    groups: &'a [String],
    non_resource_attributes: NonResourceAttributes<'a>,
}

#[derive(Serialize)]
struct NonResourceAttributes<'a> {
    path: &'a str,
    verb: &'a str,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    status: Status,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    allowed: bool,
    #[serde(default)]
    denied: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evaluation_error: String,
}

/// Asks the API server whether a user may `get` a path; answers are cached.
pub(crate) struct AccessReviewer {
    client: Arc<ApiClient>,
    keys: KeyHasher,
    cache: Arc<ReviewCache<Decision>>,
    metrics: KubeMetrics,
}

impl AccessReviewer {
    pub(crate) fn new(
        client: Arc<ApiClient>,
        cache: (std::time::Duration, usize),
        metrics: KubeMetrics,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            client,
            keys: KeyHasher::random()?,
            cache: ReviewCache::new(cache.0, cache.1, metrics.cache_hits(REVIEW)),
            metrics,
        })
    }
}

impl Authorizer for AccessReviewer {
    fn authorize<'a>(
        &'a self,
        user: &'a UserInfo,
        request: &'a RequestAttributes,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        Box::pin(async move {
            let mut fields: Vec<&[u8]> = vec![
                REVIEW.as_str().as_bytes(),
                request.path.as_bytes(),
                request.verb.as_bytes(),
                user.name.as_bytes(),
                user.uid.as_bytes(),
            ];
            fields.extend(user.groups.iter().map(|g| g.as_bytes()));
            let key = self.keys.key(&fields);
            let fetch = || {
                let (client, metrics) = (Arc::clone(&self.client), self.metrics.clone());
                let (user, request) = (user.clone(), request.clone());
                async move { ask(&client, &user, &request, &metrics).await }
            };
            self.cache
                .get_or_fetch(key, fetch)
                .await
                .map_err(|err| Box::new(err) as BackendError)
        })
    }
}

async fn ask(
    client: &ApiClient,
    user: &UserInfo,
    request: &RequestAttributes,
    metrics: &KubeMetrics,
) -> Result<Decision, KubeError> {
    let started = Instant::now();
    let body = SubjectAccessReview {
        api_version: "authorization.k8s.io/v1",
        kind: REVIEW.as_str(),
        spec: Spec {
            user: &user.name,
            uid: &user.uid,
            groups: &user.groups,
            non_resource_attributes: NonResourceAttributes {
                path: &request.path,
                verb: request.verb,
            },
        },
    };
    let answer = client
        .post::<_, Answer>(REVIEW.as_str(), PATH, &body, None)
        .await;
    let result = answer.map(|answer| decide(answer.status));
    let outcome = match &result {
        Ok(Decision::Allow) => Outcome::Allowed,
        Ok(Decision::Deny(_)) => Outcome::Denied,
        Err(_) => Outcome::Error,
    };
    metrics.review(REVIEW, outcome, started.elapsed());
    result
}

/// `allowed` wins; anything else is a denial, as for the apiserver's delegating authorizer,
/// where "no opinion" (neither allowed nor denied, perhaps with an evaluation error) is
/// forbidden too. The reason is for the log; the client only learns who and what.
fn decide(status: Status) -> Decision {
    if status.allowed && !status.denied {
        return Decision::Allow;
    }
    let mut reason = if status.denied {
        "denied".to_owned()
    } else {
        "no RBAC rule allows it".to_owned()
    };
    for detail in [status.reason, status.evaluation_error] {
        if !detail.is_empty() {
            reason.push_str(": ");
            reason.push_str(&detail);
        }
    }
    Decision::Deny(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(json: &str) -> Decision {
        decide(
            serde_json::from_str::<Answer>(json)
                .expect("valid JSON")
                .status,
        )
    }

    #[test]
    fn answers() {
        assert_eq!(decision(r#"{"status":{"allowed":true}}"#), Decision::Allow);
        assert!(matches!(
            decision(r#"{"status":{"allowed":false}}"#),
            Decision::Deny(_)
        ));
        assert!(matches!(decision("{}"), Decision::Deny(_)));
        let Decision::Deny(reason) = decision(
            r#"{"status":{"allowed":false,"denied":true,"reason":"r","evaluationError":"e"}}"#,
        ) else {
            panic!("expected a denial");
        };
        assert_eq!(reason, "denied: r: e");
    }

    #[test]
    fn request_shape() {
        let groups = ["system:authenticated".to_owned()];
        let body = SubjectAccessReview {
            api_version: "authorization.k8s.io/v1",
            kind: REVIEW.as_str(),
            spec: Spec {
                user: "u",
                uid: "",
                groups: &groups,
                non_resource_attributes: NonResourceAttributes {
                    path: "/metrics",
                    verb: "get",
                },
            },
        };
        let json = serde_json::to_value(&body).expect("serializable");
        let want = serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": "u",
                "groups": ["system:authenticated"],
                "nonResourceAttributes": {"path": "/metrics", "verb": "get"}
            }
        });
        assert_eq!(json, want);
    }
}
