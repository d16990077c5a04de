//! Open files: every Node holds a listener, and every scraper a connection to it, so a fleet
//! needs more descriptors than the usual soft limit of 1,024. `common::run::main_with` has raised
//! the soft limit to the hard one (`common::fds`) by the time this checks it.

use rustix::process::{getrlimit, Resource};

/// Descriptors the runtime, logs and files need besides the Nodes'.
const BASE: u64 = 64;

/// Descriptors `listeners` listeners (the Nodes', and the controller's) need: the listener,
/// and a connection from one scraper, each.
pub fn needed(listeners: u32) -> u64 {
    2 * u64::from(listeners) + BASE
}

/// Fails, saying what limit to set, when the open-file limit is below `needed`.
pub fn check_open_files(needed: u64) -> Result<(), String> {
    let limit = getrlimit(Resource::Nofile);
    // `None` is unlimited.
    match limit.current {
        Some(current) if current < needed => Err(format!(
            "this many Nodes need about {needed} open files, but the limit is {current}: \
             raise the hard limit (e.g. `ulimit -n {needed}` as root, or LimitNOFILE={needed} \
             for a service) or run fewer Nodes"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_met_passes_and_one_too_high_is_explained() {
        check_open_files(needed(1)).unwrap();
        if let Some(current) = getrlimit(Resource::Nofile).current {
            let err = check_open_files(current + 1).unwrap_err();
            assert!(
                err.contains(&format!("need about {}", current + 1)),
                "{err}"
            );
            assert!(err.contains("ulimit -n"), "{err}");
        }
    }
}
