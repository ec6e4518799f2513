//! `augur bench model`: what one live prediction step costs per model size and device
//! (encode a frame, roll out H, decode H frames), training throughput, and our WGSL kernels
//! against the burn ops they replace. Writes bench/results/model.{md,json}.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use augur_model::eval::read;
use augur_model::{ComputeDevice, DeviceChoice, ModelConfig, TrainConfig, TrainJob, WorldModel, pick_device};
use burn::tensor::{Device, Distribution, Tensor};
use serde::Serialize;

/// Benchmarks.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Model step cost per size on wgpu and the CPU, training throughput, kernels vs burn ops.
    Model(ModelArgs),
    /// `augur record` vs the ffmpeg CLI on the same 720p30 + 48 kHz source: dropped frames,
    /// A/V drift, CPU and memory, side by side.
    Record(crate::bench_record::RecordArgs),
    /// The live session headless on lavfi 640x480@30 and the scene: preview fps, prediction
    /// rate, latency, skipped and lost frames, CPU, memory.
    Live(crate::bench_live::LiveArgs),
    /// The app's window under a real webview: frames drawn per second, camera-to-screen
    /// latency, memory, and binary IPC vs a loopback stream for images of each size.
    Window(crate::bench_window::WindowArgs),
}

#[derive(clap::Args)]
struct ModelArgs {
    /// Timed repetitions per figure (after one warm-up).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Training steps timed per size.
    #[arg(long, default_value_t = 3)]
    train_steps: usize,
    /// Skip the wgpu device.
    #[arg(long)]
    cpu_only: bool,
    /// Output folder.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
}

#[derive(Serialize)]
struct StepFigures {
    size: String,
    device: String,
    params: usize,
    encode_ms: f64,
    rollout_ms: f64,
    decode_ms: f64,
    step_ms: f64,
    steps_per_s: f64,
    train_clips_per_s: Option<f64>,
    peak_rss_mb: f64,
}

pub fn run(args: &Args) -> Result<()> {
    match &args.what {
        What::Model(a) => model(a),
        What::Record(a) => crate::bench_record::run(a),
        What::Live(a) => crate::bench_live::run(a),
        What::Window(a) => crate::bench_window::run(a),
    }
}

fn sizes() -> Vec<(&'static str, ModelConfig)> {
    vec![
        // The tests' tiny model with a live-sized context, horizon and audio token.
        ("tiny 32px", ModelConfig::tiny().with_context(4).with_horizon(8).with_max_horizon(32).with_audio_mels(64)),
        ("default 64px", ModelConfig::new()),
        // bounce-64-warp's decoder: sees the change and moves the last frame before painting.
        ("64px warping", ModelConfig::new().with_decoder_sees_change(Some(true)).with_decoder_warps(Some(true))),
        ("128px", ModelConfig::new().with_image_size(128)),
    ]
}

fn model(args: &ModelArgs) -> Result<()> {
    let mut devices = vec![ComputeDevice::cpu()];
    if !args.cpu_only {
        match pick_device(&DeviceChoice::Gpu) {
            Ok(gpu) => devices.push(gpu),
            Err(e) => eprintln!("augur: no wgpu device, CPU only: {e}"),
        }
    }
    let mut rows = Vec::new();
    for device in &devices {
        for (name, cfg) in sizes() {
            eprintln!("augur: timing {name} on {}", device.name);
            let mut row = time_step(name, &cfg, device, args.reps)?;
            // Training on a software adapter compiles hundreds of autodiff kernels for minutes
            // and is several times slower than the CPU anyway; time it on CPUs and real GPUs.
            if device.gpu.as_ref().is_none_or(|g| !g.info.software) {
                row.train_clips_per_s = Some(train_rate(&cfg, device, args.train_steps)?);
            }
            rows.push(row);
        }
    }
    let mut md = markdown(&rows, &devices);
    let mut kernels = Vec::new();
    if let Some(ctx) = devices.iter().find_map(|d| d.gpu.clone()) {
        eprintln!("augur: timing the WGSL kernels against burn op chains on {}", ctx.info.name);
        kernels = augur_gpu::kernels_bench::run(&ctx, args.reps)?;
        md.push_str(
            "
## Our WGSL kernels vs the same work as burn ops (same device, readback included, median)

",
        );
        md.push_str("| kernel | workload | kernel ms | burn ms | burn / kernel |\n|---|---|---|---|---|\n");
        for k in &kernels {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:.2} | {:.2} |",
                k.name, k.workload, k.kernel_ms, k.burn_ms, k.ratio
            );
        }
    }
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("model.md"), &md)?;
    let json = serde_json::json!({ "steps": rows, "kernels": kernels });
    std::fs::write(args.out.join("model.json"), serde_json::to_string_pretty(&json)?)?;
    println!("written: {}/model.md, model.json", args.out.display());
    Ok(())
}

/// One live step: encode the newest frame, roll out H from C cached latents, decode H frames.
fn time_step(name: &str, cfg: &ModelConfig, device: &ComputeDevice, reps: usize) -> Result<StepFigures> {
    let d: &Device = &device.device;
    let model = WorldModel::new(cfg, d);
    let s = cfg.image_size;
    let frame = Tensor::<5>::random([1, 1, 3, s, s], Distribution::Uniform(0.0, 1.0), d);
    let context =
        Tensor::<4>::random([1, cfg.context, cfg.tokens(), cfg.latent_dim], Distribution::Normal(0.0, 1.0), d);
    let timed = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        f()?; // warm-up: kernel compilation and allocation
        let start = Instant::now();
        for _ in 0..reps.max(1) {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64() * 1e3 / reps.max(1) as f64)
    };
    let encode_ms = timed(&mut || read(model.online.forward(frame.clone(), None)).map(drop).map_err(Into::into))?;
    let rollout_ms =
        timed(&mut || read(model.rollout(context.clone(), None, cfg.horizon)).map(drop).map_err(Into::into))?;
    let future = model.rollout(context.clone(), None, cfg.horizon);
    let anchor = frame.clone().reshape([1, 3, s, s]);
    let decode_ms = timed(&mut || read(model.decode(future.clone(), anchor.clone())).map(drop).map_err(Into::into))?;
    let step_ms = encode_ms + rollout_ms + decode_ms;
    Ok(StepFigures {
        size: name.into(),
        device: device.name.clone(),
        params: burn::module::Module::num_params(&model),
        encode_ms,
        rollout_ms,
        decode_ms,
        step_ms,
        steps_per_s: 1e3 / step_ms,
        train_clips_per_s: None,
        peak_rss_mb: peak_rss_mb(),
    })
}

fn train_rate(cfg: &ModelConfig, device: &ComputeDevice, steps: usize) -> Result<f64> {
    let dir = tempfile_dir()?;
    let job = TrainJob {
        config: TrainConfig::new(cfg.clone()).with_steps(steps + 1).with_checkpoint_every(10_000).with_batch_size(8),
        data: vec![("scene:bounce".into(), 1.0)],
        out: dir.clone(),
        resume: false,
        init: None,
        command: "augur bench model".into(),
        device: device.clone(),
        cancel: Default::default(),
    };
    let mut start = None;
    let mut last = 0.0;
    augur_model::train(&job, |p| {
        // The first step includes kernel compilation; time the rest.
        if p.step == 1 {
            start = Some(Instant::now());
        } else if let Some(s) = start {
            last = ((p.step - 1) * 8) as f64 / s.elapsed().as_secs_f64();
        }
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(last)
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("augur-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Peak resident memory of this process so far (VmHWM), MB; 0 where /proc is missing.
fn peak_rss_mb() -> f64 {
    crate::measure::memory_mb(None, "VmHWM").unwrap_or(0.0)
}

fn markdown(rows: &[StepFigures], devices: &[ComputeDevice]) -> String {
    let mut md = String::from("# Model benchmark (`augur bench model`)\n\n");
    let _ = writeln!(
        md,
        "Machine: {}. Devices: {}.",
        augur_model::train::machine(),
        devices.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join("; ")
    );
    md.push_str("One live step = encode the newest frame + roll out H=8 from C=8 cached latents + decode the 8 predicted frames. Mean of the timed repetitions after a warm-up, read back to the host each time. Peak RSS is the whole process so far.\n\n");
    md.push_str("| size | device | params | encode ms | rollout H=8 ms | decode 8 ms | step ms | steps/s | train clips/s | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let train = r.train_clips_per_s.map_or("-".into(), |v| format!("{v:.1}"));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {train} | {:.0} |",
            r.size, r.device, r.params, r.encode_ms, r.rollout_ms, r.decode_ms, r.step_ms, r.steps_per_s, r.peak_rss_mb
        );
    }
    md
}
