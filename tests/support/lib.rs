//! Shared helpers for the suite's behaviour tests, examples and benchmarks.

pub mod attacks;
pub mod certs;
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
pub mod serve;
pub mod sims;
pub mod tools;

/// The error type of every helper: tests propagate it with `?`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The README's Rust snippets, compiled and run as doctests of this (unpublished) package:
/// the library's package cannot include a file outside its folder without breaking
/// `cargo package`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
