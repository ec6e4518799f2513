//! The scope's panels: plain functions that draw plain data into an egui `Ui`.
//!
//! A panel owns no state and reads no channels, so the engine decides what it shows and a
//! golden-image test can draw it from fixed numbers.

use crate::scope::FrameTexture;

/// What the source status panel shows about one video source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceStatus<'a> {
    /// The source, as the user named it (`camera:0`, `lavfi:testsrc`).
    pub name: &'a str,
    /// The newest frame, if one has arrived.
    pub frame: Option<FrameTexture>,
    /// Frames per second delivered by the source.
    pub fps: f32,
    /// Frames delivered so far.
    pub frames: u64,
    /// Frames the display path skipped because a newer one arrived first.
    pub dropped: u64,
}

/// The source status panel: the newest frame, scaled to fit beside the numbers, then fps,
/// frame count and dropped frames. Dropped frames show in the warning colour once there are
/// any, since that is the number a user needs to notice.
pub fn source_status(ui: &mut egui::Ui, status: &SourceStatus<'_>) {
    ui.strong(status.name);
    ui.horizontal_top(|ui| {
        match status.frame {
            Some(frame) => {
                let room = egui::vec2(ui.available_width() * 0.6, ui.available_height());
                ui.image((frame.id, fit(frame, room)));
            }
            None => {
                ui.weak("no frame yet");
            }
        }
        egui::Grid::new(("source_status", status.name)).num_columns(2).show(ui, |ui| {
            ui.label("fps");
            ui.monospace(format!("{:.1}", status.fps));
            ui.end_row();
            ui.label("frames");
            ui.monospace(status.frames.to_string());
            ui.end_row();
            ui.label("dropped");
            let mut dropped = egui::RichText::new(status.dropped.to_string()).monospace();
            if status.dropped > 0 {
                dropped = dropped.color(ui.visuals().warn_fg_color);
            }
            ui.label(dropped);
            ui.end_row();
        });
    });
}

/// One model's filmstrip: what it saw, where it was surprised, what it expects next.
#[derive(Clone, Copy, Debug)]
pub struct Filmstrip<'a> {
    /// Whose strip ("bounce-64", "B: mine").
    pub label: &'a str,
    /// The frame at the model's size.
    pub seen: FrameTexture,
    /// Its error heatmap against the prediction made one frame earlier.
    pub error: FrameTexture,
    /// The predicted frames t+1…t+H.
    pub predicted: &'a [FrameTexture],
    /// The line colour of this model elsewhere (its surprise trace).
    pub colour: egui::Color32,
}

/// A filmstrip: tiles of `tile` points side by side, each captioned (saw, error, t+1, …).
pub fn filmstrip(ui: &mut egui::Ui, strip: &Filmstrip<'_>, tile: f32) {
    ui.colored_label(strip.colour, strip.label);
    ui.horizontal(|ui| {
        let tiles = [(strip.seen, "saw".to_string()), (strip.error, "error".to_string())]
            .into_iter()
            .chain(strip.predicted.iter().enumerate().map(|(i, t)| (*t, format!("t+{}", i + 1))));
        for (texture, caption) in tiles {
            ui.vertical(|ui| {
                ui.image((texture.id, egui::vec2(tile, tile)));
                ui.small(caption);
            });
        }
    });
}

/// The numbers a researcher checks first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// Frames per second the source delivers.
    pub preview_fps: f32,
    /// Predictions per second.
    pub prediction_hz: f32,
    /// Capture to prediction ready, median and 99th percentile, ms.
    pub latency_ms: [f32; 2],
    /// Frames the model skipped for newer ones, and frames lost before it.
    pub skipped: u64,
    /// Frames the capture never saw.
    pub lost: u64,
}

/// Rates and latency as a small grid; lost frames in the warning colour once there are any.
pub fn rates(ui: &mut egui::Ui, r: &Rates) {
    egui::Grid::new("rates").num_columns(2).show(ui, |ui| {
        let mut row = |name: &str, value: String| {
            ui.label(name);
            ui.monospace(value);
            ui.end_row();
        };
        row("preview", format!("{:.1} fps", r.preview_fps));
        row("predictions", format!("{:.1} Hz", r.prediction_hz));
        row("latency p50/p99", format!("{:.0} / {:.0} ms", r.latency_ms[0], r.latency_ms[1]));
        row("skipped", r.skipped.to_string());
        ui.label("lost");
        let mut lost = egui::RichText::new(r.lost.to_string()).monospace();
        if r.lost > 0 {
            lost = lost.color(ui.visuals().warn_fg_color);
        }
        ui.label(lost);
        ui.end_row();
    });
}

/// A moment at a glance, as the export's snapshot shows it: each model's filmstrip, the
/// surprise traces, the latent trajectory with its branch, and the rates.
#[derive(Clone, Copy, Debug)]
pub struct Dashboard<'a> {
    /// What and when ("moment 1234 · 41.3 s").
    pub title: &'a str,
    /// One filmstrip per model (two in an A/B compare).
    pub strips: &'a [Filmstrip<'a>],
    /// The surprise traces, one per model, each on its own scale.
    pub surprise: &'a [crate::plots::Trace<'a>],
    /// The latent trail on two principal components, oldest first.
    pub trail: &'a [[f32; 2]],
    /// The predicted branch from the newest point.
    pub branch: &'a [[f32; 2]],
    /// Rates, when known.
    pub rates: Option<Rates>,
}

/// Draws a [`Dashboard`] filling `ui`; `view` is the surprise plot's zoom and pan.
pub fn dashboard(ui: &mut egui::Ui, d: &Dashboard<'_>, view: &mut crate::plots::TraceView) {
    ui.heading(d.title);
    for strip in d.strips {
        filmstrip(ui, strip, 72.0);
    }
    ui.add_space(6.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            crate::plots::surprise_trace(ui, d.surprise, egui::vec2(320.0, 140.0), view);
            ui.small(if d.surprise.len() > 1 {
                "surprise (latent prediction error), each model on its own scale"
            } else {
                "surprise (latent prediction error), now at the right"
            });
        });
        ui.vertical(|ui| {
            crate::plots::trajectory(ui, d.trail, d.branch, egui::vec2(180.0, 140.0));
            ui.small("latent trajectory and predicted branch");
        });
        if let Some(r) = &d.rates {
            rates(ui, r);
        }
    });
}

/// The largest size with the frame's aspect ratio that fits in `room`.
fn fit(frame: FrameTexture, room: egui::Vec2) -> egui::Vec2 {
    let width = room.x.min(room.y * frame.aspect()).max(1.0);
    egui::vec2(width, width / frame.aspect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_the_aspect_ratio_inside_the_room() {
        let frame = FrameTexture { id: egui::TextureId::Managed(1), width: 640, height: 480 };
        assert_eq!(fit(frame, egui::vec2(400.0, 150.0)), egui::vec2(200.0, 150.0));
        assert_eq!(fit(frame, egui::vec2(80.0, 150.0)), egui::vec2(80.0, 60.0));
    }
}
