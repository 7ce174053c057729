//! Silence hygiene, where Alertmanager's silences were given: silences
//! longer than a week (a silence that long is a rule nobody fixed),
//! silences that matched nothing (a typo, or an alert that no longer
//! exists), and for each rule that fired into silences, which silences
//! and who made them, with their comments (`silences.json` and the
//! report's "Silence hygiene" section).
//!
//! A silence counts when it was in force at some time inside the window.
//! What it matched is every episode of the history it matched while in
//! force (`sources::assemble`).

use super::Window;
use crate::sources::assemble::SilenceUse;
use crate::timefmt::{format_duration, format_millis, Millis};
use serde::Serialize;
use std::collections::BTreeMap;

/// Silences in force longer than this are long.
pub const LONG_MS: Millis = 7 * 86_400_000;

/// One silence as the section lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SilenceRow {
    /// Its id.
    pub id: String,
    /// Its matchers as Alertmanager prints them.
    pub matchers: String,
    /// Who made it.
    pub created_by: String,
    /// Their comment.
    pub comment: String,
    /// In force from.
    pub starts_at: String,
    /// In force until.
    pub ends_at: String,
    /// How long, as a duration.
    pub duration: String,
    /// Episodes it matched.
    pub episodes: u64,
}

/// The silences over one rule's episodes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleSilences {
    /// The rule.
    pub rule: String,
    /// Its episodes the silences matched.
    pub silenced_episodes: u64,
    /// The silences, the most episodes first: id, who, why, how many.
    pub silences: Vec<SilenceRow>,
}

/// The section's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SilenceHygiene {
    /// Silences in force inside the window.
    pub silences: usize,
    /// Of those, in force longer than a week.
    pub long: Vec<SilenceRow>,
    /// Of those, matching no episode.
    pub unused: Vec<SilenceRow>,
    /// Rules whose episodes fired into them.
    pub by_rule: Vec<RuleSilences>,
}

fn row(u: &SilenceUse, episodes: u64) -> SilenceRow {
    let s = &u.silence;
    SilenceRow {
        id: s.id.clone(),
        matchers: s.matchers_text(),
        created_by: s.created_by.clone(),
        comment: s.comment.clone(),
        starts_at: format_millis(s.starts_at),
        ends_at: format_millis(s.ends_at),
        duration: format_duration(s.ends_at - s.starts_at),
        episodes,
    }
}

/// The hygiene of the silences in force inside `window`; `None` when no
/// silences were read.
pub fn hygiene(uses: &[SilenceUse], window: &Window) -> Option<SilenceHygiene> {
    if uses.is_empty() {
        return None;
    }
    let in_window: Vec<&SilenceUse> = (uses.iter())
        .filter(|u| u.silence.starts_at < window.until && u.silence.ends_at > window.since)
        .collect();
    let length = |u: &&&SilenceUse| u.silence.ends_at - u.silence.starts_at;
    let mut long_uses: Vec<&&SilenceUse> =
        (in_window.iter()).filter(|u| length(u) > LONG_MS).collect();
    long_uses.sort_by(|a, b| {
        length(b)
            .cmp(&length(a))
            .then_with(|| a.silence.id.cmp(&b.silence.id))
    });
    let long: Vec<SilenceRow> = long_uses.iter().map(|u| row(u, u.episodes)).collect();
    let unused = (in_window.iter())
        .filter(|u| u.episodes == 0)
        .map(|u| row(u, 0))
        .collect();
    let mut by_rule: BTreeMap<&str, Vec<SilenceRow>> = BTreeMap::new();
    for u in &in_window {
        for (rule, &n) in &u.rules {
            by_rule.entry(rule).or_default().push(row(u, n));
        }
    }
    let mut by_rule: Vec<RuleSilences> = (by_rule.into_iter())
        .map(|(rule, mut silences)| {
            silences.sort_by(|a, b| b.episodes.cmp(&a.episodes).then_with(|| a.id.cmp(&b.id)));
            RuleSilences {
                rule: rule.to_string(),
                silenced_episodes: silences.iter().map(|s| s.episodes).sum(),
                silences,
            }
        })
        .collect();
    by_rule.sort_by(|a, b| {
        (b.silenced_episodes)
            .cmp(&a.silenced_episodes)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    Some(SilenceHygiene {
        silences: in_window.len(),
        long,
        unused,
        by_rule,
    })
}
