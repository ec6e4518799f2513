//! Where the ball is, read from the latents: the ball's centre in the held-out one-ball scene
//! frames whose target latents are nearest (k nearest neighbours over the video tokens), read
//! on other scenes from the real frames' latents and from the predictor's rollouts. It tells,
//! without the decoder, whether the predicted latents move the ball: a decoder that fades a
//! ball the latents carried is the decoder's fault, a ball the latents left behind is the
//! predictor's. Neighbours rather than a linear fit: a token grid holds a ball's place
//! nonlinearly, and a linear probe fit on real latents reads rolled-out ones wildly.

use augur_capture::scene::Scene;
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use super::{batch, held_out_scene, read};
use crate::data::HELD_OUT_SEEDS;
use crate::frames::to_model_input;
use crate::{ModelConfig, ModelError, WorldModel};

/// Seeds of the scenes the probe reads by, and of those it reads: held out from training,
/// apart from the other tables' seeds.
const PROBE_SEEDS: u64 = HELD_OUT_SEEDS + 4_000_000;
const SCORED_SEEDS: u64 = HELD_OUT_SEEDS + 5_000_000;
/// Neighbours averaged per read.
const NEIGHBOURS: usize = 8;

/// One step ahead of the probe's table. Distances are mean pixels at model size.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProbeRow {
    /// Steps ahead, 1..=H.
    pub step: usize,
    /// Clips scored at this step (the ball visible at the last seen frame and at this one).
    pub clips: usize,
    /// The ball read from the predicted latents, against where it really is.
    pub predicted_px: f64,
    /// The ball read from the real frame's latents: the probe's own error.
    pub true_latents_px: f64,
    /// "It stays where it was": the ball's real move since the last seen frame.
    pub copy_last_px: f64,
    /// How much of the ball's real move the prediction made: the read move along the real one,
    /// over the real one's length (1 = all of it, 0 = none), mean over clips that moved ≥ 2 px.
    pub share_of_move: f64,
}

/// The probe's reference frames and its table.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    /// Reference frames (the ball showing) the probe reads by, from `reference_clips` clips.
    pub reference_frames: usize,
    /// Clips they came from.
    pub reference_clips: usize,
    /// Neighbours averaged per read.
    pub neighbours: usize,
    /// The error of always saying "the mean position", on the scored frames: the scale the
    /// other distances are small against.
    pub mean_position_px: f64,
    /// One row per step ahead.
    pub rows: Vec<ProbeRow>,
}

/// A clip's frames at model size and the ball's centre per frame (`None` where it does not show).
type Labelled = (Vec<f32>, Vec<Option<[f32; 2]>>);

/// One-ball scene clips of `len` frames at model size, with the ball's centre per frame
/// (`None` where it is out of the frame or hidden).
fn labelled_clips(first: u64, count: usize, len: usize, size: usize) -> Result<Vec<Labelled>, ModelError> {
    (0..count)
        .map(|i| {
            let cfg = held_out_scene(first + i as u64, size, 1, false);
            let bad = |e: augur_capture::CaptureError| ModelError::BadData {
                given: format!("scene seed {}", cfg.seed),
                why: e.to_string(),
            };
            let mut scene = Scene::new(&cfg).map_err(bad)?;
            for _ in 0..(10 + (i * 7) % 60) {
                scene.step();
            }
            let mut rgb = vec![0u8; size * size * 3];
            let (mut pixels, mut at) = (Vec::with_capacity(len * 3 * size * size), Vec::with_capacity(len));
            for _ in 0..len {
                scene.render_into(&mut rgb);
                pixels.extend(to_model_input(&rgb, size, size, size));
                let ball = scene.ball_states().first().copied();
                at.push(ball.filter(|b| b.visible && !b.occluded).map(|b| b.position));
                scene.step();
            }
            Ok((pixels, at))
        })
        .collect()
}

/// The video tokens of `latents` (`[b, T, tokens, d]`, the audio token last) as one row of
/// features per frame, `[b × T, grid² × d]`.
fn features(latents: Tensor<4>, grid: usize) -> Tensor<2> {
    let [b, t, _, d] = latents.dims();
    latents.narrow(2, 0, grid * grid).reshape([b * t, grid * grid * d])
}

/// Each clip's mean features over its first `context` frames, from rows of `len` frames a clip.
fn context_means(rows: &[f32], len: usize, context: usize, f: usize) -> Vec<f32> {
    rows.chunks(len * f)
        .flat_map(|clip| (0..f).map(move |j| (0..context).map(|t| clip[t * f + j]).sum::<f32>() / context as f32))
        .collect()
}

/// Takes each clip's `means` (`f` a clip) from its rows, `per_clip` rows a clip: what stays
/// still over the context (the background, the scene's colours) no longer decides which frames
/// are nearest, the ball does.
fn subtract(rows: &mut [f32], per_clip: usize, means: &[f32], f: usize) {
    for (clip, mean) in rows.chunks_mut(per_clip * f).zip(means.chunks(f)) {
        for row in clip.chunks_mut(f) {
            row.iter_mut().zip(mean).for_each(|(v, m)| *v -= m);
        }
    }
}

/// Reads a ball's centre from latents: the mean centre of the [`NEIGHBOURS`] reference frames
/// whose features are nearest (Euclidean).
struct Neighbours {
    /// `[references, features]`, on the device.
    references: Tensor<2>,
    /// Each reference's squared norm, `[1, references]`.
    norms: Tensor<2>,
    centres: Vec<[f32; 2]>,
}

impl Neighbours {
    fn new(x: Vec<f32>, centres: Vec<[f32; 2]>, f: usize, device: &Device) -> Option<Self> {
        let n = centres.len();
        if n == 0 || f == 0 || x.len() != n * f {
            return None;
        }
        let references = Tensor::<2>::from_data(TensorData::new(x, [n, f]), device);
        let norms = references.clone().powi_scalar(2).sum_dim(1).reshape([1, n]);
        Some(Self { references, norms, centres })
    }

    /// One centre per row of `queries` (`q × f`, row-major).
    fn read(&self, queries: &[f32], f: usize) -> Result<Vec<[f64; 2]>, ModelError> {
        let n = self.centres.len();
        let k = NEIGHBOURS.min(n);
        let mut out = Vec::with_capacity(queries.len() / f.max(1));
        for chunk in queries.chunks(256 * f) {
            let q = chunk.len() / f;
            let device = self.references.device();
            let queries = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [q, f]), &device);
            // |a − b|² = |a|² + |b|² − 2 a·b; the queries' own norms do not change the order.
            let dots = queries.matmul(self.references.clone().transpose());
            let distances = read(self.norms.clone() - dots.mul_scalar(2.0))?;
            for row in distances.chunks(n) {
                let mut order: Vec<usize> = (0..n).collect();
                order.select_nth_unstable_by(k - 1, |&a, &b| row[a].total_cmp(&row[b]));
                let sum = order[..k]
                    .iter()
                    .fold([0.0; 2], |s, &i| [s[0] + self.centres[i][0] as f64, s[1] + self.centres[i][1] as f64]);
                out.push([sum[0] / k as f64, sum[1] / k as f64]);
            }
        }
        Ok(out)
    }
}

fn distance(a: [f64; 2], b: [f32; 2]) -> f64 {
    ((a[0] - b[0] as f64).powi(2) + (a[1] - b[1] as f64).powi(2)).sqrt()
}

/// Reads the ball by `reference_clips` one-ball scenes' target latents in `scored` others: from
/// the real frames and from the rollout `horizon` steps after a context of `cfg.context` frames.
pub fn ball_probe(
    model: &WorldModel,
    cfg: &ModelConfig,
    reference_clips: usize,
    scored: usize,
    horizon: usize,
    device: &Device,
) -> Result<ProbeReport, ModelError> {
    let (size, context, grid) = (cfg.image_size, cfg.context, cfg.grid);
    let len = context + horizon;
    let f = grid * grid * cfg.latent_dim;
    let frames = |chunk: &[Labelled]| batch(chunk.iter().map(|c| c.0.as_slice()), len, size, device);
    // The reference frames: every frame of the reference clips where the ball shows.
    let reference = labelled_clips(PROBE_SEEDS, reference_clips, len, size)?;
    let mut rows = Vec::new();
    for chunk in reference.chunks(8) {
        rows.extend(read(features(model.target.forward(frames(chunk), None), grid))?);
    }
    let means = context_means(&rows, len, context, f);
    subtract(&mut rows, len, &means, f);
    let (mut x, mut centres) = (Vec::new(), Vec::new());
    for (c, (_, at)) in reference.iter().enumerate() {
        for (t, centre) in at.iter().enumerate() {
            if let Some(p) = centre {
                x.extend_from_slice(&rows[(c * len + t) * f..][..f]);
                centres.push(*p);
            }
        }
    }
    let reference_frames = centres.len();
    let Some(probe) = Neighbours::new(x, centres, f, device) else {
        let why = "no reference frame shows the ball, so there is nothing to read a position by";
        return Err(ModelError::BadData { given: "the latent probe's scenes".into(), why: why.into() });
    };

    // Read: the rollout after each scored clip's context, the real frames' latents, and the
    // ball staying where it was at the last seen frame.
    let scoring = labelled_clips(SCORED_SEEDS, scored, len, size)?;
    let (mut truth, mut predicted) = (Vec::new(), Vec::new());
    for chunk in scoring.chunks(8) {
        let frames = frames(chunk);
        truth.extend(read(features(model.target.forward(frames.clone(), None), grid))?);
        let ctx = model.online.forward(frames.narrow(1, 0, context), None);
        predicted.extend(read(features(model.rollout(ctx, None, horizon), grid))?);
    }
    let means = context_means(&truth, len, context, f);
    subtract(&mut truth, len, &means, f);
    let truth = probe.read(&truth, f)?;
    subtract(&mut predicted, horizon, &means, f);
    let predicted = probe.read(&predicted, f)?;
    let last = context - 1;
    let mut table: Vec<ProbeRow> = (1..=horizon).map(|step| ProbeRow { step, ..Default::default() }).collect();
    let mut moved = vec![0usize; horizon];
    let (mut spread, mut spread_n) = (0.0, 0usize);
    let all: Vec<[f32; 2]> = scoring.iter().flat_map(|(_, at)| at.iter().flatten().copied()).collect();
    let mean = [0, 1].map(|k| all.iter().map(|p| p[k] as f64).sum::<f64>() / all.len().max(1) as f64);
    for (c, (_, at)) in scoring.iter().enumerate() {
        let seen_read = truth[c * len + last];
        for (k, row) in table.iter_mut().enumerate() {
            let (Some(from), Some(to)) = (at[last], at[last + 1 + k]) else { continue };
            let (guess, real_read) = (predicted[c * horizon + k], truth[c * len + last + 1 + k]);
            row.clips += 1;
            row.predicted_px += distance(guess, to);
            row.true_latents_px += distance(real_read, to);
            row.copy_last_px += distance([from[0] as f64, from[1] as f64], to);
            spread += distance(mean, to);
            spread_n += 1;
            let real = [(to[0] - from[0]) as f64, (to[1] - from[1]) as f64];
            let length = real[0].hypot(real[1]);
            if length >= 2.0 {
                let read_move = [guess[0] - seen_read[0], guess[1] - seen_read[1]];
                row.share_of_move += (read_move[0] * real[0] + read_move[1] * real[1]) / (length * length);
                moved[k] += 1;
            }
        }
    }
    for (row, m) in table.iter_mut().zip(moved) {
        let n = row.clips.max(1) as f64;
        row.predicted_px /= n;
        row.true_latents_px /= n;
        row.copy_last_px /= n;
        row.share_of_move /= m.max(1) as f64;
    }
    Ok(ProbeReport {
        reference_frames,
        reference_clips,
        neighbours: NEIGHBOURS,
        mean_position_px: spread / spread_n.max(1) as f64,
        rows: table,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use burn::tensor::Device;

    use super::{NEIGHBOURS, Neighbours};

    #[test]
    fn the_neighbours_read_the_centre_of_the_nearest_frames() {
        // Two clusters of references far apart in feature space, one with the ball at the
        // top left, one at the bottom right; a query near each reads that cluster's centre.
        let f = 3;
        let (mut x, mut centres) = (Vec::new(), Vec::new());
        for i in 0..NEIGHBOURS {
            let jitter = i as f32 * 0.01;
            x.extend([jitter, 0.0, 0.0]);
            centres.push([4.0, 6.0]);
            x.extend([10.0 + jitter, 10.0, 10.0]);
            centres.push([50.0, 60.0]);
        }
        let probe = Neighbours::new(x, centres, f, &Device::flex()).unwrap();
        let read = probe.read(&[0.1, 0.2, 0.0, 9.0, 11.0, 10.0], f).unwrap();
        assert_eq!(read, vec![[4.0, 6.0], [50.0, 60.0]]);
        assert!(Neighbours::new(Vec::new(), Vec::new(), f, &Device::flex()).is_none(), "no references, no probe");
    }
}
