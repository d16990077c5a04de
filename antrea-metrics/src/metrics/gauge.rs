use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A value that goes up and down (Prometheus type `gauge`), stored as the bits of an `f64`.
///
/// Setting is one relaxed store; adding is a compare-and-swap loop.
///
/// ```
/// use antrea_metrics::Gauge;
/// let g = Gauge::default();
/// g.set(41.0);
/// g.inc();
/// assert_eq!(g.get(), 42.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` (which may be negative).
    #[inline]
    pub fn add(&self, delta: f64) {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + delta).to_bits();
            match self
                .0
                .compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        self.add(-delta);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_adds_are_exact() {
        let g = Gauge::default();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| (0..10_000).for_each(|_| g.inc()));
            }
        });
        assert_eq!(g.get(), 20_000.0);
        g.sub(5.0);
        g.dec();
        assert_eq!(g.get(), 19_994.0);
    }
}
