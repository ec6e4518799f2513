//! The shared device on whatever adapter the machine has (Mesa lavapipe in CI): adapters,
//! burn on the shared device, and our kernels against their CPU references (preprocess here,
//! the others in `kernels.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use augur_gpu::preprocess::{self, Normalize, Params};
use augur_gpu::{AdapterChoice, BurnCheck, GpuContext, list_adapters};

/// logmel, heatmap and project against their CPU references.
mod kernels;

/// One device for the whole binary, as in the app: burn registers it once.
fn gpu() -> &'static GpuContext {
    static GPU: OnceLock<GpuContext> = OnceLock::new();
    GPU.get_or_init(|| GpuContext::new(AdapterChoice::PreferHardware).expect("open the shared device"))
}

#[test]
fn an_error_caught_is_returned_not_sent_to_the_panicking_handler() {
    let device = &gpu().device;
    let caught = augur_gpu::Caught::new(device);
    // A buffer mapped at creation must be a whole number of words: a validation error.
    let _odd = device.create_buffer(&augur_gpu::wgpu::BufferDescriptor {
        label: Some("odd"),
        size: 3,
        usage: augur_gpu::wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: true,
    });
    let error = caught.error().expect("the odd buffer is refused");
    assert!(matches!(error, augur_gpu::wgpu::Error::Validation { .. }), "{error}");
    assert!(augur_gpu::Caught::new(device).error().is_none());
    // Dropped without asking (an early return): its scopes are popped in order, no panic.
    drop(augur_gpu::Caught::new(device));
    assert!(augur_gpu::Caught::new(device).error().is_none());
}

#[test]
fn adapters_are_listed_and_serialise() {
    let adapters = list_adapters();
    assert!(!adapters.is_empty(), "no adapters; install mesa-vulkan-drivers");
    let json = serde_json::to_string(&adapters).unwrap();
    eprintln!("{json}");
    for a in &adapters {
        assert!(!a.name.is_empty() && !a.backend.is_empty() && !a.device_type.is_empty(), "{a:?}");
    }
    // The machines the tests run on have Mesa's lavapipe (install-deps.sh installs it): it is
    // listed, and marked as running on the CPU.
    let lavapipe = adapters.iter().find(|a| a.driver == "llvmpipe" || a.name.starts_with("llvmpipe"));
    assert!(lavapipe.is_some_and(|a| a.software), "lavapipe is not listed as software: {json}");
    let back: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.len(), adapters.len());
    assert!(back.iter().all(|a| a["software"].is_boolean() && a["name"].is_string()), "{json}");
}

#[test]
fn context_opens_the_best_adapter() {
    let gpu = gpu();
    assert_eq!(gpu.info.name, gpu.adapter.get_info().name);
    eprintln!("opened {}", gpu.info);
    // The device has the adapter's limits, not WebGPU's defaults: burn sizes work from them.
    assert_eq!(
        gpu.device.limits().max_storage_buffer_binding_size,
        gpu.adapter.limits().max_storage_buffer_binding_size
    );
}

#[test]
fn named_choice_that_matches_nothing_lists_the_adapters() {
    let err = GpuContext::new(AdapterChoice::Named("no such adapter 42".into())).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("available:") && message.contains("gpu-info"), "{message}");
}

#[test]
fn burn_on_the_shared_device_agrees_with_the_cpu() {
    let gpu = gpu();
    let check = gpu.burn_smoke_test().unwrap();
    eprintln!("{}", serde_json::to_string(&check).unwrap());
    assert!(check.passed(), "max abs diff {} > {}", check.max_abs_diff, BurnCheck::TOLERANCE);
    // Registered once: a second call hands back the same runtime.
    let again = format!("{:?}", gpu.burn_device().unwrap());
    assert_eq!(again, check.device);
}

/// A frame with structure in every channel, so a swapped channel or row shows up.
fn test_frame(width: u32, height: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            rgb.push((x * 255 / (width - 1).max(1)) as u8);
            rgb.push((y * 37 % 256) as u8);
            rgb.push(((x * 7 + y * 13) % 256) as u8);
        }
    }
    rgb
}

#[test]
fn preprocess_kernel_matches_the_cpu_reference() {
    let gpu = gpu();
    let kernel = preprocess::Preprocessor::new(&gpu.device).unwrap();
    let cases = [
        Params::new((37, 23), (16, 11)),
        Params::new((5, 4), (13, 9)),
        Params::new((64, 48), (64, 48)),
        Params::new((320, 240), (64, 64)).with_normalize(Normalize::IMAGENET),
    ];
    for params in cases {
        let rgb = test_frame(params.src_width, params.src_height);
        let start = std::time::Instant::now();
        let got = kernel.run(&gpu.device, &gpu.queue, &rgb, &params).unwrap();
        let gpu_ms = start.elapsed().as_secs_f64() * 1e3;
        let want = preprocess::reference(&rgb, &params).unwrap();
        assert_eq!(got.len(), params.output_len());
        let max_diff = got
            .iter()
            .zip(&want)
            .map(|(a, b)| if (a - b).is_nan() { f32::INFINITY } else { (a - b).abs() })
            .fold(0.0, f32::max);
        eprintln!("{params:?}: max abs diff {max_diff:e}, {gpu_ms:.2} ms");
        assert!(max_diff <= 1e-4, "{params:?}: max abs diff {max_diff}");
        // Not a constant image: the kernel really wrote the output.
        assert!(got.iter().any(|v| *v != got[0]));
    }
}

#[test]
fn preprocess_rejects_a_short_frame() {
    let gpu = gpu();
    let err = preprocess::run(&gpu.device, &gpu.queue, &[0; 5], &Params::new((2, 2), (1, 1))).unwrap_err();
    assert!(err.to_string().contains("invalid input"), "{err}");
}

#[test]
fn the_context_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GpuContext>();
}

#[test]
fn kernels_bench_gives_finite_positive_figures() {
    let benches = augur_gpu::kernels_bench::run(gpu(), 2).unwrap();
    let names: Vec<&str> = benches.iter().map(|b| b.name).collect();
    assert_eq!(names, ["preprocess", "logmel", "heatmap", "project"]);
    for bench in &benches {
        eprintln!("{}", serde_json::to_string(bench).unwrap());
        for figure in [bench.kernel_ms, bench.burn_ms, bench.ratio] {
            assert!(figure.is_finite() && figure > 0.0, "{bench:?}");
        }
    }
}
