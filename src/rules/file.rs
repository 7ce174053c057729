//! Reading Prometheus rule files with the position of every value.
//!
//! Accepts what Prometheus and the Prometheus Operator accept: a file with
//! `groups:`, a Kubernetes `PrometheusRule` object (`spec.groups`), several of
//! them as a multi-document YAML stream, and a `kind: List` of them as
//! `kubectl get -o yaml` writes it. YAML is read with `saphyr`, which keeps
//! the span of every node, so a patch can replace a value in place.
//!
//! Every error names the file and line: invalid YAML, a rule without `expr`,
//! a `for:` that is not a duration, PromQL that does not parse, an unknown key
//! (as Prometheus rejects it). What Prometheus loads is never refused: a rule
//! defined twice with the same labels (kube-prometheus' control-plane rules
//! record one name several times) is a warning ([`duplicate_warnings`]).

use super::{threshold, Block, Rule, RuleKind, Span, Value};
use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::timefmt::parse_duration;
use crate::yaml_text::{get, YamlText as Source};
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// One rule file as read: its text (for patches) and its rules in file order.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// The path to read and patch.
    pub path: PathBuf,
    /// The path as the user gave it, for messages.
    pub name: String,
    /// The file's text, unchanged.
    pub text: String,
    /// Alerting and recording rules in file order.
    pub rules: Vec<Rule>,
}

/// Keys Prometheus accepts in a rule; any other is an error there too.
const RULE_KEYS: [&str; 7] = [
    "alert",
    "record",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// Reads every rule file under the given paths (directories: `*.yml`/`*.yaml`,
/// recursively, sorted). Fails on the first file that Prometheus would reject.
pub fn load_rule_files(paths: &[PathBuf]) -> Result<Vec<RuleFile>> {
    let mut files = Vec::new();
    for path in expand(paths)? {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let name = path.display().to_string();
        let index = files.len();
        let rules = parse_rules(&name, &text, index)?;
        files.push(RuleFile {
            path,
            name,
            text,
            rules,
        });
    }
    Ok(files)
}

/// Rule files named directly are read whatever their name; directories are
/// walked as inputs are (`sources::expand_inputs`: recursively, sorted, hidden
/// entries and symlinked directories skipped) for `*.yml` and `*.yaml`.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let found: Vec<PathBuf> = crate::sources::expand_inputs(std::slice::from_ref(path))?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect();
        if found.is_empty() {
            return Err(Error::Usage(format!(
                "--rules {}: no .yml or .yaml files in this directory",
                path.display()
            )));
        }
        out.extend(found);
    }
    Ok(out)
}

/// Parses the text of one rule file.
pub fn parse_rules(name: &str, text: &str, file_index: usize) -> Result<Vec<Rule>> {
    let source = Source::new(name, text);
    let documents = source.documents()?;
    let mut rules = Vec::new();
    for doc in &documents {
        for groups in source.group_lists(doc)? {
            source.read_groups(groups, file_index, &mut rules)?;
        }
    }
    Ok(rules)
}

impl Source<'_> {
    /// The `groups` sequences of one YAML document.
    fn group_lists<'n>(&self, doc: &'n MarkedYaml<'n>) -> Result<Vec<&'n MarkedYaml<'n>>> {
        match &doc.data {
            YamlData::Value(Scalar::Null) => return Ok(Vec::new()),
            YamlData::Mapping(_) => {}
            _ => {
                return Err(self.error(
                    doc,
                    "not a rule file: expected a mapping with `groups:` or a PrometheusRule".into(),
                ))
            }
        }
        if let Some(groups) = get(doc, "groups") {
            return Ok(vec![groups]);
        }
        let kind = get(doc, "kind").and_then(|k| self.scalar_text(k));
        match kind.as_deref() {
            Some("PrometheusRule") => match get(doc, "spec").and_then(|s| get(s, "groups")) {
                Some(groups) => Ok(vec![groups]),
                None => Err(self.error(doc, "PrometheusRule without `spec.groups`".into())),
            },
            Some("List") => {
                let mut out = Vec::new();
                if let Some(YamlData::Sequence(items)) = get(doc, "items").map(|i| &i.data) {
                    for item in items {
                        out.extend(self.group_lists(item)?);
                    }
                }
                Ok(out)
            }
            // Other Kubernetes objects in the same manifest stream are not rules.
            Some(_) if get(doc, "apiVersion").is_some() => Ok(Vec::new()),
            _ => Err(self.error(
                doc,
                "not a rule file: no `groups:` (nor a PrometheusRule's `spec.groups`)".into(),
            )),
        }
    }

    fn read_groups(&self, groups: &MarkedYaml, file: usize, out: &mut Vec<Rule>) -> Result<()> {
        let YamlData::Sequence(groups) = &groups.data else {
            if matches!(groups.data, YamlData::Value(Scalar::Null)) {
                return Ok(());
            }
            return Err(self.error(groups, "`groups` must be a list of groups".into()));
        };
        for group in groups {
            if !matches!(group.data, YamlData::Mapping(_)) {
                return Err(self.error(
                    group,
                    "a group must be a mapping with `name` and `rules`".into(),
                ));
            }
            let name = get(group, "name")
                .and_then(|n| self.scalar_text(n))
                .ok_or_else(|| self.error(group, "group without `name`".into()))?;
            let Some(rules) = get(group, "rules") else {
                continue;
            };
            match &rules.data {
                YamlData::Sequence(rules) => {
                    for rule in rules {
                        out.push(self.read_rule(rule, &name, file)?);
                    }
                }
                YamlData::Value(Scalar::Null) => {}
                _ => {
                    return Err(self.error(rules, format!("group `{name}`: `rules` must be a list")))
                }
            }
        }
        Ok(())
    }

    fn read_rule(&self, node: &MarkedYaml, group: &str, file: usize) -> Result<Rule> {
        let YamlData::Mapping(map) = &node.data else {
            return Err(self.error(node, format!("group `{group}`: a rule must be a mapping")));
        };
        let mut keys = Vec::new();
        let mut last_line = node.span.start.line() as u64;
        for (key, value) in map.iter() {
            let key_text = self.scalar_text(key).unwrap_or_default();
            if !RULE_KEYS.contains(&key_text.as_str()) {
                return Err(self.error(
                    key,
                    format!("unknown key `{key_text}` in a rule (Prometheus rejects it; expected one of {})", RULE_KEYS.join(", ")),
                ));
            }
            keys.push((key_text, key.span.start.line() as u64));
            last_line = last_line.max(self.last_line(value));
        }
        let alert = get(node, "alert").and_then(|v| self.scalar_text(v));
        let record = get(node, "record").and_then(|v| self.scalar_text(v));
        let (name, kind) = match (alert, record) {
            (Some(a), None) => (a, RuleKind::Alerting),
            (None, Some(r)) => (r, RuleKind::Recording),
            (Some(_), Some(_)) => {
                return Err(self.error(node, "a rule has both `alert` and `record`".into()))
            }
            (None, None) => {
                return Err(self.error(
                    node,
                    format!("group `{group}`: a rule without `alert` or `record`"),
                ))
            }
        };
        if name.trim().is_empty() {
            return Err(self.error(node, format!("group `{group}`: a rule with an empty name")));
        }
        let expr_node = get(node, "expr")
            .ok_or_else(|| self.error(node, format!("rule `{name}` has no `expr`")))?;
        let expr = self
            .scalar_text(expr_node)
            .filter(|e| !e.trim().is_empty())
            .ok_or_else(|| self.error(expr_node, format!("rule `{name}`: `expr` is empty")))?;
        let ast = promql_parser::parser::parse(&expr).map_err(|e| {
            self.error(
                expr_node,
                format!("rule `{name}`: invalid PromQL: {}", one_line(&e)),
            )
        })?;
        let (for_ms, for_span) = self.duration(node, "for", &name)?;
        let (keep_firing_for_ms, keep_firing_for_span) =
            self.duration(node, "keep_firing_for", &name)?;
        if kind == RuleKind::Recording && (for_ms.is_some() || keep_firing_for_ms.is_some()) {
            return Err(self.error(
                node,
                format!("recording rule `{name}` cannot have `for` or `keep_firing_for`"),
            ));
        }
        let labels = self.string_map(node, "labels", &name)?;
        let annotations = self
            .string_map(node, "annotations", &name)?
            .into_iter()
            .map(|(k, v)| (k, v.text))
            .collect();
        let first_key = map.iter().next().map(|(k, _)| k.span.start);
        let key_column = first_key.map(|m| m.col()).unwrap_or(0);
        let flow = self.text[self.byte(node.span.start.index())..]
            .trim_start()
            .starts_with('{');
        Ok(Rule {
            threshold: threshold::locate(&ast, &expr),
            name,
            kind,
            group: group.to_string(),
            file,
            file_name: self.name.to_string(),
            line: first_key.map(|m| m.line() as u64).unwrap_or(0),
            expr_span: self.span(expr_node),
            expr,
            for_ms,
            for_span,
            keep_firing_for_ms,
            keep_firing_for_span,
            labels,
            annotations,
            block: Block {
                first_line: node.span.start.line() as u64,
                last_line,
                key_column,
                keys,
                flow,
            },
        })
    }

    fn duration(
        &self,
        rule: &MarkedYaml,
        key: &str,
        name: &str,
    ) -> Result<(Option<i64>, Option<Span>)> {
        let Some(node) = get(rule, key) else {
            return Ok((None, None));
        };
        if matches!(node.data, YamlData::Value(Scalar::Null)) {
            return Ok((None, None));
        }
        let text = self.scalar_text(node).ok_or_else(|| {
            self.error(node, format!("rule `{name}`: `{key}` must be a duration"))
        })?;
        let ms = parse_duration(&text)
            .map_err(|e| self.error(node, format!("rule `{name}`: `{key}`: {e}")))?;
        Ok((Some(ms), Some(self.span(node))))
    }

    fn string_map(
        &self,
        rule: &MarkedYaml,
        key: &str,
        name: &str,
    ) -> Result<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        let Some(node) = get(rule, key) else {
            return Ok(out);
        };
        match &node.data {
            YamlData::Mapping(map) => {
                for (k, v) in map.iter() {
                    let k_text = self.scalar_text(k).unwrap_or_default();
                    let v_text = self.scalar_text(v).ok_or_else(|| {
                        self.error(
                            v,
                            format!("rule `{name}`: {key} `{k_text}` must be a string"),
                        )
                    })?;
                    out.insert(
                        k_text,
                        Value {
                            text: v_text,
                            span: self.span(v),
                        },
                    );
                }
                Ok(out)
            }
            YamlData::Value(Scalar::Null) => Ok(out),
            _ => Err(self.error(node, format!("rule `{name}`: `{key}` must be a mapping"))),
        }
    }

    /// The byte span of a scalar node (block scalars: from their first content line).
    fn span(&self, node: &MarkedYaml) -> Span {
        let start = self.byte(node.span.start.index());
        let end = self.byte(node.span.end.index()).max(start);
        Span {
            start,
            end,
            line: node.span.start.line() as u64,
        }
    }

    /// The last line that holds content of this node (scalars' own ends, recursively).
    fn last_line(&self, node: &MarkedYaml) -> u64 {
        match &node.data {
            YamlData::Mapping(map) => map
                .iter()
                .map(|(k, v)| self.last_line(k).max(self.last_line(v)))
                .max()
                .unwrap_or(node.span.start.line() as u64),
            YamlData::Sequence(items) => items
                .iter()
                .map(|v| self.last_line(v))
                .max()
                .unwrap_or(node.span.start.line() as u64),
            _ => {
                // The last non-blank character before the scalar's end: block
                // scalars end where the next key starts.
                let start = self.byte(node.span.start.index());
                let end = self.byte(node.span.end.index()).max(start);
                let content = self.text[start..end].trim_end();
                let newlines = content.matches('\n').count() as u64;
                node.span.start.line() as u64 + newlines
            }
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Warnings for rules defined again with the same kind, name and static
/// labels. Prometheus loads them (`promtool check rules` only lints them), so
/// the run goes on; for alerting rules the warning says that their alerts
/// cannot be told apart in the history (they are measured as one rule).
pub fn duplicate_warnings(files: &[RuleFile]) -> Vec<Problem> {
    /// Alerting or not, name, static labels: what tells two rules' alerts apart.
    type Identity<'a> = (bool, &'a str, Vec<(&'a str, &'a str)>);
    let mut seen: HashMap<Identity, &Rule> = HashMap::new();
    let mut warnings = Vec::new();
    for rule in files.iter().flat_map(|f| &f.rules) {
        let labels = rule
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.text.as_str()))
            .collect();
        let alerting = rule.kind == RuleKind::Alerting;
        let key = (alerting, rule.name.as_str(), labels);
        let Some(first) = seen.get(&key) else {
            seen.insert(key, rule);
            continue;
        };
        let consequence = if alerting {
            "their alerts cannot be told apart in the history, so they are measured as one rule"
        } else {
            "Prometheus loads both (`promtool check rules` only lints it)"
        };
        warnings.push(Problem::warning(
            &rule.file_name,
            rule.line,
            0,
            format!(
                "{} rule `{}` is defined again with the same labels (first at {}): {consequence}",
                if alerting { "alerting" } else { "recording" },
                rule.name,
                first.location()
            ),
        ));
    }
    warnings
}
