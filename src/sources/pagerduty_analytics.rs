//! PagerDuty Analytics API `POST /analytics/raw/incidents` answers.
//!
//! Each item of `data` is an incident: `created_at`, `resolved_at`,
//! `seconds_to_first_ack` (null when nobody acknowledged),
//! `acknowledged_user_names`, `auto_resolved`, `service_name`, `team_name`,
//! `priority_name`/`urgency`, `total_notifications`. The rule comes from
//! `description` (the incident's title). Timestamps have no UTC offset: they
//! are in the answer's `time_zone` when it names one, else read in `--tz`
//! with a warning. An item whose `resolved_at` is before `created_at` takes
//! its end from `seconds_to_resolve`, with a warning. The analytics answer
//! has no dedup key, so it joins onto Alertmanager only through reviews by
//! incident id. See `docs/formats/pagerduty.md`.

use super::incident::{json_millis, json_text, json_time, Incident};
use super::rule_name::{json_field, RuleNamer};
use super::{json_records, mapped_csv, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::Origin;
use crate::problem::{LineIndex, Problem};
use crate::timefmt::format_millis;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// The PagerDuty analytics raw incidents format.
pub struct PagerdutyAnalytics;

/// The name in the `source` column.
pub const NAME: &str = "pagerduty-analytics";

impl Source for PagerdutyAnalytics {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "PagerDuty Analytics API POST /analytics/raw/incidents answers (seconds_to_first_ack, auto_resolved; local timestamps)"
    }

    fn detection(&self) -> &'static str {
        "a JSON object whose \"data\" items have \"seconds_to_first_ack\" or \"seconds_to_resolve\""
    }

    fn example(&self) -> &'static str {
        r#"{"data":[{"id":"PYC0H08","description":"[FIRING:1] DiskFull","created_at":"2026-10-19T10:05:00","resolved_at":"2026-10-19T10:15:00",
  "seconds_to_first_ack":70,"acknowledged_user_names":["Ada"],"auto_resolved":false,"service_name":"Storage","urgency":"high"}],"time_zone":"Etc/UTC"}"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"data\"")
            && (head.contains("\"seconds_to_first_ack\"")
                || head.contains("\"seconds_to_resolve\""))
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let lines = LineIndex::new(text.as_bytes());
        let (pages, mut problems) = json_records::split(&file.name, text, &lines);
        let mut namer = RuleNamer::new(&context.rule_from);
        let mut assumed_tz = false;
        let mut episodes = Vec::new();
        for (offset, raw) in pages {
            let page: Page = match serde_json::from_str(raw) {
                Ok(page) => page,
                Err(e) if e.is_syntax() || e.is_eof() => {
                    problems.push(json_records::syntax_problem(&file.name, &lines, offset, &e));
                    continue;
                }
                Err(e) => {
                    problems.push(Problem::skipped(
                        &file.name,
                        lines.line(offset),
                        0,
                        format!("not an analytics answer ({e}); page skipped"),
                    ));
                    continue;
                }
            };
            // The answer's own zone for its offset-less timestamps.
            let page_zone = match page.time_zone.as_deref() {
                Some(name) => {
                    match name.parse::<chrono_tz::Tz>() {
                        Ok(zone) => Some(zone),
                        Err(_) => {
                            problems.push(Problem::warning(
                            &file.name,
                            lines.line(offset),
                            0,
                            format!("time_zone `{name}` is not a known zone; timestamps read in --tz"),
                        ));
                            None
                        }
                    }
                }
                None => None,
            };
            for raw_item in page.data {
                let line = lines.line(json_records::offset_of(text, raw_item.get()));
                let item: Value = match serde_json::from_str(raw_item.get()) {
                    Ok(v) => v,
                    Err(e) => {
                        problems.push(Problem::skipped(
                            &file.name,
                            line,
                            0,
                            format!("{e}; skipped"),
                        ));
                        continue;
                    }
                };
                let mut assumed = false;
                let zone = page_zone.unwrap_or(context.tz);
                let read = read_item(
                    &item,
                    &mut namer,
                    zone,
                    &mut assumed,
                    &file.name,
                    line,
                    &mut problems,
                );
                assumed_tz |= assumed && page_zone.is_none();
                match read.and_then(|i| {
                    Incident {
                        origin: Origin {
                            file: (&file.name).into(),
                            line,
                        },
                        ..i
                    }
                    .into_episode()
                }) {
                    Ok(episode) => episodes.push(episode),
                    Err(reason) => problems.push(Problem::skipped(&file.name, line, 0, reason)),
                }
            }
        }
        problems.extend(namer.warning(&file.name));
        if assumed_tz {
            problems.push(mapped_csv::zone_warning(
                &file.name,
                context.tz,
                "timestamps (and the answer names no time_zone)",
            ));
        }
        SourceOutput {
            episodes,
            problems,
            ..SourceOutput::default()
        }
    }
}

/// One page of the answer: its items, kept raw for their lines, and its zone.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
    time_zone: Option<String>,
}

fn read_item(
    item: &Value,
    namer: &mut RuleNamer,
    zone: chrono_tz::Tz,
    assumed: &mut bool,
    file: &str,
    line: u64,
    problems: &mut Vec<Problem>,
) -> Result<Incident, String> {
    if !item.is_object() {
        return Err("not a JSON object; skipped".into());
    }
    let created_at =
        json_time(item, "/created_at", zone, assumed)?.ok_or("no created_at; incident skipped")?;
    let mut resolved_at = json_time(item, "/resolved_at", zone, assumed)?;
    if let Some(end) = resolved_at.filter(|end| *end < created_at) {
        let by_duration = json_millis(item, "/seconds_to_resolve", 1000.0)?;
        if let Some(d) = by_duration {
            {
                problems.push(Problem::warning(
                    file,
                    line,
                    0,
                    format!(
                        "resolved_at {} is before created_at {}; the end is taken from seconds_to_resolve ({}s)",
                        format_millis(end),
                        format_millis(created_at),
                        d / 1000
                    ),
                ));
                resolved_at = Some(created_at + d);
            }
        }
    }
    let acked_at = json_millis(item, "/seconds_to_first_ack", 1000.0)?.map(|d| created_at + d);
    let title = json_text(item, "/description").unwrap_or_default();
    let notifications = item
        .get("total_notifications")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .min(u32::MAX as u64) as u32;
    Ok(Incident {
        source: NAME,
        id: json_text(item, "/id"),
        rule: namer.name(&title, |path| json_field(item, path)),
        key: None,
        created_at,
        resolved_at,
        acked_at,
        acked_by: acked_at.and(json_text(item, "/acknowledged_user_names/0")),
        ack_tracked: true,
        auto_resolved: item.get("auto_resolved").and_then(Value::as_bool),
        notifications,
        service: json_text(item, "/service_name"),
        team: json_text(item, "/team_name"),
        severity: json_text(item, "/priority_name").or_else(|| json_text(item, "/urgency")),
        origin: Origin::default(),
    })
}
