//! Open files: every Node holds a listener, and every scraper a connection to it, so a fleet
//! needs more descriptors than the usual soft limit of 1024.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors the runtime, logs and files need besides the Nodes'.
const BASE: u64 = 64;

/// Descriptors `nodes` Nodes need: a listener each, and a connection from one scraper each.
pub fn needed(nodes: u32) -> u64 {
    2 * u64::from(nodes) + BASE
}

/// Raises the soft limit on open files to the hard limit when it is below `needed`; fails,
/// saying what limit to set, when even the hard limit is too low.
pub fn ensure_open_files(needed: u64) -> Result<(), String> {
    let limit = getrlimit(Resource::Nofile);
    // `None` is unlimited.
    let fits = |l: Option<u64>| l.is_none_or(|l| l >= needed);
    if fits(limit.current) {
        return Ok(());
    }
    if !fits(limit.maximum) {
        return Err(format!(
            "this many Nodes need about {needed} open files, but the hard limit is {}: \
             raise it (e.g. `ulimit -n {needed}` as root, or LimitNOFILE={needed} for a \
             service) or run fewer Nodes",
            limit.maximum.unwrap_or_default()
        ));
    }
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    setrlimit(Resource::Nofile, raised).map_err(|e| {
        format!("cannot raise the open-file limit to {needed} (the hard limit): {e}")
    })?;
    tracing::info!(
        from = limit.current.unwrap_or_default(),
        to = ?limit.maximum,
        "raised the soft open-file limit"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_already_met_is_left_alone_and_an_impossible_one_is_explained() {
        let before = getrlimit(Resource::Nofile);
        ensure_open_files(needed(1)).unwrap();
        assert_eq!(getrlimit(Resource::Nofile), before);
        if let Some(hard) = before.maximum {
            let err = ensure_open_files(hard + 1).unwrap_err();
            assert!(err.contains(&format!("need about {}", hard + 1)), "{err}");
            assert!(err.contains("ulimit -n"), "{err}");
        }
    }
}
