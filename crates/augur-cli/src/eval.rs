//! `augur eval`: score a model per horizon step against copy-last-frame on held-out scenes and
//! real clips, and its violation-of-expectation accuracy; print and write markdown + JSON.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Result, bail};
use augur_model::eval::{Footage, Plan, Report, evaluate, write_report};
use augur_model::{DeviceChoice, checkpoint, data, pick_device};

/// Evaluate a world model.
///
/// Example: augur eval --model models/bounce-64 --data file:/usr/share/doc/opencv-doc/examples/data/Megamind.avi
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The model (`name`, `name.safetensors` or `name.json`).
    #[arg(long)]
    model: PathBuf,
    /// Real clips to score besides the held-out scenes (`file:…`), repeatable.
    #[arg(long = "data")]
    data: Vec<String>,
    /// Held-out scene clips for the horizon table (at most 512: the latent probe keeps twelve
    /// times as many reference clips in memory, about 1 GB at the default 64).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(..=512))]
    clips: u64,
    /// Windows per real clip (at most 4096).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(..=4096))]
    windows: u64,
    /// Possible/impossible pairs for violation of expectation (a third as many balanced
    /// permanence quadruplets, and as many continuity and solidity ones, come with them; at
    /// most 4800).
    #[arg(long, default_value_t = 240, value_parser = clap::value_parser!(u64).range(..=4800))]
    pairs: u64,
    /// Rollout horizon (default: the model's).
    #[arg(long)]
    horizon: Option<usize>,
    /// Where to write eval.md, eval.json and surprise plots (default: beside the model).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Store the results in the model's card.
    #[arg(long)]
    write_card: bool,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
}

pub fn run(args: &Args) -> Result<()> {
    let device = pick_device(&DeviceChoice::parse(&args.device)?)?;
    if let Some(notice) = &device.notice {
        eprintln!("augur: {notice}");
    }
    let (model, mut card) = checkpoint::load(&args.model, &device.device)?;
    let cfg = card.config.clone();
    let horizon = args.horizon.unwrap_or(cfg.horizon);
    if horizon == 0 || horizon > cfg.max_horizon {
        bail!("--horizon must be 1 to {} for this model", cfg.max_horizon);
    }
    if args.clips == 0 || args.windows == 0 {
        bail!("--clips and --windows must be at least 1 (they are {} and {})", args.clips, args.windows);
    }
    eprintln!("augur: evaluating {} on {}", args.model.display(), device.name);
    let mut footage = Vec::new();
    for given in &args.data {
        let (source, deaf) = data::ClipSource::open_pictures_if_deaf(given, cfg.image_size)?;
        if let Some(deaf) = deaf {
            eprintln!("augur: {deaf}");
        }
        let episodes = match source {
            data::ClipSource::Video { reel, .. } => vec![reel],
            data::ClipSource::Episodes { episodes, .. } => episodes,
            data::ClipSource::Scene(_) => {
                bail!("--data takes real clips (file:…, dataset:…); scenes are always evaluated")
            }
        };
        footage.push(Footage { name: given.clone(), episodes });
    }
    // `NAME.eval` beside the card, the whole name kept (`tiny-v1.5.eval`); checked before the
    // minutes of evaluation, which a folder that cannot be written would throw away.
    let out = args.out.clone().unwrap_or_else(|| checkpoint::paths(&args.model).1.with_extension("eval"));
    crate::folder::around(&out, || score(args, &mut card, &model, &footage, &out, horizon, &device))
}

/// Evaluates `model` into `out` (made and checked), and its card when asked.
fn score(
    args: &Args,
    card: &mut augur_model::card::ModelCard,
    model: &augur_model::WorldModel,
    footage: &[Footage],
    out: &std::path::Path,
    horizon: usize,
    device: &augur_model::ComputeDevice,
) -> Result<()> {
    let cfg = card.config.clone();
    let plan = Plan { clips: args.clips as usize, windows: args.windows as usize, pairs: args.pairs as usize, horizon };
    // On a terminal one line kept up to date; in a log a line every tenth.
    let (tty, mut shown) = (std::io::stderr().is_terminal(), 0);
    let scores = evaluate(model, &cfg, &plan, footage, &device.device, |stage, done, total| {
        if done == 0 {
            eprintln!("augur: {stage}…");
            return;
        }
        let line = format!("{stage} {done}/{total}");
        if tty && (done % 20 == 0 || done == total) {
            eprint!("\r{line}");
            let _ = std::io::stderr().flush();
        } else if !tty && crate::train::new_tenth(done, total, &mut shown) {
            eprintln!("{line}");
        }
    })?;
    if tty {
        eprintln!();
    }

    let report = Report {
        model: args.model.display().to_string(),
        device: device.name.clone(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        scores,
    };
    print!("{}", write_report(&report, model, &cfg, out, &device.device)?);
    println!("\nwritten: {}/eval.md, eval.json, voe-*.png", out.display());
    if args.write_card {
        card.eval = Some(serde_json::to_value(&report)?);
        checkpoint::save_card(card, &args.model)?;
        println!("stored in the card of {}", args.model.display());
    }
    Ok(())
}
