//! Our WGSL kernels against the same computation as a chain of burn tensor ops on the same
//! device, for `augur bench model`: is a hand-written kernel worth keeping?
//!
//! Both sides are timed from host data to host data: upload, compute, readback. Each is run
//! once untimed first (compiling pipelines and burn's kernels, filling burn's memory pools),
//! then `reps` times; the figure is the median. Tables that depend only on the parameters
//! (the log-mel window, DFT and filterbank) are uploaded once, outside the timing, on both
//! sides; everything else is uploaded on every run.

use std::time::Instant;

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::{heatmap, logmel, preprocess, project};

/// One kernel against its burn equivalent.
#[derive(Clone, Debug, Serialize)]
pub struct KernelBench {
    /// The kernel's module name.
    pub name: &'static str,
    /// The input sizes, and what the burn chain does (where it differs from the kernel).
    pub workload: &'static str,
    /// Our kernel, median milliseconds per call, readback included.
    pub kernel_ms: f64,
    /// The burn chain, median milliseconds per call, readback included.
    pub burn_ms: f64,
    /// `burn_ms / kernel_ms`: above 1, our kernel is that many times faster.
    pub ratio: f64,
}

/// Time every kernel against its burn chain on `ctx`'s device, `reps` timed runs each (at
/// least 1) after one warm-up run. Synthetic inputs; the outputs are not compared (the tests
/// compare each kernel with its CPU reference).
///
/// # Errors
/// [`GpuError`] from a kernel, or [`GpuError::Burn`] / [`GpuError::BurnInit`] from burn.
pub fn run(ctx: &GpuContext, reps: usize) -> Result<Vec<KernelBench>, GpuError> {
    let (device, queue) = (&ctx.device, &ctx.queue);
    let burn = ctx.burn_device()?;
    let reps = reps.max(1);
    let bench = |name, workload, kernel_ms, burn_ms: f64| KernelBench {
        name,
        workload,
        kernel_ms,
        burn_ms,
        ratio: burn_ms / kernel_ms,
    };
    let mut out = Vec::new();

    let pre = preprocess::Params::new((640, 480), (224, 224)).with_normalize(preprocess::Normalize::IMAGENET);
    let rgb: Vec<u8> = (0..640 * 480 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let kernel = preprocess::Preprocessor::new(device)?;
    let kernel_ms = time(reps, || kernel.run(device, queue, &rgb, &pre))?;
    let burn_ms = time(reps, || burn_preprocess(&burn, &rgb))?;
    out.push(bench("preprocess", PREPROCESS, kernel_ms, burn_ms));

    let mel = logmel::Params::new(16_000);
    let audio: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.3).sin() * 0.5 + (i as f32 * 0.017).sin() * 0.3).collect();
    let kernel = logmel::LogMel::new(device, mel)?;
    let kernel_ms = time(reps, || kernel.run(device, queue, &audio))?;
    let tables = MelTables::new(&burn, &mel);
    let burn_ms = time(reps, || tables.run(&burn, &audio))?;
    out.push(bench("logmel", LOGMEL, kernel_ms, burn_ms));

    let heat = heatmap::Params::new(256, 256).with_gain(4.0);
    let actual: Vec<f32> = (0..3 * 256 * 256).map(|i| (i % 97) as f32 / 97.0).collect();
    let pred: Vec<f32> = actual.iter().enumerate().map(|(i, a)| (a + (i % 13) as f32 * 0.01).min(1.0)).collect();
    let kernel = heatmap::Heatmap::new(device)?;
    let kernel_ms = time(reps, || kernel.run(device, queue, &pred, &actual, &heat))?;
    let burn_ms = time(reps, || burn_heatmap(&burn, &pred, &actual, &heat))?;
    out.push(bench("heatmap", HEATMAP, kernel_ms, burn_ms));

    let (n, dim, k) = (4096, 256, project::MAX_K as usize);
    let x: Vec<f32> = (0..n * dim).map(|i| ((i * 31 % 1009) as f32 / 1009.0) - 0.5).collect();
    let mean: Vec<f32> = (0..dim).map(|d| d as f32 * 1e-3).collect();
    let components: Vec<f32> = (0..k * dim).map(|i| ((i * 17 % 101) as f32 / 101.0) - 0.5).collect();
    let params = project::Params::new(dim as u32, k as u32);
    let kernel = project::Projector::new(device)?;
    let kernel_ms = time(reps, || kernel.run(device, queue, &x, &mean, &components, &params))?;
    let burn_ms = time(reps, || burn_project(&burn, &x, &mean, &components, dim))?;
    out.push(bench("project", PROJECT, kernel_ms, burn_ms));
    Ok(out)
}

const PREPROCESS: &str = "640x480 RGB8 -> 3x224x224, ImageNet normalisation; burn uploads the frame as f32 \
                          (WGSL has no u8), permutes to CHW, interpolates bilinearly, subtracts and divides";
const LOGMEL: &str = "1 s at 16 kHz, n_fft 512, hop 160, 64 mels (97 frames); burn unfolds frames, windows, \
                      matmuls with DFT cos and sin matrices, squares and adds, matmuls with the filterbank, logs";
const HEATMAP: &str = "two 3x256x256 frames, gain 4; burn subtracts, squares, means over channels, scales, \
                       clamps and takes the mean, without the kernel's colormap lookup";
const PROJECT: &str = "4096 vectors of dim 256 onto 8 components; burn subtracts the mean and matmuls";

/// Median milliseconds of `reps` calls of `f`, after one untimed call.
fn time<T>(reps: usize, mut f: impl FnMut() -> Result<T, GpuError>) -> Result<f64, GpuError> {
    std::hint::black_box(f()?);
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        std::hint::black_box(f()?);
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    Ok(if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2.0 })
}

/// Read `tensor` back to the host, which waits for burn to run everything it depends on.
fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, GpuError> {
    let device = tensor.device();
    let failed = |message: String| GpuError::Burn { device: format!("{device:?}"), message };
    let data = tensor.try_into_data().map_err(|err| failed(err.to_string()))?;
    data.try_into_vec::<f32>().map_err(|err| failed(format!("{err:?}")))
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn burn_preprocess(device: &Device, rgb: &[u8]) -> Result<Vec<f32>, GpuError> {
    let frame = tensor(rgb.iter().map(|b| f32::from(*b)).collect(), [1, 480, 640, 3], device).permute([0, 3, 1, 2]);
    let options =
        InterpolateOptions::new(InterpolateMode::Bilinear).with_align_corners(false).with_output_size([224, 224]);
    let mean = tensor(vec![0.485, 0.456, 0.406], [1, 3, 1, 1], device);
    let std = tensor(vec![0.229, 0.224, 0.225], [1, 3, 1, 1], device);
    read(interpolate(frame, options).div_scalar(255.0).sub(mean).div(std))
}

/// The log-mel constants as burn tensors, built once like [`logmel::LogMel`]'s buffers.
struct MelTables {
    params: logmel::Params,
    window: Tensor<2>,
    cos: Tensor<2>,
    sin: Tensor<2>,
    filters: Tensor<2>,
}

impl MelTables {
    fn new(device: &Device, params: &logmel::Params) -> Self {
        let (n, bins, mels) = (params.n_fft as usize, params.n_bins(), params.n_mels as usize);
        let tables = params.tables();
        // DFT matrices [n_fft][n_bins]: entry (t, k) is the table at t·k mod n_fft.
        let dft = |offset: usize| (0..n * bins).map(|i| tables[offset + (i / bins * (i % bins)) % n]).collect();
        Self {
            params: *params,
            window: tensor(tables[..n].to_vec(), [1, n], device),
            cos: tensor(dft(n), [n, bins], device),
            sin: tensor(dft(2 * n), [n, bins], device),
            filters: tensor(params.filterbank(), [mels, bins], device).transpose(),
        }
    }

    fn run(&self, device: &Device, audio: &[f32]) -> Result<Vec<f32>, GpuError> {
        let (n, hop) = (self.params.n_fft as usize, self.params.hop as usize);
        let frames: Tensor<2> = tensor(audio.to_vec(), [audio.len()], device).unfold(0, n, hop);
        let windowed = frames.mul(self.window.clone());
        let power = windowed.clone().matmul(self.cos.clone()).square().add(windowed.matmul(self.sin.clone()).square());
        read(power.matmul(self.filters.clone()).clamp_min(logmel::FLOOR).log())
    }
}

/// The error map and the mean squared error: two readbacks, as the kernel reads two buffers.
fn burn_heatmap(
    device: &Device,
    pred: &[f32],
    actual: &[f32],
    params: &heatmap::Params,
) -> Result<(Vec<f32>, Vec<f32>), GpuError> {
    let shape = [3, params.height as usize, params.width as usize];
    let error = tensor(pred.to_vec(), shape, device).sub(tensor(actual.to_vec(), shape, device)).square().mean_dim(0);
    let mse = read(error.clone().mean())?;
    Ok((read(error.mul_scalar(params.gain).clamp(0.0, 1.0))?, mse))
}

fn burn_project(
    device: &Device,
    x: &[f32],
    mean: &[f32],
    components: &[f32],
    dim: usize,
) -> Result<Vec<f32>, GpuError> {
    let x = tensor(x.to_vec(), [x.len() / dim, dim], device);
    let mean = tensor(mean.to_vec(), [1, dim], device);
    let components = tensor(components.to_vec(), [components.len() / dim, dim], device);
    read(x.sub(mean).matmul(components.transpose()))
}
