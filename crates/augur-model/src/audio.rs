//! Audio features for the audio token: log-mel energies averaged over each video frame's span,
//! scaled to roughly unit range.

use burn::tensor::{Device, Tensor, TensorData};

/// Natural-log energy floor: silence maps here.
pub const LOG_FLOOR: f32 = -23.0;

/// Maps `ln(mel energy)` to the scale the audio encoder expects, about -1 for silence and
/// around 0..1 for speech at normal levels.
pub fn scale_logmel(ln_energy: f32) -> f32 {
    (ln_energy.max(LOG_FLOOR) + 5.0) / 18.0
}

/// Scaled log-mel of silence for `[batch, steps, mels]`, for sources without sound.
pub fn silence(batch: usize, steps: usize, mels: usize, device: &Device) -> Tensor<3> {
    features_tensor(silent_features(batch * steps, mels), batch, steps, device)
}

/// Scaled log-mel features of `frames` silent frames, `mels` each.
pub fn silent_features(frames: usize, mels: usize) -> Vec<f32> {
    vec![scale_logmel(LOG_FLOOR); frames * mels]
}

/// Frame-major features of `batch` clips of `steps` frames each as `[batch, steps, mels]`,
/// the bins per frame taken from the length.
pub fn features_tensor(values: Vec<f32>, batch: usize, steps: usize, device: &Device) -> Tensor<3> {
    let mels = values.len() / (batch * steps).max(1);
    Tensor::from_data(TensorData::new(values, [batch, steps, mels]), device)
}

/// Scaled log-mel features for `frames` video frames at `fps`, from mono `samples` at
/// `sample_rate`: the log-mel spectrogram (`augur_gpu::logmel`'s CPU reference, 10 ms hop)
/// averaged over each frame's span. Frames past the end of the audio get silence.
/// Returns `frames × mels` values, frame-major.
pub fn frame_features(samples: &[f32], sample_rate: u32, fps: f64, frames: usize, mels: usize) -> Vec<f32> {
    let silent = scale_logmel(LOG_FLOOR);
    let mut out = vec![silent; frames * mels];
    if mels == 0 || sample_rate == 0 || fps.is_nan() || fps <= 0.0 {
        return out;
    }
    let params = augur_gpu::logmel::Params { n_mels: mels as u32, ..augur_gpu::logmel::Params::new(sample_rate) };
    let Ok(spectrogram) = augur_gpu::logmel::reference(samples, &params) else { return out };
    let rows = spectrogram.len() / mels;
    let hop_s = f64::from(params.hop) / f64::from(sample_rate);
    for (f, slot) in out.chunks_mut(mels).enumerate() {
        // Mel rows whose window starts within this frame's span [f, f+1) / fps.
        let first = ((f as f64 / fps) / hop_s).floor() as usize;
        let last = ((((f + 1) as f64 / fps) / hop_s).ceil() as usize).min(rows);
        if first >= last {
            continue;
        }
        for (m, v) in slot.iter_mut().enumerate() {
            let mean = (first..last).map(|r| spectrogram[r * mels + m]).sum::<f32>() / (last - first) as f32;
            *v = scale_logmel(mean);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lights_its_band_and_silence_stays_at_the_floor() {
        let rate = 16_000;
        let tone: Vec<f32> =
            (0..rate).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin() * 0.5).collect();
        let feats = frame_features(&tone, rate, 30.0, 40, 64);
        assert_eq!(feats.len(), 40 * 64);
        let frame = &feats[10 * 64..11 * 64];
        let loudest = frame.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
        assert!(frame[loudest] > 0.0 && (10..30).contains(&loudest), "band {loudest}: {frame:?}");
        // One second of audio covers 30 frames; the rest is silence.
        assert!(feats[35 * 64..36 * 64].iter().all(|v| (*v - scale_logmel(LOG_FLOOR)).abs() < 1e-6));
    }
}
