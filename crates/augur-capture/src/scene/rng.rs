//! A small seeded generator (SplitMix64) and counter-based hashing, so a scene is the same
//! on every platform, every build and every run.

/// Added to the state on every draw; the odd 64-bit golden-ratio constant of SplitMix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finaliser: a bijective avalanche mix of one word.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of three words, for draws that must not depend on how many came before
/// (per-pixel noise: pixel `k` of frame `f` gets the same value whatever else changed).
pub(super) fn hash3(a: u64, b: u64, c: u64) -> u64 {
    mix(mix(mix(a ^ GOLDEN).wrapping_add(b)).wrapping_add(c))
}

/// Draw number `k` of the SplitMix64 stream that starts at `key`, without drawing the others.
pub(super) fn stream_at(key: u64, k: u64) -> u64 {
    mix(key.wrapping_add(k.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// SplitMix64. Its output is fully specified by the seed, unlike generators from crates whose
/// streams may change between versions; training data must regenerate bit for bit.
#[derive(Debug, Clone)]
pub(super) struct Rng {
    state: u64,
}

impl Rng {
    /// One independent stream per `(seed, stream)`: parts of a scene draw from their own
    /// stream so that adding a draw to one part never shifts the numbers another part gets.
    pub(super) fn new(seed: u64, stream: u64) -> Self {
        Self { state: hash3(seed, stream, 0) }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in `[0, 1)` with 53 random bits: exact in `f64`, so identical everywhere.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub(super) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// `1.0` or `-1.0` with equal odds.
    pub(super) fn sign(&mut self) -> f64 {
        if self.next_u64() >> 63 == 0 { 1.0 } else { -1.0 }
    }
}

/// A sample with mean 0 and standard deviation 1, roughly normal, from one hash word: the sum
/// of four 16-bit uniforms (Irwin–Hall). It needs no `ln` or `cos`, whose last bits may differ
/// between platforms, and its tails stop at ±3.5σ, which suits camera noise.
pub(super) fn gaussish(h: u64) -> f32 {
    let sum = (h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48);
    // Each part is uniform on {0..65535}; +0.5 per part centres it, sqrt(12/4) scales to σ = 1.
    // `sum` < 2^24, so the conversion is exact.
    ((sum as f32 + 2.0) / 65536.0 - 2.0) * 1.732_050_8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let draw = |seed, stream| {
            let mut rng = Rng::new(seed, stream);
            (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        let (a, b, c) = (draw(7, 1), draw(7, 1), draw(7, 2));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn gaussish_has_unit_spread() {
        let n = 20_000u64;
        let xs: Vec<f64> = (0..n).map(|k| f64::from(gaussish(hash3(1, 2, k)))).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - 1.0).abs() < 0.05, "std {}", var.sqrt());
    }
}
