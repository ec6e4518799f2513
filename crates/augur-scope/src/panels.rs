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
