//! The join of rule files to history, and everything `advice.json` holds:
//! recommendations, every alerting rule with its settings and threshold,
//! rules that never fired, alerts no rule defines, and the combined patch.

use super::{advise, combined_patch, Advice, Context};
use crate::report::rows::Row;
use crate::report::summary::RuleFilesInfo;
use crate::rules::{RuleFile, RuleKind, Threshold};
use crate::timefmt::format_duration;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One alerting rule as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// `alert:` name.
    pub rule: String,
    /// `file:line`.
    pub location: String,
    /// The group's name.
    pub group: String,
    /// `for:` as written (normalised), null when absent.
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// `keep_firing_for:`, null when absent.
    pub keep_firing_for: Option<String>,
    /// The severity label.
    pub severity: Option<String>,
    /// Episodes in the window that this rule produced.
    pub episodes: usize,
    /// The located threshold, or why none was located.
    pub threshold: Threshold,
}

/// Everything `advice.json` holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AdviceReport {
    /// The recommendations, sorted by rule and kind.
    pub advice: Vec<Advice>,
    /// Every alerting rule of the given rule files.
    pub rules: Vec<RuleInfo>,
    /// Alerting rules without an episode in the window.
    pub never_fired: Vec<String>,
    /// Alert names in the history that no given rule defines.
    pub undefined_alerts: Vec<String>,
    /// Why parts of the combined patch could not be written.
    pub patch_notes: Vec<String>,
    /// The combined patch (`advice.patch`); null without rule files.
    #[serde(skip)]
    pub patch: Option<String>,
}

impl AdviceReport {
    /// Runs the advisors and joins rules to history.
    pub fn build(ctx: &Context) -> AdviceReport {
        let advice = advise(ctx);
        let mut rules = Vec::new();
        let mut never_fired = BTreeSet::new();
        let mut undefined = BTreeSet::new();
        for target in &ctx.targets {
            let fired = target.fired().count();
            match target.rule {
                Some((_, _, rule)) => {
                    if fired == 0 {
                        never_fired.insert(rule.name.clone());
                    }
                    rules.push(RuleInfo {
                        rule: rule.name.clone(),
                        location: rule.location(),
                        group: rule.group.clone(),
                        for_: rule.for_ms.map(format_duration),
                        keep_firing_for: rule.keep_firing_for_ms.map(format_duration),
                        severity: target.severity.clone(),
                        episodes: fired,
                        threshold: rule.threshold.clone(),
                    });
                }
                None if !ctx.files.is_empty() && fired > 0 => {
                    undefined.insert(target.name.to_string());
                }
                None => {}
            }
        }
        // A name is "never fired" only if no rule of that name fired.
        for r in &rules {
            if r.episodes > 0 {
                never_fired.remove(&r.rule);
            }
        }
        let (mut patch, mut patch_notes) = if ctx.files.is_empty() {
            (None, Vec::new())
        } else {
            let (text, notes) = combined_patch(ctx.files, &advice);
            (Some(text), notes)
        };
        // The inhibit_rules entries, as one hunk of alertmanager.yml.
        match super::inhibit::combined_patch(ctx.routing, &advice) {
            Ok(hunk) if hunk.is_empty() => {}
            Ok(hunk) => patch.get_or_insert_with(String::new).push_str(&hunk),
            Err(e) => patch_notes.push(format!("alertmanager.yml: {e}")),
        }
        AdviceReport {
            advice,
            rules,
            never_fired: never_fired.into_iter().collect(),
            undefined_alerts: undefined.into_iter().collect(),
            patch_notes,
            patch,
        }
    }

    /// The counts `summary.json` shows.
    pub fn summary(&self, files: &[RuleFile]) -> RuleFilesInfo {
        let all = || files.iter().flat_map(|f| &f.rules);
        let alerting = all().filter(|r| r.kind == RuleKind::Alerting);
        let located = alerting
            .clone()
            .filter(|r| r.threshold.located().is_some())
            .count();
        RuleFilesInfo {
            files: files.iter().map(|f| f.name.clone()).collect(),
            alerting_rules: alerting.clone().count(),
            recording_rules: all().filter(|r| r.kind == RuleKind::Recording).count(),
            thresholds_located: located,
            thresholds_not_located: alerting.count() - located,
            never_fired: self.never_fired.len(),
            undefined_alerts: self.undefined_alerts.len(),
            advice: self.advice.len(),
            fetched_from: Vec::new(),
        }
    }
}

/// Sets `current_for_s` in the metric rows from the rule files: the rule's `for:`
/// in seconds (0 when absent), null when rules of that name disagree or none is given.
pub fn fill_current_for(rows: &mut [Row], files: &[RuleFile]) {
    let mut by_name: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for rule in files.iter().flat_map(|f| &f.rules) {
        if rule.kind == RuleKind::Alerting {
            by_name
                .entry(rule.name.as_str())
                .or_default()
                .insert(rule.for_ms.unwrap_or(0));
        }
    }
    for row in rows {
        let name = row.get("rule").and_then(Value::as_str).unwrap_or_default();
        if let Some(values) = by_name.get(name) {
            if values.len() == 1 {
                let ms = values.iter().next().copied().unwrap_or(0);
                row.insert("current_for_s".into(), Value::from(ms as f64 / 1000.0));
            }
        }
    }
}
