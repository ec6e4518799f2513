//! Exports from the timeline: a side-by-side MP4 (truth | what the model expected one frame
//! earlier | error heatmap), a PNG snapshot of the newest moment's filmstrip, and a CSV of the
//! per-frame metrics, so a moment can be shown or analysed outside the app. With an A/B
//! compare running, the video adds the second model's expectation and error, and the CSV its
//! surprise and pixel error. With a microphone, the video carries what it heard meanwhile.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use augur_capture::SoundedVideo;

use crate::EngineError;
use crate::soundtrack::Soundtrack;
use crate::timeline::Moment;

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// The folder.
    pub dir: PathBuf,
    /// Moments exported.
    pub moments: usize,
    /// The video, the snapshot and the CSV (then the dashboard image, when it could be drawn).
    pub files: Vec<PathBuf>,
    /// What could not be written and why (the export keeps the rest).
    pub notes: Vec<String>,
}

/// Writes `moments` (oldest first, consecutive) into `dir` at `fps`, panels scaled to `panel`;
/// the video plays `sound` in step with the moments (each frame what was heard from its moment
/// on) when given.
pub fn export(
    moments: &[Moment],
    size: usize,
    fps: u32,
    panel: usize,
    dir: &Path,
    sound: Option<&Soundtrack>,
) -> Result<Exported, EngineError> {
    if moments.len() < 2 {
        return Err(EngineError::Usage("export needs at least two moments on the timeline".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| EngineError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let p = panel.max(size);
    let video = dir.join("side-by-side.mp4");
    // The second model's panels only when it ran for the whole range: a video's width is fixed.
    let both = moments.iter().all(|m| m.compare.is_some());
    let columns = if both { 5 } else { 3 };
    let mut w = SoundedVideo::create(&video, (columns * p) as u32, p as u32, fps.max(1), sound.map(|s| s.rate))?;
    let plane = size * size * 3;
    let mut csv = String::from("index,seconds,surprise,pixel_error,compare_surprise,compare_pixel_error\n");
    let mut frames = || -> Result<(), EngineError> {
        for (k, pair) in moments.windows(2).enumerate() {
            let (before, now) = (&pair[0], &pair[1]);
            let expected = before.predicted.get(..plane).unwrap_or(&now.input);
            let mut tiles: Vec<Vec<u8>> = vec![now.input.to_vec(), expected.to_vec(), now.heatmap.to_vec()];
            if let (true, Some(b0), Some(b1)) = (both, &before.compare, &now.compare) {
                let bp = b1.size * b1.size * 3;
                let expected_b = b0.predicted.get(..bp).unwrap_or(&b1.input);
                tiles.push(resize(expected_b, b1.size, size));
                tiles.push(resize(&b1.heatmap, b1.size, size));
            }
            let refs: Vec<&[u8]> = tiles.iter().map(Vec::as_slice).collect();
            let heard = sound.map(|s| s.for_frame(k, fps.max(1), now.pts)).unwrap_or_default();
            w.push(&augur_model::canvas::side_by_side(&refs, size, p), (columns * p) as u32, &heard)?;
        }
        Ok(())
    };
    if let Err(e) = frames().and_then(|()| w.finish().map(drop).map_err(EngineError::from)) {
        // A video cut short would not play.
        let _ = std::fs::remove_file(&video);
        return Err(e);
    }
    for m in moments {
        let (cs, cp) = m.compare.as_ref().map_or((f32::NAN, f32::NAN), |c| (c.surprise, c.pixel_error));
        let _ = writeln!(csv, "{},{:.4},{},{},{cs},{cp}", m.index, m.pts.as_secs_f64(), m.surprise, m.pixel_error);
    }
    let csv_path = dir.join("metrics.csv");
    std::fs::write(&csv_path, csv)
        .map_err(|e| EngineError::Usage(format!("cannot write {}: {e}", csv_path.display())))?;
    let last = &moments[moments.len() - 1];
    let tiles: Vec<&[u8]> =
        [&last.input[..], &last.heatmap[..]].into_iter().chain(last.predicted.chunks(plane)).collect();
    let snap = dir.join("snapshot.png");
    augur_model::canvas::write_png(
        &snap,
        (tiles.len() * size) as u32,
        size as u32,
        &augur_model::canvas::side_by_side(&tiles, size, size),
    )?;
    Ok(Exported {
        dir: dir.to_path_buf(),
        moments: moments.len(),
        files: vec![video, snap, csv_path],
        notes: Vec::new(),
    })
}

/// A square RGB8 image from `from` to `to` pixels a side (the second model may see another size).
fn resize(rgb: &[u8], from: usize, to: usize) -> Vec<u8> {
    if from == to {
        return rgb.to_vec();
    }
    augur_model::frames::to_rgb8(&augur_model::frames::to_model_input(rgb, from, from, to), to)
}
