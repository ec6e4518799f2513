//! The frame stream: live frames, prediction strips and the Scope view served to the page over loopback HTTP
//! with a per-session token, because the page got the same bytes sooner that way than by Tauri's
//! binary IPC in 13 of 15 timings over three runs (median 0.52–0.95 of IPC's time; once even,
//! once 1.31 at 640×480: bench/results/window.md). Only `127.0.0.1` is bound, every
//! request needs the token, only `GET` of five paths is answered, and only the app's own
//! origin may read the answers. Everything else the page does stays on IPC commands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use tauri::Manager;

use crate::state::Session;

/// Where the page finds the stream.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StreamInfo {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The token every request carries (`?token=…`).
    pub token: String,
}

/// What a request asks for.
#[derive(Debug, PartialEq)]
pub enum Route {
    /// The newest frame not yet sent, shrunk to fit `[w, h]` when given.
    Frame(Option<[u32; 2]>),
    /// The prediction strip of a moment (the newest without one), and the moment the page
    /// shows (nothing is sent while it is still the newest).
    Prediction(Option<u64>, Option<u64>),
    /// The second model's strip of a moment (A/B compare).
    Compare(Option<u64>),
    /// A test image for the window benchmark.
    Payload(u32, u32),
    /// The Scope view's dashboard at this size.
    Scope(u32, u32),
}

/// An answer: the status line's code and text, and the body.
type Answer = (u16, Vec<u8>);

/// Origins whose pages may read the answers (the app's own, on Linux/macOS and on Windows).
const APP_ORIGINS: [&str; 2] = ["tauri://localhost", "http://tauri.localhost"];

/// Binds a free loopback port and makes the session's token.
pub fn bind() -> Result<(TcpListener, StreamInfo), String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot open a loopback port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    Ok((listener, StreamInfo { url: format!("http://127.0.0.1:{port}"), token: token() }))
}

/// Threads answering requests: the page has at most a few in flight (frame, strip, scope).
/// A fixed pool, not a thread per request: each new thread can get its own malloc arena, and
/// with megabyte frames in many arenas the app ended a 10-minute run at 485 MB, not 349.
const WORKERS: usize = 4;

/// Serves requests from `listener` in the background for as long as the app runs.
pub fn serve<R: tauri::Runtime>(listener: TcpListener, token: String, app: tauri::AppHandle<R>) {
    let (tx, rx) = crossbeam_channel::bounded::<TcpStream>(16);
    for i in 0..WORKERS {
        let (rx, app, token) = (rx.clone(), app.clone(), token.clone());
        let worker = std::thread::Builder::new().name(format!("augur-stream-{i}")).spawn(move || {
            for conn in rx {
                handle(conn, &token, |route| match app.try_state::<Session>() {
                    Some(session) => answer(&session, route),
                    None => (503, b"the session is not ready".to_vec()),
                });
            }
        });
        if let Err(e) = worker {
            eprintln!("augur-app: a frame stream worker could not start ({e})");
        }
    }
    let spawned = std::thread::Builder::new().name("augur-stream".into()).spawn(move || {
        for conn in listener.incoming() {
            match conn {
                // A full queue means the page asks faster than frames are made: close, don't
                // pile up.
                Ok(conn) => drop(tx.try_send(conn)),
                // Out of file descriptors, say: retrying at once would spin a core.
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    });
    if let Err(e) = spawned {
        eprintln!("augur-app: the frame stream could not start ({e}); the page falls back to IPC");
    }
}

fn answer(session: &Session, route: Route) -> Answer {
    let ok = |bytes: Vec<u8>| (200, bytes);
    match route {
        Route::Frame(fit) => {
            crate::commands::frame_bytes(session, fit).map_or_else(|e| (400, e.message().into_bytes()), ok)
        }
        Route::Prediction(index, shown) => ok(crate::commands::prediction_bytes(session, index, shown)),
        Route::Compare(index) => ok(crate::commands::compare_bytes(session, index)),
        Route::Payload(w, h) if session.bench.is_some() => ok(crate::bench::payload(w, h)),
        Route::Payload(..) => (404, b"test images are served only with --bench".to_vec()),
        Route::Scope(w, h) => crate::scope_view::frame(session, w, h).map_or_else(|e| (400, e.into_bytes()), ok),
    }
}

/// 128 unguessable bits, from the standard library's randomly keyed hasher.
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

/// How long a client may take to send its whole request, and how much it may send: one
/// trickling bytes would otherwise hold one of the few workers for good, and the page's frames
/// would stop.
const REQUEST_DEADLINE: Duration = Duration::from_secs(2);
const MAX_REQUEST: u64 = 8 * 1024;
/// How long writing an answer may stall (a client that stopped reading).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection read until a deadline: each read waits only for the time left.
struct Timed<'a> {
    conn: &'a TcpStream,
    deadline: Instant,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.conn.set_read_timeout(Some(left))?;
        self.conn.read(buf)
    }
}

/// Reads one request from `conn`, answers it with `route_to`, and closes the connection.
fn handle(conn: TcpStream, token: &str, route_to: impl FnOnce(Route) -> Answer) {
    let _ = conn.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut reader =
        BufReader::new(Timed { conn: &conn, deadline: Instant::now() + REQUEST_DEADLINE }.take(MAX_REQUEST));
    let mut line = String::new();
    if !reader.read_line(&mut line).is_ok_and(|_| line.ends_with('\n')) {
        return;
    }
    let mut origin = None;
    let mut header = String::new();
    loop {
        match reader.read_line(&mut header) {
            Ok(n) if n > 2 && header.ends_with('\n') => {}
            Ok(_) if header.trim().is_empty() => break,
            // Cut off, too long or too slow: not a request worth answering.
            _ => return,
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("origin")
        {
            origin = Some(value.trim().to_string());
        }
        header.clear();
    }
    drop(reader);
    let (code, body) = match parse(&line, token) {
        // A panic answers 500 instead of taking one of the few workers down for good.
        Ok(route) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| route_to(route)))
            .unwrap_or_else(|p| (500, format!("internal error: {}", augur_engine::panic_text(&*p)).into_bytes())),
        Err(refusal) => refusal,
    };
    let allow = origin.filter(|o| APP_ORIGINS.contains(&o.as_str()));
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n{}\r\n",
        reason(code),
        body.len(),
        allow.map(|o| format!("Access-Control-Allow-Origin: {o}\r\nVary: Origin\r\n")).unwrap_or_default(),
    );
    let mut out = &conn;
    let _ = out.write_all(head.as_bytes()).and_then(|()| out.write_all(&body));
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    }
}

/// The route of a request line (`GET /frame?token=…&fit=640x480 HTTP/1.1`), or the refusal.
pub fn parse(line: &str, token: &str) -> Result<Route, Answer> {
    let refuse = |code: u16, why: String| Err((code, why.into_bytes()));
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" {
        return refuse(405, format!("only GET is served, not {method:?}"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let field = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
    if !field("token").is_some_and(|t| same(t, token)) {
        return refuse(403, "a valid token is required".into());
    }
    let number = |name: &str| -> Result<Option<u64>, Answer> {
        match field(name) {
            None | Some("latest") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| (400, format!("{name}={v} is not a number").into_bytes())),
        }
    };
    let side = |v: &str, max: u32| v.parse::<u32>().ok().filter(|v| (1..=max).contains(v));
    match path {
        "/frame" => match field("fit") {
            None => Ok(Route::Frame(None)),
            Some(fit) => {
                let max = crate::commands::MAX_FIT;
                match fit.split_once('x').and_then(|(w, h)| Some([side(w, max)?, side(h, max)?])) {
                    Some(wh) => Ok(Route::Frame(Some(wh))),
                    None => refuse(400, format!("fit={fit} should be WIDTHxHEIGHT, each 1 to {max}")),
                }
            }
        },
        "/prediction" => Ok(Route::Prediction(number("index")?, number("shown")?)),
        "/compare" => number("index").map(Route::Compare),
        "/payload" | "/scope" => {
            let max = if path == "/scope" { crate::scope_view::MAX_SIDE } else { crate::bench::MAX_SIDE };
            match (field("width").and_then(|v| side(v, max)), field("height").and_then(|v| side(v, max))) {
                (Some(w), Some(h)) if path == "/scope" => Ok(Route::Scope(w, h)),
                (Some(w), Some(h)) => Ok(Route::Payload(w, h)),
                _ => refuse(400, format!("width and height must be 1 to {max}")),
            }
        }
        other => refuse(404, format!("nothing is served at {other:?}")),
    }
}

/// Compares tokens without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read;

    use super::*;

    const T: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn requests_need_the_token_and_sane_arguments() {
        let get = |target: &str| parse(&format!("GET {target} HTTP/1.1\r\n"), T);
        assert_eq!(get(&format!("/frame?token={T}")), Ok(Route::Frame(None)));
        assert_eq!(get(&format!("/frame?token={T}&fit=640x480")), Ok(Route::Frame(Some([640, 480]))));
        assert_eq!(get(&format!("/prediction?token={T}&index=42")), Ok(Route::Prediction(Some(42), None)));
        assert_eq!(get(&format!("/prediction?token={T}&shown=7")), Ok(Route::Prediction(None, Some(7))));
        assert_eq!(get(&format!("/compare?token={T}&index=latest")), Ok(Route::Compare(None)));
        assert_eq!(get(&format!("/payload?token={T}&width=64&height=48")), Ok(Route::Payload(64, 48)));
        let code = |r: Result<Route, Answer>| r.unwrap_err().0;
        assert_eq!(code(get("/frame")), 403);
        assert_eq!(code(get("/frame?token=0123456789abcdef0123456789abcdee")), 403);
        assert_eq!(code(get(&format!("/frame?token={T}&fit=0x480"))), 400);
        assert_eq!(code(get(&format!("/frame?token={T}&fit=big"))), 400);
        assert_eq!(code(get(&format!("/prediction?token={T}&index=-1"))), 400);
        assert_eq!(code(get(&format!("/payload?token={T}&width=99999&height=1"))), 400);
        assert_eq!(code(get(&format!("/etc/passwd?token={T}"))), 404);
        assert_eq!(code(parse(&format!("POST /frame?token={T} HTTP/1.1"), T)), 405);
    }

    #[test]
    fn only_the_apps_origin_may_read_answers() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten().take(2) {
                handle(conn, T, |_| (200, b"pixels".to_vec()));
            }
        });
        let get = |origin: &str| {
            let mut s = TcpStream::connect(addr).unwrap();
            let req = format!("GET /frame?token={T} HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\r\n");
            s.write_all(req.as_bytes()).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        let mine = get("tauri://localhost");
        assert!(mine.starts_with("HTTP/1.1 200 OK") && mine.ends_with("pixels"), "{mine}");
        assert!(mine.contains("Access-Control-Allow-Origin: tauri://localhost"), "{mine}");
        let other = get("https://example.com");
        assert!(!other.contains("Access-Control-Allow-Origin"), "{other}");
        assert_ne!(token(), token(), "each session has its own token");
    }

    /// Runs `handle` on one connection whose client does `client`; returns what the client
    /// read back and how long `handle` took.
    fn exchange(
        client: impl FnOnce(&mut TcpStream) + Send + 'static,
        route: fn(Route) -> Answer,
    ) -> (String, Duration) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let talk = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            client(&mut s);
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        });
        let (conn, _) = listener.accept().unwrap();
        let start = Instant::now();
        handle(conn, T, route);
        let took = start.elapsed();
        (talk.join().unwrap(), took)
    }

    #[test]
    fn a_slow_or_endless_request_lets_its_worker_go() {
        let pixels = |_| (200, b"pixels".to_vec());
        // One byte every 300 ms, each within any per-read timeout: cut at the deadline.
        let (_, took) = exchange(
            |s| {
                for b in format!("GET /frame?token={T} HTTP/1.1\r\nHost: x\r\n").bytes().take(20) {
                    if s.write_all(&[b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
            },
            pixels,
        );
        assert!(took < REQUEST_DEADLINE + Duration::from_secs(1), "held {took:?}");
        // Headers past the size limit are not read to their end.
        let (answer, took) = exchange(
            |s| {
                let _ = s.write_all(
                    format!("GET /frame?token={T} HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(20_000)).as_bytes(),
                );
            },
            pixels,
        );
        assert!(answer.is_empty() && took < Duration::from_secs(1), "{answer:?} after {took:?}");
        // A whole request is still answered.
        let (answer, _) =
            exchange(|s| s.write_all(format!("GET /frame?token={T} HTTP/1.1\r\n\r\n").as_bytes()).unwrap(), pixels);
        assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("pixels"), "{answer}");
    }

    #[test]
    fn a_panic_answering_is_a_500_not_a_lost_worker() {
        let (answer, _) = exchange(
            |s| s.write_all(format!("GET /frame?token={T} HTTP/1.1\r\n\r\n").as_bytes()).unwrap(),
            |_| panic!("lost device"),
        );
        assert!(answer.starts_with("HTTP/1.1 500 Internal Server Error") && answer.contains("lost device"), "{answer}");
    }
}
