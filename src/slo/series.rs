//! The recorded series an SLO replay reads: `query_range` answers (the API's
//! envelope or `promtool query range -o json`'s bare list), one file per query
//! or per chunk of one, from `--metrics` files and directories. Series keep
//! their `__name__` so that the rules' selectors can pick them; the same series
//! in several files (chunks of one range) is joined.

use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::sources::query_range::{parse_series, series_list, smallest_gap};
use crate::timefmt::Millis;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A label set, sorted by name, `__name__` included where the series has one.
pub type Labels = Vec<(String, String)>;

/// One recorded series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its labels.
    pub labels: Labels,
    /// `(time, value)` by time, one per time.
    pub samples: Vec<(Millis, f64)>,
}

impl Series {
    /// The value at `t`: the latest sample at or before `t` and less than
    /// `lookback` before it (a query_range answer's own gap stays a gap).
    pub fn at(&self, t: Millis, lookback: Millis) -> Option<f64> {
        let i = self.samples.partition_point(|(ts, _)| *ts <= t);
        let (ts, v) = *self.samples.get(i.checked_sub(1)?)?;
        (t - ts < lookback).then_some(v)
    }

    /// The value of a label, `""` when absent (as PromQL treats it).
    pub fn label(&self, name: &str) -> &str {
        label(&self.labels, name)
    }
}

/// The value of `name` in a sorted label set, `""` when absent.
pub fn label<'a>(labels: &'a Labels, name: &str) -> &'a str {
    labels
        .binary_search_by(|(k, _)| k.as_str().cmp(name))
        .map(|i| labels[i].1.as_str())
        .unwrap_or("")
}

/// Every series read, by metric name.
#[derive(Debug, Clone, Default)]
pub struct SeriesStore {
    /// The series, in the order first seen.
    pub series: Vec<Series>,
    /// The query step: the smallest gap between two samples of one series.
    pub step_ms: Millis,
    /// First and last sample time over all series.
    pub span: (Millis, Millis),
    by_name: HashMap<String, Vec<usize>>,
    by_labels: HashMap<Labels, usize>,
}

impl SeriesStore {
    /// The series whose `__name__` is `name`.
    pub fn named(&self, name: &str) -> impl Iterator<Item = &Series> + '_ {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.series[i])
    }

    /// Every distinct sample time of every series, sorted: the replay's
    /// evaluation times.
    pub fn times(&self) -> Vec<Millis> {
        let mut times: Vec<Millis> = self
            .series
            .iter()
            .flat_map(|s| s.samples.iter().map(|(t, _)| *t))
            .collect();
        times.sort_unstable();
        times.dedup();
        times
    }

    /// Adds the series of one answer; a series already read gains its samples.
    fn add(&mut self, labels: Labels, samples: Vec<(Millis, f64)>) {
        match self.by_labels.get(&labels) {
            Some(&i) => {
                let s = &mut self.series[i];
                s.samples.extend(samples);
                s.samples.sort_by_key(|(t, _)| *t);
                s.samples.dedup_by_key(|(t, _)| *t);
            }
            None => {
                let i = self.series.len();
                if let Some(name) = labels.iter().find(|(k, _)| k == "__name__") {
                    self.by_name.entry(name.1.clone()).or_default().push(i);
                }
                self.by_labels.insert(labels.clone(), i);
                self.series.push(Series { labels, samples });
            }
        }
    }

    fn finish(&mut self) {
        self.step_ms = smallest_gap(
            self.series
                .iter()
                .map(|s| s.samples.iter().map(|(t, _)| *t)),
        )
        .unwrap_or(60_000);
        let first = self.series.iter().filter_map(|s| s.samples.first());
        let last = self.series.iter().filter_map(|s| s.samples.last());
        self.span = (
            first.map(|s| s.0).min().unwrap_or(0),
            last.map(|s| s.0).max().unwrap_or(0),
        );
    }
}

/// Reads every `*.json` file under `paths` (directories recursively); of a
/// fetched directory (`fetch prometheus --metrics-for-rules`), the recorded
/// series its manifest lists.
pub fn load(paths: &[PathBuf]) -> Result<SeriesStore> {
    let mut store = SeriesStore::default();
    let fetched = crate::fetch::manifest::fetched_dirs(paths)?;
    let plain: Vec<PathBuf> = paths
        .iter()
        .filter(|p| !fetched.iter().any(|f| f.dir == **p))
        .cloned()
        .collect();
    let mut files: Vec<PathBuf> = crate::sources::expand_inputs(&plain)?
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "fetch.json")
        })
        .collect();
    for dir in &fetched {
        if dir.manifest.metrics.is_empty() {
            return Err(Error::Usage(format!(
                "--metrics {}: this fetched directory holds no recorded series; fetch it with --metrics-for-rules",
                dir.dir.display()
            )));
        }
        files.extend(dir.metric_paths());
    }
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "--metrics {}: no query_range answers (*.json) there",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        read_answer(&file, &text, &mut store)?;
    }
    store.finish();
    Ok(store)
}

/// Reads the series of one answer into `store` (see [`load`]); the store's
/// step and span are set by [`store_from_texts`] or [`load`].
pub fn read_answer(file: &Path, text: &str, store: &mut SeriesStore) -> Result<()> {
    let name = file.display().to_string();
    let bad = |line: u64, reason: String| Error::BadInput(Problem::skipped(&name, line, 0, reason));
    let answer: Value = serde_json::from_str(text)
        .map_err(|e| bad(e.line() as u64, format!("not a query_range answer: {e}")))?;
    let list = series_list(&answer).map_err(|why| bad(0, why))?;
    for (i, s) in list.iter().enumerate() {
        let (mut labels, mut samples) = parse_series(s, i).map_err(|why| bad(0, why))?;
        labels.sort();
        samples.dedup_by_key(|(t, _)| *t);
        store.add(labels, samples);
    }
    Ok(())
}

/// A store from answers given as (file name, text), for tests and callers
/// that hold the answers in memory.
pub fn store_from_texts(answers: &[(&str, &str)]) -> Result<SeriesStore> {
    let mut store = SeriesStore::default();
    for (file, text) in answers {
        read_answer(Path::new(file), text, &mut store)?;
    }
    store.finish();
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_of_one_series_are_joined_and_gaps_stay_gaps() {
        let a = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"x:ratio_rate5m","job":"a"},"values":[[60,"0.1"],[120,"0.2"]]}]}}"#;
        let b = r#"[{"metric":{"job":"a","__name__":"x:ratio_rate5m"},"values":[[120,"0.2"],[240,"NaN"]]}]"#;
        let store = store_from_texts(&[("a.json", a), ("b.json", b)]).unwrap();
        assert_eq!(store.series.len(), 1);
        let s = &store.series[0];
        assert_eq!(s.samples.len(), 3);
        assert_eq!((store.step_ms, store.span), (60_000, (60_000, 240_000)));
        assert_eq!(s.at(120_000, 60_000), Some(0.2));
        assert_eq!(s.at(180_000, 60_000), None, "no sample at 180 s: absent");
        assert!(s.at(240_000, 60_000).unwrap().is_nan());
        assert_eq!(s.label("job"), "a");
        assert_eq!(s.label("missing"), "");
        assert_eq!(store.named("x:ratio_rate5m").count(), 1);
        assert_eq!(store.times(), vec![60_000, 120_000, 240_000]);
    }

    #[test]
    fn an_instant_answer_is_refused_with_the_file() {
        let v = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        let e = store_from_texts(&[("v.json", v)]).unwrap_err().to_string();
        assert!(e.contains("v.json") && e.contains("instant query"), "{e}");
    }
}
