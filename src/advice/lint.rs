//! `lint`: what in a rule file makes noise, from the guidance this project grew from.
//!
//! Checks every alerting rule of the given rule files (history is not needed):
//! - `no_for`: no `for:`, or `for:` under one minute — one bad scrape pages;
//! - `no_runbook`: no runbook link annotation (`runbook_url`, or any annotation
//!   whose name contains `runbook` or `playbook`);
//! - `no_severity`: no severity label, so routing cannot tell a page from a ticket;
//! - `pages_on_cause`: a paging rule on a cause (CPU, memory, disk, load, swap,
//!   connections, file descriptors) rather than a symptom users feel;
//! - `too_many_rules`: more than 10 alerting rules for one team or service.

use super::{is_paging_severity, Advice, Advisor, Context, Target};
use crate::rules::threshold::metric_names;
use crate::rules::{Rule, RuleKind};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The `lint` advisor.
pub struct Lint;

/// More alerting rules than this for one team or service is a lint.
pub const MAX_RULES_PER_OWNER: usize = 10;

/// Parts of metric names that measure causes rather than symptoms.
const CAUSE_WORDS: [&str; 13] = [
    "cpu",
    "memory",
    "mem_",
    "disk",
    "filesystem",
    "node_load",
    "swap",
    "connection",
    "conntrack",
    "fds",
    "inode",
    "iowait",
    "threads",
];

fn lint(rule: &Rule, check: &str, summary: String, evidence: Value) -> Advice {
    let mut e = Map::new();
    e.insert("check".into(), json!(check));
    if let Value::Object(extra) = evidence {
        e.extend(extra);
    }
    Advice {
        rule: rule.name.clone(),
        kind: "lint",
        location: Some(rule.location()),
        change: None,
        summary,
        evidence: e,
        effect: None,
        alternatives: Vec::new(),
        confidence: "high",
        patch: None,
        patch_note: None,
        edits: Vec::new(),
    }
}

/// The cause metrics a rule's expression reads.
pub fn cause_metrics(rule: &Rule) -> Vec<String> {
    let Ok(ast) = promql_parser::parser::parse(&rule.expr) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    metric_names(&ast, &mut names);
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| {
            let lower = n.to_ascii_lowercase();
            CAUSE_WORDS.iter().any(|w| lower.contains(w))
        })
        .collect()
}

impl Advisor for Lint {
    fn kind(&self) -> &'static str {
        "lint"
    }

    fn advise(&self, _ctx: &Context, _target: &Target) -> Vec<Advice> {
        Vec::new()
    }

    fn advise_files(&self, ctx: &Context) -> Vec<Advice> {
        let names = ctx.label_names;
        let mut out = Vec::new();
        let mut owners: BTreeMap<(String, String), Vec<&Rule>> = BTreeMap::new();
        for rule in ctx.files.iter().flat_map(|f| &f.rules) {
            if rule.kind != RuleKind::Alerting {
                continue;
            }
            match rule.for_ms {
                None => out.push(lint(
                    rule,
                    "no_for",
                    "no `for:`: a single evaluation over the threshold fires it".into(),
                    json!({}),
                )),
                Some(ms) if ms < 60_000 => out.push(lint(
                    rule,
                    "no_for",
                    format!("`for:` is under a minute ({}s): a blip fires it", ms / 1000),
                    json!({ "for_s": ms as f64 / 1000.0 }),
                )),
                Some(_) => {}
            }
            let has_runbook = rule.annotations.iter().any(|(k, v)| {
                let k = k.to_ascii_lowercase();
                (k.contains("runbook") || k.contains("playbook")) && !v.trim().is_empty()
            });
            if !has_runbook {
                out.push(lint(
                    rule,
                    "no_runbook",
                    "no runbook link: whoever is paged has to guess what to do".into(),
                    json!({}),
                ));
            }
            let severity = rule.labels.get(&names.severity).map(|v| v.text.clone());
            match &severity {
                None => out.push(lint(
                    rule,
                    "no_severity",
                    format!(
                        "no `{}` label: routing cannot tell a page from a ticket",
                        names.severity
                    ),
                    json!({}),
                )),
                Some(s) if is_paging_severity(s) => {
                    let causes = cause_metrics(rule);
                    if !causes.is_empty() {
                        out.push(lint(
                            rule,
                            "pages_on_cause",
                            format!(
                                "pages on a cause ({}), not on a symptom users feel: alert on errors or latency, make this a warning or a dashboard",
                                causes.join(", ")
                            ),
                            json!({ "severity": s, "metrics": causes }),
                        ));
                    }
                }
                Some(_) => {}
            }
            for label in [&names.team, &names.service] {
                if let Some(owner) = rule.labels.get(label) {
                    owners
                        .entry((label.clone(), owner.text.clone()))
                        .or_default()
                        .push(rule);
                }
            }
        }
        for ((label, owner), rules) in owners {
            if rules.len() <= MAX_RULES_PER_OWNER {
                continue;
            }
            let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
            let mut advice = lint(
                rules[0],
                "too_many_rules",
                format!(
                    "{} alerting rules for {label} `{owner}`: a handful of symptom alerts per service serves on-call better",
                    rules.len()
                ),
                json!({ "label": label, "value": owner, "rules": names.len(), "names": names }),
            );
            advice.rule = format!("{label}={owner}");
            out.push(advice);
        }
        out
    }
}
