//! A tiny RGB canvas with lines, boxes and a 3×5 pixel font, enough for loss curves and
//! surprise plots written as PNG without a GUI toolkit.

use std::path::Path;

use crate::ModelError;

/// An RGB8 image being drawn on.
pub struct Canvas {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Packed RGB8, row-major.
    pub rgb: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: [u8; 3]) -> Self {
        Self { width, height, rgb: background.iter().copied().cycle().take(width * height * 3).collect() }
    }

    /// Sets one pixel; outside the canvas is ignored.
    pub fn dot(&mut self, x: i64, y: i64, color: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&color);
        }
    }

    /// A filled rectangle.
    pub fn fill(&mut self, x: i64, y: i64, w: i64, h: i64, color: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.dot(xx, yy, color);
            }
        }
    }

    /// A line from `a` to `b`, two pixels thick.
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), color: [u8; 3]) {
        let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            self.fill(x.round() as i64, y.round() as i64, 2, 2, color);
        }
    }

    /// Text in the 3×5 font at `scale`; letters are drawn lower-case, unknown characters as blanks.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: i64, color: [u8; 3]) {
        for (i, ch) in text.chars().enumerate() {
            let rows = glyph(ch.to_ascii_lowercase());
            for (r, row) in rows.iter().enumerate() {
                for c in 0..3 {
                    if row >> (2 - c) & 1 == 1 {
                        self.fill(x + (i as i64 * 4 + c) * scale, y + r as i64 * scale, scale, scale, color);
                    }
                }
            }
        }
    }

    /// Writes the canvas as an RGB PNG.
    pub fn save_png(&self, path: &Path) -> Result<(), ModelError> {
        write_png(path, self.width as u32, self.height as u32, &self.rgb)
    }
}

/// Writes packed RGB8 as a PNG.
pub fn write_png(path: &Path, width: u32, height: u32, rgb: &[u8]) -> Result<(), ModelError> {
    let file = std::fs::File::create(path).map_err(ModelError::io("cannot create", path))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let to_io = |e: png::EncodingError| ModelError::Io {
        action: "cannot write",
        path: path.into(),
        source: std::io::Error::other(e),
    };
    let mut writer = encoder.write_header().map_err(to_io)?;
    writer.write_image_data(rgb).map_err(to_io)?;
    writer.finish().map_err(to_io)
}

/// Five rows of three bits, top row first.
fn glyph(ch: char) -> [u8; 5] {
    match ch {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        'a' => [2, 5, 7, 5, 5],
        'b' => [6, 5, 6, 5, 6],
        'c' => [3, 4, 4, 4, 3],
        'd' => [6, 5, 5, 5, 6],
        'e' => [7, 4, 6, 4, 7],
        'f' => [7, 4, 6, 4, 4],
        'g' => [3, 4, 5, 5, 3],
        'h' => [5, 5, 7, 5, 5],
        'i' => [7, 2, 2, 2, 7],
        'j' => [1, 1, 1, 5, 2],
        'k' => [5, 5, 6, 5, 5],
        'l' => [4, 4, 4, 4, 7],
        'm' => [5, 7, 7, 5, 5],
        'n' => [6, 5, 5, 5, 5],
        'o' => [2, 5, 5, 5, 2],
        'p' => [6, 5, 6, 4, 4],
        'q' => [2, 5, 5, 6, 3],
        'r' => [6, 5, 6, 5, 5],
        's' => [3, 4, 2, 1, 6],
        't' => [7, 2, 2, 2, 2],
        'u' => [5, 5, 5, 5, 7],
        'v' => [5, 5, 5, 5, 2],
        'w' => [5, 5, 7, 7, 5],
        'x' => [5, 5, 2, 5, 5],
        'y' => [5, 5, 2, 2, 2],
        'z' => [7, 1, 2, 4, 7],
        '.' => [0, 0, 0, 0, 2],
        '-' => [0, 0, 7, 0, 0],
        '+' => [0, 2, 7, 2, 0],
        ':' => [0, 2, 0, 2, 0],
        '/' => [1, 1, 2, 4, 4],
        '%' => [5, 1, 2, 4, 5],
        '|' => [2, 2, 2, 2, 2],
        '(' => [1, 2, 2, 2, 1],
        ')' => [4, 2, 2, 2, 4],
        '=' => [0, 7, 0, 7, 0],
        _ => [0; 5],
    }
}

/// `size × size` packed RGB tiles side by side, each scaled (nearest) to `p × p`: the layout
/// of side-by-side videos and filmstrips. A tile too short for its size is left black.
pub fn side_by_side(tiles: &[&[u8]], size: usize, p: usize) -> Vec<u8> {
    let width = tiles.len() * p;
    let mut out = vec![0u8; width * p * 3];
    for (k, tile) in tiles.iter().enumerate() {
        for y in 0..p {
            for x in 0..p {
                let src = ((y * size / p) * size + x * size / p) * 3;
                let dst = (y * width + k * p + x) * 3;
                if let Some(px) = tile.get(src..src + 3) {
                    out[dst..dst + 3].copy_from_slice(px);
                }
            }
        }
    }
    out
}
