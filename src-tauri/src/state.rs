//! The app's live session: the running sources and what the UI needs to know about them.

use std::sync::Mutex;

use augur_capture::{
    AudioHandle, SessionClock, StreamEnd, VideoHandle, open_audio_or_none, open_video_or_scene, spawn_audio,
    spawn_video,
};

use crate::args::AppArgs;

/// Everything the window shows comes from here.
pub struct Session {
    pub clock: SessionClock,
    pub source_name: String,
    pub notice: Option<String>,
    pub video: VideoHandle,
    pub audio: Option<AudioHandle>,
    /// How the video source ended, once it has (kept so every status poll can show it).
    pub end: Mutex<Option<String>>,
}

impl Session {
    pub fn open(args: &AppArgs) -> Result<Self, augur_capture::CaptureError> {
        let clock = SessionClock::start();
        let chosen = open_video_or_scene(args.source.as_deref(), clock)?;
        if let Some(n) = &chosen.notice {
            println!("{n}");
        }
        let audio = open_audio_or_none(args.mic.as_deref(), clock).map(|a| spawn_audio(a.source));
        Ok(Self {
            clock,
            source_name: chosen.name,
            notice: chosen.notice,
            video: spawn_video(chosen.source),
            audio,
            end: Mutex::new(None),
        })
    }

    /// How the source ended, if it has: `None` while it runs.
    pub fn end_message(&self) -> Option<String> {
        let mut end = self.end.lock().unwrap_or_else(|p| p.into_inner());
        if end.is_none() {
            *end = self.video.take_end().map(|e| match e {
                StreamEnd::Finished => "the source reached its end".to_string(),
                StreamEnd::Stopped => "the source was stopped".to_string(),
                StreamEnd::Failed(err) => err.to_string(),
            });
        }
        end.clone()
    }
}
