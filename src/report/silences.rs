//! The "Silence hygiene" section of `report.md` and `silences.json`, where
//! Alertmanager's silences were given.

use crate::metrics::silence_hygiene::{SilenceHygiene, SilenceRow};

/// `silences.json`: the figures as pretty JSON.
pub fn json(report: &SilenceHygiene) -> crate::error::Result<Vec<u8>> {
    super::pretty_json(report, "silences.json")
}

use super::markdown::md_code as cell;

fn table(out: &mut String, rows: &[SilenceRow]) {
    out.push_str("| silence | matchers | created by | comment | from | until | length | episodes |\n|---|---|---|---|---|---|---|---:|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} | {} | {} |\n",
            cell(&r.id),
            cell(&r.matchers),
            cell(&r.created_by),
            cell(&r.comment),
            r.starts_at,
            r.ends_at,
            r.duration,
            r.episodes
        ));
    }
    out.push('\n');
}

/// `report.md` with the section before "Rules with unknown actionability"
/// (or at the end).
pub fn insert_section(page: &str, report: &SilenceHygiene) -> String {
    let mut section = format!(
        "## Silence hygiene\n\n{} silences were in force in the window (the data: `silences.json`).\n\n",
        report.silences
    );
    if !report.long.is_empty() {
        section.push_str("### Silences longer than a week\n\nA silence this long is a rule nobody fixed: fix the rule or remove it, and let the silence go.\n\n");
        table(&mut section, &report.long);
    }
    if !report.unused.is_empty() {
        section.push_str("### Silences that matched nothing\n\nNo alert of the history fired into these: a typo in a matcher, or alerts that no longer exist.\n\n");
        table(&mut section, &report.unused);
    }
    if !report.by_rule.is_empty() {
        section.push_str("### Who silenced what\n\n");
        for r in &report.by_rule {
            let who: Vec<String> = (r.silences.iter())
                .map(|s| {
                    let comment = match s.comment.is_empty() {
                        true => String::new(),
                        false => format!(": \"{}\"", cell(&s.comment)),
                    };
                    format!("{} ({} episodes){comment}", cell(&s.created_by), s.episodes)
                })
                .collect();
            section.push_str(&format!(
                "- **{}**, {} silenced episodes: {}\n",
                cell(&r.rule),
                r.silenced_episodes,
                who.join("; ")
            ));
        }
        section.push('\n');
    }
    super::insert_before(page, "Rules with unknown actionability", &section)
}
