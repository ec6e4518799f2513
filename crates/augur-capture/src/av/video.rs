//! One FFmpeg video path for cameras, files and lavfi graphs: demux → decode → convert to RGB
//! → pace. What differs per kind is only how it opens and what the end of the stream means.

use std::sync::Arc;
use std::time::Duration;

use ffmpeg_next as ff;

use super::scaler::RgbScaler;
use super::{camera, check_file, init, input_device, open_file_error};
use crate::{CaptureError, FileSpec, Frame, Pacing, SessionClock, Source, SourceInfo, VideoSpec};

/// Consecutive undecodable packets after which a stream counts as broken, not glitchy.
const MAX_CORRUPT_RUN: u32 = 200;

/// What the end of the stream means for this kind of source.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    /// A camera never ends on its own: EOF means it went away.
    Disconnect,
    /// A file ends; it may loop.
    End { looping: bool },
}

/// A video source decoded by FFmpeg: a camera, a file, or a lavfi graph.
pub struct AvVideoSource {
    input: ff::format::context::Input,
    stream_index: usize,
    decoder: ff::decoder::Video,
    scaler: Option<RgbScaler>,
    /// Degrees clockwise the stream asks to be turned before it is shown.
    turn: u16,
    decoded: ff::frame::Video,
    rgb: ff::frame::Video,
    time_base: f64,
    ending: Ending,
    pacing: Pacing,
    clock: SessionClock,
    info: SourceInfo,
    what: String,
    /// Session time and stream time of the first frame since the last (re)start, for pacing.
    anchor: Option<(Duration, f64)>,
    /// Stream seconds added per completed loop, so looped timestamps keep increasing.
    loop_offset: f64,
    last_stream_pts: f64,
    /// The first frame's own timestamp, without any loop offset.
    first_stream_pts: Option<f64>,
    frames: u64,
    /// `frames` when the current pass over a looping file began.
    frames_at_loop: u64,
    flushing: bool,
    corrupt_run: u32,
    /// Packets the decoder rejected and skipped.
    pub corrupt_packets: u64,
}

impl AvVideoSource {
    /// Opens a camera, file or lavfi spec; scenes are not FFmpeg sources.
    pub fn open(spec: &VideoSpec, clock: SessionClock) -> Result<Self, CaptureError> {
        init()?;
        match spec {
            VideoSpec::Camera(cam) => {
                let how = camera::resolve(cam)?;
                let mut notes = Vec::new();
                let opened = open_device(&how.driver, &how.url, &how.options).or_else(|first| {
                    if how.options.is_empty() {
                        return Err(first);
                    }
                    // The driver refused the mode outright; its own default is the closest
                    // thing it offers, and we say so instead of failing.
                    let asked: Vec<String> = how.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    notes.push(format!("device refused {} ({first}); using its default mode", asked.join(" ")));
                    open_device(&how.driver, &how.url, &[])
                });
                let input = opened.map_err(|e| device_error(&how.what, e))?;
                let mut src = Self::from_input(input, how.what, Ending::Disconnect, Pacing::Fast, clock, true)?;
                src.info.notes.extend(notes);
                src.note_mode_differences(cam.size, cam.fps);
                Ok(src)
            }
            VideoSpec::Lavfi { graph, pacing } => {
                let what = format!("lavfi {graph:?}");
                let input = open_device("lavfi", graph, &[]).map_err(|e| CaptureError::DeviceUnavailable {
                    what: what.clone(),
                    why: format!("FFmpeg rejected the filter graph ({e})"),
                    hint: "check the graph with `ffmpeg -f lavfi -i '<graph>' -frames:v 1 -f null -`".into(),
                })?;
                Self::from_input(input, what, Ending::End { looping: false }, *pacing, clock, true)
            }
            VideoSpec::File(FileSpec { path, looping, pacing }) => {
                check_file("video", path)?;
                let input = ff::format::input(path).map_err(|e| open_file_error("video", path, e))?;
                // FFmpeg renders any text file as ANSI art through its `tty` demuxer; nobody
                // means that when they open a file as a camera stand-in.
                if input.format().name() == "tty" {
                    return Err(open_file_error("video", path, ff::Error::InvalidData));
                }
                Self::from_input(
                    input,
                    format!("file {path}"),
                    Ending::End { looping: *looping },
                    *pacing,
                    clock,
                    false,
                )
                .map_err(|e| match e {
                    CaptureError::BadFile { why, hint, kind, .. } => {
                        CaptureError::BadFile { kind, why, hint, path: path.clone() }
                    }
                    other => other,
                })
            }
            VideoSpec::Scene(_) => Err(CaptureError::BadSpec {
                given: "scene".into(),
                why: "scenes are generated, not decoded by FFmpeg".into(),
                forms: crate::spec::FORMS,
            }),
        }
    }

    fn from_input(
        input: ff::format::context::Input,
        what: String,
        ending: Ending,
        pacing: Pacing,
        clock: SessionClock,
        live: bool,
    ) -> Result<Self, CaptureError> {
        let stream = input.streams().best(ff::media::Type::Video).ok_or_else(|| CaptureError::BadFile {
            kind: "video",
            why: "it has no video stream".into(),
            hint: "for sound-only files use audiofile:",
            path: what.clone(),
        })?;
        let stream_index = stream.index();
        let turn = super::rotate::turn_of(&stream);
        let tb = stream.time_base();
        let time_base =
            if tb.denominator() != 0 { f64::from(tb.numerator()) / f64::from(tb.denominator()) } else { 0.0 };
        let rate = [stream.avg_frame_rate(), stream.rate()]
            .into_iter()
            .find(|r| r.numerator() > 0 && r.denominator() > 0)
            .map(|r| f64::from(r.numerator()) / f64::from(r.denominator()))
            .unwrap_or(0.0);
        let ctx = ff::codec::context::Context::from_parameters(stream.parameters())
            .map_err(|e| CaptureError::ffmpeg("reading the stream parameters", e))?;
        let decoder = ctx.decoder().video().map_err(|e| CaptureError::BadFile {
            kind: "video",
            why: format!("no decoder for its video codec ({e})"),
            hint: "install an FFmpeg with that codec, or convert the file to H.264",
            path: what.clone(),
        })?;
        if decoder.width() == 0 || decoder.height() == 0 {
            return Err(CaptureError::BadFile {
                kind: "video",
                why: "its video stream has no frame size (damaged header)".into(),
                hint: "check it with ffprobe",
                path: what,
            });
        }
        let (width, height) =
            if turn % 180 == 90 { (decoder.height(), decoder.width()) } else { (decoder.width(), decoder.height()) };
        let info = SourceInfo {
            description: what.clone(),
            width,
            height,
            fps: rate,
            native_format: format!("{:?}", decoder.format()).to_lowercase(),
            live,
            // A camera's device paces it, though it is read without waiting.
            paced: pacing == Pacing::Realtime || matches!(ending, Ending::Disconnect),
            notes: if turn == 0 { Vec::new() } else { vec![format!("turned {turn}° clockwise, as the file asks")] },
        };
        Ok(Self {
            input,
            stream_index,
            decoder,
            scaler: None,
            turn,
            decoded: ff::frame::Video::empty(),
            rgb: ff::frame::Video::empty(),
            time_base,
            ending,
            pacing,
            clock,
            info,
            what,
            anchor: None,
            loop_offset: 0.0,
            last_stream_pts: 0.0,
            first_stream_pts: None,
            frames: 0,
            frames_at_loop: 0,
            flushing: false,
            corrupt_run: 0,
            corrupt_packets: 0,
        })
    }

    fn note_mode_differences(&mut self, size: Option<(u32, u32)>, fps: Option<f64>) {
        if let Some((w, h)) = size
            && (w, h) != (self.info.width, self.info.height)
        {
            self.info.notes.push(format!(
                "asked for {w}x{h}; the closest size the device offers is {}x{}",
                self.info.width, self.info.height
            ));
        }
        if let Some(f) = fps
            && (f - self.info.fps).abs() > 0.5
        {
            self.info.notes.push(format!("asked for {f} fps; the device delivers {:.2} fps", self.info.fps));
        }
    }

    /// Converts the decoded frame to packed RGB, stamps it and waits until it is due.
    fn deliver(&mut self) -> Result<Frame, CaptureError> {
        let (fmt, w, h) = (self.decoded.format(), self.decoded.width(), self.decoded.height());
        if !self.scaler.as_ref().is_some_and(|s| s.fits(fmt, w, h)) {
            let scaler =
                RgbScaler::new(fmt, w, h).map_err(|e| CaptureError::ffmpeg("setting up colour conversion", e))?;
            self.scaler = Some(scaler);
            // The frames changed size or format midway (a stream spliced from two): the old
            // output frame no longer fits, and FFmpeg refuses to write into it.
            self.rgb = ff::frame::Video::empty();
        }
        if let Some(ctx) = self.scaler.as_mut() {
            ctx.run(&self.decoded, &mut self.rgb).map_err(|e| CaptureError::ffmpeg("converting to RGB", e))?;
        }
        let row = w as usize * 3;
        let stride = self.rgb.stride(0);
        let mut rgb = Vec::with_capacity(row * h as usize);
        for line in self.rgb.data(0).chunks(stride).take(h as usize) {
            rgb.extend_from_slice(line.get(..row).unwrap_or(line));
        }
        let (rgb, turned_w, turned_h) = super::rotate::turned(rgb, w as usize, h as usize, self.turn);
        let (w, h) = (turned_w as u32, turned_h as u32);
        let stream_secs = self
            .decoded
            .timestamp()
            .or(self.decoded.pts())
            .map(|t| t as f64 * self.time_base)
            .filter(|s| s.is_finite())
            .unwrap_or_else(|| self.frames as f64 / self.info.fps.max(1.0))
            + self.loop_offset;
        // Where the file's own clock starts (0 for MP4, about 1.4 s for MPEG-TS), so each loop
        // goes on right after the last one rather than a start's worth later.
        self.first_stream_pts.get_or_insert(stream_secs - self.loop_offset);
        self.last_stream_pts = stream_secs;
        self.pace(stream_secs);
        let frame = Frame {
            pts: self.clock.now(),
            stream_pts: Some(Duration::from_secs_f64(stream_secs.max(0.0))),
            index: self.frames,
            width: w,
            height: h,
            rgb: Arc::from(rgb),
        };
        self.frames += 1;
        Ok(frame)
    }

    /// Sleeps until the frame's stream time, measured from the first frame, has come.
    fn pace(&mut self, stream_secs: f64) {
        if self.pacing != Pacing::Realtime {
            return;
        }
        let now = self.clock.now();
        let (t0, s0) = *self.anchor.get_or_insert((now, stream_secs));
        let offset = stream_secs - s0;
        if !(0.0..86_400.0).contains(&offset) {
            // A timestamp jump (or going backwards) would stall or rush playback: re-anchor.
            self.anchor = Some((now, stream_secs));
            return;
        }
        let due = t0 + Duration::from_secs_f64(offset);
        if due > now {
            std::thread::sleep(due - now);
        }
    }

    fn end_of_stream(&mut self) -> Result<Option<Frame>, CaptureError> {
        match self.ending {
            Ending::Disconnect => Err(CaptureError::Disconnected {
                what: self.what.clone(),
                frames: self.frames,
                why: "the device stopped sending frames".into(),
                hint: "check that the camera is still plugged in and not taken by another program, then reopen it",
            }),
            Ending::End { .. } if self.frames == 0 => Err(CaptureError::BadFile {
                kind: "video",
                why: format!("no frame could be decoded ({} damaged packets)", self.corrupt_packets),
                hint: "the file is truncated or corrupt; check it with ffprobe",
                path: self.what.clone(),
            }),
            Ending::End { looping: true } if self.frames == self.frames_at_loop => Err(CaptureError::Disconnected {
                what: self.what.clone(),
                frames: self.frames,
                why: "seeking back to the start gave no frames".into(),
                hint: "the file cannot be looped; play it without loop=1 or convert it to MP4",
            }),
            Ending::End { looping: true } => {
                self.frames_at_loop = self.frames;
                self.input.seek(0, ..).map_err(|e| CaptureError::Disconnected {
                    what: self.what.clone(),
                    frames: self.frames,
                    why: format!("it cannot seek back to the start to loop ({e})"),
                    hint: "convert it to a seekable container such as MP4, or play it without loop=1",
                })?;
                self.decoder.flush();
                self.flushing = false;
                self.loop_offset =
                    self.last_stream_pts + 1.0 / self.info.fps.max(1.0) - self.first_stream_pts.unwrap_or(0.0);
                self.next_frame()
            }
            Ending::End { looping: false } => Ok(None),
        }
    }
}

impl Source for AvVideoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        loop {
            match self.decoder.receive_frame(&mut self.decoded) {
                Ok(()) => {
                    self.corrupt_run = 0;
                    return self.deliver().map(Some);
                }
                Err(ff::Error::Eof) => return self.end_of_stream(),
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {}
                Err(e) => self.skip_corrupt(e)?,
            }
            if self.flushing {
                // Drained after EOF without an Eof status: treat as the end.
                return self.end_of_stream();
            }
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => {
                    if let Err(e) = self.decoder.send_packet(&packet) {
                        self.skip_corrupt(e)?;
                    }
                }
                Ok(()) => {}
                Err(ff::Error::Eof) => {
                    // Send EOF so the decoder hands out the frames it still holds.
                    self.flushing = self.decoder.send_eof().is_ok();
                    if !self.flushing {
                        return self.end_of_stream();
                    }
                }
                Err(ff::Error::InvalidData) => self.skip_corrupt(ff::Error::InvalidData)?,
                Err(e) => {
                    return Err(CaptureError::Disconnected {
                        what: self.what.clone(),
                        frames: self.frames,
                        why: format!("reading failed ({e})"),
                        hint: "check the device or file is still there, then reopen the source",
                    });
                }
            }
        }
    }
}

impl AvVideoSource {
    /// A damaged packet is skipped; a long run of them means the stream is broken.
    fn skip_corrupt(&mut self, e: ff::Error) -> Result<(), CaptureError> {
        self.corrupt_packets += 1;
        self.corrupt_run += 1;
        if self.corrupt_run >= MAX_CORRUPT_RUN {
            return Err(CaptureError::Disconnected {
                what: self.what.clone(),
                frames: self.frames,
                why: format!("{MAX_CORRUPT_RUN} damaged packets in a row ({e})"),
                hint: "the data is corrupt; check the file with ffprobe or reconnect the camera",
            });
        }
        Ok(())
    }
}

fn open_device(
    driver: &str,
    url: &str,
    options: &[(&'static str, String)],
) -> Result<ff::format::context::Input, ff::Error> {
    let format = input_device(driver).ok_or(ff::Error::DemuxerNotFound)?;
    let mut dict = ff::Dictionary::new();
    for (k, v) in options {
        dict.set(k, v);
    }
    match ff::format::open_with(url, &format, dict)? {
        ff::format::context::Context::Input(input) => Ok(input),
        ff::format::context::Context::Output(_) => Err(ff::Error::DemuxerNotFound),
    }
}

fn device_error(what: &str, e: ff::Error) -> CaptureError {
    let why = match e {
        ff::Error::DemuxerNotFound => "this FFmpeg has no driver for it (built without libavdevice support?)".into(),
        ff::Error::Other { errno } if errno == ff::util::error::EBUSY => "it is in use by another program".into(),
        ff::Error::Other { errno } if errno == ff::util::error::EACCES => {
            "permission denied (add yourself to the `video` group)".into()
        }
        other => format!("FFmpeg could not open it ({other})"),
    };
    CaptureError::DeviceUnavailable {
        what: what.into(),
        why,
        hint: "run `augur devices` to list cameras, or use scene:bounce when there is none".into(),
    }
}
