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

mod pickers;

type Window = tauri::WebviewWindow<MockRuntime>;

/// The app on a small scene with the bundled model, its settings, datasets, fine-tunes and
/// exports under `home`.
fn app_in(home: Option<std::path::PathBuf>) -> (tauri::App<MockRuntime>, Window) {
    app_with(AppArgs { home, ..scene_args() })
}

/// The arguments of [`app_in`].
fn scene_args() -> AppArgs {
    AppArgs {
        source: Some("scene:bounce?size=96x96&fps=15".into()),
        model: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64").into()),
        ..bare_args()
    }
}

/// No source or model named: what the settings say, or the defaults.
fn bare_args() -> AppArgs {
    AppArgs { mic: Some("none".into()), device: Some("cpu".into()), ..Default::default() }
}

fn app_with(args: AppArgs) -> (tauri::App<MockRuntime>, Window) {
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

/// The fine-tune's status once it has ended; fails with `what` past `limit` from `start`.
fn training_ended(w: &Window, start: Instant, limit: Duration, what: &str) -> Value {
    loop {
        let s = json_of(call(w, "training_status", json!({})).unwrap());
        if s["running"] == false {
            return s;
        }
        assert!(start.elapsed() < limit, "{what}");
        std::thread::sleep(Duration::from_millis(50));
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
    let home = tempfile::tempdir().unwrap();
    let (app, w) = app_in(Some(home.path().to_path_buf()));
    let info = json_of(call(&w, "app_info", json!({})).unwrap());
    assert_eq!(info["name"], "Augur");
    let about = json_of(call(&w, "about", json!({})).unwrap());
    assert_eq!((about["name"].as_str(), about["version"].as_str()), (Some("Augur"), Some(env!("CARGO_PKG_VERSION"))));
    assert!(about["model"].as_str().unwrap().starts_with("bounce-64: "), "{about}");
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
    std::thread::sleep(Duration::from_millis(150));
    let small = bytes_of(call(&w, "latest_frame", json!({"fit": [40, 48]})).unwrap());
    assert_eq!(small.len(), 16 + 48 * 48 * 4, "a frame twice the canvas is sent at half size");
    assert_eq!(code(call(&w, "latest_frame", json!({"fit": [0, 60]}))), "bad_argument");
    let strip = bytes_of(call(&w, "prediction", json!({"index": null})).unwrap());
    // On the CPU the live horizon is 4 unless asked for: input, heatmap and 4 predicted frames.
    assert_eq!(strip.len(), 16 + 6 * 64 * 64 * 4);
    assert_eq!(json_of(call(&w, "model_state", json!({})).unwrap())["horizon"], 4);
    let state = json_of(call(&w, "model_state", json!({})).unwrap());
    let hz = state["stats"]["prediction_hz"].as_f64().unwrap();
    assert!(hz > 0.0 && hz < 1000.0, "predictions were made, at {hz} Hz");
    assert!(!state["trail"].as_array().unwrap().is_empty());
    // The bundled model fades: the share each of the 4 steps kept, all in [0, 1].
    let kept = state["kept"].as_array().unwrap();
    assert!(kept.len() == 4 && kept.iter().all(|k| (0.0..=1.0).contains(&k.as_f64().unwrap())), "{state}");
    let status = json_of(call(&w, "source_status", json!({})).unwrap());
    assert!(status["frames"].as_u64().unwrap() > 0);

    // Pause, scrub, what-if.
    call(&w, "set_paused", json!({"paused": true})).unwrap();
    let span = json_of(call(&w, "timeline_span", json!({})).unwrap());
    let (first, last) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
    assert_eq!(bytes_of(call(&w, "prediction", json!({"index": first})).unwrap()).len(), strip.len());
    assert!(bytes_of(call(&w, "prediction", json!({"index": last + 1000})).unwrap()).is_empty());
    // Asked with the moment the page shows: nothing while that is the newest, the newest strip
    // otherwise (a moment that is not the newest, or one from before a restart).
    assert!(bytes_of(call(&w, "prediction", json!({"index": null, "shown": last})).unwrap()).is_empty());
    for shown in [last.wrapping_sub(1), last + 5] {
        let newest = bytes_of(call(&w, "prediction", json!({"index": null, "shown": shown})).unwrap());
        assert_eq!(u64::from_le_bytes(newest[8..16].try_into().unwrap()), last, "shown {shown}");
    }
    let came = bytes_of(call(&w, "arrived", json!({"index": first})).unwrap());
    assert_eq!(came.len(), strip.len(), "what came lines up under the prediction strip");
    let tile = |b: &[u8], k: usize| -> Vec<u8> {
        (0..64).flat_map(|y| b[16 + (y * 6 * 64 + k * 64) * 4..16 + (y * 6 * 64 + (k + 1) * 64) * 4].to_vec()).collect()
    };
    assert!(tile(&came, 2).chunks(4).any(|p| p[..3] != [0, 0, 0]), "the frame after the moment is there");
    assert_eq!(code(call(&w, "arrived", json!({"index": last + 1000}))), "bad_argument");
    let rolled = bytes_of(call(&w, "what_if", json!({"at": last, "horizon": 4, "context": 8})).unwrap());
    assert_eq!(rolled.len(), 16 + 6 * 64 * 64 * 4);
    let still = bytes_of(call(&w, "steer", json!({"at": last, "pc1": 0.0, "pc2": 0.0})).unwrap());
    let moved = bytes_of(call(&w, "steer", json!({"at": last, "pc1": 5.0, "pc2": -3.0})).unwrap());
    assert_eq!(still.len(), 16 + 64 * 64 * 4);
    assert_ne!(still, moved, "steering changes what the model imagines");
    assert_eq!(code(call(&w, "steer", json!({"at": last, "pc1": 1e9, "pc2": 0.0}))), "bad_argument");
    call(&w, "set_horizon", json!({"horizon": 4})).unwrap();
    call(&w, "set_context", json!({"context": 4})).unwrap();
    call(&w, "set_stride", json!({"stride": 2})).unwrap();
    let state = json_of(call(&w, "model_state", json!({})).unwrap());
    assert_eq!(
        (state["context"].as_u64(), state["model_context"].as_u64(), state["stride"].as_u64()),
        (Some(4), Some(8), Some(2))
    );
    assert_eq!(code(call(&w, "set_context", json!({"context": 9}))), "bad_argument", "longer than the model's");
    assert_eq!(code(call(&w, "set_context", json!({"context": 0}))), "bad_argument");
    assert_eq!(code(call(&w, "set_stride", json!({"stride": 9}))), "bad_argument");
    call(&w, "set_context", json!({"context": 8})).unwrap();
    call(&w, "set_stride", json!({"stride": 1})).unwrap();
    // Paused all this while (what-ifs and steering included): no moment was added.
    assert_eq!(json_of(call(&w, "timeline_span", json!({})).unwrap()), span, "the timeline moved while paused");
    call(&w, "set_paused", json!({"paused": false})).unwrap();
    let start = Instant::now();
    while json_of(call(&w, "timeline_span", json!({})).unwrap())[1].as_u64().unwrap() <= last {
        assert!(start.elapsed() < Duration::from_secs(30), "no new moment after playing again");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Bad arguments: out of range, wrong types, missing, unknown moments.
    assert_eq!(code(call(&w, "set_horizon", json!({"horizon": 0}))), "bad_argument");
    assert_eq!(code(call(&w, "set_horizon", json!({"horizon": 33}))), "bad_argument");
    assert_eq!(code(call(&w, "what_if", json!({"at": last, "horizon": 99, "context": 8}))), "bad_argument");
    assert_eq!(code(call(&w, "what_if", json!({"at": u64::MAX, "horizon": 4, "context": 8}))), "bad_argument");
    assert_eq!(code(call(&w, "export_recent", json!({"seconds": -1.0}))), "bad_argument");
    assert_eq!(code(call(&w, "export_recent", json!({"seconds": 1e9}))), "bad_argument");
    // A real export: every file, and the dashboard video's progress as events.
    let frames = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = frames.clone();
    tauri::Listener::listen(&app, "export-progress", move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let exported = json_of(call(&w, "export_recent", json!({"seconds": 2.0})).unwrap());
    let files: Vec<&str> = exported["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(
        files,
        ["side-by-side.mp4", "snapshot.png", "metrics.csv", "dashboard.png", "dashboard.mp4"],
        "{exported}"
    );
    assert!(exported["dir"].as_str().unwrap().starts_with(home.path().to_str().unwrap()), "{exported}");
    let moments = exported["moments"].as_u64().unwrap() as usize;
    assert_eq!(frames.load(std::sync::atomic::Ordering::SeqCst), moments, "one progress event per video frame");
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
    assert!(models.as_array().unwrap().iter().any(|m| m["name"] == "bounce-64" && m["current"] == true), "{models}");
    assert_eq!(code(call(&w, "set_model", json!({"name": "../../etc/passwd"}))), "bad_argument");

    // Fine-tuning: names, not paths; a known dataset; a sane number of steps.
    assert!(json_of(call(&w, "training_status", json!({})).unwrap()).is_null());
    assert_eq!(code(call(&w, "cancel_training", json!({}))), "bad_argument");
    // Each refused for its own reason (the dataset "ok" does not exist either, so the code
    // alone would not tell which check refused).
    let refusals = [
        (json!({"dataset": "/etc", "name": "m", "steps": 10}), "a dataset name is 1 to 64"),
        (json!({"dataset": "ok", "name": "../m", "steps": 10}), "a model name is 1 to 64"),
        (json!({"dataset": "ok", "name": "m", "steps": 0}), "steps must be 1 to 5000"),
        (json!({"dataset": "ok", "name": "m", "steps": 999_999}), "steps must be 1 to 5000"),
        (json!({"dataset": "ok", "name": "m", "steps": 10, "lr": 0.0}), "learning rate must be"),
        (json!({"dataset": "ok", "name": "m", "steps": 10, "lr": -1.0}), "learning rate must be"),
        (json!({"dataset": "ok", "name": "m", "steps": 10, "lr": 5.0}), "learning rate must be"),
        (json!({"dataset": "x", "name": "bounce-64", "steps": 1}), "a model named bounce-64 exists"),
        (json!({"dataset": "no-such-dataset", "name": "m", "steps": 10}), "no-such-dataset"),
    ];
    for (args, why) in refusals {
        let Err(err) = call(&w, "start_training", args.clone()) else { panic!("{args} was taken") };
        assert_eq!(err["code"], "bad_argument", "{args}: {err}");
        assert!(err["message"].as_str().unwrap_or_default().contains(why), "{args}: {err}");
    }

    // Recording: names, not paths; a task is required; stopping with nothing running refuses.
    assert_eq!(code(call(&w, "start_recording", json!({"name": "../x", "task": "t"}))), "bad_argument");
    assert_eq!(code(call(&w, "start_recording", json!({"name": "ok", "task": " "}))), "bad_argument");
    assert_eq!(code(call(&w, "stop_recording", json!({"keep": true}))), "record");
    assert_eq!(json_of(call(&w, "recording_status", json!({})).unwrap())["active"], false);

    // The dataset browser lists what is under ~/Augur/datasets; playing needs a known episode.
    assert!(json_of(call(&w, "list_datasets", json!({})).unwrap()).is_array());
    assert_eq!(code(call(&w, "play_episode", json!({"name": "/etc", "episode": 0}))), "bad_argument");
    assert_eq!(code(call(&w, "play_episode", json!({"name": "no-such-dataset", "episode": 0}))), "bad_argument");
    for cmd in ["episode_thumbnail", "episode_surprise"] {
        assert_eq!(code(call(&w, cmd, json!({"name": "../x", "episode": 0}))), "bad_argument", "{cmd}");
        assert!(call(&w, cmd, json!({"name": "x", "episode": -1})).is_err(), "{cmd}");
    }

    // A/B compare: a model from the picker by name, or null to stop.
    assert!(bytes_of(call(&w, "compare_prediction", json!({"index": null})).unwrap()).is_empty());
    assert_eq!(code(call(&w, "set_compare", json!({"name": "/etc/passwd"}))), "bad_argument");
    assert_eq!(json_of(call(&w, "set_compare", json!({"name": "bounce-64"})).unwrap()), "bounce-64");
    let start = Instant::now();
    let compared = loop {
        let b = bytes_of(call(&w, "compare_prediction", json!({"index": null})).unwrap());
        if !b.is_empty() {
            break b;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no compared prediction within a minute");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(compared.len(), strip.len(), "the same model gives a strip of the same size");
    let state = json_of(call(&w, "model_state", json!({})).unwrap());
    assert!(state["compare"].as_str().unwrap().ends_with("bounce-64"), "{state}");
    let both = state["compare_surprise"].as_array().unwrap();
    assert_eq!(both.len(), state["surprise"].as_array().unwrap().len(), "the two traces line up");
    assert!(json_of(call(&w, "set_compare", json!({"name": null})).unwrap()).is_null());

    // The Scope view: the dashboard composited by egui, and the pointer forwarded to it.
    let scope = bytes_of(call(&w, "scope_frame", json!({"width": 760, "height": 330})).unwrap());
    assert_eq!(scope.len(), 16 + 760 * 330 * 4);
    let events =
        json!([{"kind": "move", "x": 100.0, "y": 200.0}, {"kind": "wheel", "x": 100.0, "y": 200.0, "dy": 40.0}]);
    call(&w, "scope_input", json!({"events": events})).unwrap();
    assert_eq!(bytes_of(call(&w, "scope_frame", json!({"width": 760, "height": 330})).unwrap()).len(), scope.len());
    assert_eq!(code(call(&w, "scope_frame", json!({"width": 10, "height": 330}))), "bad_argument");
    assert_eq!(code(call(&w, "scope_frame", json!({"width": 760, "height": 99_999}))), "bad_argument");
    let far = json!([{"kind": "move", "x": 1e9, "y": 0.0}]);
    assert_eq!(code(call(&w, "scope_input", json!({"events": far}))), "bad_argument");
    let nan_wheel = json!([{"kind": "wheel", "x": 1.0, "y": 1.0, "dy": 1e9}]);
    assert_eq!(code(call(&w, "scope_input", json!({"events": nan_wheel}))), "bad_argument");
    let many: Vec<Value> = (0..65).map(|_| json!({"kind": "leave"})).collect();
    assert_eq!(code(call(&w, "scope_input", json!({"events": many}))), "bad_argument");
    assert!(call(&w, "scope_input", json!({"events": [{"kind": "teleport"}]})).is_err());

    // No microphone in this session: the sound panel is empty, not an error.
    assert!(bytes_of(call(&w, "sound", json!({})).unwrap()).is_empty());

    // A page from anywhere else cannot call the app's commands at all.
    assert!(call_from(&w, "https://example.com/", "app_info", json!({})).is_err());
}

/// Journey 3 in the window: record an episode, browse it (thumbnail, surprise curve), replay it
/// as the live source, fine-tune the model on it, and switch to the fine-tuned model.
#[test]
fn a_recording_is_browsed_replayed_and_fine_tuned_from_the_window() {
    let home = tempfile::tempdir().unwrap();
    let (_app, w) = app_in(Some(home.path().to_path_buf()));
    let start = Instant::now();
    while json_of(call(&w, "source_status", json!({})).unwrap())["frames"].as_u64().unwrap_or(0) == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "the source never delivered");
        std::thread::sleep(Duration::from_millis(100));
    }
    json_of(call(&w, "start_recording", json!({"name": "demo", "task": "watch the balls"})).unwrap());
    let start = Instant::now();
    while json_of(call(&w, "recording_status", json!({})).unwrap())["frames"].as_u64().unwrap() < 45 {
        assert!(start.elapsed() < Duration::from_secs(60), "no frames recorded");
        std::thread::sleep(Duration::from_millis(100));
    }
    let stopped = json_of(call(&w, "stop_recording", json!({"keep": true})).unwrap());
    let frames = stopped["frames"].as_u64().unwrap();
    assert!(frames >= 45, "{stopped}");

    let datasets = json_of(call(&w, "list_datasets", json!({})).unwrap());
    let demo = &datasets[0];
    assert_eq!(demo["name"], "demo", "{datasets}");
    assert_eq!(demo["episodes"][0]["frames"].as_u64().unwrap(), frames);
    assert_eq!(demo["episodes"][0]["task"], "watch the balls");

    let thumb = bytes_of(call(&w, "episode_thumbnail", json!({"name": "demo", "episode": 0})).unwrap());
    let (tw, th) =
        (u32::from_le_bytes(thumb[0..4].try_into().unwrap()), u32::from_le_bytes(thumb[4..8].try_into().unwrap()));
    assert_eq!((tw, th), (96, 96), "the source is 96x96, smaller than a thumbnail");
    assert_eq!(thumb.len(), 16 + 96 * 96 * 4);
    assert!(thumb[16..].chunks(4).any(|p| p[..3] != thumb[16..19]), "the thumbnail is a picture, not a fill");
    let curve = json_of(call(&w, "episode_surprise", json!({"name": "demo", "episode": 0})).unwrap());
    let values = curve["values"].as_array().unwrap();
    let first = curve["first_frame"].as_u64().unwrap();
    assert_eq!(values.len() as u64, frames - first, "one value per frame after the context: {curve}");
    assert!(values.iter().all(|v| v.as_f64().is_some_and(|v| v.is_finite() && v >= 0.0)), "{curve}");
    assert_eq!(code(call(&w, "episode_thumbnail", json!({"name": "demo", "episode": 7}))), "bad_argument");

    call(&w, "play_episode", json!({"name": "demo", "episode": 0})).unwrap();

    let args = json!({"dataset": "demo", "name": "mine", "steps": 2, "lr": 0.0001});
    let started = json_of(call(&w, "start_training", args).unwrap());
    assert_eq!(started["steps"], 2);
    let args = json!({"dataset": "demo", "name": "other", "steps": 2});
    let busy = call(&w, "start_training", args);
    let start = Instant::now();
    let status = training_ended(&w, start, Duration::from_secs(300), "fine-tuning 2 steps took over 5 minutes");
    assert!(status["error"].is_null(), "{status}");
    assert_eq!(status["step"], 2);
    assert_eq!(status["losses"].as_array().unwrap().len(), 2);
    if let Ok(b) = busy {
        panic!("a second fine-tune while one runs should be refused, got {b:?}");
    }
    let models = json_of(call(&w, "list_models", json!({})).unwrap());
    let mine = models.as_array().unwrap().iter().find(|m| m["name"] == "mine").expect("the fine-tune is in the picker");
    assert_eq!(mine["steps"], 2);
    assert!(mine["fine_tuned_from"].as_str().unwrap().ends_with("bounce-64"), "{mine}");
    assert!(mine["data"][0].as_str().unwrap().contains("datasets/demo"), "{mine}");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.path().join("models/mine/model.json")).unwrap()).unwrap();
    assert_eq!(card["training"]["config"]["learning_rate"], 0.0001, "the rate asked for");
    assert_eq!(json_of(call(&w, "set_model", json!({"name": "mine"})).unwrap()), "mine");
    assert!(home.path().join("models/mine/loss.png").exists(), "the loss curve is written beside the model");

    // Cancelled after its first step: it stops there, says so, and what it trained is a model
    // in the picker (a checkpoint is written on the way out).
    call(&w, "start_training", json!({"dataset": "demo", "name": "cut", "steps": 500})).unwrap();
    let start = Instant::now();
    while json_of(call(&w, "training_status", json!({})).unwrap())["step"].as_u64().unwrap_or(0) < 1 {
        assert!(start.elapsed() < Duration::from_secs(120), "the first step never came");
        std::thread::sleep(Duration::from_millis(50));
    }
    call(&w, "cancel_training", json!({})).unwrap();
    let status = training_ended(&w, start, Duration::from_secs(120), "the cancelled fine-tune never ended");
    assert_eq!(status["cancelled"], true, "{status}");
    assert!(status["error"].is_null(), "{status}");
    let step = status["step"].as_u64().unwrap();
    assert!((1..500).contains(&step), "{status}");
    let models = json_of(call(&w, "list_models", json!({})).unwrap());
    let cut = models.as_array().unwrap().iter().find(|m| m["name"] == "cut").expect("the cancelled fine-tune is kept");
    assert_eq!(cut["steps"].as_u64(), Some(step), "{cut}");
    assert_eq!(json_of(call(&w, "set_model", json!({"name": "cut"})).unwrap()), "cut");

    // A dataset too short to train on: the fine-tune fails and its status says why.
    json_of(call(&w, "start_recording", json!({"name": "short", "task": "blink"})).unwrap());
    while json_of(call(&w, "recording_status", json!({})).unwrap())["frames"].as_u64().unwrap() < 1 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stopped = json_of(call(&w, "stop_recording", json!({"keep": true})).unwrap());
    assert!(stopped["frames"].as_u64().unwrap() < 8, "{stopped}");
    call(&w, "start_training", json!({"dataset": "short", "name": "too-short", "steps": 2})).unwrap();
    let start = Instant::now();
    let status = training_ended(&w, start, Duration::from_secs(120), "the failing fine-tune never ended");
    assert!(status["error"].as_str().unwrap().contains("frames a clip needs"), "{status}");
}

/// The window's choices come back on the next run: source, model, comparison, horizon, demo
/// mode. A settings file that cannot be read is set aside with a notice, not a refusal to start.
#[test]
fn settings_are_remembered_between_runs() {
    let home = tempfile::tempdir().unwrap();
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64");
    std::fs::write(home.path().join("settings.json"), "{ not json").unwrap();
    // A second model in the picker, as a fine-tune would leave it.
    let copy = home.path().join("models/copy");
    std::fs::create_dir_all(&copy).unwrap();
    for ext in ["json", "safetensors"] {
        std::fs::copy(format!("{bundled}.{ext}"), copy.join(format!("model.{ext}"))).unwrap();
    }
    {
        let (_app, w) = app_in(Some(home.path().to_path_buf()));
        let info = json_of(call(&w, "app_info", json!({})).unwrap());
        assert!(info["notices"].to_string().contains("settings.json.bad"), "{info}");
        call(&w, "set_source", json!({"preset": "test-pattern"})).unwrap();
        call(&w, "set_horizon", json!({"horizon": 2})).unwrap();
        call(&w, "set_context", json!({"context": 3})).unwrap();
        call(&w, "set_stride", json!({"stride": 2})).unwrap();
        call(&w, "set_model", json!({"name": "copy"})).unwrap();
        call(&w, "set_compare", json!({"name": "bounce-64"})).unwrap();
        call(&w, "set_demo", json!({"on": true})).unwrap();
        // `--demo` is for one run: its window's demo mode is not remembered.
        call(&w, "set_demo", json!({"on": false, "remember": false})).unwrap();
        assert!(call(&w, "set_demo", json!({"on": "yes"})).is_err());
    }
    assert!(home.path().join("settings.json.bad").exists());
    // Next run, with no source or model named (as `augur run` starts it).
    let models = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../models").into());
    let (_app, w) = app_with(AppArgs { models, home: Some(home.path().to_path_buf()), ..bare_args() });
    let info = json_of(call(&w, "app_info", json!({})).unwrap());
    assert_eq!(info["source"], "lavfi:testsrc=size=640x480:rate=30", "{info}");
    assert_eq!((&info["settings"]["demo"], &info["demo"]), (&json!(true), &json!(true)), "{info}");
    assert!(info["model"].as_str().unwrap().ends_with("copy/model"), "the model used last: {info}");
    assert_eq!(info["compare"], "bounce-64", "the picker's name: {info}");
    let state = json_of(call(&w, "model_state", json!({})).unwrap());
    assert_eq!(
        (state["horizon"].as_u64(), state["context"].as_u64(), state["stride"].as_u64()),
        (Some(2), Some(3), Some(2))
    );
    // A fine-tune compared is named as in the picker, not by its file ("model").
    call(&w, "set_compare", json!({"name": "copy"})).unwrap();
    assert_eq!(json_of(call(&w, "model_state", json!({})).unwrap())["compare"], "copy");
    // The command line still wins over what was remembered.
    let (_app2, w2) = app_in(Some(home.path().to_path_buf()));
    assert!(json_of(call(&w2, "app_info", json!({})).unwrap())["source"].as_str().unwrap().starts_with("scene:"));
    // `--demo` opens demo mode without a remembered one.
    let fresh = tempfile::tempdir().unwrap();
    let (_app3, w3) = app_with(AppArgs { demo: true, home: Some(fresh.path().to_path_buf()), ..bare_args() });
    let info = json_of(call(&w3, "app_info", json!({})).unwrap());
    assert_eq!((&info["settings"]["demo"], &info["demo"]), (&json!(false), &json!(true)), "{info}");
    drop((_app3, w3));
    drop((_app, w, _app2, w2));

    // The model used last, damaged (its weights cut short, then its card): the window starts
    // anyway, on the bundled model, and says why.
    let weights = copy.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    for damage in ["weights", "card"] {
        if damage == "card" {
            std::fs::write(copy.join("model.json"), "{").unwrap();
        }
        let models = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../models").into());
        let (_app, w) = app_with(AppArgs { models, home: Some(home.path().to_path_buf()), ..bare_args() });
        let info = json_of(call(&w, "app_info", json!({})).unwrap());
        assert!(!info["model"].as_str().unwrap().ends_with("copy/model"), "{damage}: {info}");
        assert!(
            info["notices"].to_string().contains("the model copy used last time cannot be loaded"),
            "{damage}: {info}"
        );
    }
}

/// A command that fails the way a bug would.
#[tauri::command]
fn boom() -> u32 {
    panic!("boom")
}

#[test]
fn a_command_that_panics_answers_an_error_and_the_app_goes_on() {
    let handler = crate::answering(tauri::generate_handler![boom]);
    let app = mock_builder().invoke_handler(handler).build(tauri::generate_context!()).unwrap();
    let w = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    for _ in 0..2 {
        let err = call(&w, "boom", json!({})).unwrap_err();
        assert_eq!(err["code"], "internal", "{err}");
        assert!(err["message"].as_str().unwrap().contains("internal error (boom)"), "{err}");
    }
}
