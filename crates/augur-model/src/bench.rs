//! What one live prediction step and one training step cost on a device, for `augur bench
//! model` and for programs that time a model where the CLI cannot run (a headless GPU box).

use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};
use serde::Serialize;

use crate::data::ClipSource;
use crate::eval::read;
use crate::{ComputeDevice, ModelConfig, ModelError, TrainConfig, TrainJob, WorldModel};

/// One model size on one device.
#[derive(Clone, Debug, Serialize)]
pub struct StepFigures {
    /// The size's name.
    pub size: String,
    /// The device's name.
    pub device: String,
    /// Weights.
    pub params: usize,
    /// Encode the newest frame, ms.
    pub encode_ms: f64,
    /// Roll out H from C cached latents, ms.
    pub rollout_ms: f64,
    /// Decode the H predicted frames, ms.
    pub decode_ms: f64,
    /// One rollout step of the predictor (C latents in, the next frame's out) as the rollout
    /// runs it: fused attention, the last layer for the last frame's tokens alone; ms.
    pub predict_ms: f64,
    /// The same step through burn's `TransformerEncoder` over every frame, then the last
    /// frame taken (how the rollout ran it before); ms.
    pub predict_burn_ms: f64,
    /// The three together.
    pub step_ms: f64,
    /// Roll out and decode as the live view does ([`WorldModel::foresee`]: on the CPU each
    /// step drawn on a second thread while the next is predicted), ms; against
    /// `rollout_ms + decode_ms`, one after the other.
    pub foresee_ms: f64,
    /// Live steps per second.
    pub steps_per_s: f64,
    /// Training clips per second (batch 8), where timed.
    pub train_clips_per_s: Option<f64>,
    /// Peak resident memory of the process so far, MB.
    pub peak_rss_mb: f64,
}

/// One live step of a fresh model of `cfg`: encode the newest frame, roll out H from C cached
/// latents, decode H frames; the mean of `reps` after one warm-up, read back each time.
pub fn time_step(
    name: &str,
    cfg: &ModelConfig,
    device: &ComputeDevice,
    reps: usize,
) -> Result<StepFigures, ModelError> {
    let d: &Device = &device.device;
    let model = WorldModel::new(cfg, d);
    let s = cfg.image_size;
    let frame = Tensor::<5>::random([1, 1, 3, s, s], Distribution::Uniform(0.0, 1.0), d);
    let context =
        Tensor::<4>::random([1, cfg.context, cfg.tokens(), cfg.latent_dim], Distribution::Normal(0.0, 1.0), d);
    let timed = |f: &mut dyn FnMut() -> Result<(), ModelError>| -> Result<f64, ModelError> {
        f()?; // warm-up: kernel compilation and allocation
        let start = Instant::now();
        for _ in 0..reps.max(1) {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64() * 1e3 / reps.max(1) as f64)
    };
    let encode_ms = timed(&mut || read(model.online.forward(frame.clone(), None)).map(drop))?;
    let rollout_ms = timed(&mut || read(model.rollout(context.clone(), None, cfg.horizon)).map(drop))?;
    let future = model.rollout(context.clone(), None, cfg.horizon);
    let anchor = frame.clone().reshape([1, 3, s, s]);
    let decode_ms = timed(&mut || read(model.decode(future.clone(), anchor.clone())).map(drop))?;
    let predict_ms = timed(&mut || read(model.predictor.next(context.clone(), None)).map(drop))?;
    let last = |z: Tensor<4>| z.narrow(1, cfg.context - 1, 1);
    let predict_burn_ms =
        timed(&mut || read(last(model.predictor.forward_with_burn_layers(context.clone(), None))).map(drop))?;
    let step_ms = encode_ms + rollout_ms + decode_ms;
    let foresee_ms = timed(&mut || {
        let (future, drawn) = model.foresee(context.clone(), cfg.horizon, anchor.clone(), None, true);
        read(future).and_then(|_| read(drawn)).map(drop)
    })?;
    Ok(StepFigures {
        size: name.into(),
        device: device.name.clone(),
        params: burn::module::Module::num_params(&model),
        encode_ms,
        rollout_ms,
        decode_ms,
        predict_ms,
        predict_burn_ms,
        step_ms,
        foresee_ms,
        steps_per_s: 1e3 / step_ms,
        train_clips_per_s: None,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// Training clips per second of a fresh `cfg` model on random scenes, `batch` clips a step,
/// timed over `steps` steps after the first (which compiles kernels).
pub fn train_rate(cfg: &ModelConfig, device: &ComputeDevice, steps: usize, batch: usize) -> Result<f64, ModelError> {
    let dir = std::env::temp_dir().join(format!("augur-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(ModelError::io("cannot create", &dir))?;
    let job = TrainJob {
        config: TrainConfig::new(cfg.clone())
            .with_steps(steps + 1)
            .with_checkpoint_every(usize::MAX)
            .with_batch_size(batch),
        data: vec![("scene:bounce".into(), 1.0)],
        out: dir.clone(),
        resume: false,
        init: None,
        command: "augur bench model".into(),
        device: device.clone(),
        cancel: Default::default(),
        stop_after: None,
    };
    let mut start = None;
    let mut last = 0.0;
    let sources = [ClipSource::scene("scene:bounce", cfg.image_size)?];
    let result = crate::train::train_on(&job, &sources, |p| {
        if p.step == 1 {
            start = Some(Instant::now());
        } else if let Some(s) = start {
            last = ((p.step - 1) * batch) as f64 / s.elapsed().as_secs_f64();
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|_| last)
}

/// Peak resident memory of this process so far (VmHWM), MB; 0 where /proc is missing.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
            line.split_whitespace().next()?.parse::<f64>().ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
