//! Commands the web UI may call. Each one reads the session and answers; none takes a path
//! or anything else that could reach outside the session.

use serde::Serialize;
use tauri::State;
use tauri::ipc::Response;

use crate::state::Session;

/// Errors sent to the web UI: a message a person can read, and a stable code for the UI.
#[derive(Debug, Serialize)]
pub struct CommandError {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
pub struct AppInfo {
    name: &'static str,
    version: &'static str,
    source: String,
    notice: Option<String>,
    video: augur_capture::SourceInfo,
    audio: Option<augur_capture::AudioInfo>,
}

/// Name, version and what the session opened.
#[tauri::command]
pub fn app_info(session: State<'_, Session>) -> AppInfo {
    AppInfo {
        name: "Augur",
        version: env!("CARGO_PKG_VERSION"),
        source: session.source_name.clone(),
        notice: session.notice.clone(),
        video: session.video.info().clone(),
        audio: session.audio.as_ref().map(|a| a.info().clone()),
    }
}

/// The newest frame as raw bytes: a 16-byte header (width, height as u32 LE, frame index as
/// u64 LE) then RGBA pixels, ready for `ImageData`. Empty when no new frame arrived. Binary
/// IPC avoids JSON/base64 encoding of the pixels.
#[tauri::command]
pub fn latest_frame(session: State<'_, Session>) -> Response {
    let Some(frame) = session.video.latest() else { return Response::new(Vec::new()) };
    let mut out = Vec::with_capacity(16 + frame.rgb.len() / 3 * 4);
    out.extend_from_slice(&frame.width.to_le_bytes());
    out.extend_from_slice(&frame.height.to_le_bytes());
    out.extend_from_slice(&frame.index.to_le_bytes());
    for px in frame.rgb.chunks_exact(3) {
        out.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    Response::new(out)
}

#[derive(Serialize)]
pub struct SourceStatus {
    frames_produced: u64,
    frames_shown: u64,
    frames_skipped: u64,
    audio_dropped: u64,
    ended: Option<String>,
    session_seconds: f64,
}

/// Counters for the status bar, and why the source stopped if it did.
#[tauri::command]
pub fn source_status(session: State<'_, Session>) -> SourceStatus {
    let stats = session.video.stats();
    SourceStatus {
        frames_produced: stats.produced,
        frames_shown: stats.delivered,
        frames_skipped: stats.skipped,
        audio_dropped: session.audio.as_ref().map_or(0, |a| a.dropped()),
        ended: session.end_message(),
        session_seconds: session.clock.now().as_secs_f64(),
    }
}

/// The UI reports what it drew; when `AUGUR_SMOKE` is set (the end-to-end test) the app prints
/// the report and exits, proving window, webview, IPC and frame path work together.
#[tauri::command]
pub fn smoke_report(app: tauri::AppHandle, frames_drawn: u32, distinct_colours: u32) -> Result<(), CommandError> {
    if frames_drawn > 100_000 || distinct_colours > 1 << 24 {
        return Err(CommandError { code: "bad_argument", message: "smoke_report: counts out of range".into() });
    }
    if std::env::var_os("AUGUR_SMOKE").is_some() {
        println!("AUGUR_SMOKE_OK frames_drawn={frames_drawn} distinct_colours={distinct_colours}");
        app.exit(0);
    }
    Ok(())
}
