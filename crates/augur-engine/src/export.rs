//! Exports from the timeline: a side-by-side MP4 (truth | what the model expected one frame
//! earlier | error heatmap), a PNG snapshot of the newest moment's filmstrip, and a CSV of the
//! per-frame metrics, so a moment can be shown or analysed outside the app.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use augur_capture::VideoWriter;

use crate::EngineError;
use crate::timeline::Moment;

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// The folder.
    pub dir: PathBuf,
    /// Moments exported.
    pub moments: usize,
    /// The video, the snapshot and the CSV.
    pub files: Vec<PathBuf>,
}

/// Writes `moments` (oldest first, consecutive) into `dir` at `fps`, panels scaled to `panel`.
pub fn export(moments: &[Moment], size: usize, fps: u32, panel: usize, dir: &Path) -> Result<Exported, EngineError> {
    if moments.len() < 2 {
        return Err(EngineError::Usage("export needs at least two moments on the timeline".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| EngineError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let p = panel.max(size);
    let video = dir.join("side-by-side.mp4");
    let mut w = VideoWriter::create(&video, (3 * p) as u32, p as u32, fps.max(1))?;
    let plane = size * size * 3;
    let mut csv = String::from("index,seconds,surprise,pixel_error\n");
    for pair in moments.windows(2) {
        let (before, now) = (&pair[0], &pair[1]);
        let expected = before.predicted.get(..plane).unwrap_or(&now.input);
        let tiles = [&now.input[..], expected, &now.heatmap[..]];
        w.push_rgb(&augur_model::canvas::side_by_side(&tiles, size, p), (3 * p) as u32)?;
    }
    for m in moments {
        let _ = writeln!(csv, "{},{:.4},{},{}", m.index, m.pts.as_secs_f64(), m.surprise, m.pixel_error);
    }
    w.finish()?;
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
    Ok(Exported { dir: dir.to_path_buf(), moments: moments.len(), files: vec![video, snap, csv_path] })
}
