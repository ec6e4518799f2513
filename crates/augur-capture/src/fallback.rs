//! Choosing what to show when the user did not say: the first camera, or the built-in scene
//! when there is no camera or it will not open. The app and `augur run` share this so the
//! demo behaves the same everywhere, and the notice says exactly what happened.

use crate::{
    AudioSourceBox, CaptureError, SessionClock, SourceSpec, VideoSourceBox, list_cameras, open_audio, open_video,
};

/// The scene played when there is no camera.
pub const FALLBACK_SCENE: &str = "scene:bounce?size=640x480&fps=30";

/// A source that was opened, with its name and what the user should be told about the choice.
pub struct Chosen<S> {
    /// The source name, in the URI syntax.
    pub name: String,
    /// The opened source.
    pub source: S,
    /// Why this source and not the one expected (no camera, camera failed), if that happened.
    pub notice: Option<String>,
}

/// Opens `given`, or the default camera, falling back to [`FALLBACK_SCENE`].
///
/// An explicitly named source that fails is an error (the user asked for it); only the
/// implicit default falls back.
pub fn open_video_or_scene(given: Option<&str>, clock: SessionClock) -> Result<Chosen<VideoSourceBox>, CaptureError> {
    if let Some(name) = given {
        let source = open_video(&SourceSpec::video(name)?, clock)?;
        return Ok(Chosen { name: name.to_string(), source, notice: None });
    }
    let notice = match list_cameras().first() {
        Some(cam) => {
            let name = format!("camera:{}", cam.index);
            match SourceSpec::video(&name).and_then(|s| open_video(&s, clock)) {
                Ok(source) => return Ok(Chosen { name, source, notice: None }),
                Err(e) => format!("The camera could not be opened ({e}); playing the built-in physics scene instead."),
            }
        }
        None => "No camera found; playing the built-in physics scene instead.".to_string(),
    };
    let source = open_video(&SourceSpec::video(FALLBACK_SCENE)?, clock)?;
    Ok(Chosen { name: FALLBACK_SCENE.to_string(), source, notice: Some(notice) })
}

/// What to hear when no sound is named and the source is `video`: a scene with sound is heard
/// through its own sound (the same name, `scene:bounce?sound=1`), a file or recorded episode
/// with a sound track through that track (`audiofile:…`, looping and paced as the pictures,
/// both starting when the session opens them); `None` for anything else.
pub fn own_sound(video: Option<&str>) -> Option<String> {
    let name = video?;
    match SourceSpec::video(name) {
        Ok(crate::VideoSpec::Scene(cfg)) if cfg.sound => Some(name.to_string()),
        // A file that cannot be opened has no sound to offer; opening the pictures says why.
        Ok(crate::VideoSpec::File(file)) if crate::has_sound(&file.path).unwrap_or(false) => {
            let looping = if file.looping { "?loop=1" } else { "" };
            let pace = match (file.pacing, file.looping) {
                (crate::Pacing::Fast, true) => "&pace=fast",
                (crate::Pacing::Fast, false) => "?pace=fast",
                _ => "",
            };
            Some(format!("audiofile:{}{looping}{pace}", crate::escape_path(&file.path)))
        }
        _ => None,
    }
}

/// The sound a session hears, by name: `given` when the user named one (`none`: no sound; a
/// bare device name means that microphone, `mic:NAME`), else the source's [`own_sound`], else
/// `otherwise()` (the default microphone for `augur run`, the remembered one for the app).
pub fn heard_sound(
    given: Option<&str>,
    video: Option<&str>,
    otherwise: impl FnOnce() -> Option<String>,
) -> Option<String> {
    match given {
        Some("none") => None,
        Some(m) if m.contains(':') => Some(m.to_string()),
        Some(m) => Some(format!("mic:{m}")),
        None => own_sound(video).or_else(otherwise),
    }
}

/// Opens `given` (`none` for no sound) or the default microphone. A missing microphone is not
/// an error: the session runs without sound and the notice says why.
pub fn open_audio_or_none(given: Option<&str>, clock: SessionClock) -> Option<Chosen<AudioSourceBox>> {
    let name = match given {
        Some("none") => return None,
        Some(n) => n.to_string(),
        None => "mic:default".to_string(),
    };
    match SourceSpec::audio(&name).and_then(|s| open_audio(&s, clock)) {
        Ok(source) => Some(Chosen { name, source, notice: None }),
        Err(e) => {
            // Reported through the caller's log; no sound is a valid session.
            eprintln!("No sound: {e}. Continuing without a microphone.");
            None
        }
    }
}
