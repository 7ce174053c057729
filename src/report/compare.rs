//! Two reports side by side (`alertnoise compare OLD NEW`): how each rule
//! changed between two review meetings, which noise was fixed and which is
//! new, and for every recommendation in the older report whether it was
//! applied to the rule files and what it did to the noise.
//!
//! Reads only a report directory's public files (`summary.json`,
//! `rules.json`, `advice.json`), so reports of any alertnoise version with
//! the same `schema_version` compare.

use super::markdown::{display_name, human_seconds, md_escape};
pub use super::report_dir::ReportDir;
use super::rows::{num, Row};
use super::terminal::pct;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

impl ReportDir {
    fn window(&self) -> String {
        let day = |key: &str| {
            self.summary["window"][key]
                .as_str()
                .and_then(|s| s.get(..10))
                .unwrap_or("?")
                .to_string()
        };
        format!("{} to {}", day("since"), day("until"))
    }

    /// The row of each rule (with the `--by` value when the report was split).
    fn by_rule(&self) -> BTreeMap<String, &Row> {
        let by = self.summary["settings"]["by"].as_str();
        self.rules
            .iter()
            .map(|r| (display_name(r, by), r))
            .collect()
    }

    /// The rule file settings the report's `advice.json` recorded, by rule.
    fn settings(&self) -> Option<BTreeMap<String, &Value>> {
        let rules = self.advice.get("rules")?.as_array()?;
        if rules.is_empty() {
            return None;
        }
        Some(
            rules
                .iter()
                .filter_map(|r| Some((r.get("rule")?.as_str()?.to_string(), r)))
                .collect(),
        )
    }
}

/// One rule's numbers in both reports.
#[derive(Debug, Clone, Serialize)]
pub struct RuleDelta {
    /// The rule (and `--by` value).
    pub rule: String,
    /// Episodes before and after.
    pub episodes: (Option<f64>, Option<f64>),
    /// Noise score before and after.
    pub noise_score: (Option<f64>, Option<f64>),
    /// Actionable share before and after.
    pub actionable_ratio: (Option<f64>, Option<f64>),
    /// Median time to acknowledge before and after.
    pub tta_p50_s: (Option<f64>, Option<f64>),
}

/// Whether a recommendation of the older report reached the rule files.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Applied {
    /// The newer report's rule files have the advised setting.
    Applied,
    /// The setting changed, but not to what was advised.
    ChangedOtherwise {
        /// What the rule files have now.
        now: String,
    },
    /// The rule files still have the setting the advice was about.
    NotApplied,
    /// Cannot tell: a report was made without rule files, or the advice has no exact setting.
    Unknown {
        /// Why.
        why: String,
    },
}

/// A recommendation of the older report and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct AdviceOutcome {
    /// The rule.
    pub rule: String,
    /// The kind of advice.
    pub kind: String,
    /// The advised change, as `advice.json` spelled it.
    pub change: String,
    /// Whether it was applied.
    pub applied: Applied,
    /// The rule's noise score in the older and the newer report.
    pub noise_score: (Option<f64>, Option<f64>),
}

/// Everything `compare` found.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The older report's directory and window.
    pub old: (String, String),
    /// The newer report's directory and window.
    pub new: (String, String),
    /// Every rule in either report, sorted by name.
    pub rules: Vec<RuleDelta>,
    /// Rules that were noisy before and are not now (or no longer fire).
    pub fixed: Vec<String>,
    /// Rules that are noisy now and were not before (or did not fire).
    pub new_noise: Vec<String>,
    /// The older report's recommendations (lints left out).
    pub advice: Vec<AdviceOutcome>,
    /// Lint findings of the older report that the newer one no longer has.
    pub lints_fixed: Vec<String>,
}

/// Compares two reports.
pub fn compare(old: &ReportDir, new: &ReportDir) -> Comparison {
    let old_rows = old.by_rule();
    let new_rows = new.by_rule();
    let names: BTreeSet<&String> = old_rows.keys().chain(new_rows.keys()).collect();
    let pair = |rule: &str, key: &str| {
        (
            old_rows.get(rule).and_then(|r| num(r, key)),
            new_rows.get(rule).and_then(|r| num(r, key)),
        )
    };
    let rules: Vec<RuleDelta> = names
        .iter()
        .map(|rule| RuleDelta {
            rule: rule.to_string(),
            episodes: pair(rule, "episodes"),
            noise_score: pair(rule, "noise_score"),
            actionable_ratio: pair(rule, "actionable_ratio"),
            tta_p50_s: pair(rule, "tta_p50_s"),
        })
        .collect();
    let noisy = |x: Option<f64>| x.unwrap_or(0.0) > 0.0;
    let fixed = rules
        .iter()
        .filter(|d| noisy(d.noise_score.0) && !noisy(d.noise_score.1))
        .map(|d| d.rule.clone())
        .collect();
    let new_noise = rules
        .iter()
        .filter(|d| !noisy(d.noise_score.0) && noisy(d.noise_score.1))
        .map(|d| d.rule.clone())
        .collect();
    let items = |report: &ReportDir| -> Vec<Value> {
        report.advice["advice"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let new_settings = new.settings();
    let old_settings = old.settings();
    let mut advice = Vec::new();
    let mut lints_fixed = Vec::new();
    let new_lints: BTreeSet<(String, String)> = items(new)
        .iter()
        .filter(|a| a["kind"] == "lint")
        .map(lint_key)
        .collect();
    for item in items(old) {
        let rule = item["rule"].as_str().unwrap_or("").to_string();
        let kind = item["kind"].as_str().unwrap_or("").to_string();
        if kind == "lint" {
            let key = lint_key(&item);
            if new_settings.is_some() && !new_lints.contains(&key) {
                lints_fixed.push(format!("{} ({})", key.0, key.1));
            }
            continue;
        }
        let applied = applied(
            &item,
            old_settings.as_ref().and_then(|s| s.get(&rule).copied()),
            new_settings.as_ref().map(|s| s.get(&rule).copied()),
        );
        advice.push(AdviceOutcome {
            noise_score: pair(&rule, "noise_score"),
            change: item["change"].to_string(),
            rule,
            kind,
            applied,
        });
    }
    Comparison {
        old: (old.path.display().to_string(), old.window()),
        new: (new.path.display().to_string(), new.window()),
        rules,
        fixed,
        new_noise,
        advice,
        lints_fixed,
    }
}

fn lint_key(item: &Value) -> (String, String) {
    (
        item["rule"].as_str().unwrap_or("").to_string(),
        item["evidence"]["check"].as_str().unwrap_or("").to_string(),
    )
}

/// The rule file setting an advice kind is about, as `advice.json`'s
/// `rules` records it: `for`, `keep_firing_for`, the threshold value, the severity.
fn setting(rule: &Value, change: &Value) -> Option<Value> {
    let map = change.as_object()?;
    if map.contains_key("for") {
        return Some(rule["for"].clone());
    }
    if map.contains_key("keep_firing_for") {
        return Some(rule["keep_firing_for"].clone());
    }
    if map.contains_key("threshold") {
        return Some(rule["threshold"]["value"].clone());
    }
    if let Some(labels) = map.get("labels").and_then(Value::as_object) {
        if labels.contains_key("severity") {
            return Some(rule["severity"].clone());
        }
    }
    None
}

/// Whether the advice reached the newer report's rule files. `new` is
/// `None` when the newer report had no rule files, `Some(None)` when it had
/// them and the rule is gone.
fn applied(item: &Value, old: Option<&Value>, new: Option<Option<&Value>>) -> Applied {
    let change = &item["change"];
    let Some(new) = new else {
        return Applied::Unknown {
            why: "the newer report was made without --rules".into(),
        };
    };
    if change.get("remove").is_some() {
        return match new {
            None => Applied::Applied,
            Some(_) => Applied::NotApplied,
        };
    }
    let Some(new_rule) = new else {
        return Applied::ChangedOtherwise {
            now: "the rule was removed".into(),
        };
    };
    let advised = change.as_object().and_then(|m| match m.get("labels") {
        Some(labels) => labels.get("severity").cloned(),
        None => m.values().next().cloned(),
    });
    let (Some(advised), Some(now)) = (advised, setting(new_rule, change)) else {
        return Applied::Unknown {
            why: format!("the advice has no exact setting ({change})"),
        };
    };
    let same = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    };
    if same(&advised, &now) {
        return Applied::Applied;
    }
    let before = old.and_then(|r| setting(r, change));
    match before {
        Some(before) if !same(&before, &now) => Applied::ChangedOtherwise { now: display(&now) },
        _ => Applied::NotApplied,
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

fn delta(pair: (Option<f64>, Option<f64>), show: impl Fn(Option<f64>) -> String) -> String {
    match pair {
        (None, None) => "-".into(),
        (a, b) if a == b => show(a),
        (a, b) => format!("{} → {}", show(a), show(b)),
    }
}

fn number(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    })
}

/// One rule's row of the comparison, formatted (unescaped).
#[derive(Debug, Serialize)]
pub struct DeltaRow {
    /// The rule (and `--by` value).
    pub rule: String,
    /// `before → after` (or one value when equal) for each column.
    pub episodes: String,
    /// Noise per week.
    pub noise: String,
    /// Actionable share.
    pub actionable: String,
    /// Median time to acknowledge.
    pub tta: String,
    /// The newer noise score minus the older one, for sorting.
    pub noise_change: Option<f64>,
}

/// One recommendation's row, formatted (unescaped).
#[derive(Debug, Serialize)]
pub struct OutcomeRow {
    /// The rule.
    pub rule: String,
    /// The kind of advice.
    pub kind: String,
    /// The advised change as JSON.
    pub change: String,
    /// `yes`, `no`, `changed otherwise: …`, `unknown: …`.
    pub applied: String,
    /// Noise per week before → after.
    pub noise: String,
}

/// The comparison's tables, formatted for a page.
pub fn rows(c: &Comparison) -> (Vec<DeltaRow>, Vec<OutcomeRow>) {
    let deltas = c
        .rules
        .iter()
        .map(|d| DeltaRow {
            rule: d.rule.clone(),
            episodes: delta(d.episodes, number),
            noise: delta(d.noise_score, number),
            actionable: delta(d.actionable_ratio, pct),
            tta: delta(d.tta_p50_s, human_seconds),
            noise_change: Some(d.noise_score.1.unwrap_or(0.0) - d.noise_score.0.unwrap_or(0.0)),
        })
        .collect();
    let outcomes = c
        .advice
        .iter()
        .map(|a| OutcomeRow {
            rule: a.rule.clone(),
            kind: a.kind.clone(),
            change: a.change.clone(),
            applied: match &a.applied {
                Applied::Applied => "yes".to_string(),
                Applied::NotApplied => "no".to_string(),
                Applied::ChangedOtherwise { now } => format!("changed otherwise: {now}"),
                Applied::Unknown { why } => format!("unknown: {why}"),
            },
            noise: delta(a.noise_score, number),
        })
        .collect();
    (deltas, outcomes)
}

/// The comparison as Markdown.
pub fn markdown(c: &Comparison) -> String {
    let (deltas, outcomes) = rows(c);
    let mut out = format!(
        "# Alert review: {} compared with {}\n\nOlder report: `{}`; newer report: `{}`.\n\n",
        c.new.1, c.old.1, c.old.0, c.new.0
    );
    let list = |names: &[String]| {
        names
            .iter()
            .map(|n| md_escape(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str("## Fixed since the last review\n\n");
    if c.fixed.is_empty() {
        out.push_str("No rule that was noisy is quiet now.\n\n");
    } else {
        out.push_str(&format!("Noisy before, not now: {}.\n\n", list(&c.fixed)));
    }
    out.push_str("## New noise\n\n");
    if c.new_noise.is_empty() {
        out.push_str("No rule became noisy.\n\n");
    } else {
        out.push_str(&format!(
            "Noisy now, not before: {}.\n\n",
            list(&c.new_noise)
        ));
    }
    out.push_str("## Recommendations of the last review\n\n");
    if outcomes.is_empty() {
        out.push_str("The older report made no recommendation.\n\n");
    } else {
        out.push_str("| rule | advice | change | applied | noise/week |\n|---|---|---|---|---:|\n");
        for a in &outcomes {
            out.push_str(&format!(
                "| {} | {} | `{}` | {} | {} |\n",
                md_escape(&a.rule),
                a.kind,
                super::markdown::md_code(&a.change),
                md_escape(&a.applied),
                a.noise
            ));
        }
        out.push('\n');
    }
    if !c.lints_fixed.is_empty() {
        out.push_str(&format!(
            "Lint findings fixed: {}.\n\n",
            list(&c.lints_fixed)
        ));
    }
    out.push_str("## Every rule\n\n| rule | episodes | noise/week | actionable | median time to ack |\n|---|---:|---:|---:|---:|\n");
    for d in &deltas {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            md_escape(&d.rule),
            d.episodes,
            d.noise,
            d.actionable,
            d.tta
        ));
    }
    out
}

const HTML_TEMPLATE: &str = include_str!("templates/compare.html.j2");

/// The comparison as one self-contained HTML page.
pub fn html(c: &Comparison) -> crate::error::Result<String> {
    let (deltas, outcomes) = rows(c);
    let env = super::page::environment(&[("compare.html", HTML_TEMPLATE)])?;
    super::page::render(
        &env,
        "compare.html",
        minijinja::context! {
            c => minijinja::value::Serde(c),
            deltas => minijinja::value::Serde(&deltas),
            outcomes => minijinja::value::Serde(&outcomes),
        },
    )
}
