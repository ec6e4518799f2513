//! Small measurements the CLI reports: latency percentiles and the process's CPU use.

use std::time::{Duration, Instant};

/// The `p`-th percentile (0–100) of `values`, in milliseconds; `None` when empty.
pub fn percentile_ms(values: &mut [Duration], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values.get(rank.min(values.len() - 1)).map(|d| d.as_secs_f64() * 1e3)
}

/// CPU time used by this process so far (user + system), where the OS tells us.
fn process_cpu_time() -> Option<Duration> {
    // /proc/self/stat fields 14 and 15 are utime and stime in USER_HZ ticks, which Linux
    // fixes at 100 per second for this interface.
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Measures the process's CPU use between `start` and `percent`.
pub struct CpuMeter {
    wall: Instant,
    cpu: Option<Duration>,
}

impl CpuMeter {
    pub fn start() -> Self {
        Self { wall: Instant::now(), cpu: process_cpu_time() }
    }

    /// CPU use since `start` as a percentage of one core (200% = both cores of this machine).
    pub fn percent(&self) -> Option<f64> {
        let used = process_cpu_time()?.checked_sub(self.cpu?)?;
        let wall = self.wall.elapsed().as_secs_f64();
        (wall > 0.0).then(|| 100.0 * used.as_secs_f64() / wall)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_ranked_values() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&mut v, 50.0).unwrap().round(), 51.0);
        assert_eq!(percentile_ms(&mut v, 99.0).unwrap().round(), 99.0);
        assert!(percentile_ms(&mut [], 50.0).is_none());
    }

    #[test]
    fn cpu_meter_sees_busy_work() {
        let m = CpuMeter::start();
        let t = Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(m.percent().unwrap() > 30.0);
    }
}
