//! Native (sparse, exponential) histogram buckets, in Prometheus' model as client_golang
//! implements it: a bucket factor picks the schema, observations go to positive or negative
//! buckets indexed by their power of `2^(2^-schema)` or to the zero bucket, and a scrape
//! lowers the resolution until at most the maximum number of buckets is left.
//!
//! Buckets live in a fixed window of atomics allocated with the histogram, so that observing
//! is one bucket computation and one atomic add: no allocation, no lock. Bucket boundaries come
//! from the table every Prometheus implementation shares ([`super::native_bounds`]).

use super::native_bounds::BOUNDS;
use crate::error::{CoreResult, MetricsError};
use std::sync::atomic::{AtomicU64, Ordering};

/// Lowest and highest schemas Prometheus defines.
const MIN_SCHEMA: i32 = -4;
const MAX_SCHEMA: i32 = 8;

/// Powers of two below and above 1 that the bucket window covers: absolute values in
/// `(2^-WINDOW_EXP, 2^WINDOW_EXP]` get their own bucket, smaller ones go to the zero bucket
/// (the zero threshold is `2^-WINDOW_EXP`), larger ones to the highest bucket.
const WINDOW_EXP: i32 = 32;

/// The smallest bucket factor that client_golang maps to each schema below 8, finest first:
/// a factor at or above an entry gets that schema or a coarser one. client_golang computes
/// `-floor(log2(log2(factor)))` with Go's `math.Log2`, which is not correctly rounded, so its
/// switch points sit up to 16 ulp from `2^(2^-schema)` (the double nearest `2^(1/32)` gets
/// schema 5, not 6); these are its switch points, found by evaluating its computation on
/// every double near each `2^(2^-schema)` and checked by `tests/it/native_reference.rs`.
const SCHEMA_FACTORS: [(f64, i32); 12] = [
    (f64::from_bits(0x3ff0_163d_a9fb_3336), 7),
    (f64::from_bits(0x3ff0_2c9a_3e77_8061), 6),
    (f64::from_bits(0x3ff0_59b0_d315_8574), 5),
    (f64::from_bits(0x3ff0_b558_6cf9_8910), 4),
    (f64::from_bits(0x3ff1_72b8_3c7d_517b), 3),
    (f64::from_bits(0x3ff3_06fe_0a31_b716), 2),
    (f64::from_bits(0x3ff6_a09e_667f_3bcd), 1),
    (2.0, 0),
    (4.0, -1),
    (f64::from_bits(0x402f_ffff_ffff_ffff), -2),
    (f64::from_bits(0x406f_ffff_ffff_fff8), -3),
    (f64::from_bits(0x40ef_ffff_ffff_fff0), -4),
];

/// How a histogram keeps native buckets (client_golang's `NativeHistogramBucketFactor`,
/// `NativeHistogramMaxBucketNumber`), and whether it keeps its classic buckets beside them.
///
/// ```
/// use antrea_metrics::NativeConfig;
/// let c = NativeConfig::new(1.1)?.max_buckets(100);
/// assert_eq!(c.schema(), 3); // bucket boundaries 2^(1/8) = 1.09 apart
/// assert!(c.keeps_classic());
/// assert!(NativeConfig::new(1.0).is_err());
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NativeConfig {
    schema: i32,
    max_buckets: u32,
    classic: bool,
}

impl Default for NativeConfig {
    /// Factor 1.1 (schema 3), at most 160 buckets, classic buckets kept.
    fn default() -> Self {
        NativeConfig {
            schema: 3,
            max_buckets: 160,
            classic: true,
        }
    }
}

impl NativeConfig {
    /// Buckets at most `bucket_factor` wide (ratio of upper to lower boundary): the schema is
    /// the coarsest whose factor does not exceed it, within Prometheus' schemas -4 to 8
    /// (factors 65536 to 1.0027), exactly as client_golang picks it, also for factors within
    /// a few ulp of a schema's own.
    ///
    /// # Errors
    /// [`MetricsError::BucketFactor`] when the factor is not a number above 1.
    pub fn new(bucket_factor: f64) -> CoreResult<Self> {
        if bucket_factor.is_nan() || bucket_factor <= 1.0 {
            return Err(MetricsError::BucketFactor {
                factor: bucket_factor,
            });
        }
        let schema = SCHEMA_FACTORS
            .iter()
            .take_while(|(least, _)| bucket_factor >= *least)
            .last()
            .map_or(MAX_SCHEMA, |(_, schema)| *schema);
        Ok(NativeConfig {
            schema,
            ..NativeConfig::default()
        })
    }

    /// At most `n` buckets per scrape (0: no limit): past it, the scrape halves the resolution
    /// (merging neighbouring buckets) until the buckets fit. Default 160.
    pub fn max_buckets(mut self, n: u32) -> Self {
        self.max_buckets = n;
        self
    }

    /// Whether to keep the classic (`le`) buckets too (default: yes), so that queries on
    /// `_bucket` series, and Prometheus servers without native histograms, keep working.
    pub fn classic_buckets(mut self, keep: bool) -> Self {
        self.classic = keep;
        self
    }

    /// The schema the bucket factor picked.
    pub fn schema(&self) -> i32 {
        self.schema
    }

    /// Whether classic buckets are kept.
    pub fn keeps_classic(&self) -> bool {
        self.classic
    }
}

/// Which histogram families of a component keep native buckets: none (the default), all of
/// them, or the ones named, each with its own [`NativeConfig`].
///
/// Native buckets reach a scrape when the component is served itself
/// (`MetricsServerBuilder::exposition`) in the protobuf format; through a
/// `prometheus::Registry` only the classic buckets are exposed (its `MetricFamily` type has no
/// native fields).
///
/// ```
/// use antrea_metrics::{catalogue, AgentMetrics, NativeConfig, NativeHistograms};
/// let native = NativeHistograms::none()
///     .family(&catalogue::AGENT_OVS_FLOW_OPS_LATENCY_MILLISECONDS, NativeConfig::new(1.1)?);
/// let agent = AgentMetrics::builder().native_histograms(native).build()?;
/// assert!(agent.ovs_flow_ops_latency_milliseconds.get(antrea_metrics::FlowOp::Add).is_native());
/// assert!(!agent.conntrack_poll_cycle_duration_seconds.is_native());
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NativeHistograms {
    all: Option<NativeConfig>,
    families: Vec<(&'static str, NativeConfig)>,
}

impl NativeHistograms {
    /// Classic buckets only, as Antrea exposes them.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every histogram family of the component, with `config` (the component-wide switch).
    pub fn all(config: NativeConfig) -> Self {
        NativeHistograms {
            all: Some(config),
            families: Vec::new(),
        }
    }

    /// Also `family` (a histogram of the [catalogue](crate::catalogue)), with `config`, which
    /// takes precedence over [`NativeHistograms::all`]'s.
    pub fn family(mut self, family: &crate::descriptor::Descriptor, config: NativeConfig) -> Self {
        self.families.retain(|(name, _)| *name != family.name);
        self.families.push((family.name, config));
        self
    }

    /// The settings for the family named `name` (its latest-release name), if native.
    pub(crate) fn config_for(&self, name: &str) -> Option<NativeConfig> {
        let own = self.families.iter().find(|(n, _)| *n == name);
        own.map(|(_, c)| *c).or(self.all)
    }
}

/// The native buckets of one histogram series.
#[derive(Debug)]
pub(crate) struct Native {
    schema: i32,
    max_buckets: u32,
    /// Boundaries of the fraction of `frexp` within one power of two, for schemas above 0.
    bounds: &'static [f64],
    /// Index of the first bucket of the window.
    min_key: i32,
    positive: Box<[AtomicU64]>,
    negative: Box<[AtomicU64]>,
    zero: AtomicU64,
}

/// Native buckets as a scrape reads them: sparse, at the exposed schema.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NativeSnapshot {
    pub(crate) schema: i32,
    pub(crate) zero_threshold: f64,
    pub(crate) zero_count: u64,
    /// `(bucket index, count)` of the non-empty positive buckets, by index.
    pub(crate) positive: Vec<(i32, u64)>,
    /// The same for negative buckets (index of the absolute value).
    pub(crate) negative: Vec<(i32, u64)>,
}

impl Native {
    pub(crate) fn new(config: &NativeConfig) -> Self {
        let schema = config.schema;
        let bounds = usize::try_from(schema).map_or(BOUNDS[0], |s| BOUNDS[s]);
        let min_key = key_of(2f64.powi(-WINDOW_EXP), schema, bounds) + 1;
        let max_key = key_of(2f64.powi(WINDOW_EXP), schema, bounds);
        let len = usize::try_from(max_key - min_key + 1).unwrap_or(1);
        let zeros = || (0..len).map(|_| AtomicU64::new(0)).collect::<Box<[_]>>();
        Native {
            schema,
            max_buckets: config.max_buckets,
            bounds,
            min_key,
            positive: zeros(),
            negative: zeros(),
            zero: AtomicU64::new(0),
        }
    }

    /// The zero bucket's upper bound.
    fn zero_threshold() -> f64 {
        2f64.powi(-WINDOW_EXP)
    }

    /// Counts `v` in its bucket. NaN is in no bucket, as in client_golang: the count and the
    /// sum have it, the buckets do not (a NaN is no zero, and no bucket can hold it).
    #[inline]
    pub(crate) fn observe(&self, v: f64) {
        if v.is_nan() {
            return;
        }
        let a = v.abs();
        let cell = if a > Self::zero_threshold() {
            let key = key_of(a, self.schema, self.bounds);
            let last = self.positive.len() - 1;
            let i = usize::try_from(key - self.min_key).map_or(0, |i| i.min(last));
            if v > 0.0 {
                &self.positive[i]
            } else {
                &self.negative[i]
            }
        } else {
            &self.zero
        };
        // Release: a scrape that sees this bucket's increment also sees the count's, written
        // before it, so the count is never below the buckets' sum.
        cell.fetch_add(1, Ordering::Release);
    }

    /// The buckets at the highest schema whose bucket count fits the limit.
    pub(crate) fn snapshot(&self) -> NativeSnapshot {
        let read = |cells: &[AtomicU64]| -> Vec<(i32, u64)> {
            let keys = (self.min_key..).zip(cells.iter());
            keys.map(|(k, c)| (k, c.load(Ordering::Acquire)))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        let mut snap = NativeSnapshot {
            schema: self.schema,
            zero_threshold: Self::zero_threshold(),
            zero_count: self.zero.load(Ordering::Acquire),
            positive: read(&self.positive),
            negative: read(&self.negative),
        };
        let limit = self.max_buckets as usize;
        while limit > 0
            && snap.positive.len() + snap.negative.len() > limit
            && snap.schema > MIN_SCHEMA
        {
            snap.schema -= 1;
            halve(&mut snap.positive);
            halve(&mut snap.negative);
        }
        snap
    }
}

/// Merges pairs of neighbouring buckets: bucket `k` at schema `s` is bucket `ceil(k / 2)` at
/// `s - 1`, because each boundary at the lower schema is every other boundary at `s`.
fn halve(buckets: &mut Vec<(i32, u64)>) {
    let mut merged: Vec<(i32, u64)> = Vec::with_capacity(buckets.len());
    for &(k, n) in buckets.iter() {
        let k = (k + 1) >> 1;
        match merged.last_mut() {
            Some(last) if last.0 == k => last.1 += n,
            _ => merged.push((k, n)),
        }
    }
    *buckets = merged;
}

/// The index of the bucket holding the positive value `a`: bucket `k` holds
/// `(2^((k-1)·2^-schema), 2^(k·2^-schema)]`, with the boundaries of the shared table. Computed
/// from the binary exponent and fraction (`frexp`), as client_golang does, rather than with a
/// logarithm. At schemas up to 0 the shift rounds towards minus infinity, as client_golang
/// does since 1.16 (its 1.14 and 1.15 divided, rounding towards zero, which put some values
/// below 1 one bucket too high).
#[inline]
fn key_of(a: f64, schema: i32, bounds: &[f64]) -> i32 {
    let (frac, exp) = frexp(a);
    if schema > 0 {
        let within = bounds.partition_point(|b| *b < frac) as i32;
        return within + (exp - 1) * (1 << schema);
    }
    // Exactly a power of two: the top of the bucket below.
    let key = if frac == 0.5 { exp - 1 } else { exp };
    let shift = -schema;
    (key + (1 << shift) - 1) >> shift
}

/// `a = frac · 2^exp` with `frac` in `[0.5, 1)`, for positive normal `a` (the window's lower
/// end, `2^-32`, keeps subnormals out).
#[inline]
fn frexp(a: f64) -> (f64, i32) {
    let bits = a.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let frac = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1022u64 << 52));
    (frac, exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_factor_picks_client_golangs_schema() {
        let schema = |f: f64| NativeConfig::new(f).map(|c| c.schema());
        assert_eq!(schema(1.1).ok(), Some(3));
        assert_eq!(schema(2.0).ok(), Some(0));
        assert_eq!(schema(4.0).ok(), Some(-1));
        assert_eq!(schema(1.0001).ok(), Some(8));
        assert_eq!(schema(1e300).ok(), Some(-4));
        for bad in [1.0, 0.5, -3.0, f64::NAN] {
            assert!(schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schema_factors_rise_as_the_schema_falls() {
        let mut last = (1.0, MAX_SCHEMA);
        for (factor, schema) in SCHEMA_FACTORS {
            assert!(factor > last.0 && schema == last.1 - 1, "{factor} {schema}");
            assert_eq!(
                NativeConfig::new(factor).map(|c| c.schema()).ok(),
                Some(schema)
            );
            let below = f64::from_bits(factor.to_bits() - 1);
            assert_eq!(
                NativeConfig::new(below).map(|c| c.schema()).ok(),
                Some(last.1)
            );
            last = (factor, schema);
        }
        assert_eq!(last.1, MIN_SCHEMA);
    }

    #[test]
    fn nan_is_counted_in_no_native_bucket() {
        let n = Native::new(&NativeConfig::default());
        n.observe(f64::NAN);
        n.observe(-f64::NAN);
        let s = n.snapshot();
        assert_eq!(
            (s.zero_count, s.positive.len(), s.negative.len()),
            (0, 0, 0)
        );
    }

    #[test]
    fn keys_follow_prometheus_bucket_boundaries() {
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            let n = Native::new(&NativeConfig {
                schema,
                ..NativeConfig::default()
            });
            let base = 2f64.powf(2f64.powi(-schema));
            for v in [0.001, 0.3, 1.0, 1.5, 2.0, 3.0, 1000.0, 123456.0] {
                let k = key_of(v, schema, n.bounds);
                let upper = base.powi(k);
                let lower = base.powi(k - 1);
                // One ulp of slack for the boundaries computed with powi.
                assert!(
                    v <= upper * (1.0 + 1e-12),
                    "{v} above bucket {k} at schema {schema}"
                );
                assert!(
                    v > lower * (1.0 - 1e-12),
                    "{v} below bucket {k} at schema {schema}"
                );
            }
            assert_eq!(key_of(1.0, schema, n.bounds), 0, "schema {schema}");
        }
    }

    #[test]
    fn observations_land_in_sparse_buckets() {
        let n = Native::new(&NativeConfig::default());
        for v in [1.0, 1.0, 1.05, -2.0, 0.0, 1e-12, f64::NAN, 1e30] {
            n.observe(v);
        }
        let s = n.snapshot();
        assert_eq!(s.schema, 3);
        // 0 and 1e-12 (below the zero threshold 2^-32); NaN is in no bucket.
        assert_eq!(s.zero_count, 2);
        // 1 is the top of bucket 0; 1.05 is in bucket 1 (1, 1.09]; 1e30 is clamped to the top.
        assert_eq!(s.positive[..2], [(0, 2), (1, 1)]);
        assert_eq!(s.positive[2], (WINDOW_EXP * 8, 1));
        assert_eq!(s.negative, vec![(8, 1)]);
    }

    #[test]
    fn too_many_buckets_lower_the_resolution() {
        let n = Native::new(&NativeConfig::default().max_buckets(4));
        for i in 1..=64 {
            n.observe(f64::from(i));
        }
        let s = n.snapshot();
        assert!(s.positive.len() <= 4, "{s:?}");
        assert!(s.schema < 3);
        assert_eq!(s.positive.iter().map(|b| b.1).sum::<u64>(), 64);
        // Lowered to schema -1 (boundaries 1, 4, 16, 64): 1 | 2-4 | 5-16 | 17-64.
        assert_eq!(s.schema, -1);
        assert_eq!(s.positive, vec![(0, 1), (1, 3), (2, 12), (3, 48)]);
    }
}
