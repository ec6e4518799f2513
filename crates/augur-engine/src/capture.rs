//! The capture thread of a session: opens the source (reopening it every 2 s after a
//! failure, keeping the timeline), publishes each frame as the preview, hands it to the
//! recording if one runs, and drops it in the model's one-slot mailbox. It never waits for the
//! model or the disk.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use augur_capture::{Frame, Mailbox, SessionClock, SourceSpec, open_video, open_video_or_scene, spawn_video};
use crossbeam_channel::Sender;

use crate::session::{Shared, SourceStatus, lock};

pub(crate) fn capture_loop(
    source: Option<String>,
    clock: SessionClock,
    shared: &Shared,
    frames: &Mailbox<Frame>,
    notice: &Sender<Option<String>>,
) {
    let mut name = source;
    let mut attempts = 0u32;
    let mut first = true;
    // Whether the last source's thread was still blocked in a read when it was let go.
    let mut stuck = false;
    while !shared.stop.load(Ordering::SeqCst) {
        if let Some(next) = lock(&shared.next_source).take() {
            name = Some(next);
            stuck = false;
        }
        let opened = match &name {
            Some(n) => SourceSpec::video(n).and_then(|spec| open_video(&spec, clock)).map(|s| (s, None)),
            None => open_video_or_scene(None, clock).map(|c| (c.source, c.notice)),
        };
        let (src, note) = match opened {
            Ok(x) => x,
            Err(e) => {
                attempts += 1;
                // A read that never returned still holds the device: it is our own, not another
                // program's, and only the device going away (or a restart) frees it.
                let error = if stuck {
                    format!(
                        "{e} (Augur's last read of it never returned: unplug it and plug it in again, or restart Augur)"
                    )
                } else {
                    e.to_string()
                };
                *lock(&shared.status) = SourceStatus::Retrying { error, attempts };
                if first {
                    let _ = notice.send(None);
                    first = false;
                }
                sleep_unless_stopped(shared, Duration::from_secs(2));
                continue;
            }
        };
        if first {
            let _ = notice.send(note);
            first = false;
        }
        let handle = spawn_video(src);
        lock(&shared.rates).new_source();
        // Frames from before were another source's (or before a reopen): not what came next.
        lock(&shared.arrived).clear();
        *lock(&shared.status) = SourceStatus::Running { description: handle.info().description.clone() };
        *lock(&shared.source_info) = Some(handle.info().clone());
        attempts = 0;
        let stall = stall_limit(handle.info());
        let mut last_frame = Instant::now();
        loop {
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            if lock(&shared.next_source).is_some() {
                break;
            }
            // A camera can stop sending without going away (after a suspend): a read that never
            // returns would otherwise freeze the preview under a "running" status for good.
            if let Some(limit) = stall.filter(|limit| last_frame.elapsed() > *limit) {
                attempts += 1;
                let error = format!(
                    "{} sent no frame for {:.0} s; reopening it (check that it is not covered, unplugged or taken by another program)",
                    handle.info().description,
                    limit.as_secs_f64()
                );
                *lock(&shared.status) = SourceStatus::Retrying { error, attempts };
                break;
            }
            if let Some(f) = handle.wait(Duration::from_millis(50)) {
                last_frame = Instant::now();
                let age = clock.now().saturating_sub(f.pts);
                let paused = shared.paused.load(Ordering::SeqCst);
                lock(&shared.rates).captured(age, handle.stats().skipped, paused);
                record(shared, &f);
                keep_arrived(shared, &f);
                *lock(&shared.preview) = Some(f.clone());
                frames.put(f);
                continue;
            }
            match handle.take_end() {
                None => {}
                Some(augur_capture::StreamEnd::Failed(e)) => {
                    attempts += 1;
                    *lock(&shared.status) = SourceStatus::Retrying { error: e.to_string(), attempts };
                    sleep_unless_stopped(shared, Duration::from_secs(2));
                    break;
                }
                Some(_) => {
                    *lock(&shared.status) = SourceStatus::Ended;
                    while !shared.stop.load(Ordering::SeqCst) && lock(&shared.next_source).is_none() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    break;
                }
            }
        }
        // The same camera in another mode opens only once the old thread has let go of it.
        stuck = !handle.stop(Duration::from_secs(1));
    }
}

/// How long a live source may go without a frame before it is taken for stalled and reopened:
/// 5 s, or ten of its frames for a slow one. Files and recordings are not watched (they pause
/// at their end, and a slow disk is not a stall).
fn stall_limit(info: &augur_capture::SourceInfo) -> Option<Duration> {
    info.live.then(|| Duration::from_secs_f64(if info.fps > 0.0 { (10.0 / info.fps).max(5.0) } else { 5.0 }))
}

/// Hands a frame to the running recording, if any; a failure stops it and keeps what was written.
fn record(shared: &Shared, frame: &Frame) {
    let mut slot = lock(&shared.recording);
    let Some(active) = slot.as_mut() else { return };
    if let Err(why) = active.push(frame) {
        let Some(failed) = slot.take() else { return };
        // The slot stays locked until the finishing thread is listed, so closing the session
        // meanwhile finds one or the other and waits for it.
        *lock(&shared.recording_stopped) = Some(format!("{why}; finishing the episode…"));
        // Finishing writes tables and may remux: not on the capture thread.
        let done = move |kept: String| format!("{why}{kept}");
        let result =
            std::thread::Builder::new().name("augur-record-finish".into()).spawn(move || match failed.finish() {
                Ok(Some(m)) => {
                    let frames = if m.length == 1 { "frame" } else { "frames" };
                    done(format!("; episode {} keeps {} {frames}", m.episode_index, m.length))
                }
                Ok(None) => done("; nothing complete was kept".into()),
                Err(e) => done(format!("; finishing failed ({e}); run `augur dataset repair`")),
            });
        if let Ok(handle) = result {
            // The message is picked up by `recording()` once the thread is done.
            lock(&shared.finishing).push(handle);
        }
        drop(slot);
    }
}

/// Keeps the newest source frames at model size (about 1 ms a frame): what came after the
/// newest moment, shown under its predictions while paused.
fn keep_arrived(shared: &Shared, frame: &Frame) {
    let s = shared.size.load(Ordering::SeqCst);
    let small = augur_model::frames::to_model_input(&frame.rgb, frame.width as usize, frame.height as usize, s);
    let rgb: std::sync::Arc<[u8]> = augur_model::frames::to_rgb8(&small, s).into();
    let mut ring = lock(&shared.arrived);
    ring.push_back((frame.pts, rgb));
    while ring.len() > crate::session::ARRIVED_KEPT {
        ring.pop_front();
    }
}

fn sleep_unless_stopped(shared: &Shared, d: Duration) {
    sleep_unless(&shared.stop, d);
}

/// Sleeps for `d`, or less once `stop` is set; whether it was.
pub(crate) fn sleep_unless(stop: &std::sync::atomic::AtomicBool, d: Duration) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.load(Ordering::SeqCst)
}
