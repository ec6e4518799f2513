//! The logmel, heatmap and project kernels against their CPU references, on the shared device.

use augur_gpu::{heatmap, logmel, project};

use super::gpu;

/// `seconds` of a unit-amplitude sine at `hz`, sampled at `rate`.
fn sine(hz: f64, rate: u32, seconds: f64) -> Vec<f32> {
    let len = (f64::from(rate) * seconds) as usize;
    (0..len).map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin() as f32).collect()
}

/// Reproducible white noise in [-1, 1) (xorshift32).
fn noise(len: usize, mut state: u32) -> Vec<f32> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / 2f32.powi(31) - 1.0
        })
        .collect()
}

/// Largest |gpu - cpu| over all bands, and over the bands within 80 dB (ln 1e8 = 18.4) of
/// their frame's loudest band.
fn logmel_diffs(got: &[f32], want: &[f32], n_mels: usize) -> (f32, f32) {
    let (mut all, mut near_peak) = (0.0f32, 0.0f32);
    for (g, w) in got.chunks_exact(n_mels).zip(want.chunks_exact(n_mels)) {
        let peak = w.iter().copied().fold(f32::MIN, f32::max);
        for (a, b) in g.iter().zip(w) {
            let diff = if (a - b).is_nan() { f32::INFINITY } else { (a - b).abs() };
            all = all.max(diff);
            if *b > peak - 18.4 {
                near_peak = near_peak.max(diff);
            }
        }
    }
    (all, near_peak)
}

#[test]
fn logmel_kernel_matches_the_cpu_reference() {
    let gpu = gpu();
    let params = logmel::Params::new(16_000);
    let kernel = logmel::LogMel::new(&gpu.device, params).unwrap();
    let n_mels = params.n_mels as usize;
    let tone = sine(1000.0, 16_000, 0.25);
    let off_bin = sine(1234.5, 16_000, 0.25);
    let noisy: Vec<f32> = tone.iter().zip(noise(tone.len(), 7)).map(|(s, n)| s + 0.01 * n).collect();
    // The kernel's f32 FFT of 512 full-scale samples rounds by about 1e-5 per bin, some 100 dB
    // below a full-scale tone's peak: bands that far below their frame's peak are rounding
    // noise (0.37 apart in ln on the 1234.5 Hz tone, whose Hann leakage is that quiet), so
    // bands are compared within 80 dB of the peak, and only the broadband signal in all bands.
    let cases = [("1 kHz", &tone, false), ("1234.5 Hz", &off_bin, false), ("1 kHz + noise", &noisy, true)];
    for (name, audio, every_band) in cases {
        let got = kernel.run(&gpu.device, &gpu.queue, audio).unwrap();
        let want = logmel::reference(audio, &params).unwrap();
        assert_eq!(got.len(), params.frames(audio.len()) * n_mels);
        assert_eq!(got.len(), want.len());
        let (all, near_peak) = logmel_diffs(&got, &want, n_mels);
        eprintln!("logmel {name}: max abs diff {all:e} (all bands), {near_peak:e} (within 80 dB of the peak)");
        assert!(near_peak <= 1e-3, "{name}: {near_peak}");
        assert!(!every_band || all <= 1e-3, "{name}: {all}");
    }
    // The band that holds the most energy contains 1 kHz.
    let got = logmel::run(&gpu.device, &gpu.queue, &tone, &params).unwrap();
    let edges = params.mel_edges();
    let first = &got[..n_mels];
    let peak = (0..n_mels).max_by(|a, b| first[*a].total_cmp(&first[*b])).unwrap();
    assert!(edges[peak] < 1000.0 && 1000.0 < edges[peak + 2], "peak band {peak}: {:?}", &edges[peak..peak + 3]);
}

#[test]
fn logmel_fft_sizes_from_64_to_1024_match_the_cpu_reference() {
    let gpu = gpu();
    let base = logmel::Params::new(16_000);
    let audio: Vec<f32> = sine(440.0, 16_000, 0.2).iter().zip(noise(3200, 3)).map(|(s, n)| 0.5 * s + 0.1 * n).collect();
    let sizes = [
        logmel::Params { n_fft: 64, hop: 48, n_mels: 8, f_min: 100.0, f_max: 7000.0, ..base },
        logmel::Params { n_fft: 1024, hop: 256, n_mels: 80, ..base },
    ];
    for params in sizes {
        let got = logmel::run(&gpu.device, &gpu.queue, &audio, &params).unwrap();
        let want = logmel::reference(&audio, &params).unwrap();
        assert_eq!(got.len(), want.len());
        let (all, _) = logmel_diffs(&got, &want, params.n_mels as usize);
        eprintln!("logmel n_fft {}: max abs diff {all:e}", params.n_fft);
        assert!(all <= 1e-3, "{params:?}: {all}");
    }
}

#[test]
fn logmel_of_audio_shorter_than_a_window_is_empty() {
    let gpu = gpu();
    let params = logmel::Params::new(16_000);
    assert!(logmel::run(&gpu.device, &gpu.queue, &[0.5; 511], &params).unwrap().is_empty());
    assert!(logmel::run(&gpu.device, &gpu.queue, &[], &params).unwrap().is_empty());
    let bad = logmel::Params { n_fft: 300, ..params };
    assert!(logmel::run(&gpu.device, &gpu.queue, &[0.5; 1024], &bad).unwrap_err().to_string().contains("power of two"));
    // More bands than bins (here u32::MAX, which overflowed sizing the filterbank) is refused.
    for n_mels in [258, u32::MAX] {
        let bad = logmel::Params { n_mels, ..params };
        let why = logmel::run(&gpu.device, &gpu.queue, &[0.5; 1024], &bad).unwrap_err().to_string();
        assert!(why.contains("n_mels must be at most n_fft / 2 + 1 = 257"), "{why}");
        assert!(logmel::reference(&[0.5; 1024], &bad).is_err());
    }
}

/// A predicted and an actual planar frame whose difference covers [0, 1] unevenly.
fn frame_pair(width: u32, height: u32) -> (Vec<f32>, Vec<f32>) {
    let len = 3 * (width * height) as usize;
    let actual: Vec<f32> = noise(len, 11).iter().map(|v| 0.5 + 0.5 * v).collect();
    let pred = actual.iter().zip(noise(len, 23)).map(|(a, n)| (a + n * n * n).clamp(0.0, 1.0)).collect();
    (pred, actual)
}

#[test]
fn heatmap_kernel_matches_the_cpu_reference() {
    let gpu = gpu();
    let kernel = heatmap::Heatmap::new(&gpu.device).unwrap();
    for params in [heatmap::Params::new(37, 23), heatmap::Params::new(64, 48).with_gain(4.0)] {
        let (pred, actual) = frame_pair(params.width, params.height);
        let got = kernel.run(&gpu.device, &gpu.queue, &pred, &actual, &params).unwrap();
        let want = heatmap::reference(&pred, &actual, &params).unwrap();
        assert_eq!(got.rgba.len(), params.pixels());
        let max_byte_diff = got
            .rgba
            .iter()
            .zip(&want.rgba)
            .flat_map(|(a, b)| a.to_le_bytes().into_iter().zip(b.to_le_bytes()))
            .map(|(a, b)| a.abs_diff(b))
            .max()
            .unwrap();
        let mse_rel = (got.mse - want.mse).abs() / want.mse;
        eprintln!("heatmap {params:?}: max byte diff {max_byte_diff}, mse {} (relative diff {mse_rel:e})", got.mse);
        assert!(max_byte_diff <= 1, "{params:?}: {max_byte_diff}");
        assert!(mse_rel <= 1e-5, "{params:?}: {} vs {}", got.mse, want.mse);
        // Every alpha is opaque, and the map is not one colour.
        assert!(got.rgba.iter().all(|p| p >> 24 == 0xff));
        assert!(got.rgba.iter().any(|p| *p != got.rgba[0]));
    }
}

#[test]
fn errors_that_are_not_numbers_show_as_the_most_surprising_and_as_silence() {
    let gpu = gpu();
    // A diverged prediction: NaN, +inf and -inf pixels beside a right one.
    let params = heatmap::Params::new(4, 1);
    let actual = [0.5f32; 12];
    let mut pred = actual;
    for (i, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY].into_iter().enumerate() {
        pred[i] = bad;
    }
    let got =
        heatmap::Heatmap::new(&gpu.device).unwrap().run(&gpu.device, &gpu.queue, &pred, &actual, &params).unwrap();
    let want = heatmap::reference(&pred, &actual, &params).unwrap();
    assert_eq!(got.rgba, want.rgba);
    // inferno(1) = bytes (252, 255, 164); the right pixel is inferno(0) = (0, 0, 4).
    assert_eq!(got.rgba, [0xffa4_fffc, 0xffa4_fffc, 0xffa4_fffc, 0xff04_0000]);

    // Sound with samples that are not numbers: they count as silence, on both.
    let logmel_params = logmel::Params::new(16_000);
    let mut audio = sine(1000.0, 16_000, 0.1);
    let clean: Vec<f32> = audio.iter().enumerate().map(|(i, s)| if i % 97 == 5 { 0.0 } else { *s }).collect();
    audio.iter_mut().enumerate().filter(|(i, _)| i % 97 == 5).for_each(|(i, s)| *s = [f32::NAN, f32::INFINITY][i % 2]);
    let got = logmel::run(&gpu.device, &gpu.queue, &audio, &logmel_params).unwrap();
    let want = logmel::reference(&clean, &logmel_params).unwrap();
    assert_eq!(logmel::reference(&audio, &logmel_params).unwrap(), want);
    let (_, near_peak) = logmel_diffs(&got, &want, logmel_params.n_mels as usize);
    assert!(near_peak <= 1e-3, "{near_peak}");
    assert!(got.iter().all(|v| v.is_finite()));
}

#[test]
fn heatmap_rejects_mismatched_frames() {
    let gpu = gpu();
    let err = heatmap::run(&gpu.device, &gpu.queue, &[0.0; 12], &[0.0; 9], &heatmap::Params::new(2, 2)).unwrap_err();
    assert!(err.to_string().contains("invalid input"), "{err}");
}

/// Largest |gpu - cpu| as a fraction of the largest |cpu|.
fn relative_diff(got: &[f32], want: &[f32]) -> f32 {
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    got.iter().zip(want).map(|(a, b)| if (a - b).is_nan() { f32::INFINITY } else { (a - b).abs() }).fold(0.0, f32::max)
        / scale
}

#[test]
fn project_kernel_matches_the_cpu_reference() {
    let gpu = gpu();
    let kernel = project::Projector::new(&gpu.device).unwrap();
    // 1000 latents of dimension 37: not a multiple of the workgroup, with an offset mean.
    let dim = 37;
    let x: Vec<f32> = noise(1000 * dim, 5).iter().enumerate().map(|(i, v)| v + (i % dim) as f32 * 0.1).collect();
    let mean: Vec<f32> = (0..dim).map(|d| d as f32 * 0.1).collect();
    let components = noise(project::MAX_K as usize * dim, 9);
    let (pca_mean, pca_components) = project::fit_pca(&x, dim, 3).unwrap();
    let cases = [
        (&mean, &components, project::Params::new(dim as u32, project::MAX_K)),
        (&pca_mean, &pca_components, project::Params::new(dim as u32, 3)),
    ];
    for (mean, components, params) in cases {
        let got = kernel.run(&gpu.device, &gpu.queue, &x, mean, components, &params).unwrap();
        let want = project::reference(&x, mean, components, &params).unwrap();
        assert_eq!(got.len(), 1000 * params.k as usize);
        let diff = relative_diff(&got, &want);
        eprintln!("project {params:?}: max abs diff / max |value| = {diff:e}");
        assert!(diff <= 1e-4, "{params:?}: {diff}");
    }
    assert!(
        kernel.run(&gpu.device, &gpu.queue, &[], &mean, &components, &project::Params::new(37, 8)).unwrap().is_empty()
    );
}
