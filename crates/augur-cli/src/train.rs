//! `augur train`: train or fine-tune a world model, with a progress line, checkpoints, a loss
//! curve and resume.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result, bail};
use augur_model::train::load_config;
use augur_model::{DeviceChoice, ModelConfig, Progress, TrainConfig, TrainJob, pick_device};

/// Train a world model.
///
/// Example (the bundled model's command is in its card):
///   augur train --data scene:bounce@0.8 --data file:clip.avi@0.2 --steps 2000 --out runs/bounce
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Training data, repeatable: `scene:bounce`, `file:clip.mp4`; append `@weight` to mix.
    #[arg(long = "data", required = true)]
    data: Vec<String>,
    /// Output folder for checkpoints, the card, the loss curve.
    #[arg(long)]
    out: PathBuf,
    /// A training config JSON: a model card's `training.config`, or only the fields it changes
    /// (the rest keep their defaults); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Total optimiser steps.
    #[arg(long)]
    steps: Option<usize>,
    /// Train for about this many minutes instead of --steps: the first steps are timed and the
    /// step count set to what fits (the card records it, so the run can be repeated with --steps).
    #[arg(long, conflicts_with = "steps")]
    minutes: Option<f64>,
    /// Stop once this step is done, with a checkpoint, keeping the learning-rate schedule of
    /// the run's total (--steps): `--resume` later continues it, with the same or another total.
    #[arg(long, value_name = "STEP")]
    stop_after: Option<usize>,
    /// Clips per step.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Peak learning rate.
    #[arg(long)]
    lr: Option<f64>,
    /// Weight of the pixel loss on decoded predictions (0 = pure latent objective).
    #[arg(long)]
    pixel_loss: Option<f32>,
    /// Weight of the penalty on the decoder's painted area (0 = off): where painting does not
    /// pay, a compositing decoder keeps or moves the last frame instead.
    #[arg(long)]
    mask_loss: Option<f32>,
    /// Weight of the warp's reach (0 = off; see LossConfig::reach): the last frame and the
    /// truth blurred alike, so a warping decoder's flow feels a ball that moved further than
    /// bilinear sampling reaches.
    #[arg(long, value_name = "W")]
    reach_loss: Option<f32>,
    /// Extra weight of the audio token's latent error (0 = off; see LossConfig::audio), for
    /// training on sources with sound, where a knock is one token of 17 in one frame of 20.
    #[arg(long, value_name = "W")]
    audio_loss: Option<f32>,
    /// Seed for weights and clip sampling.
    #[arg(long)]
    seed: Option<u64>,
    /// Steps between checkpoints.
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Input size in pixels, square: 32, 64 (the default), 128 or 256.
    #[arg(long)]
    image_size: Option<usize>,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    resume: bool,
    /// Fine-tune: start from this model's weights (e.g. models/bounce-64); its architecture is
    /// kept, so --image-size does not apply.
    #[arg(long, value_name = "MODEL")]
    init: Option<PathBuf>,
    /// The decoder also sees how each token changed since the last observed frame (see
    /// ModelConfig::decoder_sees_change). With --init, the starting model's decoder is widened
    /// so it first draws exactly what it drew before.
    #[arg(long)]
    decoder_sees_change: bool,
    /// The decoder also moves the last observed frame by a predicted flow before painting (see
    /// ModelConfig::decoder_warps). With --init, the flow starts at zero, so the starting
    /// model's drawings are kept at first.
    #[arg(long)]
    decoder_warps: bool,
    /// A warping decoder's flow also gets a coarse part, upsampled from a quarter of the
    /// frame's side, so a ball moves as one piece (see ModelConfig::decoder_coarse_flow). With
    /// --init, it starts at zero. Needs a decoder that warps (--decoder-warps or the model's).
    #[arg(long)]
    decoder_coarse_flow: bool,
    /// The decoder also reads the last observed frame through its own conv stack, whose
    /// features join each upsampling stage (see ModelConfig::decoder_sees_frame), so it can
    /// paint what it saw somewhere new. With --init, the new inputs start at zero.
    #[arg(long)]
    decoder_sees_frame: bool,
    /// Train only the decoder (with --init): the latents and surprise stay the starting model's.
    #[arg(long)]
    decoder_only: bool,
    /// The predictor also reads each token's change since the frame before (see
    /// ModelConfig::predictor_sees_motion). With --init, the new input starts at zero.
    #[arg(long)]
    predictor_sees_motion: bool,
    /// Keep the encoders (with --init): the predictor and the decoder train against targets that
    /// no longer move.
    #[arg(long)]
    freeze_encoders: bool,
    /// Train only the predictor (with --init): encoders and decoder are kept and nothing is
    /// drawn, so steps are several times faster.
    #[arg(long)]
    predictor_only: bool,
    /// Start a fresh predictor (with --init) sized by --config's predictor_dim,
    /// predictor_layers and predictor_heads (and predictor_sees_motion where it is set), keeping the starting
    /// model's encoders and decoder; with --predictor-only, only it trains.
    #[arg(long)]
    new_predictor: bool,
    /// Deepen the starting model's predictor (with --init) to this many transformer layers: its
    /// layers are kept and the new ones start by passing their input through, so training
    /// starts from the starting model's predictions.
    #[arg(long, value_name = "LAYERS")]
    grow_predictor: Option<usize>,
    /// With --predictor-only: encode this many clips (each twice a training clip's length)
    /// once, before the first step, and draw every batch as windows of them, so steps pay for
    /// the predictor alone. Fewer distinct scenes: size it so each clip is reused a few times.
    #[arg(long, value_name = "CLIPS")]
    latent_bank: Option<usize>,
    /// Extra weight of the latent error on tokens that change (see LossConfig::motion); 0 is
    /// plain MSE.
    #[arg(long, value_name = "W")]
    motion_weight: Option<f32>,
    /// auto (a hardware GPU, else the CPU), cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
}

/// A run never starts over a trained model by accident, and `--resume` never starts afresh: a
/// forgotten `--resume` would overwrite hours of training at its first checkpoint.
fn check_out(args: &Args) -> Result<()> {
    let out = args.out.display();
    let card = args.out.join("model.json");
    let trained = card.exists() || args.out.join(augur_model::train::STATE_FILE).exists();
    if args.resume {
        if !card.exists() {
            bail!(
                "there is nothing to resume in {out} (no model.json): give the --out of the run to continue, \
                 or drop --resume to start a new run there"
            );
        }
        if args.minutes.is_some() {
            eprintln!("augur: --minutes times a run from its start; resuming {out} runs on to its total of steps");
        }
    } else if trained {
        bail!(
            "{out} already holds a model in training; continue it with --resume, or give another --out (delete the \
             folder first to start over there)"
        );
    }
    Ok(())
}

/// On `--resume`, the settings given by flag that differ from those the checkpoint was trained
/// with (the run goes on with its own, and a `--config` file's values, which flags and `--init`
/// change, are not compared; the same command with `--resume` added passes).
fn resume_conflicts(args: &Args, cfg: &TrainConfig) -> Result<()> {
    let card = augur_model::checkpoint::load_card(&args.out.join("model"))?;
    let Some(record) = card.training else { return Ok(()) };
    let (now, was) = (serde_json::to_value(cfg)?, serde_json::to_value(&record.config)?);
    let at = |v: &serde_json::Value, path: &[&str]| path.iter().fold(v.clone(), |v, k| v[*k].clone());
    let flags: [(&str, bool, &[&str]); 10] = [
        ("--lr", args.lr.is_some(), &["learning_rate"]),
        ("--batch-size", args.batch_size.is_some(), &["batch_size"]),
        ("--seed", args.seed.is_some(), &["seed"]),
        ("--checkpoint-every", args.checkpoint_every.is_some(), &["checkpoint_every"]),
        ("--image-size", args.image_size.is_some(), &["model", "image_size"]),
        ("--pixel-loss", args.pixel_loss.is_some(), &["loss", "pixel"]),
        ("--mask-loss", args.mask_loss.is_some(), &["loss", "mask"]),
        ("--reach-loss", args.reach_loss.is_some(), &["loss", "reach"]),
        ("--audio-loss", args.audio_loss.is_some(), &["loss", "audio"]),
        ("--motion-weight", args.motion_weight.is_some(), &["loss", "motion"]),
    ];
    // A predictor-only run trains with its pixel terms at 0 whatever was asked: not a change.
    let forced: &[&str] =
        if record.config.predictor_only == Some(true) { &["--pixel-loss", "--mask-loss"] } else { &[] };
    let differ: Vec<&str> = flags
        .iter()
        .filter(|(flag, given, path)| *given && !forced.contains(flag) && at(&now, path) != at(&was, path))
        .map(|(f, ..)| *f)
        .collect();
    if !differ.is_empty() {
        bail!(
            "{} continues with the settings it was started with, and {} {} from them: drop {}, or start a new run \
             from its checkpoint with --init {}/model --out NEW",
            args.out.display(),
            differ.join(", "),
            if differ.len() == 1 { "differs" } else { "differ" },
            if differ.len() == 1 { "it" } else { "them" },
            args.out.display()
        );
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<()> {
    let mut cfg = match &args.config {
        Some(path) => {
            load_config(path).with_context(|| format!("cannot use the training config {}", path.display()))?
        }
        None => TrainConfig::new(ModelConfig::new()),
    };
    if args.resume {
        // Without --steps a resumed run keeps the total it was started with.
        if let Ok(card) = augur_model::checkpoint::load_card(&args.out.join("model")) {
            cfg.steps = card.training.map_or(cfg.steps, |t| t.config.steps);
        }
    }
    if args.init.is_some() && args.image_size.is_some() {
        bail!("--init keeps the starting model's architecture; drop --image-size");
    }
    let changes = [
        args.decoder_sees_change,
        args.decoder_warps,
        args.decoder_coarse_flow,
        args.decoder_sees_frame,
        args.predictor_sees_motion,
        args.decoder_only,
        args.freeze_encoders,
        args.predictor_only,
        args.new_predictor,
        args.grow_predictor.is_some(),
        args.latent_bank.is_some(),
    ];
    if args.resume && changes.iter().any(|&c| c) {
        bail!(
            "--resume keeps the checkpoint's architecture and training; drop --decoder-sees-change, --decoder-warps, --decoder-coarse-flow, --decoder-sees-frame, --predictor-sees-motion, --decoder-only, --freeze-encoders, --predictor-only, --new-predictor, --grow-predictor and --latent-bank, or start a new run with --init from the checkpoint"
        );
    }
    check_out(args)?;
    let keeps_encoders = args.decoder_only
        || args.freeze_encoders
        || args.predictor_only
        || args.new_predictor
        || args.grow_predictor.is_some();
    if keeps_encoders && args.init.is_none() {
        bail!(
            "--decoder-only, --freeze-encoders, --predictor-only, --new-predictor and --grow-predictor keep a trained model's encoders; add --init MODEL"
        );
    }
    if args.new_predictor && args.grow_predictor.is_some() {
        bail!("--new-predictor starts a fresh predictor and --grow-predictor deepens the starting model's; pick one");
    }
    if args.decoder_only && (args.predictor_only || args.new_predictor || args.grow_predictor.is_some()) {
        bail!(
            "--decoder-only keeps the predictor, which --predictor-only, --new-predictor and --grow-predictor change; pick one"
        );
    }
    if args.latent_bank.is_some() && !args.predictor_only {
        bail!("--latent-bank keeps latents of frozen encoders: add --predictor-only (and --init MODEL)");
    }
    if let Some(v) = args.image_size {
        cfg.model.image_size = v;
    }
    if args.decoder_sees_change {
        cfg.model.decoder_sees_change = Some(true);
    }
    if args.decoder_warps {
        cfg.model.decoder_warps = Some(true);
    }
    if args.decoder_coarse_flow {
        cfg.model.decoder_coarse_flow = Some(true);
    }
    if args.decoder_sees_frame {
        cfg.model.decoder_sees_frame = Some(true);
    }
    if args.predictor_sees_motion {
        cfg.model.predictor_sees_motion = Some(true);
    }
    if args.decoder_only {
        cfg.decoder_only = Some(true);
    }
    if args.freeze_encoders {
        cfg.freeze_encoders = Some(true);
    }
    if args.predictor_only {
        cfg.predictor_only = Some(true);
    }
    if args.new_predictor {
        cfg.new_predictor = Some(true);
    }
    if args.grow_predictor.is_some() {
        cfg.grow_predictor = args.grow_predictor;
    }
    if args.latent_bank.is_some() {
        cfg.latent_bank = args.latent_bank;
    }
    if let Some(m) = args.motion_weight {
        if !(m.is_finite() && m >= 0.0) {
            bail!("--motion-weight must be a number ≥ 0 (0 is plain MSE), not {m}");
        }
        cfg.loss.motion = Some(m);
    }
    if let Some(r) = args.reach_loss {
        if !(r.is_finite() && r >= 0.0) {
            bail!("--reach-loss must be a number ≥ 0 (0 is off), not {r}");
        }
        cfg.loss.reach = Some(r);
    }
    if let Some(steps) = args.steps {
        // An explicit count wins over a time budget carried in --config (a card's config has
        // one when its run was started with --minutes).
        cfg.steps = steps;
        cfg.time_budget_s = None;
    }
    if let Some(m) = args.minutes {
        if !(m.is_finite() && m > 0.0) {
            bail!("--minutes must be a positive number, not {m}");
        }
        cfg.time_budget_s = Some(m * 60.0);
    }
    cfg.batch_size = args.batch_size.unwrap_or(cfg.batch_size);
    cfg.learning_rate = args.lr.unwrap_or(cfg.learning_rate);
    cfg.seed = args.seed.unwrap_or(cfg.seed);
    cfg.checkpoint_every = args.checkpoint_every.unwrap_or(cfg.checkpoint_every);
    if let Some(p) = args.pixel_loss {
        cfg.loss.pixel = p;
    }
    if let Some(a) = args.audio_loss {
        if !(a.is_finite() && a >= 0.0) {
            bail!("--audio-loss must be a number ≥ 0 (0 turns it off), not {a}");
        }
        cfg.loss.audio = Some(a);
    }
    if let Some(m) = args.mask_loss {
        if !(m.is_finite() && m >= 0.0) {
            bail!("--mask-loss must be a number ≥ 0 (0 turns it off), not {m}");
        }
        cfg.loss.mask = Some(m);
    }
    if cfg.batch_size == 0 || cfg.steps == 0 {
        bail!("--steps and --batch-size must be at least 1");
    }
    if args.resume {
        resume_conflicts(args, &cfg)?;
    }
    let data = args.data.iter().map(|d| augur_model::data::parse_weighted(d)).collect::<Result<Vec<_>, _>>()?;
    if data.iter().all(|(_, w)| *w == 0.0) {
        bail!("every --data has weight 0, so no clip could be drawn; give at least one a weight above 0");
    }
    let device = pick_device(&DeviceChoice::parse(&args.device)?)?;
    if let Some(notice) = &device.notice {
        eprintln!("augur: {notice}");
    }
    eprintln!("augur: training on {} into {}", device.name, args.out.display());
    let job = TrainJob {
        config: cfg,
        data,
        out: args.out.clone(),
        resume: args.resume,
        init: args.init.clone(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        device,
        cancel: interrupt_flag()?,
        stop_after: args.stop_after,
    };
    let tty = std::io::stderr().is_terminal();
    let mut shown = 0;
    let sources = augur_model::train::open_data(&job)?;
    for source in &sources {
        eprintln!("augur: data: {}", source.describe());
    }
    let card = augur_model::train::train_on(&job, &sources, |p| report(p, tty, &mut shown)).map_err(|e| {
        if !matches!(e, augur_model::ModelError::Diverged(_)) {
            return anyhow::Error::from(e);
        }
        // How to train again here: a run keeps its rate on --resume, and its folder is taken.
        let from = if job.out.join("model.json").exists() {
            format!(", or from its last checkpoint: --init {}/model", job.out.display())
        } else {
            String::new()
        };
        anyhow::anyhow!("{e}: pass a smaller --lr and a new --out (from scratch{from})")
    })?;
    eprintln!();
    // A card without a training record took no step (cancelled while a bank was encoded).
    let (done, all) = card.training.as_ref().map_or((0, job.config.steps), |t| (t.steps_done, t.config.steps));
    // A signal during the last step finds the run finished: nothing is left to resume.
    if job.cancel.load(Ordering::Relaxed) && done < all {
        let out = job.out.display();
        // Cancelled before its first step (say, while encoding a bank), a new run saved nothing.
        if !job.out.join(augur_model::train::STATE_FILE).exists() {
            bail!("interrupted before the first step; nothing was trained or saved in {out}");
        }
        bail!(
            "interrupted after step {done}; its checkpoint in {out} keeps every step done: continue with `augur train --resume --out {out}` and the same --data"
        );
    }
    println!(
        "trained {done} steps in {:.0} s; model at {}",
        card.training.as_ref().map_or(0.0, |t| t.wall_time_s),
        job.out.join("model.safetensors").display()
    );
    Ok(())
}

/// A flag that Ctrl-C (SIGINT) or SIGTERM sets: training then finishes its step and writes a
/// checkpoint before it stops. A second signal quits at once, as without the flag.
fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as the earlier signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&flag))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&flag)))
            .context("cannot catch Ctrl-C")?;
    }
    Ok(flag)
}

/// Whether `done` of `total` reached a tenth past `shown`, the last tenth a log was given
/// (kept up to date): long work logs a line every tenth however its counts jump.
pub(crate) fn new_tenth(done: usize, total: usize, shown: &mut usize) -> bool {
    let tenth = done * 10 / total.max(1);
    let new = tenth > *shown;
    *shown = tenth;
    new
}

/// Prints `p`: on a terminal one line kept up to date, in a log every 10 steps (and, while
/// the latent bank is encoded, every tenth of it; `shown` is the last tenth printed).
fn report(p: &Progress, tty: bool, shown: &mut usize) {
    if let Some((done, all)) = p.bank {
        let line = format!("encoding the latent bank: {done}/{all} clips");
        let mut err = std::io::stderr().lock();
        let _ = if tty {
            write!(err, "\r{line}{}", if done == all { "\n" } else { "" })
        } else if new_tenth(done, all, shown) {
            writeln!(err, "{line}")
        } else {
            Ok(())
        };
        return;
    }
    let l = &p.losses;
    let eta = p.eta_s as u64;
    // Only runs that weigh the warp's reach have the term.
    let mut terms = if l.reach > 0.0 { format!(" reach {:.4}", l.reach) } else { String::new() };
    // Models with an audio token: its own error, the part of the prediction that hears.
    if l.audio > 0.0 {
        terms.push_str(&format!(" audio {:.5}", l.audio));
    }
    let line = format!(
        "step {}/{}  loss {:.4} (pred {:.4} var {:.3} cov {:.3} rec {:.4} pix {:.4} mask {:.2}{})  latent std {:.2} (min {:.2})  {:.1} clips/s  ETA {}m{:02}s",
        p.step,
        p.steps,
        l.total,
        l.prediction,
        l.variance,
        l.covariance,
        l.reconstruction,
        l.pixel,
        l.mask,
        terms,
        l.latent_std_mean,
        l.latent_std_min,
        p.samples_per_s,
        eta / 60,
        eta % 60
    );
    let mut err = std::io::stderr().lock();
    if tty {
        let _ = write!(err, "\r{line}");
    } else if p.step.is_multiple_of(10) || p.step == p.steps || p.checkpoint.is_some() {
        let _ = writeln!(err, "{line}");
    }
    if let Some(path) = &p.checkpoint {
        let _ = if tty {
            writeln!(err, "\ncheckpoint {}", path.display())
        } else {
            writeln!(err, "checkpoint {}", path.display())
        };
    }
}
