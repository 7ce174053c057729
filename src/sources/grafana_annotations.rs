//! Grafana unified alerting's state history kept as annotations:
//! `GET /api/annotations?type=alert` answers (a JSON list).
//!
//! Each annotation is one state change of one alert instance: `time` (epoch
//! milliseconds), `alertName`, `prevState` and `newState` (`Normal`,
//! `Pending`, `Alerting`, `Recovering`, `NoData`, `Error`, with a reason in
//! parentheses such as `Normal (MissingSeries)` or `Alerting (NoData)`), and
//! the instance's labels inside `text`, which Grafana writes as
//! `Title {label=value, label=value} - B=93.000000`. Changes of one instance
//! ordered by time make its episodes: `Pending` gives `pending_since`,
//! `Alerting` starts one, `Recovering` keeps it firing (Grafana's
//! `keep_firing_for`), anything else ends it; a pending period that ends
//! without firing is a pending-only episode. See `docs/formats/grafana.md`.

use super::rule_name::{json_field, RuleNamer};
use super::{json_records, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::{Episode, Origin};
use crate::fingerprint::fingerprint;
use crate::problem::Problem;
use crate::timefmt::Millis;
use serde_json::Value;
use std::collections::BTreeMap;

/// The Grafana annotations format.
pub struct GrafanaAnnotations;

/// The name in the `source` column.
pub const NAME: &str = "grafana-annotations";

/// A state, without the reason Grafana appends in parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Normal, NoData, Error, or anything not firing or pending.
    Quiet,
    /// Pending: the condition holds, not yet for the pending period.
    Pending,
    /// Alerting or Recovering: firing.
    Firing,
}

impl State {
    /// Reads Grafana's formatted state (`Alerting (NoData)` is firing).
    pub fn parse(text: &str) -> State {
        match text.split(" (").next().unwrap_or("").trim() {
            "Alerting" | "Recovering" => State::Firing,
            "Pending" => State::Pending,
            _ => State::Quiet,
        }
    }
}

/// One state change of one alert instance.
#[derive(Debug, Clone)]
pub struct Transition {
    /// When it changed.
    pub at: Millis,
    /// The rule's title.
    pub rule: String,
    /// The instance's labels.
    pub labels: BTreeMap<String, String>,
    /// The state it changed to.
    pub state: State,
    /// Where it was read.
    pub origin: Origin,
}

impl Source for GrafanaAnnotations {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Grafana unified alerting state history from the annotations API: GET /api/annotations?type=alert"
    }

    fn detection(&self) -> &'static str {
        "JSON annotations with \"newState\" and \"prevState\""
    }

    fn example(&self) -> &'static str {
        r#"[{"id":1,"alertName":"High CPU","newState":"Alerting","prevState":"Pending","time":1760868030000,"text":"High CPU {alertname=High CPU, instance=host1} - B=93.000000"},
  {"id":2,"alertName":"High CPU","newState":"Normal","prevState":"Alerting","time":1760868630000,"text":"High CPU {alertname=High CPU, instance=host1} - B=12.000000"}]"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"newState\"") && head.contains("\"prevState\"")
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let (items, mut problems) =
            json_records::page_objects(&file.name, text, &["annotations"], None);
        let mut namer = RuleNamer::new(&context.rule_from);
        let mut transitions = Vec::new();
        for (line, item) in items {
            match read_annotation(&item, &mut namer) {
                Ok(Some((at, rule, labels, state))) => transitions.push(Transition {
                    at,
                    rule,
                    labels,
                    state,
                    origin: Origin {
                        file: (&file.name).into(),
                        line,
                    },
                }),
                Ok(None) => {}
                Err(reason) => problems.push(Problem::skipped(&file.name, line, 0, reason)),
            }
        }
        problems.extend(namer.warning(&file.name));
        SourceOutput {
            episodes: episodes_from_transitions(NAME, transitions),
            problems,
            ..SourceOutput::default()
        }
    }
}

type Read = (Millis, String, BTreeMap<String, String>, State);

fn read_annotation(item: &Value, namer: &mut RuleNamer) -> Result<Option<Read>, String> {
    let Some(new_state) = item.get("newState").and_then(Value::as_str) else {
        return Err("annotation without newState; skipped".into());
    };
    let at =
        item.get("time")
            .and_then(Value::as_f64)
            .filter(|t| (0.0..1e15).contains(t))
            .ok_or("annotation without a `time` in epoch milliseconds; skipped")? as Millis;
    let text = item.get("text").and_then(Value::as_str).unwrap_or("");
    let title = item
        .get("alertName")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| text.split(" {").next().unwrap_or("").to_string());
    if title.is_empty() {
        return Err("annotation without alertName or text; skipped".into());
    }
    let rule = match namer.name(&title, |path| json_field(item, path)) {
        rule if rule.is_empty() => title.clone(),
        rule => rule,
    };
    let mut labels = labels_from_text(text, &title);
    labels
        .entry("alertname".to_string())
        .or_insert_with(|| rule.clone());
    Ok(Some((at, rule, labels, State::parse(new_state))))
}

/// The labels Grafana writes into an annotation's text:
/// `Title {a=1, b=2} - values`. A value that holds ", " is kept whole when
/// the part after it has no `=`.
pub fn labels_from_text(text: &str, title: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let rest = text.strip_prefix(title).unwrap_or(text).trim_start();
    let Some(inner) = rest.strip_prefix('{') else {
        return labels;
    };
    let inner = match inner.rfind("} - ") {
        Some(end) => &inner[..end],
        None => inner.strip_suffix('}').unwrap_or(inner),
    };
    let mut last: Option<String> = None;
    for part in inner.split(", ") {
        match part.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                labels.insert(k.to_string(), v.to_string());
                last = Some(k.to_string());
            }
            _ => {
                if let Some(value) = last.as_ref().and_then(|k| labels.get_mut(k)) {
                    value.push_str(", ");
                    value.push_str(part);
                }
            }
        }
    }
    labels
}

/// Turns state changes into episodes, instance by instance in time order.
pub fn episodes_from_transitions(
    source: &'static str,
    mut transitions: Vec<Transition>,
) -> Vec<Episode> {
    transitions.sort_by(|a, b| (&a.labels, a.at).cmp(&(&b.labels, b.at)));
    let mut out = Vec::new();
    let mut i = 0;
    while i < transitions.len() {
        let mut j = i;
        while j < transitions.len() && transitions[j].labels == transitions[i].labels {
            j += 1;
        }
        instance_episodes(source, &transitions[i..j], &mut out);
        i = j;
    }
    out
}

fn instance_episodes(source: &'static str, changes: &[Transition], out: &mut Vec<Episode>) {
    let first = &changes[0];
    let base = Episode {
        source,
        rule: (&first.rule).into(),
        fingerprint: fingerprint(&first.labels).into(),
        labels: first.labels.clone().into(),
        origin: first.origin.clone(),
        ..Episode::default()
    };
    let mut pending_since: Option<Millis> = None;
    let mut firing: Option<Episode> = None;
    for change in changes {
        match change.state {
            State::Pending => {
                if firing.is_none() && pending_since.is_none() {
                    pending_since = Some(change.at);
                }
            }
            State::Firing => {
                if firing.is_none() {
                    firing = Some(Episode {
                        starts_at: Some(change.at),
                        pending_since: pending_since.take(),
                        origin: change.origin.clone(),
                        ..base.clone()
                    });
                }
            }
            State::Quiet => {
                if let Some(mut episode) = firing.take() {
                    episode.ends_at = Some(change.at);
                    out.push(episode);
                } else if let Some(since) = pending_since.take() {
                    out.push(Episode {
                        pending_since: Some(since),
                        ends_at: Some(change.at),
                        origin: change.origin.clone(),
                        ..base.clone()
                    });
                }
            }
        }
    }
    if let Some(episode) = firing {
        out.push(episode);
    } else if let Some(since) = pending_since {
        out.push(Episode {
            pending_since: Some(since),
            ..base
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_from_grafanas_text() {
        let labels = labels_from_text(
            "High CPU {alertname=High CPU, grafana_folder=Infra, note=a, b, instance=host1} - B=93.000000, C=1.000000",
            "High CPU",
        );
        assert_eq!(labels["alertname"], "High CPU");
        assert_eq!(labels["note"], "a, b");
        assert_eq!(labels["instance"], "host1");
        assert_eq!(labels.len(), 4);
        assert!(labels_from_text("No labels here", "No labels here").is_empty());
    }

    #[test]
    fn states_with_reasons() {
        assert_eq!(State::parse("Alerting (NoData)"), State::Firing);
        assert_eq!(State::parse("Recovering"), State::Firing);
        assert_eq!(State::parse("Normal (MissingSeries)"), State::Quiet);
        assert_eq!(State::parse("Pending"), State::Pending);
        assert_eq!(State::parse("NoData"), State::Quiet);
    }
}
