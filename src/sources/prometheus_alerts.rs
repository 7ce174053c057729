//! Prometheus' `ALERTS` and `ALERTS_FOR_STATE` series, as `query_range`
//! answers saved to files.
//!
//! `curl 'http://prometheus:9090/api/v1/query_range?query=ALERTS&start=…&end=…&step=15s'`
//! (the API's answer) or `promtool query range --start … --end … --step 15s -o json
//! http://prometheus:9090 ALERTS` (the bare matrix): both are read, and the
//! query `{__name__=~"ALERTS|ALERTS_FOR_STATE"}` gives both series at once.
//! Every alert instance has a `pending` series and a `firing` series. A run of
//! samples without a gap larger than 1.5 steps is one period: a firing run is
//! an episode (`starts_at` = its first sample, `ends_at` = its last sample plus
//! one step, when Prometheus resolved it); its `pending_since` is the alert's
//! `activeAt` from `ALERTS_FOR_STATE` when given, else the first sample of the
//! pending run right before it; a pending run with no firing run after it is a
//! pending-only episode (the condition held, but not for `for:`), which the
//! `for:` replay needs. A run that reaches the end of the data is still open;
//! the end of the data is the last sample, or for a directory `fetch
//! prometheus` wrote, its last evaluation (from `fetch.json`), so an alert
//! that resolved before then is resolved even when no other alert fired after it.
//! The step is the smallest gap between samples in each file: query with the
//! rule group's evaluation interval as the step for exact times.
//!
//! Files are read into [`AlertSamples`]; [`episodes`] cuts episodes from the
//! samples of every file together, so that a history saved as several range
//! queries (chunks, overlapping or not) joins at the seams.
//! See `docs/formats/prometheus-alerts.md`.

use super::query_range::{sample_time, series_list, smallest_gap};
use super::{json_records, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::{Episode, Origin};
use crate::fingerprint::fingerprint;
use crate::problem::Problem;
use crate::timefmt::Millis;
use serde_json::Value;
use std::collections::BTreeMap;

/// The Prometheus `ALERTS` query_range format.
pub struct PrometheusAlerts;

/// The name in the `source` column.
pub const NAME: &str = "prometheus-alerts";

/// Which series samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeriesKind {
    /// `ALERTS{alertstate="pending"}`.
    Pending,
    /// `ALERTS{alertstate="firing"}`.
    Firing,
    /// `ALERTS_FOR_STATE`: the value is the alert's `activeAt`.
    ForState,
}

/// The samples of one series of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSamples {
    /// The alert instance's labels (without `__name__` and `alertstate`).
    pub labels: BTreeMap<String, String>,
    /// Which series.
    pub kind: SeriesKind,
    /// Sample times, and for `ALERTS_FOR_STATE` the `activeAt` each holds.
    pub samples: Vec<(Millis, Option<Millis>)>,
    /// The step of the file it came from; `None` when no series of the file
    /// has two samples (the other files' step is used, else one minute).
    pub step: Option<Millis>,
    /// The last sample time of the file it came from.
    pub file_last: Millis,
    /// The file it came from.
    pub file: String,
}

impl Source for PrometheusAlerts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Prometheus query_range answers (or promtool -o json matrices) for ALERTS, pending and firing, and ALERTS_FOR_STATE; range files of one history join at their seams"
    }

    fn detection(&self) -> &'static str {
        "a matrix (\"resultType\" or a bare list of series) holding ALERTS, ALERTS_FOR_STATE or alertstate series; or a Prometheus API error answer (\"errorType\")"
    }

    fn example(&self) -> &'static str {
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"ALERTS","alertname":"HighLatency","alertstate":"firing"},
  "values":[[1700000000,"1"],[1700000015,"1"]]},{"metric":{"__name__":"ALERTS_FOR_STATE","alertname":"HighLatency"},"values":[[1700000000,"1699999940"]]}]}}"#
    }

    fn detect(&self, head: &str) -> bool {
        // An error answer of the Prometheus API is read to report its error.
        if head.contains("\"errorType\"") && head.contains("\"status\"") {
            return true;
        }
        // A range with no alert at all is an empty matrix: read, it is no episode.
        let empty_matrix = head.contains("\"resultType\"")
            && (head.contains("\"result\":[]") || head.contains("\"result\": []"));
        empty_matrix
            || (head.contains("\"resultType\"") || head.trim_start().starts_with('['))
                && (head.contains("\"ALERTS\"")
                    || head.contains("\"ALERTS_FOR_STATE\"")
                    || head.contains("\"alertstate\""))
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let mut out = SourceOutput::default();
        let skip = |reason: String| Problem::skipped(&file.name, 0, 0, reason);
        let answer = match json_records::whole_value(&file.name, text, "a query_range answer") {
            Ok(v) => v,
            Err(problem) => {
                out.problems.push(problem);
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
        let mut others = 0;
        let mut series_of_file = Vec::new();
        for (i, series) in result.iter().enumerate() {
            match read_series(series) {
                Ok(Some((labels, kind, mut samples))) => {
                    samples.sort_unstable();
                    samples.dedup_by_key(|s| s.0);
                    series_of_file.push((labels, kind, samples));
                }
                Ok(None) => others += 1,
                Err(why) => out.problems.push(skip(format!("series #{}: {why}", i + 1))),
            }
        }
        if others > 0 {
            out.problems.push(Problem::warning(
                &file.name,
                0,
                0,
                format!("{others} series other than ALERTS and ALERTS_FOR_STATE were not read"),
            ));
        }
        let step = smallest_gap(
            series_of_file
                .iter()
                .map(|(_, _, samples)| samples.iter().map(|s| s.0)),
        );
        // The history reaches the last sample, or further where it is known
        // (a fetched directory's last evaluation: an alert whose samples
        // stop before it had resolved).
        let file_last = series_of_file
            .iter()
            .filter_map(|(_, _, samples)| samples.last().map(|s| s.0))
            .chain(context.history_end(&file.name))
            .max()
            .unwrap_or(0);
        out.alert_samples = series_of_file
            .into_iter()
            .map(|(labels, kind, samples)| AlertSamples {
                labels,
                kind,
                samples,
                step,
                file_last,
                file: file.name.clone(),
            })
            .collect();
        out
    }
}

/// One series' labels, kind and samples; `None` for other metrics.
#[allow(clippy::type_complexity)]
fn read_series(
    series: &Value,
) -> Result<
    Option<(
        BTreeMap<String, String>,
        SeriesKind,
        Vec<(Millis, Option<Millis>)>,
    )>,
    String,
> {
    let metric = series
        .get("metric")
        .and_then(Value::as_object)
        .ok_or("no `metric` object")?;
    let name = metric
        .get("__name__")
        .and_then(Value::as_str)
        .unwrap_or("ALERTS");
    if name != "ALERTS" && name != "ALERTS_FOR_STATE" {
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
    let kind = match (name, metric.get("alertstate").and_then(Value::as_str)) {
        ("ALERTS_FOR_STATE", _) => SeriesKind::ForState,
        (_, Some("firing")) => SeriesKind::Firing,
        (_, Some("pending")) => SeriesKind::Pending,
        (_, other) => {
            return Err(format!(
                "alertstate is {other:?}, expected \"pending\" or \"firing\""
            ))
        }
    };
    let values = series
        .get("values")
        .and_then(Value::as_array)
        .ok_or("no `values` list (an instant query has `value`; save a query_range answer)")?;
    let mut samples = Vec::with_capacity(values.len());
    for v in values {
        let t = sample_time(v)
            .ok_or_else(|| format!("sample {v} has no timestamp in epoch seconds"))?;
        let active_at = if kind == SeriesKind::ForState {
            let text = v.get(1).and_then(Value::as_str).unwrap_or("");
            match text.parse::<f64>() {
                Ok(secs) if (0.0..1e11).contains(&secs) => Some((secs * 1000.0).round() as Millis),
                _ => return Err(format!("ALERTS_FOR_STATE sample {v}: the value is not an activeAt time in epoch seconds")),
            }
        } else {
            None
        };
        samples.push((t, active_at));
    }
    Ok(Some((labels, kind, samples)))
}

/// A sample time and the step of the file it came from.
type Timed = (Millis, Millis);

/// Splits sorted times into runs (first, last, step at the last) at gaps
/// larger than 1.5 steps (the larger step of the two samples' files).
fn runs(times: &[Timed]) -> Vec<(Millis, Millis, Millis)> {
    let mut out: Vec<(Millis, Millis, Millis)> = Vec::new();
    for &(t, step) in times {
        match out.last_mut() {
            Some(run)
                if {
                    let gap = step.max(run.2);
                    t - run.1 <= gap + gap / 2
                } =>
            {
                run.1 = t;
                run.2 = step;
            }
            _ => out.push((t, t, step)),
        }
    }
    out
}

/// Cuts episodes from the samples of every file together, and warns about
/// instances that have only `ALERTS_FOR_STATE` (pending and firing cannot
/// be told apart without `ALERTS`).
pub fn episodes(samples: Vec<AlertSamples>) -> (Vec<Episode>, Vec<Problem>) {
    let last = samples.iter().map(|s| s.file_last).max().unwrap_or(0);
    let known_step = samples
        .iter()
        .filter_map(|s| s.step)
        .min()
        .unwrap_or(60_000);
    type Instance = (Vec<Timed>, Vec<Timed>, Vec<(Millis, Millis)>, String);
    let mut instances: BTreeMap<BTreeMap<String, String>, Instance> = BTreeMap::new();
    for series in samples {
        let entry = instances.entry(series.labels).or_default();
        if entry.3.is_empty() {
            entry.3 = series.file.clone();
        }
        let step = series.step.unwrap_or(known_step);
        for (t, active_at) in series.samples {
            match series.kind {
                SeriesKind::Pending => entry.0.push((t, step)),
                SeriesKind::Firing => entry.1.push((t, step)),
                SeriesKind::ForState => entry.2.extend(active_at.map(|a| (t, a))),
            }
        }
    }
    let mut out = Vec::new();
    let mut for_state_only = Vec::new();
    for (labels, (mut pending, mut firing, mut active, file)) in instances {
        if pending.is_empty() && firing.is_empty() {
            for_state_only.push(file);
            continue;
        }
        for list in [&mut pending, &mut firing] {
            list.sort_unstable();
            list.dedup_by_key(|s| s.0);
        }
        active.sort_unstable();
        active.dedup_by_key(|s| s.0);
        instance_episodes(&labels, &pending, &firing, &active, last, &file, &mut out);
    }
    let problems = for_state_only
        .first()
        .map(|file| {
            Problem::warning(
                file,
                0,
                0,
                format!(
                    "{} alert instance(s) have ALERTS_FOR_STATE but no ALERTS series: give ALERTS too (pending and firing cannot be told apart without it)",
                    for_state_only.len()
                ),
            )
        })
        .into_iter()
        .collect();
    (out, problems)
}

fn instance_episodes(
    labels: &BTreeMap<String, String>,
    pending: &[Timed],
    firing: &[Timed],
    active: &[(Millis, Millis)],
    last: Millis,
    file: &str,
    out: &mut Vec<Episode>,
) {
    let fp = fingerprint(labels);
    let rule = labels.get("alertname").cloned().unwrap_or_default();
    let end_of =
        |run_last: Millis, step: Millis| (run_last + step / 2 < last).then_some(run_last + step);
    // activeAt as ALERTS_FOR_STATE holds it during [from, to].
    let active_at = |from: Millis, to: Millis| {
        let i = active.partition_point(|&(t, _)| t < from);
        active.get(i).filter(|&&(t, _)| t <= to).map(|&(_, a)| a)
    };
    let pending_runs = runs(pending);
    let firing_runs = runs(firing);
    let mut used = vec![false; pending_runs.len()];
    let base = Episode {
        source: NAME,
        rule: rule.into(),
        fingerprint: fp.into(),
        labels: labels.clone().into(),
        origin: Origin {
            file: file.into(),
            line: 0,
        },
        ..Episode::default()
    };
    for &(first, run_last, step) in &firing_runs {
        // The pending run that ends one step before the alert fired.
        let before = pending_runs.iter().position(|&(_, p_last, p_step)| {
            let gap = p_step.max(step);
            p_last < first && first - p_last <= gap + gap / 2
        });
        if let Some(i) = before {
            used[i] = true;
        }
        let pending_since = active_at(first, run_last)
            .filter(|a| *a <= first)
            .or(before.map(|i| pending_runs[i].0));
        out.push(Episode {
            starts_at: Some(first),
            ends_at: end_of(run_last, step),
            pending_since,
            ..base.clone()
        });
    }
    for (i, &(first, run_last, step)) in pending_runs.iter().enumerate() {
        if !used[i] {
            let pending_since = active_at(first, run_last)
                .filter(|a| *a <= first)
                .unwrap_or(first);
            out.push(Episode {
                starts_at: None,
                ends_at: end_of(run_last, step),
                pending_since: Some(pending_since),
                ..base.clone()
            });
        }
    }
}
