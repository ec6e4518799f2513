//! Image metrics on planar `3 × S × S` f32 frames in [0, 1]: MSE, PSNR and SSIM, and the
//! blend weight that fades a prediction by what its last guess earned.

/// Mean squared error over all values.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>() / n as f64
}

/// How much of a prediction's change to keep: the weight `g` in [0, 1] for which
/// `previous + g × (predicted − previous)` comes closest to `actual` (least squares). 1 when
/// the prediction did not change the frame.
pub fn blend_weight(predicted: &[f32], previous: &[f32], actual: &[f32]) -> f32 {
    let (mut along, mut norm) = (0.0f64, 0.0f64);
    for ((p, a), x) in predicted.iter().zip(previous).zip(actual) {
        let change = f64::from(p - a);
        along += change * f64::from(x - a);
        norm += change * change;
    }
    if norm <= 1e-12 { 1.0 } else { (along / norm).clamp(0.0, 1.0) as f32 }
}

/// Moves each frame of `frames` (planar frames of `anchor`'s length, one after the other)
/// toward `anchor` so only `weight` of its change from it is kept: `anchor + weight × (frame −
/// anchor)`.
pub fn fade_toward(frames: &mut [f32], anchor: &[f32], weight: f32) {
    for frame in frames.chunks_mut(anchor.len().max(1)) {
        for (v, a) in frame.iter_mut().zip(anchor) {
            *v = a + weight * (*v - a);
        }
    }
}

/// The live form of [`ModelConfig::fade_by_last_step`](crate::ModelConfig::fade_by_last_step)
/// over a stream of frames: remembers the last frame and the one-step prediction drawn over it,
/// and fades each new rollout by what that prediction earned.
#[derive(Clone, Debug, Default)]
pub struct LastStep(Option<(Vec<f32>, Vec<f32>)>);

impl LastStep {
    /// Fades `predicted` (the rollout drawn over `frame`, one frame after another, the first
    /// being the next frame) toward `frame` by the weight the previous call's first predicted
    /// frame earned on `frame` (1 on the first call), and remembers this call's. Returns the weight.
    pub fn fade(&mut self, frame: &[f32], predicted: &mut [f32]) -> f32 {
        let weight = self.0.take().map_or(1.0, |(previous, guess)| blend_weight(&guess, &previous, frame));
        self.0 = Some((frame.to_vec(), predicted[..frame.len().min(predicted.len())].to_vec()));
        fade_toward(predicted, frame, weight);
        weight
    }
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

    #[test]
    fn the_blend_weight_keeps_what_the_prediction_earned() {
        let previous = [0.0, 0.0, 0.0, 0.0];
        // The frame moved half as far as predicted, or not at all, or as predicted.
        assert_eq!(blend_weight(&[1.0, 0.0, 1.0, 0.0], &previous, &[0.5, 0.0, 0.5, 0.0]), 0.5);
        assert_eq!(blend_weight(&[1.0, 0.0, 1.0, 0.0], &previous, &previous), 0.0);
        assert_eq!(blend_weight(&[1.0, 0.0, 1.0, 0.0], &previous, &[1.0, 0.0, 1.0, 0.0]), 1.0);
        // A prediction that changes nothing is kept as it is.
        assert_eq!(blend_weight(&previous, &previous, &[1.0; 4]), 1.0);
        let mut frames = vec![1.0, 1.0, 0.5, 0.5];
        fade_toward(&mut frames, &[0.0, 1.0], 0.25);
        assert_eq!(frames, vec![0.25, 1.0, 0.125, 0.875]);
    }
}
