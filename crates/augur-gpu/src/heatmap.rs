//! Prediction-error heatmap on the GPU: `shaders/heatmap.wgsl`, its launcher and a CPU
//! reference.
//!
//! Two planar f32 CHW frames (3 × height × width, values in [0, 1]), the model's prediction
//! and what the camera saw, become an RGBA8 image of where they differ: per pixel, the mean
//! over channels of the squared difference, times `gain`, clamped to [0, 1] and coloured with
//! [`INFERNO`]. The frame's mean squared error comes back with it.

use crate::error::GpuError;
use crate::launch;

mod reference;
pub use reference::reference;

/// The kernel's WGSL source.
pub const SOURCE: &str = include_str!("../../../shaders/heatmap.wgsl");

const KERNEL: &str = "heatmap";
/// Must match `@workgroup_size` in the shader (square).
const WORKGROUP: u32 = 16;

/// Control points of the colormap; must match `COLOR_STOPS` in the shader.
pub const COLOR_STOPS: usize = 16;

/// matplotlib's inferno (CC0, van der Walt and Smith) at 0, 1/15, ..., 1: entries 0, 17, ...,
/// 255 of its 256-entry table. Perceptually uniform and readable in grey, so the brightness
/// of a pixel tells its error. Linear interpolation between 16 stops is at most 6/255 off the
/// full table (in its bends); a heatmap is read by brightness, not exact hue.
pub const INFERNO: [[f32; 3]; COLOR_STOPS] = [
    [0.001462, 0.000466, 0.013866],
    [0.046915, 0.030324, 0.150164],
    [0.142378, 0.046242, 0.308553],
    [0.258234, 0.038571, 0.406485],
    [0.366529, 0.071579, 0.431994],
    [0.472328, 0.110547, 0.428334],
    [0.578304, 0.148039, 0.404411],
    [0.682656, 0.189501, 0.360757],
    [0.780517, 0.243327, 0.299523],
    [0.865006, 0.316822, 0.226055],
    [0.929644, 0.411479, 0.145367],
    [0.970919, 0.522853, 0.058367],
    [0.987622, 0.645320, 0.039886],
    [0.978806, 0.774545, 0.176037],
    [0.950018, 0.903409, 0.380271],
    [0.988362, 0.998364, 0.644924],
];

/// Frame size and error scale of one heatmap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
    /// Multiplies the per-pixel error before clamping to [0, 1]: 1 shows the full range of
    /// errors of [0, 1] images; a small error needs a larger gain to show up.
    pub gain: f32,
}

impl Params {
    /// A `width × height` frame at gain 1.
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height, gain: 1.0 }
    }

    /// The same, with another gain.
    pub fn with_gain(self, gain: f32) -> Self {
        Self { gain, ..self }
    }

    /// Pixels in a frame, which is also the number of RGBA values out.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    fn check(&self, pred_len: usize, actual_len: usize) -> Result<(), GpuError> {
        let invalid = |message: String| Err(GpuError::InvalidInput { kernel: KERNEL, message });
        if self.width == 0 || self.height == 0 {
            return invalid(format!("sizes must be non-zero, got {self:?}"));
        }
        if !(self.gain.is_finite() && self.gain >= 0.0) {
            return invalid(format!("gain must be finite and non-negative, got {}", self.gain));
        }
        let expected = 3 * self.pixels();
        if pred_len != expected || actual_len != expected {
            return invalid(format!(
                "a 3x{}x{} frame has {expected} values, got {pred_len} predicted and {actual_len} actual",
                self.height, self.width
            ));
        }
        Ok(())
    }
}

/// What [`Heatmap::run`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorMap {
    /// One pixel per position, row-major, packed R | G << 8 | B << 16 | A << 24 (so its bytes,
    /// little-endian, are R, G, B, A); alpha is 255.
    pub rgba: Vec<u32>,
    /// Mean over pixels and channels of the squared difference, before the gain.
    pub mse: f64,
}

/// The compiled kernel; build it once and reuse it for every frame.
#[derive(Debug)]
pub struct Heatmap {
    pipeline: wgpu::ComputePipeline,
}

impl Heatmap {
    /// Compile the kernel for `device`.
    ///
    /// # Errors
    /// [`GpuError::Kernel`] when the device rejects the shader or pipeline.
    pub fn new(device: &wgpu::Device) -> Result<Self, GpuError> {
        Ok(Self { pipeline: launch::compile(device, KERNEL, SOURCE)? })
    }

    /// The heatmap of `pred` against `actual`, both planar CHW with [`Params::pixels`] values
    /// per channel.
    ///
    /// # Errors
    /// [`GpuError::InvalidInput`] for a wrong length or size, or one past the device limits;
    /// [`GpuError::Kernel`] or [`GpuError::Readback`] when the device fails.
    pub fn run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        pred: &[f32],
        actual: &[f32],
        params: &Params,
    ) -> Result<ErrorMap, GpuError> {
        params.check(pred.len(), actual.len())?;
        let groups = (params.width.div_ceil(WORKGROUP), params.height.div_ceil(WORKGROUP));
        let max_groups = device.limits().max_compute_workgroups_per_dimension;
        if groups.0 > max_groups || groups.1 > max_groups {
            return Err(GpuError::InvalidInput {
                kernel: KERNEL,
                message: format!("{groups:?} workgroups exceed this device's {max_groups} per dimension"),
            });
        }
        let pred = launch::input(device, KERNEL, &launch::f32_bytes(pred))?;
        let actual = launch::input(device, KERNEL, &launch::f32_bytes(actual))?;
        let partials = u64::from(groups.0) * u64::from(groups.1);
        let outputs = launch::run(
            device,
            queue,
            &self.pipeline,
            &launch::Launch {
                kernel: KERNEL,
                uniforms: &uniform_bytes(params),
                inputs: &[&pred, &actual],
                outputs: &[params.pixels() as u64 * 4, partials * 4],
                groups,
            },
        )?;
        let [rgba, partial] = outputs.as_slice() else {
            return Err(GpuError::Readback { kernel: KERNEL, message: "expected two outputs".into() });
        };
        let total: f64 = launch::f32s(partial).into_iter().map(f64::from).sum();
        Ok(ErrorMap { rgba: launch::u32s(rgba), mse: total / params.pixels() as f64 })
    }
}

/// Compile the kernel and make one heatmap; see [`Heatmap::run`].
///
/// # Errors
/// As [`Heatmap::new`] and [`Heatmap::run`].
pub fn run(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    pred: &[f32],
    actual: &[f32],
    params: &Params,
) -> Result<ErrorMap, GpuError> {
    Heatmap::new(device)?.run(device, queue, pred, actual, params)
}

/// The `Params` uniform: width, height, gain, padding, then the colormap as vec4s.
fn uniform_bytes(params: &Params) -> Vec<u8> {
    let head = [params.width.to_le_bytes(), params.height.to_le_bytes(), params.gain.to_le_bytes(), [0; 4]];
    let stops = INFERNO.iter().flat_map(|[r, g, b]| [*r, *g, *b, 1.0]);
    head.into_iter().flatten().chain(stops.flat_map(f32::to_le_bytes)).collect()
}
