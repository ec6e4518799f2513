//! Writing recordings that survive a crash: H.264 (or AV1) video (plus AAC sound when there is a
//! microphone) in fragmented MP4, one fragment per second, each flushed to disk as it closes.
//! A recorder killed mid-episode leaves every completed second readable; [`remux_prefix`] turns
//! such a file into a clean MP4 of exactly the frames that survived.

use std::path::{Path, PathBuf};

use ff::format::sample::Type as SampleType;
use ff::format::{Pixel, Sample};
use ff::{ChannelLayout, Dictionary, Rational, codec, encoder, format, media};
use ffmpeg_next as ff;

use crate::CaptureError;

/// Sound to record beside the video: mono `f32` at `sample_rate`.
#[derive(Debug, Clone, Copy)]
pub struct RecordAudio {
    /// Samples per second.
    pub sample_rate: u32,
}

/// A fragmented-MP4 episode being written frame by frame.
pub struct RecordingWriter {
    path: PathBuf,
    output: format::context::Output,
    video: encoder::Video,
    scaler: super::scaler::Converter,
    rgb: ff::frame::Video,
    yuv: ff::frame::Video,
    video_tb: Rational,
    frames: u64,
    audio: Option<AudioTrack>,
}

struct AudioTrack {
    encoder: encoder::Audio,
    frame: ff::frame::Audio,
    time_base: Rational,
    pending: Vec<f32>,
    samples: u64,
    /// Samples still to leave out at the start, to make up for the encoder's delay.
    skip: usize,
}

/// FFmpeg's AAC encoder puts this many samples of its own in front of the sound (its priming,
/// `initial_padding`). A plain MP4 says so in an edit list and decoders drop them, but a
/// fragmented one cannot, so every decoder would hear the episode's sound this late against
/// its pictures (64 ms at 16 kHz). Leaving out as many samples at the start keeps each sample
/// at its own time; the episode loses its first 1024 samples (21 ms at 48 kHz) to the priming.
const AAC_PRIMING: usize = 1024;

impl RecordingWriter {
    /// Creates `path` for `width × height` frames at `fps` (sizes rounded down to even), with an
    /// AAC track when `audio` is given. A keyframe starts every second, so each fragment holds
    /// one second and is on disk once the next second begins.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: impl Into<super::encode::FrameRate>,
        codec: super::encode::VideoCodec,
        audio: Option<RecordAudio>,
    ) -> Result<Self, CaptureError> {
        super::init()?;
        let fps = fps.into();
        let err = |why: String| CaptureError::Write { why, path: path.display().to_string() };
        let failed = |e: ff::Error| err(e.to_string());
        let (w, h) = (width & !1, height & !1);
        if w < 2 || h < 2 || fps.frames == 0 || fps.seconds == 0 {
            return Err(err(format!("cannot encode {width}x{height} at {} fps", fps.fps())));
        }
        if codec == super::encode::VideoCodec::Av1 && (w < 64 || h < 64) {
            return Err(err(format!(
                "SVT-AV1 encodes frames of at least 64x64, and this source is {width}x{height}; record with --codec h264"
            )));
        }
        if let Some(a) = audio
            && super::audio::aac_rate(a.sample_rate) != a.sample_rate
        {
            return Err(err(format!(
                "sound at {} Hz is not a rate an MP4's AAC track holds (7350 to {} Hz, standard rates only); set \
                 the microphone to 48000 Hz in the system's sound settings, or record without sound",
                a.sample_rate,
                super::audio::MAX_AAC_RATE
            )));
        }
        let mut output = format::output_as(path, "mp4").map_err(failed)?;
        let global_header = output.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let mut opts = Dictionary::new();
        if codec == super::encode::VideoCodec::H264 {
            opts.set("crf", "23");
            // A keyframe exactly every second, and no lookahead: each frame leaves the encoder
            // as it arrives, so a fragment closes on disk as soon as its second ends.
            opts.set("sc_threshold", "0");
            opts.set("tune", "zerolatency");
        }
        let (video, video_tb) = super::encode::add_video(&mut output, codec, w, h, fps, opts)
            .map_err(|e| super::encode::encoder_error(codec, e, &err))?;

        let audio = match audio {
            Some(a) => Some(AudioTrack::add(&mut output, a, global_header).map_err(failed)?),
            None => None,
        };
        let mut mux = Dictionary::new();
        mux.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
        mux.set("flush_packets", "1");
        // Do not hold video back for more than a second waiting for a late microphone packet.
        mux.set("max_interleave_delta", "1000000");
        output.write_header_with(mux).map_err(failed)?;
        let scaler = super::scaler::Converter::new(Pixel::RGB24, Pixel::YUV420P, w, h).map_err(failed)?;
        Ok(Self {
            path: path.into(),
            output,
            video,
            scaler,
            rgb: ff::frame::Video::new(Pixel::RGB24, w, h),
            yuv: ff::frame::Video::new(Pixel::YUV420P, w, h),
            video_tb,
            frames: 0,
            audio,
        })
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Sound samples handed over so far (the first ones, left out for the encoder's priming, too).
    pub fn audio_samples(&self) -> u64 {
        self.audio.as_ref().map_or(0, |a| (AAC_PRIMING - a.skip) as u64 + a.samples + a.pending.len() as u64)
    }

    /// Appends one packed RGB8 frame of the size given at creation.
    pub fn push_rgb(&mut self, rgb: &[u8], width: u32) -> Result<(), CaptureError> {
        let (w, h) = (self.rgb.width() as usize, self.rgb.height() as usize);
        let src_stride = width as usize * 3;
        if width < w as u32 || rgb.len() < src_stride * h {
            return Err(self.err(format!("a frame of {} bytes does not hold {w}x{h} RGB", rgb.len())));
        }
        let stride = self.rgb.stride(0);
        let data = self.rgb.data_mut(0);
        for y in 0..h {
            data[y * stride..y * stride + w * 3].copy_from_slice(&rgb[y * src_stride..y * src_stride + w * 3]);
        }
        self.scaler.run(&self.rgb, &mut self.yuv).map_err(|e| self.ff_err(e))?;
        self.yuv.set_pts(Some(self.frames as i64));
        self.frames += 1;
        self.video.send_frame(&self.yuv).map_err(|e| self.ff_err(e))?;
        self.drain_video()
    }

    /// Appends mono samples to the sound track (ignored when there is none).
    pub fn push_audio(&mut self, samples: &[f32]) -> Result<(), CaptureError> {
        let Some(track) = self.audio.as_mut() else { return Ok(()) };
        let skip = track.skip.min(samples.len());
        track.skip -= skip;
        track.pending.extend_from_slice(&samples[skip..]);
        let result = track.encode_full_frames(&mut self.output, false);
        result.map_err(|e| self.ff_err(e))
    }

    /// Flushes both encoders and writes the trailer. Returns the frames written.
    pub fn finish(mut self) -> Result<u64, CaptureError> {
        self.video.send_eof().map_err(|e| self.ff_err(e))?;
        self.drain_video()?;
        if let Some(track) = self.audio.as_mut() {
            let result = track.encode_full_frames(&mut self.output, true);
            result.map_err(|e| CaptureError::Write { why: e.to_string(), path: self.path.display().to_string() })?;
        }
        self.output.write_trailer().map_err(|e| self.ff_err(e))?;
        Ok(self.frames)
    }

    fn drain_video(&mut self) -> Result<(), CaptureError> {
        super::encode::drain_video(&mut self.video, &mut self.output, self.video_tb).map_err(|e| self.ff_err(e))
    }

    fn err(&self, why: String) -> CaptureError {
        CaptureError::Write { why, path: self.path.display().to_string() }
    }

    fn ff_err(&self, e: ff::Error) -> CaptureError {
        let why = match e {
            ff::Error::Other { errno: 28 } => "the disk is full (no space left on device)".to_string(),
            other => other.to_string(),
        };
        self.err(why)
    }
}

impl AudioTrack {
    fn add(output: &mut format::context::Output, a: RecordAudio, global_header: bool) -> Result<Self, ff::Error> {
        let codec = encoder::find(codec::Id::AAC).ok_or(ff::Error::EncoderNotFound)?;
        let mut stream = output.add_stream(codec)?;
        let mut enc = codec::context::Context::new_with_codec(codec).encoder().audio()?;
        let time_base = Rational(1, a.sample_rate as i32);
        enc.set_rate(a.sample_rate as i32);
        enc.set_channel_layout(ChannelLayout::MONO);
        enc.set_format(Sample::F32(SampleType::Planar));
        enc.set_bit_rate(96_000);
        enc.set_time_base(time_base);
        if global_header {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let encoder = enc.open()?;
        stream.set_parameters(&encoder);
        stream.set_time_base(time_base);
        let size = match encoder.frame_size() {
            0 => 1024,
            n => n as usize,
        };
        let mut frame = ff::frame::Audio::new(Sample::F32(SampleType::Planar), size, ChannelLayout::MONO);
        frame.set_rate(a.sample_rate);
        Ok(Self { encoder, frame, time_base, pending: Vec::new(), samples: 0, skip: AAC_PRIMING })
    }

    /// Encodes every whole frame of pending samples; at the end also the padded remainder.
    fn encode_full_frames(&mut self, output: &mut format::context::Output, last: bool) -> Result<(), ff::Error> {
        let size = self.frame.samples();
        while self.pending.len() >= size || (last && !self.pending.is_empty()) {
            let n = self.pending.len().min(size);
            let plane = self.frame.plane_mut::<f32>(0);
            plane[..n].copy_from_slice(&self.pending[..n]);
            plane[n..].fill(0.0);
            self.pending.drain(..n);
            // At the time of the sample it holds: the encoder hands its priming back at 0,
            // where a negative timestamp would have made the muxer delay every later frame.
            self.frame.set_pts(Some((AAC_PRIMING as u64 + self.samples) as i64));
            self.samples += n as u64;
            self.encoder.send_frame(&self.frame)?;
            self.drain(output)?;
        }
        if last {
            self.encoder.send_eof()?;
            self.drain(output)?;
        }
        Ok(())
    }

    fn drain(&mut self, output: &mut format::context::Output) -> Result<(), ff::Error> {
        let stream_tb = output.stream(1).map_or(self.time_base, |s| s.time_base());
        let mut packet = ff::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(1);
            packet.rescale_ts(self.time_base, stream_tb);
            packet.write_interleaved(output)?;
        }
        Ok(())
    }
}

/// What a video file holds, counted from its packets without decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MediaCount {
    /// Video packets (one frame each in our recordings).
    pub video_frames: u64,
    /// Seconds of sound (0 with no sound track).
    pub audio_seconds: f64,
    /// Frame rate of the video stream.
    pub fps: f64,
    /// Frame size.
    pub width: u32,
    /// Frame size.
    pub height: u32,
}

/// Counts the frames and sound in a media file; a file cut off mid-fragment is read up to the
/// last complete fragment.
pub fn count_media(path: &Path) -> Result<MediaCount, CaptureError> {
    super::init()?;
    let p = path.display().to_string();
    super::check_file("video", &p)?;
    let mut input = format::input(path).map_err(|e| super::open_file_error("video", &p, e))?;
    let bad =
        |why: &str| CaptureError::BadFile { kind: "video", why: why.into(), hint: "record it again", path: p.clone() };
    let video = input.streams().best(media::Type::Video).ok_or_else(|| bad("it has no video stream"))?;
    let (vi, rate) = (video.index(), video.avg_frame_rate());
    let params = codec::context::Context::from_parameters(video.parameters())
        .and_then(|c| c.decoder().video())
        .map_err(|e| CaptureError::ffmpeg("reading the video parameters", e))?;
    let audio = input.streams().best(media::Type::Audio).map(|s| (s.index(), s.time_base()));
    let mut count = MediaCount { width: params.width(), height: params.height(), ..Default::default() };
    count.fps = if rate.denominator() != 0 { f64::from(rate) } else { 0.0 };
    let mut audio_end = 0.0f64;
    for (stream, packet) in input.packets() {
        // A fragment cut off by a kill or a full disk ends in a packet FFmpeg marks corrupt:
        // everything from there on is not a whole frame.
        if packet.is_corrupt() {
            break;
        }
        if stream.index() == vi {
            count.video_frames += 1;
        } else if let Some((ai, tb)) = audio
            && stream.index() == ai
            && let Some(pts) = packet.pts()
        {
            audio_end = audio_end.max((pts + packet.duration()) as f64 * f64::from(tb));
        }
    }
    count.audio_seconds = audio_end;
    Ok(count)
}

/// Copies the first `max_frames` video frames (and the sound up to their end) of `src` into a
/// new MP4 at `dst`, without re-encoding. Returns what `dst` holds.
pub fn remux_prefix(src: &Path, dst: &Path, max_frames: u64) -> Result<MediaCount, CaptureError> {
    super::init()?;
    let p = src.display().to_string();
    super::check_file("video", &p)?;
    let werr = |e: ff::Error| CaptureError::Write { why: e.to_string(), path: dst.display().to_string() };
    let mut input = format::input(src).map_err(|e| super::open_file_error("video", &p, e))?;
    let mut output = format::output_as(dst, "mp4").map_err(werr)?;
    let mut map = Vec::new();
    let mut video_index = None;
    let mut fps = Rational(0, 1);
    for s in input.streams() {
        let kind = s.parameters().medium();
        if kind != media::Type::Video && kind != media::Type::Audio {
            map.push(None);
            continue;
        }
        if kind == media::Type::Video && video_index.is_none() {
            video_index = Some(s.index());
            fps = s.avg_frame_rate();
        }
        let mut out = output.add_stream(encoder::find(codec::Id::None)).map_err(werr)?;
        out.set_parameters(s.parameters());
        map.push(Some((out.index(), s.time_base())));
    }
    let Some(vi) = video_index else {
        return Err(CaptureError::BadFile {
            kind: "video",
            why: "it has no video stream".into(),
            hint: "record it again",
            path: p,
        });
    };
    // The sound is cut where the kept video ends: the end of the last kept frame, read from the
    // file itself (a file without its trailer may report no frame rate).
    let end = video_end(src, vi, max_frames)?.unwrap_or(if fps.numerator() > 0 {
        max_frames as f64 * f64::from(fps.invert())
    } else {
        f64::INFINITY
    });
    let mut mux = Dictionary::new();
    mux.set("movflags", "+faststart");
    output.write_header_with(mux).map_err(werr)?;
    let mut frames = 0u64;
    for (stream, mut packet) in input.packets() {
        if packet.is_corrupt() {
            break;
        }
        let Some(Some((oi, itb))) = map.get(stream.index()).copied() else { continue };
        if stream.index() == vi {
            if frames >= max_frames {
                continue;
            }
            frames += 1;
        } else if packet.pts().is_some_and(|pts| pts as f64 * f64::from(itb) >= end) {
            continue;
        }
        let otb = output.stream(oi).map_or(itb, |s| s.time_base());
        packet.set_stream(oi);
        packet.rescale_ts(itb, otb);
        packet.set_position(-1);
        packet.write_interleaved(&mut output).map_err(werr)?;
    }
    output.write_trailer().map_err(werr)?;
    drop(output);
    count_media(dst)
}

/// Seconds at which the first `frames` whole video frames of `src` end (stream `vi`).
fn video_end(src: &Path, vi: usize, frames: u64) -> Result<Option<f64>, CaptureError> {
    let p = src.display().to_string();
    let mut input = format::input(src).map_err(|e| super::open_file_error("video", &p, e))?;
    let (mut seen, mut end) = (0u64, None::<f64>);
    for (stream, packet) in input.packets() {
        if packet.is_corrupt() || seen >= frames {
            break;
        }
        if stream.index() == vi {
            seen += 1;
            if let Some(pts) = packet.pts() {
                let t = (pts + packet.duration().max(0)) as f64 * f64::from(stream.time_base());
                end = Some(end.map_or(t, |e: f64| e.max(t)));
            }
        }
    }
    Ok(end)
}
