//! Grafana unified alerting's state history API, `GET /api/v1/rules/history`
//! (Loki or Prometheus history backends): a data frame whose `time` column
//! holds epoch milliseconds and whose `line` column holds one state change
//! each, `{"previous", "current", "ruleTitle", "ruleUID", "fingerprint",
//! "labels", "values"}`.
//!
//! The frame may be saved bare, as a list of frames, or inside
//! `{"frames": […]}` / `{"results": {"A": {"frames": […]}}}`. State changes
//! become episodes as in `grafana_annotations.rs`. See `docs/formats/grafana.md`.

use super::grafana_annotations::{episodes_from_transitions, State, Transition};
use super::rule_name::{json_field, RuleNamer};
use super::{json_records, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::Origin;
use crate::problem::Problem;
use serde_json::Value;
use std::collections::BTreeMap;

/// The Grafana rules history format.
pub struct GrafanaRulesHistory;

/// The name in the `source` column.
pub const NAME: &str = "grafana-rules-history";

impl Source for GrafanaRulesHistory {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Grafana unified alerting state history API GET /api/v1/rules/history: a data frame of state changes"
    }

    fn detection(&self) -> &'static str {
        "a data frame (\"schema\" with \"fields\") whose lines hold \"ruleTitle\" or \"current\""
    }

    fn example(&self) -> &'static str {
        r#"{"schema":{"fields":[{"name":"time","type":"time"},{"name":"line","type":"other"},{"name":"labels","type":"other"}]},"data":{"values":[[1760868030000],
  [{"schemaVersion":1,"previous":"Pending","current":"Alerting","ruleTitle":"High CPU","ruleUID":"abc","labels":{"alertname":"High CPU","instance":"host1"}}],[{"from":"state-history"}]]}}"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"schema\"")
            && head.contains("\"fields\"")
            && (head.contains("\"ruleTitle\"") || head.contains("\"current\""))
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let mut out = SourceOutput::default();
        let answer = match json_records::whole_value(&file.name, text, "a Grafana data frame") {
            Ok(v) => v,
            Err(problem) => {
                out.problems.push(problem);
                return out;
            }
        };
        let mut namer = RuleNamer::new(&context.rule_from);
        let mut transitions = Vec::new();
        for (f, frame) in frames(&answer).into_iter().enumerate() {
            match read_frame(frame, &file.name, &mut namer, &mut transitions) {
                Ok(skipped) => out.problems.extend(skipped),
                Err(why) => out.problems.push(Problem::skipped(
                    &file.name,
                    0,
                    0,
                    format!("frame #{}: {why}", f + 1),
                )),
            }
        }
        out.problems.extend(namer.warning(&file.name));
        out.episodes = episodes_from_transitions(NAME, transitions);
        out
    }
}

/// Every frame of the answer, however it was saved.
fn frames(answer: &Value) -> Vec<&Value> {
    match answer {
        Value::Array(list) => list.iter().flat_map(frames).collect(),
        Value::Object(map) if map.contains_key("schema") => vec![answer],
        Value::Object(map) => {
            if let Some(list) = map.get("frames") {
                return frames(list);
            }
            map.get("results")
                .and_then(Value::as_object)
                .map(|results| results.values().flat_map(frames).collect())
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// Reads one frame's rows; rows that cannot be read are problems (returned),
/// a frame without `time` and `line` columns is an error.
fn read_frame(
    frame: &Value,
    file: &str,
    namer: &mut RuleNamer,
    out: &mut Vec<Transition>,
) -> Result<Vec<Problem>, String> {
    let fields = frame
        .pointer("/schema/fields")
        .and_then(Value::as_array)
        .ok_or("no schema.fields")?;
    let column = |name: &str| {
        fields
            .iter()
            .position(|f| f.get("name").and_then(Value::as_str) == Some(name))
    };
    let time_at = column("time").ok_or("no `time` field")?;
    let line_at = column("line").ok_or("no `line` field")?;
    let values = frame
        .pointer("/data/values")
        .and_then(Value::as_array)
        .ok_or("no data.values")?;
    let times = values
        .get(time_at)
        .and_then(Value::as_array)
        .ok_or("no time values")?;
    let lines = values
        .get(line_at)
        .and_then(Value::as_array)
        .ok_or("no line values")?;
    let mut problems = Vec::new();
    for (row, (time, line)) in times.iter().zip(lines).enumerate() {
        let skip =
            |why: &str| Problem::skipped(file, 0, 0, format!("row #{}: {why}; skipped", row + 1));
        let Some(at) = time.as_f64().filter(|t| (0.0..1e15).contains(t)) else {
            problems.push(skip("the time is not epoch milliseconds"));
            continue;
        };
        // Loki stores the line as JSON text; the API may give it parsed.
        let parsed;
        let line = match line {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(v) => {
                    parsed = v;
                    &parsed
                }
                Err(_) => {
                    problems.push(skip("the line is not a JSON object"));
                    continue;
                }
            },
            other => other,
        };
        let Some(current) = line.get("current").and_then(Value::as_str) else {
            problems.push(skip("the line has no `current` state"));
            continue;
        };
        let title = line
            .get("ruleTitle")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut labels: BTreeMap<String, String> = line
            .get("labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let title = if title.is_empty() {
            labels.get("alertname").cloned().unwrap_or_default()
        } else {
            title
        };
        if title.is_empty() {
            problems.push(skip("the line names no rule (ruleTitle or alertname)"));
            continue;
        }
        let rule = match namer.name(&title, |path| json_field(line, path)) {
            rule if rule.is_empty() => title.clone(),
            rule => rule,
        };
        labels
            .entry("alertname".into())
            .or_insert_with(|| rule.clone());
        out.push(Transition {
            at: at as i64,
            rule,
            labels,
            state: State::parse(current),
            origin: Origin {
                file: file.into(),
                line: 0,
            },
        });
    }
    Ok(problems)
}
