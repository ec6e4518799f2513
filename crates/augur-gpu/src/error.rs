//! The one error type of augur-gpu.

/// What can go wrong while opening the shared device, handing it to burn, or running a kernel.
///
/// Messages say what failed and what to do about it, so the CLI can print them as they are.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// wgpu found no adapter at all on any backend.
    #[error(
        "no GPU adapter found; install a GPU driver, or mesa-vulkan-drivers for a software \
         Vulkan adapter (lavapipe), then run `augur gpu-info`"
    )]
    NoAdapter,

    /// Adapters exist, but none matches what the caller asked for.
    #[error("no adapter matches {wanted}; available: {available}; run `augur gpu-info` to list them")]
    NoMatchingAdapter {
        /// What was asked for, in words.
        wanted: String,
        /// The adapters that exist, comma-separated.
        available: String,
    },

    /// The adapter refused to open a device with the features and limits burn needs.
    #[error("could not open a device on adapter {adapter}: {source}; try another adapter with AdapterChoice::Named")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's reason.
        #[source]
        source: wgpu::RequestDeviceError,
    },

    /// burn's wgpu runtime refused the shared device.
    #[error("burn could not use the shared wgpu device ({adapter}): {source}")]
    BurnInit {
        /// Adapter name.
        adapter: String,
        /// burn's reason.
        #[source]
        source: burn::tensor::wgpu::WgpuInitError,
    },

    /// A burn operation failed while running or reading back its result.
    #[error("burn operation failed on {device}: {message}")]
    Burn {
        /// The burn device, as burn prints it.
        device: String,
        /// burn's reason.
        message: String,
    },

    /// Input that a kernel cannot process (wrong length, zero size, too large).
    #[error("invalid input to {kernel}: {message}")]
    InvalidInput {
        /// Kernel name.
        kernel: &'static str,
        /// What is wrong with the input.
        message: String,
    },

    /// The device refused a shader, pipeline or dispatch: a bug in our kernel or a device limit.
    #[error("the device refused kernel {kernel}: {message}")]
    Kernel {
        /// Kernel name.
        kernel: &'static str,
        /// wgpu's validation message.
        message: String,
    },

    /// Reading a result back from the device failed (device lost, out of memory).
    #[error("reading back the result of {kernel} failed: {message}; the device may have been lost")]
    Readback {
        /// Kernel name.
        kernel: &'static str,
        /// wgpu's reason.
        message: String,
    },
}
