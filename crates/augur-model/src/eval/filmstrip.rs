//! A picture of the predictions, for people who would rather look than read the tables: for a
//! few held-out scenes, the real frames after the context, the decoder drawing those frames'
//! true latents, and the rollout drawn. Where the ball sits still or turns grey in the middle
//! row, the decoder is what fails; where only the bottom row goes wrong, the predictor is. A
//! decoder that warps also shows the last frame moved by its flow for the true latents, before
//! anything is painted over it: whether the warp itself carries the ball.

use std::path::Path;

use burn::tensor::Device;

use super::{held_out_scenes, read};
use crate::canvas::{Canvas, side_by_side};
use crate::frames::to_rgb8;
use crate::warp::warp;
use crate::{ModelConfig, ModelError, WorldModel};

/// Held-out scenes shown: one ball with an occluder, two balls, three balls with an occluder.
const PICKED: [usize; 3] = [0, 1, 2];
const INK: [u8; 3] = [20, 20, 20];

/// Writes the filmstrip of `horizon` predicted steps (unfaded) to `path`.
pub fn rollout_filmstrip(
    model: &WorldModel,
    cfg: &ModelConfig,
    horizon: usize,
    path: &Path,
    device: &Device,
) -> Result<(), ModelError> {
    let (c, s) = (cfg.context, cfg.image_size);
    let frame = 3 * s * s;
    let clips = held_out_scenes(PICKED.iter().max().map_or(1, |m| m + 1), 0, c + horizon, s)?;
    // Tiles of at least 96 px, so 32 px models are not too small to see.
    let p = s * 96usize.div_ceil(s).max(1);
    let (label_w, head, gap) = (112, 18, 10);
    let rows = if model.decoder.warps() { 4 } else { 3 };
    let mut canvas = Canvas::new(label_w + (horizon + 1) * p, head + PICKED.len() * (rows * p + gap), [255, 255, 255]);
    canvas.text(label_w as i64 + 4, 4, "last seen", 2, INK);
    for k in 1..=horizon {
        canvas.text((label_w + k * p) as i64 + 4, 4, &format!("t+{k}"), 2, INK);
    }
    for (n, &i) in PICKED.iter().enumerate() {
        let clip = &clips[i];
        let frames = crate::frames::clips_tensor(clip.clone(), c + horizon, s, device);
        let seen = model.online.forward(frames.clone().narrow(1, 0, c), None);
        let anchor = frames.clone().narrow(1, c - 1, 1).reshape([1, 3, s, s]);
        // The last frame's target latents and the truth's in one pass; both drawings use the first.
        let known = model.target.forward(frames.narrow(1, c - 1, 1 + horizon), None);
        let [_, _, m, d] = known.dims();
        let before = known.clone().narrow(1, 0, 1).reshape([1, m, d]);
        let drawing = model.draw_after(known.narrow(1, 1, horizon), anchor.clone(), Some(before.clone()));
        let moved = match drawing.flow {
            Some(flow) => {
                let each = anchor.clone().expand([horizon, 3, s, s]);
                read(warp(each, flow.reshape([horizon, 2, s, s])).reshape([horizon * frame]))?
            }
            None => Vec::new(),
        };
        let predicted = model.decode_after(model.rollout(seen, None, horizon), anchor, Some(before));
        let drawn = read(drawing.pixels.reshape([horizon * frame]))?;
        let predicted = read(predicted.reshape([horizon * frame]))?;
        let last = to_rgb8(&clip[(c - 1) * frame..][..frame], s);
        let mut strips = vec![("real", &clip[c * frame..]), ("true latents", &drawn[..])];
        if !moved.is_empty() {
            strips.push(("warp only", &moved[..]));
        }
        strips.push(("predicted", &predicted[..]));
        for (r, (label, row)) in strips.into_iter().enumerate() {
            let top = head + n * (rows * p + gap) + r * p;
            canvas.text(4, (top + p / 2) as i64 - 5, label, 2, INK);
            let mut tiles = vec![last.clone()];
            tiles.extend((0..horizon).map(|k| to_rgb8(&row[k * frame..][..frame], s)));
            let strip = side_by_side(&tiles.iter().map(Vec::as_slice).collect::<Vec<_>>(), s, p);
            let strip_w = (horizon + 1) * p * 3;
            for y in 0..p {
                let at = ((top + y) * canvas.width + label_w) * 3;
                canvas.rgb[at..at + strip_w].copy_from_slice(&strip[y * strip_w..][..strip_w]);
            }
        }
    }
    canvas.save_png(path)
}
