//! `augur predict`: run a model over any source and write, per step, the input frame, the H
//! predicted frames, the error heatmap and the latent, plus a side-by-side MP4
//! (truth | prediction | error) in which predictions are rolled out open-loop from an anchor
//! frame every H frames.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use augur_capture::{FileSpec, FrameRate, Pacing, SessionClock, SourceSpec, VideoSpec, open_video};
use augur_model::canvas::write_png;
use augur_model::eval::read;
use augur_model::fade::PastRollouts;
use augur_model::frames::{to_model_input, to_rgb8};
use augur_model::{DeviceChoice, WorldModel, checkpoint, pick_device};
use burn::tensor::{Tensor, TensorData};
use serde::Serialize;

use crate::heat::heatmap_rgb;

mod listen;
mod sound;

/// Run a model over a source and write its predictions.
///
/// Example: augur predict --model models/bounce-64 --source scene:bounce?seed=5 --out pred/
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The model (`name`, `name.safetensors` or `name.json`).
    #[arg(long)]
    model: PathBuf,
    /// Any video source: camera:0, file:clip.mp4, lavfi:…, scene:bounce?seed=5.
    #[arg(long)]
    source: String,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Frames to predict after the first context.
    #[arg(long, default_value_t = 96)]
    steps: usize,
    /// Rollout horizon (default: the model's).
    #[arg(long)]
    horizon: Option<usize>,
    /// Pixel size of each panel in the side-by-side video (at least the model's frame size, at
    /// most 2048).
    #[arg(long, default_value_t = 256)]
    panel: usize,
    /// Sound for the audio token, aligned to the frames: audiofile:clip.wav, mic:default, or
    /// none for silence. Without it a file (or recorded episode) with a sound track, or a scene
    /// with sound=1, is heard through its own sound; anything else is silent.
    #[arg(long)]
    audio: Option<String>,
    /// Skip per-step PNGs (only the video and the index).
    #[arg(long)]
    video_only: bool,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
}

/// The widest panel of the side-by-side video: three make a 6144 × 2048 frame (encoded and
/// read back by ffprobe here), within H.264's largest level, 6.2.
const MAX_PANEL: usize = 2048;

#[derive(Serialize)]
struct StepRecord {
    frame: usize,
    surprise: f32,
    pixel_error: f64,
    /// For a model that fades: the share of its predicted change each step kept (1 = drawn
    /// as guessed).
    kept: Option<Vec<f32>>,
    dir: Option<String>,
}

/// Most steps one run predicts: an hour of video at 30 fps, its frames held in memory.
const MAX_STEPS: usize = 108_000;

pub fn run(args: &Args) -> Result<()> {
    let device = pick_device(&DeviceChoice::parse(&args.device)?)?;
    if let Some(notice) = &device.notice {
        eprintln!("augur: {notice}");
    }
    let (model, card) = checkpoint::load(&args.model, &device.device)?;
    let cfg = &card.config;
    let (c, s) = (cfg.context, cfg.image_size);
    let horizon = args.horizon.unwrap_or(cfg.horizon);
    if horizon == 0 || horizon > cfg.max_horizon {
        bail!("--horizon must be 1 to {} for this model", cfg.max_horizon);
    }
    if args.steps == 0 || args.steps > MAX_STEPS {
        bail!("--steps {}: pass 1 to {MAX_STEPS} (frames predicted after the model's {c}-frame context)", args.steps);
    }
    if args.panel > MAX_PANEL {
        bail!(
            "--panel {}: the video is three panels wide, each at most {MAX_PANEL} px; pass a smaller --panel",
            args.panel
        );
    }
    let clock = SessionClock::start();
    // A microphone is heard while the frames are read, so it hears what they show.
    let listening = if cfg.audio_mels > 0 { listen::Listening::start(args.audio.as_deref(), clock)? } else { None };
    let (frames, rate, first) = read_frames(&args.source, c + args.steps, s, clock)?;
    if frames.len() <= c {
        bail!("{} gave {} frames; the model needs more than its context of {c}", args.source, frames.len());
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    remove_old_steps(&args.out)?;
    // The video plays at the source's rate (12.5 or 29.97 fps as it is, so the sound keeps to
    // the pictures), up to 240 fps; 30 for a source that names none.
    let fps = FrameRate::nearest(rate).map_or(FrameRate::from(30), |f| if f.fps() > 240.0 { 240.into() } else { f });
    let rate = fps.fps();
    let n = frames.len();
    let sound = match listening {
        Some(mic) => Some(mic.finish(first, n, rate)?),
        None => sound::heard(args.audio.as_deref(), &args.source, n, rate, cfg.audio_mels)?,
    };
    let mels = sound.as_ref().map(|s| s.mels(n, cfg.audio_mels));
    let video_path = args.out.join("side-by-side.mp4");
    let (p, plane) = (args.panel.max(s), 3 * s * s);
    let mut video = sound::SideBySide::create(&video_path, (3 * p) as u32, p as u32, fps, sound.as_ref())?;
    let mut index = Vec::new();
    let mut anchor: Vec<Vec<f32>> = Vec::new();
    // Each frame is encoded once (online for context, target for surprise), not once per window.
    let (online, target) = encode_all(&model, &frames, mels.as_deref(), s, &device.device);
    // A model that fades keeps as much of each step's predicted change as the rollouts drawn
    // that many frames before earned on frame t - 1 (ModelConfig::fade_by_last_step).
    let mut past = PastRollouts::default();
    for t in c..frames.len() {
        let (mut future, latent, surprise) =
            predict_step(&model, &online, &target, &frames[t - 1], t, c, horizon, s, &device.device)?;
        let kept = cfg.fades().then(|| past.fade(&frames[t - 1], &mut future));
        if (t - c) % horizon == 0 {
            anchor = future.chunks(plane).map(<[f32]>::to_vec).collect();
        }
        let open_loop = &anchor[(t - c) % horizon];
        let heat = heatmap_rgb(open_loop, &frames[t], s);
        let panels = [to_rgb8(&frames[t], s), to_rgb8(open_loop, s), heat.clone()];
        let tiles: Vec<&[u8]> = panels.iter().map(Vec::as_slice).collect();
        video.push(&augur_model::canvas::side_by_side(&tiles, s, p), (3 * p) as u32, t)?;
        let one_step = &future[..plane];
        let dir = if args.video_only {
            None
        } else {
            let dir = args.out.join(format!("step-{t:05}"));
            write_step(&dir, &frames[t - 1], &future, &heatmap_rgb(one_step, &frames[t], s), &latent, s)?;
            Some(dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        };
        let pixel_error = augur_model::metrics::mse(one_step, &frames[t]);
        index.push(StepRecord { frame: t, surprise, pixel_error, kept, dir });
        eprint!("\rpredicted frame {}/{}", t + 1, frames.len());
    }
    let written = video.finish()?;
    eprintln!();
    std::fs::write(args.out.join("predictions.json"), serde_json::to_string_pretty(&index)?)?;
    let heard = if sound.is_some() { ", with the sound the model heard" } else { "" };
    println!(
        "{} steps written to {}; side-by-side video ({written} frames{heard}, truth | prediction rolled out {horizon} frames from each anchor | error): {}",
        index.len(),
        args.out.display(),
        video_path.display()
    );
    Ok(())
}

/// Frames at model size, the source's frame rate (files and scenes read as fast as they
/// decode, at the rate they report; a camera or a lavfi graph at the rate it delivered) and
/// when the first frame came on `clock`.
fn read_frames(
    given: &str,
    count: usize,
    size: usize,
    clock: SessionClock,
) -> Result<(Vec<Vec<f32>>, f64, std::time::Duration)> {
    let spec = match SourceSpec::video(given)? {
        VideoSpec::File(f) => VideoSpec::File(FileSpec { pacing: Pacing::Fast, ..f }),
        VideoSpec::Scene(cfg) => VideoSpec::Scene(augur_capture::scene::SceneConfig { realtime: false, ..cfg }),
        other => other,
    };
    let live = !matches!(spec, VideoSpec::File(_) | VideoSpec::Scene(_));
    let mut source = open_video(&spec, clock)?;
    let reported = source.info().fps;
    let (mut first, mut span) = (None, (None, None));
    let mut frames = Vec::with_capacity(count.min(4096));
    while frames.len() < count {
        match source.next_frame()? {
            Some(f) => {
                first.get_or_insert(f.pts);
                // The stream's own times where it has them: arrival times carry the machine's
                // hiccups (a late last frame on a busy machine is 2 % over 2 s).
                let at = f.stream_pts.unwrap_or(f.pts);
                span = (span.0.or(Some(at)), Some(at));
                frames.push(to_model_input(&f.rgb, f.width as usize, f.height as usize, size));
            }
            None => break,
        }
    }
    // A live source's rate is the one it delivered, where that is more than 2 % off what it
    // reports (a camera claiming 30 fps sends 15 in low light): the video would play too fast
    // and the microphone's window end early.
    let rate = match span {
        (Some(a), Some(b)) if live && frames.len() > 1 && b > a => {
            let delivered = (frames.len() - 1) as f64 / (b - a).as_secs_f64();
            if (delivered / reported - 1.0).abs() > 0.02 { delivered } else { reported }
        }
        _ => reported,
    };
    Ok((frames, rate, first.unwrap_or_default()))
}

/// Online and target latents of every frame, `[1, N, tokens, dim]` each; `mels` (frame-major,
/// `audio_mels` per frame) feeds the audio token, silence when `None`.
fn encode_all(
    model: &WorldModel,
    frames: &[Vec<f32>],
    mels: Option<&[f32]>,
    s: usize,
    device: &burn::tensor::Device,
) -> (Tensor<4>, Tensor<4>) {
    const CHUNK: usize = 32;
    let (mut online, mut target) = (Vec::new(), Vec::new());
    for (i, chunk) in frames.chunks(CHUNK).enumerate() {
        let n = chunk.len();
        let x = augur_model::frames::clips_tensor(chunk.concat(), n, s, device);
        let sound = mels.map(|m| {
            let per = m.len() / frames.len().max(1);
            let part = m[i * CHUNK * per..(i * CHUNK + n) * per].to_vec();
            Tensor::<3>::from_data(TensorData::new(part, [1, n, per]), device)
        });
        online.push(model.online.forward(x.clone(), sound.clone()));
        target.push(model.target.forward(x, sound));
    }
    (Tensor::cat(online, 1), Tensor::cat(target, 1))
}

/// The rollout from the `c` frames before frame `t`, the last context frame's latent, and the
/// surprise of frame `t`. `anchor` is frame `t - 1`, which the decoder paints over.
#[allow(clippy::too_many_arguments)]
fn predict_step(
    model: &WorldModel,
    online: &Tensor<4>,
    target: &Tensor<4>,
    anchor: &[f32],
    t: usize,
    c: usize,
    horizon: usize,
    s: usize,
    device: &burn::tensor::Device,
) -> Result<(Vec<f32>, Vec<f32>, f32)> {
    let anchor = Tensor::<4>::from_data(TensorData::new(anchor.to_vec(), [1, 3, s, s]), device);
    let window = online.clone().narrow(1, t - c, c);
    let [_, _, m, d] = window.dims();
    let last = window.clone().narrow(1, c - 1, 1);
    let future = model.rollout(window, None, horizon);
    let truth = target.clone().narrow(1, t, 1);
    let surprise = read(WorldModel::surprise(future.clone().narrow(1, 0, 1), truth))?;
    let pixels = read(model.decode(future, anchor))?;
    let latent = read(last.reshape([m * d]))?;
    Ok((pixels, latent, surprise.first().copied().unwrap_or(f32::NAN)))
}

/// Removes the `step-*` folders an earlier run left in `out`: beside this run's
/// `predictions.json` they would read as its steps.
fn remove_old_steps(out: &Path) -> Result<()> {
    let listed = std::fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?;
    for entry in listed.flatten() {
        let name = entry.file_name();
        let is_step =
            name.to_str().and_then(|n| n.strip_prefix("step-")).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if is_step && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn write_step(dir: &Path, input: &[f32], future: &[f32], heat: &[u8], latent: &[f32], s: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let side = s as u32;
    write_png(&dir.join("input.png"), side, side, &to_rgb8(input, s))?;
    for (h, frame) in future.chunks(3 * s * s).enumerate() {
        write_png(&dir.join(format!("pred-{:02}.png", h + 1)), side, side, &to_rgb8(frame, s))?;
    }
    write_png(&dir.join("heatmap.png"), side, side, heat)?;
    let bytes: Vec<u8> = latent.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("latent.f32"), bytes)?;
    Ok(())
}
