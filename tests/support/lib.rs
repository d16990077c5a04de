//! Shared helpers for the suite's behaviour tests, examples and benchmarks.

pub mod certs;
pub mod client;
pub mod logs;
pub mod realistic;
pub mod serve;
pub mod tools;

/// The error type of every helper: tests propagate it with `?`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
