//! What sources deliver: video frames, audio chunks, and what each source negotiated.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// One decoded video frame, tightly packed RGB (3 bytes per pixel, no row padding).
#[derive(Debug, Clone)]
pub struct Frame {
    /// Session-clock time at which the frame was decoded (or generated).
    pub pts: Duration,
    /// The stream's own timestamp, when the container carries one.
    pub stream_pts: Option<Duration>,
    /// Running index of frames produced by this source since it opened.
    pub index: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, row-major RGB. Shared, so fan-out to sinks is free.
    pub rgb: Arc<[u8]>,
}

impl Frame {
    /// The RGB bytes of pixel `(x, y)`; `None` outside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = ((y * self.width + x) * 3) as usize;
        self.rgb.get(i..i + 3).map(|p| [p[0], p[1], p[2]])
    }
}

/// What a video source negotiated when it opened.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceInfo {
    /// Human-readable name, e.g. `camera /dev/video0 (HD Webcam)`.
    pub description: String,
    /// Delivered width in pixels.
    pub width: u32,
    /// Delivered height in pixels.
    pub height: u32,
    /// Nominal frame rate in frames per second (0 when the source does not say).
    pub fps: f64,
    /// Pixel format the source produces before conversion to RGB (e.g. `yuyv422`).
    pub native_format: String,
    /// Whether the source is live (camera, lavfi, scene) or a recording that ends.
    pub live: bool,
    /// Whether frames come at their own rate (a device's, or their timestamps' on the session
    /// clock); false for one read as fast as it decodes (`pace=fast`), which overwrites frames
    /// a slower reader has not taken.
    pub paced: bool,
    /// Notes from negotiation, e.g. "asked for 1920x1080, device offers 1280x720 at most".
    pub notes: Vec<String>,
}

impl SourceInfo {
    /// Whether a recording can keep every frame of this source: not one read as fast as it
    /// decodes, which outruns any encoder and would lose frames from the start.
    pub fn recordable(&self) -> Result<(), String> {
        if self.paced {
            return Ok(());
        }
        Err(format!(
            "{} is read as fast as it decodes (pace=fast), faster than a recording can take its frames; record it at its own rate, without pace=fast",
            self.description
        ))
    }
}

/// One chunk of mono audio.
#[derive(Debug, Clone)]
pub struct AudioChunk {
    /// Session-clock time of the first sample.
    pub pts: Duration,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Mono samples in `[-1, 1]`.
    pub samples: Vec<f32>,
}

impl AudioChunk {
    /// Root-mean-square level of the chunk.
    pub fn rms(&self) -> f32 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let sum: f32 = self.samples.iter().map(|s| s * s).sum();
        (sum / self.samples.len() as f32).sqrt()
    }
}

/// What an audio source negotiated when it opened.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AudioInfo {
    /// Human-readable name, e.g. `microphone "default" (ALSA)`.
    pub description: String,
    /// Delivered sample rate in Hz.
    pub sample_rate: u32,
    /// Channels at the device, before mixing to mono.
    pub channels: u16,
    /// Sample format at the device (e.g. `f32`, `i16`).
    pub native_format: String,
}
