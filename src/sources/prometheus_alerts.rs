//! Prometheus' `ALERTS` series, as a `query_range` answer saved to a file.
//!
//! `curl 'http://prometheus:9090/api/v1/query_range?query=ALERTS&start=…&end=…&step=15s'`
//! (the API's answer) or `promtool query range --start … --end … --step 15s -o json
//! http://prometheus:9090 ALERTS` (the bare matrix): both are read.
//! Every alert instance has a `pending` series and a `firing` series. A run of
//! samples without a gap larger than the step is one period: a firing run is an
//! episode (`starts_at` = its first sample, `ends_at` = its last sample plus
//! one step, when Prometheus resolved it); the pending run right before it
//! gives `pending_since`; a pending run with no firing run after it is a
//! pending-only episode (the condition held, but not for `for:`), which the
//! `for:` replay needs. A run that reaches the end of the answer is still open.
//! The step is the smallest gap between samples in the file: query with the
//! rule group's evaluation interval as the step for exact times.
//!
//! Not yet read (see `docs/formats/prometheus-alerts.md`): `ALERTS_FOR_STATE`,
//! and episodes cut at the seam of two range files.

use super::query_range::{sample_time, series_list, smallest_gap};
use super::{InputFile, Source, SourceOutput};
use crate::episodes::{Episode, Origin};
use crate::fingerprint::fingerprint;
use crate::problem::Problem;
use crate::timefmt::Millis;
use serde_json::Value;
use std::collections::BTreeMap;

/// The Prometheus `ALERTS` query_range format.
pub struct PrometheusAlerts;

/// Samples of one alert instance: (pending times, firing times).
type Series = (Vec<Millis>, Vec<Millis>);

impl Source for PrometheusAlerts {
    fn name(&self) -> &'static str {
        "prometheus-alerts"
    }

    fn description(&self) -> &'static str {
        "Prometheus query_range answer (or promtool -o json matrix) for ALERTS, pending and firing series; detected by a matrix holding ALERTS/alertstate series"
    }

    fn example(&self) -> &'static str {
        r#"{"status":"success","data":{"resultType":"matrix","result":[
  {"metric":{"__name__":"ALERTS","alertname":"HighLatency","alertstate":"firing"},"values":[[1700000000,"1"],[1700000015,"1"]]}]}}"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"resultType\"")
            && (head.contains("\"ALERTS\"") || head.contains("\"alertstate\""))
    }

    fn read(&self, file: &InputFile, text: &str) -> SourceOutput {
        let mut out = SourceOutput::default();
        let skip = |reason: String| Problem::skipped(&file.name, 0, 0, reason);
        let answer: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                out.problems.push(Problem::skipped(
                    &file.name,
                    e.line() as u64,
                    e.column() as u64,
                    format!("not a query_range answer: {e}"),
                ));
                return out;
            }
        };
        let result = match series_list(&answer) {
            Ok(list) => list,
            Err(why) => {
                out.problems.push(skip(why));
                return out;
            }
        };
        let mut instances: BTreeMap<BTreeMap<String, String>, Series> = BTreeMap::new();
        let mut for_state = 0;
        for (i, series) in result.iter().enumerate() {
            match read_series(series) {
                Ok(Some((labels, firing, times))) => {
                    let entry = instances.entry(labels).or_default();
                    if firing {
                        entry.1.extend(times);
                    } else {
                        entry.0.extend(times);
                    }
                }
                Ok(None) => for_state += 1,
                Err(why) => out.problems.push(skip(format!("series #{}: {why}", i + 1))),
            }
        }
        if for_state > 0 {
            out.problems.push(Problem::warning(
                &file.name,
                0,
                0,
                format!(
                    "{for_state} series other than ALERTS (e.g. ALERTS_FOR_STATE) were not read"
                ),
            ));
        }
        for (pending, firing) in instances.values_mut() {
            for times in [pending, firing] {
                times.sort_unstable();
                times.dedup();
            }
        }
        let step = smallest_gap(
            instances
                .values()
                .flat_map(|(p, f)| [p.iter().copied(), f.iter().copied()]),
        )
        .unwrap_or(60_000);
        let last = instances
            .values()
            .flat_map(|(p, f)| p.last().max(f.last()))
            .copied()
            .max()
            .unwrap_or(0);
        for (labels, (pending, firing)) in &instances {
            episodes(
                labels,
                pending,
                firing,
                step,
                last,
                &file.name,
                &mut out.episodes,
            );
        }
        out
    }
}

/// Labels, whether it is the firing series, and the sample times; `None` for other metrics.
#[allow(clippy::type_complexity)]
fn read_series(
    series: &Value,
) -> Result<Option<(BTreeMap<String, String>, bool, Vec<Millis>)>, String> {
    let metric = series
        .get("metric")
        .and_then(Value::as_object)
        .ok_or("no `metric` object")?;
    if metric
        .get("__name__")
        .and_then(Value::as_str)
        .unwrap_or("ALERTS")
        != "ALERTS"
    {
        return Ok(None);
    }
    let mut labels = BTreeMap::new();
    for (k, v) in metric {
        let v = v
            .as_str()
            .ok_or_else(|| format!("label `{k}` is not a string"))?;
        if k != "__name__" && k != "alertstate" {
            labels.insert(k.clone(), v.to_string());
        }
    }
    if !labels.contains_key("alertname") {
        return Err("no `alertname` label".into());
    }
    let firing = match metric.get("alertstate").and_then(Value::as_str) {
        Some("firing") => true,
        Some("pending") => false,
        other => {
            return Err(format!(
                "alertstate is {other:?}, expected \"pending\" or \"firing\""
            ))
        }
    };
    let values = series
        .get("values")
        .and_then(Value::as_array)
        .ok_or("no `values` list (an instant query has `value`; save a query_range answer)")?;
    let mut times = Vec::with_capacity(values.len());
    for v in values {
        let t = sample_time(v)
            .ok_or_else(|| format!("sample {v} has no timestamp in epoch seconds"))?;
        times.push(t);
    }
    Ok(Some((labels, firing, times)))
}

/// Splits sorted times into runs (first, last) at gaps larger than 1.5 steps.
fn runs(times: &[Millis], step: Millis) -> Vec<(Millis, Millis)> {
    let mut out: Vec<(Millis, Millis)> = Vec::new();
    for &t in times {
        match out.last_mut() {
            Some(run) if t - run.1 <= step + step / 2 => run.1 = t,
            _ => out.push((t, t)),
        }
    }
    out
}

fn episodes(
    labels: &BTreeMap<String, String>,
    pending: &[Millis],
    firing: &[Millis],
    step: Millis,
    last: Millis,
    file: &str,
    out: &mut Vec<Episode>,
) {
    let fp = fingerprint(labels);
    let rule = labels.get("alertname").cloned().unwrap_or_default();
    let end_of = |run_last: Millis| (run_last + step / 2 < last).then_some(run_last + step);
    let pending_runs = runs(pending, step);
    let firing_runs = runs(firing, step);
    let mut used = vec![false; pending_runs.len()];
    let base = Episode {
        source: "prometheus-alerts",
        rule,
        fingerprint: fp,
        labels: labels.clone(),
        origin: Origin {
            file: file.to_string(),
            line: 0,
        },
        ..Episode::default()
    };
    for &(first, run_last) in &firing_runs {
        // The pending run that ends one step before the alert fired.
        let before = pending_runs
            .iter()
            .position(|&(_, p_last)| p_last < first && first - p_last <= step + step / 2);
        if let Some(i) = before {
            used[i] = true;
        }
        out.push(Episode {
            starts_at: Some(first),
            ends_at: end_of(run_last),
            pending_since: before.map(|i| pending_runs[i].0),
            ..base.clone()
        });
    }
    for (i, &(first, run_last)) in pending_runs.iter().enumerate() {
        if !used[i] {
            out.push(Episode {
                starts_at: None,
                ends_at: end_of(run_last),
                pending_since: Some(first),
                ..base.clone()
            });
        }
    }
}
