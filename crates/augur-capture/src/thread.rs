//! Runs a source on its own thread so the consumer never waits on a device or decoder.
//!
//! Video goes through a one-slot [`Mailbox`] (display paths want the newest frame and count
//! what they skipped); audio goes through a bounded queue (every chunk matters for a
//! spectrogram, and a full queue is counted, not waited on).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, TrySendError, bounded};

use crate::{AudioChunk, AudioInfo, AudioSource, CaptureError, Frame, Mailbox, MailboxStats, Source, SourceInfo};

/// How a source thread ended, if it has.
#[derive(Debug)]
pub enum StreamEnd {
    /// The source reached its normal end (a file without loop).
    Finished,
    /// The source failed; reopen it to continue.
    Failed(CaptureError),
    /// The handle asked it to stop.
    Stopped,
}

struct Shared {
    stop: AtomicBool,
    end: Mutex<Option<StreamEnd>>,
}

impl Shared {
    fn finish(&self, end: StreamEnd) {
        *self.end.lock().unwrap_or_else(|p| p.into_inner()) = Some(end);
    }
}

/// A running video source. Dropping it stops the thread.
pub struct VideoHandle {
    info: SourceInfo,
    frames: Mailbox<Frame>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts `source` on its own thread.
pub fn spawn_video(mut source: Box<dyn Source>) -> VideoHandle {
    let info = source.info().clone();
    let frames = Mailbox::new();
    let shared = Arc::new(Shared { stop: AtomicBool::new(false), end: Mutex::new(None) });
    let (out, sh) = (frames.clone(), Arc::clone(&shared));
    let thread = std::thread::Builder::new()
        .name(format!("augur-source {}", info.description))
        .spawn(move || {
            let end = loop {
                if sh.stop.load(Ordering::Relaxed) {
                    break StreamEnd::Stopped;
                }
                match source.next_frame() {
                    Ok(Some(frame)) => out.put(frame),
                    Ok(None) => break StreamEnd::Finished,
                    Err(e) => break StreamEnd::Failed(e),
                }
            };
            sh.finish(end);
            out.close();
        })
        .ok();
    if thread.is_none() {
        shared.finish(StreamEnd::Failed(CaptureError::ThreadGone { what: info.description.clone() }));
        frames.close();
    }
    VideoHandle { info, frames, shared, thread }
}

impl VideoHandle {
    /// What the source negotiated.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The newest frame if one arrived since the last call. Never blocks.
    pub fn latest(&self) -> Option<Frame> {
        self.frames.take()
    }

    /// Waits up to `timeout` for the next frame; `None` on timeout or when the source ended.
    pub fn wait(&self, timeout: Duration) -> Option<Frame> {
        self.frames.wait(timeout)
    }

    /// Produced, delivered and skipped counts.
    pub fn stats(&self) -> MailboxStats {
        self.frames.stats()
    }

    /// Takes how the source ended, once it has; `None` while it is still running.
    pub fn take_end(&self) -> Option<StreamEnd> {
        if !self.frames.is_closed() {
            return None;
        }
        self.shared.end.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Whether the source thread has ended.
    pub fn is_finished(&self) -> bool {
        self.frames.is_closed()
    }

    /// Stops the source and waits up to `within` for its thread to let go of the device, so the
    /// same camera can be opened again at once (in another mode); `false` when it is still busy
    /// (a read that blocks), in which case it ends on its own after that read.
    pub fn stop(mut self, within: Duration) -> bool {
        self.shared.stop.store(true, Ordering::Relaxed);
        let until = std::time::Instant::now() + within;
        while !self.thread.as_ref().is_none_or(JoinHandle::is_finished) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        match self.thread.take() {
            Some(t) if t.is_finished() => {
                let _ = t.join(); // ended, however: the device is let go
                true
            }
            Some(t) => {
                self.thread = Some(t);
                false
            }
            None => true,
        }
    }
}

impl Drop for VideoHandle {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A camera read can block for a while: join only a thread that is done, and let a
            // busy one see the stop flag after its current frame and end on its own.
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// A running audio source. Dropping it stops the thread.
pub struct AudioHandle {
    info: AudioInfo,
    chunks: Receiver<AudioChunk>,
    dropped: Arc<AtomicU64>,
    shared: Arc<Shared>,
}

/// Chunks queued for the consumer before new ones are dropped (~5 s at 10 ms chunks).
const AUDIO_QUEUE: usize = 512;

/// Starts an audio source on its own thread.
pub fn spawn_audio(mut source: Box<dyn AudioSource>) -> AudioHandle {
    let info = source.info().clone();
    let (tx, rx) = bounded(AUDIO_QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let shared = Arc::new(Shared { stop: AtomicBool::new(false), end: Mutex::new(None) });
    let (d, sh) = (Arc::clone(&dropped), Arc::clone(&shared));
    let spawned = std::thread::Builder::new().name(format!("augur-audio {}", info.description)).spawn(move || {
        let end = loop {
            if sh.stop.load(Ordering::Relaxed) {
                break StreamEnd::Stopped;
            }
            match source.next_chunk() {
                Ok(Some(chunk)) => match tx.try_send(chunk) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        d.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => break StreamEnd::Stopped,
                },
                Ok(None) => break StreamEnd::Finished,
                Err(e) => break StreamEnd::Failed(e),
            }
        };
        sh.finish(end);
    });
    if spawned.is_err() {
        shared.finish(StreamEnd::Failed(CaptureError::ThreadGone { what: info.description.clone() }));
    }
    AudioHandle { info, chunks: rx, dropped, shared }
}

impl AudioHandle {
    /// What the source negotiated.
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// Every chunk that arrived since the last call. Never blocks.
    pub fn drain(&self) -> Vec<AudioChunk> {
        self.chunks.try_iter().collect()
    }

    /// Waits up to `timeout` for one chunk.
    pub fn wait(&self, timeout: Duration) -> Option<AudioChunk> {
        self.chunks.recv_timeout(timeout).ok()
    }

    /// Chunks dropped because the consumer was behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Takes how the source ended, once it has.
    pub fn take_end(&self) -> Option<StreamEnd> {
        self.shared.end.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Drop for AudioHandle {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}
