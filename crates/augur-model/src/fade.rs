//! Fading ([`ModelConfig::fade_by_last_step`](crate::ModelConfig::fade_by_last_step)): each
//! predicted frame keeps only the share of its change from the last observed frame that the
//! model's guesses as far ahead earned on the frame just seen. A step-1 guess is judged by the
//! rollout drawn one frame ago, a step-8 guess by the one drawn eight frames ago, so a model
//! that blurs the next frame but gets the trajectory right keeps its later steps.

use std::collections::VecDeque;

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

/// One weight per step ahead `1..=steps` from those measured (`measured[k - 1]` for step k):
/// a step without a measure takes the nearest shorter step's, and 1 (keep the guess) when no
/// shorter step has one either, as on the first frame of a stream.
pub fn per_step(measured: &[Option<f32>], steps: usize) -> Vec<f32> {
    let mut last = 1.0;
    (0..steps)
        .map(|k| {
            if let Some(w) = measured.get(k).copied().flatten() {
                last = w;
            }
            last
        })
        .collect()
}

/// Fades step `k` of a rollout (planar frames of `anchor`'s length, the next frame first)
/// toward `anchor` by `weights[k]`.
pub fn fade_steps(predicted: &mut [f32], anchor: &[f32], weights: &[f32]) {
    for (frame, w) in predicted.chunks_mut(anchor.len().max(1)).zip(weights) {
        fade_toward(frame, anchor, *w);
    }
}

/// Fading over a stream of frames: remembers the rollouts of the last frames, as drawn, and
/// fades each new rollout by what they earned on the newest frame.
#[derive(Clone, Debug, Default)]
pub struct PastRollouts {
    /// Newest first: the frame a rollout was drawn over, and the rollout before fading.
    recent: VecDeque<(Vec<f32>, Vec<f32>)>,
}

impl PastRollouts {
    /// Fades `predicted` (the rollout drawn over `frame`, one planar frame per step) step by
    /// step, remembers it unfaded, and returns the weight each step kept.
    pub fn fade(&mut self, frame: &[f32], predicted: &mut [f32]) -> Vec<f32> {
        let n = frame.len().max(1);
        // The rollout drawn `ago + 1` frames back guessed this frame at its step `ago + 1`.
        let measured: Vec<Option<f32>> = self
            .recent
            .iter()
            .enumerate()
            .map(|(ago, (base, guess))| guess.get(ago * n..(ago + 1) * n).map(|g| blend_weight(g, base, frame)))
            .collect();
        let steps = predicted.len() / n;
        self.recent.push_front((frame.to_vec(), predicted.to_vec()));
        self.recent.truncate(steps.max(1));
        let weights = per_step(&measured, steps);
        fade_steps(predicted, frame, &weights);
        weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn unmeasured_steps_take_the_nearest_shorter_steps_weight() {
        assert_eq!(per_step(&[], 3), vec![1.0, 1.0, 1.0]);
        assert_eq!(per_step(&[Some(0.5), None, Some(0.25)], 5), vec![0.5, 0.5, 0.25, 0.25, 0.25]);
        assert_eq!(per_step(&[None, Some(0.0)], 2), vec![1.0, 0.0]);
    }

    #[test]
    fn each_step_is_judged_by_the_rollout_that_far_back() {
        // One-value frames; the world moves +1 a frame. The model's step 1 is right and its
        // step 2 guesses twice the real change.
        let mut past = PastRollouts::default();
        let roll = |x: f32| vec![x + 1.0, x + 4.0];
        let mut first = roll(0.0);
        assert_eq!(past.fade(&[0.0], &mut first), vec![1.0, 1.0]);
        assert_eq!(first, roll(0.0));
        let mut second = roll(1.0);
        // Only step 1 has been judged (exactly right): both steps keep everything.
        assert_eq!(past.fade(&[1.0], &mut second), vec![1.0, 1.0]);
        let mut third = roll(2.0);
        // Now step 2 drawn over 0 guessed 4 for the frame that came at 2: it earned half.
        assert_eq!(past.fade(&[2.0], &mut third), vec![1.0, 0.5]);
        assert_eq!(third, vec![3.0, 2.0 + 0.5 * 4.0]);
    }
}
