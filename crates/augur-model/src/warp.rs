//! Backward warping: each output pixel reads the image at its own position plus a displacement,
//! with bilinear interpolation. A decoder that warps the last observed frame moves what it saw
//! and keeps it sharp, where painting from a 4×4 latent grid can only draw a blur.

use burn::tensor::{Tensor, TensorData};

/// `image` (`[n, c, h, w]`) sampled at `(x + flow_x, y + flow_y)` for every pixel, `flow`
/// (`[n, 2, h, w]`) in pixels, x first. Samples past the border read the border. Differentiable
/// in both the image and the flow (the flow's gradient comes through the bilinear weights).
/// `h` and `w` must be at least 2.
pub fn warp(image: Tensor<4>, flow: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = image.dims();
    let device = image.device();
    let grid = |value: fn(usize, usize) -> usize| {
        let data: Vec<f32> = (0..h * w).map(|i| value(i, w) as f32).collect();
        Tensor::<4>::from_data(TensorData::new(data, [1, 1, h, w]), &device).expand([n, 1, h, w])
    };
    let (xs, ys) = (grid(|i, w| i % w), grid(|i, w| i / w));
    let sx = (xs + flow.clone().narrow(1, 0, 1)).clamp(0.0, (w - 1) as f32);
    let sy = (ys + flow.narrow(1, 1, 1)).clamp(0.0, (h - 1) as f32);
    // The top-left neighbour, kept one pixel inside so its right and lower neighbours exist;
    // a sample on the last row or column then has weight 1 on them.
    let x0 = sx.clone().detach().floor().clamp(0.0, (w - 2) as f32);
    let y0 = sy.clone().detach().floor().clamp(0.0, (h - 2) as f32);
    let (wx, wy) = ((sx - x0.clone()).expand([n, c, h, w]), (sy - y0.clone()).expand([n, c, h, w]));
    let index = (y0.mul_scalar(w as f32) + x0).reshape([n, 1, h * w]).int().expand([n, c, h * w]);
    let flat = image.reshape([n, c, h * w]);
    let at = |offset: usize| flat.clone().gather(2, index.clone().add_scalar(offset as i64)).reshape([n, c, h, w]);
    let top = at(0) * wx.clone().neg().add_scalar(1.0) + at(1) * wx.clone();
    let bottom = at(w) * wx.clone().neg().add_scalar(1.0) + at(w + 1) * wx;
    top * wy.clone().neg().add_scalar(1.0) + bottom * wy
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor, TensorData};

    use super::*;
    use crate::eval::read;

    /// The CPU reference: bilinear sampling with the border repeated.
    fn reference(image: &[f32], flow: &[f32], h: usize, w: usize) -> Vec<f32> {
        let at = |x: i64, y: i64| image[y.clamp(0, h as i64 - 1) as usize * w + x.clamp(0, w as i64 - 1) as usize];
        (0..h * w)
            .map(|i| {
                let sx = ((i % w) as f32 + flow[i]).clamp(0.0, (w - 1) as f32);
                let sy = ((i / w) as f32 + flow[h * w + i]).clamp(0.0, (h - 1) as f32);
                let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
                let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
                top * (1.0 - fy) + bottom * fy
            })
            .collect()
    }

    #[test]
    fn warping_matches_the_cpu_reference_and_zero_flow_is_the_identity() {
        let device = Device::flex();
        let (h, w) = (9, 12);
        let image = Tensor::<4>::random([1, 1, h, w], Distribution::Uniform(0.0, 1.0), &device);
        let flow = Tensor::<4>::random([1, 2, h, w], Distribution::Uniform(-4.0, 4.0), &device);
        let (pixels, offsets) = (read(image.clone()).unwrap_or_default(), read(flow.clone()).unwrap_or_default());
        let warped = read(warp(image.clone(), flow)).unwrap_or_default();
        let expected = reference(&pixels, &offsets, h, w);
        let worst = crate::metrics::max_abs_diff(&warped, &expected);
        assert!(worst < 1e-5, "warp differs from the reference by {worst}");
        let still = read(warp(image, Tensor::zeros([1, 2, h, w], &device))).unwrap_or_default();
        assert!(still.iter().zip(&pixels).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn a_whole_pixel_shift_moves_the_image_and_the_flow_gets_a_gradient() {
        let device = Device::flex().autodiff();
        let (h, w) = (4, 5);
        let ramp: Vec<f32> = (0..h * w).map(|i| i as f32).collect();
        let image = Tensor::<4>::from_data(TensorData::new(ramp, [1, 1, h, w]), &device);
        let mut shift = vec![1.0; h * w];
        shift.extend(vec![0.0; h * w]);
        let flow = Tensor::<4>::from_data(TensorData::new(shift, [1, 2, h, w]), &device).require_grad();
        let moved = warp(image, flow.clone());
        let out = read(moved.clone()).unwrap_or_default();
        // Each pixel reads its right-hand neighbour; the last column reads the border.
        assert_eq!(out[0..5], [1.0, 2.0, 3.0, 4.0, 4.0]);
        let grads = moved.sum().backward();
        let dx = flow.grad(&grads).map(|g| read(g).unwrap_or_default()).unwrap_or_default();
        assert!(dx[..h * w].iter().any(|g| g.abs() > 0.5), "no gradient reaches the flow: {dx:?}");
    }
}
