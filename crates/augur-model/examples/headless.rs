//! Train, evaluate and time world models on a machine with a GPU but without ffmpeg, a display
//! or a sound card (a rented GPU box): scenes are generated here, real clips come as frames files
//! decoded elsewhere by `export_frames`. It links neither ffmpeg nor ALSA, so the binary and its
//! frames files are all such a machine needs besides a Vulkan driver.
//!
//!   headless train OUT --config train.json --minutes 5 --data scene:bounce@0.8 --data vtest.frames.safetensors@0.2
//!   headless eval MODEL --real megamind.frames.safetensors
//!   headless bench --config train.json

use std::path::{Path, PathBuf};

use augur_model::bench::{time_step, train_rate};
use augur_model::data::{ClipSource, Reel, load_frames, parse_weighted};
use augur_model::eval::{Footage, Plan, Report, evaluate, write_report};
use augur_model::{DeviceChoice, ModelConfig, TrainJob, checkpoint, pick_device};
use clap::Parser;

#[derive(Parser)]
enum Command {
    /// Train (or fine-tune with --init) into OUT, as `augur train` does.
    Train {
        out: PathBuf,
        /// Training config JSON (a card's `training.config`).
        #[arg(long)]
        config: PathBuf,
        /// `scene:…` or a frames file, with `@weight`.
        #[arg(long = "data", required = true)]
        data: Vec<String>,
        /// Train for about this many minutes (else the config's steps).
        #[arg(long)]
        minutes: Option<f64>,
        /// Start from this model.
        #[arg(long)]
        init: Option<PathBuf>,
        /// auto, cpu or gpu.
        #[arg(long, default_value = "gpu")]
        device: String,
    },
    /// `augur eval`'s scenes, real clips and violation-of-expectation figures, into the card.
    Eval {
        model: PathBuf,
        /// Frames files of real clips.
        #[arg(long)]
        real: Vec<PathBuf>,
        #[arg(long, default_value_t = 240)]
        pairs: usize,
        #[arg(long, default_value = "gpu")]
        device: String,
    },
    /// One live step and training throughput per size on the GPU (`augur bench model`'s figures).
    Bench {
        /// Extra sizes to time besides the default, as training config JSONs.
        #[arg(long)]
        config: Vec<PathBuf>,
        #[arg(long, default_value_t = 10)]
        reps: usize,
    },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Command::parse() {
        Command::Train { out, config, data, minutes, init, device } => {
            train(out, &config, &data, minutes, init, &device)
        }
        Command::Eval { model, real, pairs, device } => eval(&model, &real, pairs, &device),
        Command::Bench { config, reps } => bench(&config, reps),
    }
}

/// `spec@weight` → the source, the name the card records, the weight.
fn open(spec: &str, size: usize) -> Result<(ClipSource, String, f32), Box<dyn std::error::Error>> {
    let (name, weight) = parse_weighted(spec)?;
    if name.starts_with("scene:") {
        return Ok((ClipSource::scene(&name, size)?, name, weight));
    }
    let (frames, source) = frames_at(Path::new(&name), size)?;
    Ok((ClipSource::Video { name: source.clone(), reel: Reel::silent(frames) }, source, weight))
}

/// A frames file's frames and source, refused unless they are at the model's `size`.
fn frames_at(path: &Path, size: usize) -> Result<(Vec<Vec<f32>>, String), String> {
    let (frames, at, source) = load_frames(path).map_err(|e| e.to_string())?;
    if at != size {
        let hint = format!("write one with `export_frames {size} …`");
        return Err(format!("{} holds {at}px frames; the model takes {size}px ({hint})", path.display()));
    }
    Ok((frames, source))
}

fn train(
    out: PathBuf,
    config: &Path,
    data: &[String],
    minutes: Option<f64>,
    init: Option<PathBuf>,
    device: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg =
        augur_model::train::load_config(config).map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    cfg.time_budget_s = minutes.map(|m| m * 60.0);
    let size = match &init {
        Some(m) => checkpoint::load_card(m)?.config.image_size,
        None => cfg.model.image_size,
    };
    let opened = data.iter().map(|d| open(d, size)).collect::<Result<Vec<_>, _>>()?;
    let device = pick_device(&DeviceChoice::parse(device)?)?;
    eprintln!("headless: training on {} into {}", device.name, out.display());
    let job = TrainJob {
        config: cfg,
        data: opened.iter().map(|(_, n, w)| (n.clone(), *w)).collect(),
        out: out.clone(),
        resume: false,
        init,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        device,
        cancel: Default::default(),
        stop_after: None,
    };
    let sources: Vec<ClipSource> = opened.into_iter().map(|(s, _, _)| s).collect();
    let card = augur_model::train_on(&job, &sources, |p| {
        if p.step % 50 == 0 || p.checkpoint.is_some() {
            let l = &p.losses;
            eprintln!(
                "step {}/{} loss {:.4} pred {:.5} rec {:.5} pix {:.5} mask {:.3} std {:.2} (min {:.2}) {:.0} clips/s",
                p.step,
                p.steps,
                l.total,
                l.prediction,
                l.reconstruction,
                l.pixel,
                l.mask,
                l.latent_std_mean,
                l.latent_std_min,
                p.samples_per_s
            );
        }
    })?;
    let t = card.training.as_ref();
    println!(
        "trained {} steps in {:.0} s into {}",
        t.map_or(0, |t| t.steps_done),
        t.map_or(0.0, |t| t.wall_time_s),
        out.display()
    );
    Ok(())
}

fn eval(model_path: &Path, real: &[PathBuf], pairs: usize, device: &str) -> Result<(), Box<dyn std::error::Error>> {
    let device = pick_device(&DeviceChoice::parse(device)?)?;
    let (model, mut card) = checkpoint::load(model_path, &device.device)?;
    let started = std::time::Instant::now();
    let mut footage = Vec::new();
    for path in real {
        let (frames, name) = frames_at(path, card.config.image_size)?;
        footage.push(Footage { name, episodes: vec![Reel::silent(frames)] });
    }
    let plan = Plan { clips: 64, windows: 32, pairs, horizon: card.config.horizon };
    let scores = evaluate(&model, &card.config, &plan, &footage, &device.device, |stage, done, total| {
        // done 0 (a stage starting) is a multiple of 40 too.
        if done % 40 == 0 || done == total {
            let count = if done == 0 { String::new() } else { format!(" {done}/{total}") };
            eprintln!("{stage}{count} ({:.0} s)", started.elapsed().as_secs_f64());
        }
    })?;
    let report = Report {
        model: model_path.display().to_string(),
        device: device.name.clone(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        scores,
    };
    // Where `augur eval` writes by default, and the same fields `--write-card` stores.
    let out = checkpoint::paths(model_path).0.with_extension("eval");
    print!("{}", write_report(&report, &model, &card.config, &out, &device.device)?);
    card.eval = Some(serde_json::to_value(&report)?);
    checkpoint::save_card(&card, model_path)?;
    eprintln!(
        "headless: evaluated in {:.0} s; card updated, report in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

fn bench(configs: &[PathBuf], reps: usize) -> Result<(), Box<dyn std::error::Error>> {
    let gpu = pick_device(&DeviceChoice::Gpu)?;
    let mut sizes = vec![("default 64px".to_string(), ModelConfig::new())];
    for path in configs {
        let cfg = augur_model::train::load_config(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        sizes.push((path.display().to_string(), cfg.model));
    }
    println!(
        "| size | device | params | encode ms | rollout H ms | decode H ms | step ms | steps/s | train clips/s (batch 8 / 64) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, cfg) in &sizes {
        let r = time_step(name, cfg, &gpu, reps)?;
        let (b8, b64) = (train_rate(cfg, &gpu, 10, 8)?, train_rate(cfg, &gpu, 10, 64)?);
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {b8:.0} / {b64:.0} |",
            r.size, r.device, r.params, r.encode_ms, r.rollout_ms, r.decode_ms, r.step_ms, r.steps_per_s
        );
    }
    Ok(())
}
