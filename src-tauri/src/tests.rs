//! Every command through Tauri's mock runtime (no window), with a real session on the scene and
//! the bundled model: good arguments answer, bad ones get a `bad_argument` error, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

use crate::args::AppArgs;
use crate::state::Session;

fn app() -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
    let args = AppArgs {
        source: Some("scene:bounce?size=96x96&fps=15".into()),
        mic: Some("none".into()),
        model: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64").into()),
        device: Some("cpu".into()),
        seconds: None,
    };
    let session = Session::open(&args).unwrap();
    // The real context, so the capabilities (the ACL) the app ships with are what is tested.
    let app = crate::with_commands(mock_builder(), session).build(tauri::generate_context!()).unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, window)
}

/// The app's own origin (Windows serves it over http).
const LOCAL: &str = if cfg!(windows) { "http://tauri.localhost" } else { "tauri://localhost" };

fn call(w: &tauri::WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<InvokeResponseBody, Value> {
    call_from(w, LOCAL, cmd, args)
}

fn call_from(
    w: &tauri::WebviewWindow<MockRuntime>,
    origin: &str,
    cmd: &str,
    args: Value,
) -> Result<InvokeResponseBody, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
}

fn json_of(r: InvokeResponseBody) -> Value {
    match r {
        InvokeResponseBody::Json(s) => serde_json::from_str(&s).unwrap(),
        InvokeResponseBody::Raw(b) => panic!("expected JSON, got {} raw bytes", b.len()),
    }
}

fn bytes_of(r: InvokeResponseBody) -> Vec<u8> {
    match r {
        InvokeResponseBody::Raw(b) => b,
        InvokeResponseBody::Json(s) => panic!("expected bytes, got {s}"),
    }
}

fn code(r: Result<InvokeResponseBody, Value>) -> String {
    match r {
        Ok(_) => panic!("the command should refuse"),
        Err(err) => err["code"].as_str().unwrap_or_default().to_string(),
    }
}

#[test]
fn every_command_answers_and_refuses_bad_arguments() {
    let (_app, w) = app();
    let info = json_of(call(&w, "app_info", json!({})).unwrap());
    assert_eq!(info["name"], "Augur");
    assert!(info["model"].as_str().unwrap().contains("bounce-64"));

    // Wait for predictions, then look at frames, strips and state.
    let start = Instant::now();
    while json_of(call(&w, "timeline_span", json!({})).unwrap()).is_null() {
        assert!(start.elapsed() < Duration::from_secs(60), "no prediction within a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let frame = bytes_of(call(&w, "latest_frame", json!({})).unwrap());
    assert_eq!(frame.len(), 16 + 96 * 96 * 4, "header + RGBA");
    let strip = bytes_of(call(&w, "prediction", json!({"index": null})).unwrap());
    // On the CPU the live horizon is 4 unless asked for: input, heatmap and 4 predicted frames.
    assert_eq!(strip.len(), 16 + 6 * 64 * 64 * 4);
    assert_eq!(json_of(call(&w, "model_state", json!({})).unwrap())["horizon"], 4);
    let state = json_of(call(&w, "model_state", json!({})).unwrap());
    assert!(state["stats"]["prediction_hz"].as_f64().unwrap() >= 0.0);
    assert!(!state["trail"].as_array().unwrap().is_empty());
    let status = json_of(call(&w, "source_status", json!({})).unwrap());
    assert!(status["frames"].as_u64().unwrap() > 0);

    // Pause, scrub, what-if.
    call(&w, "set_paused", json!({"paused": true})).unwrap();
    let span = json_of(call(&w, "timeline_span", json!({})).unwrap());
    let (first, last) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
    assert_eq!(bytes_of(call(&w, "prediction", json!({"index": first})).unwrap()).len(), strip.len());
    assert!(bytes_of(call(&w, "prediction", json!({"index": last + 1000})).unwrap()).is_empty());
    let rolled = bytes_of(call(&w, "what_if", json!({"at": last, "horizon": 4, "context": 8})).unwrap());
    assert_eq!(rolled.len(), 16 + 6 * 64 * 64 * 4);
    let still = bytes_of(call(&w, "steer", json!({"at": last, "pc1": 0.0, "pc2": 0.0})).unwrap());
    let moved = bytes_of(call(&w, "steer", json!({"at": last, "pc1": 5.0, "pc2": -3.0})).unwrap());
    assert_eq!(still.len(), 16 + 64 * 64 * 4);
    assert_ne!(still, moved, "steering changes what the model imagines");
    assert_eq!(code(call(&w, "steer", json!({"at": last, "pc1": 1e9, "pc2": 0.0}))), "bad_argument");
    call(&w, "set_horizon", json!({"horizon": 4})).unwrap();
    call(&w, "set_paused", json!({"paused": false})).unwrap();

    // Bad arguments: out of range, wrong types, missing, unknown moments.
    assert_eq!(code(call(&w, "set_horizon", json!({"horizon": 0}))), "bad_argument");
    assert_eq!(code(call(&w, "set_horizon", json!({"horizon": 33}))), "bad_argument");
    assert_eq!(code(call(&w, "what_if", json!({"at": last, "horizon": 99, "context": 8}))), "bad_argument");
    assert_eq!(code(call(&w, "what_if", json!({"at": u64::MAX, "horizon": 4, "context": 8}))), "bad_argument");
    assert_eq!(code(call(&w, "export_recent", json!({"seconds": -1.0}))), "bad_argument");
    assert_eq!(code(call(&w, "export_recent", json!({"seconds": 1e9}))), "bad_argument");
    assert_eq!(code(call(&w, "smoke_report", json!({"framesDrawn": 1, "distinctColours": u32::MAX}))), "bad_argument");
    // Arguments of the wrong type or missing never reach the command.
    assert!(call(&w, "set_horizon", json!({"horizon": "eight"})).is_err());
    assert!(call(&w, "set_paused", json!({})).is_err());
    assert!(call(&w, "what_if", json!({"at": -1, "horizon": 4, "context": 8})).is_err());
    assert!(call(&w, "no_such_command", json!({})).is_err());
    // Switching: sources the window may name, models by name only.
    call(&w, "set_source", json!({"preset": "scene-vanish"})).unwrap();
    // Only presets: no file, no lavfi graph that reads files, no camera driver that grabs the screen.
    for name in ["file:/etc/passwd", "lavfi:movie=/etc/passwd", "camera:0?driver=x11grab", "scene:bounce"] {
        assert_eq!(code(call(&w, "set_source", json!({"preset": name}))), "bad_argument", "{name}");
    }
    let models = json_of(call(&w, "list_models", json!({})).unwrap());
    assert!(models.as_array().unwrap().iter().any(|m| m == "bounce-64"), "{models}");
    assert_eq!(code(call(&w, "set_model", json!({"name": "../../etc/passwd"}))), "bad_argument");

    // Recording: names, not paths; a task is required; stopping with nothing running refuses.
    assert_eq!(code(call(&w, "start_recording", json!({"name": "../x", "task": "t"}))), "bad_argument");
    assert_eq!(code(call(&w, "start_recording", json!({"name": "ok", "task": " "}))), "bad_argument");
    assert_eq!(code(call(&w, "stop_recording", json!({"keep": true}))), "record");
    assert_eq!(json_of(call(&w, "recording_status", json!({})).unwrap())["active"], false);

    // The dataset browser lists what is under ~/Augur/datasets; playing needs a known episode.
    assert!(json_of(call(&w, "list_datasets", json!({})).unwrap()).is_array());
    assert_eq!(code(call(&w, "play_episode", json!({"name": "/etc", "episode": 0}))), "bad_argument");
    assert_eq!(code(call(&w, "play_episode", json!({"name": "no-such-dataset", "episode": 0}))), "bad_argument");

    // No microphone in this session: the sound panel is empty, not an error.
    assert!(bytes_of(call(&w, "sound", json!({})).unwrap()).is_empty());

    // A page from anywhere else cannot call the app's commands at all.
    assert!(call_from(&w, "https://example.com/", "app_info", json!({})).is_err());
}
