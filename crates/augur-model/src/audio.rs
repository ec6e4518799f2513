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
/// `sample_rate`: frame `f` gets the log-mel spectrogram (`augur_gpu::logmel`'s CPU reference,
/// 10 ms hop) of its own span, samples `f / fps` to `(f + 1) / fps`, averaged over the windows
/// that lie wholly inside it. A span shorter than one window (8 kHz at 30 fps, 16 kHz at 60)
/// takes the one window ending with it, reaching into the frames before. No window reaches past
/// a frame's end, so a frame hears nothing of what comes after it, as the live view hears a
/// microphone ([`last_frame_features`]). A frame past the end of the audio is silence.
/// Returns `frames × mels` values, frame-major.
pub fn frame_features(samples: &[f32], sample_rate: u32, fps: f64, frames: usize, mels: usize) -> Vec<f32> {
    let silent = scale_logmel(LOG_FLOOR);
    let mut out = vec![silent; frames * mels];
    if mels == 0 || sample_rate == 0 || fps.is_nan() || fps <= 0.0 {
        return out;
    }
    let edge = |frame: usize| (frame as f64 / fps * f64::from(sample_rate)).round() as usize;
    for (f, slot) in out.chunks_mut(mels).enumerate() {
        let (start, end) = (edge(f).min(samples.len()), edge(f + 1).min(samples.len()));
        let start = start.max(end.saturating_sub(heard_span(sample_rate)));
        // Only a frame whole inside the sound reaches back (past its end it is silence).
        let reach = edge(f + 1) <= samples.len();
        hear(samples, start, end, reach, sample_rate, slot);
    }
    out
}

/// The features of the newest frame of a live sound: the last `1 / fps` s of `samples` (or
/// the one window ending with them), heard as [`frame_features`] hears each frame of a clip.
pub fn last_frame_features(samples: &[f32], sample_rate: u32, fps: f64, mels: usize) -> Vec<f32> {
    let mut out = vec![scale_logmel(LOG_FLOOR); mels];
    if mels == 0 || sample_rate == 0 || fps.is_nan() || fps <= 0.0 {
        return out;
    }
    let span = ((f64::from(sample_rate) / fps).round() as usize).min(heard_span(sample_rate));
    hear(samples, samples.len().saturating_sub(span), samples.len(), true, sample_rate, &mut out);
    out
}

/// The most a frame hears: the last second before it. A frame's span is `1 / fps` s, and a
/// slideshow at 0.001 fps would have each frame hear 1000 s (minutes of log-mels apiece).
fn heard_span(sample_rate: u32) -> usize {
    sample_rate as usize
}

/// Writes into `slot` (one value per mel band) the mean log-mel of `samples[start..end]`, or
/// with `reach` and a span shorter than one window, of the window ending at `end`; leaves it
/// as it is when there is not one whole window.
fn hear(samples: &[f32], start: usize, end: usize, reach: bool, sample_rate: u32, slot: &mut [f32]) {
    let mels = slot.len();
    let params = augur_gpu::logmel::Params { n_mels: mels as u32, ..augur_gpu::logmel::Params::new(sample_rate) };
    let window = params.n_fft as usize;
    let start = if reach && end - start < window { end.saturating_sub(window) } else { start };
    let Ok(spectrogram) = augur_gpu::logmel::reference(&samples[start..end], &params) else { return };
    let rows = spectrogram.len() / mels;
    if rows == 0 {
        return;
    }
    for (m, v) in slot.iter_mut().enumerate() {
        *v = scale_logmel((0..rows).map(|r| spectrogram[r * mels + m]).sum::<f32>() / rows as f32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One second of a `hz` sine at half scale, sampled at `rate`.
    fn sine(rate: u32, hz: f32) -> Vec<f32> {
        (0..rate).map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5).collect()
    }

    /// `len` samples of silence with a knock of `n` samples at `at`.
    fn knocked(len: usize, at: usize, n: usize) -> Vec<f32> {
        let mut sound = vec![0.0f32; len];
        for (i, v) in sound[at..at + n].iter_mut().enumerate() {
            *v = (i as f32 * 0.7).sin() * 0.8;
        }
        sound
    }

    #[test]
    fn a_tone_lights_its_band_and_silence_stays_at_the_floor() {
        let rate = 16_000;
        let tone = sine(rate, 1000.0);
        let feats = frame_features(&tone, rate, 30.0, 40, 64);
        assert_eq!(feats.len(), 40 * 64);
        let frame = &feats[10 * 64..11 * 64];
        let loudest = frame.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
        assert!(frame[loudest] > 0.0 && (10..30).contains(&loudest), "band {loudest}: {frame:?}");
        // One second of audio covers 30 frames; the rest is silence.
        assert!(feats[35 * 64..36 * 64].iter().all(|v| (*v - scale_logmel(LOG_FLOOR)).abs() < 1e-6));
    }

    /// A frame shorter than one spectrogram window (8 kHz at 30 fps: 267 samples of 512) hears
    /// the tone played: it heard silence whatever was played.
    #[test]
    fn short_frames_hear_what_is_played() {
        let rate = 8_000;
        let tone = sine(rate, 700.0);
        let feats = frame_features(&tone, rate, 30.0, 30, 32);
        let floor = scale_logmel(LOG_FLOOR);
        // From the second frame on (the first has not a window of sound before its end).
        for f in 2..30 {
            assert!(feats[f * 32..(f + 1) * 32].iter().any(|v| *v > floor + 1.0), "frame {f} heard nothing");
        }
    }

    /// The live view's newest frame hears what training hears for the last frame of a clip, for
    /// frames shorter than a window (8 kHz at 25 fps: 320 samples) and longer (16 kHz at 20).
    #[test]
    fn live_and_training_hear_a_frame_alike() {
        for (rate, fps) in [(8_000u32, 25.0), (16_000, 20.0)] {
            let frames = 10;
            let n = (f64::from(rate) / fps) as usize * frames;
            let noise: Vec<f32> = (0..n).map(|i| ((i * 7919 % 263) as f32 / 263.0 - 0.5) * 0.6).collect();
            let clip = frame_features(&noise, rate, fps, frames, 16);
            assert_eq!(last_frame_features(&noise, rate, fps, 16), clip[(frames - 1) * 16..], "{rate} Hz at {fps} fps");
        }
    }

    /// A knock right at the start of frame 11's span is heard by frame 11 and by no frame
    /// before it: a frame never hears the future (the live view cannot).
    #[test]
    fn a_frame_hears_nothing_after_its_own_span() {
        let (rate, fps) = (16_000u32, 30.0);
        let start = (11.0 / fps * f64::from(rate)).round() as usize;
        let sound = knocked(rate as usize, start, 200);
        let feats = frame_features(&sound, rate, fps, 20, 64);
        let loud = |f: usize| feats[f * 64..(f + 1) * 64].iter().any(|v| *v > scale_logmel(LOG_FLOOR) + 0.1);
        assert!(loud(11), "frame 11 does not hear its knock");
        assert!(!(0..11).any(loud), "a frame before 11 heard the knock to come");
    }

    /// A frame of a slideshow (0.01 fps: 100 s a frame) hears the last second before it, so
    /// a knock in that second is heard and one a minute earlier is not; the same live.
    #[test]
    fn a_long_frame_hears_its_last_second() {
        let (rate, fps) = (8_000u32, 0.01);
        let span = rate as usize * 100;
        let knock = |at: usize| knocked(span, at, 400);
        let loud = |feats: &[f32]| feats.iter().any(|v| *v > scale_logmel(LOG_FLOOR) + 0.1);
        let late = knock(span - rate as usize / 2);
        assert!(loud(&frame_features(&late, rate, fps, 1, 32)), "the last second's knock is heard");
        assert!(loud(&last_frame_features(&late, rate, fps, 32)));
        let early = knock(rate as usize * 40);
        assert!(!loud(&frame_features(&early, rate, fps, 1, 32)), "a knock a minute before is not");
        assert!(!loud(&last_frame_features(&early, rate, fps, 32)));
    }
}
