//! `augur bench window`: the app's real window (under Xvfb in CI) on a 640×480 30 fps lavfi
//! source and on the scene with the default model: frames and predictions the page drew per
//! second, camera-to-screen latency (capture → drawn in the webview), CPU and memory after the
//! run, and an image of each size sent to the page by Tauri's binary IPC and by a loopback
//! HTTP stream, timed side by side. Writes bench/results/window.{md,json}.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Options for `augur bench window`.
#[derive(clap::Args)]
pub struct WindowArgs {
    /// Seconds of live drawing per source before the transport comparison (the memory
    /// figure is after 600).
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// A source to run the window on (repeat for more; a lavfi graph may hold commas).
    #[arg(
        long = "source",
        default_values = ["lavfi:testsrc=size=640x480:rate=30", "scene:bounce?size=640x480&fps=30"]
    )]
    sources: Vec<String>,
    /// The model.
    #[arg(long, default_value_os_t = augur_model::default_model_path())]
    model: PathBuf,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Output folder.
    #[arg(long, default_value = "bench/results")]
    pub(crate) out: PathBuf,
}

pub fn run(args: &WindowArgs) -> Result<()> {
    if !(args.seconds >= 1.0 && args.seconds <= 7200.0) {
        bail!("--seconds must be between 1 and 7200, got {}", args.seconds);
    }
    if let Some(why) = crate::run::display_problem() {
        bail!("{why}: the window benchmark needs one; run `. scripts/services.sh` to start Xvfb");
    }
    let app = crate::run::app_path()?;
    // A scratch home, so the run neither reads nor changes the user's settings.
    let home = std::env::temp_dir().join(format!("augur-bench-window-{}", std::process::id()));
    let mut runs = Vec::new();
    for source in &args.sources {
        eprintln!("augur: the window on {source} for {} s, then the transports", args.seconds);
        let out = run_app(&app, source, args, &home);
        if out.is_err() {
            let _ = std::fs::remove_dir_all(&home);
        }
        runs.push(serde_json::json!({"source": source, "result": out?}));
    }
    let _ = std::fs::remove_dir_all(&home);
    let md = report(args, &runs);
    print!("{md}");
    crate::folder::write(&args.out.join("window.md"), &md)?;
    crate::folder::write(&args.out.join("window.json"), serde_json::to_string_pretty(&runs)?)?;
    Ok(())
}

/// Runs the app with `--bench` and returns its `AUGUR_BENCH` figures.
fn run_app(app: &std::path::Path, source: &str, args: &WindowArgs, home: &std::path::Path) -> Result<Value> {
    let mut cmd = Command::new(app);
    cmd.args(["--source", source, "--mic", "none", "--device", &args.device]);
    cmd.arg("--model").arg(&args.model).arg("--home").arg(home);
    cmd.arg("--bench").arg(args.seconds.to_string());
    // A generous deadline: the run, three sizes × two transports × 33 requests, and start-up.
    cmd.arg("--seconds").arg((args.seconds + 240.0).to_string());
    let (out, rss) = output_with_deadline(cmd, Duration::from_secs_f64(args.seconds + 300.0))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("AUGUR_BENCH ")) else {
        bail!(
            "the app did not report its figures ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).lines().rev().take(8).collect::<Vec<_>>().join(" | ")
        );
    };
    let mut result: Value = serde_json::from_str(line)?;
    result["rss_samples_mb"] = serde_json::json!(rss);
    Ok(result)
}

fn report(args: &WindowArgs, runs: &[Value]) -> String {
    let mut md = format!(
        "# The app's window (WebKitGTK under Xvfb)\n\nModel `{}`, device {}, {} s of live drawing per source, on {}.\n\n",
        args.model.display(),
        args.device,
        args.seconds,
        augur_model::train::machine()
    );
    md.push_str("| source | frames drawn /s | predictions drawn /s | camera→screen p50 / p99 ms | CPU % | RSS MB after 1 min → at the end |\n|---|---|---|---|---|---|\n");
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    for r in runs {
        let (res, page) = (&r["result"], &r["result"]["page"]);
        let secs = f(&page["seconds"]).max(1e-9);
        md.push_str(&format!(
            "| `{}` | {:.1} | {:.1} | {:.0} / {:.0} | {:.0} | {:.0} → {:.0} |\n",
            r["source"].as_str().unwrap_or("?"),
            f(&page["frames_drawn"]) / secs,
            f(&page["predictions_drawn"]) / secs,
            f(&res["screen_latency_p50_ms"]),
            f(&res["screen_latency_p99_ms"]),
            f(&res["cpu_seconds"]) / f(&res["session_seconds"]).max(1e-9) * 100.0,
            res["rss_samples_mb"].get(1).map_or(f64::NAN, |s| f(&s[1])),
            f(&res["rss_mb"]),
        ));
    }
    md.push_str("\nCPU % and RSS are the app's own process (the webview's WebKit processes are not counted). Frames drawn count live frames the page put on its canvas; camera→screen runs from the frame's capture timestamp to the page reporting it drawn.\n");
    md.push_str("\n## Binary IPC vs a loopback stream\n\nThe same image (16-byte header + RGBA) fetched by the page 30 times after 3 warm-ups, with the live session running; ms from request to bytes in hand.\n\n| source | size | IPC p50 / p99 ms | loopback p50 / p99 ms | loopback ÷ IPC (p50) |\n|---|---|---|---|---|\n");
    for r in runs {
        let timings = r["result"]["page"]["transports"].as_array().cloned().unwrap_or_default();
        let find = |t: &str, w: &Value| {
            timings.iter().find(|x| x["transport"] == t && x["width"] == *w).map(|x| (f(&x["p50_ms"]), f(&x["p99_ms"])))
        };
        for ipc in timings.iter().filter(|x| x["transport"] == "ipc") {
            let (Some(a), Some(b)) = (find("ipc", &ipc["width"]), find("loopback", &ipc["width"])) else { continue };
            md.push_str(&format!(
                "| `{}` | {}×{} | {:.0} / {:.0} | {:.0} / {:.0} | {:.2} |\n",
                r["source"].as_str().unwrap_or("?"),
                ipc["width"],
                ipc["height"],
                a.0,
                a.1,
                b.0,
                b.1,
                b.0 / a.0.max(1e-9)
            ));
        }
    }
    md
}

/// The app's resident memory in MB, from /proc (Linux).
fn rss_of(pid: u32) -> Option<f64> {
    crate::measure::memory_mb(Some(pid), "VmRSS")
}

/// Runs `cmd` to the end, killing it if it outlives `limit`; samples its memory every 30 s as
/// (seconds, MB), so growth shows apart from the level.
fn output_with_deadline(mut cmd: Command, limit: Duration) -> Result<(std::process::Output, Vec<(f64, f64)>)> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().context("starting augur-app")?;
    let mut pipes = (child.stdout.take(), child.stderr.take());
    let read = |p: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut v);
            }
            v
        })
    };
    let out = read(pipes.0.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = read(pipes.1.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = std::time::Instant::now();
    let mut samples = Vec::new();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        let t = started.elapsed().as_secs_f64();
        if t >= 30.0 * (samples.len() + 1) as f64
            && let Some(mb) = rss_of(child.id())
        {
            samples.push((t.round(), mb));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let join = |h: std::thread::JoinHandle<Vec<u8>>| h.join().unwrap_or_default();
    Ok((std::process::Output { status, stdout: join(out), stderr: join(err) }, samples))
}
