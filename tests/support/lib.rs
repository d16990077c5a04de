//! Shared helpers for the suite's behaviour tests, examples and benchmarks.
pub mod realistic;
