//! Native histograms against client_golang, value by value: the same streams observed into
//! `antrea_agent_ovs_flow_ops_latency_milliseconds` with native buckets (read back from the
//! protobuf exposition, as Prometheus reads it) and into client_golang's algorithm
//! (`native_reference/golang.rs`, ported from its source), compared bucket index by bucket
//! index, at every schema from -4 to 8.
//!
//! Guarantee: a Prometheus server scraping this crate's native histograms stores the same
//! buckets it would store for client_golang given the same observations, except for the design
//! deviations `docs/formats.md` documents (the fixed bucket window with its zero threshold of
//! 2^-32, and the bucket limit applied at scrape time), which these tests apply explicitly and
//! measure.

mod golang;

use crate::proto::{BucketSpan, MetricFamily};
use antrea_metrics::catalogue::AGENT_OVS_FLOW_OPS_LATENCY_MILLISECONDS as LATENCY;
use antrea_metrics::format::Format;
use antrea_metrics::{AgentMetrics, Exposition, FlowOp, NativeConfig, NativeHistograms};
use golang::Reference;
use prost::Message;
use std::collections::BTreeMap;

/// The crate's documented bucket window: `(2^-32, 2^32]` has buckets, the rest of the values
/// go to the zero bucket or the highest bucket.
const ZERO_THRESHOLD: f64 = 1.0 / 4_294_967_296.0;
const WINDOW_TOP: f64 = 4_294_967_296.0;
/// client_golang's `DefNativeHistogramZeroThreshold` (2^-128).
const GO_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

/// client_golang's boundary table, from `tests/data/native-histogram-bounds.json`.
fn bounds() -> Vec<Vec<f64>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/native-histogram-bounds.json"
    );
    let text = std::fs::read_to_string(path).expect("read the bounds table");
    let json: serde_json::Value = serde_json::from_str(&text).expect("parse the bounds table");
    (0..=8)
        .map(|s| {
            let row = json["schemas"][s.to_string()]
                .as_array()
                .expect("a schema row");
            // Strings, parsed by Rust's correctly rounded parser.
            let row: Vec<f64> = row
                .iter()
                .map(|x| x.as_str().expect("a decimal string").parse().expect("f64"))
                .collect();
            assert_eq!(row.len(), 1 << s, "schema {s} has 2^{s} boundaries");
            row
        })
        .collect()
}

/// A bucket factor client_golang maps to `schema`.
fn factor_for(schema: i32) -> f64 {
    let f = 2f64.powf(2f64.powi(-schema)) * (1.0 + 1e-9);
    assert_eq!(golang::pick_schema(f), schema);
    f
}

/// One native histogram series as a scrape shows it.
#[derive(Debug, PartialEq)]
struct Exposed {
    schema: i32,
    zero_threshold: f64,
    zero: u64,
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
    count: u64,
    sum: f64,
}

fn buckets(spans: &[BucketSpan], deltas: &[i64]) -> BTreeMap<i32, u64> {
    let mut out = BTreeMap::new();
    let (mut index, mut count, mut deltas) = (0i32, 0i64, deltas.iter());
    for span in spans {
        index += span.offset();
        for _ in 0..span.length() {
            count += deltas.next().expect("a delta per spanned bucket");
            // Spans may take in a few empty buckets rather than start anew (client_golang's
            // do too): an empty bucket is no bucket.
            if count != 0 {
                out.insert(
                    index,
                    u64::try_from(count).expect("a count is not negative"),
                );
            }
            index += 1;
        }
    }
    assert!(deltas.next().is_none(), "a delta outside the spans");
    out
}

/// Observes `values` into the latency family's `add` series with native buckets and reads the
/// series back from the protobuf exposition.
fn observe_ours(config: NativeConfig, values: &[f64]) -> Exposed {
    let native = NativeHistograms::none().family(&LATENCY, config);
    let agent = AgentMetrics::builder()
        .native_histograms(native)
        .build()
        .expect("agent");
    let h = agent.ovs_flow_ops_latency_milliseconds.get(FlowOp::Add);
    for v in values {
        h.observe(*v);
    }
    let mut out = Vec::new();
    agent.encode(Format::Protobuf, &mut out).expect("protobuf");
    let mut bytes = &out[..];
    while !bytes.is_empty() {
        let mf = MetricFamily::decode_length_delimited(&mut bytes).expect("a MetricFamily");
        if mf.name() != LATENCY.name {
            continue;
        }
        let m = mf
            .metric
            .iter()
            .find(|m| m.label.iter().any(|l| l.value() == "add"));
        let h = m.and_then(|m| m.histogram.clone()).expect("the add series");
        return Exposed {
            schema: h.schema(),
            zero_threshold: h.zero_threshold(),
            zero: h.zero_count(),
            positive: buckets(&h.positive_span, &h.positive_delta),
            negative: buckets(&h.negative_span, &h.negative_delta),
            count: h.sample_count(),
            sum: h.sample_sum(),
        };
    }
    panic!("no {} family in the exposition", LATENCY.name);
}

fn observe_reference(bounds: &[Vec<f64>], mut r: Reference, values: &[f64]) -> Reference {
    for v in values {
        r.observe(bounds, *v);
    }
    r
}

/// The documented window deviation applied to client_golang's buckets: keys above the
/// window's highest bucket are counted in it.
fn clamp_to_window(bounds: &[Vec<f64>], r: &Reference) -> (BTreeMap<i32, u64>, BTreeMap<i32, u64>) {
    let top = golang::key(bounds, r.schema, WINDOW_TOP);
    let clamp = |m: &BTreeMap<i32, u64>| {
        let mut out = BTreeMap::new();
        for (&k, &n) in m {
            *out.entry(k.min(top)).or_insert(0) += n;
        }
        out
    };
    (clamp(&r.positive), clamp(&r.negative))
}

fn assert_same_sum(ours: f64, reference: f64, what: &str) {
    assert!(
        ours.to_bits() == reference.to_bits() || (ours.is_nan() && reference.is_nan()),
        "{what}: sum {ours} here, {reference} in client_golang"
    );
}

fn next_up(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}

fn next_down(x: f64) -> f64 {
    f64::from_bits(x.to_bits() - 1)
}

/// `2^e` for every `e` from -1074 to 1023, subnormal ones included.
fn pow2(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(u64::try_from(e + 1023).expect("exponent") << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// `frac · 2^exp`, exactly (`frac` in `[0.5, 1)`, `exp` from -1021 to 1024).
fn ldexp(frac: f64, exp: i32) -> f64 {
    frac * 2.0 * pow2(exp - 1)
}

/// SplitMix64: a seeded stream, the same in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 1,000 values, log-uniform over `[2^-50, 2^50)`, a quarter of them negative.
fn log_uniform() -> Vec<f64> {
    let mut rng = Rng(19);
    (0..1000)
        .map(|_| {
            let v = (rng.unit() * 100.0 - 50.0).exp2();
            if rng.next() % 4 == 0 {
                -v
            } else {
                v
            }
        })
        .collect()
}

/// Every bucket boundary of `schema` that client_golang's table (above schema 0) or the powers
/// of two (every schema) give, across the exponent range of f64, with the doubles one ulp
/// either side, and all of them negated.
fn boundaries(bounds: &[Vec<f64>], schema: i32) -> Vec<f64> {
    let mut exact: Vec<f64> = (-1074..=1023).map(pow2).collect();
    if schema > 0 {
        for exp in [
            -1021, -100, -33, -32, -31, -1, 0, 1, 2, 10, 31, 32, 33, 100, 1024,
        ] {
            exact.extend(bounds[schema as usize].iter().map(|f| ldexp(*f, exp)));
        }
    }
    let mut out = Vec::new();
    for b in exact {
        out.extend([b, next_down(b), next_up(b)]);
    }
    let negated: Vec<f64> = out.iter().map(|v| -v).collect();
    out.extend(negated);
    out
}

/// Zeros, NaN, infinities, subnormals and the extremes.
fn specials() -> Vec<f64> {
    let tiny = f64::from_bits(1);
    vec![
        0.0,
        -0.0,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        tiny,
        -tiny,
        f64::MIN_POSITIVE / 2.0,
        next_down(f64::MIN_POSITIVE),
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::MAX,
        -f64::MAX,
        ZERO_THRESHOLD,
        next_up(ZERO_THRESHOLD),
        WINDOW_TOP,
        next_up(WINDOW_TOP),
        1.0,
        -1.0,
        f64::NAN,
    ]
}

#[test]
fn every_value_lands_in_client_golangs_bucket() {
    let bounds = bounds();
    let random = log_uniform();
    for schema in -4..=8 {
        let mut values = specials();
        values.extend(boundaries(&bounds, schema));
        values.extend(&random);
        let config = NativeConfig::new(factor_for(schema))
            .expect("factor")
            .max_buckets(0);
        let ours = observe_ours(config, &values);
        let reference = Reference::new(schema, ZERO_THRESHOLD, 0);
        let reference = observe_reference(&bounds, reference, &values);
        let (positive, negative) = clamp_to_window(&bounds, &reference);
        let what = format!("schema {schema}, {} values", values.len());
        assert_eq!(ours.schema, schema, "{what}");
        assert_eq!(ours.zero_threshold, ZERO_THRESHOLD, "{what}");
        assert_eq!(ours.zero, reference.zero, "{what}: zero bucket");
        assert_eq!(ours.count, reference.count, "{what}: count");
        assert_same_sum(ours.sum, reference.sum, &what);
        for (sign, ours, theirs) in [
            ("positive", &ours.positive, &positive),
            ("negative", &ours.negative, &negative),
        ] {
            let differing: Vec<_> = ours
                .keys()
                .chain(theirs.keys())
                .filter(|k| ours.get(k) != theirs.get(k))
                .map(|k| (*k, ours.get(k), theirs.get(k)))
                .take(10)
                .collect();
            assert!(
                differing.is_empty(),
                "{what}: {sign} (index, ours, client_golang): {differing:?}"
            );
        }
    }
}

#[test]
fn nan_is_counted_and_summed_but_in_no_bucket() {
    let config = NativeConfig::new(1.1)
        .expect("factor")
        .classic_buckets(false);
    let ours = observe_ours(config, &[f64::NAN, 1.0, f64::NAN]);
    assert_eq!((ours.count, ours.zero), (3, 0));
    assert!(ours.sum.is_nan());
    assert_eq!(ours.positive, BTreeMap::from([(0, 1)]));
    assert!(ours.negative.is_empty());
}

/// Inside the window, even client_golang's default zero threshold (2^-128) changes nothing;
/// outside it, each value goes to the zero bucket (`|v| <= 2^-32`) or the highest bucket
/// (`|v| > 2^32`) instead: counted here, as the window's measured cost on a log-uniform
/// stream over 2^-50 to 2^50.
#[test]
fn the_window_is_the_only_difference_from_client_golangs_defaults() {
    let bounds = bounds();
    let (inside, outside): (Vec<f64>, Vec<f64>) = log_uniform()
        .into_iter()
        .partition(|v| v.abs() > ZERO_THRESHOLD && v.abs() <= WINDOW_TOP);
    for schema in -4..=8 {
        let config = NativeConfig::new(factor_for(schema))
            .expect("factor")
            .max_buckets(0);
        let ours = observe_ours(config, &inside);
        let go = Reference::new(schema, GO_ZERO_THRESHOLD, 0);
        let go = observe_reference(&bounds, go, &inside);
        assert_eq!(
            (ours.zero, &ours.positive, &ours.negative),
            (go.zero, &go.positive, &go.negative),
            "schema {schema}"
        );

        let ours = observe_ours(config, &outside);
        let top = golang::key(&bounds, schema, WINDOW_TOP);
        let low = outside.iter().filter(|v| v.abs() <= ZERO_THRESHOLD).count() as u64;
        assert_eq!(
            ours.zero, low,
            "schema {schema}: tiny values in the zero bucket"
        );
        let high: u64 = ours.positive.values().chain(ours.negative.values()).sum();
        assert_eq!(high, outside.len() as u64 - low, "schema {schema}");
        assert!(ours
            .positive
            .keys()
            .chain(ours.negative.keys())
            .all(|k| *k == top));
    }
    // The stream's share outside the window (printed for docs/formats.md).
    println!(
        "{} of 1000 log-uniform values outside (2^-32, 2^32]",
        outside.len()
    );
    assert!(!outside.is_empty() && !inside.is_empty());
}

/// The factor → schema choice equals `pickSchema`'s on every double within 2,000 ulp of each
/// schema's own factor `2^(2^-schema)` and on 10,000 log-uniform factors; for the double
/// nearest `2^(1/32)` Go's `math.Log2` rounds to exactly 1/32, so client_golang (and the crate)
/// pick schema 5 where exact arithmetic says 6.
#[test]
fn bucket_factors_pick_client_golangs_schema() {
    let ours = |f: f64| {
        NativeConfig::new(f)
            .map(|c| c.schema())
            .expect("a factor above 1")
    };
    let mut factors = Vec::new();
    for schema in -4..=8 {
        let own = 2f64.powf(2f64.powi(-schema));
        let bits = own.to_bits();
        factors.extend((bits - 2000..=bits + 2000).map(f64::from_bits));
    }
    let mut rng = Rng(32);
    factors.extend((0..10_000).map(|_| (rng.unit() * 20.0).exp2().exp2()));
    factors.extend([next_up(1.0), f64::MAX, f64::INFINITY]);
    let mut moved = 0;
    for f in factors.into_iter().filter(|f| *f > 1.0) {
        let want = golang::pick_schema(f);
        assert_eq!(ours(f), want, "factor {f:e} ({:#x})", f.to_bits());
        let exact = -(f.log2().log2().floor() as i32);
        moved += usize::from(exact.clamp(-4, 8) != want);
    }
    assert!(moved > 0, "Go's rounding decides at some factors");
    let nearest = 2f64.powf(1.0 / 32.0);
    assert_eq!((golang::pick_schema(nearest), ours(nearest)), (5, 5));
}

/// With a bucket limit, client_golang halves its stored resolution while observing, once per
/// observation that finds too many buckets; the crate keeps the configured resolution and
/// halves at scrape time to the highest schema whose buckets fit. Both merge buckets the same
/// way. On the log-uniform stream (inside the window) both end at the same schema with the same
/// buckets; on a sparse stream, where halving once does not merge anything, client_golang stays
/// above its limit until later observations, while the crate's scrape fits it.
#[test]
fn the_bucket_limit_halves_like_client_golang_at_scrape_time() {
    let bounds = bounds();
    // Inside the window, so that only the limit differs (outside it, client_golang keeps more
    // buckets to limit).
    let dense: Vec<f64> = log_uniform()
        .into_iter()
        .filter(|v| v.abs() > ZERO_THRESHOLD && v.abs() <= WINDOW_TOP)
        .collect();
    let sparse = [1.0, 256.0, 65536.0, 16_777_216.0, -1.0];
    let (mut same, mut over) = (0, 0);
    for (values, limits) in [
        (&dense[..], &[160, 100, 40, 10, 3][..]),
        (&sparse[..], &[4, 3][..]),
    ] {
        for &limit in limits {
            for schema in [8, 5, 3, 0] {
                let config = NativeConfig::new(factor_for(schema))
                    .expect("factor")
                    .max_buckets(limit);
                let ours = observe_ours(config, values);
                let mut exact = Reference::new(schema, ZERO_THRESHOLD, 0);
                exact = observe_reference(&bounds, exact, values);
                let (mut positive, mut negative) = (exact.positive, exact.negative);
                let mut s = schema;
                while positive.len() + negative.len() > limit as usize && s > -4 {
                    (positive, negative, s) =
                        (golang::halve(&positive), golang::halve(&negative), s - 1);
                }
                let what = format!("limit {limit}, schema {schema}, {} values", values.len());
                assert_eq!(
                    (ours.schema, &ours.positive, &ours.negative),
                    (s, &positive, &negative),
                    "{what}"
                );
                let go = observe_reference(
                    &bounds,
                    Reference::new(schema, ZERO_THRESHOLD, limit as usize),
                    values,
                );
                if go.schema == ours.schema {
                    assert_eq!((go.positive, go.negative), (positive, negative), "{what}");
                    same += 1;
                } else {
                    let kept = go.positive.len() + go.negative.len();
                    assert!(
                        kept > limit as usize && go.schema > ours.schema,
                        "{what}: client_golang at {} with {kept}",
                        go.schema
                    );
                    over += 1;
                }
            }
        }
    }
    // Printed for docs/formats.md.
    println!("{same} cases at client_golang's schema and buckets, {over} where client_golang stays above its limit");
    assert_eq!((same, over), (20, 8));
}

/// Go itself (`tests/data/go-facts.json`, made by `tests/data/go-facts/main.go` with Go's own
/// `math.Log2` on amd64) agrees with the port of `math.Log2` above and with the crate on where
/// each schema starts: the smallest factor that gets it, and the double below it.
#[test]
fn schema_switch_points_are_the_ones_go_computes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/go-facts.json");
    let text = std::fs::read_to_string(path).expect("read go-facts.json");
    let facts: serde_json::Value = serde_json::from_str(&text).expect("parse go-facts.json");
    let points = facts["schema_switch_points"]
        .as_array()
        .expect("switch points");
    assert_eq!(points.len(), 12, "schemas 7 to -4");
    for p in points {
        let schema = i32::try_from(p["schema"].as_i64().expect("schema")).expect("i32");
        let hex = p["smallest_factor_bits"].as_str().expect("bits");
        let bits = u64::from_str_radix(hex.trim_start_matches("0x"), 16).expect("hex bits");
        let (at, below) = (f64::from_bits(bits), f64::from_bits(bits - 1));
        assert_eq!(
            (golang::pick_schema(at), golang::pick_schema(below)),
            (schema, schema + 1)
        );
        let ours = |f: f64| NativeConfig::new(f).map(|c| c.schema()).expect("factor");
        assert_eq!((ours(at), ours(below)), (schema, schema + 1), "{hex}");
    }
}
