//! The alerts around one incident, for the post-incident retrospective
//! (`alertnoise retro`): a timeline of every alert that fired between
//! `--from` and `--to`, grouped by rule; which alert fired first and how long
//! after (or before) the incident started; which alerts during the incident
//! were noise (reviewed as needing no action) or are not reviewed yet; and
//! how long after the incident ended its alerts resolved.

use super::markdown::md_escape;
use crate::episodes::Episode;
use crate::timefmt::{format_millis, Millis};
use serde::Serialize;
use std::collections::BTreeMap;

/// The time frame of a retrospective.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// First instant looked at (`--from`).
    pub from: Millis,
    /// First instant not looked at (`--to`).
    pub to: Millis,
    /// When the incident started (`--incident-start`), if known.
    pub incident_start: Option<Millis>,
    /// When it ended (`--incident-end`), if known.
    pub incident_end: Option<Millis>,
}

/// One alert episode on the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The rule.
    pub rule: String,
    /// The instance's labels other than `alertname`, `k=v` joined.
    pub instance: String,
    /// When it started firing.
    pub start: Millis,
    /// When it resolved, if it did before `--to`.
    pub end: Option<Millis>,
    /// The review verdict or proxy, if any.
    pub actionable: Option<bool>,
    /// Where `actionable` came from: `review` or `proxy`.
    pub verdict_source: Option<&'static str>,
    /// When it was acknowledged.
    pub acked_at: Option<Millis>,
}

/// What the retrospective found.
#[derive(Debug, Clone, Serialize)]
pub struct Retro {
    /// Every episode that fired inside the frame, by rule, in start order.
    pub timeline: BTreeMap<String, Vec<Entry>>,
    /// The first alert to fire in the frame.
    pub first: Option<Entry>,
    /// The first alert the review meeting called actionable.
    pub first_actionable: Option<Entry>,
    /// Alerts that started during the incident and were reviewed as needing no action.
    pub noise_during: Vec<Entry>,
    /// Alerts that started during the incident with no review verdict yet.
    pub unreviewed_during: Vec<Entry>,
    /// The last alert of the incident to resolve (among those firing while
    /// it lasted), and whether any is still firing at `--to`.
    pub last_resolved: Option<Millis>,
    /// Alerts of the incident still firing at `--to`.
    pub still_firing: usize,
}

fn instance(e: &Episode) -> String {
    e.labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the retrospective from merged episodes.
pub fn build(episodes: &[Episode], frame: Frame) -> Retro {
    let mut entries: Vec<Entry> = episodes
        .iter()
        .filter_map(|e| {
            let start = e.starts_at?;
            // Fired inside the frame: started before its end, still firing after its start.
            let inside = start < frame.to && e.ends_at.is_none_or(|end| end > frame.from);
            inside.then(|| Entry {
                rule: e.rule.clone(),
                instance: instance(e),
                start,
                end: e.ends_at.filter(|end| *end < frame.to),
                actionable: e.actionable,
                verdict_source: e.actionable_source,
                acked_at: e.acked_at,
            })
        })
        .collect();
    entries.sort_by(|a, b| (a.start, &a.rule, &a.instance).cmp(&(b.start, &b.rule, &b.instance)));
    let mut timeline: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for e in &entries {
        timeline.entry(e.rule.clone()).or_default().push(e.clone());
    }
    let first = entries.first().cloned();
    // Noise and signal by the review meeting's verdicts only: the
    // acknowledgement proxy says little during an incident, when people
    // acknowledge what they are already working on.
    let reviewed = |e: &Entry, verdict: bool| {
        e.verdict_source == Some("review") && e.actionable == Some(verdict)
    };
    let first_actionable = entries.iter().find(|e| reviewed(e, true)).cloned();
    let (during_start, during_end) = (
        frame.incident_start.unwrap_or(frame.from),
        frame.incident_end.unwrap_or(frame.to),
    );
    let started_during = |e: &&Entry| e.start >= during_start && e.start < during_end;
    let noise_during = entries
        .iter()
        .filter(started_during)
        .filter(|e| reviewed(e, false))
        .cloned()
        .collect();
    let unreviewed_during = entries
        .iter()
        .filter(started_during)
        .filter(|e| e.verdict_source != Some("review"))
        .cloned()
        .collect();
    // The incident's alerts: firing at some time while it lasted, not noise.
    let of_incident: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.start < during_end && e.end.is_none_or(|end| end > during_start))
        .filter(|e| !reviewed(e, false))
        .collect();
    Retro {
        timeline,
        first,
        first_actionable,
        noise_during,
        unreviewed_during,
        last_resolved: of_incident.iter().filter_map(|e| e.end).max(),
        still_firing: of_incident.iter().filter(|e| e.end.is_none()).count(),
    }
}

/// A signed offset from a reference time, `+4m 30s` / `-2m` / `0s`.
pub fn offset(t: Millis, reference: Millis) -> String {
    let d = (t - reference) / 1000;
    let sign = if d < 0 { "-" } else { "+" };
    let d = d.abs();
    let text = match d {
        0 => return "0s".into(),
        1..=59 => format!("{d}s"),
        60..=3599 if d % 60 == 0 => format!("{}m", d / 60),
        60..=3599 => format!("{}m {}s", d / 60, d % 60),
        _ => format!("{}h {}m", d / 3600, (d % 3600) / 60),
    };
    format!("{sign}{text}")
}

fn verdict(e: &Entry) -> String {
    match (e.actionable, e.verdict_source) {
        (Some(true), Some("review")) => "actionable".into(),
        (Some(false), Some("review")) => "noise".into(),
        (Some(a), Some(source)) => format!(
            "not reviewed ({source}: {})",
            if a { "actionable" } else { "noise" }
        ),
        _ => "not reviewed".into(),
    }
}

/// The retrospective as Markdown.
pub fn markdown(r: &Retro, frame: Frame) -> String {
    let reference = frame.incident_start.unwrap_or(frame.from);
    let at = |t: Millis| format!("{} ({})", format_millis(t), offset(t, reference));
    let mut out = format!(
        "# Alerts around the incident\n\nFrom {} to {}.",
        format_millis(frame.from),
        format_millis(frame.to)
    );
    if let Some(start) = frame.incident_start {
        out.push_str(&format!(" Incident started {}", format_millis(start)));
        if let Some(end) = frame.incident_end {
            out.push_str(&format!(", ended {}", format_millis(end)));
        }
        out.push('.');
    }
    out.push_str(" Times in brackets are relative to the incident's start.\n\n## Detection\n\n");
    match &r.first {
        None => out.push_str("No alert fired in this time.\n\n"),
        Some(first) => {
            out.push_str(&format!(
                "First alert: **{}** ({}) at {}.\n",
                md_escape(&first.rule),
                md_escape(&first.instance),
                at(first.start)
            ));
            if let Some(a) = &r.first_actionable {
                out.push_str(&format!(
                    "First alert reviewed as actionable: **{}** at {}.\n",
                    md_escape(&a.rule),
                    at(a.start)
                ));
            }
            out.push('\n');
        }
    }
    if frame.incident_end.is_some() {
        out.push_str("## Reset\n\n");
        match (r.last_resolved, r.still_firing) {
            (_, n) if n > 0 => out.push_str(&format!(
                "{n} alert(s) of the incident were still firing at {}.\n\n",
                format_millis(frame.to)
            )),
            (Some(last), _) => out.push_str(&format!(
                "The incident's alerts had all resolved {} after it ended ({}).\n\n",
                offset(last, frame.incident_end.unwrap_or(last)).trim_start_matches('+'),
                format_millis(last)
            )),
            (None, _) => out.push_str("No alert fired while the incident lasted.\n\n"),
        }
    }
    out.push_str("## Noise during the incident\n\n");
    if r.noise_during.is_empty() && r.unreviewed_during.is_empty() {
        out.push_str(
            "Every alert that started during the incident was reviewed as actionable.\n\n",
        );
    } else {
        for (what, list) in [
            (
                "Reviewed as needing no action (noise while people were busy)",
                &r.noise_during,
            ),
            (
                "Not reviewed yet (give verdicts with --reviews)",
                &r.unreviewed_during,
            ),
        ] {
            if !list.is_empty() {
                let names: Vec<String> = list
                    .iter()
                    .map(|e| format!("{} at {}", md_escape(&e.rule), offset(e.start, reference)))
                    .collect();
                out.push_str(&format!("{what}: {}.\n\n", names.join("; ")));
            }
        }
    }
    out.push_str("## Timeline\n\n| rule | instance | started | resolved | verdict | acknowledged |\n|---|---|---|---|---|---|\n");
    for (rule, list) in &r.timeline {
        for e in list {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md_escape(rule),
                md_escape(&e.instance),
                offset(e.start, reference),
                e.end
                    .map_or("still firing".into(), |t| offset(t, reference)),
                verdict(e),
                e.acked_at.map_or("-".into(), |t| offset(t, reference))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_signed_and_short() {
        assert_eq!(offset(1_000, 0), "+1s");
        assert_eq!(offset(0, 150_000), "-2m 30s");
        assert_eq!(offset(7_260_000, 0), "+2h 1m");
        assert_eq!(offset(5, 5), "0s");
    }
}
