//! `meta/info.json`: the schema LeRobot reads first (version, fps, features, path templates).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::layout::{CHUNKS_SIZE, DATA_PATH, VIDEO_KEY, VIDEO_PATH};

/// The LeRobot dataset format we write.
pub const CODEBASE_VERSION: &str = "v3.0";

/// One declared feature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Feature {
    /// `float32`, `int64`, `video`, …
    pub dtype: String,
    /// Per-frame shape.
    pub shape: Vec<u64>,
    /// Names of the components (or null).
    pub names: Option<Value>,
    /// Codec details for videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Value>,
}

/// `meta/info.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Info {
    /// Always `v3.0`.
    pub codebase_version: String,
    /// What recorded it (LeRobot's robot type; `augur` for a webcam).
    pub robot_type: Option<String>,
    /// Finished episodes.
    pub total_episodes: u64,
    /// Rows over all episodes.
    pub total_frames: u64,
    /// Distinct task texts.
    pub total_tasks: u64,
    /// Files per chunk folder.
    pub chunks_size: u64,
    /// LeRobot's target data file size.
    pub data_files_size_in_mb: u64,
    /// LeRobot's target video file size.
    pub video_files_size_in_mb: u64,
    /// Frames per second of every stream.
    pub fps: u32,
    /// `train` → `0:N`.
    pub splits: BTreeMap<String, String>,
    /// Template of data file paths.
    pub data_path: String,
    /// Template of video file paths.
    pub video_path: Option<String>,
    /// Every per-frame feature.
    pub features: BTreeMap<String, Feature>,
}

/// What a recording holds, which decides the features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// Frames per second.
    pub fps: u32,
    /// Video frame size (even).
    pub width: u32,
    /// Video frame size (even).
    pub height: u32,
    /// Microphone sample rate, when sound is recorded (AAC, in the video file).
    pub audio_rate: Option<u32>,
    /// Names of the action components (keys held → 1.0); empty for no `action` feature.
    pub action_names: Vec<String>,
    /// The video codec of every episode.
    pub codec: augur_capture::VideoCodec,
}

impl Recording {
    /// How this recording differs from `held`'s, in words ("640x480 now, 320x240 in it").
    pub fn differences(&self, held: &Recording) -> Vec<String> {
        let sound = |r: &Recording| r.audio_rate.map_or("no sound".to_string(), |hz| format!("sound at {hz} Hz"));
        let keys = |r: &Recording| {
            if r.action_names.is_empty() {
                "no action keys".to_string()
            } else {
                format!("keys {}", r.action_names.join(","))
            }
        };
        let mut out = Vec::new();
        if (self.width, self.height) != (held.width, held.height) {
            out.push(format!("{}x{} now, {}x{} in it", self.width, self.height, held.width, held.height));
        }
        if self.fps != held.fps {
            out.push(format!("{} frames/s now, {} in it", self.fps, held.fps));
        }
        if self.audio_rate != held.audio_rate {
            out.push(format!("{} now, {} in it", sound(self), sound(held)));
        }
        if self.action_names != held.action_names {
            out.push(format!("{} now, {} in it", keys(self), keys(held)));
        }
        if self.codec != held.codec {
            out.push(format!("{:?} video now, {:?} in it", self.codec, held.codec));
        }
        out
    }
}

impl Info {
    /// A dataset with no episodes yet, declaring the features of `rec`.
    pub fn new(rec: &Recording) -> Self {
        let scalar = |dtype: &str| Feature { dtype: dtype.into(), shape: vec![1], names: None, info: None };
        let mut features = BTreeMap::new();
        features.insert("timestamp".into(), scalar("float32"));
        for k in ["frame_index", "episode_index", "index", "task_index"] {
            features.insert(k.into(), scalar("int64"));
        }
        if !rec.action_names.is_empty() {
            features.insert(
                "action".into(),
                Feature {
                    dtype: "float32".into(),
                    shape: vec![rec.action_names.len() as u64],
                    names: Some(json!(rec.action_names)),
                    info: None,
                },
            );
        }
        let mut video = json!({
            "video.height": rec.height, "video.width": rec.width, "video.codec": rec.codec.name(),
            "video.pix_fmt": "yuv420p", "video.is_depth_map": false, "video.fps": rec.fps,
            "video.channels": 3, "has_audio": rec.audio_rate.is_some(),
        });
        // Sound is the camera file's second stream, declared the way LeRobot's own video probe
        // describes a file with audio, so LeRobot's loader accepts the dataset unchanged.
        if let (Some(rate), Some(map)) = (rec.audio_rate, video.as_object_mut()) {
            map.insert("audio.codec".into(), json!("aac"));
            map.insert("audio.sample_rate".into(), json!(rate));
            map.insert("audio.channels".into(), json!(1));
            map.insert("audio.channel_layout".into(), json!("mono"));
        }
        features.insert(
            VIDEO_KEY.into(),
            Feature {
                dtype: "video".into(),
                shape: vec![u64::from(rec.height), u64::from(rec.width), 3],
                names: Some(json!(["height", "width", "channels"])),
                info: Some(video),
            },
        );
        Self {
            codebase_version: CODEBASE_VERSION.into(),
            robot_type: Some("augur".into()),
            total_episodes: 0,
            total_frames: 0,
            total_tasks: 0,
            chunks_size: CHUNKS_SIZE,
            data_files_size_in_mb: 100,
            video_files_size_in_mb: 200,
            fps: rec.fps,
            splits: BTreeMap::from([("train".to_string(), "0:0".to_string())]),
            data_path: DATA_PATH.into(),
            video_path: Some(VIDEO_PATH.into()),
            features,
        }
    }

    /// The recording these features describe (to append episodes with the same schema).
    pub fn recording(&self) -> Option<Recording> {
        let video = self.features.get(VIDEO_KEY)?;
        let (h, w) = (*video.shape.first()?, *video.shape.get(1)?);
        let audio_rate = video.info.as_ref().and_then(|i| i.get("audio.sample_rate")).and_then(Value::as_u64);
        let action_names = match self.features.get("action").and_then(|a| a.names.clone()) {
            Some(Value::Array(names)) => names.iter().filter_map(|n| n.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        };
        let codec = video.info.as_ref().and_then(|i| i.get("video.codec")).and_then(Value::as_str).unwrap_or("h264");
        Some(Recording {
            codec: augur_capture::VideoCodec::parse(codec).ok()?,
            fps: self.fps,
            width: u32::try_from(w).ok()?,
            height: u32::try_from(h).ok()?,
            audio_rate: audio_rate.and_then(|r| u32::try_from(r).ok()),
            action_names,
        })
    }
}
