//! The alerts around one incident, for the post-incident retrospective
//! (`alertnoise retro`): a timeline of every alert that fired between
//! `--from` and `--to`, grouped by rule; which alert fired first and how long
//! after (or before) the incident started; which alerts during the incident
//! were noise (reviewed as needing no action) or are not reviewed yet; and
//! how long after the incident ended its alerts resolved.

use super::markdown::md_escape;
use crate::episodes::{EpisodeRef, EpisodeTable};
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

fn instance(e: EpisodeRef) -> String {
    e.labels()
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the retrospective from merged episodes.
pub fn build(episodes: &EpisodeTable, frame: Frame) -> Retro {
    let mut entries: Vec<Entry> = episodes
        .iter()
        .filter_map(|e| {
            let start = e.starts_at()?;
            // Fired inside the frame: started before its end, still firing after its start.
            let inside = start < frame.to && e.ends_at().is_none_or(|end| end > frame.from);
            inside.then(|| Entry {
                rule: e.rule().to_string(),
                instance: instance(e),
                start,
                end: e.ends_at().filter(|end| *end < frame.to),
                actionable: e.actionable(),
                verdict_source: e.actionable_source(),
                acked_at: e.acked_at(),
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

/// One alert on the timeline, formatted (unescaped).
#[derive(Debug, Serialize)]
pub struct TimelineRow {
    /// The rule.
    pub rule: String,
    /// Its labels other than `alertname`.
    pub instance: String,
    /// Start, relative to the incident's start.
    pub started: String,
    /// End, relative, or `still firing`.
    pub resolved: String,
    /// `actionable`, `noise`, `not reviewed (…)`.
    pub verdict: String,
    /// Acknowledgement, relative, or `-`.
    pub acknowledged: String,
    /// Start in epoch ms, for sorting.
    pub start_ms: Millis,
}

/// The retrospective's sentences and table, formatted (unescaped) for a page.
#[derive(Debug, Serialize)]
pub struct RetroView {
    /// `From … to ….` and the incident's times.
    pub intro: String,
    /// The first alert: rule, instance, time.
    pub first: Option<(String, String, String)>,
    /// The first alert reviewed as actionable: rule, time.
    pub first_actionable: Option<(String, String)>,
    /// What the reset section says (only with `--incident-end`).
    pub reset: Option<String>,
    /// Noise during the incident: what it is, then "rule at offset" items.
    pub noise: Vec<(String, Vec<String>)>,
    /// Every alert, by rule, then start.
    pub timeline: Vec<TimelineRow>,
}

/// Formats the retrospective for a page.
pub fn view(r: &Retro, frame: Frame) -> RetroView {
    let reference = frame.incident_start.unwrap_or(frame.from);
    let at = |t: Millis| format!("{} ({})", format_millis(t), offset(t, reference));
    let mut intro = format!(
        "From {} to {}.",
        format_millis(frame.from),
        format_millis(frame.to)
    );
    if let Some(start) = frame.incident_start {
        intro.push_str(&format!(" Incident started {}", format_millis(start)));
        if let Some(end) = frame.incident_end {
            intro.push_str(&format!(", ended {}", format_millis(end)));
        }
        intro.push('.');
    }
    intro.push_str(" Times in brackets are relative to the incident's start.");
    let reset = frame
        .incident_end
        .map(|end| match (r.last_resolved, r.still_firing) {
            (_, n) if n > 0 => format!(
                "{n} alert(s) of the incident were still firing at {}.",
                format_millis(frame.to)
            ),
            (Some(last), _) => format!(
                "The incident's alerts had all resolved {} after it ended ({}).",
                offset(last, end).trim_start_matches('+'),
                format_millis(last)
            ),
            (None, _) => "No alert fired while the incident lasted.".to_string(),
        });
    let noise = [
        (
            "Reviewed as needing no action (noise while people were busy)",
            &r.noise_during,
        ),
        (
            "Not reviewed yet (give verdicts with --reviews)",
            &r.unreviewed_during,
        ),
    ]
    .into_iter()
    .filter(|(_, list)| !list.is_empty())
    .map(|(what, list)| {
        (
            what.to_string(),
            list.iter()
                .map(|e| format!("{} at {}", e.rule, offset(e.start, reference)))
                .collect(),
        )
    })
    .collect();
    let timeline = r
        .timeline
        .iter()
        .flat_map(|(rule, list)| {
            list.iter().map(move |e| TimelineRow {
                rule: rule.clone(),
                instance: e.instance.clone(),
                started: offset(e.start, reference),
                resolved: e
                    .end
                    .map_or("still firing".into(), |t| offset(t, reference)),
                verdict: verdict(e),
                acknowledged: e.acked_at.map_or("-".into(), |t| offset(t, reference)),
                start_ms: e.start,
            })
        })
        .collect();
    RetroView {
        intro,
        first: r
            .first
            .as_ref()
            .map(|f| (f.rule.clone(), f.instance.clone(), at(f.start))),
        first_actionable: r
            .first_actionable
            .as_ref()
            .map(|a| (a.rule.clone(), at(a.start))),
        reset,
        noise,
        timeline,
    }
}

/// The retrospective as Markdown.
pub fn markdown(r: &Retro, frame: Frame) -> String {
    let v = view(r, frame);
    let mut out = format!(
        "# Alerts around the incident\n\n{}\n\n## Detection\n\n",
        v.intro
    );
    match &v.first {
        None => out.push_str("No alert fired in this time.\n\n"),
        Some((rule, instance, at)) => {
            out.push_str(&format!(
                "First alert: **{}** ({}) at {at}.\n",
                md_escape(rule),
                md_escape(instance)
            ));
            if let Some((rule, at)) = &v.first_actionable {
                out.push_str(&format!(
                    "First alert reviewed as actionable: **{}** at {at}.\n",
                    md_escape(rule)
                ));
            }
            out.push('\n');
        }
    }
    if let Some(reset) = &v.reset {
        out.push_str(&format!("## Reset\n\n{reset}\n\n"));
    }
    out.push_str("## Noise during the incident\n\n");
    if v.noise.is_empty() {
        out.push_str(
            "Every alert that started during the incident was reviewed as actionable.\n\n",
        );
    }
    for (what, items) in &v.noise {
        let items: Vec<String> = items.iter().map(|i| md_escape(i)).collect();
        out.push_str(&format!("{what}: {}.\n\n", items.join("; ")));
    }
    out.push_str("## Timeline\n\n| rule | instance | started | resolved | verdict | acknowledged |\n|---|---|---|---|---|---|\n");
    for e in &v.timeline {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            md_escape(&e.rule),
            md_escape(&e.instance),
            e.started,
            e.resolved,
            e.verdict,
            e.acknowledged
        ));
    }
    out
}

const HTML_TEMPLATE: &str = include_str!("templates/retro.html.j2");

/// The retrospective as one self-contained HTML page with a Gantt chart.
pub fn html(r: &Retro, frame: Frame) -> crate::error::Result<String> {
    use super::charts::gantt;
    let v = view(r, frame);
    let rows: Vec<gantt::Row> = r
        .timeline
        .iter()
        .map(|(rule, list)| gantt::Row {
            name: rule.clone(),
            bars: list
                .iter()
                .map(|e| gantt::Bar {
                    start: e.start,
                    end: e.end.unwrap_or(frame.to),
                    verdict: match (e.verdict_source, e.actionable) {
                        (Some("review"), Some(true)) => gantt::Verdict::Actionable,
                        (Some("review"), Some(false)) => gantt::Verdict::Noise,
                        _ => gantt::Verdict::NotReviewed,
                    },
                })
                .collect(),
        })
        .collect();
    let marks = [
        (frame.incident_start, "incident start"),
        (frame.incident_end, "incident end"),
    ]
    .into_iter()
    .filter_map(|(t, label)| Some((t?, label.to_string())))
    .collect();
    let chart = gantt::chart(
        &rows,
        &gantt::Span {
            from: frame.from,
            to: frame.to,
            reference: frame.incident_start.unwrap_or(frame.from),
            marks,
        },
    )?;
    let env = super::page::environment(&[("retro.html", HTML_TEMPLATE)])?;
    super::page::render(
        &env,
        "retro.html",
        minijinja::context! {
            v => minijinja::value::Serde(&v),
            gantt => chart,
        },
    )
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
