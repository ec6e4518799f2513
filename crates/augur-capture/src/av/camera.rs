//! Cameras: naming and listing them per platform, and turning a [`CameraSpec`] into the
//! libavdevice input, URL and options that open it.

use ffmpeg_next as ff;
use serde::Serialize;

use crate::{CameraSpec, CaptureError};

/// One camera as `augur devices` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CameraInfo {
    /// `camera:<index>` opens it.
    pub index: u32,
    /// What the device calls itself.
    pub name: String,
    /// Device path or platform id (`/dev/video0`).
    pub path: String,
}

/// Lists cameras. On Linux this reads `/sys/class/video4linux`; elsewhere FFmpeg has no safe
/// enumeration API, so the default device is listed and `camera:<name>` opens any other.
pub fn list_cameras() -> Vec<CameraInfo> {
    #[cfg(target_os = "linux")]
    {
        let Ok(dir) = std::fs::read_dir("/sys/class/video4linux") else { return Vec::new() };
        let mut cams: Vec<CameraInfo> = dir
            .filter_map(Result::ok)
            .filter_map(|e| {
                let node = e.file_name().to_string_lossy().into_owned();
                let index = node.strip_prefix("video")?.parse().ok()?;
                // A UVC camera exposes a second node for metadata; its `index` attribute is 1.
                let sub = std::fs::read_to_string(e.path().join("index")).unwrap_or_default();
                if sub.trim().parse::<u32>().unwrap_or(0) != 0 {
                    return None;
                }
                let name = std::fs::read_to_string(e.path().join("name")).unwrap_or_else(|_| node.clone());
                Some(CameraInfo { index, name: name.trim().to_string(), path: format!("/dev/{node}") })
            })
            .collect();
        cams.sort_by_key(|c| c.index);
        cams
    }
    #[cfg(not(target_os = "linux"))]
    {
        vec![CameraInfo { index: 0, name: "default camera".into(), path: "0".into() }]
    }
}

/// The platform's camera driver in libavdevice.
pub(crate) fn platform_driver() -> &'static str {
    if cfg!(target_os = "macos") {
        "avfoundation"
    } else if cfg!(windows) {
        "dshow"
    } else {
        "v4l2"
    }
}

/// Where and how to open a camera: driver name, URL, and mode options in the driver's words.
pub(crate) struct CameraOpen {
    pub driver: String,
    pub url: String,
    pub options: Vec<(&'static str, String)>,
    pub what: String,
}

pub(crate) fn resolve(spec: &CameraSpec) -> Result<CameraOpen, CaptureError> {
    let driver = spec.driver.clone().unwrap_or_else(|| platform_driver().to_string());
    let url = match driver.as_str() {
        "v4l2" | "video4linux2" => match spec.device.as_str() {
            "default" => "/dev/video0".to_string(),
            d if d.parse::<u32>().is_ok() => format!("/dev/video{d}"),
            d => d.to_string(),
        },
        "avfoundation" if spec.device == "default" => "0".to_string(),
        "dshow" if !spec.device.starts_with("video=") => format!("video={}", spec.device),
        _ => spec.device.clone(),
    };
    let what = if spec.driver.is_some() { format!("camera {url:?} ({driver})") } else { format!("camera {url}") };
    if let Some(pix) = &spec.pixel_format
        && pix.parse::<ff::format::Pixel>().is_err()
    {
        return Err(CaptureError::UnsupportedMode {
            what,
            asked: format!("pixel format {pix:?}"),
            why: "FFmpeg has no pixel format of that name".into(),
            offered: "names like yuyv422, mjpeg, nv12, rgb24 (run `ffmpeg -f v4l2 -list_formats all -i /dev/video0`)"
                .into(),
        });
    }
    #[cfg(target_os = "linux")]
    if matches!(driver.as_str(), "v4l2" | "video4linux2") && !std::path::Path::new(&url).exists() {
        let known: Vec<String> = list_cameras().iter().map(|c| format!("camera:{} ({})", c.index, c.name)).collect();
        return Err(CaptureError::DeviceUnavailable {
            what,
            why: "no such device".into(),
            hint: if known.is_empty() {
                "this machine shows no cameras; use scene:bounce or a file: source instead".into()
            } else {
                format!("cameras here: {}", known.join(", "))
            },
        });
    }
    let mut options = Vec::new();
    // lavfi and other test drivers take no camera mode options.
    if matches!(driver.as_str(), "v4l2" | "video4linux2" | "avfoundation" | "dshow") {
        if let Some((w, h)) = spec.size {
            options.push(("video_size", format!("{w}x{h}")));
        }
        if let Some(fps) = spec.fps {
            options.push(("framerate", format!("{fps}")));
        }
        if let Some(pix) = &spec.pixel_format {
            let key =
                if driver.starts_with("v4l2") || driver == "video4linux2" { "input_format" } else { "pixel_format" };
            options.push((key, pix.clone()));
        }
    }
    Ok(CameraOpen { driver, url, options, what })
}
