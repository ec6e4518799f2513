//! Image metrics on planar `3 × S × S` f32 frames in [0, 1]: MSE, PSNR and SSIM.

/// Mean squared error over all values.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>() / n as f64
}

/// The largest elementwise difference of two readings, for checks that two computations agree:
/// infinite when the lengths differ or a value is not finite (`f32::max` alone drops a NaN and
/// `zip` stops at the shorter, so a broken reading would pass as equal).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    let gap = |(x, y): (&f32, &f32)| if x.is_finite() && y.is_finite() { (x - y).abs() } else { f32::INFINITY };
    a.iter().zip(b).map(gap).fold(0.0, f32::max)
}

/// Peak signal-to-noise ratio in dB for signals in [0, 1]; capped at 100 dB for identical frames.
pub fn psnr(mse: f64) -> f64 {
    if mse <= 1e-10 { 100.0 } else { (10.0 * (1.0 / mse).log10()).min(100.0) }
}

/// Structural similarity (Wang et al. 2004) with 7×7 uniform windows, stride 1, per channel,
/// averaged; constants for a dynamic range of 1.
pub fn ssim(a: &[f32], b: &[f32], size: usize) -> f64 {
    const WIN: usize = 7;
    const C1: f64 = 0.01 * 0.01;
    const C2: f64 = 0.03 * 0.03;
    if size < WIN || a.len() < 3 * size * size || b.len() < 3 * size * size {
        return f64::NAN;
    }
    let plane = size * size;
    let n = (WIN * WIN) as f64;
    let mut total = 0.0;
    let mut count = 0usize;
    for c in 0..3 {
        let (pa, pb) = (&a[c * plane..][..plane], &b[c * plane..][..plane]);
        for y in 0..=size - WIN {
            for x in 0..=size - WIN {
                let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for dy in 0..WIN {
                    for dx in 0..WIN {
                        let i = (y + dy) * size + x + dx;
                        let (va, vb) = (f64::from(pa[i]), f64::from(pb[i]));
                        sa += va;
                        sb += vb;
                        saa += va * va;
                        sbb += vb * vb;
                        sab += va * vb;
                    }
                }
                let (ma, mb) = (sa / n, sb / n);
                let (va, vb, cov) = (saa / n - ma * ma, sbb / n - mb * mb, sab / n - ma * mb);
                total += ((2.0 * ma * mb + C1) * (2.0 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
                count += 1;
            }
        }
    }
    total / count as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_reading_never_agrees() {
        assert_eq!(max_abs_diff(&[1.0, 2.0], &[1.0, 2.5]), 0.5);
        assert_eq!(max_abs_diff(&[1.0, 2.0], &[1.0]), f32::INFINITY);
        assert_eq!(max_abs_diff(&[f32::NAN], &[f32::NAN]), f32::INFINITY);
        assert_eq!(max_abs_diff(&[1.0, f32::INFINITY], &[1.0, f32::INFINITY]), f32::INFINITY);
        assert_eq!(max_abs_diff(&[], &[]), 0.0);
    }

    #[test]
    fn identical_frames_are_perfect() {
        let a: Vec<f32> = (0..3 * 16 * 16).map(|i| (i % 17) as f32 / 17.0).collect();
        assert_eq!(mse(&a, &a), 0.0);
        assert_eq!(psnr(0.0), 100.0);
        assert!((ssim(&a, &a, 16) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn worse_frames_score_worse() {
        let a: Vec<f32> = (0..3 * 16 * 16).map(|i| (i % 17) as f32 / 17.0).collect();
        let slightly: Vec<f32> = a.iter().map(|v| v * 0.95).collect();
        let flat = vec![0.5f32; a.len()];
        assert!(mse(&a, &slightly) < mse(&a, &flat));
        assert!(ssim(&a, &slightly, 16) > ssim(&a, &flat, 16));
        assert!((psnr(0.01) - 20.0).abs() < 1e-9);
    }
}
