//! Frame preprocessing on the GPU: `shaders/preprocess.wgsl`, its launcher and a CPU reference.
//!
//! A camera frame (packed RGB8, row-major) becomes the model's input: planar f32 CHW, resized
//! bilinearly, in [0, 1] or normalised by a per-channel mean and standard deviation.

use crate::error::GpuError;

mod reference;
pub use reference::reference;

/// The kernel's WGSL source.
pub const SOURCE: &str = include_str!("../../../shaders/preprocess.wgsl");

const KERNEL: &str = "preprocess";
/// Must match `@workgroup_size` in the shader.
const WORKGROUP: u32 = 8;

/// How pixel values are scaled after resizing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Normalize {
    /// `byte / 255`, in [0, 1].
    #[default]
    Unit,
    /// `(byte / 255 - mean) / std`, per channel (R, G, B).
    MeanStd {
        /// Per-channel mean, in [0, 1] units.
        mean: [f32; 3],
        /// Per-channel standard deviation, in [0, 1] units; must be non-zero.
        std: [f32; 3],
    },
}

impl Normalize {
    /// The ImageNet statistics most pretrained vision encoders expect.
    pub const IMAGENET: Self = Self::MeanStd { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

    /// Mean and reciprocal std: the kernel multiplies, which is cheaper than dividing.
    fn mean_inv_std(self) -> ([f32; 3], [f32; 3]) {
        match self {
            Self::Unit => ([0.0; 3], [1.0; 3]),
            Self::MeanStd { mean, std } => (mean, std.map(|s| 1.0 / s)),
        }
    }
}

/// Sizes and normalisation of one preprocessing call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Source frame width, pixels.
    pub src_width: u32,
    /// Source frame height, pixels.
    pub src_height: u32,
    /// Output width, pixels.
    pub dst_width: u32,
    /// Output height, pixels.
    pub dst_height: u32,
    /// Scaling after the resize.
    pub normalize: Normalize,
}

impl Params {
    /// Resize a `src` (width, height) frame to `dst`, values in [0, 1].
    pub fn new(src: (u32, u32), dst: (u32, u32)) -> Self {
        Self { src_width: src.0, src_height: src.1, dst_width: dst.0, dst_height: dst.1, normalize: Normalize::Unit }
    }

    /// The same, with another normalisation.
    pub fn with_normalize(self, normalize: Normalize) -> Self {
        Self { normalize, ..self }
    }

    /// Number of f32 values in the output: 3 × height × width.
    pub fn output_len(&self) -> usize {
        3 * self.dst_width as usize * self.dst_height as usize
    }

    fn check(&self, rgb_len: usize) -> Result<(), GpuError> {
        let invalid = |message: String| GpuError::InvalidInput { kernel: KERNEL, message };
        if [self.src_width, self.src_height, self.dst_width, self.dst_height].contains(&0) {
            return Err(invalid(format!("sizes must be non-zero, got {self:?}")));
        }
        let expected = 3 * self.src_width as u64 * self.src_height as u64;
        if rgb_len as u64 != expected {
            return Err(invalid(format!(
                "a {}x{} RGB8 frame has {expected} bytes, got {rgb_len}",
                self.src_width, self.src_height
            )));
        }
        if let Normalize::MeanStd { std, .. } = self.normalize
            && std.iter().any(|s| !s.is_normal())
        {
            return Err(invalid(format!("std must be finite and non-zero, got {std:?}")));
        }
        Ok(())
    }
}

/// The compiled kernel; build it once and reuse it for every frame.
#[derive(Debug)]
pub struct Preprocessor {
    pipeline: wgpu::ComputePipeline,
}

impl Preprocessor {
    /// Compile the kernel for `device`.
    ///
    /// # Errors
    /// [`GpuError::Kernel`] when the device rejects the shader or pipeline.
    pub fn new(device: &wgpu::Device) -> Result<Self, GpuError> {
        Ok(Self { pipeline: crate::launch::compile(device, KERNEL, SOURCE)? })
    }

    /// Preprocess one frame: `rgb` is `src_width × src_height × 3` bytes, row-major. Returns
    /// [`Params::output_len`] values, planar (all R, then G, then B), row-major.
    ///
    /// # Errors
    /// [`GpuError::InvalidInput`] for a wrong length or size, or one past the device limits;
    /// [`GpuError::Kernel`] or [`GpuError::Readback`] when the device fails.
    pub fn run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        rgb: &[u8],
        params: &Params,
    ) -> Result<Vec<f32>, GpuError> {
        params.check(rgb.len())?;
        let in_size = rgb.len().next_multiple_of(4) as u64;
        let out_size = params.output_len() as u64 * 4;
        let groups = (params.dst_width.div_ceil(WORKGROUP), params.dst_height.div_ceil(WORKGROUP));
        check_limits(device, in_size.max(out_size), groups)?;

        let caught = crate::Caught::new(device);
        let input = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("preprocess input"),
            size: in_size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        // Writes must be whole words; the bulk goes without a copy, the tail is zero-padded.
        let whole = rgb.len() / 4 * 4;
        queue.write_buffer(&input, 0, &rgb[..whole]);
        if whole < rgb.len() {
            let mut tail = [0u8; 4];
            tail[..rgb.len() - whole].copy_from_slice(&rgb[whole..]);
            queue.write_buffer(&input, whole as u64, &tail);
        }
        if let Some(err) = caught.error() {
            return Err(GpuError::Kernel { kernel: KERNEL, message: err.to_string() });
        }
        // The frame is written straight into its buffer (no padded copy on this per-frame
        // path); the shared launcher does the rest.
        let outputs = crate::launch::run(
            device,
            queue,
            &self.pipeline,
            &crate::launch::Launch {
                kernel: KERNEL,
                uniforms: &uniform_bytes(params),
                inputs: &[&input],
                outputs: &[out_size],
                groups,
            },
        )?;
        Ok(outputs.first().map(|bytes| crate::launch::f32s(bytes)).unwrap_or_default())
    }
}

/// Compile the kernel and preprocess one frame; see [`Preprocessor::run`]. For a stream of
/// frames, keep a [`Preprocessor`] instead of compiling per frame.
///
/// # Errors
/// As [`Preprocessor::new`] and [`Preprocessor::run`].
pub fn run(device: &wgpu::Device, queue: &wgpu::Queue, rgb: &[u8], params: &Params) -> Result<Vec<f32>, GpuError> {
    Preprocessor::new(device)?.run(device, queue, rgb, params)
}

/// The `Params` uniform of the shader: four u32 sizes, then mean and 1/std as vec4s.
fn uniform_bytes(params: &Params) -> Vec<u8> {
    let (mean, inv_std) = params.normalize.mean_inv_std();
    let sizes = [params.src_width, params.src_height, params.dst_width, params.dst_height];
    let floats = [mean[0], mean[1], mean[2], 0.0, inv_std[0], inv_std[1], inv_std[2], 0.0];
    sizes.iter().flat_map(|v| v.to_le_bytes()).chain(floats.iter().flat_map(|v| v.to_le_bytes())).collect()
}

fn check_limits(device: &wgpu::Device, largest: u64, groups: (u32, u32)) -> Result<(), GpuError> {
    let limits = device.limits();
    // The shader indexes bytes with u32, so 4 GiB is the ceiling whatever the device allows.
    let max_bytes = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size).min(u64::from(u32::MAX));
    let max_groups = limits.max_compute_workgroups_per_dimension;
    if largest > max_bytes || groups.0 > max_groups || groups.1 > max_groups {
        return Err(GpuError::InvalidInput {
            kernel: KERNEL,
            message: format!(
                "a {largest}-byte buffer or {groups:?} workgroups exceed this device's limits \
                 ({max_bytes} bytes, {max_groups} groups); use a smaller frame or output"
            ),
        });
    }
    Ok(())
}
