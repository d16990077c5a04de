//! The behaviour tests, in one binary: linking tokio, hyper and rustls once instead of once per
//! file. Each module is one former test file; run one with `cargo test --test it MODULE::`.
//!
//! Tests that need an installed tool (Debian's `prometheus`, the Python parser's or
//! kubernetes-validate's virtualenv, `openssl`) are `#[ignore]`d with a reason naming it;
//! `scripts/test.sh` installs them and runs these with `--include-ignored`.
//! Tests that must not share their process with others are in `tests/alone/`.

mod antrea_edge_cases;
mod downstream;
mod e2e_native_histograms;
mod e2e_prometheus;
mod error_messages;
mod examples_output;
mod exposition_openmetrics;
mod exposition_protobuf;
mod golden;
mod handles;
mod kube_auth;
mod kube_auth_config;
mod native_reference;
mod node_ipam;
mod ovs_pipeline;
mod proto;
mod readme_recipes;
mod reliability_exactness;
mod reliability_faults;
mod reliability_hostile;
mod server_auth;
mod server_formats;
mod server_h2;
mod server_limits;
mod server_plain_http;
mod server_scrape;
mod server_tls;
mod sim_exposition;
mod sim_formats;
mod sim_kube_auth;
mod sim_process;
mod spec_conformance;
