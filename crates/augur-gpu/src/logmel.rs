//! Log-mel spectrogram on the GPU: `shaders/logmel.wgsl`, its launcher and a CPU reference.
//!
//! Raw mono f32 audio becomes `ln(max(mel energy, 1e-10))`, laid out `[frames][n_mels]`: a
//! periodic Hann window, the power spectrum |FFT|², and triangular filters on the HTK mel
//! scale without area normalisation (librosa `mel(htk=True, norm=None)`, torchaudio
//! `melscale_fbanks(mel_scale="htk", norm=None)`). Frames start every `hop` samples with no
//! padding, so there are `1 + (len - n_fft) / hop` of them, and none for shorter audio.

use std::f64::consts::PI;

use crate::error::GpuError;
use crate::launch;

mod reference;
pub use reference::reference;

/// The kernel's WGSL source.
pub const SOURCE: &str = include_str!("../../../shaders/logmel.wgsl");

const KERNEL: &str = "logmel";
/// Largest `n_fft`: the shader's FFT keeps one complex frame in workgroup memory, whose
/// guaranteed minimum is 16 KiB. Must match `MAX_N_FFT` in the shader.
pub const MAX_N_FFT: u32 = 1024;
/// Floor under the mel energy before the log, so silence gives ln(1e-10) ≈ -23, not -inf.
pub const FLOOR: f32 = 1e-10;

/// Framing, spectrum and filterbank of one log-mel computation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Samples per second of the audio.
    pub sample_rate: u32,
    /// Window and FFT length, samples: a power of two up to [`MAX_N_FFT`].
    pub n_fft: u32,
    /// Samples between the starts of consecutive frames; at least 1.
    pub hop: u32,
    /// Number of mel bands.
    pub n_mels: u32,
    /// Lower edge of the lowest band, Hz.
    pub f_min: f32,
    /// Upper edge of the highest band, Hz; at most `sample_rate / 2`.
    pub f_max: f32,
}

impl Params {
    /// 512-sample window, 10 ms hop, 64 bands from 0 Hz to Nyquist.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            n_fft: 512,
            hop: (sample_rate / 100).max(1),
            n_mels: 64,
            f_min: 0.0,
            f_max: sample_rate as f32 / 2.0,
        }
    }

    /// Frequency bins of the one-sided spectrum: `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_fft as usize / 2 + 1
    }

    /// Frames in `samples` samples of audio; 0 when shorter than one window.
    pub fn frames(&self, samples: usize) -> usize {
        let (n_fft, hop) = (self.n_fft as usize, self.hop.max(1) as usize);
        if samples < n_fft { 0 } else { 1 + (samples - n_fft) / hop }
    }

    /// The `n_mels + 2` band edges in Hz, evenly spaced on the HTK mel scale: band `m` rises
    /// from edge `m` to a peak at edge `m + 1` and falls to zero at edge `m + 2`.
    pub fn mel_edges(&self) -> Vec<f64> {
        let hz_to_mel = |hz: f64| 2595.0 * (1.0 + hz / 700.0).log10();
        let mel_to_hz = |mel: f64| 700.0 * (10f64.powf(mel / 2595.0) - 1.0);
        let (lo, hi) = (hz_to_mel(f64::from(self.f_min)), hz_to_mel(f64::from(self.f_max)));
        let steps = f64::from(self.n_mels + 1);
        (0..self.n_mels + 2).map(|i| mel_to_hz(lo + (hi - lo) * f64::from(i) / steps)).collect()
    }

    /// The filterbank, `[n_mels][n_bins]`: each band's triangular weight at each bin's frequency.
    /// Bands narrower than a bin may miss every bin and be all zero (their output is ln 1e-10).
    pub fn filterbank(&self) -> Vec<f32> {
        let edges = self.mel_edges();
        let bin_hz = f64::from(self.sample_rate) / f64::from(self.n_fft);
        let mut weights = Vec::with_capacity(self.n_mels as usize * self.n_bins());
        for band in edges.windows(3) {
            let (lo, mid, hi) = (band[0], band[1], band[2]);
            weights.extend((0..self.n_bins()).map(|k| {
                let hz = k as f64 * bin_hz;
                ((hz - lo) / (mid - lo)).min((hi - hz) / (hi - mid)).max(0.0) as f32
            }));
        }
        weights
    }

    /// The periodic Hann window, then cos and sin of `2πj / n_fft` for `j < n_fft`.
    pub(crate) fn tables(&self) -> Vec<f32> {
        let n = self.n_fft as usize;
        let angle = |j: usize| 2.0 * PI * j as f64 / n as f64;
        let window = (0..n).map(|j| 0.5 - 0.5 * angle(j).cos());
        let cos = (0..n).map(|j| angle(j).cos());
        let sin = (0..n).map(|j| angle(j).sin());
        window.chain(cos).chain(sin).map(|v| v as f32).collect()
    }

    fn check(&self) -> Result<(), GpuError> {
        let invalid = |message: String| Err(GpuError::InvalidInput { kernel: KERNEL, message });
        if !self.n_fft.is_power_of_two() || !(2..=MAX_N_FFT).contains(&self.n_fft) {
            return invalid(format!("n_fft must be a power of two in 2..={MAX_N_FFT}, got {}", self.n_fft));
        }
        if self.sample_rate == 0 || self.hop == 0 || self.n_mels == 0 {
            return invalid(format!("sample_rate, hop and n_mels must be non-zero, got {self:?}"));
        }
        // More bands than frequency bins would leave bands empty, and an unbounded count would
        // size the filterbank (n_mels × n_bins floats) before the device could refuse it.
        if self.n_mels as usize > self.n_bins() {
            return invalid(format!("n_mels must be at most n_fft / 2 + 1 = {}, got {}", self.n_bins(), self.n_mels));
        }
        let nyquist = self.sample_rate as f32 / 2.0;
        if !(self.f_min >= 0.0 && self.f_min < self.f_max && self.f_max <= nyquist) {
            return invalid(format!("need 0 <= f_min < f_max <= {nyquist} Hz, got {} and {}", self.f_min, self.f_max));
        }
        Ok(())
    }
}

/// The compiled kernel with the window, twiddle and filterbank tables of one [`Params`] uploaded;
/// build it once per audio stream.
#[derive(Debug)]
pub struct LogMel {
    pipeline: wgpu::ComputePipeline,
    params: Params,
    tables: wgpu::Buffer,
    filters: wgpu::Buffer,
}

impl LogMel {
    /// Check `params`, compile the kernel for `device` and upload its tables.
    ///
    /// # Errors
    /// [`GpuError::InvalidInput`] for invalid params; [`GpuError::Kernel`] when the device
    /// rejects the shader.
    pub fn new(device: &wgpu::Device, params: Params) -> Result<Self, GpuError> {
        params.check()?;
        let pipeline = launch::compile(device, KERNEL, SOURCE)?;
        let tables = launch::input(device, KERNEL, &launch::f32_bytes(&params.tables()))?;
        let filters = launch::input(device, KERNEL, &launch::f32_bytes(&params.filterbank()))?;
        Ok(Self { pipeline, params, tables, filters })
    }

    /// The params the tables were built for.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The log-mel spectrogram of `audio`, `[frames][n_mels]` (see [`Params::frames`]); empty
    /// when `audio` is shorter than one window.
    ///
    /// # Errors
    /// [`GpuError::InvalidInput`] for audio past the device's buffer or grid limits;
    /// [`GpuError::Kernel`] or [`GpuError::Readback`] when the device fails.
    pub fn run(&self, device: &wgpu::Device, queue: &wgpu::Queue, audio: &[f32]) -> Result<Vec<f32>, GpuError> {
        let p = &self.params;
        let frames = p.frames(audio.len());
        if frames == 0 {
            return Ok(Vec::new());
        }
        let input = launch::input(device, KERNEL, &launch::f32_bytes(audio))?;
        let frames_u32 = u32::try_from(frames).map_err(|_| GpuError::InvalidInput {
            kernel: KERNEL,
            message: format!("{frames} frames do not fit a u32; pass shorter audio"),
        })?;
        let uniforms: Vec<u8> = [p.n_fft, p.hop, p.n_mels, frames_u32, p.n_bins() as u32, 0, 0, 0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let out_size = (frames * p.n_mels as usize * 4) as u64;
        let outputs = launch::run(
            device,
            queue,
            &self.pipeline,
            &launch::Launch {
                kernel: KERNEL,
                uniforms: &uniforms,
                inputs: &[&input, &self.tables, &self.filters],
                outputs: &[out_size],
                groups: launch::grid(device, KERNEL, frames as u64)?,
            },
        )?;
        Ok(outputs.first().map(|bytes| launch::f32s(bytes)).unwrap_or_default())
    }
}

/// Build a [`LogMel`] and run it once; for a stream, keep the [`LogMel`] instead.
///
/// # Errors
/// As [`LogMel::new`] and [`LogMel::run`].
pub fn run(device: &wgpu::Device, queue: &wgpu::Queue, audio: &[f32], params: &Params) -> Result<Vec<f32>, GpuError> {
    LogMel::new(device, *params)?.run(device, queue, audio)
}
