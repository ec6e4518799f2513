//! Adapters: what the machine offers, and which one Augur picks.

use serde::Serialize;

/// One adapter as `augur gpu-info` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterSummary {
    /// Adapter name, e.g. "NVIDIA GeForce RTX 4070" or "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub name: String,
    /// Graphics API: "Vulkan", "Metal", "Dx12", "Gl" or "BrowserWebGpu".
    pub backend: String,
    /// "DiscreteGpu", "IntegratedGpu", "VirtualGpu", "Cpu" or "Other".
    pub device_type: String,
    /// Driver name, e.g. "llvmpipe" for Mesa's lavapipe.
    pub driver: String,
    /// Driver version details.
    pub driver_info: String,
    /// PCI vendor id (0 where the backend reports none).
    pub vendor: u32,
    /// Whether this adapter runs on the CPU (lavapipe, SwiftShader, WARP): correct but slow,
    /// so the app runs its model on burn's CPU backend instead and uses this one for testing.
    pub software: bool,
}

impl AdapterSummary {
    /// Summarise wgpu's adapter info.
    pub fn from_info(info: &wgpu::AdapterInfo) -> Self {
        Self {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            vendor: info.vendor,
            software: is_software(info),
        }
    }
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, {}", self.name, self.backend, self.device_type)?;
        if self.software {
            write!(f, ", software")?;
        }
        write!(f, ")")
    }
}

/// Which adapter [`crate::GpuContext::new`] opens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AdapterChoice {
    /// A real GPU if there is one (discrete, then integrated, then virtual), else a software
    /// adapter. The app's default.
    #[default]
    PreferHardware,
    /// A real GPU, or an error: for benchmarks whose figures mean nothing on a CPU adapter.
    RequireHardware,
    /// A software adapter even when a GPU exists: reproducible images for tests.
    PreferSoftware,
    /// The first adapter whose name contains this text, ignoring case (e.g. "lavapipe",
    /// "llvmpipe", "RTX").
    Named(String),
}

impl std::fmt::Display for AdapterChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PreferHardware | Self::PreferSoftware => write!(f, "any adapter"),
            Self::RequireHardware => write!(f, "a hardware GPU (software adapters excluded)"),
            Self::Named(name) => write!(f, "the name {name:?}"),
        }
    }
}

/// Every adapter wgpu can see, on every backend compiled in, best first.
///
/// Honours `WGPU_BACKEND` and the other wgpu environment overrides.
pub fn list_adapters() -> Vec<AdapterSummary> {
    let instance = new_instance();
    let mut infos: Vec<wgpu::AdapterInfo> = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(wgpu::Adapter::get_info)
        .collect();
    infos.sort_by_key(|info| std::cmp::Reverse(rank(info, false)));
    let mut summaries: Vec<AdapterSummary> = infos.iter().map(AdapterSummary::from_info).collect();
    // The Vulkan loader can list one driver twice (two manifests for the same ICD); the sort
    // keeps such twins adjacent, and showing both only confuses.
    summaries.dedup();
    summaries
}

/// The instance every adapter comes from; headless, since the scope renders offscreen.
pub(crate) fn new_instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Index of the adapter `choice` picks among `infos`, or `None` where none fits.
pub(crate) fn choose(infos: &[wgpu::AdapterInfo], choice: &AdapterChoice) -> Option<usize> {
    let best = |prefer_software: bool, allow_software: bool| {
        infos
            .iter()
            .enumerate()
            .filter(|(_, info)| allow_software || !is_software(info))
            .max_by_key(|(index, info)| (rank(info, prefer_software), std::cmp::Reverse(*index)))
            .map(|(index, _)| index)
    };
    match choice {
        AdapterChoice::PreferHardware => best(false, true),
        AdapterChoice::RequireHardware => best(false, false),
        AdapterChoice::PreferSoftware => best(true, true),
        AdapterChoice::Named(name) => {
            let needle = name.to_lowercase();
            infos.iter().position(|info| {
                info.name.to_lowercase().contains(&needle) || info.driver.to_lowercase().contains(&needle)
            })
        }
    }
}

/// Higher is better. Within a device type the native APIs beat GL, which burn's kernels and
/// egui both run on only with reduced features.
fn rank(info: &wgpu::AdapterInfo, prefer_software: bool) -> (u8, u8) {
    let kind = if is_software(info) {
        if prefer_software { 5 } else { 0 }
    } else {
        match info.device_type {
            wgpu::DeviceType::DiscreteGpu => 4,
            wgpu::DeviceType::IntegratedGpu => 3,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other | wgpu::DeviceType::Cpu => 1,
        }
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 2,
        wgpu::Backend::BrowserWebGpu => 1,
        _ => 0,
    };
    (kind, api)
}

/// Software rasterisers report `Cpu` on Vulkan, but GL's llvmpipe and D3D's WARP often report
/// `Other` or `IntegratedGpu`, so the name decides too.
fn is_software(info: &wgpu::AdapterInfo) -> bool {
    let name = info.name.to_lowercase();
    info.device_type == wgpu::DeviceType::Cpu
        || ["llvmpipe", "lavapipe", "swiftshader", "softpipe", "microsoft basic render"]
            .iter()
            .any(|soft| name.contains(soft))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn info(name: &str, device_type: wgpu::DeviceType, backend: wgpu::Backend) -> wgpu::AdapterInfo {
        wgpu::AdapterInfo {
            name: name.into(),
            device_type,
            backend,
            ..wgpu::AdapterInfo::new(wgpu::DeviceType::Other, wgpu::Backend::Noop)
        }
    }

    fn machine() -> Vec<wgpu::AdapterInfo> {
        vec![
            info("llvmpipe (LLVM 15)", wgpu::DeviceType::Cpu, wgpu::Backend::Vulkan),
            info("Intel UHD 630", wgpu::DeviceType::IntegratedGpu, wgpu::Backend::Gl),
            info("NVIDIA RTX 4070", wgpu::DeviceType::DiscreteGpu, wgpu::Backend::Vulkan),
            info("Intel UHD 630", wgpu::DeviceType::IntegratedGpu, wgpu::Backend::Vulkan),
        ]
    }

    #[test]
    fn hardware_beats_software_and_vulkan_beats_gl() {
        let infos = machine();
        assert_eq!(choose(&infos, &AdapterChoice::PreferHardware), Some(2));
        assert_eq!(choose(&infos[..2], &AdapterChoice::PreferHardware), Some(1));
        assert_eq!(choose(&[infos[1].clone(), infos[3].clone()], &AdapterChoice::PreferHardware), Some(1));
    }

    #[test]
    fn software_only_machine_falls_back_unless_hardware_is_required() {
        let infos = &machine()[..1];
        assert_eq!(choose(infos, &AdapterChoice::PreferHardware), Some(0));
        assert_eq!(choose(infos, &AdapterChoice::RequireHardware), None);
        assert_eq!(choose(&machine(), &AdapterChoice::PreferSoftware), Some(0));
    }

    #[test]
    fn named_matches_a_substring_ignoring_case() {
        let infos = machine();
        assert_eq!(choose(&infos, &AdapterChoice::Named("rtx".into())), Some(2));
        assert_eq!(choose(&infos, &AdapterChoice::Named("radeon".into())), None);
    }
}
