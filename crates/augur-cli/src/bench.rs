//! `augur bench model`: what one live prediction step costs per model size and device
//! (encode a frame, roll out H, decode H frames), training throughput, and our WGSL kernels
//! against the burn ops they replace. Writes bench/results/model.{md,json}.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use augur_model::bench::{StepFigures, time_step, train_rate};
use augur_model::{ComputeDevice, DeviceChoice, ModelConfig, pick_device};

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
    /// Training steps timed per size (at least 1).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    train_steps: u64,
    /// Skip the wgpu device.
    #[arg(long)]
    cpu_only: bool,
    /// Output folder.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
}

pub fn run(args: &Args) -> Result<()> {
    match &args.what {
        What::Model(a) => crate::folder::around(&a.out, || model(a)),
        What::Record(a) => crate::folder::around(&a.out, || crate::bench_record::run(a)),
        What::Live(a) => crate::folder::around(&a.out, || crate::bench_live::run(a)),
        What::Window(a) => crate::folder::around(&a.out, || crate::bench_window::run(a)),
    }
}

fn sizes() -> Vec<(String, ModelConfig)> {
    let mut sizes: Vec<(String, ModelConfig)> = vec![
        // The tests' tiny model with a live-sized context, horizon and audio token.
        ("tiny 32px", ModelConfig::tiny().with_context(4).with_horizon(8).with_max_horizon(32).with_audio_mels(64)),
        ("default 64px", ModelConfig::new()),
        // bounce-64-warp's decoder: sees the change and moves the last frame before painting.
        ("64px warping", ModelConfig::new().with_decoder_sees_change(Some(true)).with_decoder_warps(Some(true))),
        ("128px", ModelConfig::new().with_image_size(128)),
    ]
    .into_iter()
    .map(|(name, cfg)| (name.to_string(), cfg))
    .collect();
    // The bundled default's shape (4 predictor layers that read motion, a warping decoder that
    // sees the frame), weights fresh like the others: what the live view runs.
    let path = augur_model::default_model_path();
    match augur_model::checkpoint::load_card(&path) {
        Ok(card) => sizes.insert(2, (format!("{} shape", card.name), card.config)),
        Err(e) => eprintln!("augur: not timing the bundled default's shape: {e}"),
    }
    sizes
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
            let mut row = time_step(&name, &cfg, device, args.reps)?;
            // Training on a software adapter compiles hundreds of autodiff kernels for minutes
            // and is several times slower than the CPU anyway; time it on CPUs and real GPUs.
            if device.gpu.as_ref().is_none_or(|g| !g.info.software) {
                row.train_clips_per_s = Some(train_rate(&cfg, device, args.train_steps as usize, 8)?);
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
    crate::folder::write(&args.out.join("model.md"), &md)?;
    let json = serde_json::json!({ "steps": rows, "kernels": kernels });
    crate::folder::write(&args.out.join("model.json"), serde_json::to_string_pretty(&json)?)?;
    println!("written: {}/model.md, model.json", args.out.display());
    Ok(())
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
    md.push_str("\nRoll out H=8 and decode the 8 frames one after the other (the columns above) against both at once as the live view runs them (`WorldModel::foresee`: on the CPU each step drawn on a second thread while the next is predicted; on wgpu one after the other). Same run.\n\n");
    md.push_str("| size | device | rollout + decode ms | foresee ms | ratio |\n|---|---|---|---|---|\n");
    for r in rows {
        let apart = r.rollout_ms + r.decode_ms;
        let _ = writeln!(
            md,
            "| {} | {} | {apart:.1} | {:.1} | {:.2} |",
            r.size,
            r.device,
            r.foresee_ms,
            apart / r.foresee_ms
        );
    }
    md.push_str("\nOne rollout step of the predictor (C=8 frames' latents in, the next frame's out): through burn's `TransformerEncoder` over every frame, then the last frame taken (how rollouts ran before), against the fused attention op with the last layer run for the last frame's tokens alone (how they run now). Same weights, same inputs, same run.\n\n");
    md.push_str("| size | device | burn's layers ms | ours ms | burn / ours |\n|---|---|---|---|---|\n");
    for r in rows {
        let ratio = r.predict_burn_ms / r.predict_ms;
        let _ =
            writeln!(md, "| {} | {} | {:.2} | {:.2} | {ratio:.2} |", r.size, r.device, r.predict_burn_ms, r.predict_ms);
    }
    md
}
