//! `alertnoise formats`: every input format, how it is detected, and an example.

use crate::sources::all_sources;

/// Arguments of `alertnoise formats` (none).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the formats.
pub fn run(_args: &Args) -> crate::error::Result<()> {
    let mut text = String::new();
    for source in all_sources() {
        text.push_str(&format!(
            "{}\n  {}\n  detected by: {}\n",
            source.name(),
            source.description(),
            source.detection()
        ));
        if !source.fields().is_empty() {
            text.push_str("  fields (default columns; --map COLUMN=FIELD to name another):\n");
            for field in source.fields() {
                text.push_str(&format!(
                    "    {:<22} {} ({})\n",
                    field.name,
                    field.columns.join(", "),
                    field.meaning
                ));
            }
        }
        text.push_str("  example:\n");
        for line in source.example().lines() {
            text.push_str(&format!("    {line}\n"));
        }
        text.push('\n');
    }
    text.push_str("reviews (with --reviews FILE)\n  CSV with `actionable` (yes/no) and incident_id, fingerprint + starts_at, rule + starts_at, or rule.\n  example:\n    rule,starts_at,actionable,note\n    HostHighCpu,,no,never acted on\n");
    super::print_out(&text)
}
