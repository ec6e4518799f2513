//! Drawing a scene: a seeded look (background gradient, floor, occluder, ball colours),
//! anti-aliased balls, and per-pixel camera noise.
//!
//! Edges are anti-aliased by coverage (how much of a pixel lies inside a shape, estimated from
//! the distance to its edge), so a ball a few pixels across still reads as round at 64x64.

use super::physics::Ball;
use super::rng::{Rng, gaussish, hash3, stream_at};

/// A colour in `0.0..=255.0` per channel.
pub(super) type Rgb = [f32; 3];

/// Every colour of a scene, drawn from the seed: varied backgrounds and palettes are what
/// keeps a world model trained on scenes from learning one picture.
#[derive(Debug, Clone)]
pub(super) struct Look {
    bg_top: Rgb,
    bg_bottom: Rgb,
    /// How much the background gradient also runs left to right, `-0.4..0.4`.
    slant: f64,
    ground_top: Rgb,
    ground_bottom: Rgb,
    occluder: Rgb,
    /// One colour per ball, in ball order.
    pub balls: Vec<Rgb>,
}

impl Look {
    /// Dark or light background with desaturated tones; saturated balls with hues spread by the
    /// golden ratio, so neighbouring balls never share a hue.
    pub(super) fn new(rng: &mut Rng, balls: u32) -> Self {
        let dark = rng.unit() < 0.6;
        let hue = rng.unit();
        let sat = rng.range(0.1, 0.6);
        let (v_top, v_bottom) = if dark {
            (rng.range(0.05, 0.35), rng.range(0.12, 0.42))
        } else {
            (rng.range(0.7, 0.95), rng.range(0.6, 0.9))
        };
        let bg_top = hsv(hue, sat, v_top);
        let bg_bottom = hsv(hue + rng.range(-0.12, 0.12), sat * rng.range(0.6, 1.2), v_bottom);
        let slant = rng.range(-0.4, 0.4);
        let ground_v = if dark { rng.range(0.45, 0.6) } else { rng.range(0.3, 0.45) };
        let ground_top = hsv(rng.unit(), rng.range(0.15, 0.5), ground_v);
        let ground_bottom = ground_top.map(|c| c * 0.7);
        let occluder_v = if dark { rng.range(0.45, 0.65) } else { rng.range(0.2, 0.4) };
        let occluder = hsv(rng.unit(), rng.range(0.05, 0.35), occluder_v);
        let first_hue = rng.unit();
        let balls = (0..balls)
            .map(|i| {
                let h = first_hue + f64::from(i) * 0.618_033_988_749_895;
                let v = if dark { rng.range(0.8, 1.0) } else { rng.range(0.55, 0.85) };
                hsv(h, rng.range(0.65, 1.0), v)
            })
            .collect();
        Self { bg_top, bg_bottom, slant, ground_top, ground_bottom, occluder, balls }
    }
}

/// HSV to RGB; piecewise linear, so exact everywhere. `h` wraps, `s` and `v` are in `[0, 1]`.
fn hsv(h: f64, s: f64, v: f64) -> Rgb {
    let h6 = (h - h.floor()) * 6.0;
    let sector = h6.floor();
    let f = h6 - sector;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    let (r, g, b) = match sector as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    [r, g, b].map(|c| (c * 255.0).clamp(0.0, 255.0) as f32)
}

/// A vertical bar standing on the floor and reaching the top of the frame, in units.
#[derive(Debug, Clone, Copy)]
pub(super) struct Occluder {
    pub left: f64,
    pub right: f64,
}

/// Pixel geometry of a frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct Canvas {
    pub width: u32,
    pub height: u32,
    /// Pixels per unit (the shorter side of the frame).
    pub scale: f64,
}

impl Canvas {
    fn bytes(self) -> usize {
        self.width as usize * self.height as usize * 3
    }

    /// The pixel range `[lo, hi)` on an axis of `len` pixels touched by the span `[a, b]`.
    fn span(a: f64, b: f64, len: u32) -> std::ops::Range<u32> {
        // Float-to-int casts saturate (and NaN gives 0), so any input yields a valid range.
        let lo = a.floor().max(0.0) as u32;
        let hi = (b.ceil().min(f64::from(len))) as u32;
        lo.min(hi)..hi
    }
}

/// Length of the overlap of `[a0, a1]` and `[b0, b1]`.
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a1.min(b1) - a0.max(b0)).max(0.0)
}

fn lerp(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let t = t as f32;
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/// Mixes `colour` into a pixel with opacity `alpha` in `[0, 1]`.
fn blend(px: &mut [u8], colour: Rgb, alpha: f32) {
    for (p, c) in px.iter_mut().zip(colour) {
        let old = f32::from(*p);
        *p = (old + (c - old) * alpha + 0.5) as u8;
    }
}

fn pixel(rgb: &mut [u8], canvas: Canvas, x: u32, y: u32) -> Option<&mut [u8]> {
    let i = (y as usize * canvas.width as usize + x as usize) * 3;
    rgb.get_mut(i..i + 3)
}

/// The static part of every frame: background gradient and the floor band below `floor`.
pub(super) fn background(look: &Look, canvas: Canvas, floor: f64) -> Vec<u8> {
    let mut rgb = vec![0u8; canvas.bytes()];
    let (w, h) = (f64::from(canvas.width), f64::from(canvas.height));
    let floor_px = floor * canvas.scale;
    for y in 0..canvas.height {
        let fy = f64::from(y) + 0.5;
        let ground_cover = (f64::from(y) + 1.0 - floor_px).clamp(0.0, 1.0) as f32;
        let ground = lerp(look.ground_top, look.ground_bottom, ((fy - floor_px) / (h - floor_px)).clamp(0.0, 1.0));
        for x in 0..canvas.width {
            let t = (fy / h + look.slant * ((f64::from(x) + 0.5) / w - 0.5)).clamp(0.0, 1.0);
            if let Some(px) = pixel(&mut rgb, canvas, x, y) {
                blend(px, lerp(look.bg_top, look.bg_bottom, t), 1.0);
                if ground_cover > 0.0 {
                    blend(px, ground, ground_cover);
                }
            }
        }
    }
    rgb
}

/// Draws one ball, lit from the upper left so it reads as a sphere.
pub(super) fn draw_ball(rgb: &mut [u8], canvas: Canvas, ball: &Ball, colour: Rgb) {
    let s = canvas.scale;
    let (cx, cy, r) = (ball.pos[0] * s, ball.pos[1] * s, ball.radius * s);
    let light_span = r * std::f64::consts::SQRT_2;
    for y in Canvas::span(cy - r - 1.0, cy + r + 1.0, canvas.height) {
        let dy = f64::from(y) + 0.5 - cy;
        for x in Canvas::span(cx - r - 1.0, cx + r + 1.0, canvas.width) {
            let dx = f64::from(x) + 0.5 - cx;
            let cover = (r - (dx * dx + dy * dy).sqrt() + 0.5).clamp(0.0, 1.0);
            if cover <= 0.0 {
                continue;
            }
            let shade = (1.0 - 0.22 * (dx + dy) / light_span).clamp(0.7, 1.3) as f32;
            let lit = colour.map(|c| (c * shade).min(255.0));
            if let Some(px) = pixel(rgb, canvas, x, y) {
                blend(px, lit, cover as f32);
            }
        }
    }
}

/// Draws the occluder over everything above the floor, shaded like a round pillar.
pub(super) fn draw_occluder(rgb: &mut [u8], canvas: Canvas, occ: Occluder, floor: f64, look: &Look) {
    let s = canvas.scale;
    let (left, right, bottom) = (occ.left * s, occ.right * s, floor * s);
    let (centre, half) = ((left + right) / 2.0, (right - left) / 2.0);
    for x in Canvas::span(left, right, canvas.width) {
        let fx = f64::from(x);
        let cover_x = overlap(fx, fx + 1.0, left, right);
        let u = ((fx + 0.5 - centre) / half).clamp(-1.0, 1.0);
        let shade = (0.75 + 0.25 * (1.0 - u * u)) as f32;
        let colour = look.occluder.map(|c| c * shade);
        for y in Canvas::span(0.0, bottom, canvas.height) {
            let fy = f64::from(y);
            let cover = cover_x * overlap(fy, fy + 1.0, 0.0, bottom);
            if let Some(px) = pixel(rgb, canvas, x, y) {
                blend(px, colour, cover as f32);
            }
        }
    }
}

/// Adds camera noise of standard deviation `sigma` (in units of full scale) to every byte.
/// Each byte's noise depends only on the seed, the frame index and the byte's position, so a
/// possible scene and its impossible twin carry the very same noise.
pub(super) fn add_noise(rgb: &mut [u8], seed: u64, frame: u64, sigma: f32) {
    let amplitude = sigma * 255.0;
    let key = hash3(seed, frame, 0x006E_6F69_7365);
    for (k, p) in rgb.iter_mut().enumerate() {
        let n = gaussish(stream_at(key, k as u64));
        *p = (f32::from(*p) + amplitude * n).round().clamp(0.0, 255.0) as u8;
    }
}
