//! Where the model runs: a real GPU through the shared wgpu device when there is one, else
//! burn's CPU backend. A software Vulkan adapter (lavapipe) is several times slower than the
//! CPU backend for this model (DESIGN.md §3), so `Auto` only takes hardware GPUs.

use std::sync::Arc;

use augur_gpu::{AdapterChoice, GpuContext};
use burn::tensor::Device;

use crate::ModelError;

/// Which device the user asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    /// A hardware GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// burn's CPU backend (flex).
    Cpu,
    /// The wgpu device, software adapters included (lavapipe in CI).
    Gpu,
}

impl DeviceChoice {
    /// Parses `auto`, `cpu` or `gpu`.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        match text.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "gpu" | "wgpu" => Ok(Self::Gpu),
            other => Err(ModelError::Device(format!("unknown device {other:?}: use auto, cpu or gpu"))),
        }
    }
}

/// A burn device plus, on the GPU path, the shared wgpu context it was made from.
#[derive(Clone, Debug)]
pub struct ComputeDevice {
    /// burn's device; tensors made on it run there.
    pub device: Device,
    /// Human-readable name, e.g. `cpu (flex)` or `wgpu: NVIDIA RTX 4090 (Vulkan)`.
    pub name: String,
    /// The shared wgpu context when running on wgpu, for our own kernels.
    pub gpu: Option<Arc<GpuContext>>,
    /// Why the device differs from the request, when it does (shown to the user).
    pub notice: Option<String>,
}

impl ComputeDevice {
    /// burn's CPU backend.
    pub fn cpu() -> Self {
        Self { device: Device::flex(), name: "cpu (burn flex)".into(), gpu: None, notice: None }
    }

    fn wgpu(ctx: GpuContext) -> Result<Self, ModelError> {
        let device = ctx.burn_device().map_err(|e| ModelError::Device(e.to_string()))?;
        let name = format!("wgpu: {} ({})", ctx.info.name, ctx.info.backend);
        Ok(Self { device, name, gpu: Some(Arc::new(ctx)), notice: None })
    }

    /// Whether this is the wgpu path.
    pub fn is_gpu(&self) -> bool {
        self.gpu.is_some()
    }
}

/// Opens the device `choice` asks for. `Auto` never fails: with no usable GPU it falls back to
/// the CPU and says why in [`ComputeDevice::notice`].
pub fn pick_device(choice: &DeviceChoice) -> Result<ComputeDevice, ModelError> {
    match choice {
        DeviceChoice::Cpu => Ok(ComputeDevice::cpu()),
        DeviceChoice::Gpu => {
            let ctx = GpuContext::new(AdapterChoice::PreferHardware)
                .map_err(|e| ModelError::Device(format!("{e}; use --device cpu to run on the CPU instead")))?;
            ComputeDevice::wgpu(ctx)
        }
        DeviceChoice::Auto => {
            let fallback = |why: String| {
                let mut cpu = ComputeDevice::cpu();
                cpu.notice = Some(format!("running the model on the CPU: {why}"));
                cpu
            };
            match GpuContext::new(AdapterChoice::RequireHardware) {
                Ok(ctx) => Ok(ComputeDevice::wgpu(ctx).unwrap_or_else(|e| fallback(e.to_string()))),
                Err(e) => Ok(fallback(format!("no hardware GPU ({e})"))),
            }
        }
    }
}
