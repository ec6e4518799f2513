//! Commands the web UI may call. Each one reads or steers the session and answers; none takes
//! a path or anything else that could reach outside the session, and every argument is checked.

use serde::Serialize;
use tauri::State;
use tauri::ipc::Response;

use crate::state::{Live, Session};

mod bench;
mod datasets;
mod microphone;
mod models;
mod scope;
mod sources;
pub use bench::*;
pub use datasets::*;
pub use microphone::*;
pub use models::*;
pub use scope::*;
pub use sources::*;

/// Errors sent to the web UI: a message a person can read, and a stable code for the UI.
#[derive(Debug, Serialize)]
pub struct CommandError {
    code: &'static str,
    message: String,
}

impl CommandError {
    fn new(code: &'static str, message: impl std::fmt::Display) -> Self {
        Self { code, message: message.to_string() }
    }

    /// What went wrong, for a person.
    pub(crate) fn message(&self) -> String {
        self.message.clone()
    }
}

/// Runs a command's body so that it always answers the page: Tauri drops a command that panics
/// without a reply, and the page would wait for ever (Export disabled for good, a dataset's
/// curves "computing…" behind it).
pub(crate) fn answered<T>(body: impl FnOnce() -> Result<T, CommandError>) -> Result<T, CommandError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).map_err(|panic| internal(&*panic))?
}

/// The error a command that panicked answers with.
pub(crate) fn internal(panic: &(dyn std::any::Any + Send)) -> CommandError {
    let why = augur_engine::panic_text(panic);
    CommandError::new("internal", format!("it stopped on an internal error ({why}); please report it"))
}

fn bad(message: impl Into<String>) -> CommandError {
    CommandError { code: "bad_argument", message: message.into() }
}

/// Names of datasets and models: a folder name the webview may choose, never a path.
fn check_name(name: &str, what: &str) -> Result<(), CommandError> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(bad(format!("{what} is 1 to 64 letters, digits, - or _, got {name:?}"))) }
}

#[derive(Serialize)]
pub struct AppInfo {
    name: &'static str,
    version: &'static str,
    source: String,
    notices: Vec<String>,
    video: Option<augur_capture::SourceInfo>,
    audio: Option<augur_capture::AudioInfo>,
    /// What the model's session listens to.
    sound: Option<String>,
    model: Option<String>,
    /// The model compared with it (A/B), if any.
    compare: Option<String>,
    /// What the window remembered from the last run.
    settings: crate::settings::Settings,
    /// Whether to open in demo mode: `--demo`, or remembered.
    demo: bool,
    /// The window benchmark to run (`--bench`), if any.
    bench: Option<crate::bench::BenchInfo>,
    /// The loopback frame stream (frames and strips), when the window opened one.
    stream: Option<crate::stream::StreamInfo>,
}

/// Name, version and what the session opened.
#[tauri::command]
pub fn app_info(session: State<'_, Session>) -> AppInfo {
    let settings = session.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    AppInfo {
        name: "Augur",
        version: env!("CARGO_PKG_VERSION"),
        source: session.source_name.clone(),
        notices: session.notices.clone(),
        video: session.source_info(),
        audio: session.audio.as_ref().map(|a| a.info().clone()),
        sound: match &session.live {
            Live::Model(s) => s.sound().map(|v| v.description),
            Live::Source(_) => None,
        },
        model: match &session.live {
            Live::Model(s) => Some(s.model_name()),
            Live::Source(_) => None,
        },
        compare: match &session.live {
            Live::Model(s) => compared(&session, s),
            Live::Source(_) => None,
        },
        demo: session.demo || settings.demo,
        settings,
        bench: session.bench.clone(),
        stream: session.stream.clone(),
    }
}

/// The 16-byte header of every image sent to the page (width, height as u32 LE, index as u64
/// LE), in a buffer with room for `pixels` more bytes.
pub(crate) fn image_header(width: u32, height: u32, index: u64, pixels: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pixels);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&index.to_le_bytes());
    out
}

/// Packed RGB as an image for the page: the header, then RGBA pixels.
pub(crate) fn rgba_image(width: u32, height: u32, index: u64, rgb: &[u8]) -> Vec<u8> {
    let mut out = image_header(width, height, index, rgb.len() / 3 * 4);
    for px in rgb.chunks_exact(3) {
        out.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    out
}

/// The newest frame as raw bytes: a 16-byte header then RGBA pixels, ready for `ImageData`.
/// Empty when no new frame arrived. Binary IPC avoids JSON/base64 encoding of the pixels.
/// With `fit` (the canvas's size on screen, in device pixels), a frame at least twice as large
/// is shrunk by a whole factor first: moving the bytes to the page is the preview's slowest
/// step (bench/results/window.md), and an HD camera shown at half size needs a quarter of them.
#[tauri::command]
pub fn latest_frame(session: State<'_, Session>, fit: Option<[u32; 2]>) -> Result<Response, CommandError> {
    frame_bytes(&session, fit).map(Response::new)
}

/// Largest canvas side the page may ask frames to fit.
pub(crate) const MAX_FIT: u32 = 16_384;

/// [`latest_frame`]'s bytes, for the command and the frame stream.
pub(crate) fn frame_bytes(session: &Session, fit: Option<[u32; 2]>) -> Result<Vec<u8>, CommandError> {
    if let Some([w, h]) = fit
        && !((1..=MAX_FIT).contains(&w) && (1..=MAX_FIT).contains(&h))
    {
        return Err(bad(format!("latest_frame: fit must be 1 to {MAX_FIT} pixels a side, got {w}×{h}")));
    }
    let Some(f) = session.new_frame() else { return Ok(Vec::new()) };
    let factor = fit.map_or(1, |[w, h]| (f.width / w).min(f.height / h).max(1));
    if factor == 1 {
        return Ok(rgba_image(f.width, f.height, f.index, &f.rgb));
    }
    let (w, h, rgb) = shrink(&f.rgb, f.width, f.height, factor);
    Ok(rgba_image(w, h, f.index, &rgb))
}

/// Averages `factor × factor` blocks of packed RGB (edge pixels that do not fill a block are
/// dropped).
fn shrink(rgb: &[u8], width: u32, height: u32, factor: u32) -> (u32, u32, Vec<u8>) {
    let (w, h, f, stride) = (width / factor, height / factor, factor as usize, width as usize * 3);
    let area = (f * f) as u32;
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h as usize {
        for x in 0..w as usize {
            let mut sum = [0u32; 3];
            for row in rgb.chunks_exact(stride).skip(y * f).take(f) {
                for px in row[x * f * 3..(x + 1) * f * 3].chunks_exact(3) {
                    for (s, v) in sum.iter_mut().zip(px) {
                        *s += u32::from(*v);
                    }
                }
            }
            out.extend(sum.map(|s| (s / area) as u8));
        }
    }
    (w, h, out)
}

/// The newest prediction as one image strip (same header): what the model saw, its error
/// heatmap, then the predicted frames t+1…t+H, each `size × size`. Empty without a model.
/// With `index`, the strip of that past moment (scrubbing), empty when it is gone. With
/// `shown` (the moment the page already shows), empty while the newest is still that one: the
/// page asks at every screen refresh, and predictions come some ten times a second.
#[tauri::command]
pub fn prediction(session: State<'_, Session>, index: Option<u64>, shown: Option<u64>) -> Response {
    Response::new(prediction_bytes(&session, index, shown))
}

/// [`prediction`]'s bytes, for the command and the frame stream.
pub(crate) fn prediction_bytes(session: &Session, index: Option<u64>, shown: Option<u64>) -> Vec<u8> {
    let Live::Model(s) = &session.live else { return Vec::new() };
    // Unequal, not newer: moments count again from 0 when the model starts over.
    if index.is_none() && shown.is_some() && s.span().map(|(_, newest)| newest) == shown {
        return Vec::new();
    }
    let found = match index {
        Some(i) => s.moment(i),
        None => s.latest(),
    };
    let Some(m) = found else { return Vec::new() };
    let size = s.size();
    let tiles: Vec<&[u8]> =
        [&m.input[..], &m.heatmap[..]].into_iter().chain(m.predicted.chunks(size * size * 3)).collect();
    strip(&tiles, size, m.index)
}

/// The second model's strip (A/B compare) for the same moment as [`prediction`]: the frame at
/// its size, its error heatmap, its predicted frames. Empty when no comparison ran then.
#[tauri::command]
pub fn compare_prediction(session: State<'_, Session>, index: Option<u64>) -> Response {
    Response::new(compare_bytes(&session, index))
}

/// [`compare_prediction`]'s bytes, for the command and the frame stream.
pub(crate) fn compare_bytes(session: &Session, index: Option<u64>) -> Vec<u8> {
    let Live::Model(s) = &session.live else { return Vec::new() };
    let found = match index {
        Some(i) => s.moment(i),
        None => s.latest(),
    };
    let Some((m, b)) = found.and_then(|m| m.compare.clone().map(|b| (m, b))) else { return Vec::new() };
    let tiles: Vec<&[u8]> =
        [&b.input[..], &b.heatmap[..]].into_iter().chain(b.predicted.chunks(b.size * b.size * 3)).collect();
    strip(&tiles, b.size, m.index)
}

/// What actually came after moment `index`, lined up under its prediction strip: two blank
/// tiles (under what the model saw and its error), then the source frames that arrived after it
/// at t+1…t+H (blank where one has not arrived yet).
#[tauri::command]
pub fn arrived(session: State<'_, Session>, index: u64) -> Result<Response, CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    let m = s.moment(index).ok_or_else(|| bad(format!("moment {index} is not in the timeline any more")))?;
    let size = s.size();
    let plane = size * size * 3;
    let horizon = m.predicted.len() / plane;
    let frames = s.arrived_after(index, horizon).map_err(|e| bad(e.to_string()))?;
    let blank = vec![0u8; plane];
    let tiles: Vec<&[u8]> = [&blank[..], &blank[..]]
        .into_iter()
        .chain((0..horizon).map(|k| frames.get(k).map_or(&blank[..], |f| &f[..])))
        .collect();
    Ok(Response::new(strip(&tiles, size, index)))
}

/// `size × size` RGB tiles side by side, as a header + RGBA image.
fn strip(tiles: &[&[u8]], size: usize, index: u64) -> Vec<u8> {
    let rgb = augur_model::canvas::side_by_side(tiles, size, size);
    rgba_image((tiles.len() * size) as u32, size as u32, index, &rgb)
}

/// Rolls out again from past moment `at` with another horizon and context; the strip shows
/// what the model saw at `at`, a blank tile, then the new predictions.
#[tauri::command(async)]
pub fn what_if(session: State<'_, Session>, at: u64, horizon: u32, context: u32) -> Result<Response, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        // The horizon is the model's to bound (its max_horizon), checked by the engine.
        if !(1..=64).contains(&context) {
            return Err(bad(format!("what_if: the context must be 1 to 64, got {context}")));
        }
        let req = augur_engine::WhatIf { at, horizon: horizon as usize, context: context as usize, actions: None };
        let r = s.what_if(req).map_err(|e| bad(e.to_string()))?;
        let m = s.moment(at).ok_or_else(|| bad(format!("moment {at} is no longer on the timeline")))?;
        let blank = vec![0u8; r.size * r.size * 3];
        let tiles: Vec<&[u8]> =
            [&m.input[..], &blank[..]].into_iter().chain(r.frames.chunks(r.size * r.size * 3)).collect();
        Ok(Response::new(strip(&tiles, r.size, at)))
    })
}

/// What the model imagines at moment `at` (the newest when null) moved by `pc1`, `pc2` along
/// the latent trajectory's first two principal components: one `size × size` image.
#[tauri::command(async)]
pub fn steer(session: State<'_, Session>, at: Option<u64>, pc1: f32, pc2: f32) -> Result<Response, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        if !(pc1.is_finite() && pc2.is_finite() && pc1.abs() <= 20.0 && pc2.abs() <= 20.0) {
            return Err(bad(format!("steer: pc1 and pc2 must be within ±20, got {pc1} and {pc2}")));
        }
        let at = match at {
            Some(i) => i,
            None => s.span().map(|(_, last)| last).ok_or_else(|| bad("nothing on the timeline yet"))?,
        };
        let rgb = s.steer(at, vec![pc1, pc2]).map_err(|e| bad(e.to_string()))?;
        let size = s.size();
        Ok(Response::new(rgba_image(size as u32, size as u32, at, &rgb)))
    })
}

#[derive(Serialize)]
pub struct Exported {
    dir: String,
    moments: usize,
    /// The files written, by name.
    files: Vec<String>,
    /// What could not be written and why (the rest was).
    notes: Vec<String>,
}

/// How far the dashboard video of an export has got (event `export-progress`).
#[derive(Clone, Serialize)]
struct ExportProgress {
    done: usize,
    total: usize,
}

/// Exports the last `seconds` of the timeline (side-by-side MP4, PNG snapshot, metrics CSV, the
/// scope's dashboard as PNG and MP4) into a new folder under ~/Augur/exports (or `--home`) that
/// the app picks; the webview names no paths. Emits `export-progress` as the dashboard video
/// is drawn.
#[tauri::command(async)]
pub fn export_recent<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    session: State<'_, Session>,
    seconds: f64,
) -> Result<Exported, CommandError> {
    answered(|| {
        use tauri::Emitter as _;
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        if !(seconds.is_finite() && (1.0..=600.0).contains(&seconds)) {
            return Err(bad(format!("export_recent: seconds must be 1 to 600, got {seconds}")));
        }
        let (first, last) = s.span().ok_or_else(|| bad("nothing on the timeline yet"))?;
        let end = s.moment(last).map(|m| m.pts).unwrap_or_default();
        let from =
            (first..=last).find(|&i| s.moment(i).is_some_and(|m| end.saturating_sub(m.pts).as_secs_f64() <= seconds));
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let dir = session.home.join("exports").join(format!("augur-{stamp}"));
        let mut progress = |done, total| {
            let _ = app.emit("export-progress", ExportProgress { done, total });
        };
        let out = s
            .export(from.unwrap_or(first), last, &dir, &mut progress)
            .map_err(|e| CommandError { code: "export", message: e.to_string() })?;
        let name = |p: &std::path::PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Exported {
            dir: out.dir.display().to_string(),
            moments: out.moments,
            files: out.files.iter().map(name).collect(),
            notes: out.notes,
        })
    })
}

/// The oldest and newest moment on the timeline, for the scrub bar.
#[tauri::command]
pub fn timeline_span(session: State<'_, Session>) -> Option<(u64, u64)> {
    match &session.live {
        Live::Model(s) => s.span(),
        Live::Source(_) => None,
    }
}

#[derive(Serialize)]
pub struct SourceStatus {
    frames: u64,
    skipped: u64,
    audio_dropped: u64,
    ended: Option<String>,
    session_seconds: f64,
    /// Capture-to-screen latency of the last 90 frames the page drew, ms.
    screen_latency_p50_ms: Option<f32>,
}

/// Counters for the status bar, and why the source stopped if it did.
#[tauri::command]
pub fn source_status(session: State<'_, Session>) -> SourceStatus {
    let (frames, skipped) = match &session.live {
        Live::Model(s) => {
            let st = s.stats();
            (st.frames, st.source_dropped)
        }
        Live::Source(v) => (v.stats().produced, v.stats().skipped),
    };
    SourceStatus {
        frames,
        skipped,
        audio_dropped: session.audio.as_ref().map_or(0, |a| a.dropped()),
        ended: session.end_message(),
        session_seconds: session.clock.now().as_secs_f64(),
        screen_latency_p50_ms: session.screen_latency(90).map(|(p50, _)| p50),
    }
}

#[derive(Serialize)]
pub struct ModelState {
    paused: bool,
    horizon: usize,
    /// Context frames of live rollouts, and the model's own context.
    context: usize,
    model_context: usize,
    /// Source frames between the frames the model takes, at least.
    stride: usize,
    stats: augur_engine::Stats,
    /// The surprise of the last 300 moments (null before the first prediction).
    surprise: Vec<Option<f32>>,
    /// The newest moment's index.
    index: Option<u64>,
    /// The second model of an A/B compare, if one runs.
    compare: Option<String>,
    /// Its surprise over the same moments (null where it did not run).
    compare_surprise: Vec<Option<f32>>,
    /// The last 300 trajectory points on the first two principal components.
    trail: Vec<[f32; 2]>,
    /// The predicted branch from the newest moment.
    branch: Vec<[f32; 2]>,
    /// For a model that fades: the share of its predicted change each step of the newest
    /// moment kept, t+1 first (null for a model that draws its guesses as they are).
    kept: Option<Vec<f32>>,
    /// Why the microphone is not heard now (it failed and is being opened again), if so.
    sound_lost: Option<String>,
}

/// What the model panels show: rates, the surprise trace, the latent trajectory.
#[tauri::command(async)]
pub fn model_state(session: State<'_, Session>) -> Result<ModelState, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else {
            return Err(CommandError { code: "no_model", message: "no model is loaded".into() });
        };
        let trace = s.compare_trace();
        let from = trace.len().saturating_sub(300);
        let finite = |v: f32| v.is_finite().then_some(v);
        let traj = s.trajectory(2).map_err(|e| CommandError { code: "engine", message: e.to_string() })?;
        let xy = |p: &Vec<f32>| [p.first().copied().unwrap_or(0.0), p.get(1).copied().unwrap_or(0.0)];
        let tail = traj.trail.len().saturating_sub(300);
        Ok(ModelState {
            paused: s.is_paused(),
            horizon: s.horizon(),
            context: s.context().0,
            model_context: s.context().1,
            stride: s.stride(),
            stats: s.stats(),
            surprise: trace[from..].iter().map(|t| finite(t.1)).collect(),
            index: trace.last().map(|t| t.0),
            compare: compared(&session, s),
            compare_surprise: trace[from..].iter().map(|t| finite(t.2)).collect(),
            trail: traj.trail[tail..].iter().map(xy).collect(),
            branch: traj.branch.iter().map(xy).collect(),
            kept: s.latest().and_then(|m| m.kept).map(|k| k.to_vec()),
            sound_lost: s.sound().and_then(|v| v.lost),
        })
    })
}

/// Pauses or resumes predictions (the live preview keeps running).
#[tauri::command]
pub fn set_paused(session: State<'_, Session>, paused: bool) -> Result<(), CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    if paused {
        s.pause()
    } else {
        s.resume()
    }
    Ok(())
}

/// Sets the rollout horizon (1 to 32 frames).
#[tauri::command]
pub fn set_horizon(session: State<'_, Session>, horizon: u32) -> Result<(), CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    s.set_horizon(horizon as usize).map_err(|e| bad(e.to_string()))?;
    session.remember(|set| set.horizon = Some(horizon));
    Ok(())
}

/// Live rollouts start from the newest `context` frames (1 to the model's context).
#[tauri::command]
pub fn set_context(session: State<'_, Session>, context: u32) -> Result<(), CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    if !(1..=64).contains(&context) {
        return Err(bad(format!("the context must be 1 to 64 frames, got {context}")));
    }
    s.set_context(context as usize).map_err(|e| bad(e.to_string()))?;
    session.remember(|set| set.context = Some(context));
    Ok(())
}

/// The model takes at most every `stride`-th source frame (1 to 8).
#[tauri::command]
pub fn set_stride(session: State<'_, Session>, stride: u32) -> Result<(), CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    s.set_stride(stride as usize).map_err(|e| bad(e.to_string()))?;
    session.remember(|set| set.stride = Some(stride));
    Ok(())
}

/// Demo mode on or off, remembered for the next run (unless `remember` is false: `--demo`
/// asked for it this run only), with the window full screen while it is on. The window, not the page, goes full screen: the webview grants that only to a key press
/// or click (a demo mode remembered from the last run has had neither), and Esc would leave it
/// behind the page's back.
#[tauri::command]
pub fn set_demo<R: tauri::Runtime>(
    window: tauri::WebviewWindow<R>,
    session: State<'_, Session>,
    on: bool,
    remember: Option<bool>,
) -> Result<(), CommandError> {
    if remember != Some(false) {
        session.remember(|set| set.demo = on);
    }
    window.set_fullscreen(on).map_err(|e| CommandError::new("window", format!("cannot change full screen: {e}")))
}

/// The UI reports what it drew; when `AUGUR_SMOKE` is set (the end-to-end test) the app prints
/// the report and exits, proving window, webview, IPC, frame path and predictions work together.
#[tauri::command]
pub fn smoke_report<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    frames_drawn: u32,
    distinct_colours: u32,
    predictions_drawn: Option<u32>,
) -> Result<(), CommandError> {
    if frames_drawn > 100_000 || distinct_colours > 1 << 24 || predictions_drawn.is_some_and(|p| p > 100_000) {
        return Err(bad("smoke_report: counts out of range"));
    }
    if std::env::var_os("AUGUR_SMOKE").is_some() {
        println!(
            "AUGUR_SMOKE_OK frames_drawn={frames_drawn} predictions_drawn={} distinct_colours={distinct_colours}",
            predictions_drawn.unwrap_or(0)
        );
        app.exit(0);
    }
    Ok(())
}

/// The model compared with the one in use, by its name in the picker (a fine-tune's path ends
/// in `NAME/model`, so its file name would say only "model").
fn compared(session: &Session, s: &augur_engine::Session) -> Option<String> {
    let path = s.compare_name()?;
    let found = crate::state::catalog(&session.models_dir, &session.home)
        .into_iter()
        .find(|(_, p)| p.display().to_string() == path);
    Some(found.map_or(path, |(name, _)| name))
}

#[cfg(test)]
mod tests {
    /// A command whose body panics still answers, with an error the page shows.
    #[test]
    fn a_panicking_command_still_answers() {
        let answer = super::answered::<()>(|| panic!("index out of bounds"));
        let message = answer.err().map(|e| e.message()).unwrap_or_default();
        assert!(message.contains("internal error (index out of bounds)"), "{message}");
    }

    #[test]
    fn shrink_averages_whole_blocks() {
        // 4×2 pixels: the left 2×2 block is black and white, the right one all 90.
        let px = |v: u8| [v, v, v];
        let rgb: Vec<u8> = [px(0), px(255), px(90), px(90), px(255), px(0), px(90), px(90)].concat();
        let (w, h, out) = super::shrink(&rgb, 4, 2, 2);
        assert_eq!((w, h), (2, 1));
        assert_eq!(out, vec![127, 127, 127, 90, 90, 90]);
    }
}
