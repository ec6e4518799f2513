//! Augur's desktop app: a thin Tauri 2 shell. It parses its arguments, starts the live session
//! (augur-engine, or the source alone without a model), and serves frames, predictions and
//! status to the web UI in `ui/`.
//! Everything it does is done by the crates; this file only wires them to the window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod args;
mod bench;
mod commands;
mod scope_view;
mod settings;
mod state;
mod stream;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

/// The session and every command the web UI may call (the same set in the app and in tests).
fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>, session: state::Session) -> tauri::Builder<R> {
    builder.plugin(tauri_plugin_dialog::init()).manage(session).invoke_handler(answering(tauri::generate_handler![
        commands::app_info,
        commands::about,
        commands::latest_frame,
        commands::source_status,
        commands::prediction,
        commands::model_state,
        commands::set_paused,
        commands::set_horizon,
        commands::set_demo,
        commands::set_context,
        commands::set_stride,
        commands::what_if,
        commands::steer,
        commands::export_recent,
        commands::timeline_span,
        commands::set_source,
        commands::cameras,
        commands::open_video_file,
        commands::list_models,
        commands::set_model,
        commands::set_compare,
        commands::compare_prediction,
        commands::arrived,
        commands::start_recording,
        commands::stop_recording,
        commands::recording_status,
        commands::list_datasets,
        commands::play_episode,
        commands::episode_thumbnail,
        commands::episode_surprise,
        commands::start_training,
        commands::training_status,
        commands::cancel_training,
        commands::sound,
        commands::microphones,
        commands::set_microphone,
        commands::smoke_report,
        commands::frame_drawn,
        commands::scope_frame,
        commands::scope_input,
        commands::bench_payload,
        commands::bench_report,
    ]))
}

/// `handler` with a command that panics answered with an error: a synchronous command runs on
/// the window's event loop, where a panic would end the app (the commands that run on the
/// async runtime, where a panic would leave the page waiting, are each wrapped in
/// `commands::answered`; `microphones` and `list_models` answer lists and are not).
fn answering<R: tauri::Runtime>(
    handler: impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke| {
        let resolver = invoke.resolver.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(invoke))).unwrap_or_else(|panic| {
            // Tauri panics on a second reply; a command that answered before it panicked keeps
            // its answer.
            let why = commands::internal(&*panic);
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| resolver.reject(why)));
            true
        })
    }
}

fn main() -> ExitCode {
    prefer_shared_memory_renderer();
    without_device_select_layer();
    // Commands that take a while (an export, decoding thumbnails, a what-if rollout) hold a
    // worker of Tauri's runtime while they run; with one worker per core, two of them on a
    // 2-core machine froze every other command (the status line, the plots) until done.
    let _runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(8).enable_all().build() {
        Ok(rt) => {
            tauri::async_runtime::set(rt.handle().clone());
            Some(rt)
        }
        Err(e) => {
            eprintln!("augur-app: note: Tauri's default runtime is used ({e})");
            None
        }
    };
    let args = match args::AppArgs::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("augur-app: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut session = match state::Session::open(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("augur-app: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut context = tauri::generate_context!();
    // The frame stream: the page may connect to this one loopback port and nothing else new.
    let listener = match stream::bind() {
        Ok((listener, info)) => {
            allow_connect(&mut context, &info.url);
            let token = info.token.clone();
            session.stream = Some(info);
            Some((listener, token))
        }
        Err(e) => {
            eprintln!("augur-app: {e}; frames go by IPC");
            None
        }
    };
    let result = with_commands(tauri::Builder::default(), session)
        .setup(move |app| {
            if let Some((listener, token)) = listener {
                stream::serve(listener, token, app.handle().clone());
            }
            if let Some(secs) = args.seconds {
                let handle = app.handle().clone();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
                    handle.exit(0);
                });
            }
            Ok(())
        })
        .build(context)
        .map(|app| {
            app.run(|handle, event| {
                if let tauri::RunEvent::Exit = event {
                    let session = tauri::Manager::state::<state::Session>(handle);
                    // Quitting while recording finishes the episode rather than leaving it to a
                    // repair; a fine-tune is stopped after its current step with a checkpoint.
                    if let state::Live::Model(s) = &session.live {
                        s.finish_recording_on_close();
                    }
                    let training = session.training.lock().map(|mut t| t.take()).unwrap_or_default();
                    drop(training);
                }
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("augur-app: the window could not start: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Adds `origin` to the content security policy's `connect-src`.
fn allow_connect<R: tauri::Runtime>(context: &mut tauri::Context<R>, origin: &str) {
    use tauri::utils::config::Csp;
    let security = &mut context.config_mut().app.security;
    if let Some(Csp::Policy(policy)) = security.csp.as_mut() {
        *policy = policy.replace("connect-src ", &format!("connect-src {origin} "));
    }
}

/// Mesa's Vulkan device-select layer asks Wayland for a display whenever adapters are listed,
/// and libwayland prints an "error:" line for each try when `XDG_RUNTIME_DIR` is unset (a bare
/// X server, as in CI). Augur picks its adapter itself, so there the layer is turned off, as
/// `augur` does. A user's own setting wins.
fn without_device_select_layer() {
    const VAR: &str = "NODEVICE_SELECT";
    if cfg!(target_os = "linux") && std::env::var_os("XDG_RUNTIME_DIR").is_none() && std::env::var_os(VAR).is_none() {
        // SAFETY: as in `prefer_shared_memory_renderer`: first in `main`, before any thread.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(VAR, "1");
        }
    }
}

/// WebKitGTK's DMA-BUF renderer wants a GPU render node. Without one (a VM, a server, Xvfb in
/// CI) it falls back to a path that drew 7–8 frames/s of the live view instead of 30, with
/// 3× the camera-to-screen latency (bench/results/window.md). A user's own setting wins.
fn prefer_shared_memory_renderer() {
    const VAR: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    let render_node = std::fs::read_dir("/dev/dri")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    if cfg!(target_os = "linux") && std::env::var_os(VAR).is_none() && !render_node {
        // SAFETY: this runs first in `main`, before the app starts any thread, so nothing can
        // read the environment while it changes.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(VAR, "1");
        }
    }
}
