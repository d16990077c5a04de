//! The reference: client_golang's native-histogram algorithm, ported from its source so that
//! the test compares the crate with client_golang's behaviour rather than with this project's
//! reading of Prometheus' model.
//!
//! Sources (read at these versions, not copied):
//! - prometheus/client_golang v1.24.1-32-g89c60c05 (89c60c0554699c74fa3d4eec472b98a3108905e3,
//!   2026-08-20), `prometheus/histogram.go`: `pickSchema` (factor → schema),
//!   `histogramCounts.observe` (NaN guard, ±Inf as ±MaxFloat64 one bucket up, the key from
//!   `math.Frexp` with `sort.SearchFloat64s` over `nativeHistogramBounds` above schema 0 and an
//!   arithmetic shift at or below it, the zero bucket for `|v| <= zeroThreshold`),
//!   `doubleBucketWidth` (halving: key `k` becomes `ceil(k / 2)`), `limitBuckets` (after each
//!   non-NaN observation, halve once if the bucket count exceeds the limit, with no reset
//!   duration and no zero-threshold widening configured);
//! - the table itself: `tests/data/native-histogram-bounds.json` (its `source` names the files);
//! - Go's `math` package (`src/math/log.go`: `log`, FreeBSD's `e_log.c` algorithm, which the
//!   amd64 assembly `archLog` evaluates in the same order without fused multiply-adds;
//!   `src/math/log10.go`: `log2`; `src/math/frexp.go`: `Frexp`), because `pickSchema`'s result
//!   at a factor next to a schema's own depends on how Go rounds `Log2`.

use std::collections::BTreeMap;

/// Go's `math.Frexp`: `x = frac · 2^exp`, `frac` in `[0.5, 1)`; 0, ±Inf and NaN unchanged
/// with exponent 0; subnormals normalized first.
pub fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || x.is_infinite() || x.is_nan() {
        return (x, 0);
    }
    let (x, mut exp) = if x.abs() < f64::MIN_POSITIVE {
        (x * (1u64 << 52) as f64, -52)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i32 - 1023 + 1;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

/// Go's `math.Log` (`log.go`), its constants by their bits (the hex values its comments give).
fn log(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const L1: f64 = f64::from_bits(0x3fe5_5555_5555_5593);
    const L2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04);
    const L3: f64 = f64::from_bits(0x3fd2_4924_9422_9359);
    const L4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af);
    const L5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de);
    const L6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f);
    const L7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244);
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    let (mut f1, mut ki) = frexp(x);
    if f1 < std::f64::consts::SQRT_2 / 2.0 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = f64::from(ki);
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Go's `math.Log2` (`log10.go`): exact for powers of two, else `Log(frac)·(1/Ln2) + exp`.
pub fn log2(x: f64) -> f64 {
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return f64::from(exp - 1);
    }
    log(frac) * (1.0 / std::f64::consts::LN_2) + f64::from(exp)
}

/// client_golang's `pickSchema`, for factors above 1.
pub fn pick_schema(factor: f64) -> i32 {
    let floor = log2(log2(factor)).floor();
    if floor <= -8.0 {
        8
    } else if floor >= 4.0 {
        -4
    } else {
        -(floor as i32)
    }
}

/// The native part of one client_golang histogram series.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub schema: i32,
    pub zero_threshold: f64,
    /// `NativeHistogramMaxBucketNumber` (0: no limit).
    pub max_buckets: usize,
    pub zero: u64,
    pub positive: BTreeMap<i32, u64>,
    pub negative: BTreeMap<i32, u64>,
    pub count: u64,
    pub sum: f64,
}

impl Reference {
    pub fn new(schema: i32, zero_threshold: f64, max_buckets: usize) -> Self {
        Reference {
            schema,
            zero_threshold,
            max_buckets,
            zero: 0,
            positive: BTreeMap::new(),
            negative: BTreeMap::new(),
            count: 0,
            sum: 0.0,
        }
    }

    /// `histogramCounts.observe` followed by `limitBuckets`.
    pub fn observe(&mut self, bounds: &[Vec<f64>], v: f64) {
        self.sum += v;
        self.count += 1;
        if v.is_nan() {
            return;
        }
        let (v, inf) = match v {
            f64::INFINITY => (f64::MAX, true),
            f64::NEG_INFINITY => (-f64::MAX, true),
            v => (v, false),
        };
        let mut key = key(bounds, self.schema, v.abs());
        if inf {
            key += 1;
        }
        if v > self.zero_threshold {
            *self.positive.entry(key).or_insert(0) += 1;
        } else if v < -self.zero_threshold {
            *self.negative.entry(key).or_insert(0) += 1;
        } else {
            self.zero += 1;
        }
        let buckets = self.positive.len() + self.negative.len();
        if self.max_buckets > 0 && buckets > self.max_buckets && self.schema > -4 {
            self.schema -= 1;
            self.positive = halve(&self.positive);
            self.negative = halve(&self.negative);
        }
    }
}

/// The bucket key of `a >= 0` at `schema`, as `histogramCounts.observe` computes it.
pub fn key(bounds: &[Vec<f64>], schema: i32, a: f64) -> i32 {
    let (frac, exp) = frexp(a);
    if schema > 0 {
        let b = &bounds[schema as usize];
        // sort.SearchFloat64s: the first index whose bound is >= frac.
        let at = b.iter().position(|x| *x >= frac).unwrap_or(b.len());
        return at as i32 + (exp - 1) * b.len() as i32;
    }
    let mut key = exp;
    if frac == 0.5 {
        key -= 1;
    }
    let offset = (1 << -schema) - 1;
    (key + offset) >> -schema
}

/// `doubleBucketWidth`'s merge: Go's `if key > 0 { key++ }; key /= 2` (division truncating
/// towards zero).
pub fn halve(buckets: &BTreeMap<i32, u64>) -> BTreeMap<i32, u64> {
    let mut out = BTreeMap::new();
    for (&k, &n) in buckets {
        let k = if k > 0 { k + 1 } else { k } / 2;
        *out.entry(k).or_insert(0) += n;
    }
    out
}
