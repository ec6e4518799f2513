//! Source names: one URI-like syntax used by the CLI, the app and config files.
//!
//! `kind:body?key=value&key=value`, for example `camera:0`,
//! `camera:/dev/video0?size=1280x720&fps=30`, `file:clip.mp4?loop=1`,
//! `lavfi:testsrc=size=320x240:rate=30`, `scene:bounce?seed=7`, `mic:default`,
//! `audiofile:speech.wav`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::CaptureError;
use crate::scene::{SceneConfig, SceneKind, Violation};

/// Every accepted form, shown whenever a name does not parse.
pub const FORMS: &str = "Accepted forms: camera:0 | camera:/dev/video0?size=1280x720&fps=30&pix=yuyv422 | \
file:clip.mp4?loop=1&pace=fast | lavfi:testsrc=size=320x240:rate=30 | dataset:my-dataset?episode=3 | \
scene:bounce?seed=7&size=640x480&fps=30&balls=3&noise=0.02&violation=vanish&at=30&until=45&hidden=0 | \
mic:default | mic:1 | audiofile:speech.wav?loop=1";

/// A parsed source name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SourceSpec {
    /// Something that yields frames.
    Video(VideoSpec),
    /// Something that yields sound.
    Audio(AudioSpec),
}

/// A video source name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum VideoSpec {
    /// A camera through libavdevice.
    Camera(CameraSpec),
    /// A video file through libavformat.
    File(FileSpec),
    /// An FFmpeg filter graph through the lavfi device, e.g. `testsrc=size=320x240:rate=30`.
    Lavfi {
        /// The filter graph, passed to lavfi as is.
        graph: String,
        /// Whether frames come at their rate or as fast as decoded.
        pacing: Pacing,
    },
    /// A procedural physics scene.
    Scene(SceneConfig),
}

/// A camera and the mode asked of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraSpec {
    /// `default`, an index (`0`), or a device path/name (`/dev/video2`, `FaceTime HD Camera`).
    pub device: String,
    /// Requested size; the driver picks the closest it supports and we report it.
    pub size: Option<(u32, u32)>,
    /// Requested frame rate.
    pub fps: Option<f64>,
    /// Requested pixel format at the device, FFmpeg's name (`yuyv422`, `mjpeg`, `nv12`).
    pub pixel_format: Option<String>,
    /// The libavdevice input to use instead of the platform's camera driver. Tests use `lavfi`
    /// to drive the camera code path with no camera.
    pub driver: Option<String>,
}

/// A video file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSpec {
    /// Path as given.
    pub path: String,
    /// Start again from the beginning at the end.
    pub looping: bool,
    /// Real-time or as fast as possible.
    pub pacing: Pacing,
}

/// How a recorded or generated source is paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Pacing {
    /// Deliver each frame when it is due, like a camera.
    Realtime,
    /// Deliver frames as fast as they decode (training, batch export).
    Fast,
}

/// A sound source name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum AudioSpec {
    /// A microphone through cpal: `default`, an index, or part of the device name.
    Mic {
        /// Which microphone.
        device: String,
    },
    /// An audio (or video with sound) file through FFmpeg.
    File(FileSpec),
    /// A physics scene's own sound, named as the scene is (`scene:bounce?sound=1&seed=7`): its
    /// contacts knocking, in step with a scene source of the same name.
    Scene(SceneConfig),
}

/// The scene part of a name, for symmetry with the other kinds.
pub type SceneSpec = SceneConfig;

fn bad(given: &str, why: impl Into<String>) -> CaptureError {
    CaptureError::BadSpec { given: given.to_string(), why: why.into(), forms: FORMS }
}

/// `key=value` pairs after the `?`, checked against the keys a kind accepts.
struct Params<'a> {
    given: &'a str,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    fn parse(given: &'a str, query: Option<&'a str>, allowed: &[&str]) -> Result<Self, CaptureError> {
        let mut pairs = Vec::new();
        for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                bad(given, format!("option {part:?} needs a value, like {part}=… (a '?' starts the options: write %3F for one in a path)"))
            })?;
            if !allowed.contains(&k) {
                return Err(bad(given, format!("unknown option {k:?} (this kind takes: {})", allowed.join(", "))));
            }
            // Given twice, one of them is a mistake: say so rather than take the last.
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(bad(given, format!("option {k:?} is given twice")));
            }
            pairs.push((k, v));
        }
        Ok(Self { given, pairs })
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn number<T: FromStr>(&self, key: &str) -> Result<Option<T>, CaptureError> {
        self.get(key).map(|v| v.parse().map_err(|_| bad(self.given, format!("{key}={v} is not a number")))).transpose()
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, CaptureError> {
        self.get(key)
            .map(|v| match v {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(bad(self.given, format!("{key}={v} should be 1 or 0"))),
            })
            .transpose()
    }

    fn size(&self) -> Result<Option<(u32, u32)>, CaptureError> {
        let Some(v) = self.get("size") else { return Ok(None) };
        let parsed = v.split_once('x').and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
        match parsed {
            Some((w, h)) if (16..=8192).contains(&w) && (16..=8192).contains(&h) => Ok(Some((w, h))),
            Some(_) => Err(bad(self.given, format!("size={v} is out of range (16x16 to 8192x8192)"))),
            None => Err(bad(self.given, format!("size={v} should look like 640x480"))),
        }
    }

    fn fps(&self) -> Result<Option<f64>, CaptureError> {
        match self.number::<f64>("fps")? {
            Some(f) if !(f > 0.0 && f <= 480.0) => Err(bad(self.given, format!("fps={f} is out of range (0 to 480]"))),
            other => Ok(other),
        }
    }

    fn pacing(&self, default: Pacing) -> Result<Pacing, CaptureError> {
        match self.get("pace") {
            None => Ok(default),
            Some("realtime") => Ok(Pacing::Realtime),
            Some("fast") => Ok(Pacing::Fast),
            Some(v) => Err(bad(self.given, format!("pace={v} should be realtime or fast"))),
        }
    }
}

impl FromStr for SourceSpec {
    type Err = CaptureError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        // FFmpeg takes C strings; a NUL would truncate the name silently.
        if given.contains('\0') {
            return Err(bad(given, "it contains a NUL byte"));
        }
        let (kind, rest) = given
            .split_once(':')
            .ok_or_else(|| bad(given, "it has no kind prefix such as camera:, file: or scene:"))?;
        let (body, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let video = |v| Ok(SourceSpec::Video(v));
        match kind {
            "camera" | "cam" => {
                let p = Params::parse(given, query, &["size", "fps", "pix", "driver"])?;
                let pixel_format = p.get("pix").map(str::to_string);
                video(VideoSpec::Camera(CameraSpec {
                    device: if body.is_empty() { "default".into() } else { body.into() },
                    size: p.size()?,
                    fps: p.fps()?,
                    pixel_format,
                    driver: p.get("driver").map(str::to_string),
                }))
            }
            "file" => {
                let p = Params::parse(given, query, &["loop", "pace"])?;
                video(VideoSpec::File(file_spec(given, body, &p)?))
            }
            "lavfi" => {
                let p = Params::parse(given, query, &["pace"])?;
                if body.is_empty() {
                    return Err(bad(given, "lavfi: needs a filter graph, like lavfi:testsrc=size=320x240:rate=30"));
                }
                video(VideoSpec::Lavfi { graph: body.into(), pacing: p.pacing(Pacing::Realtime)? })
            }
            "scene" => video(VideoSpec::Scene(scene_config(given, body, query)?)),
            "dataset" => {
                let p = Params::parse(given, query, &["episode", "loop", "pace"])?;
                if body.is_empty() {
                    return Err(bad(given, "dataset: needs the dataset folder, like dataset:my-dataset?episode=3"));
                }
                let episode: u64 = p.number("episode")?.unwrap_or(0);
                let path =
                    dataset_episode_video(std::path::Path::new(&unescape_path(body)), episode).display().to_string();
                let file =
                    FileSpec { path, looping: p.flag("loop")?.unwrap_or(false), pacing: p.pacing(Pacing::Realtime)? };
                video(VideoSpec::File(file))
            }
            "mic" | "microphone" => {
                Params::parse(given, query, &[])?;
                let device = if body.is_empty() { "default" } else { body };
                Ok(SourceSpec::Audio(AudioSpec::Mic { device: device.into() }))
            }
            "audiofile" => {
                let p = Params::parse(given, query, &["loop", "pace"])?;
                Ok(SourceSpec::Audio(AudioSpec::File(file_spec(given, body, &p)?)))
            }
            other => Err(bad(given, format!("unknown kind {other:?}"))),
        }
    }
}

/// The camera stream Augur records, as LeRobot names it.
pub const DATASET_VIDEO_KEY: &str = "observation.images.camera";

/// Where Augur's datasets keep an episode's video: one file per episode, 1000 per chunk folder
/// (the layout `augur-dataset` writes; `dataset:` sources play it back).
pub fn dataset_episode_video(dir: &std::path::Path, episode: u64) -> std::path::PathBuf {
    let (chunk, file) = (episode / 1000, episode % 1000);
    dir.join(format!("videos/{DATASET_VIDEO_KEY}/chunk-{chunk:03}/file-{file:03}.mp4"))
}

fn file_spec(given: &str, body: &str, p: &Params<'_>) -> Result<FileSpec, CaptureError> {
    if body.is_empty() {
        return Err(bad(given, "the file path is empty"));
    }
    Ok(FileSpec {
        path: unescape_path(body),
        looping: p.flag("loop")?.unwrap_or(false),
        pacing: p.pacing(Pacing::Realtime)?,
    })
}

/// A path as written in a source name: `%3F` is a `?` (a bare one starts the options) and
/// `%25` a `%`; nothing else is changed.
pub fn unescape_path(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3);
        match code.map(str::to_ascii_uppercase).as_deref() {
            Some("3F") => out.push('?'),
            Some("25") => out.push('%'),
            _ => {
                out.push('%');
                rest = &rest[at + 1..];
                continue;
            }
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}

/// A path written for a source name (`file:`, `audiofile:`, `dataset:`): see [`unescape_path`].
pub fn escape_path(path: &str) -> String {
    path.replace('%', "%25").replace('?', "%3F")
}

fn scene_config(given: &str, body: &str, query: Option<&str>) -> Result<SceneConfig, CaptureError> {
    let p = Params::parse(
        given,
        query,
        &[
            "seed",
            "size",
            "fps",
            "balls",
            "noise",
            "occluder",
            "violation",
            "at",
            "until",
            "hidden",
            "floor",
            "bounce",
            "sound",
            "pace",
        ],
    )?;
    let kind = match body {
        "" => SceneKind::Bounce,
        name => {
            SceneKind::from_name(name).ok_or_else(|| bad(given, format!("unknown scene {name:?} (scenes: bounce)")))?
        }
    };
    let mut cfg = SceneConfig { kind, ..SceneConfig::default() };
    if let Some((w, h)) = p.size()? {
        cfg.width = w;
        cfg.height = h;
    }
    cfg.seed = p.number("seed")?.unwrap_or(cfg.seed);
    cfg.fps = p.fps()?.unwrap_or(cfg.fps);
    cfg.balls = p.number("balls")?.unwrap_or(cfg.balls);
    cfg.noise = p.number("noise")?.unwrap_or(cfg.noise);
    cfg.occluder = p.flag("occluder")?.unwrap_or(cfg.occluder);
    cfg.violation_frame = p.number("at")?.unwrap_or(cfg.violation_frame);
    cfg.rejoin_frame = p.number("until")?;
    cfg.first_ball_hidden = p.flag("hidden")?.unwrap_or(cfg.first_ball_hidden);
    cfg.floor_height = p.number("floor")?;
    cfg.bounce_height = p.number("bounce")?;
    cfg.sound = p.flag("sound")?.unwrap_or(false);
    let kinds = "vanish, teleport, passthrough or appear";
    cfg.violation = match p.get("violation") {
        None | Some("none") => None,
        Some(v) => Some(Violation::from_name(v).ok_or_else(|| bad(given, format!("violation={v} should be {kinds}")))?),
    };
    cfg.realtime = p.pacing(Pacing::Realtime)? == Pacing::Realtime;
    // The scene names the setting it refuses; the error quotes the whole name as given.
    cfg.validate().map_err(|e| match e {
        CaptureError::BadSpec { given: setting, why, forms } => {
            CaptureError::BadSpec { given: given.to_string(), why: format!("{setting}: {why}"), forms }
        }
        other => other,
    })?;
    Ok(cfg)
}

impl fmt::Display for Pacing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pacing::Realtime => "realtime",
            Pacing::Fast => "fast",
        })
    }
}

impl SourceSpec {
    /// Parses a name that must be a video source.
    pub fn video(given: &str) -> Result<VideoSpec, CaptureError> {
        match given.parse()? {
            SourceSpec::Video(v) => Ok(v),
            SourceSpec::Audio(_) => Err(bad(given, "this is a sound source; a video source is needed here")),
        }
    }

    /// Parses a name that must be a sound source.
    pub fn audio(given: &str) -> Result<AudioSpec, CaptureError> {
        match given.parse()? {
            SourceSpec::Audio(a) => Ok(a),
            SourceSpec::Video(VideoSpec::Scene(cfg)) if cfg.sound => Ok(AudioSpec::Scene(cfg)),
            SourceSpec::Video(VideoSpec::Scene(_)) => Err(bad(
                given,
                "this is a video source; a sound source (mic:…, audiofile:…) is needed here, or a scene with sound=1 (scene:bounce?sound=1)",
            )),
            SourceSpec::Video(_) => {
                Err(bad(given, "this is a video source; a sound source (mic:…, audiofile:…) is needed here"))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let cam = SourceSpec::video("camera:/dev/video0?size=1280x720&fps=30").unwrap();
        let VideoSpec::Camera(c) = cam else { panic!("not a camera") };
        assert_eq!((c.device.as_str(), c.size, c.fps), ("/dev/video0", Some((1280, 720)), Some(30.0)));
        assert!(matches!(SourceSpec::video("camera:0").unwrap(), VideoSpec::Camera(c) if c.device == "0"));
        let file = SourceSpec::video("file:clip.mp4?loop=1&pace=fast").unwrap();
        assert_eq!(file, VideoSpec::File(FileSpec { path: "clip.mp4".into(), looping: true, pacing: Pacing::Fast }));
        let VideoSpec::File(ep) = SourceSpec::video("dataset:runs/ds?episode=1003&loop=1").unwrap() else {
            panic!("a dataset episode plays as a file")
        };
        assert_eq!(ep.path, "runs/ds/videos/observation.images.camera/chunk-001/file-003.mp4");
        assert!(ep.looping);
        assert!(SourceSpec::video("dataset:?episode=1").is_err());
        assert!(SourceSpec::video("dataset:ds?episode=x").is_err());
        let lavfi = SourceSpec::video("lavfi:testsrc=size=320x240:rate=30").unwrap();
        assert!(matches!(lavfi, VideoSpec::Lavfi { ref graph, .. } if graph == "testsrc=size=320x240:rate=30"));
        let VideoSpec::Scene(s) = SourceSpec::video("scene:bounce?seed=7&size=64x64&violation=teleport&at=12").unwrap()
        else {
            panic!("not a scene")
        };
        assert_eq!((s.seed, s.width, s.violation, s.violation_frame), (7, 64, Some(Violation::Teleport), 12));
        assert_eq!((s.rejoin_frame, s.first_ball_hidden), (None, false));
        // The clips of the balanced permanence and continuity tests can be opened by name.
        let VideoSpec::Scene(s) = SourceSpec::video("scene:bounce?balls=1&violation=vanish&at=20&until=34").unwrap()
        else {
            panic!("not a scene")
        };
        assert_eq!((s.violation, s.rejoin_frame), (Some(Violation::Vanish), Some(34)));
        let VideoSpec::Scene(s) = SourceSpec::video("scene:bounce?hidden=1&until=34&at=20").unwrap() else {
            panic!("not a scene")
        };
        assert!(s.first_ball_hidden && s.violation.is_none());
        // And those of the balanced solidity test.
        let VideoSpec::Scene(s) = SourceSpec::video("scene:bounce?balls=1&floor=0.12&bounce=0.06").unwrap() else {
            panic!("not a scene")
        };
        assert_eq!((s.floor_height, s.bounce_height), (Some(0.12), Some(0.06)));
        let err = SourceSpec::video("scene:bounce?floor=0.9").unwrap_err().to_string();
        assert!(err.contains("floor=0.9") && err.contains("0.02 to 0.4"), "{err}");
        let err = SourceSpec::video("scene:bounce?violation=teleport&at=20&until=30").unwrap_err().to_string();
        assert!(err.contains("until=30") && err.contains("vanish or appear"), "{err}");
        assert!(SourceSpec::video("scene:bounce?at=20&until=20").is_err());
        assert_eq!(SourceSpec::audio("mic:default").unwrap(), AudioSpec::Mic { device: "default".into() });
        assert!(matches!(SourceSpec::audio("audiofile:a.wav").unwrap(), AudioSpec::File(_)));
    }

    #[test]
    fn bad_names_show_the_right_form() {
        for given in [
            "webcam",
            "tv:1",
            "camera:0?size=big",
            "camera:0?zoom=2",
            "scene:bounce?seed=x",
            "file:",
            "lavfi:",
            "scene:tornado",
            "file:a.mp4?loop=maybe",
            "camera:0?fps=0",
            "camera:0?size=1x1",
            // One of two is a mistake.
            "scene:bounce?seed=1&seed=2",
        ] {
            let err = given.parse::<SourceSpec>().unwrap_err().to_string();
            assert!(err.contains("Accepted forms"), "{given}: {err}");
            assert!(err.contains(given), "{given}: message should quote the input: {err}");
        }
    }

    #[test]
    fn a_scene_refused_quotes_its_whole_name_and_the_setting() {
        // Below 1 fps a scene's frame took billions of physics steps and its sound 64 GB.
        for (given, why) in [
            ("scene:bounce?fps=0.000001&sound=1", "fps=0.000001: the frame rate must be 1 to 240"),
            ("scene:bounce?size=5000x480", "size=5000x480: width and height must each be 16 to 4096"),
        ] {
            let err = given.parse::<SourceSpec>().unwrap_err().to_string();
            assert!(err.contains(&format!("{given:?}")) && err.contains(why), "{given}: {err}");
        }
    }

    #[test]
    fn video_and_audio_are_not_confused() {
        assert!(SourceSpec::video("mic:default").unwrap_err().to_string().contains("sound source"));
        assert!(SourceSpec::audio("scene:bounce").unwrap_err().to_string().contains("video source"));
    }

    #[test]
    fn a_question_mark_in_a_path_is_written_percent_3f() {
        let Ok(SourceSpec::Video(VideoSpec::File(f))) = "file:/tmp/what%3F 100%25.mp4?loop=1".parse::<SourceSpec>()
        else {
            panic!("not a file")
        };
        assert_eq!((f.path.as_str(), f.looping), ("/tmp/what? 100%.mp4", true));
        assert_eq!(unescape_path("a%3fb%2%41%"), "a?b%2%41%", "only %3F and %25 are read");
        for path in ["/tmp/what?.mp4", "/tmp/100%3F.mp4", "/plain.mp4"] {
            assert_eq!(unescape_path(&escape_path(path)), path);
        }
        let err = "file:/tmp/what?.mp4".parse::<SourceSpec>().unwrap_err().to_string();
        assert!(err.contains("write %3F"), "{err}");
    }

    #[test]
    fn nul_bytes_are_refused_before_reaching_ffmpeg() {
        assert!("file:a\0b.mp4".parse::<SourceSpec>().is_err());
    }
}
