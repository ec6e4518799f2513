//! What the `logmel`, `heatmap` and `project` launchers share: compiling a pipeline, buffers
//! checked against the device's limits, one dispatch and the readback of its outputs.
//!
//! Every such shader declares its bindings in one order: 0 is the `Params` uniform, then the
//! read-only inputs, then the outputs, so a launch is just those buffers in that order.

use wgpu::util::DeviceExt as _;

use crate::caught::Caught;
use crate::error::GpuError;

/// Compile `source` (entry point `main`) for `device`.
pub(crate) fn compile(
    device: &wgpu::Device,
    kernel: &'static str,
    source: &str,
) -> Result<wgpu::ComputePipeline, GpuError> {
    let caught = Caught::new(device);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(kernel),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(kernel),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: wgpu::PipelineCompilationOptions::default(),
        cache: None,
    });
    if let Some(err) = caught.error() {
        return Err(GpuError::Kernel { kernel, message: err.to_string() });
    }
    Ok(pipeline)
}

/// Little-endian bytes of `values`, as the shaders read them (this crate has no bytemuck).
pub(crate) fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// f32 values from a readback.
pub(crate) fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|w| f32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect()
}

/// u32 values from a readback.
pub(crate) fn u32s(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect()
}

/// A read-only storage buffer holding `bytes`, after checking the device can bind it.
pub(crate) fn input(device: &wgpu::Device, kernel: &'static str, bytes: &[u8]) -> Result<wgpu::Buffer, GpuError> {
    check_size(device, kernel, bytes.len() as u64)?;
    // wgpu refuses zero-sized bindings; an empty input still gets one word.
    let contents = if bytes.is_empty() { &[0u8; 4][..] } else { bytes };
    let caught = Caught::new(device);
    let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(kernel),
        contents,
        usage: wgpu::BufferUsages::STORAGE,
    });
    match caught.error() {
        Some(err) => Err(GpuError::Kernel { kernel, message: err.to_string() }),
        None => Ok(buffer),
    }
}

fn check_size(device: &wgpu::Device, kernel: &'static str, bytes: u64) -> Result<(), GpuError> {
    let limits = device.limits();
    // Shaders index with u32, so 4 GiB is the ceiling whatever the device allows.
    let max = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size).min(u64::from(u32::MAX));
    if bytes > max {
        return Err(GpuError::InvalidInput {
            kernel,
            message: format!("a {bytes}-byte buffer exceeds this device's {max}-byte limit; pass less data per call"),
        });
    }
    Ok(())
}

/// Lay `groups` workgroups out as (x, y) within the per-dimension limit (65535 on most
/// devices). Shaders recover the linear index as `wid.y * num_workgroups.x + wid.x` and skip
/// the few past the end.
pub(crate) fn grid(device: &wgpu::Device, kernel: &'static str, groups: u64) -> Result<(u32, u32), GpuError> {
    let max = u64::from(device.limits().max_compute_workgroups_per_dimension);
    let x = groups.clamp(1, max);
    let y = groups.div_ceil(x).max(1);
    if y > max {
        return Err(GpuError::InvalidInput {
            kernel,
            message: format!("{groups} workgroups exceed this device's {max}x{max} grid; pass less data per call"),
        });
    }
    // Both fit in u32: each is at most `max`, itself a u32.
    Ok((x as u32, y as u32))
}

/// One dispatch: bindings, grid and output sizes.
pub(crate) struct Launch<'a> {
    pub kernel: &'static str,
    /// The `Params` uniform's bytes (binding 0).
    pub uniforms: &'a [u8],
    /// Read-only inputs, bindings 1.. in order.
    pub inputs: &'a [&'a wgpu::Buffer],
    /// Output sizes in bytes, bound after the inputs in order.
    pub outputs: &'a [u64],
    pub groups: (u32, u32),
}

/// Run `launch` with `pipeline` and read every output back, in order.
pub(crate) fn run(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    pipeline: &wgpu::ComputePipeline,
    launch: &Launch<'_>,
) -> Result<Vec<Vec<u8>>, GpuError> {
    let kernel = launch.kernel;
    for &size in launch.outputs {
        check_size(device, kernel, size)?;
    }
    let caught = Caught::new(device);
    let uniforms = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(kernel),
        contents: launch.uniforms,
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let buffer = |size: u64, usage| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(kernel),
            size: size.max(4),
            usage,
            mapped_at_creation: false,
        })
    };
    let outputs: Vec<wgpu::Buffer> = launch
        .outputs
        .iter()
        .map(|&size| buffer(size, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC))
        .collect();
    let staging: Vec<wgpu::Buffer> = launch
        .outputs
        .iter()
        .map(|&size| buffer(size, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST))
        .collect();
    let entries: Vec<wgpu::BindGroupEntry<'_>> = std::iter::once(&uniforms)
        .chain(launch.inputs.iter().copied())
        .chain(&outputs)
        .enumerate()
        .map(|(binding, buffer)| wgpu::BindGroupEntry { binding: binding as u32, resource: buffer.as_entire_binding() })
        .collect();
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(kernel),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(kernel) });
    {
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel), timestamp_writes: None });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(launch.groups.0, launch.groups.1, 1);
    }
    for ((output, staging), &size) in outputs.iter().zip(&staging).zip(launch.outputs) {
        encoder.copy_buffer_to_buffer(output, 0, staging, 0, size.max(4));
    }
    let submission = queue.submit([encoder.finish()]);
    if let Some(err) = caught.error() {
        return Err(GpuError::Kernel { kernel, message: err.to_string() });
    }
    staging
        .iter()
        .zip(launch.outputs)
        .map(|(staging, &size)| {
            let mut bytes = crate::readback::read_buffer(device, staging, submission.clone(), kernel)?;
            bytes.truncate(size as usize);
            Ok(bytes)
        })
        .collect()
}
