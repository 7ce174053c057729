//! Prometheus rule files: reading them with positions, finding every alert's
//! threshold in its PromQL, and writing patches that change only what advice asks.
//!
//! - [`file`] reads `groups:` files and Kubernetes `PrometheusRule` objects
//!   (multi-document YAML) and keeps the file, line and byte span of every value
//!   a patch may touch.
//! - [`threshold`] parses each `expr` with `promql-parser` and locates the
//!   comparison that carries the threshold, or says why it cannot.
//! - [`burn_rate`] recognises SLO burn-rate alerts (window pairs, factor, objective).
//! - [`patch`] turns edits into a unified diff that `git apply` and `patch -p1` accept.

pub mod burn_rate;
pub mod file;
pub mod patch;
pub mod threshold;

use crate::episodes::EpisodeRef;
use crate::timefmt::Millis;
use std::collections::BTreeMap;

pub use file::{duplicate_warnings, load_rule_files, RuleFile};
pub use threshold::Threshold;

/// A value's place in its rule file: byte range of the scalar and its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte of the value in the file's text.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// 1-based line of the first byte.
    pub line: u64,
}

/// Alerting or recording rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `alert:`: the rules alertnoise advises on.
    Alerting,
    /// `record:`: read (so the file is understood) and ignored for advice.
    Recording,
}

/// A static label (or annotation) of a rule and where its value is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The value as Prometheus reads it.
    pub text: String,
    /// Where it is written.
    pub span: Span,
}

/// One rule of one group, with everything a patch needs to find its lines.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `alert:` or `record:` name.
    pub name: String,
    /// Alerting or recording.
    pub kind: RuleKind,
    /// The group's `name:`.
    pub group: String,
    /// Index of the file in the list given to [`load_rule_files`].
    pub file: usize,
    /// The file as given on the command line, for messages.
    pub file_name: String,
    /// 1-based line of the rule's first key.
    pub line: u64,
    /// The PromQL expression.
    pub expr: String,
    /// Where `expr`'s value is written.
    pub expr_span: Span,
    /// `for:` in milliseconds; `None` when absent.
    pub for_ms: Option<Millis>,
    /// Where `for:`'s value is written.
    pub for_span: Option<Span>,
    /// `keep_firing_for:` in milliseconds; `None` when absent.
    pub keep_firing_for_ms: Option<Millis>,
    /// Where `keep_firing_for:`'s value is written.
    pub keep_firing_for_span: Option<Span>,
    /// Static labels (`labels:`).
    pub labels: BTreeMap<String, Value>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Layout of the rule's block in the file.
    pub block: Block,
    /// The threshold comparison in `expr`, or why none was found.
    pub threshold: Threshold,
}

/// Where a rule's mapping sits in its file, for inserting and removing lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 1-based first line of the rule (the line of its `- ` item).
    pub first_line: u64,
    /// 1-based last line holding the rule's own content.
    pub last_line: u64,
    /// Column (0-based) of the rule's keys.
    pub key_column: usize,
    /// The rule's keys in file order with their 1-based lines, e.g. `("expr", 7)`.
    pub keys: Vec<(String, u64)>,
    /// Written in flow style (`{alert: X, ...}`): values can be replaced, lines not added.
    pub flow: bool,
}

impl Rule {
    /// `file:line` of the rule, for messages and advice.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file_name, self.line)
    }

    /// Whether an alert with these labels comes from this rule: same
    /// `alertname`, and carries every static label whose value is not a template.
    pub fn matches(&self, episode: EpisodeRef) -> bool {
        *episode.rule() == self.name
            && self.labels.iter().all(|(name, value)| {
                value.text.contains("{{")
                    || episode.labels().get(name).is_none_or(|v| *v == value.text)
            })
    }
}
