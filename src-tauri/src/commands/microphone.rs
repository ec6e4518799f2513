//! The microphone picker and the sound panel. The webview picks a microphone by the id this
//! list gave it (`default`, a device index, `own` for the source's own sound, or `none`), never
//! by a source name: an `audiofile:` name would let it read files.

use serde::Serialize;
use tauri::State;
use tauri::ipc::Response;

use super::{CommandError, answered, bad};
use crate::state::{Live, OWN_SOUND, Session};

#[derive(Serialize)]
pub struct MicrophoneRow {
    /// What to pass to [`set_microphone`].
    id: String,
    name: String,
    /// The system's default input.
    is_default: bool,
    /// Sample rate, channels and format it opens with.
    config: String,
    /// The one listened to now.
    current: bool,
}

#[derive(Serialize)]
pub struct Microphones {
    microphones: Vec<MicrophoneRow>,
    /// Why there is no list (no audio host), for the picker's tooltip.
    error: Option<String>,
    /// What the session listens to now, `None` for nothing.
    listening: Option<String>,
    /// Whether the source playing has a sound of its own (a file's track, a scene's knocks)
    /// that [`set_microphone`] takes as `own`.
    own_sound: bool,
    /// Whether that is what is listened to.
    own_current: bool,
}

/// The microphones the picker offers.
#[tauri::command(async)]
pub fn microphones(session: State<'_, Session>) -> Result<Microphones, CommandError> {
    answered(|| Ok(microphone_rows(&session)))
}

/// The picker's rows and what is listened to now.
fn microphone_rows(session: &Session) -> Microphones {
    let current = session.mic_id();
    let listening = match &session.live {
        Live::Model(s) => s.sound().map(|v| v.description),
        Live::Source(_) => None,
    };
    let (microphones, error) = match augur_capture::list_microphones() {
        Ok(list) => (
            list.into_iter()
                .map(|m| MicrophoneRow {
                    // `default` is the row of that id, or the device the host marks default.
                    current: listening.is_some()
                        && (current.as_deref() == Some(m.id.as_str())
                            || (current.as_deref() == Some("default") && m.is_default)),
                    id: m.id,
                    name: m.name,
                    is_default: m.is_default,
                    config: m.default_config,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let own_sound = augur_capture::own_sound(session.source_now().as_deref()).is_some();
    let own_current = listening.is_some() && current.as_deref() == Some(OWN_SOUND);
    Microphones { microphones, error, listening, own_sound, own_current }
}

/// Listens to the microphone with `id` from [`microphones`], or to none (`"none"`), without
/// stopping the session; answers what is listened to now. Refused while recording.
#[tauri::command(async)]
pub fn set_microphone(session: State<'_, Session>, id: String) -> Result<Option<String>, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded, so nothing listens")) };
        if id == OWN_SOUND {
            let Some(own) = augur_capture::own_sound(session.source_now().as_deref()) else {
                return Err(bad("the source playing has no sound of its own; pick a microphone"));
            };
            let listening = s.set_microphone(Some(&own)).map_err(|e| CommandError::new("microphone", e))?;
            // Not remembered: a source with a sound of its own is heard through it at every start.
            session.set_mic_id(Some(OWN_SOUND.into()));
            return Ok(listening);
        }
        let name = if id == "none" {
            None
        } else {
            let list = augur_capture::list_microphones().map_err(|e| CommandError::new("microphone", e))?;
            let Some(found) = list.into_iter().find(|m| m.id == id) else {
                return Err(bad(format!(
                    "{id:?} is not one of the microphones in the picker (it may have been unplugged)"
                )));
            };
            Some(found)
        };
        let listening = s
            .set_microphone(name.as_ref().map(|m| format!("mic:{}", m.id)).as_deref())
            .map_err(|e| CommandError::new("microphone", e))?;
        session.set_mic_id(name.as_ref().map(|m| m.id.clone()));
        // Remembered by name (indexes move as devices come and go); the default as "default".
        let remembered = match name {
            None => "none".into(),
            Some(m) if m.id == "default" => "default".into(),
            Some(m) => m.name,
        };
        session.remember(|set| set.mic = Some(remembered));
        Ok(listening)
    })
}

/// The microphone panel as bytes: a 16-byte header (columns u32, mel bands u32, level in dBFS
/// as f32, 0) then one byte per band per column (0 quiet … 255 loud), oldest column first.
/// Empty without sound.
#[tauri::command]
pub fn sound(session: State<'_, Session>) -> Response {
    let Live::Model(s) = &session.live else { return Response::new(Vec::new()) };
    let Some(view) = s.sound() else { return Response::new(Vec::new()) };
    let mels = view.columns.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(16 + view.columns.len() * mels);
    out.extend_from_slice(&(view.columns.len() as u32).to_le_bytes());
    out.extend_from_slice(&(mels as u32).to_le_bytes());
    out.extend_from_slice(&view.level_dbfs.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for c in &view.columns {
        out.extend_from_slice(c);
    }
    Response::new(out)
}
