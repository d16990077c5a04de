//! Shared helpers for the suite's behaviour tests, examples and benchmarks.

pub mod attacks;
pub mod client;
pub mod errors;
pub mod flood;
pub mod group;
pub mod hostile;
pub mod keepalive;
pub mod kube_stub;
pub mod logs;
pub mod prom;
pub mod realistic;
pub mod regen;
pub mod serve;
pub mod sims;
pub mod stop;
pub mod tools;

/// Test certificates: the simulators' test CA (`antrea_sim::certs`), shared with the tests.
pub use antrea_sim::certs;

/// A new temporary directory that only its owner may enter (mode 0700), removed when dropped:
/// tests write keys and tokens in it, which no other user may read even for a moment.
pub fn private_tempdir() -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix("antrea-metrics-test-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
}

/// The error type of every helper: tests propagate it with `?`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The README's Rust snippets, compiled and run as doctests of this (unpublished) package:
/// the library's package cannot include a file outside its folder without breaking
/// `cargo package`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
