//! Where a run's time goes: with `ALERTNOISE_TIMINGS=1` in the environment,
//! each pipeline stage prints its wall time to stderr (how BENCHMARKS.md's
//! per-stage table is measured). Without it, nothing is printed.

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
        "timing: {name:<24} {:>9.3} s",
        start.elapsed().as_secs_f64()
    );
    result
}
