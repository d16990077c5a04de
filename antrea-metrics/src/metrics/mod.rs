//! The value stores behind the typed handles: one atomic per counter or gauge, per-thread
//! shards of bucket atomics for histograms (and for counters made sharded). Handles are cheap to
//! clone and share their store.

mod counter;
mod gauge;
mod histogram;
mod native;
mod native_bounds;
mod shard;

pub use counter::{Counter, CounterMode};
pub use gauge::Gauge;
pub use histogram::{Histogram, HistogramSnapshot};
pub(crate) use native::NativeSnapshot;
pub use native::{NativeConfig, NativeHistograms};
