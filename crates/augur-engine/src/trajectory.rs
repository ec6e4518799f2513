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

/// Fits PCA on the timeline's pooled latents and projects the trail and the newest branch.
pub fn project(timeline: &Timeline, dims: usize) -> Result<Trajectory, EngineError> {
    if !(2..=3).contains(&dims) {
        return Err(EngineError::Usage(format!("a trajectory has 2 or 3 components, not {dims}")));
    }
    let dim = timeline.latest().map_or(0, |m| m.pooled.len());
    if timeline.len() < 2 || dim < dims {
        return Ok(Trajectory { dims, ..Trajectory::default() });
    }
    let samples: Vec<f32> = timeline.iter().flat_map(|m| m.pooled.iter().copied()).collect();
    let (mean, components) =
        augur_gpu::project::fit_pca(&samples, dim, dims).map_err(|e| EngineError::Usage(e.to_string()))?;
    let onto = |v: &[f32]| -> Vec<f32> {
        components.chunks(dim).map(|c| c.iter().zip(v.iter().zip(&mean)).map(|(c, (x, m))| c * (x - m)).sum()).collect()
    };
    let trail = timeline.iter().map(|m| onto(&m.pooled)).collect();
    let indices = timeline.iter().map(|m| m.index).collect();
    let branch = timeline.latest().map(|m| m.predicted_pooled.iter().map(|p| onto(p)).collect()).unwrap_or_default();
    Ok(Trajectory { dims, trail, indices, branch, mean, components })
}
