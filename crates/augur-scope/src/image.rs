//! [`RgbaImage`]: a rendered scope image on the host, with PNG I/O and a tolerant comparison.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use crate::error::ScopeError;

/// An 8-bit RGBA image, rows top to bottom, no padding. Colours are sRGB-encoded (what egui
/// means by a colour and what a PNG or a canvas expects); alpha is straight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub pixels: Vec<u8>,
}

/// How far apart two images of the same size are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageDiff {
    /// Mean absolute difference per channel value (0–255).
    pub mean_abs_diff: f64,
    /// Largest difference of any channel value.
    pub max_abs_diff: u8,
    /// Fraction of pixels with some channel differing by more than the threshold given.
    pub fraction_over: f64,
}

impl RgbaImage {
    /// The RGBA value at (`x`, `y`), or `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let at = (y as usize * self.width as usize + x as usize) * 4;
        self.pixels.get(at..at + 4).and_then(|p| p.try_into().ok())
    }

    /// How many different RGBA values the image holds: a blank render has one or two.
    pub fn distinct_colours(&self) -> usize {
        self.pixels.chunks_exact(4).collect::<HashSet<_>>().len()
    }

    /// Compare with `other`; `None` when the sizes differ. A pixel counts in
    /// [`ImageDiff::fraction_over`] when any channel differs by more than `threshold`.
    pub fn diff(&self, other: &Self, threshold: u8) -> Option<ImageDiff> {
        if (self.width, self.height) != (other.width, other.height) || self.pixels.len() != other.pixels.len() {
            return None;
        }
        let (mut sum, mut max, mut over) = (0u64, 0u8, 0usize);
        for (a, b) in self.pixels.chunks_exact(4).zip(other.pixels.chunks_exact(4)) {
            let mut pixel_max = 0;
            for (x, y) in a.iter().zip(b) {
                let d = x.abs_diff(*y);
                sum += u64::from(d);
                pixel_max = pixel_max.max(d);
            }
            max = max.max(pixel_max);
            over += usize::from(pixel_max > threshold);
        }
        let pixels = (self.pixels.len() / 4).max(1);
        Some(ImageDiff {
            mean_abs_diff: sum as f64 / (pixels * 4) as f64,
            max_abs_diff: max,
            fraction_over: over as f64 / pixels as f64,
        })
    }

    /// Write as an 8-bit RGBA PNG.
    ///
    /// # Errors
    /// [`ScopeError::Io`] when the file cannot be created, [`ScopeError::PngWrite`] when
    /// encoding fails.
    pub fn write_png(&self, path: &Path) -> Result<(), ScopeError> {
        let file = File::create(path).map_err(|source| ScopeError::Io { path: path.to_owned(), source })?;
        let write_failed = |source| ScopeError::PngWrite { path: path.to_owned(), source };
        let mut encoder = png::Encoder::new(BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(write_failed)?;
        writer.write_image_data(&self.pixels).map_err(write_failed)?;
        writer.finish().map_err(write_failed)
    }

    /// Read an 8-bit RGB or RGBA PNG (palette and 16-bit are converted).
    ///
    /// # Errors
    /// [`ScopeError::Io`] when the file cannot be opened, [`ScopeError::PngRead`] when it is
    /// not a PNG or a kind this does not convert.
    pub fn read_png(path: &Path) -> Result<Self, ScopeError> {
        let file = File::open(path).map_err(|source| ScopeError::Io { path: path.to_owned(), source })?;
        let read_failed = |reason: String| ScopeError::PngRead { path: path.to_owned(), reason };
        let mut decoder = png::Decoder::new(BufReader::new(file));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().map_err(|err| read_failed(err.to_string()))?;
        let size = reader.output_buffer_size().ok_or_else(|| read_failed("image too large for memory".into()))?;
        let mut buffer = vec![0; size];
        let frame = reader.next_frame(&mut buffer).map_err(|err| read_failed(err.to_string()))?;
        buffer.truncate(frame.buffer_size());
        let pixels = match frame.color_type {
            png::ColorType::Rgba => buffer,
            png::ColorType::Rgb => buffer.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
            other => {
                return Err(read_failed(format!("expected RGB or RGBA, found {other:?}")));
            }
        };
        Ok(Self { width: frame.width, height: frame.height, pixels })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn image(pixels: &[[u8; 4]], width: u32) -> RgbaImage {
        let height = pixels.len() as u32 / width;
        RgbaImage { width, height, pixels: pixels.concat() }
    }

    #[test]
    fn png_round_trip_keeps_every_byte() {
        let img = image(&[[1, 2, 3, 255], [250, 128, 0, 10], [0, 0, 0, 0], [9, 9, 9, 9]], 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        img.write_png(&path).unwrap();
        assert_eq!(RgbaImage::read_png(&path).unwrap(), img);
    }

    #[test]
    fn diff_counts_pixels_over_the_threshold() {
        let a = image(&[[0, 0, 0, 255], [100, 100, 100, 255]], 2);
        let b = image(&[[0, 0, 40, 255], [101, 100, 100, 255]], 2);
        let diff = a.diff(&b, 32).unwrap();
        assert_eq!(diff.max_abs_diff, 40);
        assert_eq!(diff.fraction_over, 0.5);
        assert!((diff.mean_abs_diff - 41.0 / 8.0).abs() < 1e-9);
        assert!(a.diff(&image(&[[0; 4]], 1), 32).is_none());
        assert_eq!(a.distinct_colours(), 2);
        assert_eq!(a.pixel(1, 0), Some([100, 100, 100, 255]));
        assert_eq!(a.pixel(2, 0), None);
    }

    #[test]
    fn reading_a_missing_file_names_it() {
        let err = RgbaImage::read_png(Path::new("/nonexistent/golden.png")).unwrap_err();
        assert!(err.to_string().ends_with("/nonexistent/golden.png"), "{err}");
    }
}
