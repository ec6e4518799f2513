//! `augur record`: record episodes (camera, microphone, keys) into a LeRobot v3 dataset.
//!
//! Frames go from the source thread to the recorder through a bounded queue. The recorder never
//! skips a frame: if it falls so far behind that the queue is full (a slow disk or encoder), it
//! stops the recording with a message, and everything written up to then stays valid.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use augur_capture::{
    AudioHandle, Frame, SessionClock, SourceSpec, open_audio, open_video, open_video_or_scene, spawn_audio,
};
use augur_dataset::{Dataset, DatasetError, EpisodeRecorder, Recording, Repaired, SoundAligner, repair};
use crossbeam_channel::{Receiver, TrySendError, bounded};

use crate::keys::{KeyScript, KeyState};
use crate::pad::PadState;

/// Options for `augur record`.
#[derive(clap::Args)]
pub struct Args {
    /// The video source (default: the first camera, or the built-in scene when there is none).
    #[arg(long)]
    source: Option<String>,
    /// The microphone (`mic:default`, `default`, `mic:1`, `audiofile:…`); none when absent.
    #[arg(long)]
    mic: Option<String>,
    /// The dataset folder (created when new; episodes are appended when it exists).
    #[arg(long)]
    out: PathBuf,
    /// What happens in the episodes (LeRobot's task text).
    #[arg(long)]
    task: String,
    /// How many episodes to record.
    #[arg(long, default_value_t = 1)]
    episodes: u32,
    /// Length of each episode in seconds.
    #[arg(long, default_value_t = 10.0)]
    episode_seconds: f64,
    /// Keys recorded as the `action` feature, comma separated (e.g. `space,left,right`). With
    /// `--keys-from stdin`, type `+space` / `-space` lines while recording.
    #[arg(long, value_delimiter = ',')]
    action_keys: Vec<String>,
    /// Where key presses come from: `stdin`, or a script like `space@0.5-1.5,left@2-3`
    /// (seconds from each episode's start), for demos and tests.
    #[arg(long)]
    keys_from: Option<String>,
    /// Record the first connected gamepad as actions too: stick axes and buttons
    /// (`pad.axis.LeftStickX`, `pad.button.South`, …) after any --action-keys.
    #[arg(long)]
    gamepad: bool,
    /// Video codec: `h264` (default) or `av1` (SVT-AV1, smaller files, more CPU).
    #[arg(long, default_value = "h264")]
    codec: String,
    /// Print one JSON line per episode instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    if !(args.episode_seconds > 0.0 && args.episode_seconds <= 86_400.0) {
        bail!("--episode-seconds must be more than 0 and at most 86400, got {}", args.episode_seconds);
    }
    if args.episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    // Names, codecs and scripts are checked before any device opens, so mistakes fail at once.
    let codec = augur_capture::VideoCodec::parse(&args.codec)
        .map_err(|_| anyhow::anyhow!("--codec {:?}: record with --codec h264 or --codec av1", args.codec))?;
    crate::keys::check_names(&args.action_keys)?;
    if !codec.available() {
        bail!("this FFmpeg has no {} encoder; record with --codec h264", args.codec);
    }
    let video_spec = args.source.as_deref().map(SourceSpec::video).transpose()?;
    let script = match args.keys_from.as_deref() {
        None | Some("stdin") => None,
        Some(s) => Some(KeyScript::parse(s, &args.action_keys)?),
    };
    let pad = if args.gamepad {
        let state = Arc::new(Mutex::new(PadState::default()));
        let name = crate::pad::spawn(state.clone())?;
        eprintln!("augur: recording gamepad \"{name}\" as actions");
        Some(state)
    } else {
        None
    };
    let clock = SessionClock::start();
    let audio = match args.mic.as_deref() {
        None | Some("none") => None,
        Some(m) => {
            let name = if m.contains(':') { m.to_string() } else { format!("mic:{m}") };
            Some(spawn_audio(open_audio(&SourceSpec::audio(&name)?, clock).with_context(|| format!("opening {name}"))?))
        }
    };
    let mut sound = SoundAligner::new(audio.as_ref().map_or(1, |a| a.info().sample_rate));
    if let Some(a) = &audio {
        // A microphone takes a moment to start; the camera opens once it delivers, or the first
        // episode would open with silence where the microphone had not started yet.
        let waited = Instant::now();
        while !sound.started() && waited.elapsed() < Duration::from_secs(3) {
            sound.pull(a.drain());
            std::thread::sleep(Duration::from_millis(10));
        }
        if !sound.started() {
            eprintln!("augur: {} has delivered no sound after 3 s; recording anyway", a.info().description);
        }
    }
    let video = match (&video_spec, &args.source) {
        (Some(spec), Some(s)) => open_video(spec, clock).with_context(|| format!("opening {s}"))?,
        _ => {
            let chosen = open_video_or_scene(None, clock)?;
            if let Some(n) = &chosen.notice {
                eprintln!("augur: {n}");
            }
            chosen.source
        }
    };
    let info = video.info().clone();
    info.recordable().map_err(|why| anyhow::anyhow!(why))?;
    let fps = info.fps.round() as u32;
    if fps == 0 {
        bail!("{} reports no frame rate; give it one (e.g. ?fps=30)", info.description);
    }
    let rec = Recording {
        fps,
        width: info.width & !1,
        height: info.height & !1,
        audio_rate: audio.as_ref().map(|a| a.info().sample_rate),
        action_names: args
            .action_keys
            .iter()
            .map(|k| format!("key.{k}"))
            .chain(if args.gamepad { PadState::names() } else { Vec::new() })
            .collect(),
        codec,
    };
    let keys = Arc::new(Mutex::new(KeyState::new(&args.action_keys)));
    if args.keys_from.as_deref() == Some("stdin") {
        spawn_stdin_keys(keys.clone());
    }
    let _hold = augur_dataset::DatasetLock::take(&args.out)?;
    let mut ds = Dataset::open_or_create(&args.out, &rec)?;
    for r in repair(&mut ds)? {
        match r {
            Repaired::Recovered(m) => eprintln!(
                "augur: finished episode {} left by a stopped recorder ({} frames kept)",
                m.episode_index, m.length
            ),
            Repaired::Empty(n) => {
                eprintln!("augur: episode {n} left by a stopped recorder had no complete second; removed")
            }
            Repaired::Failed(n, why) => bail!(
                "episode {n}, left by a stopped recorder, cannot be finished ({why}); new episodes would \
                 be numbered after it. Look at it with `augur dataset validate`, or record into a new folder"
            ),
        }
    }
    eprintln!(
        "augur: recording {} ({}x{} at {fps} fps{}) into {}",
        info.description,
        rec.width,
        rec.height,
        audio.as_ref().map_or(String::new(), |a| format!(", sound from {}", a.info().description)),
        args.out.display()
    );

    let (frames_tx, frames) = bounded::<Frame>(fps as usize * 2);
    let overflow = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let over = overflow.clone();
    let mut source = video;
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let failed = failure.clone();
    std::thread::Builder::new().name("record-source".into()).spawn(move || {
        loop {
            let f = match source.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    if let Ok(mut slot) = failed.lock() {
                        *slot = Some(e.to_string());
                    }
                    break;
                }
            };
            match frames_tx.try_send(f) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    over.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => break,
            }
        }
    })?;

    for e in 0..args.episodes {
        // Frames that queued while the last episode was being finished belong to no episode.
        while frames.try_recv().is_ok() {}
        overflow.store(0, std::sync::atomic::Ordering::Relaxed);
        let mut episode = EpisodeRecorder::start(&ds, &args.task)?;
        let target = (args.episode_seconds * f64::from(fps)).round().max(1.0) as u64;
        let mut padded = 0u64;
        let lead_before = sound.lead();
        let outcome = record_episode(
            &mut episode,
            &frames,
            audio.as_ref(),
            &mut sound,
            &keys,
            script.as_ref(),
            pad.as_deref(),
            target,
            &overflow,
            &rec,
            &mut padded,
        );
        if !matches!(outcome, Ok(Stop::Done)) {
            eprintln!();
        }
        let (frames_written, audio_s) = (episode.frames(), episode.audio_seconds());
        let rate = f64::from(rec.audio_rate.unwrap_or(1));
        // Drift is what the microphone delivered against the video, before any padding.
        let audio_s = audio_s - padded as f64 / rate;
        // And the other way: how much faster the microphone's clock ran than the session's
        // (samples dropped to keep it in step, plus its lead now), and what is left after the
        // correction: the sound's offset against the video at the episode's end.
        let (clock, offset) = match audio.as_ref() {
            Some(a) => {
                let dropped_s = sound.dropped() as f64 / f64::from(a.info().sample_rate.max(1));
                ((dropped_s + sound.lead() - lead_before) * f64::from(fps), sound.lead() * f64::from(fps))
            }
            None => (0.0, 0.0),
        };
        let index = episode.episode();
        let bytes_before = dir_bytes(&args.out);
        match outcome {
            Ok(Stop::Done) | Ok(Stop::SourceEnded) => {
                let meta = episode.finish(&mut ds)?;
                let frames_kept = meta.as_ref().map_or(0, |m| m.length);
                report(
                    args.json,
                    index,
                    e + 1,
                    args.episodes,
                    frames_kept,
                    fps,
                    audio.as_ref().map(|_| (audio_s, clock, offset)),
                    frames_written,
                    bytes_before,
                );
                if matches!(outcome, Ok(Stop::SourceEnded)) {
                    if let Some(why) = failure.lock().ok().and_then(|mut f| f.take()) {
                        bail!(
                            "the source failed: {why}. Episode {index} keeps {frames_kept} frames; earlier episodes are intact"
                        );
                    }
                    eprintln!("augur: the source ended; stopping after episode {index}");
                    break;
                }
            }
            Ok(Stop::DiskLow(free)) => {
                let meta = episode.finish(&mut ds)?;
                bail!(
                    "the disk holding {} is nearly full ({:.1} MB free), so recording stopped. Episode {index} keeps {} \
                     frames and every earlier episode is intact. Free space or record to another disk",
                    args.out.display(),
                    free as f64 / 1e6,
                    meta.map_or(0, |m| m.length)
                );
            }
            Ok(Stop::Overflow(n)) => {
                let meta = episode.abandon(&mut ds)?;
                bail!(
                    "the recorder fell behind the source and {n} frames could not be queued, so recording stopped \
                     rather than skip frames. Episode {index} keeps {} frames. Use a faster disk, a smaller size \
                     (?size=) or a lower rate (?fps=)",
                    meta.map_or(0, |m| m.length)
                );
            }
            Err(err) => {
                let disk_full = err.is_disk_full();
                // A refusal (the source changed size) leaves the writer whole: close it properly
                // and keep every frame. A write error may have left it broken: keep what is on disk.
                let finished = match err {
                    augur_dataset::DatasetError::Usage(_) => episode.finish(&mut ds),
                    _ => episode.abandon(&mut ds),
                };
                let kept = match finished {
                    Ok(meta) => format!("keeps {} frames", meta.map_or(0, |m| m.length)),
                    Err(e) => format!(
                        "could not be finished ({e}); `augur dataset repair {}` keeps its complete seconds",
                        args.out.display()
                    ),
                };
                if disk_full {
                    bail!(
                        "the disk is full, recording stopped ({err}). Earlier episodes are intact; episode {index} \
                         {kept}. Free space before recording again"
                    );
                }
                return Err(err).with_context(|| format!("recording episode {index} stopped; it {kept}"));
            }
        }
    }
    Ok(())
}

enum Stop {
    Done,
    DiskLow(u64),
    SourceEnded,
    Overflow(u64),
}

#[allow(clippy::too_many_arguments)]
fn record_episode(
    ep: &mut EpisodeRecorder,
    frames: &Receiver<Frame>,
    audio: Option<&AudioHandle>,
    sound: &mut SoundAligner,
    keys: &Mutex<KeyState>,
    script: Option<&KeyScript>,
    pad: Option<&Mutex<PadState>>,
    target: u64,
    overflow: &std::sync::atomic::AtomicU64,
    rec: &Recording,
    padded: &mut u64,
) -> Result<Stop, DatasetError> {
    let started = Instant::now();
    let mut last_print = Instant::now();
    let mut last_pts = Duration::ZERO;
    let mut grid = augur_dataset::FrameGrid::new(rec.fps);
    while ep.frames() < target {
        let over = overflow.load(std::sync::atomic::Ordering::Relaxed);
        if over > 0 {
            return Ok(Stop::Overflow(over));
        }
        // Stop while there is still room to finish cleanly: 3 s of recording plus 1 MB.
        if ep.disk().low(3.0) {
            return Ok(Stop::DiskLow(ep.disk().free.unwrap_or(0)));
        }
        let frame = match frames.recv_timeout(Duration::from_secs(10)) {
            Ok(f) => f,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(Stop::SourceEnded),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                return Err(DatasetError::Usage("the source delivered no frame for 10 s; recording stopped".into()));
            }
        };
        let t = ep.frames() as f64 / f64::from(rec.fps);
        let mut action = match script {
            Some(s) => s.at(t),
            None => keys.lock().map(|k| k.values()).unwrap_or_default(),
        };
        if let Some(p) = pad {
            action.extend_from_slice(p.lock().map(|p| p.values().to_vec()).unwrap_or_default().as_slice());
        }
        last_pts = frame.pts;
        // On the episode's fixed rate: a gap before this frame repeats the one before it.
        // At the episode's end only what fits, this frame last.
        let placed = grid.place(&frame, ep.frames());
        let room = usize::try_from(target - ep.frames()).unwrap_or(usize::MAX);
        for shown in placed.iter().skip(placed.len().saturating_sub(room)) {
            if let Some(a) = audio {
                if ep.frames() == 0 {
                    sound.begin(frame.pts);
                }
                sound.pull(a.drain());
                let samples = sound.take(ep.frames() + 1, rec.fps);
                ep.push_audio(&samples)?;
            }
            ep.push_frame(&shown.rgb, shown.width, shown.height, &action)?;
        }
        if last_print.elapsed() >= Duration::from_secs(1) {
            last_print = Instant::now();
            let sound = if audio.is_some() { format!("  sound {:.2} s", ep.audio_seconds()) } else { String::new() };
            let free = ep.disk().free.map_or(String::new(), |f| format!("  {:.0} MB free", f as f64 / 1e6));
            let elapsed = started.elapsed().as_secs_f64();
            eprint!("\r  episode {}: {elapsed:5.1} s  {} frames{sound}{free}   ", ep.episode(), ep.frames());
        }
    }
    // Sound up to the end of the last frame: the microphone delivers with some latency, so
    // wait (up to 3 s) for it to cover the episode, then pad what never came with silence.
    if let Some(a) = audio {
        let end = last_pts + Duration::from_secs_f64(1.0 / f64::from(rec.fps));
        let waited = Instant::now();
        while !{
            sound.pull(a.drain());
            sound.covers(end)
        } && waited.elapsed() < Duration::from_secs(3)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut samples = sound.take(ep.frames(), rec.fps);
        samples.extend(sound.pad_to(ep.frames(), rec.fps));
        *padded = sound.padded();
        ep.push_audio(&samples)?;
    }
    eprintln!();
    Ok(Stop::Done)
}

#[allow(clippy::too_many_arguments)]
fn report(
    json: bool,
    index: u64,
    n: u32,
    of: u32,
    frames: u64,
    fps: u32,
    sound: Option<(f64, f64, f64)>,
    written: u64,
    bytes: u64,
) {
    let seconds = frames as f64 / f64::from(fps);
    // With no microphone there is no sound to be in step with, so no drift figures.
    let drift = sound.map(|(audio_s, clock, offset)| {
        ((audio_s - written as f64 / f64::from(fps)) * f64::from(fps), audio_s, clock, offset)
    });
    if json {
        let (d, a, c, o) = drift.map_or((None, None, None, None), |(d, a, c, o)| (Some(d), Some(a), Some(c), Some(o)));
        println!(
            "{}",
            serde_json::json!({"episode": index, "frames": frames, "seconds": seconds, "audio_seconds": a,
                "av_drift_frames": d, "mic_clock_drift_frames": c, "av_offset_frames": o,
                "dataset_bytes": bytes})
        );
    } else {
        let sound = match drift {
            Some((drift, audio_s, clock, offset)) => format!(
                "sound {audio_s:.2} s (A/V {drift:+.2} frames; microphone clock {clock:+.2} frames, corrected to {offset:+.2})"
            ),
            None => "no sound".into(),
        };
        println!(
            "episode {index} ({n}/{of}): {frames} frames, {seconds:.1} s, {sound}, dataset {:.2} MB",
            bytes as f64 / 1e6
        );
    }
}

fn dir_bytes(p: &std::path::Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else { return 0 };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn spawn_stdin_keys(keys: Arc<Mutex<KeyState>>) {
    let _ = std::thread::Builder::new().name("record-keys".into()).spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if let Ok(mut k) = keys.lock()
                && let Err(e) = k.apply(line.trim())
            {
                eprintln!("augur: {e}");
            }
        }
    });
}
