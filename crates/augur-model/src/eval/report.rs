//! One evaluation, end to end, for `augur eval` and the headless GPU tool alike: the horizon
//! tables on held-out scenes and real footage, violation of expectation, the markdown and JSON
//! reports and the surprise plots.

use std::fmt::Write as _;
use std::path::Path;

use augur_capture::scene::Violation;
use burn::tensor::Device;
use serde::Serialize;

use super::probe::{ProbeReport, ball_probe};
use super::voe::{
    Balanced, Quadruplet, SOLIDITY_FLOORS, VIOLATION_AT, VoeReport, continuity_quadruplet, hearing_triplet,
    permanence_quadruplet, solidity_quadruplet, voe, voe_clip_len, voe_pair,
};
use super::{HorizonTable, clip_surprise, held_out_scenes, horizon_table, surprise_trace, window_starts};
use crate::data::{Clip, HELD_OUT_SEEDS, Reel};
use crate::plot::{Series, line_plot};
use crate::{ModelConfig, ModelError, WorldModel};

/// How much to evaluate.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Held-out scene clips for the horizon table.
    pub clips: usize,
    /// Windows per real footage.
    pub windows: usize,
    /// Possible/impossible pairs (a third as many balanced quadruplets of each kind come along).
    pub pairs: usize,
    /// Rollout horizon.
    pub horizon: usize,
}

/// What the name of footage's table scored with its sound ends in.
pub const HEARD: &str = "with its sound";

/// Real footage to score: its name as given and its episodes, frames at model size.
pub struct Footage {
    /// As given (`file:…`, a frames file's source).
    pub name: String,
    /// Runs of consecutive frames, with their sound when they have one; windows never cross
    /// from one to the next.
    pub episodes: Vec<Reel>,
}

/// What an evaluation measured.
#[derive(Clone, Debug, Serialize)]
pub struct Scores {
    /// Held-out scenes.
    pub scenes: HorizonTable,
    /// One table per footage.
    pub real: Vec<HorizonTable>,
    /// Violation of expectation.
    pub voe: VoeReport,
    /// Where the ball is, read from the latents (real and predicted) by their nearest reference
    /// frames (`eval/probe.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeReport>,
}

/// An evaluation as written to eval.json and stored in a model card.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The model as given.
    pub model: String,
    /// The device it ran on.
    pub device: String,
    /// The command line that made it.
    pub command: String,
    /// The figures.
    #[serde(flatten)]
    pub scores: Scores,
}

/// Scores `model` on held-out scenes, each footage and generated violation-of-expectation
/// clips. `progress(stage, done, total)`: `done` 0 as each stage starts, then each pair and
/// quadruplet of the violation-of-expectation stage, the long one.
pub fn evaluate(
    model: &WorldModel,
    cfg: &ModelConfig,
    plan: &Plan,
    footage: &[Footage],
    device: &Device,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Scores, ModelError> {
    let (c, s, horizon) = (cfg.context, cfg.image_size, plan.horizon);
    // Fading judges step k by the rollout drawn k frames before, so clips start `horizon`
    // frames early (held_out_scenes keeps the scored frames the same; real windows are placed
    // the same with and without fading).
    let lead = horizon;
    progress(&format!("held-out scenes ({} clips)", plan.clips), 0, 1);
    let clips = held_out_scenes(plan.clips, lead, c + horizon, s)?;
    let scenes = horizon_table(model, cfg, "held-out scenes (seeds >= 2^40)", &clips, None, horizon, device)?;
    let mut real = Vec::new();
    for f in footage {
        let per = plan.windows.div_ceil(f.episodes.len().max(1));
        let needs = lead + c + horizon;
        let windows: Vec<Clip> = f
            .episodes
            .iter()
            .flat_map(|e| window_starts(e.frames.len(), needs, per).into_iter().map(|at| e.clip(at, needs)))
            .take(plan.windows)
            .collect();
        if windows.is_empty() {
            let longest = f.episodes.iter().map(|e| e.frames.len()).max().unwrap_or(0);
            let why = format!("at most {longest} frames in a row, fewer than the {needs} one window needs");
            return Err(ModelError::BadData { given: f.name.clone(), why });
        }
        progress(&format!("{} ({} windows)", f.name, windows.len()), 0, 1);
        let pixels: Vec<Vec<f32>> = windows.iter().map(|w| w.pixels.clone()).collect();
        real.push(horizon_table(model, cfg, &f.name, &pixels, None, horizon, device)?);
        // Footage with sound is scored again as heard: the pictures-alone table stays
        // comparable with cards from before the encoders heard real clips.
        let mels = model.online.mels();
        if mels > 0 && windows.iter().any(|w| w.sound.is_some()) {
            let silent = crate::audio::silent_features(needs, mels);
            let heard: Vec<Vec<f32>> = windows.iter().map(|w| w.mels(mels).unwrap_or_else(|| silent.clone())).collect();
            progress(&format!("{} with its sound ({} windows)", f.name, windows.len()), 0, 1);
            let name = format!("{} {HEARD}", f.name);
            real.push(horizon_table(model, cfg, &name, &pixels, Some(&heard), horizon, device)?);
        }
    }
    // The probe reads by twelve times as many one-ball reference scenes as it scores.
    progress(&format!("where the ball is, read from the latents ({} scenes)", plan.clips), 0, 1);
    let probe = Some(ball_probe(model, cfg, 12 * plan.clips, plan.clips, horizon, device)?);
    let pairs = "violation of expectation: pairs and quadruplets";
    let voe = voe(model, plan.pairs, voe_clip_len(c), VIOLATION_AT, c, s, device, |done, total| {
        progress(pairs, done, total)
    })?;
    Ok(Scores { scenes, real, voe, probe })
}

/// Writes `eval.md`, `eval.json`, the surprise plots (`voe-*.png`) and the filmstrip of
/// rollouts (`rollouts.png`) into `out`; returns the markdown.
pub fn write_report(
    report: &Report,
    model: &WorldModel,
    cfg: &ModelConfig,
    out: &Path,
    device: &Device,
) -> Result<String, ModelError> {
    std::fs::create_dir_all(out).map_err(ModelError::io("cannot create", out))?;
    plot_examples(model, out, cfg, device)?;
    let horizon = report.scores.scenes.rows.len();
    super::rollout_filmstrip(model, cfg, horizon, &out.join("rollouts.png"), device)?;
    let md = markdown(report);
    std::fs::write(out.join("eval.md"), &md).map_err(ModelError::io("cannot write", out.join("eval.md")))?;
    let path = out.join("eval.json");
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other);
    json.and_then(|j| std::fs::write(&path, j)).map_err(ModelError::io("cannot write", &path))?;
    Ok(md)
}

fn probe_table(md: &mut String, p: &ProbeReport) {
    let _ = writeln!(
        md,
        "\n### Where the ball is, read from the latents ({} one-ball scenes scored)\n\nThe ball's centre in the {} nearest of {} reference frames (from {} other held-out one-ball scenes; nearest by the target encoder's video tokens less each clip's mean over its context, so the scene's colours do not decide), read from the predicted latents and from the real frame's latents, with no decoder in the way. Distances in pixels at model size; saying \"the mean position\" misses by {:.1} px. `share of the move`: how far the ball read from the prediction moved along its real move since the last seen frame (1 = all the way, 0 = left where it was), over the clips where it moved 2 px or more.\n",
        p.rows.first().map_or(0, |r| r.clips),
        p.neighbours,
        p.reference_frames,
        p.reference_clips,
        p.mean_position_px
    );
    md.push_str("| step | clips | predicted latents, px | true latents, px | copy-last (it stays), px | share of the move |\n|---|---|---|---|---|---|\n");
    for r in &p.rows {
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.step, r.clips, r.predicted_px, r.true_latents_px, r.copy_last_px, r.share_of_move
        );
    }
}

fn table(md: &mut String, t: &HorizonTable) {
    let _ = writeln!(md, "\n### {} ({} clips)\n", t.data, t.clips);
    if t.data.ends_with(HEARD) {
        md.push_str("The same windows, with the encoders hearing the clip's sound (each frame the 1/fps s up to it, as the live view hears a microphone); the table above scored the pictures alone, with silence.\n\n");
    }
    md.push_str("| step | MSE model | MSE copy-last | model / copy | PSNR model | PSNR copy | SSIM model | SSIM copy | latent error | latent copy-last | painted | true latents drawn / copy |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &t.rows {
        let painted = r.painted.map_or_else(|| "all".to_string(), |p| format!("{:.1} %", 100.0 * p));
        let _ = writeln!(
            md,
            "| {} | {:.5} | {:.5} | {} | {:.2} | {:.2} | {:.3} | {:.3} | {:.4} | {:.4} | {painted} | {} |",
            r.step,
            r.mse,
            r.copy_mse,
            of_copy(r.mse, r.copy_mse),
            r.psnr,
            r.copy_psnr,
            r.ssim,
            r.copy_ssim,
            r.latent_error,
            r.copy_latent_error,
            of_copy(r.truth_decoded_mse, r.copy_mse)
        );
    }
    md.push_str("\n`latent copy-last`: the latent error of saying nothing changes (the last frame's target latents). `painted`: the share of the predicted frame the decoder drew itself; the rest is the last observed frame, kept (or moved, for a decoder that warps). `true latents drawn`: the decoder drawing the target encoder's latents of the real frame from the same last frame, unfaded: what a perfect predictor would show through this decoder. Where it is close to `model / copy`, the decoder limits the predictions; where it is far below, the predictor does.\n");
}

/// The report as markdown: the horizon tables, then violation of expectation.
pub fn markdown(r: &Report) -> String {
    let mut md = format!("## Evaluation of {}\n\nDevice: {}. Command: `{}`\n", r.model, r.device, r.command);
    table(&mut md, &r.scores.scenes);
    for t in &r.scores.real {
        table(&mut md, t);
    }
    if let Some(p) = &r.scores.probe {
        probe_table(&mut md, p);
    }
    let v = &r.scores.voe;
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
        "\n#### Object permanence, balanced ({} quadruplets of one-ball scenes{})\n\nThe ball seen throughout and never seen (possible), vanishing behind the occluder and appearing behind it (impossible): every frame is in one possible and one impossible clip, so only memory of the hidden ball tells them apart (IntPhys's design). Scored from the frame after the violation (all four show the same frame at it). Won when the impossible clips' peaks add up to more; a tie counts half, so a signal that cannot tell them apart scores 50 %.\n",
        v.permanence.quadruplets,
        match v.permanence.skipped {
            0 => String::new(),
            n => format!("; {n} seeds passed over because their clips did not part"),
        }
    );
    balanced_table(&mut md, &v.permanence);
    let _ = writeln!(
        md,
        "\n#### Continuity, balanced ({} quadruplets of one-ball scenes; {} seeds passed over because the ball did not get clear of the first bar in time)\n\nThe same four clips with a second bar where the ball is a little later: the vanishing ball comes out of the second bar without crossing the gap, the appearing one goes behind it for good. Peaks are taken between the bars and after the second bar (each from the frame after a bar, as above) and added up, each stretch balanced on its own (IntPhys's continuity design); the window is each stretch's first {} frames.\n",
        v.continuity.quadruplets, v.continuity.skipped, v.window_frames
    );
    balanced_table(&mut md, &v.continuity);
    let [high, low] = SOLIDITY_FLOORS;
    let _ = writeln!(
        md,
        "\n#### Solidity, balanced ({} quadruplets of one-ball scenes without the occluder; {} seeds passed over because the ball lands within the first {} frames or not at all)\n\nTwo floors, {high} and {low} of the frame high: the ball bouncing on the high floor and on the low one (possible), sinking into the high floor and bouncing off the air above the low one (impossible). Each motion is shown on both floors and each floor with both motions, so only where the ball turns back, against where the floor is drawn, tells them apart. Scored from the first bounce (before it each floor's two clips are the same frames).\n",
        v.solidity.quadruplets,
        v.solidity.skipped,
        v.window_frames + 1
    );
    balanced_table(&mut md, &v.solidity);
    let _ = writeln!(
        md,
        "\n#### Hearing a bounce, balanced ({} tests of one-ball scenes with sound, no occluder; {} seeds passed over for want of a quiet stretch and a bounce after it)\n\nThe scene as it sounds, each contact knocking (possible, on both sides of the balance); its first bounce after a quiet stretch made silent, and that bounce's own knock on the quiet frame with nothing touching (impossible). Both sides hold the same pictures and the very same knock once, so only knowing that a bounce is heard when it is seen tells them apart. Scored by the surprise of each event's frame and the two after it, added up (whole), and of the event's frame alone (window): added, not the peak, since a peak would hide a knock under the bounce's own visual surprise a frame later. The copy-last pixel change sees identical pictures: a tie, 50 %.\n",
        v.hearing.quadruplets, v.hearing.skipped
    );
    balanced_table(&mut md, &v.hearing);
    md
}

/// A balanced design's three signals and the latent surprise's margin.
fn balanced_table(md: &mut String, b: &Balanced) {
    signal_table(md, [b.accuracy, b.pixel_accuracy, b.change_accuracy]);
    margin_line(md, b.margin, b.clear_wins);
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

/// `mse` as a share of copy-last's, or "–" where copying the last frame is (about) perfect:
/// a still clip would otherwise read as a ratio in the billions.
fn of_copy(mse: f64, copy_mse: f64) -> String {
    if copy_mse > 1e-9 { format!("{:.2}", mse / copy_mse) } else { "–".into() }
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

/// One possible/impossible surprise trace per violation kind, the four traces of one
/// permanence, one continuity and one solidity quadruplet, and the three of a hearing test, as PNG.
fn plot_examples(model: &WorldModel, out: &Path, cfg: &ModelConfig, device: &Device) -> Result<(), ModelError> {
    let (c, s, at) = (cfg.context, cfg.image_size, VIOLATION_AT);
    let len = voe_clip_len(c);
    let seed = HELD_OUT_SEEDS + 999;
    for v in Violation::ALL {
        let (possible, impossible) = voe_pair(seed, 1, v, at, len, s)?;
        let mut series = Vec::new();
        for (label, clip) in [("possible", &possible), ("impossible", &impossible)] {
            let trace = surprise_trace(model, clip, None, len, c, s, device)?;
            series.push(Series {
                label,
                points: trace.latent.iter().enumerate().map(|(i, &y)| ((c + i) as f64, f64::from(y))).collect(),
            });
        }
        let title = format!("surprise: {} at frame {at}", v.name());
        line_plot(&title, "frame", &series, false, &out.join(format!("voe-{}.png", v.name())))?;
    }
    let four = |clips: &Quadruplet, title: &str, labels: [&'static str; 2], name: &str| {
        plot_four(model, clips, title, labels, &out.join(name), cfg, device)
    };
    let hidden = ["possible: seen and never seen", "impossible: vanishing and appearing"];
    four(
        &permanence_quadruplet(seed, at, len, s)?,
        &format!("surprise, balanced permanence: the bar at frame {at}"),
        hidden,
        "voe-permanence-4.png",
    )?;
    for seed in seed..seed + 100 {
        if let Some((rejoin, clips)) = continuity_quadruplet(seed, at, len, c, s)? {
            let title = format!("surprise, balanced continuity: bars at frames {at} and {rejoin}");
            four(&clips, &title, hidden, "voe-continuity-4.png")?;
            break;
        }
    }
    for seed in seed..seed + 100 {
        if let Some((bounce, clips)) = solidity_quadruplet(seed, at, len, c, s)? {
            let title = format!("surprise, balanced solidity: first bounce at frame {bounce}");
            let labels = ["possible: bouncing on either floor", "impossible: sinking in and bouncing above"];
            four(&clips, &title, labels, "voe-solidity-4.png")?;
            break;
        }
    }
    for seed in seed..seed + 100 {
        let Some((q, bounce, clips)) = hearing_triplet(seed, len, c, s)? else { continue };
        let mut series = Vec::new();
        // The clip as heard last, on top: the impossible ones show where they part from it.
        let [heard, muted, knocked] = clips;
        let labels = ["impossible: the bounce silent", "impossible: a knock, nothing hits", "as heard"];
        for (label, clip) in labels.into_iter().zip([&muted, &knocked, &heard]) {
            let trace = clip_surprise(model, clip, c, s, device)?;
            let points = trace.latent.iter().enumerate().map(|(i, &y)| ((c + i) as f64, f64::from(y))).collect();
            series.push(Series { label, points });
        }
        let title = format!("surprise, hearing: a knock at frame {q}, a bounce at frame {bounce}");
        line_plot(&title, "frame", &series, false, &out.join("voe-hearing.png"))?;
        break;
    }
    Ok(())
}

/// The latent surprise of a quadruplet's two possible clips added up frame by frame, against
/// its two impossible ones' (`labels` name both): the design balances what either side shows
/// (each frame, or for solidity each motion and each floor), so the two curves part only where
/// the model knows which is which.
fn plot_four(
    model: &WorldModel,
    clips: &Quadruplet,
    title: &str,
    labels: [&'static str; 2],
    path: &Path,
    cfg: &ModelConfig,
    device: &Device,
) -> Result<(), ModelError> {
    let (c, s) = (cfg.context, cfg.image_size);
    let len = voe_clip_len(c);
    let mut traces = Vec::new();
    for clip in clips {
        traces.push(surprise_trace(model, clip, None, len, c, s, device)?.latent);
    }
    let sum = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).enumerate().map(|(i, (x, y))| ((c + i) as f64, f64::from(x + y))).collect()
    };
    let series = [
        Series { label: labels[0], points: sum(&traces[0], &traces[1]) },
        Series { label: labels[1], points: sum(&traces[2], &traces[3]) },
    ];
    line_plot(title, "frame", &series, false, path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_perfect_copy_last_has_no_ratio() {
        assert_eq!(super::of_copy(0.5, 1.0), "0.50");
        assert_eq!(super::of_copy(1e-3, 0.0), "–");
        assert_eq!(super::of_copy(1e-3, 1e-12), "–");
    }
}
