//! Plots drawn with egui's painter from plain numbers: the surprise trace (one or two models,
//! each on its own scale, now at the right), the latent trajectory with its predicted branch, and the
//! microphone's log-mel spectrogram.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2, pos2};

/// Plot background: a shade darker than egui's dark panels, so the plots read as wells.
const WELL: Color32 = Color32::from_rgb(11, 14, 20);
/// The current moment's marker.
const NOW: Color32 = Color32::from_rgb(255, 179, 71);
/// The first model's colour everywhere (trace, trail).
pub const MODEL_A: Color32 = Color32::from_rgb(90, 200, 255);
/// The second model's colour in an A/B compare.
pub const MODEL_B: Color32 = Color32::from_rgb(255, 122, 184);

/// One line of the surprise plot: a value per moment, NaN where there is none.
#[derive(Clone, Copy, Debug)]
pub struct Trace<'a> {
    /// Oldest first; the last one is now.
    pub values: &'a [f32],
    /// Line colour.
    pub colour: Color32,
}

/// Which stretch of the surprise history the plot shows. The caller keeps it between frames:
/// the wheel over the plot zooms (fewer, wider moments), dragging pans back in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceView {
    /// Moments shown; 0 shows them all.
    pub shown: usize,
    /// Moments hidden at the right (0: the plot ends now).
    pub back: usize,
}

impl TraceView {
    /// The half-open range of moments shown out of `len`.
    pub fn range(&self, len: usize) -> std::ops::Range<usize> {
        let shown = if self.shown == 0 { len } else { self.shown.min(len) };
        let end = len - self.back.min(len - shown);
        end - shown..end
    }
}

/// Surprise over time, gaps where a value is missing, now marked at the right edge. Each trace
/// has its own y scale from 0 to its largest value shown, written in its colour in the corner:
/// two models' latent errors are distances in different latent spaces, so one shared scale
/// would only say whose latents are spread wider, not which model is more surprised. Hovering
/// reads out the values under the pointer; the wheel zooms and dragging pans `view`.
pub fn surprise_trace(ui: &mut egui::Ui, traces: &[Trace<'_>], size: Vec2, view: &mut TraceView) {
    let (response, painter) = ui.allocate_painter(size, Sense::click_and_drag());
    let rect = response.rect;
    let plot = rect.shrink(4.0);
    let len = traces.iter().map(|t| t.values.len()).max().unwrap_or(0);
    if response.hovered() {
        let wheel: f32 = ui.input(|i| {
            i.events
                .iter()
                .filter_map(|e| if let egui::Event::MouseWheel { delta, .. } = e { Some(delta.y) } else { None })
                .sum()
        });
        if wheel != 0.0 {
            let now = view.range(len).len();
            let next = if wheel > 0.0 { now * 4 / 5 } else { now * 5 / 4 + 1 };
            view.shown = if next >= len { 0 } else { next.max(8.min(len)) };
        }
    }
    if response.dragged() {
        let shown = view.range(len).len();
        let moved = (response.drag_delta().x * shown as f32 / plot.width().max(1.0)).round() as isize;
        view.back = (view.back as isize + moved).clamp(0, (len - shown) as isize) as usize;
    }
    let range = view.range(len);
    painter.rect_filled(rect, 4.0, WELL);
    let value = |t: &Trace<'_>, i: usize| t.values.get(i).copied().unwrap_or(f32::NAN);
    let tops = scale_tops(traces, range.clone());
    let n = range.len().max(2) - 1;
    let x_of = |i: usize| plot.left() + plot.width() * (i - range.start) as f32 / n as f32;
    let mut corner = rect.left_top() + Vec2::splat(4.0);
    for (trace, &top) in traces.iter().zip(&tops) {
        if top <= 0.0 {
            continue;
        }
        let mut run: Vec<Pos2> = Vec::new();
        for i in range.clone() {
            let v = value(trace, i);
            if !v.is_finite() {
                flush(&painter, &mut run, trace.colour);
                continue;
            }
            run.push(pos2(x_of(i), plot.bottom() - plot.height() * (v / (top * 1.1))));
        }
        flush(&painter, &mut run, trace.colour);
        // One top per trace, in the trace's colour (grey when it is the only one).
        let colour = if traces.len() > 1 { trace.colour } else { Color32::GRAY };
        let written = painter.text(corner, Align2::LEFT_TOP, format!("{top:.2}"), FontId::monospace(10.0), colour);
        corner.x = written.right() + 6.0;
    }
    if range.len() < len && tops.iter().any(|t| *t > 0.0) {
        let label = format!("· {} of {len} moments", range.len());
        painter.text(corner, Align2::LEFT_TOP, label, FontId::monospace(10.0), Color32::GRAY);
    }
    if range.end == len {
        painter.rect_filled(Rect::from_min_max(pos2(rect.right() - 3.0, rect.top()), rect.right_bottom()), 0.0, NOW);
    }
    if let (Some(pos), false) = (response.hover_pos(), range.is_empty()) {
        let f = ((pos.x - plot.left()) / plot.width().max(1.0)).clamp(0.0, 1.0);
        let i = range.start + (f * n as f32).round() as usize;
        let i = i.min(range.end - 1);
        painter
            .line_segment([pos2(x_of(i), rect.top()), pos2(x_of(i), rect.bottom())], Stroke::new(1.0, Color32::GRAY));
        let values: Vec<String> = traces.iter().map(|t| format!("{:.3}", value(t, i))).collect();
        let text = format!("now−{} · {}", len - 1 - i, values.join(" / "));
        painter.text(
            rect.right_top() + egui::vec2(-8.0, 4.0),
            Align2::RIGHT_TOP,
            text,
            FontId::monospace(10.0),
            Color32::WHITE,
        );
    }
}

/// Each trace's largest finite value over `range` (0 when it has none there): the top of its scale.
pub fn scale_tops(traces: &[Trace<'_>], range: std::ops::Range<usize>) -> Vec<f32> {
    traces
        .iter()
        .map(|t| range.clone().filter_map(|i| t.values.get(i)).filter(|v| v.is_finite()).fold(0.0f32, |m, v| m.max(*v)))
        .collect()
}

fn flush(painter: &egui::Painter, run: &mut Vec<Pos2>, colour: Color32) {
    match run.len() {
        0 => {}
        1 => {
            painter.circle_filled(run[0], 1.0, colour);
        }
        _ => {
            painter.line(std::mem::take(run), Stroke::new(1.5, colour));
        }
    }
    run.clear();
}

/// The latent trajectory on two principal components: the trail of observed moments (fading
/// from old to new) and the predicted branch from now, scaled together to fit.
pub fn trajectory(ui: &mut egui::Ui, trail: &[[f32; 2]], branch: &[[f32; 2]], size: Vec2) {
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, WELL);
    let all: Vec<[f32; 2]> =
        trail.iter().chain(branch).copied().filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
    if all.len() < 2 {
        return;
    }
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in &all {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let plot = rect.shrink(6.0);
    let at = |p: [f32; 2]| {
        let fx = (p[0] - lo[0]) / (hi[0] - lo[0]).max(1e-6);
        let fy = (p[1] - lo[1]) / (hi[1] - lo[1]).max(1e-6);
        pos2(plot.left() + fx * plot.width(), plot.bottom() - fy * plot.height())
    };
    for (i, p) in trail.iter().enumerate() {
        let age = 0.15 + 0.85 * (i + 1) as f32 / trail.len() as f32;
        painter.circle_filled(at(*p), 1.5, MODEL_A.gamma_multiply(age));
    }
    if let (Some(now), false) = (trail.last(), branch.is_empty()) {
        let line: Vec<Pos2> = std::iter::once(*now).chain(branch.iter().copied()).map(at).collect();
        painter.line(line, Stroke::new(2.0, NOW));
    }
}

/// The log-mel spectrogram: one column per time step (oldest left), one row per band (low at
/// the bottom), each byte 0 (quiet) … 255 (loud); the level in dBFS underneath.
pub fn spectrogram(ui: &mut egui::Ui, columns: &[Vec<u8>], level_dbfs: f32, size: Vec2) {
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, WELL);
    let bands = columns.first().map_or(0, Vec::len);
    if bands > 0 {
        let (w, h) = (rect.width() / columns.len() as f32, rect.height() / bands as f32);
        for (x, column) in columns.iter().enumerate() {
            for (m, v) in column.iter().enumerate() {
                let min = pos2(rect.left() + x as f32 * w, rect.bottom() - (m + 1) as f32 * h);
                painter.rect_filled(Rect::from_min_size(min, egui::vec2(w + 0.5, h + 0.5)), 0.0, heat(*v));
            }
        }
    }
    ui.label(format!("level {level_dbfs:.0} dBFS"));
}

/// Dark blue → magenta → yellow: loud bands stand out on the dark well.
fn heat(v: u8) -> Color32 {
    let v = f32::from(v);
    Color32::from_rgb((v * 1.6).min(255.0) as u8, (v * 1.2 - 60.0).clamp(0.0, 255.0) as u8, (80.0 + v / 3.0) as u8)
}
