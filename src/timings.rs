//! Where a run's time goes: with `ALERTNOISE_TIMINGS=1` in the environment,
//! each pipeline stage prints its wall time to stderr, the CPU time all the
//! process's threads spent in it (CPU over wall shows how many of the cores
//! the stage kept busy), and the process's resident memory when it ended and
//! its peak so far (how BENCHMARKS.md's per-stage table is measured). Without
//! it, nothing is printed.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("ALERTNOISE_TIMINGS").is_some_and(|v| v != "0"))
}

/// Runs one stage, and prints its name and wall time when timings are asked for.
pub fn stage<T>(name: &str, work: impl FnOnce() -> T) -> T {
    if !enabled() {
        return work();
    }
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let result = work();
    let cpu = match (cpu_start, cpu_seconds()) {
        (Some(a), Some(b)) => format!("{:>7.2}", b - a),
        _ => "      ?".to_string(),
    };
    eprintln!(
        "timing: {name:<24} {:>9.3} s  cpu {cpu} s  now {:>6} MiB  peak {:>6} MiB",
        start.elapsed().as_secs_f64(),
        status_mib("VmRSS:").map_or("?".to_string(), |m| m.to_string()),
        status_mib("VmHWM:").map_or("?".to_string(), |m| m.to_string())
    );
    result
}

/// One of the process's memory figures in MiB (Linux: `VmRSS:` resident
/// now, `VmHWM:` the peak so far).
fn status_mib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The CPU time (user and system) all the process's threads have used so
/// far, in seconds (Linux: `/proc/self/stat`, in the kernel's clock ticks of
/// 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name in parentheses may hold spaces: count fields after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // utime and stime are the stat's 14th and 15th fields, the 12th and 13th after the name.
    let user: f64 = fields.nth(11)?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}
