//! Opsgenie Alert API `GET /v2/alerts` answers (and `GET /v2/alerts/{id}`),
//! saved page by page.
//!
//! Each alert is an episode from `createdAt`; `report.ackTime` and
//! `report.closeTime` are milliseconds after `createdAt` (the first
//! acknowledgement and the close); `report.acknowledgedBy` acknowledged;
//! `count` (the deduplication count) is its notifications; `alias` is the
//! dedup key that joins onto Alertmanager (Alertmanager sends its group key's
//! SHA-256 as the alias); `message` names the rule (see `rule_name.rs`). A
//! closed alert without `report.closeTime` ends at `updatedAt`, with a
//! warning; an alert without `report` has not been acknowledged or closed.
//! See `docs/formats/opsgenie.md`.

use super::incident::{json_millis, json_text, json_time, read_json_items, Incident};
use super::rule_name::json_field;
use super::{InputFile, ReadContext, Source, SourceOutput};
use serde_json::Value;

/// The Opsgenie alert list format.
pub struct OpsgenieAlerts;

/// The name in the `source` column.
pub const NAME: &str = "opsgenie-alerts";

impl Source for OpsgenieAlerts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Opsgenie Alert API GET /v2/alerts pages (report.ackTime/closeTime in milliseconds, count, alias)"
    }

    fn detection(&self) -> &'static str {
        "a JSON object whose \"data\" items have \"tinyId\" or \"alias\" with \"createdAt\""
    }

    fn example(&self) -> &'static str {
        r#"{"data":[{"id":"70413a06-38d6-4c85-92b8-5ebc900d42e2","tinyId":"1791","alias":"event_573","message":"[FIRING:1] HighLatency","status":"closed",
  "count":3,"createdAt":"2026-10-19T10:00:30.353Z","priority":"P2","report":{"ackTime":15702,"closeTime":60503,"acknowledgedBy":"ada@example.com"}}]}"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"createdAt\"")
            && (head.contains("\"tinyId\"") || head.contains("\"alias\""))
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let mut warnings = Vec::new();
        let mut output = read_json_items(
            file,
            text,
            &["data"],
            None,
            context,
            |item, namer, assumed| {
                let created_at = json_time(item, "/createdAt", context.tz, assumed)?
                    .ok_or("no createdAt; alert skipped")?;
                let acked_at = json_millis(item, "/report/ackTime", 1.0)?.map(|d| created_at + d);
                let closed = item.get("status").and_then(Value::as_str) == Some("closed");
                let mut resolved_at =
                    json_millis(item, "/report/closeTime", 1.0)?.map(|d| created_at + d);
                if closed && resolved_at.is_none() {
                    resolved_at = json_time(item, "/updatedAt", context.tz, assumed)?;
                    warnings.push(json_text(item, "/id").unwrap_or_default());
                }
                if !closed {
                    resolved_at = None;
                }
                let title = json_text(item, "/message").unwrap_or_default();
                let count = item
                    .get("count")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .min(u32::MAX as u64) as u32;
                Ok(Some(Incident {
                    source: NAME,
                    id: json_text(item, "/id"),
                    rule: namer.name(&title, |path| json_field(item, path)),
                    key: json_text(item, "/alias"),
                    created_at,
                    resolved_at,
                    acked_at,
                    acked_by: acked_at.and(json_text(item, "/report/acknowledgedBy")),
                    ack_tracked: true,
                    auto_resolved: None,
                    notifications: count,
                    service: None,
                    team: None,
                    severity: json_text(item, "/priority"),
                    origin: Default::default(),
                }))
            },
        );
        if !warnings.is_empty() {
            output.problems.push(crate::problem::Problem::warning(
                &file.name,
                0,
                0,
                format!(
                    "{} closed alert(s) without report.closeTime end at their updatedAt (first: {})",
                    warnings.len(),
                    warnings[0]
                ),
            ));
        }
        output
    }
}
