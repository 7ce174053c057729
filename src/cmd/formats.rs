//! `alertnoise formats`: every input format, how it is detected, and an example.

use crate::sources::all_sources;

/// Arguments of `alertnoise formats` (none).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the formats.
pub fn run(_args: &Args) -> crate::error::Result<()> {
    for source in all_sources() {
        println!("{}\n  {}\n  example:", source.name(), source.description());
        for line in source.example().lines() {
            println!("    {line}");
        }
        println!();
    }
    println!("reviews (with --reviews FILE)\n  CSV with `actionable` (yes/no) and incident_id, fingerprint + starts_at, rule + starts_at, or rule.\n  example:\n    rule,starts_at,actionable,note\n    HostHighCpu,,no,never acted on\n");
    Ok(())
}
