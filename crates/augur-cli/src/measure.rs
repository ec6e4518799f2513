//! Small measurements the CLI reports: latency percentiles, and a process's CPU time and memory
//! as Linux's /proc tells them (the benchmarks measure themselves or a child they started).

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

/// `/proc/self` or `/proc/PID`.
fn proc_dir(pid: Option<u32>) -> String {
    pid.map_or_else(|| "/proc/self".into(), |p| format!("/proc/{p}"))
}

/// CPU ticks (user + system) a process has used; Linux fixes this interface at 100 per second.
pub fn cpu_ticks(pid: Option<u32>) -> Option<u64> {
    // Fields 14 and 15 of stat, counted after the command name (which may hold spaces).
    let stat = std::fs::read_to_string(format!("{}/stat", proc_dir(pid))).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A memory figure of a process's status in MB: `VmRSS` (resident now), `VmHWM` (peak).
pub fn memory_mb(pid: Option<u32>, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("{}/status", proc_dir(pid))).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kb: f64 = line.split_whitespace().next()?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time used by this process so far (user + system).
fn process_cpu_time() -> Option<Duration> {
    cpu_ticks(None).map(|t| Duration::from_millis(t * 10))
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
    fn proc_figures_of_this_process() {
        let rss = memory_mb(None, "VmRSS").unwrap();
        assert!(rss > 1.0 && rss <= memory_mb(None, "VmHWM").unwrap(), "{rss}");
        assert_eq!(memory_mb(Some(std::process::id()), "VmRSS").map(|m| m > 1.0), Some(true));
        assert!(memory_mb(None, "NoSuchField").is_none());
        assert!(cpu_ticks(Some(u32::MAX)).is_none(), "no such process");
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
