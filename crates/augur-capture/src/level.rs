//! Audio level and pitch, for probes, meters and the microphone test.

use serde::Serialize;

/// Loudness and dominant frequency of a stretch of mono audio.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct AudioLevel {
    /// RMS level in dB relative to full scale (−inf for digital silence, reported as −120).
    pub rms_dbfs: f32,
    /// Largest absolute sample.
    pub peak: f32,
    /// Frequency with the most energy, in Hz (0 when there is no sound).
    pub dominant_hz: f32,
}

/// Samples analysed for pitch: the last ~85 ms at 48 kHz is plenty for a tone and keeps the
/// plain DFT below a few million multiply-adds.
const PITCH_WINDOW: usize = 4096;

/// Measures level over all of `samples` and pitch over their last [`PITCH_WINDOW`].
pub fn audio_level(samples: &[f32], sample_rate: u32) -> AudioLevel {
    if samples.is_empty() || sample_rate == 0 {
        return AudioLevel { rms_dbfs: -120.0, peak: 0.0, dominant_hz: 0.0 };
    }
    let energy: f64 = samples.iter().map(|s| f64::from(*s) * f64::from(*s)).sum::<f64>() / samples.len() as f64;
    let rms_dbfs = if energy > 0.0 { (10.0 * energy.log10()).max(-120.0) as f32 } else { -120.0 };
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let window = &samples[samples.len().saturating_sub(PITCH_WINDOW)..];
    AudioLevel { rms_dbfs, peak, dominant_hz: dominant_frequency(window, sample_rate) }
}

/// The strongest frequency in `x` by a Hann-windowed DFT, refined between bins by a parabola.
fn dominant_frequency(x: &[f32], sample_rate: u32) -> f32 {
    let n = x.len();
    if n < 16 {
        return 0.0;
    }
    let hann = |i: usize| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
    let xs: Vec<f64> = x.iter().enumerate().map(|(i, s)| f64::from(*s) * hann(i)).collect();
    let power = |k: usize| {
        let w = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, s) in xs.iter().enumerate() {
            let a = w * i as f64;
            re += s * a.cos();
            im -= s * a.sin();
        }
        re * re + im * im
    };
    let spectrum: Vec<f64> = (0..n / 2).map(power).collect();
    // Skip DC and the lowest bin: hum and offsets are not what we are looking for.
    let Some((k, _)) = spectrum.iter().enumerate().skip(2).max_by(|a, b| a.1.total_cmp(b.1)) else { return 0.0 };
    if spectrum[k] <= 1e-12 {
        return 0.0;
    }
    let (a, b, c) = (spectrum[k - 1], spectrum[k], spectrum.get(k + 1).copied().unwrap_or(0.0));
    let denom = a - 2.0 * b + c;
    let shift = if denom.abs() > 1e-12 { 0.5 * (a - c) / denom } else { 0.0 };
    ((k as f64 + shift.clamp(-0.5, 0.5)) * f64::from(sample_rate) / n as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_440_hz_tone_and_its_level() {
        let rate = 48_000;
        let tone: Vec<f32> =
            (0..rate).map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin()).collect();
        let level = audio_level(&tone, rate);
        assert!((level.dominant_hz - 440.0).abs() < 3.0, "{level:?}");
        // A sine of amplitude 0.5 has RMS 0.354, i.e. about −9 dBFS.
        assert!((level.rms_dbfs + 9.03).abs() < 0.1, "{level:?}");
        assert!((level.peak - 0.5).abs() < 1e-3);
    }

    #[test]
    fn silence_is_silent() {
        let level = audio_level(&[0.0; 1000], 48_000);
        assert_eq!((level.rms_dbfs, level.dominant_hz), (-120.0, 0.0));
    }
}
