//! The sample company pages through PagerDuty: Alertmanager's PagerDuty
//! receivers (`pagerduty-oncall` for critical rules, `payments-pager`)
//! send PagerDuty Events v2 with the group key's
//! SHA-256 as the dedup key, and PagerDuty keeps one incident per key while
//! the group fires. This turns those notifications into the `/incidents` and
//! `/log_entries` pages `alertnoise fetch pagerduty` saves: who acknowledged
//! each incident and when (the on-call engineer of the week, minutes after
//! the page, slower at night), some never acknowledged (resolved by
//! Alertmanager before anyone looked), some resolved by hand.

use super::notify::Notification;
use crate::timefmt::{format_millis, Millis};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Who carries the pager, a week each in turn.
const ROTATION: [(&str, &str); 4] = [
    ("PU1AB2C", "Priya Raman"),
    ("PU3DE4F", "Tomás Ortega"),
    ("PU5GH6J", "Mei Chen"),
    ("PU7KL8M", "Jonas Weber"),
];

/// One PagerDuty incident of the sample.
struct Incident {
    id: String,
    number: u64,
    key: String,
    title: String,
    created: Millis,
    alerts: u64,
    acked: Option<(Millis, usize)>,
    resolved: Option<(Millis, Option<usize>)>,
    /// Who was on call (an index of [`ROTATION`]).
    oncall: usize,
}

/// The hex SHA-256 of a group key: Alertmanager's PagerDuty dedup key.
fn dedup_key(group_key: &str) -> String {
    Sha256::digest(group_key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The incidents PagerDuty opens for the paging notifications (sorted by time).
fn incidents(
    notifications: &[Notification],
    pagers: &[&str],
    start: Millis,
    rng: &mut ChaCha8Rng,
) -> Vec<Incident> {
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Incident> = Vec::new();
    for n in notifications {
        if !pagers.iter().any(|p| n.body["receiver"] == *p) {
            continue;
        }
        let group_key = n.body["groupKey"].as_str().unwrap_or_default();
        let firing = n.body["status"] == "firing";
        let at = n.received_at + rng.random_range(200..2_000);
        match (open.get(group_key).copied(), firing) {
            (None, true) => {
                let alerts = n.body["alerts"].as_array().map_or(0, Vec::len) as u64;
                let name = n.body["groupLabels"]["alertname"]
                    .as_str()
                    .unwrap_or("alert");
                out.push(Incident {
                    id: format!("Q{:06X}", 0x1A2B3C + out.len() * 7919),
                    number: 4100 + out.len() as u64,
                    key: dedup_key(group_key),
                    title: format!("[FIRING:{alerts}] {name} (acme-shop)"),
                    created: at,
                    alerts,
                    acked: None,
                    oncall: 0,
                    resolved: None,
                });
                open.insert(group_key.to_string(), out.len() - 1);
            }
            (Some(i), true) => {
                // More alerts of the group: PagerDuty groups them into the incident.
                out[i].alerts += 1;
            }
            (Some(i), false) => {
                out[i].resolved = Some((at, None));
                open.remove(group_key);
            }
            (None, false) => {}
        }
    }
    for incident in &mut out {
        let week = ((incident.created - start).max(0) / (7 * 86_400_000)) as usize;
        let responder = week % ROTATION.len();
        incident.oncall = responder;
        let hour = (incident.created / 3_600_000).rem_euclid(24);
        let night = !(7..22).contains(&hour);
        // Minutes to acknowledge: quick by day, slower when woken up.
        let minutes = if night {
            rng.random_range(4..25)
        } else {
            rng.random_range(1..9)
        };
        let ack_at = incident.created + minutes * 60_000 + rng.random_range(0..60_000);
        let acked =
            rng.random_range(0..100) < 88 && incident.resolved.is_none_or(|(end, _)| ack_at < end);
        if acked {
            incident.acked = Some((ack_at, responder));
            // A third of the acknowledged incidents are resolved by hand,
            // just before Alertmanager's resolve would have come.
            if let Some((end, by)) = incident.resolved.as_mut() {
                if rng.random_range(0..3) == 0 {
                    *end = (*end - rng.random_range(10_000..120_000)).max(ack_at + 1_000);
                    *by = Some(responder);
                }
            }
        }
    }
    out
}

fn user(responder: usize) -> Value {
    let (id, name) = ROTATION[responder];
    json!({"id": id, "type": "user_reference", "summary": name, "self": format!("https://api.pagerduty.com/users/{id}")})
}

fn service() -> Value {
    json!({"id": "PSHOP01", "type": "service_reference", "summary": "Acme Shop (Alertmanager)", "self": "https://api.pagerduty.com/services/PSHOP01"})
}

fn incident_json(incident: &Incident, now: Millis) -> Value {
    let (status, changed_at, changed_by) = match (incident.resolved, incident.acked) {
        (Some((end, by)), _) if end <= now => ("resolved", end, by.map_or_else(service, user)),
        (_, Some((at, who))) if at <= now => ("acknowledged", at, user(who)),
        _ => ("triggered", incident.created, service()),
    };
    let mut value = json!({
        "id": incident.id,
        "type": "incident",
        "summary": format!("[#{}] {}", incident.number, incident.title),
        "incident_number": incident.number,
        "title": incident.title,
        "created_at": format_millis(incident.created),
        "status": status,
        "incident_key": incident.key,
        "service": service(),
        "urgency": "high",
        "last_status_change_at": format_millis(changed_at),
        "last_status_change_by": changed_by,
        "alert_counts": {"all": incident.alerts, "triggered": if status == "resolved" { 0 } else { incident.alerts }, "resolved": if status == "resolved" { incident.alerts } else { 0 }},
        "teams": [{"id": "PTSHOP1", "type": "team_reference", "summary": "shop-oncall"}],
        "acknowledgements": [],
        "html_url": format!("https://acme-shop.pagerduty.com/incidents/{}", incident.id),
    });
    if status == "resolved" {
        value["resolved_at"] = json!(format_millis(changed_at));
    }
    if let (Some((at, who)), "acknowledged") = (incident.acked, status) {
        value["acknowledgements"] = json!([{"at": format_millis(at), "acknowledger": user(who)}]);
    }
    value
}

fn log_entries(incident: &Incident) -> Vec<(Millis, Value)> {
    let reference = json!({"id": incident.id, "type": "incident_reference", "summary": format!("[#{}] {}", incident.number, incident.title)});
    let entry = |kind: &str, at: Millis, agent: Value, n: usize| {
        json!({
            "id": format!("R{}{n}", &incident.id[1..]),
            "type": kind,
            "summary": match kind {
                "trigger_log_entry" => "Triggered through the API.".to_string(),
                "acknowledge_log_entry" => format!("Acknowledged by {}.", agent["summary"].as_str().unwrap_or_default()),
                "notify_log_entry" => format!("Notified {}.", agent["summary"].as_str().unwrap_or_default()),
                _ => format!("Resolved by {}.", agent["summary"].as_str().unwrap_or_default()),
            },
            "created_at": format_millis(at),
            "agent": agent,
            "channel": {"type": if kind == "trigger_log_entry" { "api" } else { "website" }},
            "service": service(),
            "incident": reference,
        })
    };
    let mut out = vec![(
        incident.created,
        entry("trigger_log_entry", incident.created, service(), 0),
    )];
    // The on-call engineer is notified (a push by day, a phone call at
    // night); fifteen minutes without an acknowledgement escalate to the
    // next in the rotation.
    let notify = |at: Millis, who: usize, n: usize| {
        let hour = (at / 3_600_000).rem_euclid(24);
        let channel = if (7..22).contains(&hour) {
            "push_notification"
        } else {
            "phone"
        };
        let mut e = entry("notify_log_entry", at, service(), n);
        e["user"] = user(who);
        e["channel"] = json!({"type": channel});
        (at, e)
    };
    out.push(notify(incident.created + 15_000, incident.oncall, 3));
    let escalate_at = incident.created + 15 * 60_000;
    let acked_in_time = incident.acked.is_some_and(|(at, _)| at < escalate_at);
    let resolved_before = incident.resolved.is_some_and(|(at, _)| at < escalate_at);
    if !acked_in_time && !resolved_before {
        out.push(notify(
            escalate_at + 10_000,
            (incident.oncall + 1) % ROTATION.len(),
            4,
        ));
    }
    if let Some((at, who)) = incident.acked {
        out.push((at, entry("acknowledge_log_entry", at, user(who), 1)));
    }
    if let Some((at, by)) = incident.resolved {
        out.push((
            at,
            entry("resolve_log_entry", at, by.map_or_else(service, user), 2),
        ));
    }
    out
}

/// The pages of a list, as `fetch pagerduty` saves them: 100 records a
/// page, named after the window's start.
fn pages(key: &str, records: Vec<Value>, since: Millis) -> Vec<(String, String)> {
    let chunks: Vec<&[Value]> = records.chunks(100).collect();
    let last = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, chunk)| {
            let page =
                json!({key: chunk, "limit": 100, "offset": index * 100, "more": index < last});
            let name = format!("pagerduty/{key}-{}-{index:05}.json", since / 1000);
            (
                name,
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&page).unwrap_or_default()
                ),
            )
        })
        .collect()
}

/// The `/incidents` and `/log_entries` pages of the notifications sent to
/// the PagerDuty receivers `pagers` over `[start, end)`, as (file name, text).
pub fn pagerduty_pages(
    notifications: &[Notification],
    pagers: &[&str],
    start: Millis,
    end: Millis,
    rng: &mut ChaCha8Rng,
) -> Vec<(String, String)> {
    let incidents = incidents(notifications, pagers, start, rng);
    let mut entries: Vec<(Millis, Value)> = incidents.iter().flat_map(log_entries).collect();
    entries.retain(|(at, _)| *at < end);
    entries.sort_by_key(|(at, _)| *at);
    let mut files = pages(
        "incidents",
        incidents.iter().map(|i| incident_json(i, end)).collect(),
        start,
    );
    files.extend(pages(
        "log_entries",
        entries.into_iter().map(|(_, e)| e).collect(),
        start,
    ));
    files
}
