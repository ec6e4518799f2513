//! Principal components on the CPU: what [`super::Projector`] projects onto.

use super::{GpuError, KERNEL};

/// Power iterations per component at most; a component whose variance is within a hair of
/// the next one converges slowly, and any vector in their common plane will do.
const MAX_ITERATIONS: usize = 1000;
/// Converged when no entry of the unit vector moves more than this in one iteration.
const CONVERGED: f64 = 1e-10;
/// Variance below this fraction of the total counts as none left.
const NO_VARIANCE: f64 = 1e-12;

/// The mean and the top `k` principal components of `samples` (N×`dim`, row-major), found by
/// power iteration with deflation on the covariance matrix, in f64.
///
/// Returns the mean (`dim` values) and the components (`k`×`dim`, row-major): unit length,
/// orthogonal, in decreasing order of variance, each signed so that its largest entry in
/// magnitude is positive. Deterministic: every power iteration starts from the same fixed
/// vector with unequal entries (a covariance column could be an eigenvector of a smaller
/// variance, and the iteration would never leave it); a component is a zero vector once no
/// column of the deflated covariance has variance left, i.e. past the data's rank.
///
/// Cost: O(N·dim²) for the covariance and O(iterations·dim²) per component: fine for latents
/// of a few hundred dimensions, slow for many thousands.
///
/// # Errors
/// [`GpuError::InvalidInput`] unless `1 <= k <= dim` and `samples` holds at least one whole
/// number of vectors.
pub fn fit_pca(samples: &[f32], dim: usize, k: usize) -> Result<(Vec<f32>, Vec<f32>), GpuError> {
    if dim == 0 || !(1..=dim).contains(&k) || samples.is_empty() || !samples.len().is_multiple_of(dim) {
        return Err(GpuError::InvalidInput {
            kernel: KERNEL,
            message: format!(
                "fit_pca needs 1 <= k <= dim and whole vectors, got k {k}, dim {dim}, {} values",
                samples.len()
            ),
        });
    }
    let n = (samples.len() / dim) as f64;
    let mut mean = vec![0.0f64; dim];
    for row in samples.chunks_exact(dim) {
        mean.iter_mut().zip(row).for_each(|(m, x)| *m += f64::from(*x) / n);
    }
    // Row-major dim×dim; symmetric, so rows and columns are the same.
    let mut cov = vec![0.0f64; dim * dim];
    for row in samples.chunks_exact(dim) {
        let centred: Vec<f64> = row.iter().zip(&mean).map(|(x, m)| f64::from(*x) - m).collect();
        for (i, ci) in centred.iter().enumerate() {
            cov[i * dim..(i + 1) * dim].iter_mut().zip(&centred).for_each(|(c, cj)| *c += ci * cj / n);
        }
    }
    let total: f64 = (0..dim).map(|i| cov[i * dim + i]).sum();

    let mut components: Vec<Vec<f64>> = Vec::with_capacity(k);
    for _ in 0..k {
        let largest = cov.chunks_exact(dim).map(norm).fold(0.0, f64::max);
        if !(total > 0.0 && largest > NO_VARIANCE * total) {
            components.push(vec![0.0; dim]);
            continue;
        }
        let mut v = start(dim, &components);
        for _ in 0..MAX_ITERATIONS {
            let mut next: Vec<f64> = cov.chunks_exact(dim).map(|row| dot(row, &v)).collect();
            // Deflation leaves rounding along the earlier components; take it out again.
            for earlier in &components {
                let along = dot(&next, earlier);
                next.iter_mut().zip(earlier).for_each(|(x, e)| *x -= along * e);
            }
            normalise(&mut next);
            let moved = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            v = next;
            if moved < CONVERGED {
                break;
            }
        }
        let variance = dot(&cov.chunks_exact(dim).map(|row| dot(row, &v)).collect::<Vec<_>>(), &v);
        for (i, vi) in v.iter().enumerate() {
            cov[i * dim..(i + 1) * dim].iter_mut().zip(&v).for_each(|(c, vj)| *c -= variance * vi * vj);
        }
        let peak = v.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap_or(1.0);
        if peak < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        components.push(v);
    }
    let to_f32 = |values: &[f64]| values.iter().map(|v| *v as f32).collect::<Vec<f32>>();
    Ok((to_f32(&mean), components.concat().iter().map(|v| *v as f32).collect()))
}

/// Where each power iteration starts: entries spread over [1, 2) by the golden ratio, so no
/// direction of the data is missed by symmetry, minus the components already found.
fn start(dim: usize, found: &[Vec<f64>]) -> Vec<f64> {
    let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + (i as f64 * 0.618_033_988_749_895).fract()).collect();
    for earlier in found {
        let along = dot(&v, earlier);
        v.iter_mut().zip(earlier).for_each(|(x, e)| *x -= along * e);
    }
    normalise(&mut v);
    v
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn normalise(v: &mut [f64]) {
    let length = norm(v);
    if length > 0.0 {
        v.iter_mut().for_each(|x| *x /= length);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Reproducible values in [-1, 1) (xorshift32).
    fn noise(len: usize, mut state: u32) -> Vec<f64> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                f64::from(state) / 2f64.powi(31) - 1.0
            })
            .collect()
    }

    fn unit(v: &[f64]) -> Vec<f64> {
        let mut v = v.to_vec();
        normalise(&mut v);
        v
    }

    #[test]
    fn finds_a_known_dominant_direction() {
        let dim = 6;
        let (u, w) = (unit(&[1.0, 2.0, 0.0, -1.0, 0.5, 0.0]), unit(&[2.0, -1.0, 0.0, 0.0, 0.0, 1.0]));
        assert!(dot(&u, &w).abs() < 1e-12);
        let centre = [3.0, -1.0, 0.5, 0.0, 2.0, 10.0];
        let (a, b, jitter) = (noise(2000, 1), noise(2000, 2), noise(2000 * dim, 3));
        let mut samples = Vec::new();
        for i in 0..2000 {
            for d in 0..dim {
                samples.push((centre[d] + 5.0 * a[i] * u[d] + 1.5 * b[i] * w[d] + 0.05 * jitter[i * dim + d]) as f32);
            }
        }
        let (mean, components) = fit_pca(&samples, dim, 3).unwrap();
        assert!(mean.iter().zip(centre).all(|(m, c)| (f64::from(*m) - c).abs() < 0.3), "{mean:?}");
        let c: Vec<Vec<f64>> =
            components.chunks_exact(dim).map(|c| c.iter().map(|v| f64::from(*v)).collect()).collect();
        assert!(dot(&c[0], &u).abs() > 0.999, "{:?}", c[0]);
        assert!(dot(&c[1], &w).abs() > 0.99, "{:?}", c[1]);
        for i in 0..3 {
            assert!((norm(&c[i]) - 1.0).abs() < 1e-6);
            for j in 0..i {
                assert!(dot(&c[i], &c[j]).abs() < 1e-5, "{i} {j}");
            }
        }
        // Signed so the largest entry is positive: u's largest is +2.
        assert!(c[0][1] > 0.0);
        // Deterministic.
        assert_eq!(fit_pca(&samples, dim, 3).unwrap().1, components);
    }

    #[test]
    fn rank_one_data_gives_zero_components_past_the_first() {
        let samples: Vec<f32> = (0..10).flat_map(|i| [i as f32, 2.0 * i as f32]).collect();
        let (_, components) = fit_pca(&samples, 2, 2).unwrap();
        let first = [1.0 / 5f32.sqrt(), 2.0 / 5f32.sqrt()];
        assert!((components[0] - first[0]).abs() < 1e-6 && (components[1] - first[1]).abs() < 1e-6, "{components:?}");
        assert_eq!(&components[2..], &[0.0, 0.0]);
    }

    #[test]
    fn a_covariance_column_that_is_a_smaller_eigenvector_does_not_hide_the_largest() {
        // Every sign of a, b, c once: cross-covariances exactly 0.
        let signs = |i: usize| [i & 1, i >> 1 & 1, i >> 2 & 1].map(|bit| if bit == 1 { 1.0f32 } else { -1.0 });
        let close = |got: &[f32], want: &[f32]| got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-4);

        // The first column, [1, 0, 0] (variance 3.06), is an eigenvector of the covariance and
        // its longest column; the largest variance (3.125) lies along [0, 1, 1]/√2.
        let samples: Vec<f32> = (0..4).map(signs).flat_map(|[a, b, _]| [1.75 * a, 1.25 * b, 1.25 * b]).collect();
        let (_, components) = fit_pca(&samples, 3, 2).unwrap();
        let half = 0.5f32.sqrt();
        assert!(close(&components, &[0.0, half, half, 1.0, 0.0, 0.0]), "{components:?}");

        // Ten dimensions moving together (variance 10 along their diagonal) beside two
        // independent ones (3.61 and 3.42, the longest columns): the diagonal comes first.
        let samples: Vec<f32> =
            (0..8).map(signs).flat_map(|[a, b, c]| [[1.9 * a, 1.85 * b].as_slice(), &[c; 10]].concat()).collect();
        let (_, components) = fit_pca(&samples, 12, 2).unwrap();
        let diagonal = [[0.0, 0.0].as_slice(), &[10f32.sqrt().recip(); 10]].concat();
        assert!(close(&components[..12], &diagonal), "{components:?}");
        assert!(close(&components[12..], &[[1.0].as_slice(), &[0.0; 11]].concat()), "{components:?}");
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(fit_pca(&[0.0; 6], 3, 0).is_err());
        assert!(fit_pca(&[0.0; 6], 3, 4).is_err());
        assert!(fit_pca(&[0.0; 5], 3, 1).is_err());
        assert!(fit_pca(&[], 3, 1).is_err());
        // Identical samples: no variance, so a zero component rather than NaN.
        assert_eq!(fit_pca(&[1.0; 6], 3, 1).unwrap().1, vec![0.0; 3]);
    }
}
