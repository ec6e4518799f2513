//! Error heatmaps for the CLI's images and videos: the CPU reference of the heatmap kernel
//! (`shaders/heatmap.wgsl`), so files written headless match what the app shows.

use augur_gpu::heatmap::{Params, reference};

/// Per-pixel squared error (mean over channels), gain 8, inferno colormap; packed RGB8.
/// Frames that do not match in size give a black image rather than an error.
pub fn heatmap_rgb(predicted: &[f32], actual: &[f32], s: usize) -> Vec<u8> {
    let params = Params::new(s as u32, s as u32).with_gain(8.0);
    match reference(predicted, actual, &params) {
        Ok(map) => map.rgba.iter().flat_map(|p| p.to_le_bytes().into_iter().take(3)).collect(),
        Err(_) => vec![0; 3 * s * s],
    }
}
