//! Where a run's time goes: with `ALERTNOISE_TIMINGS=1` in the environment,
//! each pipeline stage prints its wall time to stderr, and the process's peak
//! resident memory when it ended (how BENCHMARKS.md's per-stage table is
//! measured). Without it, nothing is printed.

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
    let result = work();
    eprintln!(
        "timing: {name:<24} {:>9.3} s  peak {:>6} MiB",
        start.elapsed().as_secs_f64(),
        peak_mib().map_or("?".to_string(), |m| m.to_string())
    );
    result
}

/// The process's peak resident memory so far (Linux: `VmHWM`), in MiB.
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
