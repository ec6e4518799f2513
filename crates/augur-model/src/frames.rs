//! Camera frames to model input on the CPU: centre-crop to a square, area-average down to the
//! model's size, planar f32 in [0, 1]. (The live path does the same on the GPU with
//! `shaders/preprocess.wgsl`; training and evaluation use this so they run anywhere.)

use burn::tensor::{Device, Tensor, TensorData};

/// Clips of `len` frames of `3 × size × size` values each, laid end to end, as one
/// `[clips, len, 3, size, size]` tensor on `device`.
pub fn clips_tensor(pixels: Vec<f32>, len: usize, size: usize, device: &Device) -> Tensor<5> {
    let clips = pixels.len() / (len * 3 * size * size).max(1);
    Tensor::from_data(TensorData::new(pixels, [clips, len, 3, size, size]), device)
}

/// Packed RGB8 `width × height` to planar CHW f32 `3 × size × size`, centre square crop,
/// each output pixel the mean of the source pixels it covers.
pub fn to_model_input(rgb: &[u8], width: usize, height: usize, size: usize) -> Vec<f32> {
    let side = width.min(height);
    let (x0, y0) = ((width - side) / 2, (height - side) / 2);
    let mut out = vec![0.0f32; 3 * size * size];
    if side == 0 || rgb.len() < width * height * 3 {
        return out;
    }
    for oy in 0..size {
        let (ya, yb) = (y0 + oy * side / size, y0 + ((oy + 1) * side / size).max(oy * side / size + 1));
        for ox in 0..size {
            let (xa, xb) = (x0 + ox * side / size, x0 + ((ox + 1) * side / size).max(ox * side / size + 1));
            let mut sum = [0u32; 3];
            for y in ya..yb.min(height) {
                let row = &rgb[(y * width + xa) * 3..(y * width + xb.min(width)) * 3];
                for px in row.chunks_exact(3) {
                    sum[0] += u32::from(px[0]);
                    sum[1] += u32::from(px[1]);
                    sum[2] += u32::from(px[2]);
                }
            }
            let count = ((yb.min(height) - ya) * (xb.min(width) - xa)).max(1) as f32 * 255.0;
            for c in 0..3 {
                out[c * size * size + oy * size + ox] = sum[c] as f32 / count;
            }
        }
    }
    out
}

/// Planar CHW f32 in [0, 1] back to packed RGB8, for PNGs and video.
pub fn to_rgb8(chw: &[f32], size: usize) -> Vec<u8> {
    let plane = size * size;
    (0..plane)
        .flat_map(|i| {
            (0..3).map(move |c| (chw.get(c * plane + i).copied().unwrap_or(0.0).clamp(0.0, 1.0) * 255.0).round() as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_the_centre_and_averages() {
        // 4x2 image: left and right columns red, middle two columns green and blue halves.
        let mut rgb = vec![0u8; 4 * 2 * 3];
        for y in 0..2 {
            for x in 0..4 {
                let px = &mut rgb[(y * 4 + x) * 3..][..3];
                px.copy_from_slice(match x {
                    0 | 3 => &[255, 0, 0],
                    1 => &[0, 255, 0],
                    _ => &[0, 0, 255],
                });
            }
        }
        let out = to_model_input(&rgb, 4, 2, 1);
        assert_eq!(out, vec![0.0, 0.5, 0.5]);
        assert_eq!(to_rgb8(&out, 1), vec![0, 128, 128]);
    }

    #[test]
    fn clips_are_laid_out_clip_then_frame_then_channel() {
        // Two clips of three 2×2 frames: value = clip·100 + frame·10 + channel.
        let pixels: Vec<f32> = (0..2)
            .flat_map(|c| (0..3).flat_map(move |f| (0..3).flat_map(move |ch| [(c * 100 + f * 10 + ch) as f32; 4])))
            .collect();
        let t = clips_tensor(pixels, 3, 2, &Device::default());
        assert_eq!(t.dims(), [2, 3, 3, 2, 2]);
        let v = crate::eval::read(t.narrow(0, 1, 1).narrow(1, 2, 1).narrow(2, 1, 1)).unwrap_or_default();
        assert_eq!(v, vec![121.0; 4]);
    }
}
