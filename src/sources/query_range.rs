//! The shape of a Prometheus `query_range` answer, shared by the `ALERTS`
//! reader (`prometheus_alerts.rs`) and the backtest's metric series reader
//! (`advice/backtest.rs`): the API's `{"status", "data": {"resultType", "result"}}`
//! envelope or `promtool query range -o json`'s bare list of series, sample
//! times in epoch seconds, and the query step recovered from the samples.

use crate::timefmt::Millis;
use serde_json::Value;

/// The series of an answer, or why it holds none: Prometheus answered with an
/// error, the answer is an instant query's, or there is no list of series.
pub fn series_list(answer: &Value) -> Result<&Vec<Value>, String> {
    if answer.get("status").and_then(Value::as_str) == Some("error") {
        let kind = answer
            .get("errorType")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let why = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Err(format!("Prometheus answered with an error ({kind}): {why}"));
    }
    let data = answer.get("data").unwrap_or(answer);
    if let Some(kind) = data.get("resultType").and_then(Value::as_str) {
        if kind != "matrix" {
            return Err(format!(
                "resultType is `{kind}`: an instant query; save a query_range answer (a matrix)"
            ));
        }
    }
    match data {
        Value::Array(list) => Ok(list),
        _ => data
            .get("result")
            .and_then(Value::as_array)
            .ok_or_else(|| "no `data.result` list".to_string()),
    }
}

/// A series as read: its labels and its `(time, value)` samples.
pub type ParsedSeries = (Vec<(String, String)>, Vec<(Millis, f64)>);

/// One series of an answer: its labels (`__name__` included when present)
/// and its `(time, value)` samples sorted by time; or why it cannot be read
/// (`index` is the series' 0-based place in the answer, for the message).
pub fn parse_series(series: &Value, index: usize) -> Result<ParsedSeries, String> {
    let labels = series
        .get("metric")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("series #{}: no `metric` object", index + 1))?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let values = series
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("series #{}: no `values` list", index + 1))?;
    let mut samples = Vec::with_capacity(values.len());
    for v in values {
        let x = v
            .get(1)
            .and_then(Value::as_str)
            .and_then(|x| x.parse::<f64>().ok());
        match (sample_time(v), x) {
            (Some(t), Some(x)) => samples.push((t, x)),
            _ => {
                return Err(format!(
                    "series #{}: sample {v} is not [epoch seconds, \"value\"]",
                    index + 1
                ))
            }
        }
    }
    samples.sort_by_key(|(t, _)| *t);
    Ok((labels, samples))
}

/// A sample's time in epoch milliseconds: `[seconds, "value"]` with 0 ≤ seconds < 10¹¹.
pub fn sample_time(sample: &Value) -> Option<Millis> {
    sample
        .get(0)
        .and_then(Value::as_f64)
        .filter(|t| (0.0..1e11).contains(t))
        .map(|t| (t * 1000.0).round() as Millis)
}

/// The query step: the smallest positive gap between consecutive times of any
/// one series, each given sorted.
pub fn smallest_gap<S, T>(series: S) -> Option<Millis>
where
    S: IntoIterator<Item = T>,
    T: IntoIterator<Item = Millis>,
{
    let mut best: Option<Millis> = None;
    for times in series {
        let mut previous: Option<Millis> = None;
        for t in times {
            if let Some(p) = previous.filter(|p| t > *p) {
                best = Some(best.map_or(t - p, |b| b.min(t - p)));
            }
            previous = Some(t);
        }
    }
    best
}
