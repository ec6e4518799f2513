//! The built app driven like a user would, through WebDriver: `tauri-driver` in front of
//! WebKitGTK's `WebKitWebDriver`, under Xvfb in CI. It waits for predicted frames in the
//! canvas, clicks Pause and Play, switches to demo mode, and keeps a screenshot whose path it
//! prints. The WebDriver client is a few lines of HTTP over a socket: the protocol is JSON.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use augur_tests::binary;
use serde_json::{Value, json};

/// WebDriver's key for an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `tauri-driver` on PATH, or where `scripts/check.sh` installs it.
fn tauri_driver() -> Option<PathBuf> {
    let installed = std::env::var_os("AUGUR_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/augur/tools"))
        .join("bin/tauri-driver");
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tauri-driver"));
    [installed].into_iter().chain(on_path).find(|p| p.exists())
}

/// The driver process, killed with everything it started (WebKitWebDriver, the app) when the
/// test ends either way: it runs in its own process group, and the whole group is killed.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 request (so the answer is never chunked) and its JSON answer's `value`.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(120))).map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes())).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer);
    let (status, json) = answer.split_once("\r\n\r\n").ok_or_else(|| format!("no HTTP answer: {answer}"))?;
    let parsed: Value = serde_json::from_str(json).map_err(|e| format!("{e}: {status} {json}"))?;
    if !status.contains(" 200 ") {
        return Err(format!("{method} {path}: {status}: {parsed}"));
    }
    Ok(parsed["value"].clone())
}

/// A WebDriver session on the app.
struct Page<'a> {
    driver: &'a Driver,
    id: String,
}

impl Page<'_> {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let path = format!("/session/{}{path}", self.id);
        request(self.driver.port, method, &path, body).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    fn run(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(&json!({"script": script, "args": []})))
    }

    fn click(&self, css: &str) {
        let found = self.call("POST", "/element", Some(&json!({"using": "css selector", "value": css})));
        let id = found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_string();
        self.call("POST", &format!("/element/{id}/click"), Some(&json!({})));
    }

    fn wait_until(&self, what: &str, limit: Duration, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.run(script);
            if v.as_bool() == Some(true) || v.get("ok").and_then(Value::as_bool) == Some(true) {
                return v;
            }
            assert!(start.elapsed() < limit, "timed out waiting for {what}; last answer {v}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// Non-blank pixels and distinct colours in a canvas, counted in the page.
const CANVAS_STATS: &str = "
  const c = document.getElementById(ID);
  if (!c || c.width < 2) return {ok: false, why: 'no canvas'};
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let lit = 0; const seen = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] + d[i + 1] + d[i + 2] > 24) lit++;
    if (seen.size < 5000) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return {ok: lit > d.length / 40 && seen.size >= 16, lit, colours: seen.size, width: c.width, height: c.height};";

/// Picks the first model other than the one in use as model B (A/B); answers it, or null when the
/// app lists no other.
const PICK_B: &str = "const p = document.getElementById('compare-pick'); \
  const a = document.getElementById('model-pick').value; const o = [...p.options].find(o => o.value && o.value !== a); \
  if (!o) return null; p.value = o.value; p.dispatchEvent(new Event('change')); return o.value;";

/// Stops comparing.
const UNPICK_B: &str = "const p = document.getElementById('compare-pick'); p.value = ''; p.dispatchEvent(new Event('change')); return true;";

/// Demo mode shows reality and the model's expectation large, on one screen: the strips' tiles
/// at least a seventh of the window's height, the live view at least a quarter of it (with one
/// strip the caller asks for more), nothing to scroll to.
const DEMO_FITS: &str = "const r = (id) => document.getElementById(id).getBoundingClientRect(); \
  const main = document.querySelector('main'); \
  const fits = main.scrollHeight <= main.clientHeight + 1 && main.scrollWidth <= main.clientWidth + 1; \
  const [strip, live] = [r('strip'), r('live')]; \
  return {ok: fits && strip.height >= innerHeight / 7 && live.height >= innerHeight / 4 && strip.bottom <= innerHeight, \
    strip: [strip.width, strip.height], live: [live.width, live.height], main: [main.scrollWidth, main.clientWidth, main.scrollHeight, main.clientHeight], bottom: strip.bottom, \
    window: [innerWidth, innerHeight]};";

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    digits
        .chunks(4)
        .flat_map(|q| {
            let n = q.iter().enumerate().fold(0u32, |n, (i, d)| n | (u32::from(*d) << (18 - 6 * i)));
            let bytes = n.to_be_bytes();
            bytes[1..q.len()].to_vec()
        })
        .collect()
}

#[test]
fn the_built_app_is_driven_through_webdriver() {
    if std::env::var_os("DISPLAY").is_none() {
        augur_tests::skipping("no display; run `. scripts/services.sh` first");
        return;
    }
    let Some(driver_path) = tauri_driver() else {
        augur_tests::skipping("no tauri-driver; `cargo install tauri-driver --locked` (scripts/check.sh does)");
        return;
    };
    let port = 4444 + (std::process::id() % 1000) as u16 * 2;
    let child = Command::new(driver_path)
        .args(["--port", &port.to_string(), "--native-port", &(port + 1).to_string()])
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tauri-driver starts");
    let driver = Driver { child, port };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "tauri-driver never listened on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let home = tempfile::tempdir().unwrap();
    let page = open_app(&driver, home.path(), "scene:bounce?size=320x240&fps=30", 170);

    // Live frames, then the model's predicted frames, drawn in their canvases.
    let live = page.wait_until("live frames", Duration::from_secs(60), &CANVAS_STATS.replace("ID", "'live'"));
    let strip = page.wait_until("predicted frames", Duration::from_secs(90), &CANVAS_STATS.replace("ID", "'strip'"));
    assert!(strip["width"].as_u64().unwrap() >= 3 * strip["height"].as_u64().unwrap(), "a filmstrip: {strip}");
    eprintln!("live canvas {live}, prediction strip {strip}");
    // The page sizes the frames it asks for by the canvas's CSS limits, read back in pixels.
    let room =
        page.run("const s = getComputedStyle(document.getElementById('live')); return [s.maxWidth, s.maxHeight];");
    assert!(room.as_array().unwrap().iter().all(|v| v.as_str().unwrap().ends_with("px")), "{room}");
    // The bundled model fades: under the strip, how much of its guesses it keeps.
    page.wait_until(
        "the share kept under the strip",
        Duration::from_secs(30),
        "const t = document.getElementById('kept').textContent; return t.includes('keeps') || t.includes('did not help');",
    );

    // Frames came by the loopback stream, which answers only with the session's token.
    let by_stream = "return performance.getEntriesByType('resource').some(e => e.name.includes('/frame?token='));";
    assert_eq!(page.run(by_stream), json!(true), "the page fetches frames from the loopback stream");
    let stream = page.run("return window.__TAURI__.core.invoke('app_info').then(i => i.stream);");
    let url = stream["url"].as_str().expect("the app opened a frame stream");
    // The frame stream's port, not the driver's.
    let stream_port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let token = stream["token"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let status = |path: &str| raw_status(stream_port, path);
    assert_eq!(status(&format!("/prediction?token={token}")), 200);
    assert_eq!(status("/prediction?token=0000"), 403);
    assert_eq!(status(&format!("/payload?token={token}&width=8&height=8")), 404, "test images only with --bench");
    assert_eq!(status(&format!("/../../etc/passwd?token={token}")), 404);

    // Pause stops the predictions (the strip's moment stays); Play resumes them.
    page.click("#pause");
    page.wait_until(
        "the Play label",
        Duration::from_secs(10),
        "return document.getElementById('pause').textContent === 'Play';",
    );
    assert_eq!(
        page.run("return document.getElementById('scrub').disabled;"),
        json!(false),
        "scrubbing is on while paused"
    );
    page.click("#pause");
    page.wait_until(
        "the Pause label",
        Duration::from_secs(10),
        "return document.getElementById('pause').textContent === 'Pause';",
    );

    // A/B: a second model on the same frames. Each model's surprise is drawn on its own scale
    // (their latent errors are in different units), so both traces peak near the plot's top.
    // A is the base model here, whose encoder no other bundled model shares.
    let picked_b = page.run(PICK_B);
    if picked_b.is_null() {
        augur_tests::skipping("the A/B compare: the app lists one model only");
    } else {
        // The highest row each line's colour reaches, right of the scales written in the corner.
        let peaks = "const c = document.getElementById('surprise'); \
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
            const near = (i, r, g, b) => Math.abs(d[i] - r) < 30 && Math.abs(d[i + 1] - g) < 30 && Math.abs(d[i + 2] - b) < 30; \
            let a = c.height, b = c.height; \
            for (let y = 0; y < c.height; y++) for (let x = 80; x < c.width - 4; x++) { const i = 4 * (y * c.width + x); \
              if (near(i, 90, 200, 255)) a = Math.min(a, y); if (near(i, 255, 122, 184)) b = Math.min(b, y); } \
            return {ok: a < c.height / 4 && b < c.height / 4, a, b, height: c.height};";
        let both = page.wait_until("both models' surprise traces", Duration::from_secs(90), peaks);
        eprintln!("A/B with {picked_b}: surprise peaks at rows {both}");
        page.run(UNPICK_B);
    }

    // The microphone picker: started with none, pick the first one the app lists; the sound
    // panel appears and its spectrogram fills (services.sh plays a sine into the default one).
    let picked = page.run(
        "const p = document.getElementById('mic-pick'); const o = [...p.options].find(o => o.value && o.value !== 'none'); \
         if (!o) return null; p.value = o.value; p.dispatchEvent(new Event('change')); return o.value;",
    );
    if picked.is_null() {
        augur_tests::skipping("the microphone picker: the app lists no microphone; run `. scripts/services.sh` first");
    } else {
        page.wait_until(
            "the sound panel",
            Duration::from_secs(20),
            "return !document.getElementById('sound-panel').hidden;",
        );
        // A sine is one loud band on a quiet floor: some loud cells (red runs with loudness),
        // where silence has none.
        let loud = "const c = document.getElementById('spectrogram'); \
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let loud = 0; \
            for (let i = 0; i < d.length; i += 4) if (d[i] > 150) loud++; \
            return {ok: loud > c.width, loud, width: c.width, height: c.height};";
        let sound = page.wait_until("a loud band in the spectrogram", Duration::from_secs(30), loud);
        eprintln!("microphone {picked}: spectrogram {sound}");
    }

    // The Scope view: every panel composited by egui in the app, streamed to a canvas.
    page.click("#scope-toggle");
    let scope = page.wait_until("the scope", Duration::from_secs(60), &CANVAS_STATS.replace("ID", "'scope'"));
    assert_eq!(scope["width"], json!(760), "{scope}");
    assert_eq!(status(&format!("/scope?token={token}&width=760&height=330")), 200);
    page.click("#scope-toggle");

    // Export: the notice counts the dashboard video's frames (progress events reach the page),
    // then names every file written into the home folder.
    page.click("#export");
    let (start, mut saw_progress) = (Instant::now(), false);
    let text = loop {
        let t = page.run("return document.getElementById('notice').textContent;");
        let t = t.as_str().unwrap_or_default().to_string();
        saw_progress |= t.contains("dashboard video");
        if t.starts_with("Exported") || t.starts_with("export failed") {
            break t;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "timed out waiting for the export; notice {t:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(text.contains("dashboard.mp4") && text.contains("side-by-side.mp4"), "{text}");
    assert!(saw_progress, "the page showed the dashboard video's progress");
    let exports: Vec<_> = std::fs::read_dir(home.path().join("exports")).unwrap().flatten().collect();
    assert_eq!(exports.len(), 1, "one export folder");
    assert!(exports[0].path().join("dashboard.mp4").is_file());
    // With a microphone picked, both videos carry what it heard, as long as their pictures, and
    // its sine is in the last half second (sound laid anywhere else would leave that silent).
    if !picked.is_null() {
        for name in ["side-by-side.mp4", "dashboard.mp4"] {
            let path = exports[0].path().join(name);
            let media = augur_capture::count_media(&path).unwrap();
            let seconds = media.video_frames as f64 / media.fps;
            let track = augur_capture::read_sound(path.to_str().unwrap(), seconds).unwrap().unwrap();
            let tail = &track.samples[track.samples.len().saturating_sub(track.rate as usize / 2)..];
            let level = augur_capture::audio_level(tail, track.rate).rms_dbfs;
            eprintln!(
                "{name}: {seconds:.2} s of video, {:.2} s of sound, the last 0.5 s at {level:.1} dBFS",
                media.audio_seconds
            );
            assert!(
                (media.audio_seconds - seconds).abs() < 0.15,
                "{name}: {} s of sound for {seconds} s",
                media.audio_seconds
            );
            assert!(level > -40.0, "{name}: the microphone's sine is missing at the end ({level} dBFS)");
        }
    }

    // Shortcuts leave a focused picker and held or modified keys alone: "d" typed into the model
    // picker, a repeated "d" and Ctrl+D do not toggle demo mode.
    let ignored = page.run(
        "const pick = document.getElementById('model-pick'); pick.focus(); \
         const key = (target, init) => target.dispatchEvent(new KeyboardEvent('keydown', {key: 'd', bubbles: true, ...init})); \
         const demo = () => document.body.classList.contains('demo'); \
         const after = [key(pick, {}), demo(), key(document.body, {repeat: true}), demo(), \
           key(document.body, {ctrlKey: true}), demo()].filter((v, i) => i % 2 === 1); \
         pick.blur(); return after;",
    );
    // Each checked on its own: two that fired would cancel out in the end state.
    assert_eq!(ignored, json!([false, false, false]), "a shortcut fired from a picker, a repeat or with Ctrl");

    // Demo mode: debug figures hidden, large panels.
    page.click("#demo");
    page.wait_until("demo mode", Duration::from_secs(10), "return document.body.classList.contains('demo');");
    let status_shown = page.run("return getComputedStyle(document.getElementById('status')).display;");
    assert_eq!(status_shown, json!("none"), "demo mode hides the status line");
    // Full screen: the window's own (set_demo), which a window manager carries out;
    // scripts/services.sh runs openbox on its Xvfb.
    let managed = std::process::Command::new("pgrep").args(["-x", "openbox"]).status().is_ok_and(|s| s.success());
    if managed {
        page.wait_until(
            "demo mode full screen",
            Duration::from_secs(10),
            "return window.innerWidth === screen.width && window.innerHeight === screen.height;",
        );
    } else {
        augur_tests::skipping("demo mode's full screen: no window manager (openbox) runs to carry it out");
    }
    let layout = page.wait_until("demo mode's layout", Duration::from_secs(10), DEMO_FITS);
    eprintln!("demo layout: {layout}");
    let (live, window) = (layout["live"][1].as_f64().unwrap(), layout["window"][1].as_f64().unwrap());
    assert!(live >= window / 2.0, "the live view in demo mode is {live} px of {window}");
    let (strip, width) = (layout["strip"][0].as_f64().unwrap(), layout["window"][0].as_f64().unwrap());
    assert!(strip >= 0.8 * width, "the strip in demo mode is {strip} px of {width}");
    // With model B's strip too, the live view makes room for it.
    let picked_b = page.run(PICK_B);
    if !picked_b.is_null() {
        page.wait_until(
            "model B's strip in demo mode",
            Duration::from_secs(30),
            "return !document.getElementById('compare-panel').hidden;",
        );
        // What the pick said shows over the panels for a while (6 s), though demo mode hides the bar.
        let said = "const n = document.getElementById('notice'); \
            return {ok: getComputedStyle(n).display !== 'none' && n.textContent.includes('A/B'), text: n.textContent};";
        page.wait_until("the A/B notice in demo mode", Duration::from_secs(5), said);
        let layout = page.wait_until("demo mode's layout with model B", Duration::from_secs(10), DEMO_FITS);
        eprintln!("demo layout with model B: {layout}");
        page.run(UNPICK_B);
        page.wait_until(
            "model B gone",
            Duration::from_secs(30),
            "return document.getElementById('compare-panel').hidden;",
        );
    }
    // Frames come: the overlay that says why the live view stands still is not up.
    assert_eq!(page.run("return document.getElementById('stalled').hidden;"), json!(true));
    std::thread::sleep(Duration::from_millis(1500));
    let shot = page.call("GET", "/screenshot", None);
    let png = decode_base64(shot.as_str().expect("a base64 screenshot"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000, "a real screenshot ({} bytes)", png.len());
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(std::env::temp_dir, PathBuf::from).join("ci-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("webdriver-demo-mode.png");
    std::fs::write(&path, &png).unwrap();
    println!("CI artifact: WebDriver screenshot of demo mode at {}", path.display());
    eprintln!("CI artifact: WebDriver screenshot of demo mode at {}", path.display());

    // The scene that knocks: the picker offers its own sound; picked, it is what is heard.
    page.run(
        "const p = document.getElementById('source-pick'); p.value = 'scene-sound'; \
         p.dispatchEvent(new Event('change')); return true;",
    );
    let own = "[...document.getElementById('mic-pick').options].some(o => o.value === 'own')";
    page.wait_until("the source's own sound in the picker", Duration::from_secs(20), &format!("return {own};"));
    page.run(
        "const p = document.getElementById('mic-pick'); p.value = 'own'; p.dispatchEvent(new Event('change')); return true;",
    );
    let heard = "return document.getElementById('notice').textContent.startsWith('Listening to') \
        && document.getElementById('mic-pick').value === 'own';";
    page.wait_until("the scene's own sound heard", Duration::from_secs(20), heard);
    // The caption names the source switched to, after the microphones were read again (it
    // went back to the source the app started with).
    let caption = page.run("return document.getElementById('source').textContent;");
    assert!(caption.as_str().unwrap_or_default().contains("balls that knock"), "{caption}");

    // The choice is remembered for the next run.
    let settings = std::fs::read_to_string(home.path().join("settings.json")).unwrap_or_default();
    assert!(settings.contains("\"demo\": true"), "{settings}");
    // An app that already ended (its --seconds ran out on a slow machine) has no session to
    // close; `open_app` waits for one still closing.
    let _ = request(driver.port, "DELETE", &format!("/session/{}", page.id), None);

    // A source that ends: the overlay on the live view says so, and why.
    let home = tempfile::tempdir().unwrap();
    let page = open_app(&driver, home.path(), "lavfi:testsrc=size=160x120:rate=15:duration=4", 60);
    page.wait_until("live frames", Duration::from_secs(60), &CANVAS_STATS.replace("ID", "'live'"));
    let told = page.wait_until(
        "the overlay saying the source ended",
        Duration::from_secs(60),
        "const o = document.getElementById('stalled'); return {ok: !o.hidden && o.textContent.startsWith('No new frame: '), text: o.textContent};",
    );
    eprintln!("stalled: {told}");
    assert!(told["text"].as_str().unwrap_or_default().contains("reached its end"), "{told}");
    play_a_video_file(&page, home.path());
    let _ = request(driver.port, "DELETE", &format!("/session/{}", page.id), None);
}

/// "a video file…" in the source picker: the app's native dialog, answered as a user would
/// (the path typed, Enter) through xdotool, plays the clip; the overlay of the ended source goes.
fn play_a_video_file(page: &Page, home: &std::path::Path) {
    if Command::new("xdotool").arg("version").output().is_err() {
        augur_tests::skipping("the file dialog: no xdotool to answer it (scripts/install-deps.sh installs it)");
        return;
    }
    // On a Wayland desktop GTK draws the dialog where xdotool cannot reach it.
    if std::env::var_os("WAYLAND_DISPLAY").is_some() {
        augur_tests::skipping("the file dialog: a Wayland session, out of xdotool's reach");
        return;
    }
    let clip = home.join("clip.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15:duration=3", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    page.run(
        "const p = document.getElementById('source-pick'); p.value = 'file'; p.dispatchEvent(new Event('change')); return true;",
    );
    // Bounded: `search --sync` waits for ever for a window that never comes.
    let xdotool = |args: &[&str]| {
        let out = Command::new("timeout").args(["30", "xdotool"]).args(args).output().unwrap();
        assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    xdotool(&[
        "search",
        "--sync",
        "--onlyvisible",
        "--name",
        "Play a video as the live source",
        "windowactivate",
        "--sync",
    ]);
    // Ctrl+L opens GTK's location box (a typed `/` does too, but only once the dialog has
    // settled: before that the keys go to its search). Typed again while the dialog is still
    // up: keys sent as it settles can be lost.
    let dialog_up = || {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "Play a video as the live source"])
            .output()
            .unwrap();
        found.status.success() && !found.stdout.is_empty()
    };
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(1000));
        xdotool(&["key", "ctrl+l"]);
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["type", "--delay", "30", clip.to_str().unwrap()]);
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["key", "Return"]);
        std::thread::sleep(Duration::from_millis(1500));
        if !dialog_up() {
            break;
        }
    }
    let playing = page.wait_until(
        "the picked clip playing",
        Duration::from_secs(30),
        "const c = document.getElementById('source').textContent; \
         return {ok: c.includes('clip.mp4') && document.getElementById('stalled').hidden \
           && document.getElementById('source-pick').value === '', caption: c};",
    );
    eprintln!("file dialog: {playing}");
}

/// The built app started through the driver on `source` with the model the tests use, for
/// `seconds` at most, keeping its files under `home`.
fn open_app<'a>(driver: &'a Driver, home: &std::path::Path, source: &str, seconds: u32) -> Page<'a> {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64");
    let seconds = seconds.to_string();
    let app_args = [
        "--source",
        source,
        "--mic",
        "none",
        "--device",
        "cpu",
        "--model",
        model,
        "--seconds",
        &seconds,
        "--home",
        home.to_str().unwrap(),
    ];
    let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
        "application": binary("augur-app"),
        "args": app_args,
    }}}});
    // WebKitWebDriver holds one session at a time, and the last one's app may still be closing.
    let start = Instant::now();
    let session = loop {
        match request(driver.port, "POST", "/session", Some(&caps)) {
            // An empty answer: tauri-driver came up before the WebKitWebDriver behind it.
            Err(e)
                if (e.contains("Maximum number of active sessions") || e.starts_with("no HTTP answer"))
                    && start.elapsed() < Duration::from_secs(30) =>
            {
                std::thread::sleep(Duration::from_millis(500));
            }
            answer => break answer.unwrap_or_else(|e| panic!("no session: {e}")),
        }
    };
    Page { driver, id: session["sessionId"].as_str().expect("a session id").to_string() }
}

/// The status code of a GET to the frame stream.
fn raw_status(port: u16, path: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[test]
fn base64_decodes() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGk="), b"hi");
    assert_eq!(decode_base64("YWJj"), b"abc");
}
