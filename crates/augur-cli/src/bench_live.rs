//! `augur bench live`: the live session headless (no window) on a 640×480 30 fps lavfi source
//! and on the scene (or on the sources given) with the default model: preview fps, prediction
//! rate, capture-to-prediction latency, frames the model skipped, frames lost, CPU and memory.
//! Writes bench/results/live.{md,json}. The webview's own latency is measured by the app, not
//! here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use augur_engine::{Session, SessionConfig, SourceStatus, Stats};
use serde::Serialize;

/// Options for `augur bench live`.
#[derive(clap::Args)]
pub struct LiveArgs {
    /// Seconds per source (the memory figure is after 600).
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// The model.
    #[arg(long, default_value_os_t = augur_model::default_model_path())]
    model: PathBuf,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Rollout horizons to measure, comma separated (the model's default is 8).
    #[arg(long, value_delimiter = ',', default_value = "8,4")]
    horizons: Vec<usize>,
    /// Sources to measure, in turn (default: a 640×480 30 fps lavfi test pattern and the scene
    /// at that size, which every machine has).
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Output folder.
    #[arg(long, default_value = "bench/results")]
    pub(crate) out: PathBuf,
}

/// What `bench live` measures when no `--source` is given.
const DEFAULT_SOURCES: [&str; 2] = ["lavfi:testsrc=size=640x480:rate=30", "scene:bounce?size=640x480&fps=30"];

#[derive(Serialize)]
struct Row {
    source: String,
    horizon: usize,
    device: String,
    seconds: f64,
    stats: Stats,
    cpu_percent: f64,
    rss_mb: f64,
}

pub fn run(args: &LiveArgs) -> Result<()> {
    if !(args.seconds >= 5.0 && args.seconds <= 7200.0) {
        anyhow::bail!("--seconds must be between 5 and 7200, got {}", args.seconds);
    }
    let sources: Vec<&str> = match args.sources.is_empty() {
        true => DEFAULT_SOURCES.to_vec(),
        false => args.sources.iter().map(String::as_str).collect(),
    };
    let mut rows = Vec::new();
    for (source, horizon) in sources.iter().flat_map(|s| args.horizons.iter().map(move |h| (*s, *h))) {
        let mut cfg = SessionConfig::new(Some(source), args.model.clone());
        cfg.device = augur_model::DeviceChoice::parse(&args.device)?;
        cfg.horizon = Some(horizon);
        let session = Session::start(cfg)?;
        let device = session.device_name();
        eprintln!("augur: {source}, horizon {horizon}, for {} s", args.seconds);
        let (t0, c0) = (Instant::now(), cpu_ticks());
        std::thread::sleep(Duration::from_secs_f64(args.seconds));
        let stats = session.stats();
        if stats.prediction_hz <= 0.0 {
            // Say whose fault it was: a source that delivered nothing, or a model that failed.
            let why = match (session.model_error(), session.status()) {
                (Some(e), _) => e,
                (None, SourceStatus::Retrying { error, .. }) => format!("the source failed: {error}"),
                (None, SourceStatus::Ended) => "the source ended before the model had seen enough frames".into(),
                (None, SourceStatus::Starting) => "the source delivered no frame".into(),
                (None, SourceStatus::Running { .. }) => "no error reported".into(),
            };
            anyhow::bail!("{source}: the model made no prediction in {} s ({why}); no table written", args.seconds);
        }
        let cpu = (cpu_ticks() - c0) as f64 / 100.0 / t0.elapsed().as_secs_f64() * 100.0;
        rows.push(Row {
            source: source.into(),
            horizon,
            device,
            seconds: args.seconds,
            stats,
            cpu_percent: cpu,
            rss_mb: rss_mb(),
        });
        drop(session);
    }
    // Which device made the figures (with --device auto, a GPU or the CPU).
    let mut devices: Vec<&str> = rows.iter().map(|r| r.device.as_str()).collect();
    devices.dedup();
    let mut md = format!(
        "# Live session benchmark (headless)\n\nModel `{}`, {} s per source, on {}; the model on {}.\n\n",
        args.model.display(),
        args.seconds,
        augur_model::train::machine(),
        devices.join(", ")
    );
    md.push_str("| source | H | preview fps | predictions Hz | step ms | latency p50 / p99 ms | model skipped | lost | CPU % | RSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &rows {
        let s = &r.stats;
        md.push_str(&format!(
            "| `{}` | {} | {:.1} | {:.1} | {:.0} | {:.0} / {:.0} | {} of {} | {} | {:.0} | {:.0} |\n",
            r.source,
            r.horizon,
            s.preview_fps,
            s.prediction_hz,
            s.step_ms,
            s.latency_p50_ms,
            s.latency_p99_ms,
            s.model_skipped,
            s.frames,
            s.source_dropped,
            r.cpu_percent,
            r.rss_mb
        ));
    }
    md.push_str("\nThe model always takes the newest frame, so frames it was too busy for are skipped by design; \"lost\" counts frames the capture thread never saw.\n");
    print!("{md}");
    crate::folder::write(&args.out.join("live.md"), &md)?;
    crate::folder::write(&args.out.join("live.json"), serde_json::to_string_pretty(&rows)?)?;
    Ok(())
}

fn cpu_ticks() -> u64 {
    crate::measure::cpu_ticks(None).unwrap_or(0)
}

fn rss_mb() -> f64 {
    crate::measure::memory_mb(None, "VmRSS").unwrap_or(f64::NAN)
}
