//! `augur eval`: score a model per horizon step against copy-last-frame on held-out scenes and
//! real clips, and its violation-of-expectation accuracy; print and write markdown + JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Result, bail};
use augur_model::eval::{
    HorizonTable, VIOLATION_AT, VoeReport, file_windows, held_out_scenes, horizon_table, surprise_trace, voe,
    voe_clip_len,
};
use augur_model::plot::{Series, line_plot};
use augur_model::{DeviceChoice, checkpoint, data, pick_device};
use serde::Serialize;

/// Evaluate a world model.
///
/// Example: augur eval --model models/bounce-64 --data file:/usr/share/doc/opencv-doc/examples/data/Megamind.avi
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The model (`name`, `name.safetensors` or `name.json`).
    #[arg(long)]
    model: PathBuf,
    /// Real clips to score besides the held-out scenes (`file:…`), repeatable.
    #[arg(long = "data")]
    data: Vec<String>,
    /// Held-out scene clips for the horizon table.
    #[arg(long, default_value_t = 64)]
    clips: usize,
    /// Windows per real clip.
    #[arg(long, default_value_t = 32)]
    windows: usize,
    /// Possible/impossible pairs for violation of expectation (a third as many balanced
    /// permanence quadruplets, and as many continuity ones, come with them).
    #[arg(long, default_value_t = 240)]
    pairs: usize,
    /// Rollout horizon (default: the model's).
    #[arg(long)]
    horizon: Option<usize>,
    /// Where to write eval.md, eval.json and surprise plots (default: beside the model).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Store the results in the model's card.
    #[arg(long)]
    write_card: bool,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    device: String,
}

#[derive(Serialize)]
struct Report {
    model: String,
    device: String,
    command: String,
    scenes: HorizonTable,
    real: Vec<HorizonTable>,
    voe: VoeReport,
}

pub fn run(args: &Args) -> Result<()> {
    let device = pick_device(&DeviceChoice::parse(&args.device)?)?;
    if let Some(notice) = &device.notice {
        eprintln!("augur: {notice}");
    }
    let (model, mut card) = checkpoint::load(&args.model, &device.device)?;
    let cfg = card.config.clone();
    let horizon = args.horizon.unwrap_or(cfg.horizon);
    if horizon == 0 || horizon > cfg.max_horizon {
        bail!("--horizon must be 1 to {} for this model", cfg.max_horizon);
    }
    let (c, s) = (cfg.context, cfg.image_size);
    eprintln!("augur: evaluating {} on {}", args.model.display(), device.name);

    // Fading judges step k by the rollout drawn k frames before, so clips start `horizon`
    // frames early (held_out_scenes keeps the scored frames the same; real windows are placed
    // the same with and without fading).
    let lead = horizon;
    let clips = held_out_scenes(args.clips, lead, c + horizon, s)?;
    let scenes = horizon_table(&model, &cfg, "held-out scenes (seeds >= 2^40)", &clips, horizon, &device.device)?;
    let mut real = Vec::new();
    for given in &args.data {
        let episodes = match data::ClipSource::open(given, s)? {
            data::ClipSource::Video { frames, .. } => vec![frames],
            data::ClipSource::Episodes { episodes, .. } => episodes,
            data::ClipSource::Scene(_) => {
                bail!("--data takes real clips (file:…, dataset:…); scenes are always evaluated")
            }
        };
        let per = args.windows.div_ceil(episodes.len().max(1));
        let windows: Vec<_> =
            episodes.iter().flat_map(|f| file_windows(f, lead + c + horizon, per)).take(args.windows).collect();
        if windows.is_empty() {
            let longest = episodes.iter().map(Vec::len).max().unwrap_or(0);
            let needs = lead + c + horizon;
            bail!("{given} has at most {longest} frames in a row, fewer than the {needs} one window needs");
        }
        real.push(horizon_table(&model, &cfg, given, &windows, horizon, &device.device)?);
    }
    let (len, at) = (voe_clip_len(c), VIOLATION_AT);
    let report_voe = voe(&model, args.pairs, len, at, c, s, &device.device, |done, total| {
        if done % 20 == 0 || done == total {
            eprint!("\rviolation of expectation: pairs and quadruplets {done}/{total}");
            let _ = std::io::stderr().flush();
        }
    })?;
    eprintln!();

    let out = args.out.clone().unwrap_or_else(|| checkpoint::paths(&args.model).0.with_extension("eval"));
    std::fs::create_dir_all(&out)?;
    plot_examples(&model, &out, len, at, c, s, &device.device)?;
    let report = Report {
        model: args.model.display().to_string(),
        device: device.name.clone(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        scenes,
        real,
        voe: report_voe,
    };
    let md = markdown(&report);
    print!("{md}");
    std::fs::write(out.join("eval.md"), &md)?;
    std::fs::write(out.join("eval.json"), serde_json::to_string_pretty(&report)?)?;
    println!("\nwritten: {}/eval.md, eval.json, voe-*.png", out.display());
    if args.write_card {
        card.eval = Some(serde_json::to_value(&report)?);
        checkpoint::save_card(&card, &args.model)?;
        println!("stored in the card of {}", args.model.display());
    }
    Ok(())
}

fn table(md: &mut String, t: &HorizonTable) {
    let _ = writeln!(md, "\n### {} ({} clips)\n", t.data, t.clips);
    md.push_str("| step | MSE model | MSE copy-last | model / copy | PSNR model | PSNR copy | SSIM model | SSIM copy | latent error | painted |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &t.rows {
        let painted = r.painted.map_or_else(|| "all".to_string(), |p| format!("{:.1} %", 100.0 * p));
        let _ = writeln!(
            md,
            "| {} | {:.5} | {:.5} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.4} | {painted} |",
            r.step,
            r.mse,
            r.copy_mse,
            r.mse / r.copy_mse.max(1e-12),
            r.psnr,
            r.copy_psnr,
            r.ssim,
            r.copy_ssim,
            r.latent_error
        );
    }
    md.push_str("\n`painted`: the share of the predicted frame the decoder drew itself; the rest is the last observed frame, kept (or moved, for a decoder that warps).\n");
}

fn markdown(r: &Report) -> String {
    let mut md = format!("## Evaluation of {}\n\nDevice: {}. Command: `{}`\n", r.model, r.device, r.command);
    table(&mut md, &r.scenes);
    for t in &r.real {
        table(&mut md, t);
    }
    let v = &r.voe;
    let _ = writeln!(
        md,
        "\n### Violation of expectation ({} pairs scored, {} skipped because the violation did not show within {} frames)\n",
        v.pairs,
        v.skipped_identical,
        voe_clip_len(v.window_frames)
    );
    let _ = writeln!(
        md,
        "Peaks compared from the violation frame to the clip's end, and over the {} frames from the first frame where the clips differ (the predictions that can see the violation).\n",
        v.window_frames
    );
    signal_table(
        &mut md,
        [
            [v.accuracy, v.window_accuracy],
            [v.pixel_accuracy, v.window_pixel_accuracy],
            [v.change_accuracy, v.window_change_accuracy],
        ],
    );
    md.push_str("\n| violation | pairs | latent, whole clip | latent, first frames |\n|---|---|---|---|\n");
    for ((kind, n, acc), (_, _, near)) in v.by_kind.iter().zip(&v.window_by_kind) {
        let _ = writeln!(md, "| {kind} | {n} | {:.1} % | {:.1} % |", 100.0 * acc, 100.0 * near);
    }
    let _ = writeln!(
        md,
        "\n#### Object permanence, balanced ({} quadruplets of one-ball scenes)\n\nThe ball seen throughout and never seen (possible), vanishing behind the occluder and appearing behind it (impossible): every frame is in one possible and one impossible clip, so only memory of the hidden ball tells them apart (IntPhys's design). Scored from the frame after the violation (all four show the same frame at it). Won when the impossible clips' peaks add up to more; a tie counts half, so a signal that cannot tell them apart scores 50 %.\n",
        v.quadruplets
    );
    signal_table(&mut md, [v.quadruplet_accuracy, v.quadruplet_pixel_accuracy, v.quadruplet_change_accuracy]);
    margin_line(&mut md, v.quadruplet_margin, v.quadruplet_clear_wins);
    let _ = writeln!(
        md,
        "\n#### Continuity, balanced ({} quadruplets of one-ball scenes; {} seeds passed over because the ball did not get clear of the first bar in time)\n\nThe same four clips with a second bar where the ball is a little later: the vanishing ball comes out of the second bar without crossing the gap, the appearing one goes behind it for good. Peaks are taken between the bars and after the second bar (each from the frame after a bar, as above) and added up, each stretch balanced on its own (IntPhys's continuity design); the window is each stretch's first {} frames.\n",
        v.continuity_quadruplets, v.continuity_skipped, v.window_frames
    );
    signal_table(&mut md, [v.continuity_accuracy, v.continuity_pixel_accuracy, v.continuity_change_accuracy]);
    margin_line(&mut md, v.continuity_margin, v.continuity_clear_wins);
    md
}

/// How big the latent surprise's difference between impossible and possible clips is: the
/// accuracy counts a win by 0.001 % like one by 50 %.
fn margin_line(md: &mut String, margin: [f64; 2], clear: [f64; 2]) {
    let _ = writeln!(
        md,
        "\nMargin of the latent surprise, (impossible − possible) / possible, median over quadruplets: {:+.2} % whole clip, {:+.2} % window; won by more than 1 %: {:.1} % and {:.1} % of quadruplets.",
        100.0 * margin[0],
        100.0 * margin[1],
        100.0 * clear[0],
        100.0 * clear[1]
    );
}

/// Accuracy of the three surprise signals (latent, decoded pixels, copy-last change), each over
/// the whole clip and over the first frames after the clips differ.
fn signal_table(md: &mut String, rows: [[f64; 2]; 3]) {
    md.push_str("| surprise signal | whole clip | first frames after they differ |\n|---|---|---|\n");
    let names = [
        "model latent error (Augur's surprise)",
        "model decoded pixel error",
        "copy-last-frame pixel change (no model)",
    ];
    for (name, [whole, near]) in names.into_iter().zip(rows) {
        let _ = writeln!(md, "| {name} | {:.1} % | {:.1} % |", 100.0 * whole, 100.0 * near);
    }
}

/// One possible/impossible surprise trace per violation kind, and the four traces of one
/// permanence and one continuity quadruplet, as PNG.
fn plot_examples(
    model: &augur_model::WorldModel,
    out: &std::path::Path,
    len: usize,
    at: u64,
    c: usize,
    s: usize,
    device: &burn::tensor::Device,
) -> Result<()> {
    use augur_capture::scene::Violation;
    for v in Violation::ALL {
        let (possible, impossible) = augur_model::eval::voe_pair(data::HELD_OUT_SEEDS + 999, 1, v, at, len, s)?;
        let mut series = Vec::new();
        for (label, clip) in [("possible", &possible), ("impossible", &impossible)] {
            let trace = surprise_trace(model, clip, len, c, s, device)?;
            series.push(Series {
                label,
                points: trace.latent.iter().enumerate().map(|(i, &y)| ((c + i) as f64, f64::from(y))).collect(),
            });
        }
        let title = format!("surprise: {} at frame {at}", v.name());
        line_plot(&title, "frame", &series, false, &out.join(format!("voe-{}.png", v.name())))?;
    }
    let seed = data::HELD_OUT_SEEDS + 999;
    let clips = augur_model::eval::permanence_quadruplet(seed, at, len, s)?;
    let title = format!("surprise, balanced permanence: the bar at frame {at}");
    plot_four(model, &clips, &title, &out.join("voe-permanence-4.png"), len, c, s, device)?;
    for seed in seed..seed + 100 {
        if let Some((rejoin, clips)) = augur_model::eval::continuity_quadruplet(seed, at, len, c, s)? {
            let title = format!("surprise, balanced continuity: bars at frames {at} and {rejoin}");
            plot_four(model, &clips, &title, &out.join("voe-continuity-4.png"), len, c, s, device)?;
            break;
        }
    }
    Ok(())
}

/// The latent surprise of a quadruplet's two possible clips (seen, never seen) added up frame
/// by frame, against its two impossible ones' (vanishing, appearing): the design shows each
/// frame once on either side, so the two curves part only where the model remembers.
#[allow(clippy::too_many_arguments)]
fn plot_four(
    model: &augur_model::WorldModel,
    clips: &augur_model::eval::Quadruplet,
    title: &str,
    path: &std::path::Path,
    len: usize,
    c: usize,
    s: usize,
    device: &burn::tensor::Device,
) -> Result<()> {
    let mut traces = Vec::new();
    for clip in clips {
        traces.push(surprise_trace(model, clip, len, c, s, device)?.latent);
    }
    let sum = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).enumerate().map(|(i, (x, y))| ((c + i) as f64, f64::from(x + y))).collect()
    };
    let series = [
        Series { label: "possible: seen and never seen", points: sum(&traces[0], &traces[1]) },
        Series { label: "impossible: vanishing and appearing", points: sum(&traces[2], &traces[3]) },
    ];
    line_plot(title, "frame", &series, false, path)?;
    Ok(())
}
