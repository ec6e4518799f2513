//! The window's own benchmark (`augur-app --bench SECONDS`, driven by `augur bench window`):
//! camera-to-screen latency of the frames the page draws, and how fast an image of the scope's
//! size reaches the page by Tauri's binary IPC versus a loopback HTTP stream with a per-session
//! token. The loopback server runs only in this mode; the app itself uses IPC (see
//! bench/results/window.md for why).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// What the page needs to run the benchmark.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchInfo {
    /// How long to draw live frames before the transport comparison.
    pub seconds: f64,
    /// `http://127.0.0.1:PORT`, the loopback server.
    pub loopback: String,
    /// The token every loopback request must carry.
    pub token: String,
}

/// Largest image either transport serves: 4096 × 4096 RGBA.
pub const MAX_SIDE: u32 = 4096;

/// The test image both transports send: the IPC frame format (16-byte header, RGBA), filled
/// with a gradient so nothing can compress it away.
pub fn payload(width: u32, height: u32) -> Vec<u8> {
    let rgb: Vec<u8> = (0..width as usize * height as usize)
        .flat_map(|i| [(i % 251) as u8, (i / 7 % 253) as u8, (i % 17) as u8])
        .collect();
    crate::commands::rgba_image(width, height, 0, &rgb)
}

/// Starts the loopback server on a free port; it answers `GET /payload?token=T&width=W&height=H`
/// and refuses anything without the token.
pub fn start(seconds: f64) -> Result<BenchInfo, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot open a loopback port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let token = token();
    let expected = token.clone();
    std::thread::Builder::new()
        .name("augur-bench-loopback".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let expected = expected.clone();
                std::thread::spawn(move || serve(stream, &expected));
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(BenchInfo { seconds, loopback: format!("http://127.0.0.1:{port}"), token })
}

/// 128 unguessable bits, from the standard library's per-process random hasher keys.
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

fn serve(mut stream: TcpStream, token: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    let mut reader = BufReader::new(&stream);
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers; the request line says everything this server needs.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let query = line.split_whitespace().nth(1).and_then(|p| p.strip_prefix("/payload?")).unwrap_or("");
    let field = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
    let size = |name| field(name).and_then(|v| v.parse::<u32>().ok()).filter(|v| (1..=MAX_SIDE).contains(v));
    let (status, body) = match (field("token") == Some(token), size("width"), size("height")) {
        (false, _, _) => ("403 Forbidden", b"a valid token is required".to_vec()),
        (true, Some(w), Some(h)) => ("200 OK", payload(w, h)),
        _ => ("400 Bad Request", format!("width and height must be 1 to {MAX_SIDE}").into_bytes()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\
         Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
}

/// Resident memory of this process in MB (Linux; `None` elsewhere).
pub fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time this process has used, in seconds (Linux; `None` elsewhere).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read;

    use super::*;

    fn get(base: &str, path: &str) -> (String, Vec<u8>) {
        let addr = base.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (String::from_utf8_lossy(&out[..split]).into_owned(), out[split + 4..].to_vec())
    }

    #[test]
    fn the_loopback_server_needs_the_token_and_sane_sizes() {
        let info = start(1.0).unwrap();
        let (head, body) = get(&info.loopback, &format!("/payload?token={}&width=64&height=48", info.token));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert_eq!(body, payload(64, 48));
        assert_eq!(body.len(), 16 + 64 * 48 * 4);
        let (head, _) = get(&info.loopback, "/payload?token=wrong&width=64&height=48");
        assert!(head.starts_with("HTTP/1.1 403"), "{head}");
        let (head, _) = get(&info.loopback, &format!("/payload?token={}&width=0&height=48", info.token));
        assert!(head.starts_with("HTTP/1.1 400"), "{head}");
        assert_ne!(info.token, start(1.0).unwrap().token, "each session has its own token");
        assert!(rss_mb().unwrap() > 1.0 && cpu_seconds().unwrap() >= 0.0);
    }
}
