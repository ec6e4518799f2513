//! The scope's dashboard of the newest moment: each model's filmstrip, the surprise traces, the
//! latent trajectory and the rates, drawn by egui offscreen on a wgpu device. The window shows it
//! live (its Scope view, with the page's pointer forwarded); every export writes it as
//! `dashboard.png`, and as `dashboard.mp4` with one frame per moment of the range.

use std::path::Path;

use augur_scope::panels::{Dashboard, Filmstrip, Rates};
use augur_scope::plots::{MODEL_A, MODEL_B, Trace, TraceView};
use augur_scope::{FrameTexture, RgbaImage, Scope, egui};

use crate::timeline::Moment;
use crate::{EngineError, Stats};

/// Everything the dashboard shows, gathered from a session at one time.
pub struct Snapshot {
    /// The newest moments, oldest first (the surprise traces); the last one is shown.
    pub moments: Vec<Moment>,
    /// The first model's input size.
    pub size: usize,
    /// The model's name, and the second model's in an A/B compare.
    pub models: [String; 2],
    /// Latent trail on two principal components.
    pub trail: Vec<[f32; 2]>,
    /// The predicted branch from the newest moment.
    pub branch: Vec<[f32; 2]>,
    /// Rates at the time.
    pub stats: Stats,
}

fn fail(what: &str, e: &dyn std::fmt::Display) -> EngineError {
    EngineError::Usage(format!("dashboard: {what}: {e}"))
}

impl Snapshot {
    /// Height that fits the dashboard at 760 wide: taller with a second filmstrip.
    pub fn height(&self) -> u32 {
        if self.moments.last().is_some_and(|m| m.compare.is_some()) { 440 } else { 330 }
    }

    /// Draws the dashboard with `scope` at `width × height`; `view` is the surprise plot's zoom
    /// and pan, which pointer input on the scope changes.
    pub fn render(
        &self,
        scope: &mut Scope,
        view: &mut TraceView,
        width: u32,
        height: u32,
    ) -> Result<RgbaImage, EngineError> {
        let at = At { moments: &self.moments, trail: &self.trail, branch: &self.branch, stats: Some(&self.stats) };
        self.draw(scope, view, width, height, &at)
    }

    fn draw(
        &self,
        scope: &mut Scope,
        view: &mut TraceView,
        width: u32,
        height: u32,
        at: &At<'_>,
    ) -> Result<RgbaImage, EngineError> {
        let last = at.moments.last().ok_or_else(|| EngineError::Usage("dashboard: no moments yet".into()))?;
        let (seen, error, predicted) = textures(scope, "a", self.size, &last.input, &last.heatmap, &last.predicted)
            .map_err(|e| fail("a frame", &e))?;
        let b = match &last.compare {
            Some(c) => Some(
                textures(scope, "b", c.size, &c.input, &c.heatmap, &c.predicted).map_err(|e| fail("a frame", &e))?,
            ),
            None => None,
        };
        let label_a = format!("A: {}", self.models[0]);
        let label_b = format!("B: {}", self.models[1]);
        let mut strips = vec![Filmstrip { label: &label_a, seen, error, predicted: &predicted, colour: MODEL_A }];
        if let Some((seen, error, predicted)) = &b {
            strips.push(Filmstrip { label: &label_b, seen: *seen, error: *error, predicted, colour: MODEL_B });
        }
        let a: Vec<f32> = at.moments.iter().map(|m| m.surprise).collect();
        let bs: Vec<f32> = at.moments.iter().map(|m| m.compare.as_ref().map_or(f32::NAN, |c| c.surprise)).collect();
        let mut surprise = vec![Trace { values: &a, colour: MODEL_A }];
        if b.is_some() {
            surprise.push(Trace { values: &bs, colour: MODEL_B });
        }
        let title = format!("moment {} · {:.1} s", last.index, last.pts.as_secs_f64());
        let dashboard = Dashboard {
            title: &title,
            strips: &strips,
            surprise: &surprise,
            trail: at.trail,
            branch: at.branch,
            rates: at.stats.map(|s| Rates {
                preview_fps: s.preview_fps as f32,
                prediction_hz: s.prediction_hz as f32,
                latency_ms: [s.latency_p50_ms as f32, s.latency_p99_ms as f32],
                skipped: s.model_skipped,
                lost: s.source_dropped,
            }),
        };
        scope
            .render(width, height, 1.0, |ui| {
                egui::CentralPanel::default().show(ui, |ui| augur_scope::panels::dashboard(ui, &dashboard, view));
            })
            .map_err(|e| fail("rendering", &e))
    }

    /// Renders the dashboard once on a new device and writes it as a PNG.
    pub fn write(&self, path: &Path) -> Result<(), EngineError> {
        let gpu = augur_gpu::GpuContext::new(augur_gpu::AdapterChoice::PreferHardware)
            .map_err(|e| fail("no GPU device", &e))?;
        let image = self.render(&mut Scope::new(&gpu), &mut TraceView::default(), 760, self.height())?;
        image.write_png(path).map_err(|e| fail("writing", &e))
    }
}

/// What one dashboard shows: the moments up to the one shown, the trail up to it, its branch.
struct At<'a> {
    moments: &'a [Moment],
    trail: &'a [[f32; 2]],
    branch: &'a [[f32; 2]],
    /// Rates, only for the live dashboard: a video of the past has no rates of its own.
    stats: Option<&'a Stats>,
}

impl Snapshot {
    /// Renders the dashboard of every moment, oldest first, into an MP4 at `fps` (760 wide): each
    /// frame shows that moment's filmstrips, the surprise traces up to it, and the latent trail up
    /// to it with the branch it predicted, and plays `sound` from that moment on when given.
    /// `progress(done, total)` is called after each frame. Answers the frames written.
    pub fn write_video(
        &self,
        path: &Path,
        fps: u32,
        sound: Option<&crate::Soundtrack>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, EngineError> {
        if self.moments.len() < 2 {
            return Err(EngineError::Usage("a dashboard video needs at least two moments".into()));
        }
        let gpu = augur_gpu::GpuContext::new(augur_gpu::AdapterChoice::PreferHardware)
            .map_err(|e| fail("no GPU device", &e))?;
        let mut scope = Scope::new(&gpu);
        // One size for the whole video: room for model B's strip if it ran at any moment.
        let height = if self.moments.iter().any(|m| m.compare.is_some()) { 440 } else { 330 };
        let mut out = augur_capture::SoundedVideo::create(path, 760, height, fps.max(1), sound.map(|s| s.rate))?;
        let history = crate::trajectory::history(&self.moments);
        let trail: Vec<[f32; 2]> = history.iter().map(|(p, _)| *p).collect();
        let total = self.moments.len();
        let mut rgb = Vec::with_capacity(760 * height as usize * 3);
        for k in 1..=total {
            let branch = history.get(k - 1).map_or(&[][..], |(_, b)| b.as_slice());
            let at = At { moments: &self.moments[..k], trail: trail.get(..k).unwrap_or(&[]), branch, stats: None };
            let image = self.draw(&mut scope, &mut TraceView::default(), 760, height, &at)?;
            rgb.clear();
            rgb.extend(image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
            let heard = sound.map(|s| s.for_frame(k - 1, fps.max(1), self.moments[k - 1].pts)).unwrap_or_default();
            out.push(&rgb, 760, &heard)?;
            progress(k, total);
        }
        out.finish()?;
        Ok(total)
    }
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
    // Stale tiles of a longer horizon are dropped, so the strip shows only this one.
    for i in predicted.len() / (side * side * 3)..32 {
        scope.remove_frame_texture(&format!("{prefix}{i}"));
    }
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
