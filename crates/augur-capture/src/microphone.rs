//! Microphones through cpal: enumeration, opening the default or a named device, negotiating
//! rate and channels, mixing to mono `f32` and stamping chunks on the session clock.
//!
//! cpal calls us back on its own audio thread; the callback only mixes and hands the chunk to a
//! bounded channel, so a slow consumer costs dropped chunks (counted), never a stalled device.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{Device, FromSample, SampleFormat, SizedSample, Stream, StreamConfig};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use serde::Serialize;

use crate::{AudioChunk, AudioInfo, AudioSource, CaptureError, SessionClock};

/// How many callback chunks may wait for the consumer (a few seconds at typical periods).
const QUEUE_CHUNKS: usize = 256;

/// One microphone as `augur devices` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct MicrophoneInfo {
    /// `default` or the position in the host's list: `mic:<id>` opens it.
    pub id: String,
    /// Device name; `mic:<part of name>` opens it.
    pub name: String,
    /// Whether this is the host's default input.
    pub is_default: bool,
    /// Default sample rate, channels and format, e.g. `48000 Hz, 2 ch, f32`.
    pub default_config: String,
}

/// Lists the input devices of the default audio host. An empty list (no sound card) is not an
/// error; a host that cannot enumerate at all is.
pub fn list_microphones() -> Result<Vec<MicrophoneInfo>, CaptureError> {
    let host = cpal::default_host();
    let default_name = host.default_input_device().map(|d| device_name(&d));
    let devices = host.input_devices().map_err(|e| unavailable("the audio host", e.to_string()))?;
    // ALSA lists every plugin as a device; only those that can actually capture are shown.
    // `index` stays the position in the host's full list, which is what `mic:<index>` opens.
    let describe = |id: String, d: &Device| {
        let c = d.default_input_config().ok()?;
        let name = device_name(d);
        let default_config = format!("{} Hz, {} ch, {}", c.sample_rate(), c.channels(), c.sample_format());
        Some(MicrophoneInfo { id, is_default: Some(&name) == default_name.as_ref(), name, default_config })
    };
    let mut mics: Vec<MicrophoneInfo> =
        devices.enumerate().filter_map(|(index, d)| describe(index.to_string(), &d)).collect();
    // The host's default often has its own name ("Default Audio Device") that is not in the
    // list; show it first so `mic:default` is never a mystery.
    if !mics.iter().any(|m| m.is_default)
        && let Some(d) = host.default_input_device()
        && let Some(m) = describe("default".into(), &d)
    {
        mics.insert(0, m);
    }
    Ok(mics)
}

fn device_name(d: &Device) -> String {
    d.description().map(|desc| desc.name().to_string()).unwrap_or_else(|_| "(unnamed)".into())
}

fn unavailable(what: &str, why: String) -> CaptureError {
    CaptureError::DeviceUnavailable {
        what: what.to_string(),
        why,
        hint: "run `augur devices` to list microphones; on Linux with no sound card, start PulseAudio \
               with a null sink (scripts/services.sh does), or do without: `--mic none` for `run` and \
               `record`, no `--mic` for `probe`"
            .into(),
    }
}

/// A live microphone. Dropping it stops the device stream.
pub struct Microphone {
    info: AudioInfo,
    chunks: Receiver<Result<AudioChunk, String>>,
    // Held for its Drop: stopping the stream stops the callbacks.
    _stream: Stream,
    what: String,
    dropped: Arc<AtomicU64>,
}

impl Microphone {
    /// Opens `default`, an index from [`list_microphones`], or the first device whose name
    /// contains `device`.
    pub fn open(device: &str, clock: SessionClock) -> Result<Self, CaptureError> {
        let what = format!("microphone {device:?}");
        let host = cpal::default_host();
        let dev = find_device(&host, device).ok_or_else(|| unavailable(&what, "no such input device".into()))?;
        let supported = dev
            .default_input_config()
            .map_err(|e| unavailable(&what, format!("it offers no input configuration ({e})")))?;
        let format = supported.sample_format();
        let config: StreamConfig = supported.config();
        let (tx, rx) = bounded(QUEUE_CHUNKS);
        let dropped = Arc::new(AtomicU64::new(0));
        let stream = match format {
            SampleFormat::F32 => build::<f32>(&dev, &config, tx, clock, &dropped),
            SampleFormat::I16 => build::<i16>(&dev, &config, tx, clock, &dropped),
            SampleFormat::I32 => build::<i32>(&dev, &config, tx, clock, &dropped),
            SampleFormat::U16 => build::<u16>(&dev, &config, tx, clock, &dropped),
            SampleFormat::U8 => build::<u8>(&dev, &config, tx, clock, &dropped),
            SampleFormat::I8 => build::<i8>(&dev, &config, tx, clock, &dropped),
            SampleFormat::F64 => build::<f64>(&dev, &config, tx, clock, &dropped),
            // USB audio interfaces often default to 24-bit or unsigned 32-bit.
            SampleFormat::I24 => build::<cpal::I24>(&dev, &config, tx, clock, &dropped),
            SampleFormat::U24 => build::<cpal::U24>(&dev, &config, tx, clock, &dropped),
            SampleFormat::U32 => build::<u32>(&dev, &config, tx, clock, &dropped),
            SampleFormat::I64 => build::<i64>(&dev, &config, tx, clock, &dropped),
            SampleFormat::U64 => build::<u64>(&dev, &config, tx, clock, &dropped),
            other => {
                return Err(CaptureError::UnsupportedMode {
                    what,
                    asked: format!("{other} samples"),
                    why: "Augur reads 8- to 64-bit integer and float samples".into(),
                    offered: "pick another device, or set this one to 16-bit or float samples in the system's sound settings (pavucontrol, or the sound server's configuration)".into(),
                });
            }
        }
        .map_err(|e| unavailable(&what, e.to_string()))?;
        stream.play().map_err(|e| unavailable(&what, format!("it would not start ({e})")))?;
        let info = AudioInfo {
            description: format!("microphone {:?}", device_name(&dev)),
            sample_rate: config.sample_rate,
            channels: config.channels,
            native_format: format.to_string(),
        };
        Ok(Self { info, chunks: rx, _stream: stream, what, dropped })
    }
}

fn find_device(host: &cpal::Host, device: &str) -> Option<Device> {
    if device == "default" {
        return host.default_input_device();
    }
    let mut devices = host.input_devices().ok()?;
    if let Ok(index) = device.parse::<usize>() {
        return devices.nth(index);
    }
    let wanted = device.to_lowercase();
    devices.find(|d| device_name(d).to_lowercase().contains(&wanted))
}

fn build<T>(
    dev: &Device,
    config: &StreamConfig,
    tx: Sender<Result<AudioChunk, String>>,
    clock: SessionClock,
    dropped: &Arc<AtomicU64>,
) -> Result<Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    let sample_rate = config.sample_rate;
    let err_tx = tx.clone();
    let dropped = Arc::clone(dropped);
    let glitches = Arc::clone(&dropped);
    dev.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            let frames = data.len() / channels;
            // The callback fires when the buffer is full: its first sample is one buffer old.
            let age = Duration::from_secs_f64(frames as f64 / f64::from(sample_rate.max(1)));
            let pts = clock.now().saturating_sub(age);
            let samples = data
                .chunks_exact(channels)
                .map(|frame| {
                    frame.iter().map(|s| <f32 as FromSample<T>>::from_sample_(*s)).sum::<f32>() / channels as f32
                })
                .collect();
            // A full queue means the consumer is behind; dropping here keeps the device running.
            if let Err(TrySendError::Full(_)) = tx.try_send(Ok(AudioChunk { pts, sample_rate, samples })) {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        },
        move |e| {
            if ends_stream(e.kind()) {
                let _ = err_tx.try_send(Err(e.to_string()));
            } else {
                // An overrun (the machine was busy) or a rerouting: the backend goes on, so a
                // moment of lost sound is counted, not taken for a lost microphone.
                glitches.fetch_add(1, Ordering::Relaxed);
            }
        },
        Some(Duration::from_secs(5)),
    )
}

/// Whether a stream error means the microphone is gone (unplugged, its server stopped, access
/// taken away), rather than a glitch the backend recovers from by itself.
fn ends_stream(kind: cpal::ErrorKind) -> bool {
    use cpal::ErrorKind as K;
    matches!(kind, K::DeviceNotAvailable | K::StreamInvalidated | K::HostUnavailable | K::PermissionDenied)
}

impl Microphone {
    /// Chunks the device delivered while the consumer was too far behind to take them, and
    /// moments of sound lost to overruns.
    pub fn dropped_chunks(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl AudioSource for Microphone {
    fn info(&self) -> &AudioInfo {
        &self.info
    }

    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, CaptureError> {
        match self.chunks.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(chunk)) => Ok(Some(chunk)),
            Ok(Err(why)) => Err(CaptureError::Disconnected {
                what: self.what.clone(),
                frames: 0,
                why,
                hint: "check that the microphone is still plugged in, then reopen it",
            }),
            Err(_) => Err(CaptureError::Disconnected {
                what: self.what.clone(),
                frames: 0,
                why: "no sound arrived for 5 s".into(),
                hint: "check that the microphone is not muted or taken by another program, then reopen it",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    /// cpal reports every ALSA overrun and carries on: only a lost device ends the stream.
    #[test]
    fn only_a_lost_device_ends_the_stream() {
        use cpal::ErrorKind as K;
        assert!(!super::ends_stream(K::Xrun));
        assert!(!super::ends_stream(K::DeviceChanged));
        assert!(!super::ends_stream(K::RealtimeDenied));
        assert!(super::ends_stream(K::DeviceNotAvailable));
        assert!(super::ends_stream(K::StreamInvalidated));
    }
}
