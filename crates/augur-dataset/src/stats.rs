//! `meta/stats.json`: min, max, mean, std and count per feature component, which LeRobot uses
//! to normalise inputs. Numeric features are computed from every row; the camera from pixels
//! sampled on an 8-pixel grid of every frame, in [0, 1] per RGB channel.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::layout::VIDEO_KEY;
use crate::rows::Row;

/// Running moments of a vector feature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Values seen per component.
    pub count: u64,
    /// Sum per component.
    pub sum: Vec<f64>,
    /// Sum of squares per component.
    pub sumsq: Vec<f64>,
    /// Minimum per component.
    pub min: Vec<f64>,
    /// Maximum per component.
    pub max: Vec<f64>,
}

impl Moments {
    /// Adds one observation of every component.
    pub fn add(&mut self, values: &[f64]) {
        if self.sum.len() != values.len() || !self.whole() {
            *self = Self {
                count: 0,
                sum: vec![0.0; values.len()],
                sumsq: vec![0.0; values.len()],
                min: vec![f64::INFINITY; values.len()],
                max: vec![f64::NEG_INFINITY; values.len()],
            };
        }
        self.count = self.count.saturating_add(1);
        for (i, &v) in values.iter().enumerate() {
            self.sum[i] += v;
            self.sumsq[i] += v * v;
            self.min[i] = self.min[i].min(v);
            self.max[i] = self.max[i].max(v);
        }
    }

    /// Folds another accumulator of the same feature into this one.
    pub fn merge(&mut self, other: &Moments) {
        // A hand-edited or damaged file's moments are not folded in (they would index past
        // their ends); the statistics then cover the other episodes.
        if other.count == 0 || !other.whole() {
            return;
        }
        if self.count == 0 || !self.whole() {
            *self = other.clone();
            return;
        }
        // A damaged file's count may be anything: saturate rather than overflow.
        self.count = self.count.saturating_add(other.count);
        for i in 0..self.sum.len().min(other.sum.len()) {
            self.sum[i] += other.sum[i];
            self.sumsq[i] += other.sumsq[i];
            self.min[i] = self.min[i].min(other.min[i]);
            self.max[i] = self.max[i].max(other.max[i]);
        }
    }

    /// Whether every component list is as long as the others.
    fn whole(&self) -> bool {
        let n = self.sum.len();
        self.sumsq.len() == n && self.min.len() == n && self.max.len() == n
    }

    fn mean_std(&self) -> (Vec<f64>, Vec<f64>) {
        let n = self.count.max(1) as f64;
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        let std = self.sumsq.iter().zip(&mean).map(|(q, m)| (q / n - m * m).max(0.0).sqrt()).collect();
        (mean, std)
    }

    /// LeRobot's JSON form; image stats are nested `[c][1][1]` like LeRobot's.
    pub fn to_json(&self, image: bool) -> Value {
        let (mean, std) = self.mean_std();
        let shape =
            |v: &[f64]| if image { json!(v.iter().map(|x| json!([[x]])).collect::<Vec<_>>()) } else { json!(v) };
        json!({
            "min": shape(&self.min), "max": shape(&self.max), "mean": shape(&mean), "std": shape(&std),
            "count": [self.count],
        })
    }
}

/// Adds a frame's pixels, sampled every 8 pixels, to the camera's moments (values in [0, 1]).
pub fn add_frame(m: &mut Moments, rgb: &[u8], width: u32, height: u32) {
    let (w, h) = (width as usize, height as usize);
    for y in (0..h).step_by(8) {
        for x in (0..w).step_by(8) {
            let i = (y * w + x) * 3;
            if let Some(p) = rgb.get(i..i + 3) {
                m.add(&[f64::from(p[0]) / 255.0, f64::from(p[1]) / 255.0, f64::from(p[2]) / 255.0]);
            }
        }
    }
}

/// Stats of every row feature over `rows`.
pub fn row_moments(rows: &[Row]) -> BTreeMap<String, Moments> {
    let mut out: BTreeMap<String, Moments> = BTreeMap::new();
    for r in rows {
        out.entry("timestamp".into()).or_default().add(&[f64::from(r.timestamp)]);
        out.entry("frame_index".into()).or_default().add(&[r.frame_index as f64]);
        out.entry("episode_index".into()).or_default().add(&[r.episode_index as f64]);
        out.entry("index".into()).or_default().add(&[r.index as f64]);
        out.entry("task_index".into()).or_default().add(&[r.task_index as f64]);
        if !r.action.is_empty() {
            let a: Vec<f64> = r.action.iter().map(|&v| f64::from(v)).collect();
            out.entry("action".into()).or_default().add(&a);
        }
    }
    out
}

/// Writes `meta/stats.json` from the row moments and the camera's pixel moments.
pub fn write(path: &Path, rows: &BTreeMap<String, Moments>, camera: &Moments) -> Result<(), crate::DatasetError> {
    let mut map = serde_json::Map::new();
    for (k, m) in rows {
        map.insert(k.clone(), m.to_json(false));
    }
    if camera.count > 0 {
        map.insert(VIDEO_KEY.into(), camera.to_json(true));
    }
    let text = serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_default();
    crate::layout::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moments read from a hand-edited journal may have lists of unequal lengths: they are
    /// left out of a merge, never indexed past their ends.
    #[test]
    fn damaged_moments_are_not_merged() {
        let mut good = Moments::default();
        good.add(&[0.5, 0.25]);
        let damaged = Moments { count: 3, sum: vec![1.0, 1.0], sumsq: vec![1.0, 1.0], min: vec![0.0], max: vec![1.0] };
        let before = good.clone();
        good.merge(&damaged);
        assert_eq!(good, before);
        let mut from_damaged = damaged.clone();
        from_damaged.merge(&before);
        assert_eq!(from_damaged, before, "damaged moments are replaced by whole ones");
        from_damaged.add(&[1.0, 0.0]);
        assert_eq!(from_damaged.count, 2);
        // A count past what any dataset holds (a hand-edited journal) saturates, no overflow.
        let mut huge = Moments { count: u64::MAX - 1, ..before.clone() };
        huge.merge(&before);
        huge.add(&[0.0, 0.0]);
        assert_eq!(huge.count, u64::MAX);
    }
}
