//! `alertnoise fetch prometheus`: a Prometheus server's alert history and
//! its alerting rules, as files that `report` reads.
//!
//! History: `ALERTS` and `ALERTS_FOR_STATE` (firing and pending, and each
//! alert's `activeAt`) by `query_range` at the smallest evaluation interval
//! of the server's rule groups (`/api/v1/rules`' group `interval`, which is
//! the group's own or the global one). At that step every evaluation that
//! found an alert is seen by one step of the query, so no episode of even
//! one evaluation is missed. Range queries, not raw samples through range
//! selectors: the answers are the ones `report` already reads (and
//! promtool writes), and Prometheus' lookback ends a series at the stale
//! marker the rule manager writes when an alert goes away, so an episode
//! ends where Prometheus ended it. A query may cover at most 11,000 steps;
//! the range is cut into chunks of [`STEPS_PER_CHUNK`] steps, and a chunk
//! that Prometheus refuses as too large (422: too many samples, 503: the
//! query timed out, 400: too many points) is split in two and asked again,
//! down to one step. The chunks' answers are saved as they came; `report`
//! joins episodes at their seams.
//!
//! Rules: every rule group, written back as a Prometheus rule file per file
//! the server loaded them from (`rules/`), with each group's effective
//! `interval`, each alerting rule's `for` (`duration`), `keep_firing_for`
//! (`keepFiringFor`), labels and annotations, and the recording rules.

use super::client::Client;
use super::manifest::Manifest;
use super::Progress;
use crate::error::{Error, Result};
use crate::outdir::write_file;
use crate::timefmt::{format_duration, format_millis, Millis};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Steps per query: under Prometheus' limit of 11,000 points a series.
pub const STEPS_PER_CHUNK: i64 = 10_000;

/// The query that gives both alert series at once.
pub const ALERTS_QUERY: &str = r#"{__name__=~"ALERTS|ALERTS_FOR_STATE"}"#;

/// Statuses of a refused query that a smaller query may get past.
fn splittable(status: u16, body: &[u8]) -> bool {
    match status {
        422 | 503 => true,
        400 => String::from_utf8_lossy(body).contains("exceeded maximum resolution"),
        _ => false,
    }
}

/// What was fetched.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// The step the history was asked at.
    pub step_ms: Millis,
    /// Range queries answered (after splitting).
    pub queries: usize,
    /// Chunks Prometheus refused as too large and that were split.
    pub splits: usize,
    /// Alerting rules written.
    pub alerting_rules: usize,
    /// Recording rules written.
    pub recording_rules: usize,
    /// Series in all answers (a series cut by a seam counts in each chunk).
    pub series: usize,
    /// The last time the queries evaluated: the end of the history.
    pub last_evaluation: Millis,
    /// Selectors of burn-rate alerts whose series were fetched.
    pub metric_selectors: usize,
}

/// `/api/v1/rules`' answer, the parts used.
#[derive(Debug, Deserialize)]
struct RulesAnswer {
    data: RulesData,
}

#[derive(Debug, Deserialize)]
struct RulesData {
    groups: Vec<Group>,
}

/// A rule group as the API shows it.
#[derive(Debug, Deserialize)]
pub struct Group {
    name: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    rules: Vec<ApiRule>,
    /// Seconds.
    #[serde(default)]
    interval: f64,
    #[serde(default)]
    limit: i64,
}

/// A rule as the API shows it.
#[derive(Debug, Deserialize)]
struct ApiRule {
    name: String,
    query: String,
    #[serde(rename = "type")]
    kind: String,
    /// `for`, in seconds (alerting rules).
    #[serde(default)]
    duration: f64,
    /// `keep_firing_for`, in seconds (Prometheus 2.42 and later).
    #[serde(default, rename = "keepFiringFor")]
    keep_firing_for: f64,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Fetches `[since, until)` of history and the rules into `dir` (a
/// directory being staged), and describes it in `manifest`; with
/// `metrics_for_rules`, also the series the SLO burn-rate alerts select
/// (`metrics/`), at the same step and in the same chunks.
pub fn fetch(
    client: &Client,
    since: Millis,
    until: Millis,
    dir: &Path,
    manifest: &mut Manifest,
    progress: &Progress,
    metrics_for_rules: bool,
) -> Result<Fetched> {
    let mut fetched = Fetched::default();
    let body = client.get("api/v1/rules", &[], &|_, _| false)?;
    let groups = rule_groups(&body).map_err(|reason| Error::Fetch {
        url: client.url_of("api/v1/rules"),
        status: Some(200),
        reason,
    })?;
    for (file, text) in rule_files(&groups) {
        write_file(dir, &file, text.as_bytes())?;
        manifest.rule_files.push(file);
    }
    for rule in groups.iter().flat_map(|g| &g.rules) {
        match rule.kind.as_str() {
            "alerting" => fetched.alerting_rules += 1,
            _ => fetched.recording_rules += 1,
        }
    }
    fetched.step_ms = match smallest_interval(&groups) {
        Some(step) => step,
        None => global_interval(client)?,
    };
    let step = fetched.step_ms;
    // Whole steps from an aligned start, so chunks meet exactly.
    let start = since - since.rem_euclid(step);
    fetched.last_evaluation = start + (until - start) / step * step;
    let mut pending: Vec<(Millis, Millis)> = Vec::new();
    let mut from = start;
    while from < until {
        let to = (from + step * STEPS_PER_CHUNK).min(until);
        pending.push((from, to));
        from = to + step;
    }
    // The recorded series of the burn-rate alerts, when asked for.
    let selectors = match metrics_for_rules {
        true => {
            let mut rules = Vec::new();
            for (i, (file, text)) in rule_files(&groups).iter().enumerate() {
                rules.extend(crate::rules::file::parse_rules(file, text, i)?);
            }
            crate::rules::burn_rate::recorded_selectors(&rules.iter().collect::<Vec<_>>(), None)
        }
        false => Vec::new(),
    };
    progress.set_length(pending.len() as u64 * (1 + selectors.len() as u64));
    let alerts = range_in_chunks(
        client,
        ALERTS_QUERY,
        &pending,
        step,
        dir,
        "alerts/ALERTS",
        progress,
        &mut fetched,
    )?;
    manifest.history.extend(alerts);
    for (i, selector) in selectors.iter().enumerate() {
        let prefix = format!("metrics/{:02}", i + 1);
        let saved = range_in_chunks(
            client,
            selector,
            &pending,
            step,
            dir,
            &prefix,
            progress,
            &mut fetched,
        )?;
        manifest.metrics.extend(saved);
        fetched.metric_selectors += 1;
    }
    Ok(fetched)
}

/// Asks `query` over the chunks `[from, to]` at `step`, splitting a chunk
/// Prometheus refuses as too large, and saves each answer as
/// `{prefix}-{from}-{to}.json`; gives the saved names in time order.
#[allow(clippy::too_many_arguments)]
fn range_in_chunks(
    client: &Client,
    query_text: &str,
    chunks: &[(Millis, Millis)],
    step: Millis,
    dir: &Path,
    prefix: &str,
    progress: &Progress,
    fetched: &mut Fetched,
) -> Result<Vec<String>> {
    let mut saved = Vec::new();
    let mut pending: Vec<(Millis, Millis)> = chunks.iter().rev().copied().collect();
    while let Some((from, to)) = pending.pop() {
        let query = [
            ("query", query_text.to_string()),
            ("start", seconds(from)),
            ("end", seconds(to)),
            ("step", seconds(step)),
        ];
        match client.get("api/v1/query_range", &query, &splittable) {
            Ok(body) => {
                fetched.series += series_count(&body, &client.url_of("api/v1/query_range"))?;
                let name = format!("{prefix}-{}-{}.json", from / 1000, to / 1000);
                write_file(dir, &name, &body)?;
                saved.push(name);
                fetched.queries += 1;
                progress.inc(1);
            }
            Err(Error::Fetch {
                status: Some(status),
                ..
            }) if to - from > step && matches!(status, 400 | 422 | 503) => {
                // Two halves of whole steps, the first asked first.
                let steps = (to - from) / step;
                let middle = from + step * (steps / 2);
                pending.push((middle + step, to));
                pending.push((from, middle));
                fetched.splits += 1;
                progress.set_length(progress.length() + 1);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(saved)
}

/// The rule groups of a `/api/v1/rules` answer.
pub fn rule_groups(body: &[u8]) -> std::result::Result<Vec<Group>, String> {
    serde_json::from_slice::<RulesAnswer>(body)
        .map(|answer| answer.data.groups)
        .map_err(|e| format!("not a rules answer: {e}"))
}

/// Seconds since the epoch, as the API takes them.
fn seconds(millis: Millis) -> String {
    if millis % 1000 == 0 {
        (millis / 1000).to_string()
    } else {
        format!("{:.3}", millis as f64 / 1000.0)
    }
}

/// How many series an answer holds; an answer that is not a matrix is an error.
fn series_count(body: &[u8], url: &str) -> Result<usize> {
    let value: Value = serde_json::from_slice(body).map_err(|e| Error::Fetch {
        url: url.to_string(),
        status: Some(200),
        reason: format!("not JSON: {e}"),
    })?;
    crate::sources::query_range::series_list(&value)
        .map(Vec::len)
        .map_err(|reason| Error::Fetch {
            url: url.to_string(),
            status: Some(200),
            reason,
        })
}

/// The smallest evaluation interval of the groups that hold alerting rules
/// (of any group when none does).
fn smallest_interval(groups: &[Group]) -> Option<Millis> {
    let interval = |g: &Group| (g.interval > 0.0).then(|| (g.interval * 1000.0).round() as Millis);
    let alerting = groups
        .iter()
        .filter(|g| g.rules.iter().any(|r| r.kind == "alerting"))
        .filter_map(interval)
        .min();
    alerting.or_else(|| groups.iter().filter_map(interval).min())
}

/// The global `evaluation_interval` from `/api/v1/status/config` (1m when
/// the configuration does not set it, as in Prometheus).
fn global_interval(client: &Client) -> Result<Millis> {
    let url = client.url_of("api/v1/status/config");
    let body = client.get("api/v1/status/config", &[], &|_, _| false)?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| Error::Fetch {
        url: url.clone(),
        status: Some(200),
        reason: format!("not JSON: {e}"),
    })?;
    let yaml = value["data"]["yaml"].as_str().unwrap_or_default();
    let interval = yaml
        .lines()
        .skip_while(|l| !l.starts_with("global:"))
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .find_map(|l| l.trim().strip_prefix("evaluation_interval:"))
        .map(|v| v.trim().to_string());
    match interval {
        Some(text) => crate::timefmt::parse_duration(&text).map_err(|reason| Error::Fetch {
            url,
            status: Some(200),
            reason: format!("global evaluation_interval: {reason}"),
        }),
        None => Ok(60_000),
    }
}

/// The rule files to write: one per file the server read its groups from,
/// under `rules/`, each group in the server's order.
pub fn rule_files(groups: &[Group]) -> Vec<(String, String)> {
    let mut by_file: BTreeMap<String, Vec<&Group>> = BTreeMap::new();
    for group in groups {
        by_file
            .entry(file_name(&group.file))
            .or_default()
            .push(group);
    }
    by_file
        .into_iter()
        .map(|(name, groups)| (name, rule_file_text(&groups)))
        .collect()
}

/// `rules/<the server's path, flattened>.yml`.
fn file_name(server_path: &str) -> String {
    let flat: String = server_path
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let flat = flat.trim_end_matches(".yml").trim_end_matches(".yaml");
    if flat.is_empty() {
        "rules/rules.yml".into()
    } else {
        format!("rules/{flat}.yml")
    }
}

/// A YAML scalar: JSON's quoting, which YAML's double-quoted style reads the same.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// A duration given in seconds, as a rule file spells it.
fn duration(seconds: f64) -> String {
    format_duration((seconds * 1000.0).round() as Millis)
}

/// The text of one rule file holding `groups`.
fn rule_file_text(groups: &[&Group]) -> String {
    let mut out = String::from(
        "# Fetched from the Prometheus HTTP API (/api/v1/rules) by alertnoise.\n# Each group's interval is the one the server evaluates it at.\ngroups:\n",
    );
    for group in groups {
        out.push_str(&format!("  - name: {}\n", quoted(&group.name)));
        if group.interval > 0.0 {
            out.push_str(&format!("    interval: {}\n", duration(group.interval)));
        }
        if group.limit > 0 {
            out.push_str(&format!("    limit: {}\n", group.limit));
        }
        if group.rules.is_empty() {
            out.push_str("    rules: []\n");
            continue;
        }
        out.push_str("    rules:\n");
        for rule in &group.rules {
            let alerting = rule.kind == "alerting";
            let key = if alerting { "alert" } else { "record" };
            out.push_str(&format!("      - {key}: {}\n", quoted(&rule.name)));
            out.push_str(&format!("        expr: {}\n", quoted(&rule.query)));
            if alerting && rule.duration > 0.0 {
                out.push_str(&format!("        for: {}\n", duration(rule.duration)));
            }
            if alerting && rule.keep_firing_for > 0.0 {
                out.push_str(&format!(
                    "        keep_firing_for: {}\n",
                    duration(rule.keep_firing_for)
                ));
            }
            for (key, map) in [("labels", &rule.labels), ("annotations", &rule.annotations)] {
                if map.is_empty() || (key == "annotations" && !alerting) {
                    continue;
                }
                out.push_str(&format!("        {key}:\n"));
                for (name, value) in map {
                    out.push_str(&format!("          {}: {}\n", quoted(name), quoted(value)));
                }
            }
        }
    }
    out
}

/// The window's ends, for messages and the manifest.
pub fn describe(since: Millis, until: Millis, fetched: &Fetched) -> String {
    format!(
        "{} to {} at a {} step: {} range queries ({} split), {} series; {} alerting and {} recording rules",
        format_millis(since),
        format_millis(until),
        format_duration(fetched.step_ms),
        fetched.queries,
        fetched.splits,
        fetched.series,
        fetched.alerting_rules,
        fetched.recording_rules
    ) + &match fetched.metric_selectors {
        0 => String::new(),
        n => format!("; the recorded series of {n} burn-rate selectors"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the names, labels and annotations hold (quotes, colons,
        /// line ends, `#`, YAML's own words, any Unicode), the rule file
        /// written from the API reads back to the same values.
        #[test]
        fn rule_files_read_back_what_the_server_said(
            group in "\\PC{1,12}",
            alert in "[A-Za-z_][A-Za-z0-9_]{0,10}",
            labels in proptest::collection::btree_map("[a-z_][a-z0-9_]{0,6}", "\\PC{0,12}|yes|null|~|- x|#c|a: b|'q'|\"d\"|\n", 0..4),
            annotations in proptest::collection::btree_map("[a-z_]{1,6}", "(?s).{0,20}", 0..3),
            for_s in 0u32..100_000,
        ) {
            let g = Group {
                name: group.clone(),
                file: "/etc/prometheus/x.yml".into(),
                rules: vec![ApiRule {
                    name: alert.clone(),
                    query: "rate(errors_total{job=\"a:b\"}[5m]) > 0.5".into(),
                    kind: "alerting".into(),
                    duration: for_s as f64,
                    keep_firing_for: 0.0,
                    labels: labels.clone(),
                    annotations: annotations.clone(),
                }],
                interval: 30.0,
                limit: 0,
            };
            let files = rule_files(&[g]);
            let rules = crate::rules::file::parse_rules("x.yml", &files[0].1, 0)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{}", files[0].1)))?;
            prop_assert_eq!(rules.len(), 1);
            let rule = &rules[0];
            prop_assert_eq!(&rule.name, &alert);
            prop_assert_eq!(&rule.group, &group);
            prop_assert_eq!(rule.for_ms.unwrap_or(0), for_s as i64 * 1000);
            let read_labels: BTreeMap<String, String> =
                rule.labels.iter().map(|(k, v)| (k.clone(), v.text.clone())).collect();
            prop_assert_eq!(read_labels, labels);
            prop_assert_eq!(&rule.annotations, &annotations);
        }
    }

    fn group(value: serde_json::Value) -> Group {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn rules_are_written_back_as_a_rule_file_prometheus_and_alertnoise_read() {
        let g = group(serde_json::json!({
            "name": "api", "file": "/etc/prometheus/rules/api.yml", "interval": 30, "limit": 0,
            "rules": [
                {"type": "alerting", "name": "HighErrors", "query": "rate(errors_total[5m]) > 0.1",
                 "duration": 300, "keepFiringFor": 600, "labels": {"severity": "page"},
                 "annotations": {"summary": "Errors: {{ $value }}\n\"quoted\""}},
                {"type": "recording", "name": "job:errors:rate5m", "query": "sum by (job) (rate(errors_total[5m]))"}
            ]
        }));
        let files = rule_files(&[g]);
        assert_eq!(files[0].0, "rules/etc_prometheus_rules_api.yml");
        let rules = crate::rules::file::parse_rules("fetched.yml", &files[0].1, 0).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].for_ms, Some(300_000));
        assert_eq!(rules[0].keep_firing_for_ms, Some(600_000));
        assert!(files[0].1.contains("interval: 30s"), "{}", files[0].1);
        assert_eq!(
            rules[0].annotations.get("summary").map(String::as_str),
            Some("Errors: {{ $value }}\n\"quoted\"")
        );
    }

    #[test]
    fn a_real_rules_answer_gives_the_rules_for_and_keep_firing_for() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/handmade/prometheus-2.42-api-v1-rules.json"
        );
        let groups = rule_groups(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(smallest_interval(&groups), Some(1000));
        let files = rule_files(&groups);
        assert_eq!(files.len(), 1);
        let rules = crate::rules::file::parse_rules(&files[0].0, &files[0].1, 0).unwrap();
        let alert = rules
            .iter()
            .find(|r| r.name == "EveryTwentySeconds")
            .unwrap();
        assert_eq!(
            (alert.for_ms, alert.keep_firing_for_ms),
            (Some(3000), Some(2000))
        );
        assert_eq!(alert.expr, "vector(time()) % 20 < 8");
        assert!(rules.iter().any(|r| r.name == "clock:mod20"));
        assert!(rule_groups(b"{\"status\":\"success\"}").is_err());
    }

    #[test]
    fn the_step_is_the_smallest_interval_of_groups_with_alerts() {
        let groups = [
            group(
                serde_json::json!({"name": "a", "interval": 60, "rules": [{"type": "alerting", "name": "A", "query": "up == 0"}]}),
            ),
            group(
                serde_json::json!({"name": "b", "interval": 15, "rules": [{"type": "recording", "name": "r", "query": "up"}]}),
            ),
            group(
                serde_json::json!({"name": "c", "interval": 30, "rules": [{"type": "alerting", "name": "C", "query": "up == 0"}]}),
            ),
        ];
        assert_eq!(smallest_interval(&groups), Some(30_000));
        assert_eq!(smallest_interval(&groups[1..2]), Some(15_000));
        assert_eq!(smallest_interval(&[]), None);
    }

    #[test]
    fn what_a_smaller_query_may_get_past() {
        assert!(splittable(422, b"too many samples"));
        assert!(splittable(503, b"query timed out"));
        assert!(splittable(
            400,
            b"exceeded maximum resolution of 11,000 points"
        ));
        assert!(!splittable(400, b"parse error"));
        assert!(!splittable(401, b""));
    }
}
