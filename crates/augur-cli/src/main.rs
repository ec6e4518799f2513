//! `augur`: Augur's command line. Everything the app does can be driven from here, headless.

mod bench;
mod bench_live;
mod bench_record;
mod bench_window;
mod dataset;
mod devices;
mod eval;
mod folder;
mod gpu_info;
mod heat;
mod keys;
mod measure;
mod pad;
mod predict;
mod probe;
mod record;
mod run;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Augur: a live lab for world models. Point a camera and a microphone at the world and see
/// what the model expects to happen next.
///
/// Sources are named the same way everywhere:
///   camera:0   camera:/dev/video0?size=1280x720&fps=30&pix=yuyv422
///   file:clip.mp4?loop=1&pace=fast   lavfi:testsrc=size=320x240:rate=30
///   scene:bounce?seed=7&size=640x480&balls=3&noise=0.02&violation=vanish&at=30
///   dataset:my-dataset?episode=3   (a recorded episode, played back like a file)
///   mic:default   mic:1   audiofile:speech.wav
#[derive(Parser)]
#[command(name = "augur", version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List cameras, microphones and GPU adapters.
    Devices(devices::Args),
    /// Open a source and measure it: negotiated format, frame rate, dropped frames,
    /// capture-to-consumer latency, CPU use, audio level.
    ///
    /// Example: augur probe lavfi:testsrc=size=1280x720:rate=30 --seconds 10
    #[command(verbatim_doc_comment)]
    Probe(probe::Args),
    /// Create the shared GPU device, run a burn op on it and check it against the CPU.
    GpuInfo(gpu_info::Args),
    /// Start Augur's main job: the live view on the default camera (or the built-in scene when
    /// there is no camera), in the app window when there is a display, headless otherwise.
    Run(run::Args),
    /// Train or fine-tune a world model (progress, checkpoints, loss curve, --resume).
    Train(train::Args),
    /// Score a model: per-horizon MSE/PSNR/SSIM vs copy-last-frame, latent error,
    /// violation-of-expectation accuracy; writes markdown and JSON.
    Eval(eval::Args),
    /// Run a model over a source; write per-step inputs, predicted frames, error heatmaps,
    /// latents and a side-by-side MP4 (truth | prediction | error).
    Predict(predict::Args),
    /// Record episodes (camera, microphone, keys) into a LeRobot v3 dataset, crash-safely.
    ///
    /// Example: augur record --source camera:0 --mic default --out my-dataset --task "pour water"
    ///          --episodes 3 --episode-seconds 20 --action-keys space,left,right --keys-from stdin
    #[command(verbatim_doc_comment)]
    Record(record::Args),
    /// Look after datasets: info, validate, repair (after a crash), stats.
    Dataset(dataset::Args),
    /// Benchmarks that print figures and write bench/results/*.md and *.json.
    Bench(bench::Args),
}

/// Mesa's Vulkan device-select layer asks Wayland for a display whenever adapters are listed,
/// and libwayland prints an "error:" line for each try when `XDG_RUNTIME_DIR` is unset (a
/// headless server). Augur picks its adapter itself, so there the layer is turned off by
/// starting this program again with `NODEVICE_SELECT=1` (setting a variable in a running
/// program needs `unsafe`). Returns only where that cannot be done; it goes on as it is.
#[cfg(target_os = "linux")]
fn without_device_select_layer() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() || std::env::var_os("NODEVICE_SELECT").is_some() {
        return;
    }
    if let Ok(me) = std::env::current_exe() {
        let _ = std::process::Command::new(me).args(std::env::args_os().skip(1)).env("NODEVICE_SELECT", "1").exec();
    }
}

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    without_device_select_layer();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Devices(a) => devices::run(&a),
        Command::Probe(a) => probe::run(&a),
        Command::GpuInfo(a) => gpu_info::run(&a),
        Command::Run(a) => run::run(&a),
        Command::Train(a) => train::run(&a),
        Command::Eval(a) => eval::run(&a),
        Command::Predict(a) => predict::run(&a),
        Command::Record(a) => record::run(&a),
        Command::Dataset(a) => dataset::run(&a),
        Command::Bench(a) => bench::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("augur: error: {}", said_once(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes, each said once: Augur's errors name their cause in their own
/// message, so anyhow's chain (`{:#}`) would repeat it ("File exists: File exists").
fn said_once(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::AlreadyExists, "File exists (os error 17)");
        let e = anyhow::Error::new(augur_model::ModelError::Io {
            action: "cannot create",
            path: "afile".into(),
            source: io,
        })
        .context("cannot write the report");
        assert_eq!(super::said_once(&e), "cannot write the report: cannot create afile: File exists (os error 17)");
    }
}
