//! The "Stuck alerts" section of `report.md` and `stuck.json`: episodes
//! that fired longer than `--stuck`, and rules that never resolve.

use super::markdown::{md_code, md_prose};
use crate::metrics::stuck::StuckReport;

/// How many stuck episodes the section lists.
pub const SHOWN: usize = 15;

/// `stuck.json`: the report as pretty JSON.
pub fn json(report: &StuckReport) -> crate::error::Result<Vec<u8>> {
    super::pretty_json(report, "stuck.json")
}

/// `report.md` with the section before its data-quality section (or at the
/// end); unchanged when nothing is stuck.
pub fn insert_section(page: &str, report: &StuckReport) -> String {
    if report.total == 0 && report.never_resolve.is_empty() {
        return page.to_string();
    }
    let episodes = match report.total {
        1 => "1 episode".to_string(),
        n => format!("{n} episodes"),
    };
    let mut section = format!(
        "## Stuck alerts\n\n{episodes} fired for longer than {}: an alert that stays on stops telling anyone anything \
         (it cannot fire again while it fires), and one nobody can resolve trains people to ignore it.\n\n",
        report.stuck
    );
    if !report.episodes.is_empty() {
        section.push_str("| rule | labels | since | until | firing |\n|---|---|---|---|---:|\n");
        for e in report.episodes.iter().take(SHOWN) {
            section.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                md_prose(&e.rule),
                md_code(&e.labels),
                e.starts_at,
                e.ends_at.as_deref().unwrap_or("still firing"),
                e.firing
            ));
        }
        section.push('\n');
    }
    if !report.never_resolve.is_empty() {
        section.push_str("Rules whose alerts never resolved in the window:\n\n");
        for r in &report.never_resolve {
            section.push_str(&format!(
                "- **{}**: {} episodes, {} still firing at the window's end\n",
                r.rule, r.episodes, r.still_firing
            ));
        }
        section.push('\n');
    }
    super::insert_before(page, "Data quality", &section)
}
