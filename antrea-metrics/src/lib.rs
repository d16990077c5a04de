//! Antrea's Prometheus metrics for Rust network components.
//!
//! `antrea-metrics` gives a Rust CNI agent, proxy or controller every `antrea_agent_*`,
//! `antrea_proxy_*` and `antrea_controller_*` metric with Antrea's exact names, types, labels,
//! HELP texts and buckets, behind typed handles whose hot path is an array index plus one atomic
//! operation. The exposition of a freshly registered set is byte for byte what Antrea prints.
//!
//! ```
//! use antrea_metrics::{AgentMetrics, FlowOp, IpFamily, Profile, TableId};
//!
//! let registry = prometheus::Registry::new();
//! let agent = AgentMetrics::register(&registry, Profile::Latest)?;
//! agent.local_pod_count.set(12.0);
//! agent.ovs_flow_ops_count.get(FlowOp::Add).inc();
//! agent.ovs_flow_count.set(TableId(0), "PipelineRootClassifier", 3.0);
//! agent.proxy.family(IpFamily::V4).total_services_installed.set(40.0);
//! # Ok::<(), antrea_metrics::Error>(())
//! ```
//!
//! - [`catalogue`]: the one table of every family Antrea defines.
//! - [`AgentMetrics`], [`ControllerMetrics`], [`ProxyMetrics`]: typed handles per process.
//! - [`global`]: lazily registered handles in the default registry.
//! - [`Exposition`]: anything a `/metrics` endpoint can serve, in the [formats](mod@format) it writes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod agent;
pub mod catalogue;
mod collector;
mod controller;
mod descriptor;
mod error;
pub mod exposition;
mod family;
mod flow_table;
pub mod format;
pub mod global;
mod labeled;
mod labels;
mod metrics;
#[cfg(all(feature = "process", target_os = "linux"))]
mod process;
mod proto_text;
mod proxy;
mod reference;
#[cfg(feature = "server")]
pub mod server;
mod text;

pub use agent::AgentMetrics;
pub use catalogue::{Descriptor, CATALOGUE};
pub use collector::ComponentCollector;
pub use controller::ControllerMetrics;
pub use descriptor::{Component, Exposed, MetricType, Stability, V1_11};
pub use error::{Error, Result};
pub use exposition::Exposition;
pub use flow_table::OvsFlowCount;
pub use labeled::ByLabel;
pub use labels::{EvictionReason, FlowOp, IpFamily, LabelValue, MeterId, Profile, TableId};
pub use metrics::{
    Counter, CounterMode, Gauge, Histogram, HistogramSnapshot, NativeConfig, NativeHistograms, Unit,
};
#[cfg(all(feature = "process", target_os = "linux"))]
pub use process::register_process_metrics;
pub use prometheus;
pub use proxy::{ProxyFamilyMetrics, ProxyMetrics};
pub use text::CONTENT_TYPE;
