//! PagerDuty REST API `GET /incidents` answers, saved page by page.
//!
//! One page per file, an array of pages, JSON lines or pages concatenated;
//! also `GET /incidents/{id}` answers (`{"incident": {…}}`). Each incident is
//! an episode from `created_at` to `resolved_at`; the rule comes from its
//! `title` (see `rule_name.rs`); `incident_key` is the dedup key that joins it
//! onto Alertmanager's episodes; `alert_counts.all` counts its notifications.
//! The list answer has no acknowledgement history for resolved incidents
//! (`acknowledgements` is emptied on resolve): give the `/log_entries` pages
//! too (`pagerduty_log_entries.rs`) for time to acknowledge. A resolve by
//! anything but a user (`last_status_change_by` a service or integration) is
//! an auto-resolve. See `docs/formats/pagerduty.md`.

use super::incident::{json_text, json_time, read_json_items, Incident};
use super::rule_name::json_field;
use super::{InputFile, ReadContext, Source, SourceOutput};
use serde_json::Value;

/// The PagerDuty REST incidents format.
pub struct PagerdutyIncidents;

/// The name in the `source` column.
pub const NAME: &str = "pagerduty-incidents";

impl Source for PagerdutyIncidents {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "PagerDuty REST API GET /incidents pages (or GET /incidents/{id} answers), saved as JSON"
    }

    fn detection(&self) -> &'static str {
        "a JSON object with an \"incidents\" list (or \"incident\") whose items have \"incident_number\""
    }

    fn example(&self) -> &'static str {
        r#"{"incidents":[{"id":"PT4KHLK","incident_number":1234,"title":"[FIRING:1] HighLatency (payments)","created_at":"2026-10-19T10:00:30Z","status":"resolved",
  "resolved_at":"2026-10-19T10:12:00Z","incident_key":"baf7cf21b1da41b4b0221008339ff357","service":{"summary":"Payments"},"alert_counts":{"all":2}}],"more":false}"#
    }

    fn detect(&self, head: &str) -> bool {
        (head.contains("\"incidents\"") || head.contains("\"incident\""))
            && head.contains("\"incident_number\"")
            && !head.contains("\"log_entries\"")
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        read_json_items(
            file,
            text,
            &["incidents"],
            Some("incident"),
            context,
            |item, namer, assumed| read_incident(item, namer, context, assumed).map(Some),
        )
    }
}

/// A user's acknowledgement or resolve; anything else (a service, an
/// integration, a timeout) acted by itself.
pub fn is_user(agent: Option<&Value>) -> bool {
    agent
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("user"))
}

fn read_incident(
    item: &Value,
    namer: &mut super::rule_name::RuleNamer,
    context: &ReadContext,
    assumed: &mut bool,
) -> Result<Incident, String> {
    let zone = context.tz;
    let created_at =
        json_time(item, "/created_at", zone, assumed)?.ok_or("no created_at; incident skipped")?;
    let title = json_text(item, "/title")
        .or_else(|| json_text(item, "/summary"))
        .or_else(|| json_text(item, "/description"))
        .unwrap_or_default();
    let status = item.get("status").and_then(Value::as_str).unwrap_or("");
    let resolved = status == "resolved";
    let mut resolved_at = json_time(item, "/resolved_at", zone, assumed)?;
    if resolved && resolved_at.is_none() {
        resolved_at = json_time(item, "/last_status_change_at", zone, assumed)?;
    }
    if !resolved {
        resolved_at = None;
    }
    // Current acknowledgements; PagerDuty empties the list on resolve.
    let mut acked_at = None;
    let mut acked_by = None;
    if let Some(acks) = item.get("acknowledgements").and_then(Value::as_array) {
        for ack in acks {
            let at = json_time(ack, "/at", zone, assumed)?;
            if let Some(at) = at.filter(|t| acked_at.is_none_or(|a| *t < a)) {
                acked_at = Some(at);
                acked_by = json_text(ack, "/acknowledger/summary");
            }
        }
    }
    let auto_resolved = resolved.then(|| !is_user(item.get("last_status_change_by")));
    let notifications = item
        .pointer("/alert_counts/all")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .min(u32::MAX as u64) as u32;
    let rule = namer.name(&title, |path| json_field(item, path));
    Ok(Incident {
        source: NAME,
        id: json_text(item, "/id"),
        rule,
        key: json_text(item, "/incident_key"),
        created_at,
        resolved_at,
        acked_at,
        acked_by,
        // Only an open incident's list says whether it was acknowledged.
        ack_tracked: !resolved,
        auto_resolved,
        notifications,
        service: json_text(item, "/service/summary"),
        team: json_text(item, "/teams/0/summary"),
        severity: json_text(item, "/priority/summary").or_else(|| json_text(item, "/urgency")),
        origin: Default::default(),
    })
}
