//! The latent trajectory: pooled latents of the timeline projected onto their principal
//! components (2 or 3), with the branch the model predicts from the newest moment.

use crate::EngineError;
use crate::timeline::Timeline;

/// Projected points, ready to plot.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    /// Components per point (2 or 3).
    pub dims: usize,
    /// The observed trail, oldest first, one point per moment.
    pub trail: Vec<Vec<f32>>,
    /// Session index of each trail point.
    pub indices: Vec<u64>,
    /// The predicted branch from the newest moment (H points).
    pub branch: Vec<Vec<f32>>,
    /// The mean and components the points were projected with (`dims × dim`), for steering.
    pub mean: Vec<f32>,
    /// See [`Trajectory::mean`].
    pub components: Vec<f32>,
}

/// The timeline's pooled latents, copied out so the fit runs without holding its lock.
#[derive(Debug, Clone, Default)]
pub struct Points {
    pooled: Vec<Vec<f32>>,
    indices: Vec<u64>,
    branch: Vec<Vec<f32>>,
}

impl Points {
    /// The points of every moment held, and the newest moment's predicted branch.
    pub fn of(timeline: &Timeline) -> Self {
        Self {
            pooled: timeline.iter().map(|m| m.pooled.clone()).collect(),
            indices: timeline.iter().map(|m| m.index).collect(),
            branch: timeline.latest().map(|m| m.predicted_pooled.clone()).unwrap_or_default(),
        }
    }
}

/// Fits PCA on the pooled latents and projects the trail and the newest branch.
pub fn project(points: &Points, dims: usize) -> Result<Trajectory, EngineError> {
    if !(2..=3).contains(&dims) {
        return Err(EngineError::Usage(format!("a trajectory has 2 or 3 components, not {dims}")));
    }
    let dim = points.pooled.last().map_or(0, Vec::len);
    if points.pooled.len() < 2 || dim < dims || points.pooled.iter().any(|p| p.len() != dim) {
        return Ok(Trajectory { dims, ..Trajectory::default() });
    }
    let samples: Vec<f32> = points.pooled.iter().flat_map(|p| p.iter().copied()).collect();
    let (mean, components) =
        augur_gpu::project::fit_pca(&samples, dim, dims).map_err(|e| EngineError::Usage(e.to_string()))?;
    let onto = |v: &[f32]| -> Vec<f32> {
        components.chunks(dim).map(|c| c.iter().zip(v.iter().zip(&mean)).map(|(c, (x, m))| c * (x - m)).sum()).collect()
    };
    let trail = points.pooled.iter().map(|p| onto(p)).collect();
    let indices = points.indices.clone();
    let branch = points.branch.iter().filter(|p| p.len() == dim).map(|p| onto(p)).collect();
    Ok(Trajectory { dims, trail, indices, branch, mean, components })
}

/// Where each of `moments` stood on the trajectory, for a video of the range: every moment's
/// point and its predicted branch on two components fitted once over the whole range (so the
/// axes hold still from frame to frame). Empty when there are too few points to fit.
pub fn history(moments: &[crate::timeline::Moment]) -> Vec<([f32; 2], Vec<[f32; 2]>)> {
    let dim = moments.last().map_or(0, |m| m.pooled.len());
    if moments.len() < 2 || dim < 2 || moments.iter().any(|m| m.pooled.len() != dim) {
        return Vec::new();
    }
    let samples: Vec<f32> = moments.iter().flat_map(|m| m.pooled.iter().copied()).collect();
    let Ok((mean, components)) = augur_gpu::project::fit_pca(&samples, dim, 2) else { return Vec::new() };
    let onto = |v: &[f32]| -> [f32; 2] {
        let mut out = [0.0; 2];
        for (o, c) in out.iter_mut().zip(components.chunks(dim)) {
            *o = c.iter().zip(v.iter().zip(&mean)).map(|(c, (x, m))| c * (x - m)).sum();
        }
        out
    };
    moments
        .iter()
        .map(|m| (onto(&m.pooled), m.predicted_pooled.iter().filter(|p| p.len() == dim).map(|p| onto(p)).collect()))
        .collect()
}
