//! Writing advice into rule files as a unified diff.
//!
//! A change touches only the characters it must: the value of `for:` or
//! `keep_firing_for:` (or one new line beside `expr:` when the key is absent),
//! the threshold literal inside `expr`, a label's value, or the lines of a
//! removed rule (with the comment lines directly above it). Comments, quoting
//! and indentation elsewhere stay as they are. Every patched file is read back
//! with the same parser: the changed rule must have exactly the intended new
//! setting and every other rule must be unchanged, or the change is refused.

use super::file::parse_rules;
use super::threshold::format_value;
use super::{Rule, RuleFile};
use crate::problem::LineIndex;
use crate::timefmt::{format_duration, Millis};
use serde::Serialize;
use std::collections::BTreeMap;

/// One change to one rule, as advice asks for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Set `for:`.
    For(Millis),
    /// Set `keep_firing_for:`.
    KeepFiringFor(Millis),
    /// Replace the threshold literal.
    Threshold(f64),
    /// Replace a burn-rate factor (every literal of it next to a `*`): from, to.
    Factor(f64, f64),
    /// Add a condition every alert must also pass: `(expr) and on() GUARD`.
    Guard(String),
    /// Set the value of an existing label.
    Label(String, String),
    /// Delete the rule.
    Remove,
}

/// A byte-range replacement in a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// Applies `changes` (rule index within `file`, change) to the file's text and
/// checks the result by reading it back. Returns the new text.
pub fn apply(file: &RuleFile, changes: &[(usize, Change)]) -> Result<String, String> {
    let out = edit(file, changes)?;
    verify(file, changes, &out)?;
    Ok(out)
}

/// Applies `changes` to the file's text without reading the result back
/// (for callers that check it with [`verify`] another way). Returns the new text.
pub fn edit(file: &RuleFile, changes: &[(usize, Change)]) -> Result<String, String> {
    let lines = LineIndex::new(file.text.as_bytes());
    let mut edits = Vec::new();
    for (index, change) in changes {
        let rule = file
            .rules
            .get(*index)
            .ok_or_else(|| format!("no rule #{index} in {}", file.name))?;
        edits.extend(edits_for(&file.text, &lines, rule, change)?);
    }
    edits.sort_by_key(|e| (e.start, e.end));
    if edits.windows(2).any(|w| w[0].end > w[1].start) {
        return Err("two changes touch the same text".into());
    }
    let mut out = String::with_capacity(file.text.len() + 64);
    let mut at = 0;
    for e in &edits {
        out.push_str(&file.text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&file.text[at..]);
    Ok(out)
}

/// A unified diff from `old` to `new` with `a/`/`b/` paths, as `git apply` and `patch -p1` read it.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let mut unified = diff.unified_diff();
    unified
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"));
    let body = unified.to_string();
    format!("diff --git a/{path} b/{path}\n{body}")
}

fn edits_for(
    text: &str,
    lines: &LineIndex,
    rule: &Rule,
    change: &Change,
) -> Result<Vec<Edit>, String> {
    let replace = |span: super::Span, value: String| Edit {
        start: span.start,
        end: span.end,
        text: value,
    };
    Ok(match change {
        Change::For(ms) => vec![match rule.for_span {
            Some(span) => replace(span, format_duration(*ms)),
            None => insert_key(
                text,
                rule,
                "for",
                &format_duration(*ms),
                after_expr(lines, rule),
            )?,
        }],
        Change::KeepFiringFor(ms) => vec![match rule.keep_firing_for_span {
            Some(span) => replace(span, format_duration(*ms)),
            None => {
                let at = match rule.for_span {
                    Some(span) => lines.next_line_start(span.start),
                    None => after_expr(lines, rule),
                };
                insert_key(text, rule, "keep_firing_for", &format_duration(*ms), at)?
            }
        }],
        Change::Threshold(value) => vec![threshold_edit(text, rule, *value)?],
        Change::Factor(from, to) => factor_edits(text, rule, *from, *to)?,
        Change::Guard(guard) => {
            // The whole value, written again double-quoted (JSON's escapes
            // are YAML's); what follows the value (a block scalar's newline
            // and the next key's indentation) stays.
            let start = value_start(text, lines, rule)?;
            let region = &text[start..rule.expr_span.end];
            let new = super::burn_rate::guarded(&rule.expr, guard);
            vec![Edit {
                start,
                end: start + region.trim_end().len(),
                text: serde_json::to_string(&new).map_err(|e| e.to_string())?,
            }]
        }
        Change::Label(name, value) => {
            let current = rule
                .labels
                .get(name)
                .ok_or_else(|| format!("rule `{}` has no `{name}` label to change", rule.name))?;
            vec![replace(current.span, yaml_scalar(value))]
        }
        Change::Remove => vec![remove_block(text, lines, rule)?],
    })
}

/// Where a new key goes: before the key that follows `expr` in the file, or
/// after the rule's last line when `expr` is its last key.
fn after_expr(lines: &LineIndex, rule: &Rule) -> usize {
    let keys = &rule.block.keys;
    let next = keys
        .iter()
        .position(|(k, _)| k == "expr")
        .and_then(|i| keys.get(i + 1));
    match next {
        Some((_, line)) => lines.start(*line),
        None => lines.start(rule.block.last_line + 1),
    }
}

fn insert_key(text: &str, rule: &Rule, key: &str, value: &str, at: usize) -> Result<Edit, String> {
    if rule.block.flow {
        return Err(format!(
            "rule `{}` is written in flow style; add `{key}: {value}` by hand",
            rule.name
        ));
    }
    let newline = if at == text.len() && !text.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    Ok(Edit {
        start: at,
        end: at,
        text: format!(
            "{newline}{}{key}: {value}\n",
            " ".repeat(rule.block.key_column)
        ),
    })
}

/// A YAML scalar for a label value: plain when that reads back as the same string.
fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && value.parse::<f64>().is_err()
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        );
    if plain {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""))
    }
}

fn threshold_edit(text: &str, rule: &Rule, value: f64) -> Result<Edit, String> {
    let located = rule.threshold.located().ok_or_else(|| {
        format!(
            "rule `{}`: no threshold was located in its expression",
            rule.name
        )
    })?;
    let literal = located.literal.as_ref().ok_or_else(|| {
        format!(
            "rule `{}`: the threshold is an expression, not one number; change it by hand",
            rule.name
        )
    })?;
    // The n-th occurrence of the literal's text in `expr` is the n-th in the file's
    // region of the value (quoting and folding do not touch number characters);
    // the read-back check refuses the change if that ever fails.
    let nth = rule.expr[..literal.start]
        .matches(literal.text.as_str())
        .count();
    let region = &text[rule.expr_span.start..rule.expr_span.end];
    let (offset, _) = region
        .match_indices(literal.text.as_str())
        .nth(nth)
        .ok_or_else(|| {
            format!(
                "rule `{}`: the threshold literal was not found in the file",
                rule.name
            )
        })?;
    let new = format_value(value);
    let start = rule.expr_span.start + offset;
    Ok(Edit {
        start,
        end: start + literal.text.len(),
        text: new,
    })
}

/// The burn-rate factor's literals in the file: the n-th occurrence of a
/// literal's text in `expr` is the n-th in the value's region of the file, as
/// for a threshold.
fn factor_edits(text: &str, rule: &Rule, from: f64, to: f64) -> Result<Vec<Edit>, String> {
    let spans = super::burn_rate::factor_literals(&rule.expr, from);
    if spans.is_empty() {
        return Err(format!(
            "rule `{}`: no factor {} written as a number in its expression",
            rule.name,
            format_value(from)
        ));
    }
    let region = &text[rule.expr_span.start..rule.expr_span.end];
    spans
        .iter()
        .map(|&(start, end)| {
            let literal = &rule.expr[start..end];
            let nth = rule.expr[..start].matches(literal).count();
            let (offset, _) = region.match_indices(literal).nth(nth).ok_or_else(|| {
                format!(
                    "rule `{}`: the factor literal was not found in the file",
                    rule.name
                )
            })?;
            let start = rule.expr_span.start + offset;
            Ok(Edit {
                start,
                end: start + literal.len(),
                text: format_value(to),
            })
        })
        .collect()
}

/// Where `expr`'s value begins, its block indicator (`|`, `>-`) or quote
/// included: the first character after `expr:` on the key's line (a block
/// scalar's own span starts at its first content line).
fn value_start(text: &str, lines: &LineIndex, rule: &Rule) -> Result<usize, String> {
    let line = rule
        .block
        .keys
        .iter()
        .find(|(k, _)| k == "expr")
        .map(|(_, l)| *l)
        .ok_or_else(|| format!("rule `{}`: no `expr` key found", rule.name))?;
    let line_start = lines.start(line);
    let line_text = &text[line_start..lines.start(line + 1).max(line_start)];
    let key = line_text
        .find("expr")
        .and_then(|i| line_text[i + 4..].find(':').map(|j| i + 4 + j + 1))
        .ok_or_else(|| format!("rule `{}`: `expr:` not found on line {line}", rule.name))?;
    let after = &line_text[key..];
    let value = key + (after.len() - after.trim_start_matches([' ', '\t']).len());
    Ok((line_start + value).min(rule.expr_span.start))
}

/// `expr` with the factor's literals replaced, as the read-back expects it.
fn with_factor(expr: &str, from: f64, to: f64) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut at = 0;
    for (start, end) in super::burn_rate::factor_literals(expr, from) {
        out.push_str(&expr[at..start]);
        out.push_str(&format_value(to));
        at = end;
    }
    out.push_str(&expr[at..]);
    out
}

/// The lines of a rule's block, with the comment lines directly above it.
fn remove_block(text: &str, lines: &LineIndex, rule: &Rule) -> Result<Edit, String> {
    if rule.block.flow {
        return Err(format!(
            "rule `{}` is written in flow style; remove it by hand",
            rule.name
        ));
    }
    let mut first = rule.block.first_line;
    let line_text = |n: u64| &text[lines.start(n)..lines.start(n + 1)];
    let dash_line = line_text(first);
    let dash_indent = dash_line.len() - dash_line.trim_start().len();
    if !dash_line.trim_start().starts_with('-') {
        return Err(format!(
            "rule `{}`: its first line does not start the list item; remove it by hand",
            rule.name
        ));
    }
    while first > 1 {
        let line = line_text(first - 1);
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('#') && indent == dash_indent {
            first -= 1;
        } else {
            break;
        }
    }
    Ok(Edit {
        start: lines.start(first),
        end: lines.start(rule.block.last_line + 1),
        text: String::new(),
    })
}

/// What a rule looks like to Prometheus, for the read-back check.
#[derive(Debug, Clone, PartialEq)]
struct Essence {
    name: String,
    expr: String,
    for_ms: Option<Millis>,
    keep_firing_for_ms: Option<Millis>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn essence(rule: &Rule) -> Essence {
    Essence {
        name: rule.name.clone(),
        expr: rule.expr.clone(),
        for_ms: rule.for_ms,
        keep_firing_for_ms: rule.keep_firing_for_ms,
        labels: rule
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.text.clone()))
            .collect(),
        annotations: rule.annotations.clone(),
    }
}

/// Reads `new_text` back and checks that every rule of `file` reads as the
/// `changes` intend (and no other way).
pub fn verify(file: &RuleFile, changes: &[(usize, Change)], new_text: &str) -> Result<(), String> {
    let reread = parse_rules(&file.name, new_text, 0)
        .map_err(|e| format!("the patched file does not read back: {e}"))?;
    let mut expected = Vec::new();
    for (index, rule) in file.rules.iter().enumerate() {
        let mut e = essence(rule);
        let mut removed = false;
        for (_, change) in changes.iter().filter(|(i, _)| *i == index) {
            match change {
                Change::For(ms) => e.for_ms = Some(*ms),
                Change::KeepFiringFor(ms) => e.keep_firing_for_ms = Some(*ms),
                Change::Label(k, v) => {
                    e.labels.insert(k.clone(), v.clone());
                }
                Change::Remove => removed = true,
                Change::Factor(from, to) => e.expr = with_factor(&e.expr, *from, *to),
                Change::Guard(guard) => e.expr = super::burn_rate::guarded(&e.expr, guard),
                Change::Threshold(v) => {
                    if let Some(lit) = rule.threshold.located().and_then(|l| l.literal.as_ref()) {
                        e.expr = format!(
                            "{}{}{}",
                            &rule.expr[..lit.start],
                            format_value(*v),
                            &rule.expr[lit.end..]
                        );
                    }
                }
            }
        }
        if !removed {
            expected.push(e);
        }
    }
    let got: Vec<_> = reread.iter().map(essence).collect();
    if got.len() != expected.len() {
        return Err(format!(
            "the patched file has {} rules where {} were expected",
            got.len(),
            expected.len()
        ));
    }
    for (g, e) in got.iter().zip(&expected) {
        if g != e {
            return Err(format!(
                "rule `{}` reads back differently from what the change intended",
                e.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn a_guard_rewrites_a_block_expr_as_one_quoted_line() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: |\n      x:ratio_rate1h > (14.4 * 0.001)\n      and\n      x:ratio_rate5m > (14.4 * 0.001)\n    for: 2m\n";
        let rules = parse_rules("r.yml", text, 0).unwrap();
        let file = RuleFile {
            path: "r.yml".into(),
            name: "r.yml".into(),
            text: text.into(),
            rules,
        };
        let out = apply(&file, &[(0, Change::Guard("sum(r) * 3600 > 10".into()))]);
        let out = out.unwrap();
        assert!(out.contains("    expr: \"(x:ratio_rate1h > (14.4 * 0.001)\\nand\\nx:ratio_rate5m > (14.4 * 0.001)) and on() sum(r) * 3600 > 10\"\n    for: 2m\n"), "{out}");
    }
}
