//! Raising the open-file limit at startup, as Go programs do since Go 1.19: the soft
//! `RLIMIT_NOFILE` (often 1,024) goes up to the hard limit, so descriptors run out only at the
//! limit the administrator set. The server bounds its own descriptors (`max_connections`); the
//! higher soft limit leaves room for the rest of the process.

use rustix::process::{getrlimit, setrlimit, Resource};

/// The soft limit before and after raising it to the hard limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    /// The soft limit found at startup (`None`: unlimited).
    pub before: Option<u64>,
    /// The soft limit now.
    pub after: Option<u64>,
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit.
///
/// # Errors
/// The system refused the new limit (the message says which values).
pub fn raise_open_file_limit() -> Result<Raised, String> {
    let mut limit = getrlimit(Resource::Nofile);
    let before = limit.current;
    if limit.current == limit.maximum {
        return Ok(Raised {
            before,
            after: before,
        });
    }
    limit.current = limit.maximum;
    setrlimit(Resource::Nofile, limit).map_err(|err| {
        format!(
            "cannot raise the open-file limit from {before:?} to {:?}: {err}",
            limit.maximum
        )
    })?;
    Ok(Raised {
        before,
        after: getrlimit(Resource::Nofile).current,
    })
}
