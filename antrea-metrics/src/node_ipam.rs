//! Antrea's Node IPAM controller handles (`antrea_node_ipam_controller_cidrset_*`), one set
//! per cluster CIDR.

use crate::catalogue as cat;
use crate::labeled::Labeled;
use crate::registration::Families;
use crate::store::Store;
use crate::{ClusterCidr, Counter, Gauge, Histogram};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The Node IPAM controller's families, enabled with
/// [`Builder::node_ipam`](crate::Builder::node_ipam).
///
/// Like Antrea's, each family is a vector labeled by cluster CIDR and shows a series only once
/// that CIDR set has used it, so an idle Node IPAM controller exposes nothing.
///
/// ```
/// use antrea_metrics::{ControllerMetrics, Exposition};
/// let controller = ControllerMetrics::builder().node_ipam(true).build()?;
/// let ipam = controller.node_ipam.as_ref().expect("enabled");
/// let set = ipam.cidr_set("10.244.0.0/16".parse()?);
/// set.allocations().inc();
/// set.usage().set(1.0 / 256.0);
/// let mut out = Vec::new();
/// controller.encode(antrea_metrics::format::Format::Text, &mut out)?;
/// let text = String::from_utf8_lossy(&out);
/// assert!(text.contains(
///     "antrea_node_ipam_controller_cidrset_cidrs_allocations_total{clusterCIDR=\"10.244.0.0/16\"} 1\n"
/// ));
/// // No release yet: no releases series.
/// assert!(!text.contains("cidrs_releases_total"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct NodeIpamMetrics {
    allocations: Labeled<Counter, ClusterCidr>,
    releases: Labeled<Counter, ClusterCidr>,
    usage: Labeled<Gauge, ClusterCidr>,
    tries: Labeled<Histogram, ClusterCidr>,
}

impl NodeIpamMetrics {
    pub(crate) fn create(f: &mut Families<'_>) -> Self {
        NodeIpamMetrics {
            allocations: f.add(&cat::NODE_IPAM_CIDRSET_CIDRS_ALLOCATIONS_TOTAL),
            releases: f.add(&cat::NODE_IPAM_CIDRSET_CIDRS_RELEASES_TOTAL),
            usage: f.add(&cat::NODE_IPAM_CIDRSET_USAGE_CIDRS),
            tries: f.add(&cat::NODE_IPAM_CIDRSET_ALLOCATION_TRIES_PER_REQUEST),
        }
    }

    /// The handles of the CIDR set allocating from `cidr`. Keep them: each family's series
    /// appears on its first use, as in Antrea.
    pub fn cidr_set(&self, cidr: ClusterCidr) -> CidrSetMetrics {
        CidrSetMetrics {
            inner: Arc::new(CidrSet {
                cidr,
                label: cidr.to_string(),
                allocations: Lazy::new(&self.allocations),
                releases: Lazy::new(&self.releases),
                usage: Lazy::new(&self.usage),
                tries: Lazy::new(&self.tries),
            }),
        }
    }
}

/// The Node IPAM handles of one cluster CIDR; clones share them.
#[derive(Clone)]
pub struct CidrSetMetrics {
    inner: Arc<CidrSet>,
}

struct CidrSet {
    cidr: ClusterCidr,
    label: String,
    allocations: Lazy<Counter>,
    releases: Lazy<Counter>,
    usage: Lazy<Gauge>,
    tries: Lazy<Histogram>,
}

/// One family's series of one CIDR set, created on first use.
struct Lazy<K> {
    family: Labeled<K, ClusterCidr>,
    series: OnceLock<K>,
}

impl<K: Store> Lazy<K> {
    fn new(family: &Labeled<K, ClusterCidr>) -> Self {
        Lazy {
            family: family.clone(),
            series: OnceLock::new(),
        }
    }

    fn get(&self, cidr: ClusterCidr) -> &K {
        self.series.get_or_init(|| self.family.series(cidr))
    }
}

impl CidrSetMetrics {
    /// `antrea_node_ipam_controller_cidrset_cidrs_allocations_total`: CIDRs allocated.
    pub fn allocations(&self) -> &Counter {
        self.inner.allocations.get(self.inner.cidr)
    }

    /// `antrea_node_ipam_controller_cidrset_cidrs_releases_total`: CIDRs released.
    pub fn releases(&self) -> &Counter {
        self.inner.releases.get(self.inner.cidr)
    }

    /// `antrea_node_ipam_controller_cidrset_usage_cidrs`: the share of the set's CIDRs
    /// allocated (Antrea sets allocated / max, a fraction despite the HELP's "percentage").
    pub fn usage(&self) -> &Gauge {
        self.inner.usage.get(self.inner.cidr)
    }

    /// `antrea_node_ipam_controller_cidrset_allocation_tries_per_request`: how many taken
    /// candidate CIDRs one allocation skipped before the free one it took, 0 when the first
    /// candidate was free (Antrea's `AllocateNext` observes its loop index; observe counts, not
    /// durations).
    pub fn allocation_tries_per_request(&self) -> &Histogram {
        self.inner.tries.get(self.inner.cidr)
    }

    /// The `clusterCIDR` label value.
    pub fn cluster_cidr(&self) -> &str {
        &self.inner.label
    }
}

impl fmt::Debug for CidrSetMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CidrSetMetrics")
            .field("cluster_cidr", &self.inner.label)
            .finish()
    }
}
