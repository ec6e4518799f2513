//! `augur probe`: open any source, consume it like the app would, and report what happened.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use augur_capture::{
    SessionClock, SourceSpec, StreamEnd, audio_level, open_audio, open_video, spawn_audio, spawn_video,
};
use serde_json::json;

use crate::measure::{CpuMeter, percentile_ms};

/// Options for `augur probe`.
#[derive(clap::Args)]
pub struct Args {
    /// The source to open, e.g. `camera:0`, `lavfi:testsrc=size=1280x720:rate=30`,
    /// `scene:bounce?size=640x480`, `file:clip.mp4`, `mic:default`.
    source: String,
    /// How long to measure, in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Also open this microphone (or audio file) alongside a video source: `mic:default`, or
    /// `default`, `1` as `record` and `run` take them; `none` for none (as leaving it out).
    #[arg(long)]
    mic: Option<String>,
    /// Pretend to be a slow consumer that spends this long on each frame, to see frames skipped.
    #[arg(long, default_value_t = 0)]
    consumer_ms: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    if !(args.seconds > 0.0 && args.seconds <= 86_400.0) {
        bail!("--seconds must be between 0 and 86400, got {}", args.seconds);
    }
    let clock = SessionClock::start();
    let spec: SourceSpec = args.source.parse()?;
    let (video_spec, audio_spec) = match spec {
        SourceSpec::Video(v) => {
            let mic = augur_capture::heard_sound(args.mic.as_deref(), None, || None);
            (Some(v), mic.as_deref().map(SourceSpec::audio).transpose()?)
        }
        SourceSpec::Audio(a) => (None, Some(a)),
    };
    let video = video_spec
        .map(|v| open_video(&v, clock).map(spawn_video))
        .transpose()
        .with_context(|| format!("opening {}", args.source))?;
    let audio =
        audio_spec.map(|a| open_audio(&a, clock).map(spawn_audio)).transpose().context("opening the sound source")?;

    let cpu = CpuMeter::start();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let mut latencies = Vec::new();
    let mut samples: Vec<f32> = Vec::new();
    let mut sample_rate = 0;
    let mut last_index = None;
    let mut failure = None;
    let mut ended = None;
    while Instant::now() < deadline {
        if let Some(v) = &video {
            if let Some(frame) = v.wait(Duration::from_millis(50)) {
                latencies.push(clock.now().saturating_sub(frame.pts));
                last_index = Some(frame.index);
                if args.consumer_ms > 0 {
                    std::thread::sleep(Duration::from_millis(args.consumer_ms));
                }
            }
            match v.take_end() {
                Some(StreamEnd::Failed(e)) => {
                    failure = Some(e);
                    break;
                }
                Some(end) => {
                    ended = Some(end);
                    break;
                }
                None => {}
            }
        } else {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(a) = &audio {
            for chunk in a.drain() {
                sample_rate = chunk.sample_rate;
                samples.extend_from_slice(&chunk.samples);
            }
            match a.take_end() {
                Some(StreamEnd::Failed(e)) => {
                    failure = Some(e);
                    break;
                }
                // With no pictures to wait for, the sound's end is the source's.
                Some(end) if video.is_none() => {
                    samples.extend(a.drain().into_iter().flat_map(|chunk| chunk.samples));
                    ended = Some(end);
                    break;
                }
                _ => {}
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_percent = cpu.percent();

    let mut report = json!({ "source": args.source, "seconds": elapsed, "cpu_percent": cpu_percent });
    if let Some(v) = &video {
        let stats = v.stats();
        report["video"] = json!({
            "negotiated": v.info(),
            "frames_delivered": stats.delivered,
            "frames_produced": stats.produced,
            "frames_skipped": stats.skipped,
            "delivered_fps": stats.delivered as f64 / elapsed,
            "produced_fps": stats.produced as f64 / elapsed,
            "last_frame_index": last_index,
            "latency_ms_p50": percentile_ms(&mut latencies, 50.0),
            "latency_ms_p99": percentile_ms(&mut latencies, 99.0),
            "ended": ended.as_ref().map(|_| "finished"),
        });
    }
    if let Some(a) = &audio {
        let level = audio_level(&samples, sample_rate);
        report["audio"] = json!({
            "negotiated": a.info(),
            "samples": samples.len(),
            "chunks_dropped": a.dropped(),
            "rms_dbfs": level.rms_dbfs,
            "peak": level.peak,
            "dominant_hz": level.dominant_hz,
            "ended": (video.is_none() && ended.is_some()).then_some("finished"),
        });
    }
    if args.json {
        println!("{report:#}");
    } else {
        print_text(&report);
    }
    match failure {
        Some(e) => Err(e).context("the source failed while probing"),
        None => Ok(()),
    }
}

fn print_text(r: &serde_json::Value) {
    let f = |v: &serde_json::Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.1}"));
    println!("source      {}", r["source"].as_str().unwrap_or("?"));
    println!("measured    {} s, CPU {} % of one core", f(&r["seconds"]), f(&r["cpu_percent"]));
    if let Some(v) = r.get("video") {
        let n = &v["negotiated"];
        println!(
            "video       {}  {}x{} @ {} fps, native {}",
            n["description"].as_str().unwrap_or("?"),
            n["width"],
            n["height"],
            f(&n["fps"]),
            n["native_format"].as_str().unwrap_or("?")
        );
        for note in n["notes"].as_array().into_iter().flatten() {
            println!("  note      {}", note.as_str().unwrap_or_default());
        }
        println!(
            "frames      {} delivered ({} fps), {} produced ({} fps), {} skipped by a slow consumer",
            v["frames_delivered"],
            f(&v["delivered_fps"]),
            v["frames_produced"],
            f(&v["produced_fps"]),
            v["frames_skipped"]
        );
        println!("latency     capture→consumer p50 {} ms, p99 {} ms", f(&v["latency_ms_p50"]), f(&v["latency_ms_p99"]));
        if v["ended"].is_string() {
            println!("end         the source reached its end");
        }
    }
    if let Some(a) = r.get("audio") {
        let n = &a["negotiated"];
        println!(
            "audio       {}  {} Hz, {} ch, {}",
            n["description"].as_str().unwrap_or("?"),
            n["sample_rate"],
            n["channels"],
            n["native_format"].as_str().unwrap_or("?")
        );
        println!(
            "level       {} dBFS RMS, peak {}, dominant {} Hz, {} chunks dropped",
            f(&a["rms_dbfs"]),
            f(&a["peak"]),
            f(&a["dominant_hz"]),
            a["chunks_dropped"]
        );
        if a["ended"].is_string() {
            println!("end         the source reached its end");
        }
    }
}
