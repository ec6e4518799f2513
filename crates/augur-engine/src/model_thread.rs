//! The model thread of a session: loads the model (and the one compared with it), takes the
//! newest frame from the mailbox (no closer than the stride), encodes, rolls out and decodes it
//! into a moment on the timeline, and serves what-if, steering and model-swap requests between
//! frames.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use augur_capture::{Frame, Mailbox, SessionClock};
use augur_model::frames::to_model_input;
use augur_model::{DeviceChoice, checkpoint, pick_device};
use crossbeam_channel::{Receiver, Sender};

use crate::EngineError;
use crate::runner::{Runner, moment};
use crate::session::{Request, SessionConfig, Shared, WhatIfResult, lock};
use crate::trajectory::project;

/// Live horizon on the CPU when none was asked for: on a 2-core machine the default model rolls
/// out 4 frames at 13.5-15 Hz but 8 frames at 8-8.5 Hz, below the 10 Hz a live view
/// needs (bench/results/live.md).
const CPU_LIVE_HORIZON: usize = 4;

/// The model at `model` on the device picked: its runner, notices for the user, whether the
/// device is a GPU, and the device's name.
fn load(model: &std::path::Path, device: &DeviceChoice) -> Result<(Runner, Vec<String>, bool, String), EngineError> {
    let dev = pick_device(device)?;
    let (m, card) = checkpoint::load(model, &dev.device)?;
    let notices = dev.notice.clone().into_iter().collect();
    let gpu = dev.is_gpu();
    Ok((Runner::new(m, card, dev.device), notices, gpu, dev.name))
}

pub(crate) fn model_loop(
    cfg: &SessionConfig,
    clock: SessionClock,
    shared: &Shared,
    frames: &Mailbox<Frame>,
    inbox: &Receiver<Request>,
    ready: &Sender<Result<Vec<String>, EngineError>>,
) {
    let mut runner = match guarded(|| load(&cfg.model, &cfg.device)) {
        Ok((r, mut notices, gpu, device)) => {
            *lock(&shared.device_name) = device;
            let model_horizon = r.card.config.horizon;
            if !gpu && cfg.horizon.is_none() && model_horizon > CPU_LIVE_HORIZON {
                shared.horizon.store(CPU_LIVE_HORIZON, Ordering::SeqCst);
                notices.push(format!(
                    "on the CPU the live view predicts {CPU_LIVE_HORIZON} frames ahead to stay above 10 Hz; \
                     choose {model_horizon} in the horizon menu (or start with --horizon {model_horizon}) for the model's full horizon"
                ));
            }
            let _ = ready.send(Ok(notices));
            r
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut compare: Option<(Runner, Arc<str>)> = None;
    let mut index = 0u64;
    let mut last_source_index = None;
    let mut was_paused = false;
    while !shared.stop.load(Ordering::SeqCst) {
        while let Ok(req) = inbox.try_recv() {
            match req {
                Request::SetCompare(path, reply) => {
                    let _ = reply.send(set_compare(path, &mut compare, shared, &cfg.device));
                }
                req => serve(req, &mut runner, shared, &cfg.device),
            }
        }
        let Some(frame) = frames.wait(Duration::from_millis(50)) else { continue };
        if shared.paused.load(Ordering::SeqCst) {
            was_paused = true;
            continue;
        }
        // A gap in the source (reopened, or a new source) breaks the context, and so does a
        // pause: the frames before it may be minutes (or another source) ago.
        if std::mem::take(&mut was_paused) || last_source_index.is_some_and(|i: u64| frame.index < i) {
            runner.reset();
            if let Some((b, _)) = compare.as_mut() {
                b.reset();
            }
        }
        // Frames closer than the stride to the last one the model took wait for a later one.
        let stride = shared.stride.load(Ordering::SeqCst) as u64;
        if last_source_index.is_some_and(|i: u64| frame.index > i && frame.index < i + stride) {
            lock(&shared.rates).waived();
            continue;
        }
        last_source_index = Some(frame.index);
        let started = Instant::now();
        let s = runner.size();
        let input = to_model_input(&frame.rgb, frame.width as usize, frame.height as usize, s);
        let horizon = shared.horizon.load(Ordering::SeqCst);
        let mels = runner.card.config.audio_mels;
        let fps = lock(&shared.source_info).as_ref().map_or(30.0, |i| i.fps);
        let sound = shared.sound().filter(|_| mels > 0).map(|s| s.frame_features(fps, mels));
        let context = shared.context.load(Ordering::SeqCst);
        runner.overlap = lock(&shared.recording).is_none();
        let stepped = guarded(|| runner.step(&input, sound, horizon, context));
        // After a panic the runner's context may be half-updated: start it again.
        if matches!(stepped, Err(EngineError::Panicked(_))) {
            runner.reset();
        }
        match stepped {
            Ok(step) => {
                let cfg = &runner.card.config;
                let mut m = moment(index, frame.pts, &input, step, s, cfg.tokens(), cfg.latent_dim);
                // The frame's error is set once, after model B too, so a failure of B's is told
                // for as long as it lasts, not only between its steps.
                let mut error = None;
                if let Some((b, name)) = compare.as_mut() {
                    b.overlap = runner.overlap;
                    match step_compare(b, name, &frame, shared, fps, horizon, context) {
                        Ok(compared) => m.compare = Some(Arc::new(compared)),
                        Err(why) => error = Some(why),
                    }
                }
                *lock(&shared.model_error) = error;
                {
                    // Paused while this step ran: the timeline stays as it was when Pause was
                    // pressed (`Session::pause` sets the flag under this lock), so it is dropped.
                    let mut timeline = lock(&shared.timeline);
                    if shared.paused.load(Ordering::SeqCst) {
                        was_paused = true;
                        continue;
                    }
                    timeline.push(m);
                }
                index += 1;
                // Capture to prediction ready, on the clock the frame was stamped with.
                let latency = clock.now().saturating_sub(frame.pts);
                lock(&shared.rates).predicted(started.elapsed(), latency);
            }
            Err(e) => {
                *lock(&shared.model_error) = Some(format!("the model failed on a frame: {e}"));
            }
        }
    }
}

/// Runs one model call. A panic inside it (a tensor op given shapes it refuses) becomes
/// [`EngineError::Panicked`] instead of ending the model thread silently, which would leave the
/// window on a frozen prediction with no reason given.
fn guarded<T>(call: impl FnOnce() -> Result<T, EngineError>) -> Result<T, EngineError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
        .unwrap_or_else(|panic| Err(EngineError::Panicked(panic_text(&*panic))))
}

/// The message a panic carried, when it was text (its first lines).
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .map(|s| s.lines().filter(|l| !l.trim().is_empty()).take(4).collect::<Vec<_>>().join(" "))
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "no message".into())
}

/// Loads (or with `None` drops) the second model of an A/B compare.
fn set_compare(
    path: Option<PathBuf>,
    compare: &mut Option<(Runner, Arc<str>)>,
    shared: &Shared,
    device: &DeviceChoice,
) -> Result<Option<String>, EngineError> {
    let Some(path) = path else {
        *compare = None;
        *lock(&shared.compare_name) = None;
        return Ok(None);
    };
    let (runner, ..) = guarded(|| load(&path, device))?;
    let name = path.display().to_string();
    *compare = Some((runner, Arc::from(name.as_str())));
    *lock(&shared.compare_name) = Some(name.clone());
    Ok(Some(name))
}

/// The second model's step on the same frame. A failure is reported like the first model's
/// and leaves the moment without a comparison rather than losing it.
fn step_compare(
    b: &mut Runner,
    name: &Arc<str>,
    frame: &Frame,
    shared: &Shared,
    fps: f64,
    horizon: usize,
    context: usize,
) -> Result<crate::timeline::Compared, String> {
    let s = b.size();
    let input = to_model_input(&frame.rgb, frame.width as usize, frame.height as usize, s);
    let mels = b.card.config.audio_mels;
    let sound = shared.sound().filter(|_| mels > 0).map(|snd| snd.frame_features(fps, mels));
    match guarded(|| b.step(&input, sound, horizon.min(b.card.config.max_horizon), context)) {
        Ok(step) => Ok(crate::runner::compared(name.clone(), &input, step, s)),
        Err(e) => {
            if matches!(e, EngineError::Panicked(_)) {
                b.reset();
            }
            Err(format!("the compared model failed on a frame: {e}"))
        }
    }
}

fn serve(req: Request, runner: &mut Runner, shared: &Shared, device: &DeviceChoice) {
    let cfg = runner.card.config.clone();
    let (s, m, d) = (cfg.image_size, cfg.tokens(), cfg.latent_dim);
    match req {
        Request::WhatIf(w, reply) => {
            let result = guarded(|| {
                if w.horizon == 0 || w.horizon > cfg.max_horizon {
                    return Err(EngineError::Usage(format!("the horizon must be 1 to {}", cfg.max_horizon)));
                }
                if w.context == 0 || w.context > cfg.context {
                    return Err(EngineError::Usage(format!("the context must be 1 to {}", cfg.context)));
                }
                let (tokens, anchor) = {
                    let t = lock(&shared.timeline);
                    let ctx = t.before(w.at, w.context);
                    if ctx.last().is_none_or(|last| last.index != w.at) {
                        return Err(EngineError::Usage(format!("moment {} is not in the timeline any more", w.at)));
                    }
                    let tokens: Vec<f32> = ctx.iter().flat_map(|m| m.tokens.iter().copied()).collect();
                    let anchor = ctx.last().map(|m| from_rgb8(&m.input, s)).unwrap_or_default();
                    (tokens, anchor)
                };
                let context = tokens.len() / (m * d);
                let (pixels, latents) = runner.what_if(&tokens, context, &anchor, w.horizon, w.actions)?;
                let frames = pixels.chunks(3 * s * s).flat_map(|f| augur_model::frames::to_rgb8(f, s)).collect();
                Ok(WhatIfResult { frames, size: s, pooled: crate::runner::pool(&latents, m, d) })
            });
            let _ = reply.send(result);
        }
        Request::Steer(at, weights, reply) => {
            let result = guarded(|| {
                let (tokens, anchor) = {
                    let t = lock(&shared.timeline);
                    let mo =
                        t.get(at).ok_or_else(|| EngineError::Usage(format!("moment {at} is not in the timeline")))?;
                    (mo.tokens.to_vec(), from_rgb8(&mo.input, s))
                };
                let traj = lock(&shared.trajectory).clone();
                let traj = match traj {
                    Some(t) if !t.components.is_empty() => t,
                    _ => project(&crate::trajectory::Points::of(&lock(&shared.timeline)), weights.len().clamp(2, 3))?,
                };
                if weights.len() > traj.components.len() / d.max(1) {
                    return Err(EngineError::Usage(format!("steer along at most {} components", traj.dims)));
                }
                let mut moved = tokens;
                for (w, c) in weights.iter().zip(traj.components.chunks(d)) {
                    for token in moved.chunks_mut(d) {
                        for (x, ci) in token.iter_mut().zip(c) {
                            *x += w * ci;
                        }
                    }
                }
                runner.imagine(moved, &anchor)
            });
            let _ = reply.send(result);
        }
        Request::SetCompare(_, reply) => {
            let _ = reply.send(Err(EngineError::Usage("compare requests are served by the model loop".into())));
        }
        Request::SetModel(path, reply) => {
            let result = guarded(|| load(&path, device)).map(|(r, ..)| {
                // Under the timeline's lock, so a reader (an export) sees the old model's
                // moments with its size and name, or the new model's, never a mix.
                let mut timeline = lock(&shared.timeline);
                *runner = r;
                shared.size.store(runner.size(), Ordering::SeqCst);
                shared.model_context.store(runner.card.config.context, Ordering::SeqCst);
                // A shorter model's rollouts are as long as it makes them.
                let max = runner.card.config.max_horizon;
                shared.max_horizon.store(max, Ordering::SeqCst);
                let _ = shared.horizon.fetch_min(max, Ordering::SeqCst);
                *lock(&shared.trajectory) = None;
                *lock(&shared.model_name) = path.display().to_string();
                timeline.clear();
                path.display().to_string()
            });
            let _ = reply.send(result);
        }
    }
}

fn from_rgb8(rgb: &[u8], s: usize) -> Vec<f32> {
    to_model_input(rgb, s, s, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a guarded call that panics reports.
    fn reported(call: impl FnOnce() -> Result<(), EngineError>) -> String {
        match guarded(call) {
            Err(e @ EngineError::Panicked(_)) => e.to_string(),
            other => panic!("a panic must come back as EngineError::Panicked, got {other:?}"),
        }
    }

    #[test]
    fn a_panicking_model_call_becomes_an_error_with_its_message() {
        let text = reported(|| panic!("narrow: start 0 + length 0 out of range"));
        assert!(text.contains("narrow: start 0 + length 0 out of range"), "{text}");
        assert!(text.contains("please report it"), "{text}");
        // A formatted panic carries a String, a literal one a &str; a panic with any other
        // payload still says something.
        let formatted = reported(|| panic!("shape {:?}", [1, 2]));
        assert!(formatted.contains("shape [1, 2]"), "{formatted}");
        let opaque = reported(|| std::panic::panic_any(7u8));
        assert!(opaque.contains("no message"), "{opaque}");
        // Calls that return, well or badly, pass through untouched.
        assert!(matches!(guarded(|| Ok::<_, EngineError>(3)), Ok(3)));
        let usage = guarded::<()>(|| Err(EngineError::Usage("bad horizon".into())));
        assert!(matches!(usage, Err(EngineError::Usage(_))), "{usage:?}");
    }
}
