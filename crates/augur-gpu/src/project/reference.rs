//! The CPU reference of `shaders/project.wgsl`, summed in f64.

use super::{GpuError, Params};

/// The projection on the CPU, N×K row-major, to test the kernel against: the kernel's
/// arithmetic in f64, so without its rounding.
///
/// # Errors
/// [`GpuError::InvalidInput`] as [`super::Projector::run`].
pub fn reference(x: &[f32], mean: &[f32], components: &[f32], params: &Params) -> Result<Vec<f32>, GpuError> {
    params.check(x.len(), mean.len(), components.len())?;
    let dim = params.dim as usize;
    let mut out = Vec::with_capacity(params.rows(x.len()) * params.k as usize);
    for row in x.chunks_exact(dim) {
        for component in components.chunks_exact(dim) {
            let dot: f64 = row
                .iter()
                .zip(mean)
                .zip(component)
                .map(|((x, m), c)| (f64::from(*x) - f64::from(*m)) * f64::from(*c))
                .sum();
            out.push(dot as f32);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn projects_onto_axes_after_centring() {
        let x = [1.0, 2.0, 3.0, 5.0, 7.0, 11.0];
        let mean = [1.0, 1.0, 1.0];
        // The y axis and the x axis, in that order.
        let components = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        let out = reference(&x, &mean, &components, &Params::new(3, 2)).unwrap();
        assert_eq!(out, vec![1.0, 0.0, 6.0, 4.0]);
        assert!(reference(&[], &mean, &components, &Params::new(3, 2)).unwrap().is_empty());
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let params = Params::new(3, 2);
        assert!(reference(&[0.0; 4], &[0.0; 3], &[0.0; 6], &params).is_err());
        assert!(reference(&[0.0; 3], &[0.0; 2], &[0.0; 6], &params).is_err());
        assert!(reference(&[0.0; 3], &[0.0; 3], &[0.0; 5], &params).is_err());
        assert!(reference(&[0.0; 3], &[0.0; 3], &[0.0; 27], &Params::new(3, 9)).is_err());
    }
}
