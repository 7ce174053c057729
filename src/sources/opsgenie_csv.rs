//! Opsgenie's alert CSV export, with a default column mapping that
//! `--map COLUMN=FIELD` overrides (columns compared without case, spaces or
//! `_`; see [`FIELDS`] and `docs/formats/opsgenie.md`).
//!
//! Times to acknowledge and close are milliseconds after `created_at`, as in
//! the API's `report`; absolute `acked_at`/`closed_at` columns are used when
//! the export has them instead. Timestamps without an offset are read in
//! `--tz`, with a warning.

use super::incident::Incident;
use super::mapped_csv::{first_name, Field};
use super::{mapped_csv, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::Origin;

/// The Opsgenie CSV export format.
pub struct OpsgenieCsv;

/// The name in the `source` column.
pub const NAME: &str = "opsgenie-csv";

/// The fields read and their default columns.
pub const FIELDS: &[Field] = &[
    Field {
        name: "id",
        columns: &["alert_id", "id", "tiny_id"],
        meaning: "alert id",
    },
    Field {
        name: "title",
        columns: &["message", "title"],
        meaning: "alert message, which names the rule",
    },
    Field {
        name: "key",
        columns: &["alias"],
        meaning: "dedup key, joins onto Alertmanager",
    },
    Field {
        name: "status",
        columns: &["status"],
        meaning: "open or closed",
    },
    Field {
        name: "created_at",
        columns: &["created_at", "created"],
        meaning: "when it was created",
    },
    Field {
        name: "acked_at",
        columns: &["acknowledged_at", "acked_at"],
        meaning: "first acknowledgement",
    },
    Field {
        name: "ack_ms",
        columns: &["time_to_ack", "ack_time", "report_ack_time"],
        meaning: "milliseconds to acknowledge",
    },
    Field {
        name: "closed_at",
        columns: &["closed_at"],
        meaning: "when it was closed",
    },
    Field {
        name: "close_ms",
        columns: &["time_to_close", "close_time", "report_close_time"],
        meaning: "milliseconds to close",
    },
    Field {
        name: "acked_by",
        columns: &["acknowledged_by", "report_acknowledged_by"],
        meaning: "who acknowledged",
    },
    Field {
        name: "count",
        columns: &["count"],
        meaning: "deduplication count (notifications)",
    },
    Field {
        name: "severity",
        columns: &["priority"],
        meaning: "priority P1–P5",
    },
    Field {
        name: "team",
        columns: &["teams", "team", "owner_teams"],
        meaning: "team",
    },
    Field {
        name: "service",
        columns: &["service", "entity"],
        meaning: "service",
    },
];

impl Source for OpsgenieCsv {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Opsgenie alert CSV export; default columns listed in docs/formats/opsgenie.md, --map COLUMN=FIELD to override"
    }

    fn detection(&self) -> &'static str {
        "a CSV header with Alias and Message, or Tiny ID"
    }

    fn example(&self) -> &'static str {
        "Alert ID,Tiny ID,Alias,Message,Status,Created At,Time To Ack,Time To Close,Acknowledged By,Count,Priority\n\
70413a06,1791,event_573,[FIRING:1] HighLatency,closed,2026-10-19T10:00:30Z,15702,60503,ada@example.com,3,P2"
    }

    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn detect(&self, head: &str) -> bool {
        !head.trim_start().starts_with(['{', '['])
            && (mapped_csv::header_has(head, &["alias", "message"])
                || mapped_csv::header_has(head, &["tiny_id"]))
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let ack_fields = ["acked_at", "ack_ms"];
        mapped_csv::read_incidents(file, text, context, FIELDS, &ack_fields, |row, cx| {
            let created_at = cx.time(row, "created_at")?.ok_or("created_at is empty")?;
            let acked_at = cx.time_or_after(row, "acked_at", "ack_ms", 1.0, created_at)?;
            let mut resolved_at =
                cx.time_or_after(row, "closed_at", "close_ms", 1.0, created_at)?;
            if row
                .get("status")
                .is_some_and(|s| s.eq_ignore_ascii_case("open"))
            {
                resolved_at = None;
            }
            let title = row.get("title").unwrap_or_default();
            Ok(Incident {
                source: NAME,
                id: row.get("id").map(str::to_string),
                rule: cx
                    .namer
                    .name(title, |name| row.column(name).map(str::to_string)),
                key: row.get("key").map(str::to_string),
                created_at,
                resolved_at,
                acked_at,
                acked_by: acked_at.and(row.get("acked_by")).map(first_name),
                ack_tracked: cx.ack_tracked,
                auto_resolved: None,
                notifications: mapped_csv::count(row, "count")?,
                service: row.get("service").map(str::to_string),
                team: row.get("team").map(first_name),
                severity: row.get("severity").map(str::to_string),
                origin: Origin::default(),
            })
        })
    }
}
