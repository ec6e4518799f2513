//! A live session: a capture thread (preview at source rate, reopening a failed source) and a
//! model thread (predictions at whatever rate the model sustains), joined by a one-slot
//! mailbox so the preview never waits for the model.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use augur_capture::{Frame, Mailbox, SessionClock, SourceSpec};
use augur_model::{DeviceChoice, checkpoint};
use crossbeam_channel::{RecvTimeoutError, SendTimeoutError, Sender, bounded};

use crate::EngineError;
use crate::stats::{Rates, Stats};
use crate::timeline::{Moment, Timeline};
use crate::trajectory::{Trajectory, project};

mod export;
mod recording;

/// What a session runs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Video source name; `None` picks the first camera, or the built-in scene without one.
    pub source: Option<String>,
    /// The model (`models/bounce-64`, a `.safetensors` or a `.json` card).
    pub model: PathBuf,
    /// Where the model runs.
    pub device: DeviceChoice,
    /// Rollout horizon; `None` uses the model's.
    pub horizon: Option<usize>,
    /// History kept for scrubbing and what-if rollouts.
    pub timeline: Duration,
    /// Microphone or audio file (`mic:default`, `audiofile:…`); `None` for no sound.
    pub mic: Option<String>,
}

impl SessionConfig {
    /// A session on `source` with `model`, automatic device, the model's horizon, 60 s history.
    pub fn new(source: Option<&str>, model: PathBuf) -> Self {
        Self {
            source: source.map(String::from),
            model,
            device: DeviceChoice::Auto,
            horizon: None,
            timeline: Duration::from_secs(60),
            mic: None,
        }
    }
}

/// The source's state, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceStatus {
    /// Opening for the first time.
    Starting,
    /// Delivering frames.
    Running {
        /// What it is.
        description: String,
    },
    /// It failed; the session keeps its timeline and reopens it every 2 s.
    Retrying {
        /// Why it failed, with what to do.
        error: String,
        /// Reopen attempts so far.
        attempts: u32,
    },
    /// It reached its end (a file).
    Ended,
}

/// A what-if request: roll out again from a past moment.
#[derive(Debug, Clone)]
pub struct WhatIf {
    /// The moment to start from (its index in the timeline).
    pub at: u64,
    /// Frames to predict.
    pub horizon: usize,
    /// Context frames up to and including `at` (at most the model's context).
    pub context: usize,
    /// Actions per step (`horizon × action_dim`), for models trained with actions.
    pub actions: Option<Vec<f32>>,
}

/// What a what-if rollout produced.
#[derive(Debug, Clone)]
pub struct WhatIfResult {
    /// Predicted frames, packed RGB8, one after another (`horizon × size × size × 3`).
    pub frames: Vec<u8>,
    /// Frame size in pixels.
    pub size: usize,
    /// Pooled latents of the predicted steps.
    pub pooled: Vec<Vec<f32>>,
}

pub(crate) enum Request {
    WhatIf(WhatIf, Sender<Result<WhatIfResult, EngineError>>),
    Steer(u64, Vec<f32>, Sender<Result<Vec<u8>, EngineError>>),
    SetModel(PathBuf, Sender<Result<String, EngineError>>),
    SetCompare(Option<PathBuf>, Sender<Result<Option<String>, EngineError>>),
}

pub(crate) struct Shared {
    pub(crate) timeline: Mutex<Timeline>,
    pub(crate) preview: Mutex<Option<Frame>>,
    pub(crate) status: Mutex<SourceStatus>,
    pub(crate) rates: Mutex<Rates>,
    pub(crate) paused: AtomicBool,
    pub(crate) stop: AtomicBool,
    pub(crate) horizon: AtomicUsize,
    /// Context frames for live rollouts (clamped to the model's).
    pub(crate) context: AtomicUsize,
    /// The model takes a frame only when it is at least this many source frames after the last.
    pub(crate) stride: AtomicUsize,
    /// The model's own context length.
    pub(crate) model_context: AtomicUsize,
    /// The model's longest rollout (its card's `max_horizon`).
    pub(crate) max_horizon: AtomicUsize,
    pub(crate) next_source: Mutex<Option<String>>,
    pub(crate) model_name: Mutex<String>,
    /// The device the model runs on, once it is loaded.
    pub(crate) device_name: Mutex<String>,
    /// The second model of an A/B compare, if one runs.
    pub(crate) compare_name: Mutex<Option<String>>,
    pub(crate) trajectory: Mutex<Option<Trajectory>>,
    pub(crate) source_info: Mutex<Option<augur_capture::SourceInfo>>,
    pub(crate) recording: Mutex<Option<crate::recording::ActiveRecording>>,
    pub(crate) recording_stopped: Mutex<Option<String>>,
    pub(crate) finishing: Mutex<Vec<JoinHandle<String>>>,
    /// The microphone; swapped whole by [`Session::set_microphone`], so readers take the
    /// `Arc` and let go of the lock at once.
    pub(crate) sound: Mutex<Option<Arc<crate::sound::Sound>>>,
    /// What every microphone of the last timeline's length heard, for exports across switches.
    pub(crate) heard: Arc<Mutex<crate::soundtrack::Heard>>,
    /// Model input size (changes with the model).
    pub(crate) size: AtomicUsize,
    /// The newest source frames at model size (timestamp, RGB8), at most [`ARRIVED_KEPT`]:
    /// what came after the newest moment.
    pub(crate) arrived: Mutex<std::collections::VecDeque<(Duration, Arc<[u8]>)>>,
    /// Why the model's last step failed (cleared by the next good one).
    pub(crate) model_error: Mutex<Option<String>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Source frames kept for [`Session::arrived_after`] past the newest moment: 17 s at 30 fps,
/// more than a 32-step horizon at the spacing a CPU takes moments at.
pub(crate) const ARRIVED_KEPT: usize = 512;

/// Stores `value` in `setting` when it is 1 to the model's `max`; `what` names it in the error.
fn set_within(setting: &AtomicUsize, value: usize, max: &AtomicUsize, what: &str) -> Result<(), EngineError> {
    let max = max.load(Ordering::SeqCst);
    if !(1..=max).contains(&value) {
        return Err(EngineError::Usage(format!("the {what} must be 1 to {max} frames for this model")));
    }
    setting.store(value, Ordering::SeqCst);
    Ok(())
}

/// A running session. Dropping it stops its threads.
pub struct Session {
    shared: Arc<Shared>,
    requests: Sender<Request>,
    threads: Vec<JoinHandle<()>>,
    clock: SessionClock,
    /// Things the user should know (CPU fallback, scene instead of a camera).
    pub notices: Vec<String>,
}

impl Shared {
    /// The microphone of this moment.
    pub(crate) fn sound(&self) -> Option<Arc<crate::sound::Sound>> {
        lock(&self.sound).clone()
    }
}

impl Session {
    /// Loads the model, opens the source and starts both threads. Fails at once on a bad
    /// source name or model; a source that fails later is retried, not fatal.
    pub fn start(cfg: SessionConfig) -> Result<Self, EngineError> {
        if let Some(s) = &cfg.source {
            SourceSpec::video(s)?;
        }
        let card = checkpoint::load_card(&cfg.model)?;
        let horizon = cfg.horizon.unwrap_or(card.config.horizon);
        if horizon == 0 || horizon > card.config.max_horizon {
            let max = card.config.max_horizon;
            return Err(EngineError::Usage(format!(
                "--horizon {horizon}: the horizon must be 1 to {max} frames for this model (its card's max_horizon); pass --horizon between 1 and {max}"
            )));
        }
        let clock = SessionClock::start();
        // A microphone that will not open costs the session its sound, not the session.
        let mut sound_notice = None;
        let heard = Arc::new(Mutex::new(crate::soundtrack::Heard::new(cfg.timeline)));
        let sound = match cfg.mic.as_deref() {
            None | Some("none") => None,
            Some(m) => match crate::sound::Sound::open(m, clock, heard.clone()) {
                Ok(s) => Some(Arc::new(s)),
                Err(e) => {
                    sound_notice = Some(format!("no sound: {e}"));
                    None
                }
            },
        };
        let shared = Arc::new(Shared {
            timeline: Mutex::new(Timeline::new(cfg.timeline)),
            preview: Mutex::new(None),
            status: Mutex::new(SourceStatus::Starting),
            rates: Mutex::new(Rates::default()),
            paused: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            horizon: AtomicUsize::new(horizon),
            context: AtomicUsize::new(card.config.context),
            stride: AtomicUsize::new(1),
            model_context: AtomicUsize::new(card.config.context),
            max_horizon: AtomicUsize::new(card.config.max_horizon),
            next_source: Mutex::new(None),
            model_name: Mutex::new(cfg.model.display().to_string()),
            device_name: Mutex::new(String::new()),
            compare_name: Mutex::new(None),
            trajectory: Mutex::new(None),
            source_info: Mutex::new(None),
            recording: Mutex::new(None),
            recording_stopped: Mutex::new(None),
            finishing: Mutex::new(Vec::new()),
            sound: Mutex::new(sound),
            heard,
            size: AtomicUsize::new(card.config.image_size),
            arrived: Mutex::new(std::collections::VecDeque::new()),
            model_error: Mutex::new(None),
        });
        let frames: Arc<Mailbox<Frame>> = Arc::new(Mailbox::new());
        let (requests, inbox) = bounded(8);
        let (ready_tx, ready) = bounded(1);
        let model_thread = {
            let (shared, frames, cfg) = (shared.clone(), frames.clone(), cfg.clone());
            std::thread::Builder::new()
                .name("augur-model".into())
                .spawn(move || crate::model_thread::model_loop(&cfg, clock, &shared, &frames, &inbox, &ready_tx))
                .map_err(|e| EngineError::Usage(format!("cannot start the model thread: {e}")))?
        };
        let notices = match ready.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e),
            Err(RecvTimeoutError::Timeout) => {
                shared.stop.store(true, Ordering::SeqCst);
                return Err(EngineError::Usage("the model did not load within 2 minutes".into()));
            }
            // The model thread ended without a word: it panicked loading the model.
            Err(RecvTimeoutError::Disconnected) => {
                return Err(EngineError::Usage(
                    "loading the model stopped on an internal error; check its files with `augur eval --model …`"
                        .into(),
                ));
            }
        };
        let (source_notice_tx, source_notice) = bounded(1);
        let capture_thread = {
            let (shared, frames) = (shared.clone(), frames.clone());
            std::thread::Builder::new()
                .name("augur-capture".into())
                .spawn(move || crate::capture::capture_loop(cfg.source, clock, &shared, &frames, &source_notice_tx))
        };
        let capture_thread = match capture_thread {
            Ok(t) => t,
            Err(e) => {
                shared.stop.store(true, Ordering::SeqCst);
                return Err(EngineError::Usage(format!("cannot start the capture thread: {e}")));
            }
        };
        let mut notices = notices;
        notices.extend(sound_notice);
        if let Ok(Some(n)) = source_notice.recv_timeout(Duration::from_secs(10)) {
            notices.push(n);
        }
        Ok(Self { shared, requests, threads: vec![model_thread, capture_thread], clock, notices })
    }

    /// The clock every frame's `pts` is on.
    pub fn clock(&self) -> SessionClock {
        self.clock
    }

    /// The newest source frame at its own size (the preview; never waits for the model).
    pub fn preview(&self) -> Option<Frame> {
        lock(&self.shared.preview).clone()
    }

    /// The newest processed moment.
    pub fn latest(&self) -> Option<Moment> {
        lock(&self.shared.timeline).latest().cloned()
    }

    /// A past moment, if the timeline still holds it.
    pub fn moment(&self, index: u64) -> Option<Moment> {
        lock(&self.shared.timeline).get(index).cloned()
    }

    /// Indices of the oldest and newest moments held.
    pub fn span(&self) -> Option<(u64, u64)> {
        let t = lock(&self.shared.timeline);
        Some((t.iter().next()?.index, t.latest()?.index))
    }

    /// Moments held.
    pub fn timeline_len(&self) -> usize {
        lock(&self.shared.timeline).len()
    }

    /// (index, surprise) for every moment held.
    pub fn surprise_trace(&self) -> Vec<(u64, f32)> {
        lock(&self.shared.timeline).surprise_trace()
    }

    /// Stops adding moments (the preview keeps running); the timeline stays for scrubbing. Set
    /// under the timeline's lock, so no step in flight adds a moment once this returns.
    pub fn pause(&self) {
        let _timeline = lock(&self.shared.timeline);
        self.shared.paused.store(true, Ordering::SeqCst);
    }

    /// Predicts again from the newest frame on.
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }

    /// Whether predictions are paused.
    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::SeqCst)
    }

    /// Changes the live rollout horizon (1 to the model's `max_horizon`).
    pub fn set_horizon(&self, horizon: usize) -> Result<(), EngineError> {
        set_within(&self.shared.horizon, horizon, &self.shared.max_horizon, "horizon")
    }

    /// Live rollouts start from the newest `context` frames (1 to the model's context).
    pub fn set_context(&self, context: usize) -> Result<(), EngineError> {
        set_within(&self.shared.context, context, &self.shared.model_context, "context")
    }

    /// Context frames of live rollouts, and the model's own context.
    pub fn context(&self) -> (usize, usize) {
        let max = self.shared.model_context.load(Ordering::SeqCst);
        (self.shared.context.load(Ordering::SeqCst).min(max), max)
    }

    /// The model takes every `stride`-th source frame at most (1 to 8): predictions then reach
    /// `stride` times further ahead per step. The model may skip more when it cannot keep up.
    pub fn set_stride(&self, stride: usize) -> Result<(), EngineError> {
        if !(1..=8).contains(&stride) {
            return Err(EngineError::Usage(format!("the stride must be 1 to 8 source frames, got {stride}")));
        }
        self.shared.stride.store(stride, Ordering::SeqCst);
        Ok(())
    }

    /// Source frames between the frames the model takes, at least.
    pub fn stride(&self) -> usize {
        self.shared.stride.load(Ordering::SeqCst)
    }

    /// Switches to another source without stopping; the timeline is kept.
    pub fn set_source(&self, source: &str) -> Result<(), EngineError> {
        SourceSpec::video(source)?;
        *lock(&self.shared.next_source) = Some(source.to_string());
        Ok(())
    }

    /// Switches to another model without stopping; returns its description.
    pub fn set_model(&self, model: PathBuf) -> Result<String, EngineError> {
        let (tx, rx) = bounded(1);
        self.ask(Request::SetModel(model, tx))?;
        rx.recv_timeout(Duration::from_secs(120)).map_err(|_| EngineError::Stopped)?
    }

    /// Runs a second model on the same frames beside the first (A/B compare), or stops it with
    /// `None`; returns its description. Each moment then carries both predictions and both
    /// surprises. The two share the model thread, so on a CPU each prediction takes their
    /// sum: the rate roughly halves.
    pub fn set_compare(&self, model: Option<PathBuf>) -> Result<Option<String>, EngineError> {
        let (tx, rx) = bounded(1);
        self.ask(Request::SetCompare(model, tx))?;
        rx.recv_timeout(Duration::from_secs(120)).map_err(|_| EngineError::Stopped)?
    }

    /// The second model of an A/B compare, if one runs.
    pub fn compare_name(&self) -> Option<String> {
        lock(&self.shared.compare_name).clone()
    }

    /// (index, surprise, the second model's surprise) for every moment held, read at once so
    /// the two line up; the second is NaN where no comparison ran.
    pub fn compare_trace(&self) -> Vec<(u64, f32, f32)> {
        lock(&self.shared.timeline).compare_trace()
    }

    /// Rolls out again from a past moment with another horizon, context or actions.
    pub fn what_if(&self, req: WhatIf) -> Result<WhatIfResult, EngineError> {
        let (tx, rx) = bounded(1);
        self.ask(Request::WhatIf(req, tx))?;
        rx.recv_timeout(Duration::from_secs(60)).map_err(|_| EngineError::Stopped)?
    }

    /// What the model imagines at moment `at` moved by `weights` along the trajectory's
    /// principal components (packed RGB8 at model size).
    pub fn steer(&self, at: u64, weights: Vec<f32>) -> Result<Vec<u8>, EngineError> {
        let (tx, rx) = bounded(1);
        self.ask(Request::Steer(at, weights, tx))?;
        rx.recv_timeout(Duration::from_secs(60)).map_err(|_| EngineError::Stopped)?
    }

    /// What actually came where the model predicted t+1…t+count from moment `index` (at model
    /// size, packed RGB8, oldest first). Each of its steps is one moment, the frame it took
    /// next (the stride, or the time a step takes, can put several source frames between two),
    /// as its surprise is scored: the next moments' frames, up to a new context (after a pause
    /// or a source switch, where the model did not go on from this one). Past the newest
    /// moment (paused there), the source frames that came since, one per moment's spacing.
    /// Fewer when they have not all come yet; an error when the moment is gone.
    pub fn arrived_after(&self, index: u64, count: usize) -> Result<Vec<Arc<[u8]>>, EngineError> {
        let timeline = lock(&self.shared.timeline);
        let Some(moment) = timeline.get(index) else {
            return Err(EngineError::Usage(format!("moment {index} is not in the timeline any more")));
        };
        let (mut came, mut last, size) = (Vec::new(), moment.pts, moment.input.len());
        for k in 1..=count as u64 {
            match timeline.get(index + k) {
                // A surprise that is not a number: no prediction led to it, a new context began.
                Some(next) if next.surprise.is_nan() => return Ok(came),
                Some(next) => {
                    came.push(next.input.clone());
                    last = next.pts;
                }
                None => break,
            }
        }
        let spacing = timeline.spacing();
        drop(timeline);
        let ring = lock(&self.shared.arrived);
        while came.len() < count {
            // The frame nearest one spacing on, and at least half of one on.
            let (target, soonest) = (last + spacing, last + spacing / 2);
            let next = ring
                .iter()
                .filter(|(t, rgb)| *t >= soonest && rgb.len() == size)
                .min_by_key(|(t, _)| t.abs_diff(target));
            let Some((pts, rgb)) = next else { break };
            came.push(rgb.clone());
            last = *pts;
        }
        Ok(came)
    }

    /// The latent trajectory in 2 or 3 principal components.
    pub fn trajectory(&self, dims: usize) -> Result<Trajectory, EngineError> {
        // Copy the points out first: the fit must not hold the lock the model thread needs.
        let points = crate::trajectory::Points::of(&lock(&self.shared.timeline));
        let t = project(&points, dims)?;
        *lock(&self.shared.trajectory) = Some(t.clone());
        Ok(t)
    }

    /// Rates, latency and drops so far.
    pub fn stats(&self) -> Stats {
        lock(&self.shared.rates).stats()
    }

    /// The source's state.
    pub fn status(&self) -> SourceStatus {
        lock(&self.shared.status).clone()
    }

    /// What the source negotiated (size, rate, format), once it has opened.
    pub fn source_info(&self) -> Option<augur_capture::SourceInfo> {
        lock(&self.shared.source_info).clone()
    }

    /// The horizon of live rollouts.
    pub fn horizon(&self) -> usize {
        self.shared.horizon.load(Ordering::SeqCst)
    }

    /// Hands `request` to the model thread, waiting at most 10 s for room in its queue (full
    /// while it loads a model, which may take two minutes).
    fn ask(&self, request: Request) -> Result<(), EngineError> {
        self.requests.send_timeout(request, Duration::from_secs(10)).map_err(|e| match e {
            SendTimeoutError::Timeout(_) => {
                EngineError::Usage("the model is busy (loading a model?); try again in a moment".into())
            }
            SendTimeoutError::Disconnected(_) => EngineError::Stopped,
        })
    }

    /// The model in use.
    pub fn model_name(&self) -> String {
        lock(&self.shared.model_name).clone()
    }

    /// The device the model runs on ("cpu (burn flex)", an adapter's name), once it is loaded.
    pub fn device_name(&self) -> String {
        lock(&self.shared.device_name).clone()
    }

    /// Model input size in pixels.
    pub fn size(&self) -> usize {
        self.shared.size.load(Ordering::SeqCst)
    }

    /// Why the model's last step failed, if it did.
    pub fn model_error(&self) -> Option<String> {
        lock(&self.shared.model_error).clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.finish_recording_on_close();
    }
}
