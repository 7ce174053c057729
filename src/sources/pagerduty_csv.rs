//! PagerDuty's incident CSV export (the web UI's Incidents → Export CSV, or
//! the Analytics → Incidents download), with a default column mapping that
//! `--map COLUMN=FIELD` overrides.
//!
//! Default columns (compared without case, spaces or `_`): see [`FIELDS`] and
//! `docs/formats/pagerduty.md`. Timestamps without an offset are read in
//! `--tz`, with a warning. The acknowledgement is `acked_at`, or `created_at`
//! plus `seconds_to_first_ack`; an empty acknowledgement column means "not
//! acknowledged" when the export has such a column at all.

use super::incident::Incident;
use super::mapped_csv::{first_name, Field};
use super::{mapped_csv, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::Origin;

/// The PagerDuty CSV export format.
pub struct PagerdutyCsv;

/// The name in the `source` column.
pub const NAME: &str = "pagerduty-csv";

/// The fields read and their default columns.
pub const FIELDS: &[Field] = &[
    Field {
        name: "id",
        columns: &["id", "incident_id"],
        meaning: "incident id",
    },
    Field {
        name: "number",
        columns: &["incident_number", "number"],
        meaning: "incident number (the id when there is no id column)",
    },
    Field {
        name: "title",
        columns: &["description", "title", "summary"],
        meaning: "incident title, which names the rule",
    },
    Field {
        name: "created_at",
        columns: &["created_on", "created_at", "created"],
        meaning: "when it triggered",
    },
    Field {
        name: "resolved_at",
        columns: &["resolved_on", "resolved_at", "resolved"],
        meaning: "when it resolved (empty: open)",
    },
    Field {
        name: "acked_at",
        columns: &[
            "acknowledged_on",
            "acknowledged_at",
            "first_acknowledged_at",
        ],
        meaning: "first acknowledgement",
    },
    Field {
        name: "seconds_to_first_ack",
        columns: &["seconds_to_first_ack", "time_to_first_ack"],
        meaning: "seconds from trigger to first acknowledgement",
    },
    Field {
        name: "acked_by",
        columns: &["acknowledged_by_user_names", "acknowledged_by"],
        meaning: "who acknowledged (the first name of a list)",
    },
    Field {
        name: "auto_resolved",
        columns: &["auto_resolved"],
        meaning: "resolved by the integration (true/false)",
    },
    Field {
        name: "key",
        columns: &["incident_key", "dedup_key"],
        meaning: "dedup key, joins onto Alertmanager",
    },
    Field {
        name: "service",
        columns: &["service_name", "service"],
        meaning: "service",
    },
    Field {
        name: "team",
        columns: &["team_name", "team", "teams"],
        meaning: "team",
    },
    Field {
        name: "severity",
        columns: &["priority", "priority_name", "urgency"],
        meaning: "priority or urgency",
    },
    Field {
        name: "notifications",
        columns: &["total_notifications", "alert_count", "alerts"],
        meaning: "notifications or alerts",
    },
];

impl Source for PagerdutyCsv {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "PagerDuty incident CSV export; default columns listed in docs/formats/pagerduty.md, --map COLUMN=FIELD to override"
    }

    fn detection(&self) -> &'static str {
        "a CSV header with incident_number, created_on or seconds_to_first_ack"
    }

    fn example(&self) -> &'static str {
        "id,incident_number,description,service_name,urgency,created_on,resolved_on,seconds_to_first_ack,auto_resolved\n\
PT4KHLK,1234,[FIRING:1] HighLatency (payments),Payments,high,2026-10-19T10:00:30Z,2026-10-19T10:12:00Z,150,false"
    }

    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn detect(&self, head: &str) -> bool {
        let names = ["incident_number", "created_on", "seconds_to_first_ack"];
        !head.trim_start().starts_with(['{', '['])
            && names.iter().any(|n| mapped_csv::header_has(head, &[n]))
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let ack_fields = ["acked_at", "seconds_to_first_ack"];
        mapped_csv::read_incidents(file, text, context, FIELDS, &ack_fields, |row, cx| {
            let created_at = cx.time(row, "created_at")?.ok_or("created_at is empty")?;
            let acked_at =
                cx.time_or_after(row, "acked_at", "seconds_to_first_ack", 1000.0, created_at)?;
            let title = row.get("title").unwrap_or_default();
            Ok(Incident {
                source: NAME,
                id: row.get("id").or(row.get("number")).map(str::to_string),
                rule: cx
                    .namer
                    .name(title, |name| row.column(name).map(str::to_string)),
                key: row.get("key").map(str::to_string),
                created_at,
                resolved_at: cx.time(row, "resolved_at")?,
                acked_at,
                acked_by: acked_at.and(row.get("acked_by")).map(first_name),
                ack_tracked: cx.ack_tracked,
                auto_resolved: row.flag("auto_resolved")?,
                notifications: mapped_csv::count(row, "notifications")?,
                service: row.get("service").map(str::to_string),
                team: row.get("team").map(str::to_string),
                severity: row.get("severity").map(str::to_string),
                origin: Origin::default(),
            })
        })
    }
}
