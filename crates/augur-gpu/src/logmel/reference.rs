//! The CPU reference of `shaders/logmel.wgsl`: a direct DFT in f64 over the kernel's tables.

use super::{FLOOR, GpuError, Params};

/// The log-mel spectrogram of `audio` on the CPU, `[frames][n_mels]`, to test the kernel against.
///
/// It uses the kernel's f32 window, cos/sin and filterbank tables, but a direct DFT summed in
/// f64 where the kernel runs an f32 FFT: the exact value the kernel approximates.
///
/// # Errors
/// [`GpuError::InvalidInput`] for invalid params, as [`super::LogMel::new`].
pub fn reference(audio: &[f32], params: &Params) -> Result<Vec<f32>, GpuError> {
    params.check()?;
    let n_fft = params.n_fft as usize;
    let n_bins = params.n_bins();
    let tables: Vec<f64> = params.tables().into_iter().map(f64::from).collect();
    let (window, cos, sin) = (&tables[..n_fft], &tables[n_fft..2 * n_fft], &tables[2 * n_fft..]);
    let filters = params.filterbank();
    let mut out = Vec::with_capacity(params.frames(audio.len()) * params.n_mels as usize);
    let mut power = vec![0.0f64; n_bins];
    for f in 0..params.frames(audio.len()) {
        let start = f * params.hop as usize;
        // A sample that is not a finite number counts as silence, as in the kernel.
        let sample = |x: f32| if x.is_finite() { f64::from(x) } else { 0.0 };
        let frame: Vec<f64> = audio[start..start + n_fft].iter().zip(window).map(|(x, w)| sample(*x) * w).collect();
        for (k, p) in power.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for (n, x) in frame.iter().enumerate() {
                let j = (k * n) & (n_fft - 1);
                re += x * cos[j];
                im += x * sin[j];
            }
            *p = re * re + im * im;
        }
        for row in filters.chunks_exact(n_bins) {
            let energy: f64 = row.iter().zip(&power).map(|(w, p)| f64::from(*w) * p).sum();
            out.push(energy.max(f64::from(FLOOR)).ln() as f32);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_follows_the_no_padding_rule() {
        let p = Params::new(16_000);
        assert_eq!((p.n_fft, p.hop, p.n_mels), (512, 160, 64));
        assert_eq!(p.frames(511), 0);
        assert_eq!(p.frames(512), 1);
        assert_eq!(p.frames(512 + 159), 1);
        assert_eq!(p.frames(512 + 160), 2);
        assert!(reference(&[0.0; 100], &p).unwrap().is_empty());
    }

    #[test]
    fn htk_edges_and_triangles() {
        let p = Params { n_mels: 2, f_min: 0.0, f_max: 8000.0, ..Params::new(16_000) };
        let edges = p.mel_edges();
        assert_eq!(edges.len(), 4);
        assert!(edges[0].abs() < 1e-9 && (edges[3] - 8000.0).abs() < 1e-6, "{edges:?}");
        // 2595·log10(1 + 8000/700) = 2840.02 mel; a third of it is 946.67 mel = 921.46 Hz.
        assert!((edges[1] - 921.46).abs() < 0.01, "{edges:?}");
        let fb = p.filterbank();
        assert_eq!(fb.len(), 2 * p.n_bins());
        // Every weight is in [0, 1] and each band peaks near 1 at its centre bin.
        assert!(fb.iter().all(|w| (0.0..=1.0).contains(w)));
        let centre = (edges[1] / (16_000.0 / 512.0)).round() as usize;
        assert!(fb[centre] > 0.9, "{}", fb[centre]);
    }

    #[test]
    fn silence_is_the_floor() {
        let out = reference(&[0.0; 1024], &Params::new(16_000)).unwrap();
        assert_eq!(out.len(), 4 * 64);
        assert!(out.iter().all(|v| *v == FLOOR.ln()));
    }

    #[test]
    fn bad_params_are_errors() {
        let p = Params::new(16_000);
        for bad in [
            Params { n_fft: 500, ..p },
            Params { n_fft: 2048, ..p },
            Params { hop: 0, ..p },
            Params { n_mels: 0, ..p },
            Params { f_max: 9000.0, ..p },
            Params { f_min: 8000.0, ..p },
        ] {
            assert!(reference(&[0.0; 4096], &bad).is_err(), "{bad:?}");
        }
    }
}
