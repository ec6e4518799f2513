//! Latent projection on the GPU: `shaders/project.wgsl`, its launcher, a CPU reference, and
//! [`fit_pca`] to find the components on the CPU.
//!
//! N latent vectors of dimension D (row-major f32) are centred on a mean and projected onto K
//! components (K ≤ [`MAX_K`]): `out[n][k] = (x[n] - mean) · component[k]`, N×K row-major. With
//! K = 2 or 3 that places each latent in a plot of the model's latent space.

use crate::error::GpuError;
use crate::launch;

mod pca;
mod reference;
pub use pca::fit_pca;
pub use reference::reference;

/// The kernel's WGSL source.
pub const SOURCE: &str = include_str!("../../../shaders/project.wgsl");

const KERNEL: &str = "project";
/// Must match `@workgroup_size` in the shader.
const WORKGROUP: u64 = 64;
/// Most components per call: the shader keeps one accumulator per component in registers.
/// Must match `MAX_K` in the shader.
pub const MAX_K: u32 = 8;

/// Dimension and number of components of one projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Dimension D of each vector.
    pub dim: u32,
    /// Number K of components, 1..=[`MAX_K`].
    pub k: u32,
}

impl Params {
    /// Project `dim`-dimensional vectors onto `k` components.
    pub fn new(dim: u32, k: u32) -> Self {
        Self { dim, k }
    }

    /// Number of vectors in `x_len` values, once [`Self::check`] has passed.
    fn rows(&self, x_len: usize) -> usize {
        x_len / self.dim.max(1) as usize
    }

    fn check(&self, x_len: usize, mean_len: usize, components_len: usize) -> Result<(), GpuError> {
        let invalid = |message: String| Err(GpuError::InvalidInput { kernel: KERNEL, message });
        if self.dim == 0 || !(1..=MAX_K).contains(&self.k) {
            return invalid(format!("need dim >= 1 and 1 <= k <= {MAX_K}, got {self:?}"));
        }
        let dim = self.dim as usize;
        if !x_len.is_multiple_of(dim) {
            return invalid(format!("{x_len} values are not a whole number of {dim}-dimensional vectors"));
        }
        if mean_len != dim || components_len != self.k as usize * dim {
            return invalid(format!(
                "need a mean of {dim} values and {}x{dim} components, got {mean_len} and {components_len}",
                self.k
            ));
        }
        Ok(())
    }
}

/// The compiled kernel; build it once and reuse it.
#[derive(Debug)]
pub struct Projector {
    pipeline: wgpu::ComputePipeline,
}

impl Projector {
    /// Compile the kernel for `device`.
    ///
    /// # Errors
    /// [`GpuError::Kernel`] when the device rejects the shader or pipeline.
    pub fn new(device: &wgpu::Device) -> Result<Self, GpuError> {
        Ok(Self { pipeline: launch::compile(device, KERNEL, SOURCE)? })
    }

    /// Project the vectors of `x` (N×D row-major) onto `components` (K×D row-major) after
    /// subtracting `mean` (D); returns N×K values, row-major. Empty `x` gives an empty result.
    ///
    /// # Errors
    /// [`GpuError::InvalidInput`] for mismatched lengths or sizes past the device limits;
    /// [`GpuError::Kernel`] or [`GpuError::Readback`] when the device fails.
    pub fn run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        x: &[f32],
        mean: &[f32],
        components: &[f32],
        params: &Params,
    ) -> Result<Vec<f32>, GpuError> {
        params.check(x.len(), mean.len(), components.len())?;
        let rows = params.rows(x.len());
        if rows == 0 {
            return Ok(Vec::new());
        }
        let groups = launch::grid(device, KERNEL, (rows as u64).div_ceil(WORKGROUP))?;
        let x = launch::input(device, KERNEL, &launch::f32_bytes(x))?;
        let mean = launch::input(device, KERNEL, &launch::f32_bytes(mean))?;
        let components = launch::input(device, KERNEL, &launch::f32_bytes(components))?;
        // `input` has checked x's byte size against u32::MAX, so the row count fits a u32.
        let uniforms: Vec<u8> = [rows as u32, params.dim, params.k, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let outputs = launch::run(
            device,
            queue,
            &self.pipeline,
            &launch::Launch {
                kernel: KERNEL,
                uniforms: &uniforms,
                inputs: &[&x, &mean, &components],
                outputs: &[(rows * params.k as usize * 4) as u64],
                groups,
            },
        )?;
        Ok(outputs.first().map(|bytes| launch::f32s(bytes)).unwrap_or_default())
    }
}

/// Compile the kernel and project once; see [`Projector::run`].
///
/// # Errors
/// As [`Projector::new`] and [`Projector::run`].
pub fn run(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    x: &[f32],
    mean: &[f32],
    components: &[f32],
    params: &Params,
) -> Result<Vec<f32>, GpuError> {
    Projector::new(device)?.run(device, queue, x, mean, components, params)
}
