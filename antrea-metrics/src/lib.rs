//! Antrea's Prometheus metrics for Rust network components.
//!
//! `antrea-metrics` gives a Rust CNI agent, proxy or controller every `antrea_agent_*`,
//! `antrea_proxy_*` and `antrea_controller_*` metric with Antrea's exact names, types, labels,
//! HELP texts and buckets, behind typed handles whose hot path is an array index plus one atomic
//! operation.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod exposition;
#[cfg(feature = "server")]
pub mod server;

pub use error::{Error, Result};
pub use exposition::Exposition;
pub use prometheus;
