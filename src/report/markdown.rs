//! `report.md`: the page the weekly alert review works from.
//!
//! Numbers are formatted here; `templates/report.md.j2` only lays them out.
//! Findings are plain-language sentences derived from the metrics, with the
//! thresholds below.

use super::advice_section::AdviceSection;
use super::rows::{num, text, Row};
use super::summary::Summary;
use super::terminal::pct;
use crate::error::{Error, Result};
use crate::problem::Problem;
use minijinja::value::Serde;
use minijinja::{context, Environment};
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("templates/report.md.j2");

/// How many rules the leaderboard shows.
pub const TOP: usize = 10;
/// How many problems the page lists.
const PROBLEMS_LISTED: usize = 30;

/// A finding is raised when the share of short episodes reaches this.
const SHORT_FINDING: f64 = 0.5;
/// … when the flap rate reaches this.
const FLAP_FINDING: f64 = 0.3;
/// … when the actionable ratio is at most this (with enough verdicts).
const ACTIONABLE_FINDING: f64 = 0.1;
/// … verdicts needed before the actionable ratio is judged.
const MIN_VERDICTS: f64 = 3.0;
/// … when this share of a paging rule's episodes start off-hours.
const OFF_HOURS_FINDING: f64 = 0.5;
/// … when a paging rule is acknowledged less often than this.
const ACK_FINDING: f64 = 0.5;
/// … when this share of a rule's episodes fired into a silence.
pub const SILENCED_FINDING: f64 = 0.5;

/// Rows sorted by noise score (descending), then episodes, then name.
pub fn by_noise(rows: &[Row]) -> Vec<&Row> {
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |r: &Row| {
            (
                num(r, "noise_score").unwrap_or(0.0),
                num(r, "episodes").unwrap_or(0.0),
            )
        };
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| text(a, "rule").cmp(&text(b, "rule")))
    });
    sorted
}

/// Formats seconds as a short human duration (`45s`, `4m 30s`, `2h 5m`).
pub fn human_seconds(s: Option<f64>) -> String {
    let Some(s) = s else { return "-".into() };
    let s = s.round() as i64;
    match s {
        ..=59 => format!("{s}s"),
        60..=3599 if s % 60 == 0 => format!("{}m", s / 60),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

/// Escapes a sentence alertnoise wrote (which spells settings and PromQL in
/// `code spans` on purpose, with user data only inside them or made of
/// names) for a table cell: only pipes and newlines need care.
pub fn md_prose(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// [`md_prose`] for text inside a `code span` of a table cell: a backtick
/// would end the span, so it becomes `'`.
pub fn md_code(s: &str) -> String {
    md_prose(s).replace('`', "'")
}

/// Escapes text for a Markdown table cell or heading.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#'
        ) {
            out.push('\\');
        }
        if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// How a page escapes what it shows: names and values from the inputs, and
/// the sentences alertnoise writes (which spell settings in `code spans`).
#[derive(Debug, Clone, Copy)]
pub struct Escape {
    /// For rule names, label values, locations and problems.
    pub name: fn(&str) -> String,
    /// For alertnoise's own sentences.
    pub prose: fn(&str) -> String,
}

/// Escaping for Markdown tables and headings.
pub const MARKDOWN: Escape = Escape {
    name: md_escape,
    prose: md_prose,
};

/// No escaping, for a template engine that escapes by itself (HTML).
pub const RAW: Escape = Escape {
    name: raw,
    prose: raw,
};

fn raw(s: &str) -> String {
    s.to_string()
}

fn is_paging(row: &Row) -> bool {
    text(row, "severity").is_some_and(crate::advice::is_paging_severity)
}

/// The rule's label (`--by` value appended), for headings and tables.
pub fn display_name(row: &Row, by: Option<&str>) -> String {
    display_name_of(
        text(row, "rule").unwrap_or(""),
        by.map(|label| (label, text(row, label))),
    )
}

/// A rule's label from its name and, with `--by`, the label and its value
/// (`(none)` where the episodes lack the label).
pub fn display_name_of(rule: &str, by: Option<(&str, Option<&str>)>) -> String {
    match by {
        Some((label, value)) => format!("{rule} ({label}={})", value.unwrap_or("(none)")),
        None => rule.to_string(),
    }
}

/// Plain-language findings for one rule.
pub fn findings(row: &Row, summary: &Summary) -> Vec<String> {
    let s = &summary.settings;
    let mut out = Vec::new();
    let episodes = num(row, "episodes").unwrap_or(0.0);
    if let Some(r) = num(row, "short_ratio").filter(|r| *r >= SHORT_FINDING) {
        out.push(format!(
            "{} of its resolved episodes lasted less than {}: it fires on brief spikes that clear by themselves. A longer `for:` would keep them off the pager.",
            pct(Some(r)), s.short
        ));
    }
    if let Some(r) = num(row, "flap_rate").filter(|r| *r >= FLAP_FINDING) {
        out.push(format!(
            "{} of its episodes fired again within {} of the previous one ending: it flaps. `keep_firing_for:` would merge the repeats into one alert.",
            pct(Some(r)), s.flap_window
        ));
    }
    let known = num(row, "actionable_coverage").unwrap_or(0.0) * episodes;
    if let Some(r) = num(row, "actionable_ratio") {
        if known >= MIN_VERDICTS && r <= ACTIONABLE_FINDING {
            let share = if r == 0.0 {
                format!("None of the {known:.0} episodes with a verdict")
            } else {
                format!(
                    "Only {} of the {known:.0} episodes with a verdict",
                    pct(Some(r))
                )
            };
            out.push(format!(
                "{share} needed action: a candidate to delete, or to demote to a ticket or a dashboard."
            ));
        }
    }
    if is_paging(row) {
        if let Some(r) = num(row, "off_hours_ratio").filter(|r| *r >= OFF_HOURS_FINDING) {
            out.push(format!(
                "It pages, and {} of its episodes started outside business hours ({}, {}): it wakes people up.",
                pct(Some(r)), s.business_hours, s.tz
            ));
        }
        if let Some(r) = num(row, "acked_ratio").filter(|r| *r < ACK_FINDING) {
            out.push(format!(
                "It pages, but only {} of its episodes were acknowledged: people have stopped answering it.",
                pct(Some(r))
            ));
        }
    }
    if let Some(r) = num(row, "silenced_ratio").filter(|r| *r >= SILENCED_FINDING) {
        out.push(format!(
            "{} of its episodes fired into a silence: it is silenced most of the time, so it pages nobody and hides the times it matters. Fix it or remove it.",
            pct(Some(r))
        ));
    }
    if out.is_empty() && num(row, "noise_score").unwrap_or(0.0) > 0.0 {
        out.push("Some of its episodes are noisy, but no single pattern dominates; look at the episodes in `episodes.parquet`.".to_string());
    }
    out
}

/// One rule in the leaderboard table.
#[derive(Debug, Serialize)]
pub struct LeaderRow {
    /// The rule's key (`display_name`), unescaped.
    pub key: String,
    /// The raw numbers the columns show, for sorting: episodes, per day,
    /// noise, short, flap, actionable, acked, off-hours.
    pub sort: [Option<f64>; 8],
    /// Noise per week over the recorded runs (with `--history`), oldest first.
    pub trend_values: Vec<f64>,
    name: String,
    severity: String,
    episodes: String,
    per_day: String,
    noise: String,
    short: String,
    flap: String,
    actionable: String,
    acked: String,
    off_hours: String,
    trend: String,
}

/// One noisy rule's part of the page: facts and findings.
#[derive(Debug, Serialize)]
pub struct Section {
    /// The rule's key (`display_name`), unescaped.
    pub key: String,
    /// The rule (`alertname`), unescaped, to find its advice.
    pub rule: String,
    name: String,
    severity: String,
    facts: Vec<(String, String)>,
    findings: Vec<String>,
}

/// A rule that fired into silences.
#[derive(Debug, Serialize)]
pub struct SilencedRow {
    name: String,
    episodes: String,
    silenced: String,
    most: bool,
}

/// A rule with episodes no verdict covers.
#[derive(Debug, Serialize)]
pub struct UnknownRow {
    name: String,
    episodes: String,
    coverage: String,
}

fn plural(x: Option<f64>, noun: &str) -> String {
    match x {
        Some(1.0) => format!("1 {noun}"),
        Some(n) => format!("{n:.0} {noun}s"),
        None => format!("- {noun}s"),
    }
}

fn fmt_int(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.0}"))
}

fn fmt_1(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.1}"))
}

/// The parts of the review-meeting page that `report.md` and `report.html`
/// share, escaped for one of them.
#[derive(Debug, Serialize)]
pub struct PageModel {
    /// Rules by noise (the first [`TOP`] for Markdown, all for HTML).
    pub leaders: Vec<LeaderRow>,
    /// The noisy rules among the first [`TOP`], with facts and findings.
    pub sections: Vec<Section>,
    /// Rules with episodes no verdict covers.
    pub unknown: Vec<UnknownRow>,
    /// Rules that fired into silences, most silenced first.
    pub silenced: Vec<SilencedRow>,
    /// What joining the inputs did, one sentence each.
    pub joins: Vec<String>,
    /// The first problems, as text.
    pub problems: Vec<String>,
    /// How many problems are not listed.
    pub more_problems: usize,
    /// Noisy episodes as a share of all, as a percentage.
    pub noisy_share: String,
}

/// Builds the shared page parts; `leaders` rules go into the leaderboard and
/// `trends` (with `--history`) holds each rule's noise over the last runs,
/// the current one last.
pub fn page_model(
    summary: &Summary,
    rows: &[Row],
    problems: &[Problem],
    trends: Option<&BTreeMap<String, Vec<f64>>>,
    leaders: usize,
    esc: Escape,
) -> PageModel {
    let by = summary.settings.by.as_deref();
    let ranked = by_noise(rows);
    let trend_of = |r: &Row| {
        trends
            .and_then(|t| t.get(&display_name(r, by)))
            .filter(|series| series.len() > 1)
    };
    let leader_rows: Vec<LeaderRow> = ranked
        .iter()
        .take(leaders)
        .map(|r| LeaderRow {
            key: display_name(r, by),
            sort: [
                "episodes",
                "episodes_per_day",
                "noise_score",
                "short_ratio",
                "flap_rate",
                "actionable_ratio",
                "acked_ratio",
                "off_hours_ratio",
            ]
            .map(|c| num(r, c)),
            trend_values: trend_of(r).cloned().unwrap_or_default(),
            name: (esc.name)(&display_name(r, by)),
            severity: (esc.name)(text(r, "severity").unwrap_or("-")),
            episodes: fmt_int(num(r, "episodes")),
            per_day: fmt_1(num(r, "episodes_per_day")),
            noise: fmt_1(num(r, "noise_score")),
            short: pct(num(r, "short_ratio")),
            flap: pct(num(r, "flap_rate")),
            actionable: pct(num(r, "actionable_ratio")),
            acked: pct(num(r, "acked_ratio")),
            off_hours: pct(num(r, "off_hours_ratio")),
            trend: trend_of(r).map_or("-".into(), |t| super::history::sparkline(t)),
        })
        .collect();
    let sections: Vec<Section> = ranked
        .iter()
        .take(TOP)
        .filter(|r| num(r, "noise_score").unwrap_or(0.0) > 0.0)
        .map(|r| Section {
            key: display_name(r, by),
            rule: text(r, "rule").unwrap_or("").to_string(),
            name: (esc.name)(&display_name(r, by)),
            severity: (esc.name)(text(r, "severity").unwrap_or("no severity")),
            facts: facts(r, summary, trend_of(r)),
            findings: findings(r, summary)
                .iter()
                .map(|f| (esc.prose)(f))
                .collect(),
        })
        .collect();
    let unknown: Vec<UnknownRow> = rows
        .iter()
        .filter(|r| num(r, "actionable_coverage").unwrap_or(0.0) < 1.0)
        .map(|r| UnknownRow {
            name: (esc.name)(&display_name(r, by)),
            episodes: fmt_int(num(r, "episodes")),
            coverage: pct(num(r, "actionable_coverage")),
        })
        .collect();
    let mut silenced_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| num(r, "silenced_ratio").unwrap_or(0.0) > 0.0)
        .collect();
    silenced_rows.sort_by(|a, b| {
        let share = |r: &Row| num(r, "silenced_ratio").unwrap_or(0.0);
        share(b)
            .partial_cmp(&share(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| text(a, "rule").cmp(&text(b, "rule")))
    });
    let silenced: Vec<SilencedRow> = silenced_rows
        .into_iter()
        .map(|r| SilencedRow {
            name: (esc.name)(&display_name(r, by)),
            episodes: fmt_int(num(r, "episodes")),
            silenced: pct(num(r, "silenced_ratio")),
            most: num(r, "silenced_ratio").unwrap_or(0.0) >= SILENCED_FINDING,
        })
        .collect();
    let c = &summary.counts;
    PageModel {
        leaders: leader_rows,
        sections,
        unknown,
        silenced,
        joins: join_lines(summary),
        problems: problems
            .iter()
            .take(PROBLEMS_LISTED)
            .map(|p| (esc.name)(&p.to_string()))
            .collect(),
        more_problems: problems.len().saturating_sub(PROBLEMS_LISTED),
        noisy_share: if c.episodes > 0 {
            pct(Some(c.noisy_episodes as f64 / c.episodes as f64))
        } else {
            "-".into()
        },
    }
}

/// The facts listed under a noisy rule's heading.
fn facts(r: &Row, summary: &Summary, trend: Option<&Vec<f64>>) -> Vec<(String, String)> {
    vec![
        (
            "Episodes".into(),
            format!(
                "{} ({} a day, {}, {} notifications)",
                fmt_int(num(r, "episodes")),
                fmt_1(num(r, "episodes_per_day")),
                plural(num(r, "instances"), "instance"),
                fmt_int(num(r, "notifications"))
            ),
        ),
        (
            "Noise".into(),
            format!(
                "{} noisy episodes, {} a week",
                fmt_int(num(r, "noisy_episodes")),
                fmt_1(num(r, "noise_score"))
            ),
        ),
        (
            "Duration".into(),
            format!(
                "median {}, p90 {}; {} shorter than {}",
                human_seconds(num(r, "duration_p50_s")),
                human_seconds(num(r, "duration_p90_s")),
                pct(num(r, "short_ratio")),
                summary.settings.short
            ),
        ),
        (
            "Flapping".into(),
            format!(
                "{} refires ({})",
                fmt_int(num(r, "refires")),
                pct(num(r, "flap_rate"))
            ),
        ),
        (
            "Acknowledged".into(),
            match num(r, "acked_ratio") {
                Some(a) => format!(
                    "{} (median {}, p90 {})",
                    pct(Some(a)),
                    human_seconds(num(r, "tta_p50_s")),
                    human_seconds(num(r, "tta_p90_s"))
                ),
                None => "no acknowledgement data".into(),
            },
        ),
        (
            "Actionable".into(),
            format!(
                "{} of episodes with a verdict; verdicts for {}",
                pct(num(r, "actionable_ratio")),
                pct(num(r, "actionable_coverage"))
            ),
        ),
        ("Off-hours".into(), pct(num(r, "off_hours_ratio"))),
    ]
    .into_iter()
    .chain(
        // Only rules that fired into a silence say so.
        num(r, "silenced_ratio")
            .filter(|s| *s > 0.0)
            .map(|s| ("Silenced".to_string(), pct(Some(s)))),
    )
    .chain(trend.map(|t| {
        let values: Vec<String> = t.iter().map(|v| format!("{v:.1}")).collect();
        (
            "Trend".to_string(),
            format!(
                "noise/week over the last {} reviews: {} {}",
                t.len(),
                values.join(" → "),
                super::history::sparkline(t)
            ),
        )
    }))
    .collect()
}

/// Renders `report.md`; `trends` as in [`page_model`].
pub fn render(
    summary: &Summary,
    rows: &[Row],
    problems: &[Problem],
    advice: &AdviceSection,
    trends: Option<&BTreeMap<String, Vec<f64>>>,
) -> Result<String> {
    let page = page_model(summary, rows, problems, trends, TOP, MARKDOWN);
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(template_error)?,
    );
    env.add_template("report.md", TEMPLATE)
        .map_err(template_error)?;
    let template = env.get_template("report.md").map_err(template_error)?;
    template
        .render(context! {
            summary => Serde(summary),
            since => summary.window.since.get(..10).unwrap_or(""),
            until => summary.window.until.get(..10).unwrap_or(""),
            noisy_share => page.noisy_share,
            leaders => Serde(page.leaders),
            sections => Serde(page.sections),
            unknown => Serde(page.unknown),
            silenced => Serde(page.silenced),
            joins => Serde(page.joins),
            problems => Serde(page.problems),
            more_problems => page.more_problems,
            advice => Serde(advice),
            with_trends => trends.is_some(),
        })
        .map_err(template_error)
}

/// Sentences on what joining the inputs did, for the data-quality section.
fn join_lines(summary: &Summary) -> Vec<String> {
    let j = &summary.joins;
    let mut lines = Vec::new();
    for (source, p) in &j.paging {
        if p.with_key > 0 {
            lines.push(format!(
                "{} of {} `{source}` incidents with a dedup key joined onto {} Alertmanager episodes (their acknowledgements now count there); the other {} stay episodes of their own.",
                p.joined, p.with_key, p.episodes_joined, p.incidents - p.joined
            ));
        }
    }
    if j.incident_logs.incidents > 0 {
        lines.push(format!(
            "PagerDuty log entries of {} incidents: {} applied to incidents read from `/incidents` pages, {} made episodes from the log alone.",
            j.incident_logs.incidents, j.incident_logs.applied, j.incident_logs.from_log_alone
        ));
    }
    if j.silences.silences > 0 {
        lines.push(format!(
            "{} silences read; {} episodes fired into one.",
            j.silences.silences, j.silences.episodes_silenced
        ));
    }
    if j.snapshots.answers > 1 {
        lines.push(format!(
            "{} Alertmanager API answers; {} alerts ended because a later answer no longer showed them.",
            j.snapshots.answers, j.snapshots.episodes_ended
        ));
    }
    if j.duplicate_incidents > 0 {
        lines.push(format!(
            "{} incident records were read more than once and counted once.",
            j.duplicate_incidents
        ));
    }
    lines
}

fn template_error(e: minijinja::Error) -> Error {
    Error::Output {
        path: "report.md".into(),
        reason: e.to_string(),
    }
}
