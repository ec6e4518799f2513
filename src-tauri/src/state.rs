//! The app's live session: the world model's session (predictions, timeline, trajectory) when a
//! model is available, otherwise the live source alone; and what the UI needs to know about it.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use augur_capture::{
    AudioHandle, Frame, SessionClock, SourceInfo, StreamEnd, VideoHandle, open_audio_or_none, open_video_or_scene,
    spawn_audio, spawn_video,
};
use augur_engine::SessionConfig;
use augur_model::{DEFAULT_MODEL, DeviceChoice};

use crate::args::AppArgs;
use crate::settings::Settings;

/// What produces the pictures.
pub enum Live {
    /// The world model's session: preview, predictions, surprise, trajectory.
    Model(augur_engine::Session),
    /// No model: the source alone.
    Source(VideoHandle),
}

/// Everything the window shows comes from here.
pub struct Session {
    pub clock: SessionClock,
    pub source_name: String,
    pub notices: Vec<String>,
    pub live: Live,
    pub audio: Option<AudioHandle>,
    /// How the video source ended, once it has (kept so every status poll can show it).
    pub end: Mutex<Option<String>>,
    /// `~/Augur` (or `--home`): `datasets/`, `models/` (fine-tunes) and `exports/`.
    pub home: PathBuf,
    /// Demo mode asked for on the command line (`--demo`).
    pub demo: bool,
    /// The folder of the model the app started with: its siblings are in the model picker.
    pub models_dir: PathBuf,
    /// The fine-tune running (or last run) from the window.
    pub training: Mutex<Option<augur_engine::Training>>,
    /// What the window remembers between runs (`home/settings.json`).
    pub settings: Mutex<Settings>,
    /// (index, capture time) of the frames last sent to the page, newest last: an unchanged
    /// preview is not sent twice, and a frame is timed when the page has drawn it.
    pub sent: Mutex<VecDeque<(u64, Duration)>>,
    /// Capture-to-drawn latency of the frames the page drew, ms (the newest 20 000).
    pub screen_latency: Mutex<VecDeque<f32>>,
    /// The window benchmark, when the app was started with `--bench`.
    pub bench: Option<crate::bench::BenchInfo>,
    /// The loopback frame stream, once the window has opened one.
    pub stream: Option<crate::stream::StreamInfo>,
    /// The Scope view, opened when the page first shows it.
    pub scope: Mutex<Option<crate::scope_view::ScopeView>>,
    /// The picker's id of the microphone listened to (`default`, a device index), when known.
    pub mic: Mutex<Option<String>>,
    /// See [`Session::source_now`].
    source_now: Mutex<Option<String>>,
}

/// The picker's id for the source's own sound (a file's track, a scene's knocks).
pub const OWN_SOUND: &str = "own";

/// Every model the window may switch to: `(name, base path)`, the bundled ones in
/// `models_dir` first, then fine-tunes in `home/models/NAME/model`.
pub fn catalog(models_dir: &std::path::Path, home: &std::path::Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let bundled = if models_dir.as_os_str().is_empty() { std::path::Path::new(".") } else { models_dir };
    if let Ok(entries) = std::fs::read_dir(bundled) {
        let mut found: Vec<(String, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                let stem = p.file_stem()?.to_str()?.to_string();
                (p.extension()? == "json" && p.with_extension("safetensors").exists())
                    .then(|| (stem, p.with_extension("")))
            })
            .collect();
        found.sort();
        out.extend(found);
    }
    if let Ok(entries) = std::fs::read_dir(home.join("models")) {
        let mut found: Vec<(String, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let base = e.path().join("model");
                base.with_extension("safetensors").exists().then_some((name, base))
            })
            .filter(|(name, _)| !out.iter().any(|(n, _)| n == name))
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// The microphone the window listened to last (`mic:…`), by its device name: indexes change
/// as devices come and go. One that is gone means the default one, with a notice.
fn remembered_mic(name: Option<&str>, notices: &mut Vec<String>) -> Option<String> {
    match name {
        None | Some("default") => Some("mic:default".into()),
        Some("none") => None,
        Some(name) => {
            let found = augur_capture::list_microphones().ok().and_then(|l| l.into_iter().find(|m| m.name == name));
            if found.is_none() {
                notices
                    .push(format!("the microphone {name:?} used last time is not there; listening to the default one"));
            }
            Some(format!("mic:{}", found.map_or_else(|| "default".into(), |m| m.id)))
        }
    }
}

/// A model's path from its name in the picker.
fn find_model(models_dir: &std::path::Path, home: &std::path::Path, name: &str) -> Option<PathBuf> {
    catalog(models_dir, home).into_iter().find(|(n, _)| n == name).map(|(_, p)| p)
}

impl Session {
    pub fn open(args: &AppArgs) -> Result<Self, String> {
        let clock = SessionClock::start();
        let mut audio = None;
        let mut notices = Vec::new();
        let home = args
            .home
            .clone()
            .unwrap_or_else(|| std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from).join("Augur"));
        let (settings, bad_settings) = Settings::load(&home);
        notices.extend(bad_settings);
        let bundled_dir = args.models.clone().unwrap_or_else(augur_model::bundled_models_dir);
        let bundled = args.model.as_ref().map_or_else(|| bundled_dir.join(DEFAULT_MODEL), PathBuf::from);
        let models_dir = match &args.model {
            Some(_) => bundled.parent().map(std::path::Path::to_path_buf).unwrap_or_default(),
            None => bundled_dir,
        };
        // The command line wins; then what the window last used; then the bundled model.
        let remembered = match (&args.model, &settings.model) {
            (None, Some(name)) => {
                let found = find_model(&models_dir, &home, name);
                if found.is_none() {
                    notices.push(format!("the model {name} used last time is gone; using {}", bundled.display()));
                }
                found
            }
            _ => None,
        };
        // A remembered model that no longer loads (damaged, or from another version of Augur)
        // must not keep the window from starting: the bundled one stands in, with a notice.
        let unloadable = |why: &dyn std::fmt::Display| {
            format!(
                "the model {} used last time cannot be loaded ({why}); using {} (pick another in the model menu)",
                settings.model.as_deref().unwrap_or_default(),
                bundled.display()
            )
        };
        let mut model = remembered.clone().unwrap_or_else(|| bundled.clone());
        if remembered.is_some()
            && let Err(e) = augur_model::checkpoint::load_card(&model)
        {
            notices.push(unloadable(&e));
            model = bundled.clone();
        }
        // A remembered camera means "the camera", which falls back to the scene when there is none.
        let source = args.source.clone().or_else(|| {
            let preset = settings.source.as_deref().filter(|p| *p != "camera")?;
            crate::commands::source_preset(preset).map(String::from)
        });
        let have_model = augur_model::checkpoint::load_card(&model);
        let mut mic_id = None;
        let live = match (have_model, &args.model) {
            (Ok(card), _) => {
                let mut cfg = SessionConfig::new(source.as_deref(), model);
                // One named on the command line wins (the session refuses one the model cannot
                // reach); a remembered one is dropped when this model cannot reach it.
                cfg.horizon = args.horizon.or_else(|| {
                    settings.horizon.map(|h| h as usize).filter(|h| (1..=card.config.max_horizon).contains(h))
                });
                // The session listens itself (the model's audio token, the spectrogram panel).
                cfg.mic = augur_capture::heard_sound(args.mic.as_deref(), source.as_deref(), || {
                    remembered_mic(settings.mic.as_deref(), &mut notices)
                });
                cfg.device =
                    DeviceChoice::parse(args.device.as_deref().unwrap_or("auto")).map_err(|e| e.to_string())?;
                mic_id = match cfg.mic.as_deref() {
                    Some(m) if m.starts_with("mic:") => Some(m["mic:".len()..].to_string()),
                    // Not named and not a microphone: the source's own sound.
                    Some(_) if args.mic.is_none() => Some(OWN_SOUND.to_string()),
                    _ => None,
                };
                let s = match augur_engine::Session::start(cfg.clone()) {
                    Ok(s) => s,
                    // Its card read, its weights did not.
                    Err(e) if remembered.is_some() && cfg.model != bundled => {
                        notices.push(unloadable(&e));
                        augur_engine::Session::start(SessionConfig { model: bundled.clone(), horizon: None, ..cfg })
                            .map_err(|e| e.to_string())?
                    }
                    Err(e) => return Err(e.to_string()),
                };
                notices.extend(s.notices.iter().cloned());
                // Remembered knobs that no longer fit (another model) are left at the defaults.
                if let Some(c) = settings.context {
                    let _ = s.set_context(c as usize);
                }
                if let Some(st) = settings.stride {
                    let _ = s.set_stride(st as usize);
                }
                if let Some(name) = &settings.compare {
                    match find_model(&models_dir, &home, name).map(|p| s.set_compare(Some(p))) {
                        Some(Ok(_)) => {}
                        Some(Err(e)) => notices.push(format!("cannot compare with {name} again: {e}")),
                        None => notices.push(format!("the model {name} compared last time is gone")),
                    }
                }
                Live::Model(s)
            }
            (Err(e), Some(_)) => return Err(e.to_string()),
            (Err(_), None) => {
                notices.push(format!("no model at {}: showing the source only (pass --model)", model.display()));
                let mic =
                    augur_capture::heard_sound(args.mic.as_deref(), source.as_deref(), || Some("mic:default".into()));
                audio = mic.and_then(|m| open_audio_or_none(Some(&m), clock)).map(|a| spawn_audio(a.source));
                let chosen = open_video_or_scene(source.as_deref(), clock).map_err(|e| e.to_string())?;
                notices.extend(chosen.notice);
                Live::Source(spawn_video(chosen.source))
            }
        };
        for n in &notices {
            println!("{n}");
        }
        let source_now = Mutex::new(source.clone());
        let source_name = source.unwrap_or_else(|| "default camera".into());
        Ok(Self {
            clock,
            source_name,
            notices,
            live,
            audio,
            end: Mutex::new(None),
            home,
            models_dir,
            training: Mutex::new(None),
            settings: Mutex::new(settings),
            sent: Mutex::new(VecDeque::new()),
            screen_latency: Mutex::new(VecDeque::new()),
            bench: args.bench.map(|seconds| crate::bench::BenchInfo { seconds }),
            demo: args.demo,
            stream: None,
            scope: Mutex::new(None),
            mic: Mutex::new(mic_id),
            source_now,
        })
    }

    /// The video source playing now (`None`: the default camera, or the scene in its place).
    pub fn source_now(&self) -> Option<String> {
        self.source_now.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Switches the live source to `name`. When the picker listens to the source's own sound,
    /// the sound follows: the new source's own, or silence for one without (a microphone the
    /// user picked stays). While a recording runs the sound cannot change (its episode's sound
    /// comes from one device), so it stays too.
    pub fn switch_source(&self, live: &augur_engine::Session, name: &str) -> Result<(), String> {
        live.set_source(name).map_err(|e| e.to_string())?;
        *self.source_now.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(name.to_string());
        if self.mic_id().as_deref() == Some(OWN_SOUND) {
            let own = augur_capture::own_sound(Some(name));
            if let Err(e) = live.set_microphone(own.as_deref()) {
                eprintln!("augur-app: the sound stays as it was: {e}");
            }
        }
        Ok(())
    }

    /// The picker's id of the microphone listened to.
    pub fn mic_id(&self) -> Option<String> {
        self.mic.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Notes which microphone the picker chose.
    pub fn set_mic_id(&self, id: Option<String>) {
        *self.mic.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = id;
    }

    /// Changes what the window remembers and saves it; a failure to save is reported on
    /// stderr and costs only the memory, not the change the user made.
    pub fn remember(&self, change: impl FnOnce(&mut Settings)) {
        let mut s = self.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut s);
        if let Err(e) = s.save(&self.home) {
            eprintln!("augur-app: {e}");
        }
    }

    /// The newest frame not yet sent to the UI.
    pub fn new_frame(&self) -> Option<Frame> {
        let frame = match &self.live {
            Live::Model(s) => s.preview()?,
            Live::Source(v) => v.latest()?,
        };
        // Checked and noted under one lock: two stream requests at once never get the same frame.
        let mut sent = self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sent.back().is_some_and(|(i, _)| *i == frame.index) {
            return None;
        }
        sent.push_back((frame.index, frame.pts));
        while sent.len() > 64 {
            sent.pop_front();
        }
        Some(frame)
    }

    /// The page drew frame `index`: keeps its capture-to-screen latency. Frames the page never
    /// reports (it skipped them) are not counted.
    pub fn drawn(&self, index: u64) -> Option<f32> {
        let pts = {
            let sent = self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            sent.iter().rev().find(|(i, _)| *i == index).map(|(_, pts)| *pts)?
        };
        // Frames from the model's session carry its clock, not the app's.
        let now = match &self.live {
            Live::Model(s) => s.clock().now(),
            Live::Source(_) => self.clock.now(),
        };
        let ms = now.saturating_sub(pts).as_secs_f32() * 1000.0;
        let mut lat = self.screen_latency.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lat.push_back(ms);
        while lat.len() > 20_000 {
            lat.pop_front();
        }
        Some(ms)
    }

    /// p50 and p99 of the newest `n` screen latencies, ms.
    pub fn screen_latency(&self, n: usize) -> Option<(f32, f32)> {
        let lat = self.screen_latency.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut v: Vec<f32> = lat.iter().rev().take(n).copied().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f32::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.99)))
    }

    /// What the source negotiated.
    pub fn source_info(&self) -> Option<SourceInfo> {
        match &self.live {
            Live::Model(s) => s.source_info(),
            Live::Source(v) => Some(v.info().clone()),
        }
    }

    /// How the source ended or why it is failing: `None` while it runs.
    pub fn end_message(&self) -> Option<String> {
        match &self.live {
            Live::Model(s) => match s.status() {
                augur_engine::SourceStatus::Retrying { error, attempts } => {
                    Some(format!("{error} (reopening, attempt {attempts})"))
                }
                augur_engine::SourceStatus::Ended => Some("the source reached its end".into()),
                _ => s.model_error(),
            },
            Live::Source(v) => {
                let mut end = self.end.lock().unwrap_or_else(|p| p.into_inner());
                if end.is_none() {
                    *end = v.take_end().map(|e| match e {
                        StreamEnd::Finished => "the source reached its end".to_string(),
                        StreamEnd::Stopped => "the source was stopped".to_string(),
                        StreamEnd::Failed(err) => err.to_string(),
                    });
                }
                end.clone()
            }
        }
    }
}
