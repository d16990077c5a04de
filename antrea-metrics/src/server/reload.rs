//! The one reload mechanism for the files the server serves with (the certificate and key,
//! the static token file): the value parsed from the files is kept in memory, and when it is
//! used and a check is due (at most once per interval), the files are read again without
//! blocking the async threads (`tokio::fs`, which reads on the blocking pool). Changed bytes
//! are parsed; a good value replaces the current one, a bad one is logged and the current one
//! kept, so a broken file never changes what is served. Concurrent users go on with the
//! current value while one of them checks.

use super::error::BuildResult;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How the logs name what is reloaded: `cannot read the {files}; keeping the previous {value}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Label {
    /// The files, e.g. `token file`.
    pub(crate) files: &'static str,
    /// What they hold, e.g. `tokens`.
    pub(crate) value: &'static str,
}

/// Parses the files' contents, in the order the files were given.
type Parse<T> = Box<dyn Fn(&[Vec<u8>]) -> BuildResult<T> + Send + Sync>;

/// A value parsed from files, reloaded when they change.
pub(crate) struct Reloading<T> {
    label: Label,
    files: Box<[PathBuf]>,
    interval: Duration,
    parse: Parse<T>,
    current: RwLock<Arc<T>>,
    /// When the files were last checked, and their bytes last seen (good or bad: a bad set
    /// is reported once, not at every check).
    checked: tokio::sync::Mutex<(Instant, Vec<Vec<u8>>)>,
}

impl<T> Reloading<T> {
    /// `value`, parsed from `bytes` (the contents of `files` now), re-read every `interval`
    /// with `parse`.
    pub(crate) fn new(
        label: Label,
        files: Vec<PathBuf>,
        bytes: Vec<Vec<u8>>,
        value: T,
        interval: Duration,
        parse: impl Fn(&[Vec<u8>]) -> BuildResult<T> + Send + Sync + 'static,
    ) -> Self {
        Self {
            label,
            files: files.into(),
            interval,
            parse: Box::new(parse),
            current: RwLock::new(Arc::new(value)),
            checked: tokio::sync::Mutex::new((Instant::now(), bytes)),
        }
    }

    /// Checks the files at most this often.
    pub(crate) fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// The first file, for messages.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.files[0]
    }

    /// The current value, without any I/O.
    pub(crate) fn current(&self) -> Arc<T> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Re-reads the files if a check is due and no other caller is checking.
    pub(crate) async fn refresh(&self) {
        let Ok(mut checked) = self.checked.try_lock() else {
            return;
        };
        if checked.0.elapsed() < self.interval {
            return;
        }
        checked.0 = Instant::now();
        let Label { files, value } = self.label;
        let mut bytes = Vec::with_capacity(self.files.len());
        for path in self.files.iter() {
            match tokio::fs::read(path).await {
                Ok(read) => bytes.push(read),
                Err(err) => {
                    tracing::error!(path = %path.display(), error = %err,
                        "cannot read the {files}; keeping the previous {value}");
                    return;
                }
            }
        }
        if bytes == checked.1 {
            return;
        }
        match (self.parse)(&bytes) {
            Ok(parsed) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(parsed);
                tracing::info!(path = %self.path().display(), "reloaded the {value}");
            }
            Err(err) => {
                tracing::error!(error = %err, "the {files} changed but cannot be used; keeping the previous {value}")
            }
        }
        checked.1 = bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::BuildError;

    /// A fresh directory of this process for `test`.
    fn dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("reload-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a writable temp dir");
        dir
    }

    fn numbers(dir: &std::path::Path) -> Reloading<u64> {
        let path = dir.join("n");
        std::fs::write(&path, "1").expect("a writable temp dir");
        let label = Label {
            files: "number file",
            value: "number",
        };
        let parse = |files: &[Vec<u8>]| {
            let text = String::from_utf8_lossy(&files[0]).into_owned();
            text.trim()
                .parse()
                .map_err(|_| BuildError::NoTokens(text.into()))
        };
        Reloading::new(
            label,
            vec![path],
            vec![b"1".to_vec()],
            1,
            Duration::ZERO,
            parse,
        )
    }

    #[tokio::test]
    async fn a_good_change_replaces_the_value_and_a_bad_one_keeps_it() {
        let dir = dir("change");
        let reloading = numbers(&dir);
        let path = dir.join("n");
        assert_eq!(*reloading.current(), 1);
        std::fs::write(&path, "2").expect("writable");
        reloading.refresh().await;
        assert_eq!(*reloading.current(), 2);
        std::fs::write(&path, "garbage").expect("writable");
        reloading.refresh().await;
        assert_eq!(*reloading.current(), 2);
        std::fs::remove_file(&path).expect("removable");
        reloading.refresh().await;
        assert_eq!(*reloading.current(), 2);
        std::fs::write(&path, "3").expect("writable");
        reloading.refresh().await;
        assert_eq!(*reloading.current(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn no_check_before_the_interval() {
        let dir = dir("interval");
        let mut reloading = numbers(&dir);
        reloading.set_interval(Duration::from_secs(3600));
        std::fs::write(dir.join("n"), "2").expect("writable");
        reloading.refresh().await;
        assert_eq!(*reloading.current(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
