//! PagerDuty REST API `GET /log_entries` (or `GET /incidents/{id}/log_entries`)
//! answers, saved page by page: what happened to each incident.
//!
//! The first `acknowledge_log_entry` (PagerDuty's schema also spells it
//! `acknowledgement_log_entry`) gives the incident's `acked_at` and
//! `acked_by`; an `unacknowledge_log_entry` (a user's un-acknowledge or an
//! acknowledgement timeout) is not an acknowledgement and does not undo the
//! first one, which is when a person first took the page. The last
//! `resolve_log_entry` gives the end; one whose agent is not a user (the
//! integration, a timeout) is an auto-resolve. Logs join onto the incidents
//! of `/incidents` pages by incident id in any file of the run; an incident
//! that only the log knows becomes an episode from its trigger entry.
//! Every `notify_log_entry` is a page to a person (its `user`, by the
//! `channel` PagerDuty used): what the responder load counts.
//! See `docs/formats/pagerduty.md`.

use super::incident::{json_text, json_time};
use super::pagerduty_incidents::is_user;
use super::rule_name::{json_field, RuleNamer};
use super::{json_records, mapped_csv, InputFile, ReadContext, Source, SourceOutput};
use crate::episodes::Origin;
use crate::problem::Problem;
use crate::timefmt::Millis;
use serde_json::Value;
use std::collections::BTreeMap;

/// The PagerDuty log entries format.
pub struct PagerdutyLogEntries;

/// The name in the `source` column (for incidents only the log knows).
pub const NAME: &str = "pagerduty-log-entries";

/// One `notify_log_entry`: a person paged about an incident.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Notice {
    /// When PagerDuty notified them.
    pub at: Millis,
    /// Who (the user's name, `user.summary`).
    pub user: String,
    /// How: `sms`, `phone`, `push_notification`, `email`, … (`channel.type`).
    pub channel: Option<String>,
}

/// What the log says about one incident.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentLog {
    /// The incident's id.
    pub incident_id: String,
    /// The rule, from the incident's summary in the log.
    pub rule: String,
    /// The service that triggered it, where the trigger entry names it.
    pub service: Option<String>,
    /// The (first) trigger entry's time.
    pub triggered_at: Option<Millis>,
    /// The first acknowledgement and who made it.
    pub first_ack: Option<(Millis, Option<String>)>,
    /// Un-acknowledgements seen (they do not undo the first acknowledgement).
    pub unacknowledged: u32,
    /// The last resolve and whether it was automatic (not by a user).
    pub resolved: Option<(Millis, bool)>,
    /// The people notified about it, in time order.
    pub notified: Vec<Notice>,
    /// Where its first entry was read.
    pub origin: Origin,
}

impl IncidentLog {
    /// Folds another log of the same incident (another page or file) into this one.
    pub fn absorb(&mut self, other: IncidentLog) {
        if other
            .triggered_at
            .is_some_and(|t| self.triggered_at.is_none_or(|s| t < s))
        {
            self.triggered_at = other.triggered_at;
            self.service = other.service.or(self.service.take());
        }
        if let Some((t, by)) = other.first_ack {
            if self.first_ack.as_ref().is_none_or(|(s, _)| t < *s) {
                self.first_ack = Some((t, by));
            }
        }
        self.unacknowledged += other.unacknowledged;
        if let Some((t, auto)) = other.resolved {
            if self.resolved.is_none_or(|(s, _)| t > s) {
                self.resolved = Some((t, auto));
            }
        }
        if self.rule.is_empty() {
            self.rule = other.rule;
        }
        self.notified.extend(other.notified);
        self.notified.sort();
        self.notified.dedup();
    }
}

impl Source for PagerdutyLogEntries {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "PagerDuty REST API GET /log_entries pages: trigger, acknowledge, unacknowledge and resolve entries per incident"
    }

    fn detection(&self) -> &'static str {
        "a JSON object with a \"log_entries\" list"
    }

    fn example(&self) -> &'static str {
        r#"{"log_entries":[{"type":"trigger_log_entry","created_at":"2026-10-19T10:00:30Z","incident":{"id":"PT4KHLK","summary":"[#1234] [FIRING:1] HighLatency"}},
  {"type":"acknowledge_log_entry","created_at":"2026-10-19T10:03:00Z","agent":{"type":"user_reference","summary":"Ada"},"incident":{"id":"PT4KHLK"}}],"more":false}"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"log_entries\"")
    }

    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput {
        let (items, mut problems) =
            json_records::page_objects(&file.name, text, &["log_entries"], Some("log_entry"));
        let mut namer = RuleNamer::new(&context.rule_from);
        let mut assumed = false;
        let mut logs: BTreeMap<String, IncidentLog> = BTreeMap::new();
        for (line, entry) in items {
            let origin = Origin {
                file: (&file.name).into(),
                line,
            };
            match read_entry(&entry, &mut namer, context, &mut assumed, origin) {
                Ok(Some(log)) => match logs.get_mut(&log.incident_id) {
                    Some(known) => known.absorb(log),
                    None => {
                        logs.insert(log.incident_id.clone(), log);
                    }
                },
                Ok(None) => {}
                Err(reason) => problems.push(Problem::skipped(&file.name, line, 0, reason)),
            }
        }
        problems.extend(mapped_csv::file_warnings(
            &file.name, &namer, assumed, context.tz,
        ));
        SourceOutput {
            problems,
            incident_logs: logs.into_values().collect(),
            ..SourceOutput::default()
        }
    }
}

/// One entry as a log of its incident; `None` for kinds that say nothing
/// about acknowledgement, resolution or who was paged (escalate, annotate, …).
fn read_entry(
    entry: &Value,
    namer: &mut RuleNamer,
    context: &ReadContext,
    assumed: &mut bool,
    origin: Origin,
) -> Result<Option<IncidentLog>, String> {
    let kind = entry
        .get("type")
        .and_then(Value::as_str)
        .ok_or("log entry without a `type`; skipped")?;
    let incident_id =
        json_text(entry, "/incident/id").ok_or("log entry without `incident.id`; skipped")?;
    let at = json_time(entry, "/created_at", context.tz, assumed)?
        .ok_or("log entry without `created_at`; skipped")?;
    let agent = entry.get("agent");
    let mut log = IncidentLog {
        incident_id,
        origin,
        ..IncidentLog::default()
    };
    match kind.trim_end_matches("_reference") {
        "trigger_log_entry" => {
            log.triggered_at = Some(at);
            log.service = agent
                .filter(|a| !is_user(Some(a)))
                .and_then(|a| json_text(a, "/summary"));
        }
        "acknowledge_log_entry" | "acknowledgement_log_entry" => {
            log.first_ack = Some((at, agent.and_then(|a| json_text(a, "/summary"))));
        }
        "unacknowledge_log_entry" => log.unacknowledged = 1,
        "resolve_log_entry" => log.resolved = Some((at, !is_user(agent))),
        "notify_log_entry" => {
            // A notification to no person (an extension, a webhook) pages nobody.
            let Some(user) = json_text(entry, "/user/summary") else {
                return Ok(None);
            };
            log.notified.push(Notice {
                at,
                user,
                channel: json_text(entry, "/channel/type"),
            });
        }
        _ => return Ok(None),
    }
    let title = json_text(entry, "/incident/summary").unwrap_or_default();
    log.rule = namer.name(&title, |path| json_field(entry, path));
    Ok(Some(log))
}
