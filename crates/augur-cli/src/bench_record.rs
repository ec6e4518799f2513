//! `augur bench record`: `augur record` and the ffmpeg CLI recording the same 720p30 source
//! with 48 kHz sound to the same codec settings, side by side: frames kept and dropped, A/V
//! drift, CPU and peak memory. Writes bench/results/record.{md,json}.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// Options for `augur bench record`.
#[derive(clap::Args)]
pub struct RecordArgs {
    /// Seconds to record (the figure is 600).
    #[arg(long, default_value_t = 600.0)]
    seconds: f64,
    /// The video source.
    #[arg(long, default_value = "lavfi:testsrc=size=1280x720:rate=30")]
    source: String,
    /// The microphone (`mic:default` when PulseAudio runs, else a 48 kHz sine file paced live).
    #[arg(long)]
    mic: Option<String>,
    /// Video codec for both tools: `h264` or `av1` (SVT-AV1 preset 12, low delay).
    #[arg(long, default_value = "h264")]
    codec: String,
    /// Output folder.
    #[arg(long, default_value = "bench/results")]
    pub(crate) out: PathBuf,
}

#[derive(Serialize, Default)]
struct Run {
    tool: String,
    frames: u64,
    expected_frames: u64,
    dropped_frames: i64,
    av_drift_frames: f64,
    /// How much faster the microphone's clock ran than the session's (augur only).
    mic_clock_drift_frames: Option<f64>,
    /// Sound against video at the end, after that drift was corrected (augur only).
    av_offset_frames: Option<f64>,
    cpu_percent: f64,
    peak_rss_mb: f64,
    wall_s: f64,
}

pub fn run(args: &RecordArgs) -> Result<()> {
    if !(args.seconds >= 2.0 && args.seconds <= 7200.0) {
        bail!("--seconds must be between 2 and 7200, got {}", args.seconds);
    }
    let work = std::env::temp_dir().join(format!("augur-bench-record-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mic = match &args.mic {
        Some(m) => m.clone(),
        None if Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success()) => "mic:default".into(),
        None => {
            let wav = work.join("sine.wav");
            let dur = format!("sine=frequency=440:sample_rate=48000:duration={}", args.seconds + 10.0);
            let ok = Command::new("ffmpeg")
                .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", &dur])
                .arg(&wav)
                .status()?;
            if !ok.success() {
                bail!("ffmpeg could not write a sine file");
            }
            format!("audiofile:{}", wav.display())
        }
    };
    let lavfi =
        args.source.strip_prefix("lavfi:").context("the comparison needs a lavfi: source both tools can open")?;
    // The graph's own rate (not always 30): what "every frame" means for both tools.
    let spec = augur_capture::SourceSpec::video(&args.source)?;
    let fps = augur_capture::open_video(&spec, augur_capture::SessionClock::start())?.info().fps;
    if !(fps.is_finite() && fps >= 1.0) {
        bail!("{} reports no frame rate; give its graph a rate= option", args.source);
    }
    let expected = (args.seconds * fps).round() as u64;
    eprintln!(
        "augur: recording {} s of {} with sound from {mic}, with augur and then with ffmpeg",
        args.seconds, args.source
    );

    let ds = work.join("ds");
    let augur = std::env::current_exe()?;
    let mut cmd = Command::new(augur);
    let codec = augur_capture::VideoCodec::parse(&args.codec)?;
    cmd.args(["record", "--source", &args.source, "--mic", &mic, "--task", "bench", "--json", "--codec", &args.codec])
        .arg("--episode-seconds")
        .arg(args.seconds.to_string())
        .arg("--out")
        .arg(&ds)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let (ours, stdout) = measure(cmd, "augur record")?;
    let line: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or_default();
    let frames = line["frames"].as_u64().unwrap_or(0);
    let ours = Run {
        frames,
        expected_frames: expected,
        dropped_frames: expected as i64 - frames as i64,
        av_drift_frames: line["av_drift_frames"].as_f64().unwrap_or(f64::NAN),
        mic_clock_drift_frames: line["mic_clock_drift_frames"].as_f64(),
        av_offset_frames: line["av_offset_frames"].as_f64(),
        ..ours
    };

    // The same settings through the ffmpeg CLI: H.264 veryfast crf 23, no B-frames, zero-latency
    // (or SVT-AV1 preset 12, low delay, closed GOPs), 1 s GOP, AAC 96 kb/s, fragmented MP4;
    // -re paces the lavfi source like a camera.
    let out = work.join("ffmpeg.mp4");
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-loglevel", "error", "-y", "-re", "-f", "lavfi", "-i", lavfi]);
    if mic == "mic:default" {
        cmd.args(["-f", "pulse", "-i", "default"]);
    } else {
        cmd.args(["-re", "-i", mic.trim_start_matches("audiofile:")]);
    }
    cmd.args(["-t", &args.seconds.to_string()]);
    match codec {
        augur_capture::VideoCodec::H264 => {
            cmd.args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-tune", "zerolatency", "-bf", "0"])
        }
        augur_capture::VideoCodec::Av1 => cmd.args(["-c:v", "libsvtav1", "-preset", "12", "-crf", "35"]).args([
            "-svtav1-params",
            "pred-struct=1:lookahead=0",
            "-flags",
            "+cgop",
        ]),
    };
    cmd.args(["-g", &fps.round().to_string(), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-ac", "1"])
        .args(["-movflags", "frag_keyframe+empty_moov+default_base_moof"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (theirs, _) = measure(cmd, "ffmpeg")?;
    let count = augur_capture::count_media(&out)?;
    let theirs = Run {
        frames: count.video_frames,
        expected_frames: expected,
        dropped_frames: expected as i64 - count.video_frames as i64,
        av_drift_frames: (count.audio_seconds - count.video_frames as f64 / fps) * fps,
        ..theirs
    };
    let runs = [ours, theirs];
    let md = markdown(&runs, args);
    print!("{md}");
    let name =
        if codec == augur_capture::VideoCodec::H264 { "record".to_string() } else { format!("record-{}", args.codec) };
    crate::folder::write(&args.out.join(format!("{name}.md")), &md)?;
    crate::folder::write(&args.out.join(format!("{name}.json")), serde_json::to_string_pretty(&runs)?)?;
    eprintln!("augur: wrote {}", args.out.join(format!("{name}.md")).display());
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Runs `cmd`, sampling its CPU time and resident memory from /proc twice a second.
fn measure(mut cmd: Command, tool: &str) -> Result<(Run, String)> {
    let started = Instant::now();
    let mut child: Child = cmd.spawn().with_context(|| format!("starting {tool}"))?;
    let (mut cpu_ticks, mut peak_kb) = (0u64, 0u64);
    loop {
        if let Some((ticks, rss)) = proc_sample(child.id()) {
            cpu_ticks = cpu_ticks.max(ticks);
            peak_kb = peak_kb.max(rss);
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let wall = started.elapsed().as_secs_f64();
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        use std::io::Read;
        let _ = out.read_to_string(&mut stdout);
    }
    let status = child.wait()?;
    if !status.success() && tool != "ffmpeg" {
        bail!("{tool} failed ({status})");
    }
    let run = Run {
        tool: tool.into(),
        cpu_percent: cpu_ticks as f64 / 100.0 / wall * 100.0,
        peak_rss_mb: peak_kb as f64 / 1024.0,
        wall_s: wall,
        ..Run::default()
    };
    Ok((run, stdout))
}

/// CPU ticks (user + system, at 100 Hz) and resident kB of a running process.
fn proc_sample(pid: u32) -> Option<(u64, u64)> {
    let ticks = crate::measure::cpu_ticks(Some(pid))?;
    let rss_mb = crate::measure::memory_mb(Some(pid), "VmRSS")?;
    Some((ticks, (rss_mb * 1024.0).round() as u64))
}

fn markdown(runs: &[Run; 2], args: &RecordArgs) -> String {
    let mut s = format!(
        "# Recording benchmark\n\n{} s of `{}` with 48 kHz sound, {} + AAC in fragmented MP4, on {}.\n\n",
        args.seconds,
        args.source,
        if args.codec == "av1" { "AV1 (SVT-AV1 preset 12, low delay, crf 35)" } else { "H.264 veryfast crf 23" },
        augur_model::train::machine()
    );
    s.push_str("| tool | frames | dropped | A/V drift (frames) | mic clock drift (frames) | A/V offset at end (frames) | CPU % | peak RSS MB | wall s |\n|---|---|---|---|---|---|---|---|---|\n");
    for r in runs {
        s.push_str(&format!(
            "| {} | {}/{} | {} | {:+.2} | {} | {} | {:.0} | {:.0} | {:.1} |\n",
            r.tool,
            r.frames,
            r.expected_frames,
            r.dropped_frames,
            r.av_drift_frames,
            r.mic_clock_drift_frames.map_or("–".to_string(), |d| format!("{d:+.2}")),
            r.av_offset_frames.map_or("–".to_string(), |d| format!("{d:+.2}")),
            r.cpu_percent,
            r.peak_rss_mb,
            r.wall_s
        ));
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    s.push_str(
        "\nA/V drift: sound delivered minus video, in frames (short sound counts negative). Mic clock \
         drift: how far the microphone's sample count ran ahead of the session clock over the episode; \
         augur drops the samples that run ahead, and the A/V offset is what is left at the end.\n",
    );
    s.push_str(&format!(
        "\naugur / ffmpeg: CPU {:.2}x, memory {:.2}x.\n",
        ratio(runs[0].cpu_percent, runs[1].cpu_percent),
        ratio(runs[0].peak_rss_mb, runs[1].peak_rss_mb)
    ));
    s
}
