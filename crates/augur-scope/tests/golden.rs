//! The scope rendered offscreen on the shared device: readback, scaling, frame textures, and
//! golden images of the panels (`UPDATE_SNAPSHOTS=1` rewrites them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use augur_gpu::{AdapterChoice, GpuContext};
use augur_scope::panels::{self, SourceStatus};
use augur_scope::{RgbaImage, Scope, egui};

/// One device for the binary. Software first: the goldens were made on lavapipe, and a
/// software rasteriser is the most reproducible; a machine without one uses its GPU.
fn gpu() -> &'static GpuContext {
    static GPU: OnceLock<GpuContext> = OnceLock::new();
    GPU.get_or_init(|| GpuContext::new(AdapterChoice::PreferSoftware).expect("open a device"))
}

/// Mean absolute difference per channel allowed against a golden image.
const MAX_MEAN_DIFF: f64 = 2.0;
/// A pixel "differs" when a channel is off by more than this...
const PIXEL_THRESHOLD: u8 = 32;
/// ...and at most this fraction of pixels may differ.
const MAX_FRACTION_DIFFERING: f64 = 0.01;

fn assert_matches_golden(name: &str, image: &RgbaImage) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let golden_path = dir.join(format!("{name}.png"));
    let actual_path = dir.join(format!("{name}.actual.png"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| !v.is_empty() && v != "0") {
        image.write_png(&golden_path).unwrap();
        let _ = std::fs::remove_file(&actual_path);
        return;
    }
    let golden = RgbaImage::read_png(&golden_path)
        .unwrap_or_else(|err| panic!("{err}; run with UPDATE_SNAPSHOTS=1 to create it"));
    let diff = image.diff(&golden, PIXEL_THRESHOLD);
    let matches = diff.is_some_and(|d| d.mean_abs_diff < MAX_MEAN_DIFF && d.fraction_over < MAX_FRACTION_DIFFERING);
    if matches {
        let _ = std::fs::remove_file(&actual_path);
    } else {
        image.write_png(&actual_path).unwrap();
        panic!(
            "{name}: {}x{} render differs from the {}x{} golden ({diff:?}); see {} and rerun \
             with UPDATE_SNAPSHOTS=1 if the change is intended",
            image.width,
            image.height,
            golden.width,
            golden.height,
            actual_path.display()
        );
    }
}

/// A camera-like frame: red rises left to right, green top to bottom, blue is constant.
fn gradient(width: u32, height: u32) -> Vec<u8> {
    let mut rgb = Vec::new();
    for y in 0..height {
        for x in 0..width {
            rgb.extend([(x * 255 / (width - 1)) as u8, (y * 255 / (height - 1)) as u8, 160]);
        }
    }
    rgb
}

const ORANGE: egui::Color32 = egui::Color32::from_rgb(230, 120, 30);

#[test]
fn status_panel_matches_golden() {
    let mut scope = Scope::new(gpu());
    let frame = scope.set_frame_texture("camera", 64, 48, &gradient(64, 48)).unwrap();
    let start = std::time::Instant::now();
    let image = scope
        .render(320, 200, 1.0, |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading("Augur scope");
                let (rect, _) = ui.allocate_exact_size(egui::vec2(120.0, 16.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 0.0, ORANGE);
                let status =
                    SourceStatus { name: "lavfi:testsrc", frame: Some(frame), fps: 29.97, frames: 1234, dropped: 3 };
                panels::source_status(ui, &status);
            });
        })
        .unwrap();
    eprintln!("rendered 320x200 in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    assert_eq!((image.width, image.height, image.pixels.len()), (320, 200, 320 * 200 * 4));

    // Not blank: text anti-aliasing and the gradient give hundreds of colours.
    let colours = image.distinct_colours();
    assert!(colours > 200, "only {colours} distinct colours");
    // The 120x16 rectangle is there, in its exact colour.
    let orange = image.pixels.chunks_exact(4).filter(|p| *p == ORANGE.to_array()).count();
    assert!(orange >= 120 * 16, "{orange} orange pixels");
    // The frame is drawn: a bright-red, dark-green corner and a dark-red, bright-green one.
    let has = |f: fn(&[u8]) -> bool| image.pixels.chunks_exact(4).any(f);
    assert!(has(|p| p[0] > 200 && p[1] < 40 && p[2] > 120));
    assert!(has(|p| p[0] < 40 && p[1] > 200 && p[2] > 120));

    assert_matches_golden("status_panel", &image);
}

#[test]
fn readback_drops_row_padding_at_odd_widths() {
    let mut scope = Scope::new(gpu());
    let teal = egui::Color32::from_rgb(10, 200, 90);
    // 37 pixels = 148 bytes per row, padded to 256 on the device; then a resize to 64.
    for (width, height) in [(37, 5), (64, 3)] {
        let image = scope
            .render(width, height, 1.0, |ui| {
                ui.painter().rect_filled(egui::Rect::EVERYTHING, 0.0, teal);
            })
            .unwrap();
        assert_eq!(image.pixels.len(), (width * height * 4) as usize);
        assert!(image.pixels.chunks_exact(4).all(|p| p == teal.to_array()), "{width}x{height}");
    }
}

#[test]
fn pixels_per_point_scales_the_ui() {
    let mut scope = Scope::new(gpu());
    let image = scope
        .render(80, 40, 2.0, |ui| {
            let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(20.0, 10.0));
            ui.painter().rect_filled(rect, 0.0, ORANGE);
        })
        .unwrap();
    assert_eq!(image.pixel(39, 19), Some(ORANGE.to_array()));
    assert_eq!(image.pixel(41, 21), Some([0, 0, 0, 255]));
}

#[test]
fn replacing_a_frame_updates_the_same_texture() {
    let mut scope = Scope::new(gpu());
    let draw = |scope: &mut Scope| {
        let frame = scope.frame_texture("cam").unwrap();
        scope
            .render(16, 16, 1.0, |ui| {
                let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(16.0, 16.0));
                egui::Image::new((frame.id, rect.size())).paint_at(ui, rect);
            })
            .unwrap()
    };
    let red = scope.set_frame_texture("cam", 4, 4, &[255u8, 0, 0].repeat(16)).unwrap();
    assert_eq!(draw(&mut scope).pixel(8, 8), Some([255, 0, 0, 255]));
    let blue = scope.set_frame_texture("cam", 4, 4, &[0u8, 0, 255].repeat(16)).unwrap();
    assert_eq!(red.id, blue.id);
    assert_eq!(draw(&mut scope).pixel(8, 8), Some([0, 0, 255, 255]));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut scope = Scope::new(gpu());
    let err = scope.set_frame_texture("cam", 4, 4, &[0; 47]).unwrap_err();
    assert!(err.to_string().contains("48 bytes, got 47"), "{err}");
    assert!(scope.render(0, 10, 1.0, |_| {}).is_err());
    assert!(scope.render(10, 10, f32::NAN, |_| {}).is_err());
    // A scale whose glyphs would outgrow egui's font atlas (its assert panicked at ~1000).
    for scale in [0.0, 0.1, 9.0, 1000.0] {
        let err = scope.render(10, 10, scale, |ui| drop(ui.label("Augur"))).unwrap_err();
        assert!(err.to_string().contains("must be in 0.25..=8"), "{err}");
    }
}

#[test]
fn input_queued_while_nothing_renders_keeps_only_the_newest() {
    let mut scope = Scope::new(gpu());
    let clicks = std::cell::Cell::new(0);
    let frame = |scope: &mut Scope| {
        scope
            .render(64, 32, 1.0, |ui| {
                let button = egui::Button::new("x").min_size(egui::vec2(64.0, 32.0));
                let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(64.0, 32.0));
                clicks.set(clicks.get() + usize::from(ui.put(rect, button).clicked()));
            })
            .unwrap();
    };
    frame(&mut scope);
    let click = |scope: &mut Scope| {
        scope.pointer(augur_scope::PointerInput::Down { x: 30.0, y: 15.0 });
        scope.pointer(augur_scope::PointerInput::Up { x: 30.0, y: 15.0 });
    };
    click(&mut scope);
    frame(&mut scope);
    assert_eq!(clicks.get(), 1, "a click is a click");
    // A click followed by more input than is kept is stale by the time anything is drawn.
    click(&mut scope);
    for _ in 0..augur_scope::MAX_QUEUED_EVENTS {
        scope.pointer(augur_scope::PointerInput::Move { x: 30.0, y: 15.0 });
    }
    frame(&mut scope);
    assert_eq!(clicks.get(), 1, "the stale click was dropped");
}

#[test]
fn a_scope_can_move_to_its_own_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Scope>();
    assert_send::<RgbaImage>();
}

/// egui 0.37 has no fonts unless its `default_fonts` feature is on; without them every glyph
/// is drawn as a box, which the pixel checks above barely notice.
#[test]
fn text_has_real_glyphs() {
    let mut scope = Scope::new(gpu());
    scope
        .render(8, 8, 1.0, |ui| {
            ui.label("fps");
        })
        .unwrap();
    let font = egui::FontId::proportional(14.0);
    let monospace = egui::FontId::monospace(14.0);
    assert!(scope.context().fonts_mut(|fonts| {
        fonts.has_glyphs(&font, "Augur fps dropped") && fonts.has_glyphs(&monospace, "0123456789.")
    }));
}

/// A tile with a ball at `x` on a dark floor, like the scene's frames.
fn ball_tile(x: u32) -> Vec<u8> {
    let mut rgb = Vec::new();
    for py in 0..32u32 {
        for px in 0..32u32 {
            let (dx, dy) = (px as i32 - x as i32, py as i32 - 16);
            rgb.extend(if dx * dx + dy * dy <= 16 {
                [240, 90, 200]
            } else if py > 26 {
                [90, 120, 90]
            } else {
                [30, 40, 40]
            });
        }
    }
    rgb
}

#[test]
fn dashboard_matches_golden() {
    use augur_scope::plots::{MODEL_A, MODEL_B, Trace};
    let mut scope = Scope::new(gpu());
    let mut tex = |name: &str, rgb: Vec<u8>| scope.set_frame_texture(name, 32, 32, &rgb).unwrap();
    let seen = tex("seen", ball_tile(8));
    let error = tex("error", gradient(32, 32));
    let predicted: Vec<_> = (1..=4).map(|i| tex(&format!("p{i}"), ball_tile(8 + 4 * i))).collect();
    let seen_b = tex("seen-b", ball_tile(8));
    let predicted_b: Vec<_> = (1..=4).map(|i| tex(&format!("b{i}"), ball_tile(8 + 3 * i))).collect();
    let strips = [
        panels::Filmstrip { label: "A: bounce-64", seen, error, predicted: &predicted, colour: MODEL_A },
        panels::Filmstrip { label: "B: bounce-tuned", seen: seen_b, error, predicted: &predicted_b, colour: MODEL_B },
    ];
    let a: Vec<f32> = (0..120).map(|i| if i < 3 { f32::NAN } else { 0.2 + 0.1 * (i as f32 / 7.0).sin() }).collect();
    let b: Vec<f32> = (0..120).map(|i| if i < 40 { f32::NAN } else { 0.15 + 0.05 * (i as f32 / 5.0).cos() }).collect();
    let surprise = [Trace { values: &a, colour: MODEL_A }, Trace { values: &b, colour: MODEL_B }];
    let trail: Vec<[f32; 2]> =
        (0..80).map(|i| [(i as f32 / 9.0).cos() * i as f32, (i as f32 / 9.0).sin() * i as f32]).collect();
    let branch: Vec<[f32; 2]> = (1..=4).map(|k| [80.0 + 6.0 * k as f32, -10.0 * k as f32]).collect();
    let rates =
        panels::Rates { preview_fps: 30.0, prediction_hz: 11.5, latency_ms: [36.0, 107.0], skipped: 912, lost: 0 };
    let dashboard = panels::Dashboard {
        title: "moment 1234 · 41.3 s",
        strips: &strips,
        surprise: &surprise,
        trail: &trail,
        branch: &branch,
        rates: Some(rates),
    };
    let image = scope
        .render(760, 440, 1.0, |ui| {
            egui::CentralPanel::default().show(ui, |ui| panels::dashboard(ui, &dashboard, &mut Default::default()));
        })
        .unwrap();
    let count = |c: egui::Color32| image.pixels.chunks_exact(4).filter(|p| *p == c.to_array()).count();
    assert!(count(MODEL_A) > 100, "model A's trace is drawn: {}", count(MODEL_A));
    assert!(count(MODEL_B) > 50, "model B's trace is drawn: {}", count(MODEL_B));
    let ball = image.pixels.chunks_exact(4).filter(|p| p[0] > 200 && p[1] < 120 && p[2] > 160).count();
    assert!(ball > 10 * 40, "the filmstrips show their balls: {ball}");
    assert!(image.distinct_colours() > 300);
    assert_matches_golden("dashboard", &image);
}

#[test]
fn spectrogram_matches_golden() {
    let mut scope = Scope::new(gpu());
    // A tone sweeping up through 32 bands over 48 columns, over quiet noise.
    let columns: Vec<Vec<u8>> = (0..48)
        .map(|x| (0..32).map(|m| if m == x * 2 / 3 { 250 } else { ((x * 7 + m * 13) % 40) as u8 }).collect())
        .collect();
    let image = scope
        .render(220, 120, 1.0, |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                augur_scope::plots::spectrogram(ui, &columns, -23.4, egui::vec2(192.0, 64.0));
            });
        })
        .unwrap();
    // The loud band is drawn in the hot colour, rising from bottom left to top right.
    let hot = |x: u32, y: u32| image.pixel(x, y).is_some_and(|p| p[0] > 240 && p[1] > 200);
    let (left, right) = (8 + 2, 8 + 188);
    assert!((8..72).any(|y| hot(left, y)) && (8..72).any(|y| hot(right, y)));
    let row = |x: u32| (8..72).find(|&y| hot(x, y)).unwrap();
    assert!(row(left) > row(right), "low bands at the bottom, high at the top");
    assert_matches_golden("spectrogram", &image);
}

/// Two models' surprise are distances in different latent spaces: each trace is drawn on its own
/// scale, so a model whose latent errors run ten times larger does not flatten the other.
#[test]
fn each_model_has_its_own_surprise_scale() {
    use augur_scope::plots::{MODEL_A, MODEL_B, Trace, TraceView, scale_tops, surprise_trace};
    let a: Vec<f32> = (0..100).map(|i| 0.05 + 0.04 * (i as f32 / 6.0).sin().abs()).collect();
    // Ten times larger, and peaking between A's peaks so neither line hides the other.
    let b: Vec<f32> = (0..100).map(|i| 0.5 + 0.4 * (i as f32 / 6.0).cos().abs()).collect();
    let traces = [Trace { values: &a, colour: MODEL_A }, Trace { values: &b, colour: MODEL_B }];
    let tops = scale_tops(&traces, 0..100);
    assert!((tops[1] / tops[0] - 10.0).abs() < 0.1, "{tops:?}");
    assert_eq!(scale_tops(&traces, 0..0), vec![0.0, 0.0], "no moments shown, no scale");
    let mut scope = Scope::new(gpu());
    let image = scope
        .render(340, 160, 1.0, |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                surprise_trace(ui, &traces, egui::vec2(320.0, 140.0), &mut TraceView::default());
            });
        })
        .unwrap();
    // The highest row each colour reaches right of the scales' labels in the corner.
    let top_row = |c: egui::Color32| {
        let w = image.width as usize;
        let at = |i: usize| i % w >= 100;
        let mut pixels = image.pixels.chunks_exact(4).enumerate();
        pixels.find(|(i, p)| at(*i) && *p == c.to_array()).map(|(i, _)| i / w).expect("the trace is drawn")
    };
    let (ya, yb) = (top_row(MODEL_A), top_row(MODEL_B));
    assert!(ya.abs_diff(yb) <= 2, "both peaks reach the same height: A at row {ya}, B at row {yb}");
    assert!(ya < 40, "the peaks reach near the top of a 140 px plot: row {ya}");
}

/// Pointer input forwarded to the scope: hovering the surprise plot reads out the value under
/// the pointer, the wheel zooms, dragging pans back in time (and hides the now marker).
#[test]
fn the_surprise_plot_answers_hover_wheel_and_drag() {
    use augur_scope::PointerInput::{Down, Move, Up, Wheel};
    use augur_scope::plots::{MODEL_A, Trace, TraceView, surprise_trace};
    let values: Vec<f32> = (0..200).map(|i| (i as f32 / 10.0).sin().abs() + 0.05).collect();
    let mut scope = Scope::new(gpu());
    let mut view = TraceView::default();
    let draw = |scope: &mut Scope, view: &mut TraceView| {
        scope
            .render(340, 160, 1.0, |ui| {
                egui::CentralPanel::default().show(ui, |ui| {
                    surprise_trace(ui, &[Trace { values: &values, colour: MODEL_A }], egui::vec2(320.0, 140.0), view);
                });
            })
            .unwrap()
    };
    // The readout is white text: anti-aliased, so "bright in every channel" rather than 255.
    let white = |img: &RgbaImage| img.pixels.chunks_exact(4).filter(|p| p[..3].iter().all(|c| *c > 180)).count();
    let marker = |img: &RgbaImage| img.pixel(326, 80) == Some([255, 179, 71, 255]);
    let plain = draw(&mut scope, &mut view);
    assert!(marker(&plain), "now is marked at the right edge");

    scope.pointer(Move { x: 100.0, y: 60.0 });
    let hovered = draw(&mut scope, &mut view);
    assert!(white(&hovered) > white(&plain) + 50, "the readout is written while hovering");

    scope.pointer(Wheel { x: 100.0, y: 60.0, dy: 40.0 });
    draw(&mut scope, &mut view);
    assert_eq!(view.shown, 160, "one notch towards the user shows four fifths");

    scope.pointer(Down { x: 100.0, y: 60.0 });
    draw(&mut scope, &mut view);
    for x in [130.0, 160.0, 200.0] {
        scope.pointer(Move { x, y: 60.0 });
        draw(&mut scope, &mut view);
    }
    scope.pointer(Up { x: 200.0, y: 60.0 });
    let panned = draw(&mut scope, &mut view);
    assert!((30..=60).contains(&view.back), "dragging 100 points right goes back about 50 moments: {view:?}");
    assert!(!marker(&panned), "looking back, the plot no longer ends now");
    scope.pointer(augur_scope::PointerInput::Leave);
    draw(&mut scope, &mut view);
}
