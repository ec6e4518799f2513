//! A real burn computation on the shared device, checked against burn's CPU backend.

use std::time::Instant;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::context::GpuContext;
use crate::error::GpuError;

/// Side length of the square matrices in the check: big enough for burn to tile the matmul,
/// small enough to run in well under a second on a software adapter once compiled.
const N: usize = 64;

/// The outcome of [`GpuContext::burn_smoke_test`].
#[derive(Clone, Debug, Serialize)]
pub struct BurnCheck {
    /// The burn device the GPU side ran on, as burn prints it.
    pub device: String,
    /// What was computed.
    pub op: String,
    /// Largest absolute difference between the GPU and CPU results.
    pub max_abs_diff: f32,
    /// First GPU run, milliseconds; includes compiling burn's kernels for this device.
    pub gpu_first_ms: f64,
    /// Second GPU run, milliseconds: kernels cached.
    pub gpu_warm_ms: f64,
    /// The same op on burn's CPU backend (flex), milliseconds.
    pub cpu_ms: f64,
}

impl BurnCheck {
    /// The largest `max_abs_diff` that counts as agreement: f32 rounding in a different
    /// summation order, far below anything a wrong kernel produces.
    pub const TOLERANCE: f32 = 1e-4;

    /// Whether GPU and CPU agree within [`Self::TOLERANCE`].
    pub fn passed(&self) -> bool {
        self.max_abs_diff <= Self::TOLERANCE
    }
}

impl GpuContext {
    /// Compute `softmax(a·b / 8)` on 64×64 matrices with burn on this device and on burn's
    /// CPU device, and report how far apart they are and how long each took.
    ///
    /// A disagreement is reported in [`BurnCheck::max_abs_diff`], not as an error, so
    /// `augur gpu-info` can print the figures either way; use [`BurnCheck::passed`].
    ///
    /// # Errors
    /// [`GpuError::BurnInit`] when burn rejects the device, [`GpuError::Burn`] when an op or
    /// the readback fails.
    pub fn burn_smoke_test(&self) -> Result<BurnCheck, GpuError> {
        let gpu = self.burn_device()?;
        let cpu = Device::flex();
        let a = pattern(N * N, 0.37, 0.0);
        let b = pattern(N * N, 0.11, 1.3);

        let (_, gpu_first_ms) = timed(&gpu, &a, &b)?;
        let (gpu_out, gpu_warm_ms) = timed(&gpu, &a, &b)?;
        let (cpu_out, cpu_ms) = timed(&cpu, &a, &b)?;

        let max_abs_diff = max_abs_diff(&gpu_out, &cpu_out).ok_or_else(|| GpuError::Burn {
            device: format!("{gpu:?}"),
            message: format!("the GPU returned {} values and the CPU {}", gpu_out.len(), cpu_out.len()),
        })?;
        Ok(BurnCheck {
            device: format!("{gpu:?}"),
            op: format!("softmax(a·b / 8, dim 1), {N}x{N} f32"),
            max_abs_diff,
            gpu_first_ms,
            gpu_warm_ms,
            cpu_ms,
        })
    }
}

/// Smooth, sign-changing, reproducible values in [-0.5, 0.5].
fn pattern(len: usize, step: f32, phase: f32) -> Vec<f32> {
    (0..len).map(|i| 0.5 * (i as f32 * step + phase).sin()).collect()
}

/// Runs the op on `device` and reads the result back, so the time covers the whole round trip.
fn timed(device: &Device, a: &[f32], b: &[f32]) -> Result<(Vec<f32>, f64), GpuError> {
    let failed = |message: String| GpuError::Burn { device: format!("{device:?}"), message };
    let start = Instant::now();
    let a = Tensor::<2>::from_data(TensorData::new(a.to_vec(), [N, N]), device);
    let b = Tensor::<2>::from_data(TensorData::new(b.to_vec(), [N, N]), device);
    let out = softmax(a.matmul(b).div_scalar(8.0), 1);
    let data = out.try_into_data().map_err(|err| failed(err.to_string()))?;
    let values = data.try_into_vec::<f32>().map_err(|err| failed(err.to_string()))?;
    Ok((values, start.elapsed().as_secs_f64() * 1e3))
}

/// `None` when the lengths differ. A NaN on either side counts as an infinite difference, since
/// `f32::max` would otherwise drop it and let a broken kernel pass.
pub(crate) fn max_abs_diff(a: &[f32], b: &[f32]) -> Option<f32> {
    (a.len() == b.len()).then(|| {
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let diff = (x - y).abs();
                if diff.is_nan() { f32::INFINITY } else { diff }
            })
            .fold(0.0, f32::max)
    })
}
