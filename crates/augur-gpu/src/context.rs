//! [`GpuContext`]: the instance, adapter, device and queue every GPU user of Augur shares.

use std::sync::{Mutex, PoisonError};

use crate::adapter::{AdapterChoice, AdapterSummary, choose, new_instance};
use crate::error::GpuError;

/// The one wgpu device of the app, opened once and shared by burn, egui-wgpu and our kernels.
///
/// wgpu handles are reference-counted: clone `device` and `queue` to hand them to a thread;
/// they stay the same device. Work from burn, egui and our kernels is submitted to the one
/// `queue`, so it runs in submission order and textures need no copy between them.
#[derive(Debug)]
pub struct GpuContext {
    /// The instance the adapter came from.
    pub instance: wgpu::Instance,
    /// The physical device.
    pub adapter: wgpu::Adapter,
    /// The logical device, opened with every feature and limit the adapter offers.
    pub device: wgpu::Device,
    /// The queue everything is submitted to.
    pub queue: wgpu::Queue,
    /// The adapter, as `augur gpu-info` shows it.
    pub info: AdapterSummary,
    /// burn's handle on this device, registered on first use: each registration creates a
    /// new burn runtime with its own memory pools, so it must happen once.
    burn: Mutex<Option<burn::tensor::Device>>,
}

impl GpuContext {
    /// Pick an adapter as `choice` says and open the shared device on it.
    ///
    /// # Errors
    /// [`GpuError::NoAdapter`] when the machine has none, [`GpuError::NoMatchingAdapter`] when
    /// none fits `choice`, [`GpuError::RequestDevice`] when the adapter refuses the device.
    pub fn new(choice: AdapterChoice) -> Result<Self, GpuError> {
        let instance = new_instance();
        let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        if adapters.is_empty() {
            return Err(GpuError::NoAdapter);
        }
        let infos: Vec<wgpu::AdapterInfo> = adapters.iter().map(wgpu::Adapter::get_info).collect();
        let Some(index) = choose(&infos, &choice) else {
            let available: Vec<String> = infos.iter().map(|info| AdapterSummary::from_info(info).to_string()).collect();
            return Err(GpuError::NoMatchingAdapter { wanted: choice.to_string(), available: available.join(", ") });
        };
        let adapter = adapters.swap_remove(index);
        let info = AdapterSummary::from_info(&infos[index]);
        let (device, queue) = pollster::block_on(adapter.request_device(&device_descriptor(&adapter)))
            .map_err(|source| GpuError::RequestDevice { adapter: info.name.clone(), source })?;
        Ok(Self { instance, adapter, device, queue, info, burn: Mutex::new(None) })
    }

    /// burn's device for this very wgpu device and queue: tensors created on it run on the GPU
    /// egui draws with, and their buffers live in the same device memory.
    ///
    /// The first call registers the device with burn's wgpu runtime
    /// (`Device::wgpu_options().setup(WgpuSetup { .. }).init()`); later calls return clones.
    /// Flush burn's work (`device.sync()` or reading a tensor) before another user reads
    /// buffers burn wrote.
    ///
    /// # Errors
    /// [`GpuError::BurnInit`] when burn rejects the device (e.g. it lacks compute support).
    pub fn burn_device(&self) -> Result<burn::tensor::Device, GpuError> {
        // A panic while registering cannot leave a half-written Option behind.
        let mut slot = self.burn.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(device) = slot.as_ref() {
            return Ok(device.clone());
        }
        let setup = burn::tensor::wgpu::WgpuSetup {
            instance: self.instance.clone(),
            adapter: self.adapter.clone(),
            device: self.device.clone(),
            queue: self.queue.clone(),
            backend: self.adapter.get_info().backend,
        };
        let device = burn::tensor::Device::wgpu_options()
            .setup(setup)
            .init()
            .map_err(|source| GpuError::BurnInit { adapter: self.info.name.clone(), source })?;
        *slot = Some(device.clone());
        Ok(device)
    }
}

/// The device burn's WGSL runtime would open itself (cubecl-wgpu `backend/wgsl.rs`): every
/// adapter feature and limit, because burn picks kernels from the adapter's features (f16,
/// subgroups, 64-bit ints) and sizes work from its limits, and fails at launch if the device
/// lacks them. Two exceptions: mapping primary buffers is slow on discrete GPUs and nobody
/// needs it, and experimental features need `unsafe` to enable, which this workspace denies.
fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("augur shared device"),
        required_features: adapter
            .features()
            .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS)
            .difference(wgpu::Features::all_experimental_mask()),
        required_limits: adapter.limits(),
        // burn pools its own allocations, so ask the driver for small blocks, as burn does.
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        ..Default::default()
    }
}
