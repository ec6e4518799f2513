//! The CPU reference of `shaders/preprocess.wgsl`: the same arithmetic, in the same order.

use super::{GpuError, Params};

/// The same computation on the CPU, operation for operation, to test the kernel against.
///
/// # Errors
/// [`GpuError::InvalidInput`] as [`super::Preprocessor::run`].
pub fn reference(rgb: &[u8], params: &Params) -> Result<Vec<f32>, GpuError> {
    params.check(rgb.len())?;
    let (src_w, src_h) = (params.src_width, params.src_height);
    let (dst_w, dst_h) = (params.dst_width as usize, params.dst_height as usize);
    let (mean, inv_std) = params.normalize.mean_inv_std();
    let texel = |x: u32, y: u32, c: usize| f32::from(rgb[(y as usize * src_w as usize + x as usize) * 3 + c]);
    let mut out = vec![0.0; params.output_len()];
    for y in 0..dst_h {
        let ty = tap(y as u32, src_h, params.dst_height);
        for x in 0..dst_w {
            let tx = tap(x as u32, src_w, params.dst_width);
            for c in 0..3 {
                let top = mix(texel(tx.lo, ty.lo, c), texel(tx.hi, ty.lo, c), tx.t);
                let bottom = mix(texel(tx.lo, ty.hi, c), texel(tx.hi, ty.hi, c), tx.t);
                let value = mix(top, bottom, ty.t) / 255.0;
                out[(c * dst_h + y) * dst_w + x] = (value - mean[c]) * inv_std[c];
            }
        }
    }
    Ok(out)
}

/// One axis of a bilinear lookup: low and high source index and the weight of the high one.
struct Tap {
    lo: u32,
    hi: u32,
    t: f32,
}

fn tap(dst_index: u32, src_len: u32, dst_len: u32) -> Tap {
    let scale = src_len as f32 / dst_len as f32;
    let s = ((dst_index as f32 + 0.5) * scale - 0.5).max(0.0);
    let lo = (s.floor() as u32).min(src_len - 1);
    let hi = (lo + 1).min(src_len - 1);
    Tap { lo, hi, t: s - lo as f32 }
}

/// WGSL's `mix`, as the spec defines it.
fn mix(a: f32, b: f32, t: f32) -> f32 {
    a * (1.0 - t) + b * t
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::preprocess::Normalize;

    #[test]
    fn same_size_is_bytes_over_255() {
        let rgb: Vec<u8> = (0..2 * 2 * 3).map(|i| (i * 20) as u8).collect();
        let out = reference(&rgb, &Params::new((2, 2), (2, 2))).unwrap();
        // Planar: the red plane is bytes 0, 3, 6, 9 of the packed frame.
        assert_eq!(&out[..4], &[0.0, 60.0 / 255.0, 120.0 / 255.0, 180.0 / 255.0]);
        assert_eq!(out[4], 20.0 / 255.0);
    }

    #[test]
    fn upscale_matches_pytorch_half_pixel_bilinear() {
        // torch.nn.functional.interpolate(x, size=(1, 4), mode="bilinear",
        // align_corners=False) on a 1x2 row [0, 255] gives [0, 63.75, 191.25, 255].
        let rgb = [0, 0, 0, 255, 255, 255];
        let out = reference(&rgb, &Params::new((2, 1), (4, 1))).unwrap();
        let want = [0.0, 63.75, 191.25, 255.0].map(|v| v / 255.0);
        assert_eq!(&out[..4], &want);
    }

    #[test]
    fn imagenet_normalisation_centres_the_mean() {
        let rgb = [124, 116, 104];
        let out = reference(&rgb, &Params::new((1, 1), (1, 1)).with_normalize(Normalize::IMAGENET)).unwrap();
        assert!(out.iter().all(|v| v.abs() < 0.01), "{out:?}");
    }

    #[test]
    fn wrong_length_is_an_error_not_a_panic() {
        let err = reference(&[0; 10], &Params::new((2, 2), (1, 1))).unwrap_err();
        assert!(err.to_string().contains("12 bytes, got 10"), "{err}");
        assert!(reference(&[], &Params::new((0, 2), (1, 1))).is_err());
    }
}
