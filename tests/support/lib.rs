//! Shared helpers for the suite's behaviour tests, examples and benchmarks.

pub mod certs;
pub mod client;
pub mod flood;
pub mod hostile;
pub mod keepalive;
pub mod kube_stub;
pub mod logs;
pub mod prom;
pub mod realistic;
pub mod serve;
pub mod sims;
pub mod tools;

/// The error type of every helper: tests propagate it with `?`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
