//! A small seedable generator (xoshiro256**, seeded through SplitMix64), so that a run is
//! reproducible from `--seed` alone and does not depend on a random-number crate's version.

/// A deterministic pseudo-random generator; not for secrets.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for `seed`; equal seeds give equal sequences.
    pub fn seeded(seed: u64) -> Self {
        // SplitMix64 spreads any seed (even 0) over the whole state, as xoshiro's authors advise.
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        // The top 53 bits make every representable multiple of 2^-53 equally likely.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift maps 64 bits onto 0..n with a bias far below what a simulation can see.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal sample (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        let r = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        r * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// A log-normal sample with the given median and shape: most values near the median, with
    /// the long right tail that latencies have.
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// A count with mean `mean`, spread like arrivals in an interval (Poisson for small means,
    /// its normal approximation for large ones, where Knuth's method would loop too long).
    pub fn arrivals(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as u64;
        }
        let limit = (-mean).exp();
        let mut product = self.unit();
        let mut k = 0;
        // Bounded: the product shrinks geometrically, and 1000 is far past any mean <= 30.
        while product > limit && k < 1000 {
            product *= self.unit();
            k += 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::seeded(7), Rng::seeded(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::seeded(7).next_u64(), Rng::seeded(8).next_u64());
    }

    #[test]
    fn ranges_hold() {
        let mut r = Rng::seeded(1);
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(5) < 5);
            assert!((3..=4).contains(&r.between(3, 4)));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.arrivals(0.0), 0);
    }

    #[test]
    fn log_normal_median_is_close() {
        let mut r = Rng::seeded(3);
        let mut v: Vec<f64> = (0..5001).map(|_| r.log_normal(0.8, 0.6)).collect();
        v.sort_by(f64::total_cmp);
        let median = v[2500];
        assert!((0.7..0.9).contains(&median), "{median}");
    }

    #[test]
    fn arrivals_mean_is_close() {
        let mut r = Rng::seeded(4);
        for mean in [0.5, 4.0, 100.0] {
            let total: u64 = (0..4000).map(|_| r.arrivals(mean)).sum();
            let got = total as f64 / 4000.0;
            assert!((got - mean).abs() < mean * 0.1 + 0.05, "{mean}: {got}");
        }
    }
}
