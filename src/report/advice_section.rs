//! The "Recommendations" part of `report.md`: advice rows, lints, and the join
//! of rule files to history, formatted for the template.

use super::markdown::{human_seconds, Escape};
use crate::advice::inventory::AdviceReport;
use crate::rules::Threshold;
use serde::Serialize;
use serde_json::Value;

/// One recommendation as a table row and a paragraph.
#[derive(Debug, Serialize)]
pub struct AdviceRow {
    /// Index of the recommendation in `advice.json`'s list.
    pub index: usize,
    rule: String,
    kind: String,
    change: String,
    episodes: String,
    notifications: String,
    actionable_lost: String,
    delay: String,
    confidence: String,
    summary: String,
    location: String,
    note: String,
    /// This change alone as a unified diff (unescaped: it goes in a code block).
    patch: String,
    /// A Markdown code fence longer than any run of backticks in `patch`.
    fence: String,
}

/// One lint as a table row.
#[derive(Debug, Serialize)]
pub struct LintRow {
    rule: String,
    check: String,
    finding: String,
    location: String,
}

/// One rule whose threshold could not be located.
#[derive(Debug, Serialize)]
pub struct UnlocatedRow {
    rule: String,
    location: String,
    reason: String,
}

/// Everything the template's recommendations part shows.
#[derive(Debug, Serialize, Default)]
pub struct AdviceSection {
    /// Whether rule files were given.
    pub with_rules: bool,
    /// The servers the rule files were fetched from, joined (empty when
    /// they are the user's own files).
    pub fetched_from: String,
    /// Whether `advice.patch` changes anything.
    pub has_patch: bool,
    /// Whether `advice.patch` adds `inhibit_rules` to alertmanager.yml.
    pub patches_alertmanager: bool,
    /// The recommendations (not the lints), in `advice.json`'s order.
    pub advice: Vec<AdviceRow>,
    lints: Vec<LintRow>,
    unlocated: Vec<UnlocatedRow>,
    never_fired: Vec<String>,
    undefined: Vec<String>,
    patch_notes: Vec<String>,
    alerting_rules: usize,
    located: usize,
}

/// A Markdown code fence for `text`: three backticks, or one more than the
/// longest run of backticks in it, so no line of `text` can close it.
fn code_fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// `for: 5m`, `keep_firing_for: 10m`, `severity: warning`, `remove`,
/// an inhibition's source and equal labels.
fn spell_change(change: &Option<Value>) -> String {
    let Some(Value::Object(map)) = change else {
        return "-".into();
    };
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| match v {
            Value::Bool(true) if k == "remove" => "remove the rule".into(),
            Value::Array(entries) if k == "inhibit_rules" => (entries.iter())
                .map(|e| {
                    let first = |key: &str| e[key][0].as_str().unwrap_or_default().to_string();
                    format!(
                        "inhibit while `{}` fires, equal `{}`",
                        first("source_matchers"),
                        first("equal")
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Value::Object(inner) => inner
                .iter()
                .map(|(ik, iv)| format!("`{ik}: {}`", iv.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", "),
            Value::String(s) if k.ends_with("_add") => {
                format!("`{}:` + {s}", k.trim_end_matches("_add"))
            }
            Value::String(s) => format!("`{k}: {s}`"),
            Value::Number(n) => format!(
                "`{k}: {}`",
                crate::rules::threshold::format_value(n.as_f64().unwrap_or_default())
            ),
            other => format!("`{k}: {other}`"),
        })
        .collect();
    parts.join(", ")
}

fn signed_seconds(s: f64) -> String {
    if s == 0.0 {
        "-".into()
    } else if s > 0.0 {
        format!("+{}", human_seconds(Some(s)))
    } else {
        format!("−{}", human_seconds(Some(-s)))
    }
}

impl AdviceSection {
    /// Says that the rule files are the server's rules, fetched from `urls`.
    pub fn fetched_from(mut self, urls: &[String]) -> AdviceSection {
        self.fetched_from = urls.join(", ");
        self
    }

    /// Formats the advice report for a page that escapes with `esc`.
    pub fn new(report: &AdviceReport, with_rules: bool, esc: Escape) -> AdviceSection {
        let mut section = AdviceSection {
            with_rules,
            has_patch: report.patch.as_deref().is_some_and(|p| !p.is_empty()),
            patches_alertmanager: (report.advice.iter())
                .any(|a| a.kind == "inhibit" && a.patch.is_some()),
            ..AdviceSection::default()
        };
        for (index, a) in report.advice.iter().enumerate() {
            let location = a.location.clone().unwrap_or_default();
            if a.kind == "lint" {
                section.lints.push(LintRow {
                    rule: (esc.name)(&a.rule),
                    check: a
                        .evidence
                        .get("check")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    finding: (esc.prose)(&a.summary),
                    location: (esc.name)(&location),
                });
                continue;
            }
            let e = a.effect.as_ref();
            let delay = e
                .map(|e| {
                    let mut parts = Vec::new();
                    if e.delay_added_s != 0.0 {
                        parts.push(format!("fires {}", signed_seconds(e.delay_added_s)));
                    }
                    if e.resolve_delay_added_s != 0.0 {
                        parts.push(format!(
                            "resolves {}",
                            signed_seconds(e.resolve_delay_added_s)
                        ));
                    }
                    if parts.is_empty() {
                        "-".into()
                    } else {
                        parts.join(", ")
                    }
                })
                .unwrap_or_else(|| "-".into());
            let patch = a.patch.clone().unwrap_or_default();
            section.advice.push(AdviceRow {
                index,
                fence: code_fence(&patch),
                patch,
                rule: (esc.name)(&a.rule),
                kind: a.kind.to_string(),
                change: (esc.prose)(&spell_change(&a.change)),
                episodes: e.map_or("-".into(), |e| {
                    format!("{} → {}", e.episodes_before, e.episodes_after)
                }),
                notifications: e.map_or("-".into(), |e| {
                    format!("{} → {}", e.notifications_before, e.notifications_after)
                }),
                actionable_lost: e
                    .map(|e| {
                        e.actionable_lost
                            .map_or("unknown".into(), |n| n.to_string())
                    })
                    .unwrap_or_else(|| "-".into()),
                delay,
                confidence: a.confidence.to_string(),
                summary: (esc.prose)(&a.summary),
                location: (esc.name)(&location),
                note: a.patch_note.as_deref().map(esc.prose).unwrap_or_default(),
            });
        }
        for r in &report.rules {
            section.alerting_rules += 1;
            match &r.threshold {
                Threshold::Located(_) => section.located += 1,
                Threshold::NotLocated { reason } => section.unlocated.push(UnlocatedRow {
                    rule: (esc.name)(&r.rule),
                    location: (esc.name)(&r.location),
                    reason: (esc.prose)(reason),
                }),
            }
        }
        section.never_fired = report.never_fired.iter().map(|s| (esc.name)(s)).collect();
        section.undefined = report
            .undefined_alerts
            .iter()
            .map(|s| (esc.name)(s))
            .collect();
        section.patch_notes = report.patch_notes.iter().map(|s| (esc.prose)(s)).collect();
        section
    }
}
