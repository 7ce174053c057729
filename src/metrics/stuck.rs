//! Stuck alerts: episodes that fired for longer than `--stuck` (default
//! 3d), and rules whose alerts never resolved in the window — a page
//! nobody can act on any more, or a rule that can no longer tell healthy
//! from broken (Datadog's Monitor Quality and Kibana flag the same).
//!
//! An episode counts when it fired inside the window (it started before
//! the window's end and had not ended before its start); its firing time
//! runs from its start to its end, or to the window's end while it still
//! fires. A rule never resolves when none of its episodes that fired in
//! the window ended inside it.

use super::Window;
use crate::episode_table::NO_TIME;
use crate::episodes::EpisodeTable;
use crate::timefmt::{format_duration, format_millis, Millis};
use serde::Serialize;

/// The default `--stuck`.
pub const DEFAULT_STUCK_MS: Millis = 3 * 86_400_000;

/// How many stuck episodes are listed (the longest first; all are counted).
pub const LISTED: usize = 50;

/// One episode that fired too long.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StuckEpisode {
    /// The rule.
    pub rule: String,
    /// Its instance's fingerprint.
    pub fingerprint: String,
    /// Its labels (JSON, keys sorted).
    pub labels: String,
    /// When it started firing.
    pub starts_at: String,
    /// When it resolved; null while it still fires.
    pub ends_at: Option<String>,
    /// How long it fired, up to the window's end.
    pub firing: String,
    /// The same in seconds.
    pub firing_s: f64,
}

/// A rule none of whose episodes resolved in the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NeverResolves {
    /// The rule.
    pub rule: String,
    /// Its episodes that fired in the window.
    pub episodes: u64,
    /// Of those, the ones still firing at the window's end.
    pub still_firing: u64,
}

/// The stuck alerts of a window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StuckReport {
    /// `--stuck`, as a duration.
    pub stuck: String,
    /// How many episodes fired longer than that.
    pub total: usize,
    /// The longest of them, at most [`LISTED`].
    pub episodes: Vec<StuckEpisode>,
    /// Rules whose alerts never resolved in the window.
    pub never_resolve: Vec<NeverResolves>,
}

/// Finds the stuck alerts of `window` (see the module's docs).
pub fn stuck(table: &EpisodeTable, window: &Window, stuck_ms: Millis) -> StuckReport {
    let mut long: Vec<(Millis, usize)> = Vec::new();
    // Per rule code: episodes in the window, still firing, resolved inside it.
    let rules = table.rules();
    let mut per_rule = vec![(0u64, 0u64, 0u64); rules.values().len() + 1];
    let (starts, ends) = (table.starts().millis(), table.ends().millis());
    for (row, (&start, &end)) in starts.iter().zip(ends).enumerate() {
        let end = (end != NO_TIME).then_some(end);
        if start == NO_TIME || start >= window.until || end.is_some_and(|end| end < window.since) {
            continue;
        }
        let counts = &mut per_rule[rules.codes()[row] as usize];
        counts.0 += 1;
        match end {
            Some(end) if end < window.until => counts.2 += 1,
            _ => counts.1 += 1,
        }
        let firing = end.unwrap_or(window.until).min(window.until) - start;
        if firing > stuck_ms {
            long.push((firing, row));
        }
    }
    long.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let episodes = long
        .iter()
        .take(LISTED)
        .map(|&(firing, row)| {
            let e = table.get(row);
            StuckEpisode {
                rule: e.rule().to_string(),
                fingerprint: e.fingerprint().to_string(),
                labels: e.labels().json().to_string(),
                starts_at: e.starts_at().map(format_millis).unwrap_or_default(),
                ends_at: e.ends_at().map(format_millis),
                firing: format_duration(firing),
                firing_s: firing as f64 / 1000.0,
            }
        })
        .collect();
    StuckReport {
        stuck: format_duration(stuck_ms),
        total: long.len(),
        episodes,
        never_resolve: {
            let mut rows: Vec<NeverResolves> = (per_rule.iter().enumerate())
                .filter(|(_, (episodes, _, resolved))| *episodes > 0 && *resolved == 0)
                .map(|(code, &(episodes, still_firing, _))| NeverResolves {
                    rule: rules.text_or_empty(code as u32),
                    episodes,
                    still_firing,
                })
                .collect();
            rows.sort_by(|a, b| a.rule.cmp(&b.rule));
            rows
        },
    }
}
