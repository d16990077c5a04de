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
//! - [`catalogue`]: one typed declaration ([`Def`]) per family Antrea defines.
//! - [`AgentMetrics`], [`ControllerMetrics`], [`ProxyMetrics`]: typed handles per process, each
//!   made by one [`Builder`] (profile, counter mode, opt-in [native histograms](NativeHistograms),
//!   and the controller's opt-in Node IPAM families, [`NodeIpamMetrics`]).
//! - [`Pipeline`]: Antrea's OVS pipeline, for [`AgentMetrics::ovs_connected`], which sets the
//!   per-table series Antrea sets when OVS connects.
//! - [`global`]: lazily registered handles in the default registry.
//! - [`Exposition`]: anything a `/metrics` endpoint can serve, in the [formats](mod@format) it writes.
#![deny(missing_docs)]
// docs.rs (see Cargo.toml) marks feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod agent;
pub mod catalogue;
mod cidr;
mod collector;
mod controller;
mod def;
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
mod node_ipam;
pub mod pipeline;
#[cfg(all(feature = "process", target_os = "linux"))]
mod process;
mod profile;
mod proxy;
mod reference;
mod registration;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
mod store;
mod umbrella;

// What users need, at the root so that one `use antrea_metrics::{..}` line serves a component:
// the metric sets and their builder (what a component registers and updates).
pub use agent::AgentMetrics;
pub use controller::ControllerMetrics;
pub use node_ipam::{CidrSetMetrics, NodeIpamMetrics};
pub use proxy::{ProxyFamilyMetrics, ProxyHandles, ProxyMetrics};
pub use registration::{Builder, MetricSet};
// Antrea's OVS pipeline, which `AgentMetrics::ovs_connected` takes.
pub use pipeline::{AgentModes, IpStack, Pipeline, PipelineError, TrafficEncapMode};
// The handles those sets hold, and the types their fields are spelled with.
pub use flow_table::OvsFlowCount;
pub use labeled::ByLabel;
pub use metrics::{
    Counter, CounterMode, Gauge, Histogram, HistogramSnapshot, NativeConfig, NativeHistograms,
};
// The label values handles are selected by, and the label-set traits that type them. Every
// label enum of Antrea's families is one (`labels::values`), so they are re-exported as a
// whole: a new one needs no edit here.
pub use cidr::{CidrError, ClusterCidr};
pub use labels::values::*;
pub use labels::{ClosedLabelSet, LabelSet, LabelValue, TableId, TableLabels};
// The declarations and their facts, which docs, conformance tests and dashboards read.
pub use catalogue::{Descriptor, CATALOGUE};
pub use def::{Def, Kind};
pub use descriptor::{Component, Exposed, MetricType, Stability, Unit};
pub use profile::{Change, Override, Profile};
pub use reference::reference_markdown;
// Serving: what a `/metrics` endpoint writes, and the collector to register elsewhere.
pub use collector::ComponentCollector;
pub use exposition::Exposition;
// Errors: the core's, and the umbrella that `?` converts every layer's into.
pub use error::MetricsError;
#[cfg(all(feature = "process", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "process", target_os = "linux"))))]
pub use process::register_process_metrics;
/// The `prometheus` crate this one registers into: its `Registry` is in our signatures, so a
/// user names the same version through this re-export.
pub use prometheus;
pub use umbrella::{Error, Result};
