//! The source picker: presets, this machine's cameras, and a video file picked in a native
//! dialog. The webview names a source only by a preset's id or a listed camera's id, never by a
//! source name: a `file:` name or a lavfi graph (`movie=`, `textfile=`) would let it read files,
//! and a camera driver (`x11grab`) grab the screen. A file's path comes from the dialog, which
//! the user answers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use super::{CommandError, answered, bad};
use crate::state::{Live, Session};

/// Sources the window may switch to, by id.
const SOURCE_PRESETS: [(&str, &str); 6] = [
    ("camera", "camera:0"),
    ("scene", "scene:bounce?size=640x480"),
    ("scene-sound", "scene:bounce?size=640x480&sound=1"),
    ("scene-vanish", "scene:bounce?size=640x480&violation=vanish&at=90"),
    ("scene-teleport", "scene:bounce?size=640x480&violation=teleport&at=90"),
    ("test-pattern", "lavfi:testsrc=size=640x480:rate=30"),
];

/// What the file dialog offers first; "any file" is offered too, FFmpeg reads more.
/// GTK matches them as written, so a camera's `VID_0001.MP4` needs the capitals too.
const VIDEO_EXTENSIONS: [&str; 20] = [
    "mp4", "mkv", "mov", "avi", "webm", "m4v", "mpg", "mpeg", "ogv", "flv", "MP4", "MKV", "MOV", "AVI", "WEBM", "M4V",
    "MPG", "MPEG", "OGV", "FLV",
];

/// Whether a file dialog is up: one at a time, since each holds a worker of the async runtime
/// that every slow command shares.
static CHOOSING: AtomicBool = AtomicBool::new(false);

/// Lets the next dialog open once this one is answered, however the command ends.
struct DialogUp;

impl Drop for DialogUp {
    fn drop(&mut self) {
        CHOOSING.store(false, Ordering::SeqCst);
    }
}

/// The source a preset id stands for.
pub(crate) fn source_preset(id: &str) -> Option<&'static str> {
    SOURCE_PRESETS.iter().find(|(i, _)| *i == id).map(|(_, spec)| *spec)
}

/// The id the picker knows a camera by, the source name that opens it.
fn camera_id(camera: &augur_capture::CameraInfo) -> String {
    format!("camera:{}", camera.index)
}

/// A camera the picker offers.
#[derive(Serialize)]
pub struct CameraRow {
    /// What to pass to [`set_source`]: `camera:<index>`.
    id: String,
    /// What the device calls itself.
    name: String,
}

/// This machine's cameras, read again each time the picker is reached (cameras come and go).
#[tauri::command(async)]
pub fn cameras() -> Result<Vec<CameraRow>, CommandError> {
    answered(|| {
        let rows =
            augur_capture::list_cameras().into_iter().map(|c| CameraRow { id: camera_id(&c), name: c.name }).collect();
        Ok(rows)
    })
}

/// Switches the live source to a preset (see [`SOURCE_PRESETS`]) or to a camera [`cameras`]
/// lists (`camera:<index>`) without restarting; the timeline is kept.
#[tauri::command]
pub fn set_source(session: State<'_, Session>, preset: String) -> Result<(), CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    if let Some(spec) = source_preset(&preset) {
        session.switch_source(s, spec).map_err(bad)?;
        session.remember(|set| set.source = Some(preset));
        return Ok(());
    }
    let listed = augur_capture::list_cameras().iter().any(|c| camera_id(c) == preset);
    if !listed {
        let ids: Vec<&str> = SOURCE_PRESETS.iter().map(|(id, _)| *id).collect();
        return Err(bad(format!(
            "unknown source {preset:?}: one of {}, or a camera this machine lists (`augur devices`)",
            ids.join(", ")
        )));
    }
    session.switch_source(s, &preset).map_err(bad)?;
    // The next run starts on the default camera: indices change as cameras come and go.
    session.remember(|set| set.source = None);
    Ok(())
}

/// Asks the user for a video file in a native dialog and plays it, looping, as the live
/// source; answers what it plays, or `None` when the dialog was cancelled.
#[tauri::command(async)]
pub fn open_video_file<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Session>,
) -> Result<Option<String>, CommandError> {
    // Said before the user picks a file for nothing.
    if !matches!(session.live, Live::Model(_)) {
        return Err(bad("no model is loaded, so the window plays the source it started with"));
    }
    if CHOOSING.swap(true, Ordering::SeqCst) {
        return Err(bad("a file dialog is already open: answer or close it first"));
    }
    let _up = DialogUp;
    answered(|| {
        let picked = app
            .dialog()
            .file()
            .set_title("Play a video as the live source")
            .add_filter("Videos", &VIDEO_EXTENSIONS)
            .add_filter("Any file", &["*"])
            .blocking_pick_file();
        let Some(picked) = picked else { return Ok(None) };
        let path = picked.into_path().map_err(|e| bad(format!("the dialog gave no file path ({e})")))?;
        play_file(&session, &path).map(Some)
    })
}

/// Plays the video at `path`, looping, as the live source. It is opened here first, so a file
/// that is not a video is refused at once with FFmpeg's reason, instead of being retried in the
/// background.
pub(crate) fn play_file(session: &Session, path: &Path) -> Result<String, CommandError> {
    let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
    let Some(text) = path.to_str() else {
        return Err(bad(format!(
            "{} is not a UTF-8 path; rename it or play it with `augur run --source`",
            path.display()
        )));
    };
    let name = format!("file:{}?loop=1", augur_capture::escape_path(text));
    let spec = augur_capture::SourceSpec::video(&name).map_err(|e| bad(e.to_string()))?;
    let opened =
        augur_capture::open_video(&spec, augur_capture::SessionClock::start()).map_err(|e| bad(e.to_string()))?;
    let description = opened.info().description.clone();
    drop(opened);
    session.switch_source(s, &name).map_err(bad)?;
    // Not remembered: the next run starts where the settings say, not on a file that may move.
    Ok(description)
}
