//! Training: batches of clips, the JEPA objective, AdamW, the EMA target, periodic checkpoints
//! (weights, card, optimiser, sampler state, loss history, loss curve) and resume.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::config::Config;
use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use serde::{Deserialize, Serialize};

use crate::bank::{BankSpec, LatentBank};
use crate::card::{ModelCard, TrainingRecord};
use crate::data::{ClipSource, Rng};
use crate::losses::{LossConfig, LossTerms, batch_loss, clip_len, latent_loss};
use crate::predictor::Predictor;
use crate::{ComputeDevice, ModelConfig, ModelError, WorldModel, checkpoint, ema, plot};

mod budget;
mod check;
mod config_file;
use budget::Budget;
pub use config_file::{load_config, parse_config};

/// The deepest predictor `grow_predictor` builds: a guard against a typo, far beyond what fits
/// a live step on a CPU.
const MAX_PREDICTOR_LAYERS: usize = 32;

/// Everything about a training run except its data.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// The architecture to train.
    pub model: ModelConfig,
    /// Loss weights and rollout length.
    #[config(default = "LossConfig::new()")]
    pub loss: LossConfig,
    /// Clips per step.
    #[config(default = 8)]
    pub batch_size: usize,
    /// Total optimiser steps.
    #[config(default = 2000)]
    pub steps: usize,
    /// Peak AdamW learning rate, reached after the warm-up and cosine-decayed to a tenth.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Linear warm-up steps.
    #[config(default = 100)]
    pub warmup_steps: usize,
    /// EMA momentum of the target encoder.
    #[config(default = 0.99)]
    pub ema: f32,
    /// Seeds the weights and the clip sampler.
    #[config(default = 0)]
    pub seed: u64,
    /// Steps between checkpoints.
    #[config(default = 100)]
    pub checkpoint_every: usize,
    /// Train the decoder alone: the encoders and the predictor keep their weights, so the
    /// latents, and every surprise figure, stay exactly those of the starting model (for a
    /// fine-tune that only changes how predictions are drawn). `None` means `false`.
    pub decoder_only: Option<bool>,
    /// Keep the encoders (online and EMA target) as they are and train the predictor and the
    /// decoder: the targets stop moving, so the predictor chases a fixed latent space. `None`
    /// means `false`.
    pub freeze_encoders: Option<bool>,
    /// Train the predictor alone: the encoders and the decoder keep their weights and nothing
    /// is drawn (the loss's reconstruction, pixel and mask weights are set to 0), so a step
    /// costs a fraction of a full one and the predictor sees many more clips in the same time.
    /// `None` means `false`.
    pub predictor_only: Option<bool>,
    /// Start the predictor afresh with this config's predictor (`predictor_dim`,
    /// `predictor_layers`, `predictor_heads`, and `predictor_sees_motion` where the config sets
    /// it, else the starting model's) and keep the starting
    /// model's encoders and decoder: a larger predictor on a latent space already trained. Its
    /// output starts at zero, so it first says "nothing changes". Needs a model to start from.
    /// `None` means `false`.
    pub new_predictor: Option<bool>,
    /// Deepen the starting model's predictor to this many transformer layers: its layers are
    /// kept and the new ones start as identities (see `Predictor::deepened`), so training starts
    /// where the starting model's predictions were. Needs a model to start from, with fewer
    /// layers; width and heads stay its own. `None`: the predictor keeps its depth.
    pub grow_predictor: Option<usize>,
    /// Train for about this many seconds instead of a fixed count: once the first steps are
    /// timed (after the kernels are compiled), and again halfway, `steps` is set to what fits,
    /// so the learning rate still decays over the whole run and the card records the count.
    /// `None`: `steps`. Ignored on resume.
    pub time_budget_s: Option<f64>,
    /// With `predictor_only`: encode this many clips (each twice a training clip's length)
    /// once, before the first step, and draw every batch as windows of them at random offsets
    /// (see [`LatentBank`]), so a step pays for the predictor alone. The predictor sees fewer
    /// distinct scenes: size it so each clip is reused a few times. A resumed run encodes the
    /// same bank again. `None`: every batch is freshly drawn and encoded.
    pub latent_bank: Option<usize>,
}

/// A training run: config, data, where it writes, and how it was started.
pub struct TrainJob {
    /// The config. On resume only `steps` (the new total) is taken from it; the rest comes
    /// from the checkpoint's card.
    pub config: TrainConfig,
    /// `(source name, mixing weight)` pairs.
    pub data: Vec<(String, f32)>,
    /// Output folder: `model.safetensors`, `model.json`, `optimizer.mpk`, `train-state.json`, `loss.png`.
    pub out: PathBuf,
    /// Continue from the checkpoint in `out` when there is one.
    pub resume: bool,
    /// Start from this model's weights and architecture (a fine-tune) instead of random ones;
    /// ignored when resuming.
    pub init: Option<PathBuf>,
    /// The command line, recorded in the card.
    pub command: String,
    /// Where to compute.
    pub device: ComputeDevice,
    /// Set to stop after the current step; a checkpoint is written first.
    pub cancel: Arc<AtomicBool>,
    /// Stop once this step is done, with a checkpoint, as if cancelled there: the learning
    /// rate still follows the schedule of `config.steps`, so a run can be taken to an exact
    /// step and later resumed (or resumed with another total). `None`: run to the end.
    pub stop_after: Option<usize>,
}

/// The file in a run's folder that holds its step, sampler state, loss history and commands:
/// present once the run has written its first checkpoint.
pub const STATE_FILE: &str = "train-state.json";

/// What the progress callback sees after each step.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Steps done.
    pub step: usize,
    /// Steps in total.
    pub steps: usize,
    /// This step's loss terms.
    pub losses: LossTerms,
    /// Clips per second over this session.
    pub samples_per_s: f64,
    /// Estimated seconds left.
    pub eta_s: f64,
    /// `Some(path)` when this step wrote a checkpoint.
    pub checkpoint: Option<PathBuf>,
    /// `Some((clips encoded, clips in all))` while the latent bank is built, before the first
    /// step; the other fields then describe the run as it stands.
    pub bank: Option<(usize, usize)>,
}

/// Sampler position and history, saved with each checkpoint.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct TrainState {
    step: usize,
    rng: Option<Rng>,
    wall_time_s: f64,
    history: Vec<(usize, LossTerms)>,
    commands: Vec<String>,
    /// The model's parameter ids when this state was saved, which the optimiser's moments are
    /// keyed by (see `checkpoint::param_ids`). Empty in states from before they were kept:
    /// such a run resumes with fresh moments.
    #[serde(default)]
    param_ids: Vec<u64>,
}

/// Runs (or resumes) `job` on the sources `job.data` names, calling `progress` after every
/// step. Returns the final card.
pub fn train(job: &TrainJob, progress: impl FnMut(&Progress)) -> Result<ModelCard, ModelError> {
    train_on(job, &open_data(job)?, progress)
}

/// Opens the sources `job.data` names, at the image size of the model the job trains (a
/// resumed run's, the `init` model's, or the config's).
pub fn open_data(job: &TrainJob) -> Result<Vec<ClipSource>, ModelError> {
    let size = match (job.resume, &job.init) {
        (true, _) if checkpoint::paths(&job.out.join("model")).1.exists() => {
            checkpoint::load_card(&job.out.join("model"))?.config.image_size
        }
        (_, Some(init)) => checkpoint::load_card(init)?.config.image_size,
        _ => job.config.model.image_size,
    };
    job.data.iter().map(|(name, _)| ClipSource::open(name, size)).collect()
}

/// [`train`] on sources already opened, one per entry of `job.data` (same order, frames at
/// the model's size). A program that must not link ffmpeg (a headless GPU box) builds them
/// itself, from scenes and frames decoded elsewhere ([`crate::data::load_frames`]).
pub fn train_on(
    job: &TrainJob,
    sources: &[ClipSource],
    mut progress: impl FnMut(&Progress),
) -> Result<ModelCard, ModelError> {
    let base = job.out.join("model");
    let state_path = job.out.join(STATE_FILE);
    let optim_path = job.out.join("optimizer.mpk");
    let device = job.device.device.clone().autodiff();
    let resuming = job.resume && checkpoint::paths(&base).1.exists();
    let (mut model, mut card, mut state) = if resuming {
        let (model, card) = checkpoint::load(&base, &device)?;
        let text = std::fs::read_to_string(&state_path).map_err(ModelError::io("cannot read", &state_path))?;
        let state: TrainState = serde_json::from_str(&text).map_err(|e| ModelError::BadCheckpoint {
            path: state_path.clone(),
            why: format!("{e}; delete the folder to start over"),
        })?;
        // The optimiser's moments are keyed by the ids the parameters had when saved.
        let model = match state.param_ids.is_empty() {
            true => model,
            false => checkpoint::with_param_ids(model, &state.param_ids).ok_or_else(|| ModelError::BadCheckpoint {
                path: state_path.clone(),
                why: "its parameter list does not match the checkpoint's weights; delete the folder to start over"
                    .into(),
            })?,
        };
        (model, card, state)
    } else {
        device.seed(job.config.seed);
        let (model, config) = match &job.init {
            Some(init) => {
                let (mut model, mut config) = checkpoint::load(init, &device).map(|(m, c)| (m, c.config))?;
                // The one architecture change a fine-tune may ask for: it starts where the
                // starting model was, since the new input starts at zero.
                if job.config.model.sees_change() && !config.sees_change() {
                    model.decoder = model.decoder.with_change_input();
                    config.decoder_sees_change = Some(true);
                }
                if job.config.model.sees_frame() && !config.sees_frame() {
                    model.decoder = model.decoder.with_frame_input(&config, &device);
                    config.decoder_sees_frame = Some(true);
                }
                if job.config.model.sees_motion() && !config.sees_motion() {
                    model.predictor = model.predictor.with_motion_input(&config, &device);
                    config.predictor_sees_motion = Some(true);
                }
                if job.config.model.warps() && !config.warps() && config.composite {
                    model.decoder = model.decoder.with_warp();
                    config.decoder_warps = Some(true);
                }
                if job.config.model.decoder_coarse_flow.unwrap_or(false) && !config.coarse_flow() {
                    if !config.warps() {
                        return Err(ModelError::BadConfig(
                            "a coarse flow adds to a warp's flow, and the starting model's decoder does not warp: add --decoder-warps".into(),
                        ));
                    }
                    model.decoder = model.decoder.with_coarse_flow(&device);
                    config.decoder_coarse_flow = Some(true);
                }
                if job.config.new_predictor.unwrap_or(false) {
                    let asked = &job.config.model;
                    config.predictor_dim = asked.predictor_dim;
                    config.predictor_layers = asked.predictor_layers;
                    config.predictor_heads = asked.predictor_heads;
                    // A config silent on motion keeps the starting model's choice.
                    config.predictor_sees_motion = asked.predictor_sees_motion.or(config.predictor_sees_motion);
                    config.validate()?;
                    model.predictor = Predictor::new(&config, &device);
                }
                if let Some(layers) = job.config.grow_predictor {
                    if job.config.new_predictor.unwrap_or(false) {
                        return Err(ModelError::BadConfig(
                            "new_predictor starts a fresh predictor and grow_predictor deepens the starting model's; pick one".into(),
                        ));
                    }
                    if layers <= config.predictor_layers || layers > MAX_PREDICTOR_LAYERS {
                        return Err(ModelError::BadConfig(format!(
                            "grow_predictor adds layers to the starting model's {}-layer predictor: ask for {} to {MAX_PREDICTOR_LAYERS} layers, not {layers}",
                            config.predictor_layers,
                            config.predictor_layers + 1
                        )));
                    }
                    model.predictor = model.predictor.deepened(&config, layers, &device);
                    config.predictor_layers = layers;
                }
                (model, config)
            }
            None => {
                if job.config.decoder_only.unwrap_or(false)
                    || job.config.freeze_encoders.unwrap_or(false)
                    || job.config.predictor_only.unwrap_or(false)
                    || job.config.new_predictor.unwrap_or(false)
                    || job.config.grow_predictor.is_some()
                {
                    return Err(ModelError::BadConfig(
                        "decoder_only, freeze_encoders, predictor_only, new_predictor and grow_predictor keep a trained model's encoders; start from one (--init MODEL)"
                            .into(),
                    ));
                }
                job.config.model.validate()?;
                (WorldModel::new(&job.config.model, &device), job.config.model.clone())
            }
        };
        if job.config.loss.reach.is_some_and(|r| r > 0.0) && !config.warps() {
            return Err(ModelError::BadConfig(
                "the reach term trains a warp's flow, and this decoder does not warp: add --decoder-warps".into(),
            ));
        }
        let card = ModelCard::untrained(
            job.out.file_name().map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned()),
            config,
        );
        (model, card, TrainState::default())
    };
    let mut cfg = match card.training.as_ref() {
        Some(record) if resuming => TrainConfig { steps: job.config.steps, ..record.config.clone() },
        // A fine-tune keeps the architecture of the model it starts from.
        _ => TrainConfig { model: card.config.clone(), ..job.config.clone() },
    };
    // Resuming, all but the step count comes from the run's card: a bad value there is named so.
    if resuming {
        TrainConfig { steps: 1, ..cfg.clone() }.check().map_err(|e| match e {
            ModelError::BadConfig(why) => {
                ModelError::BadConfig(format!("{why} (in the card of the run resumed, {}.json)", base.display()))
            }
            e => e,
        })?;
    }
    cfg.check()?;
    let fine_tuned_from = match card.training.as_ref() {
        Some(record) if resuming => record.fine_tuned_from.clone(),
        _ => job.init.as_ref().map(|p| p.display().to_string()),
    };
    model.target = model.target.no_grad();
    let decoder_only = cfg.decoder_only.unwrap_or(false);
    let predictor_only = cfg.predictor_only.unwrap_or(false);
    if decoder_only && predictor_only {
        return Err(ModelError::BadConfig(
            "decoder_only and predictor_only leave nothing to train together; pick one".into(),
        ));
    }
    if decoder_only && (cfg.new_predictor.unwrap_or(false) || cfg.grow_predictor.is_some()) {
        return Err(ModelError::BadConfig(
            "decoder_only keeps the predictor as it is, and new_predictor or grow_predictor change one that would never train; pick one"
                .into(),
        ));
    }
    let frozen = decoder_only || predictor_only || cfg.freeze_encoders.unwrap_or(false);
    if frozen {
        model.online = model.online.no_grad();
    }
    if decoder_only {
        model.predictor = model.predictor.no_grad();
    }
    if predictor_only {
        model.decoder = model.decoder.no_grad();
        cfg.loss.reconstruction = 0.0;
        cfg.loss.pixel = 0.0;
        cfg.loss.mask = Some(0.0);
    }
    if let Some(stop) = job.stop_after
        && (stop <= state.step || (cfg.time_budget_s.is_none() && stop > cfg.steps))
    {
        return Err(ModelError::BadConfig(format!(
            "stop_after must be a step after {} (done) and at most {} (the run's total), not {stop}",
            state.step, cfg.steps
        )));
    }
    let len = clip_len(cfg.model.context, &cfg.loss);
    // A source too short for a clip is told now, not when it is first drawn hours in.
    for (source, (_, weight)) in sources.iter().zip(&job.data) {
        if *weight > 0.0 {
            source.check(len)?;
        }
    }
    if let Some(clips) = cfg.latent_bank {
        if !predictor_only {
            return Err(ModelError::BadConfig(
                "latent_bank keeps the latents of frozen encoders and draws nothing: it needs predictor_only (--predictor-only)"
                    .into(),
            ));
        }
        LatentBank::check_size(clips, len, &cfg.model)?;
    }
    let mut optim =
        AdamWConfig::new().with_weight_decay(1e-4).with_grad_clipping(Some(GradientClippingConfig::Norm(1.0))).init();
    if resuming && optim_path.exists() {
        optim = optim.load(&optim_path).map_err(|e| ModelError::BadCheckpoint {
            path: optim_path.clone(),
            why: format!("{e}; delete it to restart the optimiser state"),
        })?;
    }
    if sources.len() != job.data.len() {
        return Err(ModelError::BadConfig(format!(
            "{} sources opened for {} data entries; open one per entry, in order",
            sources.len(),
            job.data.len()
        )));
    }
    if sources.is_empty() {
        return Err(ModelError::BadData {
            given: String::new(),
            why: "no --data given; try --data scene:bounce".into(),
        });
    }
    let weights: Vec<f32> = job.data.iter().map(|(_, w)| w.max(0.0)).collect();
    let mut rng = state.rng.clone().unwrap_or(Rng(cfg.seed ^ 0x5EED));
    state.commands.push(job.command.clone());
    let started = Instant::now();
    let first = state.step;
    let wall_before = state.wall_time_s;
    let mut budget = cfg.time_budget_s.filter(|_| !resuming).map(Budget::new).transpose()?;
    let bank = match cfg.latent_bank {
        Some(clips) => {
            let spec = BankSpec { clips, len, size: cfg.model.image_size, seed: cfg.seed };
            let (step, steps) = (state.step, cfg.steps);
            let last = state.history.last().map(|(_, t)| *t).unwrap_or_default();
            let built = LatentBank::build(&model, sources, &weights, &spec, &device, &job.cancel, |done, all| {
                progress(&Progress {
                    step,
                    steps,
                    losses: last,
                    samples_per_s: 0.0,
                    eta_s: 0.0,
                    checkpoint: None,
                    bank: Some((done, all)),
                })
            })?;
            match built {
                Some(bank) => Some(bank),
                // Cancelled while encoding: no step was taken, so the last checkpoint stands.
                None => return Ok(card),
            }
        }
        None => None,
    };
    // Throughput and ETA are timed from the first step, not from the bank's encoding.
    let stepping = Instant::now();

    // Clips are drawn on a thread of their own, a batch or two ahead, so a fast device never
    // waits for the CPU to render scenes; each batch comes with the sampler state after it, so
    // a checkpoint resumes exactly where the steps left off. A bank needs no sampler: its
    // windows are drawn with `rng` itself.
    std::thread::scope(|scope| {
        let (tx, batches) = std::sync::mpsc::sync_channel(2);
        let (weights, mut ahead) = (&weights, rng.clone());
        let (b, size, mels) = (cfg.batch_size, cfg.model.image_size, cfg.model.audio_mels);
        if bank.is_none() {
            scope.spawn(move || {
                loop {
                    let drawn = batch(sources, weights, len, b, size, mels, &mut ahead).map(|p| (p, ahead.clone()));
                    let failed = drawn.is_err();
                    if tx.send(drawn).is_err() || failed {
                        break;
                    }
                }
            });
        }
        while state.step < cfg.steps {
            let ctx = cfg.model.context;
            let (loss, terms) = match &bank {
                Some(bank) => {
                    let (z, target) = bank.draw(b, len, &mut rng);
                    latent_loss(&model, z, target, None, ctx, &cfg.loss)
                }
                None => {
                    let (drawn, after) =
                        batches.recv().map_err(|_| ModelError::Device("the clip sampler stopped".into()))??;
                    rng = after;
                    let (frames, mels) = drawn.tensors(len, size, &device);
                    batch_loss(&model, frames, mels, ctx, &cfg.loss)
                }
            };
            if !terms.total.is_finite() {
                return Err(ModelError::Diverged(format!(
                    "the loss became {} at step {} with a learning rate of {}, too high for this model and data; \
                     train again with a lower one",
                    terms.total, state.step, cfg.learning_rate
                )));
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(learning_rate(&cfg, state.step), model, grads);
            if !frozen {
                model.target = ema::update(model.target, &model.online, cfg.ema);
            }
            state.step += 1;
            state.history.push((state.step, terms));
            let elapsed = started.elapsed().as_secs_f64();
            if let Some(steps) = budget.as_mut().and_then(|b| b.resolve(state.step - first, elapsed)) {
                cfg.steps = state.step.saturating_add(steps).min(check::MAX_STEPS);
            }
            state.wall_time_s = wall_before + elapsed;
            let done = state.step - first;
            let stop = job.cancel.load(Ordering::Relaxed) || job.stop_after == Some(state.step);
            let save_now = state.step % cfg.checkpoint_every.max(1) == 0 || state.step == cfg.steps || stop;
            let mut saved = None;
            if save_now {
                state.rng = Some(rng.clone());
                state.param_ids = checkpoint::param_ids(&model);
                card.training = Some(TrainingRecord {
                    config: cfg.clone(),
                    data: job.data.iter().map(|(n, w)| format!("{n}@{w}")).collect(),
                    steps_done: state.step,
                    wall_time_s: state.wall_time_s,
                    machine: format!("{}; {}", job.device.name, machine()),
                    commands: state.commands.clone(),
                    final_losses: terms,
                    fine_tuned_from: fine_tuned_from.clone(),
                });
                checkpoint::save(&model.valid(), &mut card, &base)?;
                // Renamed into place like the weights: a run killed mid-write keeps the last state.
                let moments =
                    optim.into_bytes().map_err(|e| ModelError::Device(format!("cannot save the optimiser: {e}")))?;
                checkpoint::write_atomic(&optim_path, &moments)?;
                let text = serde_json::to_string(&state).map_err(|e| ModelError::Device(e.to_string()))?;
                // Renamed into place: a run killed while writing keeps the last whole state.
                checkpoint::write_atomic(&state_path, text.as_bytes())?;
                plot::loss_curve(&state.history, &job.out.join("loss.png"))?;
                saved = Some(checkpoint::paths(&base).0);
            }
            let stepped = stepping.elapsed().as_secs_f64();
            let rate = (done * cfg.batch_size) as f64 / stepped.max(1e-9);
            let eta_s = (cfg.steps - state.step) as f64 * stepped / done.max(1) as f64;
            progress(&Progress {
                step: state.step,
                steps: cfg.steps,
                losses: terms,
                samples_per_s: rate,
                eta_s,
                checkpoint: saved,
                bank: None,
            });
            if stop {
                break;
            }
        }
        Ok(())
    })?;
    Ok(card)
}

/// Warm-up then cosine decay to a tenth of the peak.
fn learning_rate(cfg: &TrainConfig, step: usize) -> f64 {
    let peak = cfg.learning_rate;
    if step < cfg.warmup_steps {
        return peak * (step + 1) as f64 / cfg.warmup_steps as f64;
    }
    let span = cfg.steps.saturating_sub(cfg.warmup_steps).max(1) as f64;
    let t = ((step - cfg.warmup_steps) as f64 / span).min(1.0);
    peak * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()))
}

/// A batch of clips: the pixels of `[batch, len, 3, S, S]`, and `[batch, len, mels]` scaled
/// log-mel features when any clip had sound (silence for those that had none).
pub(crate) struct Batch {
    pub pixels: Vec<f32>,
    pub mels: Option<Vec<f32>>,
}

impl Batch {
    /// The batch as tensors on `device`: frames, and the log-mel features when there are any.
    pub fn tensors(
        self,
        len: usize,
        size: usize,
        device: &burn::tensor::Device,
    ) -> (burn::tensor::Tensor<5>, Option<burn::tensor::Tensor<3>>) {
        let b = self.pixels.len() / (len * 3 * size * size).max(1);
        let frames = crate::frames::clips_tensor(self.pixels, len, size, device);
        (frames, self.mels.map(|m| crate::audio::features_tensor(m, b, len, device)))
    }
}

/// `batch` clips drawn from the sources by weight, with `mels` log-mel bins per frame of sound.
/// Sound draws nothing from `rng`, so a mix without sound draws the same clips as before it.
pub(crate) fn batch(
    sources: &[ClipSource],
    weights: &[f32],
    len: usize,
    batch: usize,
    size: usize,
    mels: usize,
    rng: &mut Rng,
) -> Result<Batch, ModelError> {
    let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    let mut pixels = Vec::with_capacity(batch * len * 3 * size * size);
    let mut heard: Vec<Option<Vec<f32>>> = Vec::with_capacity(batch);
    for _ in 0..batch {
        let mut pick = rng.unit() * total;
        let source = sources
            .iter()
            .zip(weights)
            .find(|(_, w)| {
                pick -= **w;
                pick < 0.0
            })
            .map_or(&sources[sources.len() - 1], |(s, _)| s);
        let clip = source.sample(len, rng)?;
        heard.push(clip.mels(mels));
        pixels.extend(clip.pixels);
    }
    let mels = heard.iter().any(Option::is_some).then(|| {
        let silent = crate::audio::silent_features(len, mels);
        heard.iter().flat_map(|m| m.as_deref().unwrap_or(&silent).iter().copied()).collect()
    });
    Ok(Batch { pixels, mels })
}

/// The CPU model and core count, for the card.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores")
}
