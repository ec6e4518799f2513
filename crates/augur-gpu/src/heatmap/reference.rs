//! The CPU reference of `shaders/heatmap.wgsl`: the same arithmetic, in the same order.

use super::{COLOR_STOPS, ErrorMap, GpuError, INFERNO, Params};

/// The heatmap and mean squared error on the CPU, to test the kernel against.
///
/// # Errors
/// [`GpuError::InvalidInput`] as [`super::Heatmap::run`].
pub fn reference(pred: &[f32], actual: &[f32], params: &Params) -> Result<ErrorMap, GpuError> {
    params.check(pred.len(), actual.len())?;
    let plane = params.pixels();
    let mut rgba = Vec::with_capacity(plane);
    let mut total = 0.0f64;
    for i in 0..plane {
        let sum: f32 = (0..3).map(|c| pred[c * plane + i] - actual[c * plane + i]).map(|d| d * d).sum();
        let err = sum / 3.0;
        total += f64::from(err);
        // Not a number (a diverged model): the brightest colour, as the kernel draws it.
        let shown = err * params.gain;
        let [r, g, b] = colormap(if shown.is_finite() { shown.clamp(0.0, 1.0) } else { 1.0 });
        rgba.push(pack4x8unorm([r, g, b, 1.0]));
    }
    Ok(ErrorMap { rgba, mse: total / plane as f64 })
}

/// The colour of `v` in [0, 1]: linear between the two nearest of [`INFERNO`]'s stops.
pub fn colormap(v: f32) -> [f32; 3] {
    let x = v * (COLOR_STOPS - 1) as f32;
    let i = (x as usize).min(COLOR_STOPS - 2);
    let t = x - i as f32;
    std::array::from_fn(|c| INFERNO[i][c] * (1.0 - t) + INFERNO[i + 1][c] * t)
}

/// WGSL's `pack4x8unorm`, as the spec defines it: the first component in the low byte.
fn pack4x8unorm(v: [f32; 4]) -> u32 {
    v.iter().enumerate().map(|(i, e)| ((0.5 + 255.0 * e.clamp(0.0, 1.0)).floor() as u32) << (8 * i)).sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn no_error_is_the_darkest_colour() {
        let frame = [0.25; 12];
        let out = reference(&frame, &frame, &Params::new(2, 2)).unwrap();
        assert_eq!(out.mse, 0.0);
        // inferno(0) = (0.001462, 0.000466, 0.013866) -> bytes (0, 0, 4), alpha 255.
        assert_eq!(out.rgba, vec![0xff04_0000; 4]);
    }

    #[test]
    fn error_scales_with_gain_and_clamps() {
        // One pixel, every channel off by 0.5: error 0.25.
        let (pred, actual) = ([0.5; 3], [0.0; 3]);
        let half = reference(&pred, &actual, &Params::new(1, 1).with_gain(2.0)).unwrap();
        assert_eq!(half.mse, 0.25);
        let mid = colormap(0.5).map(|c| (0.5 + 255.0 * c).floor() as u32);
        assert_eq!(half.rgba[0], mid[0] | mid[1] << 8 | mid[2] << 16 | 0xff << 24);
        let saturated = reference(&pred, &actual, &Params::new(1, 1).with_gain(100.0)).unwrap();
        // inferno(1) = (0.988362, 0.998364, 0.644924) -> bytes (252, 255, 164).
        assert_eq!(saturated.rgba[0].to_le_bytes(), [252, 255, 164, 255]);
    }

    #[test]
    fn the_colormap_passes_through_its_stops() {
        for (i, stop) in INFERNO.iter().enumerate() {
            let got = colormap(i as f32 / 15.0);
            assert!(got.iter().zip(stop).all(|(a, b)| (a - b).abs() < 1e-6), "stop {i}: {got:?}");
        }
    }

    #[test]
    fn wrong_sizes_are_errors() {
        assert!(reference(&[0.0; 11], &[0.0; 12], &Params::new(2, 2)).is_err());
        assert!(reference(&[], &[], &Params::new(0, 2)).is_err());
        assert!(reference(&[0.0; 3], &[0.0; 3], &Params::new(1, 1).with_gain(f32::NAN)).is_err());
    }
}
