//! The window's own benchmark (`augur-app --bench SECONDS`, driven by `augur bench window`):
//! camera-to-screen latency of the frames the page draws, and how fast an image of each size
//! reaches the page by Tauri's binary IPC versus the loopback frame stream (`stream.rs`).

/// What the page needs to run the benchmark (the loopback side is the frame stream).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchInfo {
    /// How long to draw live frames before the transport comparison.
    pub seconds: f64,
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
    #[test]
    fn the_test_image_is_a_frame_and_the_process_is_measured() {
        let p = super::payload(64, 48);
        assert_eq!(p.len(), 16 + 64 * 48 * 4);
        assert_eq!(&p[..8], &[64, 0, 0, 0, 48, 0, 0, 0]);
        assert!(super::rss_mb().unwrap() > 1.0 && super::cpu_seconds().unwrap() > 0.0);
    }
}
