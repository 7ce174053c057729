//! Alertmanager API v2 answers: `GET /api/v2/alerts` (a list of alerts) and
//! `GET /api/v2/alerts/groups` (a list of groups, each with its alerts).
//!
//! These are snapshots of the alerts active when the answer was taken. An
//! episode is keyed by (fingerprint, `startsAt`) like a webhook's; `endsAt`
//! is a lease in the future, not an end. An alert is `silenced` when its
//! `status.silencedBy` names a silence (`inhibitedBy` is not a silence). A
//! directory of answers saved over time (a poller) is a history: the answer's
//! time is its latest `updatedAt`, and an alert missing from a later answer
//! ended, at the latest, when that answer was taken (see `assemble.rs`).
//! An alert shown in several groups (several receivers) is one episode.
//! See `docs/formats/alertmanager-api.md`.

use super::{json_records, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::{Episode, Origin};
use crate::fingerprint::fingerprint;
use crate::problem::{LineIndex, Problem};
use crate::timefmt::{format_millis, parse_stamp, Millis, Stamp};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The Alertmanager API v2 alerts format.
pub struct AlertmanagerApi;

/// The name in the `source` column.
pub const NAME: &str = "alertmanager-api";

/// One saved answer: when it was taken and which episodes it showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The answer's file.
    pub file: String,
    /// The latest `updatedAt` in the answer.
    pub taken_at: Millis,
    /// (fingerprint, starts_at) of every alert in it.
    pub seen: Vec<(String, Millis)>,
}

#[derive(Deserialize)]
struct Alert {
    labels: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "endsAt")]
    ends_at: Option<String>,
    #[serde(rename = "updatedAt")]
    updated_at: Option<String>,
    fingerprint: Option<String>,
    status: Option<Status>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(rename = "silencedBy", default)]
    silenced_by: Vec<String>,
}

impl Source for AlertmanagerApi {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Alertmanager API v2 answers: GET /api/v2/alerts or /api/v2/alerts/groups (active alerts, silencedBy); a directory of answers saved over time is a history"
    }

    fn detection(&self) -> &'static str {
        "JSON alerts with a \"status\" object holding \"silencedBy\" or \"inhibitedBy\""
    }

    fn example(&self) -> &'static str {
        r#"[{"labels":{"alertname":"HighLatency"},"receiver":{"name":"oncall"},"alerts":[{"labels":{"alertname":"HighLatency","service":"payments"},"fingerprint":"1a2b3c4d5e6f7a8b",
  "startsAt":"2026-10-19T10:00:00Z","endsAt":"2026-10-19T10:04:00Z","updatedAt":"2026-10-19T10:00:30Z","status":{"state":"suppressed","silencedBy":["810ccf7f"],"inhibitedBy":[]}}]}]"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"silencedBy\"") || head.contains("\"inhibitedBy\"")
    }

    fn read(&self, file: &InputFile, text: &str, _context: &ReadContext) -> SourceOutput {
        let lines = LineIndex::new(text.as_bytes());
        let (items, mut problems) =
            json_records::page_items(&file.name, text, &lines, &["alerts"], None);
        let mut episodes: Vec<Episode> = Vec::new();
        let mut taken_at: Option<Millis> = None;
        let mut seen = Vec::new();
        let mut ends = Vec::new();
        for (offset, raw) in items {
            let line = lines.line(offset);
            let alert: Alert = match serde_json::from_str(raw) {
                Ok(a) => a,
                Err(e) => {
                    problems.push(Problem::skipped(
                        &file.name,
                        line,
                        0,
                        format!("not an Alertmanager API alert ({e}); skipped"),
                    ));
                    continue;
                }
            };
            match read_alert(alert, &file.name, line) {
                Ok((episode, updated, lease)) => {
                    if let Some(t) = updated {
                        taken_at = Some(taken_at.map_or(t, |s: Millis| s.max(t)));
                    }
                    seen.push((
                        episode.fingerprint.to_string(),
                        episode.starts_at.unwrap_or(0),
                    ));
                    ends.push(lease);
                    episodes.push(episode);
                }
                Err(reason) => problems.push(Problem::skipped(&file.name, line, 0, reason)),
            }
        }
        // A lease that ran out before the answer was taken: the alert resolved then.
        if let Some(taken) = taken_at {
            for (episode, lease) in episodes.iter_mut().zip(ends) {
                if let Some(end) = lease.filter(|end| *end < taken) {
                    episode.ends_at = Some(end.max(episode.starts_at.unwrap_or(end)));
                }
            }
        }
        let snapshots = taken_at
            .map(|taken_at| Snapshot {
                file: file.name.clone(),
                taken_at,
                seen,
            })
            .into_iter()
            .collect();
        SourceOutput {
            episodes,
            problems,
            snapshots,
            ..SourceOutput::default()
        }
    }
}

/// The alert as an episode, its `updatedAt`, and its `endsAt` lease.
fn read_alert(
    alert: Alert,
    file: &str,
    line: u64,
) -> Result<(Episode, Option<Millis>, Option<Millis>), String> {
    let time = |name: &str, text: Option<&str>| match text.map(parse_stamp) {
        None | Some(Ok(Stamp::Unset)) => Ok(None),
        Some(Ok(Stamp::At(t))) => Ok(Some(t)),
        Some(Err(e)) => Err(format!("{name}: {e}; alert skipped")),
    };
    let rule = alert
        .labels
        .get("alertname")
        .cloned()
        .ok_or("alert without an alertname label; skipped")?;
    let starts_at = time("startsAt", Some(&alert.starts_at))?
        .ok_or_else(|| format!("alert {rule} has no startsAt; skipped"))?;
    let updated = time("updatedAt", alert.updated_at.as_deref())?;
    let lease = time("endsAt", alert.ends_at.as_deref())?;
    if let Some(end) = lease.filter(|end| *end < starts_at) {
        return Err(format!(
            "alert {rule}: endsAt {} is before startsAt {}; skipped",
            format_millis(end),
            format_millis(starts_at)
        ));
    }
    let fingerprint = alert
        .fingerprint
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| fingerprint(&alert.labels));
    let silenced = alert.status.is_some_and(|s| !s.silenced_by.is_empty());
    Ok((
        Episode {
            source: NAME,
            rule: rule.into(),
            fingerprint: fingerprint.into(),
            labels: alert.labels.into(),
            starts_at: Some(starts_at),
            notifications: 0,
            silenced,
            origin: Origin {
                file: file.into(),
                line,
            },
            ..Episode::default()
        },
        updated,
        lease,
    ))
}
