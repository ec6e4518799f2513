//! Commands for measuring the window: the page reports each frame it draws (the status line
//! shows camera-to-screen latency from it), and with `--bench` it fetches test images over both
//! transports and hands its figures back for the app to print.

use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Response;

use super::{CommandError, bad};
use crate::state::Session;

/// The page drew frame `index` (from `latest_frame`).
#[tauri::command]
pub fn frame_drawn(session: State<'_, Session>, index: u64) {
    session.drawn(index);
}

/// A test image of `width × height` in the frame format, by IPC (benchmark mode only).
#[tauri::command]
pub fn bench_payload(session: State<'_, Session>, width: u32, height: u32) -> Result<Response, CommandError> {
    if session.bench.is_none() {
        return Err(bad("bench_payload: the app was not started with --bench"));
    }
    let max = crate::bench::MAX_SIDE;
    if !(1..=max).contains(&width) || !(1..=max).contains(&height) {
        return Err(bad(format!("bench_payload: width and height must be 1 to {max}, got {width}×{height}")));
    }
    Ok(Response::new(crate::bench::payload(width, height)))
}

/// One transport's timings for one image size, as the page measured them.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TransportTiming {
    width: u32,
    height: u32,
    /// "ipc" or "loopback".
    transport: String,
    /// Milliseconds from request to the bytes in hand: median and 99th percentile.
    p50_ms: f64,
    p99_ms: f64,
    /// Requests timed.
    count: u32,
}

/// What the page measured in benchmark mode.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PageReport {
    /// Seconds the page drew live frames.
    seconds: f64,
    frames_drawn: u32,
    predictions_drawn: u32,
    transports: Vec<TransportTiming>,
}

/// The page's figures plus the app's (screen latency, memory, CPU): printed as one JSON line
/// `AUGUR_BENCH {...}` for `augur bench window`, then the app exits.
#[tauri::command]
pub fn bench_report<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    session: State<'_, Session>,
    report: PageReport,
) -> Result<(), CommandError> {
    if session.bench.is_none() {
        return Err(bad("bench_report: the app was not started with --bench"));
    }
    let sane = |v: f64| v.is_finite() && v >= 0.0;
    if !sane(report.seconds) || report.transports.iter().any(|t| !sane(t.p50_ms) || !sane(t.p99_ms)) {
        return Err(bad("bench_report: timings must be finite and not negative"));
    }
    let (p50, p99) = session.screen_latency(usize::MAX).unwrap_or((f32::NAN, f32::NAN));
    let frames_measured = session.screen_latency.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len();
    let session_seconds = session.clock.now().as_secs_f64();
    let out = serde_json::json!({
        "page": report,
        "screen_latency_p50_ms": p50,
        "screen_latency_p99_ms": p99,
        "frames_timed": frames_measured,
        "rss_mb": crate::bench::rss_mb(),
        "cpu_seconds": crate::bench::cpu_seconds(),
        "session_seconds": session_seconds,
    });
    println!("AUGUR_BENCH {out}");
    app.exit(0);
    Ok(())
}
