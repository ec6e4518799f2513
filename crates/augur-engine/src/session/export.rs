//! The session's exports: the moments of a range written as videos, a snapshot, metrics and
//! the scope's dashboard, and the dashboard of the newest moments.

use std::time::Duration;

use super::{Session, lock};
use crate::EngineError;
use crate::timeline::Moment;

impl Session {
    /// Exports the moments `from..=to` into `dir`: side-by-side MP4, PNG snapshot, metrics CSV,
    /// and the scope's dashboard of the newest moment (`dashboard.png`) and of every moment
    /// (`dashboard.mp4`, the slow part: `progress(done, total)` after each of its frames). Both
    /// videos carry what the microphone heard, when there is one (silence from before it was
    /// picked, or from more than the timeline's length ago).
    pub fn export(
        &self,
        from: u64,
        to: u64,
        dir: &std::path::Path,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<crate::Exported, EngineError> {
        // The size and names under the timeline's lock, as a model switch changes them.
        let (moments, size, models) = {
            let timeline = lock(&self.shared.timeline);
            let moments: Vec<Moment> = timeline.iter().filter(|m| (from..=to).contains(&m.index)).cloned().collect();
            (moments, self.size(), self.model_names())
        };
        // Moments come at the prediction rate, so the video plays at that rate: real time.
        let span = match (moments.first(), moments.last()) {
            (Some(a), Some(b)) if moments.len() > 1 => (b.pts - a.pts).as_secs_f64() / (moments.len() - 1) as f64,
            _ => 1.0 / 30.0,
        };
        let fps = (1.0 / span.max(1e-3)).round().clamp(1.0, 240.0) as u32;
        // The rate of the microphone listening now, read before what was heard is locked: the
        // `Arc` may be the microphone's last, and dropping it joins its thread, which waits for
        // that lock.
        let listening = self.shared.sound().map(|s| s.rate());
        let sound = self.soundtrack(&moments, fps, listening);
        let mut out = crate::export(&moments, size, fps, 256, dir, sound.as_ref())?;
        let pts: Vec<Duration> = moments.iter().map(|m| m.pts).collect();
        // The scope's dashboard needs a GPU device (lavapipe will do); without one the rest
        // still stands.
        // The trajectory of the range exported, as dashboard.mp4 draws it, ending at its last
        // moment (the live one would end at the newest moment, past the range).
        let history = crate::trajectory::history(&moments);
        let trail = history.iter().map(|(point, _)| *point).collect();
        let branch = history.last().map(|(_, branch)| branch.clone()).unwrap_or_default();
        let snapshot = crate::Snapshot { moments, size, models, trail, branch, stats: self.stats() };
        let path = dir.join("dashboard.png");
        match snapshot.write(&path) {
            Ok(()) => out.files.push(path),
            Err(e) => out.notes.push(e.to_string()),
        }
        let path = dir.join("dashboard.mp4");
        let dashboard = match snapshot.write_video(&path, fps, sound.as_ref(), progress) {
            Ok(_) => {
                out.files.push(path);
                true
            }
            Err(e) => {
                // A video cut short would not play; the note says why it is missing.
                let _ = std::fs::remove_file(&path);
                out.notes.push(e.to_string());
                false
            }
        };
        // Told of the videos written.
        out.notes.extend(sound.as_ref().and_then(|s| s.silences_note(&pts, fps, listening.is_some(), dashboard)));
        Ok(out)
    }

    /// What the scope's dashboard shows now: the newest 300 moments, the trajectory, the rates.
    pub fn dashboard(&self) -> crate::Snapshot {
        let (moments, size, models) = {
            let t = lock(&self.shared.timeline);
            let skip = t.len().saturating_sub(300);
            (t.iter().skip(skip).cloned().collect(), self.size(), self.model_names())
        };
        let xy = |p: &Vec<f32>| [p.first().copied().unwrap_or(0.0), p.get(1).copied().unwrap_or(0.0)];
        let (trail, branch) = match self.trajectory(2) {
            Ok(t) => (t.trail.iter().map(xy).collect(), t.branch.iter().map(xy).collect()),
            Err(_) => (Vec::new(), Vec::new()),
        };
        crate::Snapshot { moments, size, models, trail, branch, stats: self.stats() }
    }

    /// The short names of the model and of the compared one ("" when none).
    fn model_names(&self) -> [String; 2] {
        let short = |p: String| p.rsplit('/').next().unwrap_or_default().to_string();
        [short(self.model_name()), self.compare_name().map(short).unwrap_or_default()]
    }
}
