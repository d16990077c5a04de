//! The value stores behind the typed handles: one atomic per counter or gauge, one atomic per
//! bucket for histograms. Handles are cheap to clone and share their store.

mod counter;
mod gauge;
mod histogram;

pub use counter::Counter;
pub use gauge::Gauge;
pub use histogram::{Histogram, HistogramSnapshot, Unit};
