//! The export's dashboard image: the newest moment drawn by the scope (egui, offscreen on a
//! wgpu device) with each model's filmstrip, the surprise traces, the latent trajectory and the
//! rates: what the panels show, as one PNG to put in a report or a slide.

use std::path::Path;

use augur_scope::panels::{Dashboard, Filmstrip, Rates};
use augur_scope::plots::{MODEL_A, MODEL_B, Trace};
use augur_scope::{FrameTexture, Scope, egui};

use crate::timeline::Moment;
use crate::{EngineError, Stats};

/// What the dashboard shows besides the moments.
pub struct Context<'a> {
    /// The model's name, and the second model's in an A/B compare.
    pub models: [&'a str; 2],
    /// Latent trail and predicted branch on two principal components.
    pub trail: &'a [[f32; 2]],
    /// The predicted branch from the newest moment.
    pub branch: &'a [[f32; 2]],
    /// Rates when the export was made.
    pub stats: &'a Stats,
}

/// Renders the dashboard of `moments` (oldest first; the newest is shown) into `path`.
pub fn write(moments: &[Moment], size: usize, ctx: &Context<'_>, path: &Path) -> Result<(), EngineError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| EngineError::Usage(format!("dashboard image: {what}: {e}"));
    let last = moments.last().ok_or_else(|| EngineError::Usage("dashboard image: no moments".into()))?;
    let gpu =
        augur_gpu::GpuContext::new(augur_gpu::AdapterChoice::PreferHardware).map_err(|e| fail("no GPU device", &e))?;
    let mut scope = Scope::new(&gpu);
    let (seen, error, predicted) = textures(&mut scope, "a", size, &last.input, &last.heatmap, &last.predicted)
        .map_err(|e| fail("a frame", &e))?;
    let b = match &last.compare {
        Some(c) => Some(
            textures(&mut scope, "b", c.size, &c.input, &c.heatmap, &c.predicted).map_err(|e| fail("a frame", &e))?,
        ),
        None => None,
    };
    let label_a = format!("A: {}", ctx.models[0]);
    let label_b = format!("B: {}", ctx.models[1]);
    let mut strips = vec![Filmstrip { label: &label_a, seen, error, predicted: &predicted, colour: MODEL_A }];
    if let Some((seen, error, predicted)) = &b {
        strips.push(Filmstrip { label: &label_b, seen: *seen, error: *error, predicted, colour: MODEL_B });
    }
    let a: Vec<f32> = moments.iter().map(|m| m.surprise).collect();
    let bs: Vec<f32> = moments.iter().map(|m| m.compare.as_ref().map_or(f32::NAN, |c| c.surprise)).collect();
    let mut surprise = vec![Trace { values: &a, colour: MODEL_A }];
    if b.is_some() {
        surprise.push(Trace { values: &bs, colour: MODEL_B });
    }
    let s = ctx.stats;
    let title = format!("moment {} · {:.1} s", last.index, last.pts.as_secs_f64());
    let dashboard = Dashboard {
        title: &title,
        strips: &strips,
        surprise: &surprise,
        trail: ctx.trail,
        branch: ctx.branch,
        rates: Some(Rates {
            preview_fps: s.preview_fps as f32,
            prediction_hz: s.prediction_hz as f32,
            latency_ms: [s.latency_p50_ms as f32, s.latency_p99_ms as f32],
            skipped: s.model_skipped,
            lost: s.source_dropped,
        }),
    };
    let height = if b.is_some() { 440 } else { 330 };
    let image = scope
        .render(760, height, 1.0, |ui| {
            egui::CentralPanel::default().show(ui, |ui| augur_scope::panels::dashboard(ui, &dashboard));
        })
        .map_err(|e| fail("rendering", &e))?;
    image.write_png(path).map_err(|e| fail("writing", &e))
}

/// Uploads one model's tiles (`side × side` RGB each): what it saw, its error, its predictions.
fn textures(
    scope: &mut Scope,
    prefix: &str,
    side: usize,
    seen: &[u8],
    error: &[u8],
    predicted: &[u8],
) -> Result<(FrameTexture, FrameTexture, Vec<FrameTexture>), augur_scope::ScopeError> {
    let s = side as u32;
    let frames = predicted
        .chunks_exact(side * side * 3)
        .enumerate()
        .map(|(i, f)| scope.set_frame_texture(&format!("{prefix}{i}"), s, s, f))
        .collect::<Result<_, _>>()?;
    Ok((
        scope.set_frame_texture(&format!("{prefix}seen"), s, s, seen)?,
        scope.set_frame_texture(&format!("{prefix}error"), s, s, error)?,
        frames,
    ))
}
