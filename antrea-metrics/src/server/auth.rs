//! Pluggable authentication and authorization, and bearer-header parsing.
//!
//! The server asks an [`Authenticator`] who sent a request (from its bearer token, if any), then
//! an [`Authorizer`] whether that user may read the path. Both return boxed futures so the traits
//! stay object-safe and a remote backend (e.g. Kubernetes TokenReview/SubjectAccessReview) fits.

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future, the return type of the auth traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An error from an authentication or authorization backend; the server answers `500`.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// The user name given to requests without a token when anonymous requests are enabled.
pub const ANONYMOUS_USER: &str = "system:anonymous";

/// Who sent a request, as an authenticator established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// The user name, e.g. `system:serviceaccount:monitoring:prometheus`.
    pub name: String,
    /// A unique id, empty when the backend has none.
    pub uid: String,
    /// The user's groups.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The user that requests without a token run as when anonymous requests are enabled.
    #[must_use]
    pub fn anonymous() -> Self {
        Self {
            name: ANONYMOUS_USER.to_owned(),
            uid: String::new(),
            groups: vec!["system:unauthenticated".to_owned()],
        }
    }
}

/// The outcome of authenticating a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// The credentials identify this user.
    Authenticated(UserInfo),
    /// Missing or invalid credentials: the server answers `401`.
    Unauthenticated,
}

/// Decides who sent a request from its bearer token.
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates `token`, the bearer token of the request (`None` when it had none or the
    /// `Authorization` header was malformed). Implementations must never log the token.
    fn authenticate<'a>(
        &'a self,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Authentication, BackendError>>;
}

/// What a request asks to do, for the authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAttributes {
    /// The request path, e.g. `/metrics`.
    pub path: String,
    /// The Kubernetes verb derived from the method (`GET` and `HEAD` → `get`).
    pub verb: &'static str,
}

/// The outcome of authorizing a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The user may proceed.
    Allow,
    /// The user may not; the server answers `403`. The reason is logged, never sent.
    Deny(String),
}

/// Decides whether an authenticated user may perform a request.
pub trait Authorizer: Send + Sync + 'static {
    /// Authorizes `user` for `request`.
    fn authorize<'a>(
        &'a self,
        user: &'a UserInfo,
        request: &'a RequestAttributes,
    ) -> BoxFuture<'a, Result<Decision, BackendError>>;
}

/// The default authorizer: allows every authenticated user except [`ANONYMOUS_USER`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAuthenticated;

impl Authorizer for AllowAuthenticated {
    fn authorize<'a>(
        &'a self,
        user: &'a UserInfo,
        _request: &'a RequestAttributes,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        let decision = if user.name == ANONYMOUS_USER {
            Decision::Deny("anonymous requests are not allowed".to_owned())
        } else {
            Decision::Allow
        };
        Box::pin(std::future::ready(Ok(decision)))
    }
}

/// Extracts the bearer token from an `Authorization` header value, the way the Kubernetes
/// apiserver does: the scheme is matched case-insensitively and must be followed by exactly one
/// space; anything after the first token is ignored; any other form gives `None`.
///
/// ```
/// use antrea_metrics::server::parse_bearer;
/// assert_eq!(parse_bearer(b"bearer abc"), Some("abc"));
/// assert_eq!(parse_bearer(b"Bearer abc extra"), Some("abc"));
/// assert_eq!(parse_bearer(b"Bearer  abc"), None);
/// assert_eq!(parse_bearer(b"Basic YWxhZGRpbjpvcGVuc2VzYW1l"), None);
/// ```
#[must_use]
pub fn parse_bearer(header: &[u8]) -> Option<&str> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.split(' ').next()?;
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_forms() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"Bearer tok", Some("tok")),
            (b"bearer tok", Some("tok")),
            (b"BEARER tok", Some("tok")),
            (b"BeArEr tok", Some("tok")),
            (b"Bearer tok extra", Some("tok")),
            (b"  Bearer tok  ", Some("tok")),
            (b"Bearer", None),
            (b"Bearer ", None),
            (b"Bearer: tok", None),
            (b"Bearer  tok", None),
            (b"Bearer\ttok", None),
            (b"bear tok", None),
            (b"Bearertok", None),
            (b"Basic dXNlcjpwYXNz", None),
            (b"Token tok", None),
            (b"", None),
            (b" ", None),
            (b"Bearer \xff\xfe", None),
        ];
        for (header, want) in cases {
            assert_eq!(
                parse_bearer(header),
                *want,
                "{:?}",
                String::from_utf8_lossy(header)
            );
        }
    }

    #[tokio::test]
    async fn default_authorizer_denies_anonymous_only() {
        let attrs = RequestAttributes {
            path: "/metrics".into(),
            verb: "get",
        };
        let anon = AllowAuthenticated
            .authorize(&UserInfo::anonymous(), &attrs)
            .await;
        assert!(matches!(anon, Ok(Decision::Deny(_))));
        let user = UserInfo {
            name: "prom".into(),
            uid: String::new(),
            groups: vec![],
        };
        let ok = AllowAuthenticated.authorize(&user, &attrs).await;
        assert!(matches!(ok, Ok(Decision::Allow)));
    }
}
