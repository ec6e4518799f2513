//! The pickers through Tauri's mock runtime: the source's own sound, the source picker
//! (cameras, a video file) and the microphone picker.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{app_in, app_with, bytes_of, call, code, json_of, scene_args};
use crate::args::AppArgs;
use crate::state::Session;

/// A source with a sound of its own is heard through it, the picker offers it as `own`, and
/// the sound follows the source while `own` is picked: into silence for a source without one,
/// back to the knocks for a scene with sound.
#[test]
fn the_sound_of_its_own_follows_the_source() {
    let home = tempfile::tempdir().unwrap();
    let source = Some("scene:bounce?size=96x96&fps=15&sound=1".into());
    let (_app, w) = app_with(AppArgs { source, mic: None, home: Some(home.path().to_path_buf()), ..scene_args() });
    let mics = || json_of(call(&w, "microphones", json!({})).unwrap());
    let m = mics();
    assert!(m["own_sound"] == true && m["own_current"] == true, "{m}");
    assert!(m["listening"].as_str().is_some_and(|l| l.contains("scene")), "{m}");
    // The sound panel fills from the knocks.
    let start = Instant::now();
    while bytes_of(call(&w, "sound", json!({})).unwrap()).len() < 16 + 10 * 64 {
        assert!(start.elapsed() < Duration::from_secs(30), "no spectrogram from the scene's sound");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(json_of(call(&w, "set_microphone", json!({"id": "none"})).unwrap()).is_null());
    let m = mics();
    assert!(m["own_sound"] == true && m["own_current"] == false && m["listening"].is_null(), "{m}");
    let back = json_of(call(&w, "set_microphone", json!({"id": "own"})).unwrap());
    assert!(back.as_str().is_some_and(|l| l.contains("scene")), "{back}");
    // A source without a sound of its own: silence, and `own` is refused.
    call(&w, "set_source", json!({"preset": "test-pattern"})).unwrap();
    let m = mics();
    assert!(m["own_sound"] == false && m["listening"].is_null(), "{m}");
    assert_eq!(code(call(&w, "set_microphone", json!({"id": "own"}))), "bad_argument");
    // The scene that knocks: heard again, without picking anything.
    call(&w, "set_source", json!({"preset": "scene-sound"})).unwrap();
    let m = mics();
    assert!(m["own_sound"] == true && m["own_current"] == true, "{m}");
    assert!(m["listening"].as_str().is_some_and(|l| l.contains("scene")), "{m}");
}

/// The source picker offers this machine's cameras and takes no other; a video file the dialog
/// gives is opened first, so one that is not a video is refused at once and the source plays on.
#[test]
fn a_picked_video_file_plays_and_cameras_come_only_from_the_list() {
    use tauri::Manager as _;
    let home = tempfile::tempdir().unwrap();
    let (app, w) = app_in(Some(home.path().to_path_buf()));
    let cameras = json_of(call(&w, "cameras", json!({})).unwrap());
    assert_eq!(cameras.as_array().unwrap().len(), augur_capture::list_cameras().len(), "{cameras}");
    let refused = call(&w, "set_source", json!({"preset": "camera:57"})).unwrap_err();
    assert!(refused.to_string().contains("augur devices"), "{refused}");

    // A clip as the dialog would give it, with a `?` in its name.
    let clip = home.path().join("a clip?.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x72:rate=15:duration=2", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let session = app.state::<Session>();
    let playing = crate::commands::play_file(&session, &clip).unwrap();
    assert!(playing.contains("a clip?.mp4"), "{playing}");
    let name = format!("file:{}?loop=1", augur_capture::escape_path(clip.to_str().unwrap()));
    assert_eq!(session.source_now().as_deref(), Some(name.as_str()));
    let start = Instant::now();
    while !session.source_info().is_some_and(|i| i.description.contains("a clip?.mp4") && i.width == 96) {
        assert!(start.elapsed() < Duration::from_secs(30), "the clip never played: {:?}", session.source_info());
        std::thread::sleep(Duration::from_millis(100));
    }
    // Not a video, or no file: refused with the reason, and the clip plays on.
    let notes = home.path().join("notes.txt");
    std::fs::write(&notes, "not a video").unwrap();
    for (path, why) in [(notes, "notes.txt"), (home.path().join("gone.mp4"), "does not exist")] {
        let err = crate::commands::play_file(&session, &path).err().map(|e| e.message()).unwrap_or_default();
        assert!(err.contains(why), "{}: {err}", path.display());
    }
    assert_eq!(session.source_now().as_deref(), Some(name.as_str()));
    // Nor remembered: the next run starts where the settings say.
    let settings = std::fs::read_to_string(home.path().join("settings.json")).unwrap_or_default();
    assert!(!settings.contains("a clip"), "{settings}");
}

/// The microphone picker: only ids from the list are taken, the swap happens live, it is
/// refused while recording, and the choice comes back next run.
#[test]
fn the_microphone_is_picked_swapped_and_remembered() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app_in(Some(home.path().to_path_buf()));
    let mics = json_of(call(&w, "microphones", json!({})).unwrap());
    assert!(mics["listening"].is_null(), "started with --mic none: {mics}");
    // The webview never names a source: no files, no made-up devices.
    for id in ["audiofile:/etc/passwd", "mic:default", "99999", "../x", ""] {
        assert_eq!(code(call(&w, "set_microphone", json!({"id": id}))), "bad_argument", "{id}");
    }
    assert!(call(&w, "set_microphone", json!({"id": 3})).is_err());
    let Some(first) = mics["microphones"].as_array().and_then(|l| l.first()).cloned() else {
        // The same rule as the capture tests: PulseAudio is what `scripts/services.sh` starts.
        assert!(std::env::var_os("AUGUR_REQUIRE_SERVICES").is_none(), "not skipped under scripts/check.sh");
        eprintln!("skipped the swap: no microphone ({}); run `. scripts/services.sh` first", mics["error"]);
        return;
    };
    let id = first["id"].as_str().unwrap();
    let listening = json_of(call(&w, "set_microphone", json!({"id": id})).unwrap());
    assert!(listening.as_str().unwrap().starts_with("microphone"), "{listening}");
    let mics = json_of(call(&w, "microphones", json!({})).unwrap());
    let current: Vec<&Value> =
        mics["microphones"].as_array().unwrap().iter().filter(|m| m["current"] == true).collect();
    assert_eq!(current.len(), 1, "{mics}");
    assert_eq!(current[0]["id"], id);
    // The sound panel fills from the new microphone (services.sh plays a 440 Hz sine into it).
    let start = Instant::now();
    while bytes_of(call(&w, "sound", json!({})).unwrap()).len() < 16 + 50 * 64 {
        assert!(start.elapsed() < Duration::from_secs(30), "no spectrogram from {id}");
        std::thread::sleep(Duration::from_millis(100));
    }
    json_of(call(&w, "start_recording", json!({"name": "mic", "task": "hum"})).unwrap());
    let refused = call(&w, "set_microphone", json!({"id": "none"})).unwrap_err();
    assert!(refused["message"].as_str().unwrap().contains("stop"), "{refused}");
    call(&w, "stop_recording", json!({"keep": false})).unwrap();
    assert!(json_of(call(&w, "set_microphone", json!({"id": "none"})).unwrap()).is_null());
    assert!(bytes_of(call(&w, "sound", json!({})).unwrap()).is_empty());
    json_of(call(&w, "set_microphone", json!({"id": id})).unwrap());
    drop((_app, w));
    // Next run, no microphone named: the one picked last.
    let (_app, w) = app_with(AppArgs { mic: None, home: Some(home.path().to_path_buf()), ..scene_args() });
    let info = json_of(call(&w, "app_info", json!({})).unwrap());
    assert!(info["sound"].as_str().unwrap().starts_with("microphone"), "{info}");
    let mics = json_of(call(&w, "microphones", json!({})).unwrap());
    assert!(mics["microphones"].as_array().unwrap().iter().any(|m| m["current"] == true && m["id"] == id), "{mics}");
}
