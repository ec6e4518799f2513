//! Error heatmaps for the CLI's images and videos.

/// Per-pixel squared error between two planar frames, mean over channels, times 8, clamped,
/// through an inferno-like colormap; packed RGB8.
pub fn heatmap_rgb(predicted: &[f32], actual: &[f32], s: usize) -> Vec<u8> {
    const STOPS: [[f32; 3]; 5] =
        [[0.0, 0.0, 0.02], [0.34, 0.06, 0.43], [0.73, 0.21, 0.33], [0.98, 0.55, 0.04], [0.99, 1.0, 0.64]];
    let plane = s * s;
    (0..plane)
        .flat_map(|i| {
            let e = (0..3).map(|c| (predicted[c * plane + i] - actual[c * plane + i]).powi(2)).sum::<f32>() / 3.0;
            let v = (e * 8.0).clamp(0.0, 1.0) * 4.0;
            let k = (v.floor() as usize).min(3);
            let t = v - k as f32;
            (0..3).map(move |c| ((STOPS[k][c] * (1.0 - t) + STOPS[k + 1][c] * t) * 255.0).round() as u8)
        })
        .collect()
}
