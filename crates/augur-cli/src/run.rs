//! `augur run`: the main job. Picks the default camera (or the built-in scene when there is
//! none), the default microphone if there is one, and opens the app window when there is a
//! display; without one it says so and runs headless, printing live figures.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use augur_capture::{
    SessionClock, StreamEnd, audio_level, heard_sound, open_audio_or_none, open_video_or_scene, spawn_audio,
    spawn_video,
};

use crate::measure::percentile_ms;

/// Options for `augur run`.
#[derive(clap::Args)]
pub struct Args {
    /// Video source; default: the first camera, or the built-in scene when there is none.
    #[arg(long)]
    source: Option<String>,
    /// Microphone, audio file or a scene's own sound (`scene:bounce?sound=1`); `none` for no
    /// sound. Default: the source's own sound (a file's or recorded episode's track, a scene
    /// with `sound=1`), else the default microphone if there is one.
    #[arg(long)]
    mic: Option<String>,
    /// Run without a window even when a display is available.
    #[arg(long)]
    headless: bool,
    /// Open the window in demo mode: full screen, large panels, no debug figures (for showing
    /// it; `d` leaves it). For this run only: the window remembers the mode only when toggled.
    #[arg(long)]
    demo: bool,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    seconds: Option<f64>,
    /// The world model (headless: predictions, surprise and the latent trajectory once a second).
    /// Default: the bundled default model (models/bounce-64-reach); the window opens the one it used last time.
    #[arg(long)]
    model: Option<PathBuf>,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Frames the live view predicts ahead (default: the model's; 4 on the CPU, to stay above
    /// 10 Hz; the window remembers the one chosen in its horizon menu).
    #[arg(long)]
    horizon: Option<usize>,
}

pub fn run(args: &Args) -> Result<()> {
    if let Some(s) = args.seconds
        && !(s.is_finite() && s > 0.0 && s <= 1e7)
    {
        anyhow::bail!("--seconds must be a number of seconds above 0 (at most 1e7), got {s}");
    }
    if !args.headless {
        match display_problem() {
            // The app makes the same default choice (camera, else the scene) and says so, in
            // its output and in the window, so only what the user named is passed on.
            None => return launch_app(args),
            Some(why) => println!("{why}; running headless (figures below, once a second)."),
        }
    }
    if args.demo {
        println!("Demo mode is the window's; headless, the figures are printed as usual.");
    }
    match augur_model::checkpoint::load_card(&model_path(args)) {
        Ok(_) => return headless_model(args),
        // A model named on the command line that cannot be loaded is an error, with its reason.
        Err(e) if args.model.is_some() => return Err(e.into()),
        Err(e) => println!("The bundled model cannot be loaded ({e}); showing the source only (pass --model)."),
    }
    let clock = SessionClock::start();
    let chosen = open_video_or_scene(args.source.as_deref(), clock)?;
    if let Some(notice) = &chosen.notice {
        println!("{notice}");
    }
    let mic = sound_name(args);
    let audio = mic.and_then(|m| open_audio_or_none(Some(&m), clock)).map(|a| a.source);
    headless(&chosen.name, chosen.source, audio, args.seconds)
}

/// Why no window can be shown here, or `None` when one can.
pub(crate) fn display_problem() -> Option<String> {
    if cfg!(any(target_os = "macos", windows)) {
        return None;
    }
    let has = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        None
    } else {
        Some("No display found (neither DISPLAY nor WAYLAND_DISPLAY is set)".into())
    }
}

pub(crate) fn app_path() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the augur binary")?;
    let name = if cfg!(windows) { "augur-app.exe" } else { "augur-app" };
    let app = exe.with_file_name(name);
    if app.exists() {
        Ok(app)
    } else {
        anyhow::bail!(
            "the app window is not built; run `scripts/start.sh`, which builds it, \
             or pass --headless: {}",
            app.display()
        )
    }
}

fn launch_app(args: &Args) -> Result<()> {
    let app = app_path()?;
    let mut cmd = std::process::Command::new(&app);
    if let Some(s) = &args.source {
        cmd.arg("--source").arg(s);
    }
    if let Some(m) = &args.mic {
        cmd.arg("--mic").arg(m);
    }
    if let Some(s) = args.seconds {
        cmd.arg("--seconds").arg(s.to_string());
    }
    // Only a model named here is passed on: otherwise the window opens the one it used last
    // time, or the bundled one (or the source alone when that is missing).
    if let Some(m) = &args.model {
        cmd.arg("--model").arg(m);
    }
    cmd.arg("--device").arg(&args.device);
    if let Some(h) = args.horizon {
        cmd.arg("--horizon").arg(h.to_string());
    }
    if args.demo {
        cmd.arg("--demo");
    }
    println!("Opening the Augur window…");
    let status = cmd.status().with_context(|| format!("starting {}", app.display()))?;
    anyhow::ensure!(status.success(), "the Augur window exited with {status}");
    Ok(())
}

/// The live session without a window: once a second, the rates, the latency, the newest
/// surprise and where the latent state sits on its first two principal components.
/// The model named, or the bundled one.
/// What `augur run` hears: `--mic`, else the source's own sound, else the default microphone.
fn sound_name(args: &Args) -> Option<String> {
    heard_sound(args.mic.as_deref(), args.source.as_deref(), || Some("mic:default".into()))
}

fn model_path(args: &Args) -> PathBuf {
    args.model.clone().unwrap_or_else(augur_model::default_model_path)
}

fn headless_model(args: &Args) -> Result<()> {
    let mut cfg = augur_engine::SessionConfig::new(args.source.as_deref(), model_path(args));
    cfg.device = augur_model::DeviceChoice::parse(&args.device)?;
    cfg.horizon = args.horizon;
    cfg.mic = sound_name(args);
    let session = augur_engine::Session::start(cfg)?;
    for n in &session.notices {
        println!("{n}");
    }
    println!("predicting with {} ({}x{} input)", session.model_name(), session.size(), session.size());
    let started = Instant::now();
    let stop_at = seconds_limit(args.seconds, started);
    let mut last_status = None;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let status = session.status();
        if last_status.as_ref() != Some(&status) {
            println!("source: {status:?}");
            last_status = Some(status.clone());
        }
        if status == augur_engine::SourceStatus::Ended {
            return Ok(());
        }
        let st = session.stats();
        let latest = session.latest();
        let surprise = latest.as_ref().map_or(f32::NAN, |m| m.surprise);
        let point = session.trajectory(2).ok().and_then(|t| t.trail.last().cloned()).unwrap_or_default();
        let sound = session.sound().map_or(String::new(), |v| format!("  sound {:.0} dBFS", v.level_dbfs));
        println!(
            "t={:>5.1}s  preview {:.1} fps  predictions {:.1} Hz (step {:.0} ms)  latency p50 {:.0} ms p99 {:.0} ms  surprise {:.4}  latent ({})  model skipped {}{sound}",
            started.elapsed().as_secs_f64(),
            st.preview_fps,
            st.prediction_hz,
            st.step_ms,
            st.latency_p50_ms,
            st.latency_p99_ms,
            surprise,
            point.iter().map(|v| format!("{v:+.2}")).collect::<Vec<_>>().join(", "),
            st.model_skipped,
        );
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            return Ok(());
        }
    }
}

fn seconds_limit(seconds: Option<f64>, started: Instant) -> Option<Instant> {
    seconds.map(|s| started + Duration::from_secs_f64(s.clamp(0.0, 1e7)))
}

fn headless(
    name: &str,
    video: augur_capture::VideoSourceBox,
    audio: Option<augur_capture::AudioSourceBox>,
    seconds: Option<f64>,
) -> Result<()> {
    let video = spawn_video(video);
    let audio = audio.map(spawn_audio);
    let info = video.info().clone();
    println!("{name}: {}x{} @ {:.1} fps ({})", info.width, info.height, info.fps, info.native_format);
    for note in &info.notes {
        println!("  note: {note}");
    }
    let started = Instant::now();
    let stop_at = seconds.map(|s| started + Duration::from_secs_f64(s.max(0.0)));
    let mut tick = Instant::now();
    let (mut frames, mut frame_times, mut samples) = (0u64, Vec::new(), Vec::<f32>::new());
    let mut rate = 0;
    loop {
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            return Ok(());
        }
        if let Some(frame) = video.wait(Duration::from_millis(100)) {
            frames += 1;
            frame_times.push(frame.pts);
        }
        if let Some(a) = &audio {
            for c in a.drain() {
                rate = c.sample_rate;
                samples.extend_from_slice(&c.samples);
            }
        }
        match video.take_end() {
            Some(StreamEnd::Failed(e)) => return Err(e).context("the video source failed"),
            Some(_) => {
                println!("{name} ended.");
                return Ok(());
            }
            None => {}
        }
        if tick.elapsed() >= Duration::from_secs(1) {
            let secs = tick.elapsed().as_secs_f64();
            let mut gaps: Vec<Duration> = frame_times.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
            let level = audio_level(&samples, rate);
            let sound = if audio.is_some() { format!(", sound {:.1} dBFS", level.rms_dbfs) } else { String::new() };
            println!(
                "t={:>5.1}s  {:.1} fps  frame gap p99 {:.1} ms  {} skipped{sound}",
                started.elapsed().as_secs_f64(),
                frames as f64 / secs,
                percentile_ms(&mut gaps, 99.0).unwrap_or(0.0),
                video.stats().skipped,
            );
            (frames, tick) = (0, Instant::now());
            frame_times.clear();
            samples.clear();
        }
    }
}
