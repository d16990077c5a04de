//! Antrea's Node IPAM controller families (`third_party/ipam/nodeipam/ipam/cidrset/metrics.go`,
//! the same in v1.11 and v2.7): registered by the controller only when Node IPAM is on, each a
//! vector labeled by cluster CIDR, so nothing shows until a CIDR set is used. Antrea's metrics
//! documentation does not list them.

use super::{Component, Def, Stability};
use crate::{ClusterCidr, Counter, Gauge, Histogram, Unit};

/// Buckets of `antrea_node_ipam_controller_cidrset_allocation_tries_per_request`
/// (Go's `ExponentialBuckets(1, 5, 5)`).
pub const NODE_IPAM_TRIES_BUCKETS: [f64; 5] = [1.0, 5.0, 25.0, 125.0, 625.0];

families! {
    /// The Node IPAM families, sorted by name.
    pub const NODE_IPAM;

    /// `antrea_node_ipam_controller_cidrset_allocation_tries_per_request`.
    ///
    /// Note: the HELP text is Antrea's as written (copied from Kubernetes, it does not describe
    /// the metric).
    pub const NODE_IPAM_CIDRSET_ALLOCATION_TRIES_PER_REQUEST: Def<Histogram, ClusterCidr> =
        Def::histogram(
            "antrea_node_ipam_controller_cidrset_allocation_tries_per_request",
            Component::Controller,
            Stability::Alpha,
            Unit::Count,
            &NODE_IPAM_TRIES_BUCKETS,
            "Number of endpoints added on each Service sync",
        )
        .labels::<ClusterCidr>()
        .since("v1.4.0 (Node IPAM)");

    /// `antrea_node_ipam_controller_cidrset_cidrs_allocations_total`.
    pub const NODE_IPAM_CIDRSET_CIDRS_ALLOCATIONS_TOTAL: Def<Counter, ClusterCidr> = Def::scalar(
        "antrea_node_ipam_controller_cidrset_cidrs_allocations_total",
        Component::Controller,
        Stability::Alpha,
        "Counter measuring total number of CIDR allocations.",
    )
    .labels::<ClusterCidr>()
    .since("v1.4.0 (Node IPAM)");

    /// `antrea_node_ipam_controller_cidrset_cidrs_releases_total`.
    pub const NODE_IPAM_CIDRSET_CIDRS_RELEASES_TOTAL: Def<Counter, ClusterCidr> = Def::scalar(
        "antrea_node_ipam_controller_cidrset_cidrs_releases_total",
        Component::Controller,
        Stability::Alpha,
        "Counter measuring total number of CIDR releases.",
    )
    .labels::<ClusterCidr>()
    .since("v1.4.0 (Node IPAM)");

    /// `antrea_node_ipam_controller_cidrset_usage_cidrs`.
    pub const NODE_IPAM_CIDRSET_USAGE_CIDRS: Def<Gauge, ClusterCidr> = Def::scalar(
        "antrea_node_ipam_controller_cidrset_usage_cidrs",
        Component::Controller,
        Stability::Alpha,
        "Gauge measuring percentage of allocated CIDRs.",
    )
    .labels::<ClusterCidr>()
    .since("v1.4.0 (Node IPAM)");
}
