//! The tests' own decoder for the protobuf exposition: the `io.prometheus.client` messages
//! (the `client_model` schema, proto2) as `prost` messages, written by hand from the schema's
//! field numbers (there is no protoc in the build) and independently of the crate's wire
//! writer, which they check. The native histogram fields are included; exemplars and created
//! timestamps are not, because nothing under test produces them (a decoder skips them as
//! unknown fields).

/// A label name and value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPair {
    /// The label name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// The label value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// The type of a metric family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetricType {
    /// A monotonic counter.
    Counter = 0,
    /// A value that goes up and down.
    Gauge = 1,
    /// Quantiles over a sliding window.
    Summary = 2,
    /// A value without a type.
    Untyped = 3,
    /// Buckets of observations (classic, native, or both).
    Histogram = 4,
    /// A histogram of a current distribution that can go down.
    GaugeHistogram = 5,
}

/// A gauge's value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Gauge {
    /// The value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

/// A counter's value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Counter {
    /// The value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

/// One quantile of a summary.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Quantile {
    /// The quantile, 0 to 1.
    #[prost(double, optional, tag = "1")]
    pub quantile: Option<f64>,
    /// Its value.
    #[prost(double, optional, tag = "2")]
    pub value: Option<f64>,
}

/// A summary's count, sum and quantiles.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// Number of observations.
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    /// Sum of the observations.
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    /// The quantiles.
    #[prost(message, repeated, tag = "3")]
    pub quantile: Vec<Quantile>,
}

/// An untyped value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Untyped {
    /// The value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

/// A histogram: classic cumulative buckets, native (sparse, exponential) buckets, or both.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// Number of observations.
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    /// Sum of the observations.
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    /// Classic buckets, by increasing upper bound; the `+Inf` bucket may be left out.
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    /// Native: the resolution; bucket boundaries are powers of `2^(2^-schema)`.
    #[prost(sint32, optional, tag = "5")]
    pub schema: Option<i32>,
    /// Native: observations with an absolute value up to this land in the zero bucket.
    #[prost(double, optional, tag = "6")]
    pub zero_threshold: Option<f64>,
    /// Native: the zero bucket's count.
    #[prost(uint64, optional, tag = "7")]
    pub zero_count: Option<u64>,
    /// Native: spans of consecutive negative buckets.
    #[prost(message, repeated, tag = "9")]
    pub negative_span: Vec<BucketSpan>,
    /// Native: each negative bucket's count minus the previous bucket's (the first: itself).
    #[prost(sint64, repeated, packed = "true", tag = "10")]
    pub negative_delta: Vec<i64>,
    /// Native: spans of consecutive positive buckets.
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    /// Native: each positive bucket's count minus the previous bucket's (the first: itself).
    #[prost(sint64, repeated, packed = "true", tag = "13")]
    pub positive_delta: Vec<i64>,
}

/// A classic histogram bucket.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Bucket {
    /// Observations up to and including the upper bound.
    #[prost(uint64, optional, tag = "1")]
    pub cumulative_count: Option<u64>,
    /// The inclusive upper bound.
    #[prost(double, optional, tag = "2")]
    pub upper_bound: Option<f64>,
}

/// A run of consecutive native buckets: `offset` from the end of the previous span (for the
/// first span: the index of its first bucket), and how many buckets it holds.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BucketSpan {
    /// Gap to the previous span, or the first bucket's index.
    #[prost(sint32, optional, tag = "1")]
    pub offset: Option<i32>,
    /// Buckets in the span.
    #[prost(uint32, optional, tag = "2")]
    pub length: Option<u32>,
}

/// One series of a family: its labels and the value of the family's type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// The series' labels.
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    /// Set in gauge families.
    #[prost(message, optional, tag = "2")]
    pub gauge: Option<Gauge>,
    /// Set in counter families.
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Counter>,
    /// Set in summary families.
    #[prost(message, optional, tag = "4")]
    pub summary: Option<Summary>,
    /// Set in untyped families.
    #[prost(message, optional, tag = "5")]
    pub untyped: Option<Untyped>,
    /// Set in histogram families.
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
    /// Milliseconds since the epoch, when the value is not from the time of the scrape.
    #[prost(int64, optional, tag = "6")]
    pub timestamp_ms: Option<i64>,
}

/// A metric family: name, HELP, type and series.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricFamily {
    /// The family name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// The HELP text (not escaped).
    #[prost(string, optional, tag = "2")]
    pub help: Option<String>,
    /// The [`MetricType`], as its number.
    #[prost(enumeration = "MetricType", optional, tag = "3")]
    pub r#type: Option<i32>,
    /// The series.
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
}
