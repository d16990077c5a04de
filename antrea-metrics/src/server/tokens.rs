//! Static bearer tokens, given in code and/or read from a file that is re-read when it changes.

use super::auth::{Authentication, Authenticator, BackendError, BoxFuture, UserInfo};
use super::error::{BuildError, BuildResult};
use super::reload::{Label, Reloading};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The user name a valid static token authenticates as.
pub const STATIC_TOKEN_USER: &str = "antrea-metrics:static-token";

/// How often the token file is checked for changes by default.
pub const DEFAULT_TOKEN_RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// SHA-256 digests of the accepted tokens: comparing equal-length digests leaks neither the
/// tokens nor their lengths through timing, and the tokens themselves are not kept.
type Digests = Vec<[u8; 32]>;

/// A fixed set of bearer tokens, optionally backed by a file that is re-read when it changes.
///
/// The file holds one token per line; blank lines and lines starting with `#` are skipped and
/// whitespace is trimmed; a file that is not UTF-8 text is refused. A file that becomes
/// unreadable, empty or not UTF-8 keeps the last good set in force (an error is logged): a
/// broken file never lets everyone in, nor locks everyone out.
///
/// `Debug` never shows the tokens.
pub struct StaticTokens {
    in_code: Digests,
    /// The file's tokens, reloaded by the server's one reload mechanism.
    file: Option<Reloading<Digests>>,
}

impl StaticTokens {
    /// Accepts exactly these tokens (empty strings and surrounding whitespace are dropped):
    /// `String`s, `&str`s, or anything else that converts into a `String`.
    ///
    /// ```
    /// use antrea_metrics::server::StaticTokens;
    ///
    /// let tokens = StaticTokens::new(["change-me"]);
    /// let more = StaticTokens::new(vec![String::from("a"), String::from("b")]);
    /// # let _ = (tokens, more);
    /// ```
    #[must_use]
    pub fn new(tokens: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let in_code = tokens
            .into_iter()
            .filter_map(|t| digest_of(&t.into()))
            .collect::<Digests>();
        Self {
            in_code,
            file: None,
        }
    }

    /// Reads the tokens in `path` now, and re-reads it every
    /// [`DEFAULT_TOKEN_RELOAD_INTERVAL`] when requests arrive.
    ///
    /// # Errors
    /// [`BuildError::ReadFile`] when the file cannot be read, [`BuildError::TokensNotText`] or
    /// [`BuildError::NoTokens`] when it holds no token.
    pub fn from_file(path: impl AsRef<Path>) -> BuildResult<Self> {
        let path = path.as_ref().to_path_buf();
        let bytes = std::fs::read(&path).map_err(|source| BuildError::ReadFile {
            field: "static tokens",
            path: path.clone(),
            source,
        })?;
        let digests = file_tokens(&path, &bytes)?;
        let parse = {
            let path = path.clone();
            move |files: &[Vec<u8>]| file_tokens(&path, &files[0])
        };
        let label = Label {
            files: "token file",
            value: "tokens",
        };
        let file = Reloading::new(
            label,
            vec![path],
            vec![bytes],
            digests,
            DEFAULT_TOKEN_RELOAD_INTERVAL,
            parse,
        );
        Ok(Self {
            in_code: Vec::new(),
            file: Some(file),
        })
    }

    /// Also accepts these tokens, which do not change when the file does.
    #[must_use]
    pub fn with_tokens(mut self, tokens: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.in_code
            .extend(tokens.into_iter().filter_map(|t| digest_of(&t.into())));
        self
    }

    /// Checks the token file for changes at most this often (default 10 s).
    #[must_use]
    pub fn with_reload_interval(mut self, interval: Duration) -> Self {
        if let Some(file) = &mut self.file {
            file.set_interval(interval);
        }
        self
    }

    /// How many tokens are accepted now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.in_code.len() + self.file.as_ref().map_or(0, |f| f.current().len())
    }

    /// Whether no token is accepted (such a set is refused by the server builder).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `token` is one of the accepted tokens, re-reading the file first when due.
    async fn accepts(&self, token: &str) -> bool {
        let Some(wanted) = digest_of(token) else {
            return false;
        };
        let from_file = match &self.file {
            Some(file) => {
                file.refresh().await;
                file.current()
            }
            None => Arc::default(),
        };
        // Compare against every digest so timing does not say which one matched.
        (self.in_code.iter().chain(from_file.iter()))
            .fold(subtle::Choice::from(0), |acc, d| acc | d.ct_eq(&wanted))
            .into()
    }
}

/// The digests of the token file at `path` holding `bytes`; a file without a token is an
/// error, so that a broken file never locks everyone out.
fn file_tokens(path: &Path, bytes: &[u8]) -> BuildResult<Digests> {
    let digests = parse_tokens(bytes).ok_or_else(|| BuildError::TokensNotText(path.into()))?;
    if digests.is_empty() {
        return Err(BuildError::NoTokens(path.into()));
    }
    Ok(digests)
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokens")
            .field("tokens", &format_args!("<{} redacted>", self.len()))
            .field("file", &self.file.as_ref().map(Reloading::path))
            .finish()
    }
}

impl Authenticator for StaticTokens {
    fn authenticate<'a>(
        &'a self,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Authentication, BackendError>> {
        Box::pin(async move {
            let accepted = match token {
                Some(token) => self.accepts(token).await,
                None => false,
            };
            Ok(if accepted {
                Authentication::Authenticated(UserInfo {
                    name: STATIC_TOKEN_USER.to_owned(),
                    uid: String::new(),
                    groups: vec!["system:authenticated".to_owned()],
                })
            } else {
                Authentication::Unauthenticated
            })
        })
    }
}

fn digest_of(token: &str) -> Option<[u8; 32]> {
    let token = token.trim();
    (!token.is_empty()).then(|| Sha256::digest(token.as_bytes()).into())
}

/// The digests of the tokens in a token file, or `None` when it is not UTF-8 text: decoding it
/// lossily would turn every invalid byte into U+FFFD, so distinct tokens would match each other
/// (and a binary file would replace the good set with garbage).
pub(crate) fn parse_tokens(bytes: &[u8]) -> Option<Digests> {
    let text = std::str::from_utf8(bytes).ok()?;
    let digests = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(digest_of)
        .collect();
    Some(digests)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(t: &StaticTokens, token: &str) -> bool {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(t.accepts(token))
    }

    #[test]
    fn parses_lines_comments_and_whitespace() {
        let digests =
            parse_tokens(b"# comment\n  one \n\n\ttwo\t\r\n#three\n").expect("a UTF-8 file");
        assert_eq!(digests.len(), 2);
        assert!(digests.contains(&Sha256::digest(b"one").into()));
        assert!(digests.contains(&Sha256::digest(b"two").into()));
    }

    #[test]
    fn a_file_that_is_not_utf8_is_refused_whole() {
        // Lossy decoding made `a\xff` and `a\xfe` the same token, `a\u{fffd}`.
        assert_eq!(parse_tokens(b"good\na\xff\n"), None);
        let path = std::env::temp_dir().join(format!("tokens-{}", std::process::id()));
        std::fs::write(&path, b"a\xfe\n").expect("a writable temp dir");
        let err = StaticTokens::from_file(&path).map(|_| ()).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn a_folder_given_as_the_token_file_gets_a_hint_about_folders() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let err = StaticTokens::from_file(dir.path()).map(|_| ()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("give the path of a file, not of a folder"),
            "{msg}"
        );
        assert!(!msg.contains("check that the path exists"), "{msg}");
        let missing = StaticTokens::from_file(dir.path().join("missing")).map(|_| ());
        let msg = missing.unwrap_err().to_string();
        assert!(msg.contains("(check that the path exists)"), "{msg}");
    }

    #[test]
    fn in_code_tokens() {
        let t = StaticTokens::new(["a", " "]);
        assert_eq!(t.len(), 1);
        assert!(accepts(&t, "a"));
        assert!(!accepts(&t, "b"));
        assert!(!accepts(&t, ""));
    }

    #[test]
    fn debug_redacts() {
        let t = StaticTokens::new(["sup3rsecret".to_owned()]);
        let shown = format!("{t:?}");
        assert!(!shown.contains("sup3rsecret"), "{shown}");
    }
}
