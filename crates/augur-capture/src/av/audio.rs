//! Sound from files (or the audio track of a video) through FFmpeg, mixed to mono `f32` at the
//! file's own sample rate, paced like a microphone or as fast as it decodes.

use std::time::Duration;

use ff::ChannelLayout;
use ff::format::Sample;
use ff::format::sample::Type as SampleType;
use ff::software::resampling;
use ffmpeg_next as ff;

use super::{check_file, init, open_file_error};
use crate::{AudioChunk, AudioInfo, AudioSource, CaptureError, FileSpec, Pacing, SessionClock};

/// An audio file decoded by FFmpeg.
pub struct AudioFileSource {
    input: ff::format::context::Input,
    stream_index: usize,
    decoder: ff::decoder::Audio,
    resampler: Option<resampling::Context>,
    decoded: ff::frame::Audio,
    info: AudioInfo,
    spec: FileSpec,
    clock: SessionClock,
    /// Samples per pass when looping beside a video stream: its length, not the sound's own.
    period: Option<u64>,
    /// Samples delivered in the current pass.
    in_pass: u64,
    start: Option<Duration>,
    /// Samples delivered so far, the basis of timestamps and pacing.
    samples: u64,
    flushing: bool,
}

impl AudioFileSource {
    /// Opens the best audio stream of a file.
    pub fn open(spec: &FileSpec, clock: SessionClock) -> Result<Self, CaptureError> {
        init()?;
        let path = &spec.path;
        check_file("audio", path)?;
        let input = ff::format::input(path).map_err(|e| open_file_error("audio", path, e))?;
        let bad = |why: String, hint| CaptureError::BadFile { kind: "audio", why, hint, path: path.clone() };
        let stream = input
            .streams()
            .best(ff::media::Type::Audio)
            .ok_or_else(|| bad("it has no audio stream".into(), "pick a file with sound"))?;
        let stream_index = stream.index();
        let ctx = ff::codec::context::Context::from_parameters(stream.parameters())
            .map_err(|e| CaptureError::ffmpeg("reading the stream parameters", e))?;
        let decoder = ctx
            .decoder()
            .audio()
            .map_err(|e| bad(format!("no decoder for its audio codec ({e})"), "convert it to WAV or FLAC"))?;
        if decoder.rate() == 0 || decoder.channels() == 0 {
            return Err(bad("its audio stream has no sample rate or channels".into(), "check it with ffprobe"));
        }
        // Sound at a rate AAC does not store is heard at one it does (above 96 kHz at 48 kHz,
        // an odd or low rate at the next one up): recordings, exports and side-by-side videos
        // could not carry it otherwise, and nothing here needs more.
        let (rate, description) = match decoder.rate() {
            r if aac_rate(r) != r => {
                (aac_rate(r), format!("audio file {path} (its {r} Hz heard at {} Hz)", aac_rate(r)))
            }
            r => (r, format!("audio file {path}")),
        };
        let info = AudioInfo {
            description,
            sample_rate: rate,
            channels: decoder.channels(),
            native_format: format!("{:?}", decoder.format()).to_lowercase(),
        };
        // Looped beside its pictures, the sound loops when they do: tracks rarely last exactly
        // as long as each other, and the difference would add up at every pass.
        // (Cover art on a song is a picture, not pictures to keep to.)
        let period = spec
            .looping
            .then(|| {
                input.streams().find(|s| {
                    s.parameters().medium() == ff::media::Type::Video
                        && !s.disposition().contains(ff::format::stream::Disposition::ATTACHED_PIC)
                })
            })
            .flatten()
            .map(|v| v.duration() as f64 * f64::from(v.time_base()))
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| (s * f64::from(rate)).round() as u64);
        Ok(Self {
            input,
            stream_index,
            decoder,
            period,
            in_pass: 0,
            resampler: None,
            decoded: ff::frame::Audio::empty(),
            info,
            spec: spec.clone(),
            clock,
            start: None,
            samples: 0,
            flushing: false,
        })
    }

    fn mono(&mut self) -> Result<Vec<f32>, CaptureError> {
        let layout = match self.decoded.channel_layout() {
            l if l.is_empty() => ChannelLayout::default(i32::from(self.decoded.channels())),
            l => l,
        };
        // FFmpeg 5's decoders may leave the legacy layout field unset; swresample compares it
        // with the layout it was built for and refuses the frame unless they agree.
        self.decoded.set_channel_layout(layout);
        // Built again when the sound changes format midway (a stream spliced from two):
        // swresample refuses frames unlike the ones it was built for.
        let (format, rate_in) = (self.decoded.format(), self.decoded.rate());
        let fits = |r: &resampling::Context| {
            let i = r.input();
            (i.format, i.channel_layout, i.rate) == (format, layout, rate_in)
        };
        if !self.resampler.as_ref().is_some_and(fits) {
            let rate = self.info.sample_rate;
            let ctx = resampling::Context::get(
                self.decoded.format(),
                layout,
                self.decoded.rate(),
                Sample::F32(SampleType::Packed),
                ChannelLayout::MONO,
                rate,
            )
            .map_err(|e| CaptureError::ffmpeg("setting up the audio mixer", e))?;
            self.resampler = Some(ctx);
        }
        // Room for every sample this frame becomes: left empty, ffmpeg-next allocates as many
        // as came in, and sound raised to a higher rate would fall further behind each frame.
        let room =
            (self.decoded.samples() as u64 * u64::from(self.info.sample_rate)).div_ceil(u64::from(rate_in.max(1)));
        let mut out = ff::frame::Audio::new(Sample::F32(SampleType::Packed), room as usize + 256, ChannelLayout::MONO);
        if let Some(r) = self.resampler.as_mut() {
            r.run(&self.decoded, &mut out).map_err(|e| CaptureError::ffmpeg("mixing audio to mono", e))?;
        }
        Ok(out.plane::<f32>(0).iter().take(out.samples()).copied().collect())
    }

    /// A chunk of `samples`, stamped and paced.
    fn chunk(&mut self, samples: Vec<f32>) -> AudioChunk {
        self.in_pass += samples.len() as u64;
        let pts = self.pace_and_stamp(samples.len());
        AudioChunk { pts, sample_rate: self.info.sample_rate, samples }
    }

    /// Seeks back to the start for the next pass of a loop.
    fn restart(&mut self) -> Result<(), CaptureError> {
        self.input.seek(0, ..).map_err(|e| CaptureError::Disconnected {
            what: self.info.description.clone(),
            frames: self.samples,
            why: format!("it cannot seek back to loop ({e})"),
            hint: "play it without loop=1",
        })?;
        self.decoder.flush();
        self.flushing = false;
        self.in_pass = 0;
        Ok(())
    }

    fn pace_and_stamp(&mut self, n: usize) -> Duration {
        let rate = f64::from(self.info.sample_rate.max(1));
        let offset = Duration::from_secs_f64(self.samples as f64 / rate);
        self.samples += n as u64;
        if self.spec.pacing == Pacing::Fast {
            return self.clock.now();
        }
        let start = *self.start.get_or_insert_with(|| self.clock.now());
        // A chunk is "captured" when its last sample has played, like a microphone buffer.
        let due = start + Duration::from_secs_f64(self.samples as f64 / rate);
        let now = self.clock.now();
        if due > now {
            std::thread::sleep(due - now);
        }
        start + offset
    }
}

impl AudioSource for AudioFileSource {
    fn info(&self) -> &AudioInfo {
        &self.info
    }

    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, CaptureError> {
        loop {
            if self.period.is_some_and(|p| self.in_pass >= p) {
                self.restart()?;
            }
            match self.decoder.receive_frame(&mut self.decoded) {
                Ok(()) => {
                    let mut samples = self.mono()?;
                    if let Some(p) = self.period {
                        // The sound runs past the pictures' end: cut at it.
                        samples.truncate(usize::try_from(p.saturating_sub(self.in_pass)).unwrap_or(usize::MAX));
                        if samples.is_empty() {
                            continue;
                        }
                    }
                    return Ok(Some(self.chunk(samples)));
                }
                Err(ff::Error::Eof) => {
                    if !self.spec.looping || self.samples == 0 {
                        return Ok(None);
                    }
                    // The sound ends before the pictures: silence until they loop too.
                    if let Some(p) = self.period.filter(|p| *p > self.in_pass) {
                        let n = (p - self.in_pass).min(u64::from(self.info.sample_rate / 10).max(1));
                        return Ok(Some(self.chunk(vec![0.0; n as usize])));
                    }
                    self.restart()?;
                    continue;
                }
                // Need more input, or a damaged packet the decoder skipped.
                Err(_) if self.flushing => return Ok(None),
                Err(_) => {}
            }
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => {
                    // A damaged packet costs a few milliseconds of sound, not the stream.
                    let _ = self.decoder.send_packet(&packet);
                }
                Ok(()) | Err(ff::Error::InvalidData) => {}
                Err(ff::Error::Eof) => {
                    self.flushing = true;
                    let _ = self.decoder.send_eof();
                }
                Err(e) => {
                    return Err(CaptureError::Disconnected {
                        what: self.info.description.clone(),
                        frames: self.samples,
                        why: format!("reading failed ({e})"),
                        hint: "check the file is still there, then reopen it",
                    });
                }
            }
        }
    }
}

/// A file's whole sound track, mixed to mono at its own rate.
#[derive(Debug, Clone, PartialEq)]
pub struct SoundTrack {
    /// Mono samples in `[-1, 1]`, sample 0 at the start of the file.
    pub samples: Vec<f32>,
    /// Samples per second.
    pub rate: u32,
}

/// Decodes the sound of `path` (up to `max_seconds` of it) as fast as it decodes: `None` when
/// the file has no audio stream, an error when it has one that cannot be decoded.
pub fn read_sound(path: &str, max_seconds: f64) -> Result<Option<SoundTrack>, CaptureError> {
    if !has_sound(path)? {
        return Ok(None);
    }
    let spec = FileSpec { path: path.to_string(), looping: false, pacing: Pacing::Fast };
    let mut source = AudioFileSource::open(&spec, SessionClock::start())?;
    let rate = source.info.sample_rate;
    let most = (max_seconds.max(0.0) * f64::from(rate)) as usize;
    let mut samples = Vec::new();
    while samples.len() < most {
        match source.next_chunk()? {
            Some(chunk) => samples.extend(chunk.samples),
            None => break,
        }
    }
    samples.truncate(most);
    Ok(Some(SoundTrack { samples, rate }))
}

/// The highest sample rate FFmpeg's AAC encoder takes.
pub const MAX_AAC_RATE: u32 = 96_000;

/// The sample rates FFmpeg's AAC encoder takes (MPEG-4 audio's), lowest first.
const AAC_RATES: [u32; 13] =
    [7350, 8000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000, 88_200, 96_000];

/// The rate sound at `rate` Hz is stored at in AAC: itself when AAC takes it, else the next
/// rate up, and 48 kHz above 96 kHz.
pub fn aac_rate(rate: u32) -> u32 {
    AAC_RATES.iter().copied().find(|r| *r >= rate).map_or(48_000, |r| r)
}

/// Whether the media file at `path` has an audio stream.
pub fn has_sound(path: &str) -> Result<bool, CaptureError> {
    init()?;
    check_file("audio", path)?;
    let input = ff::format::input(path).map_err(|e| open_file_error("audio", path, e))?;
    Ok(input.streams().best(ff::media::Type::Audio).is_some())
}
