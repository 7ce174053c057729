//! Responder load: pages per responder from PagerDuty's notify entries
//! (escalations included) and from acknowledgers where no notices exist,
//! split into business, off and sleep hours in each responder's zone
//! across Europe/Berlin's change of time, with shifts over the SRE book's
//! limit (`responders.json` and the report's Responders section).

use super::common::{bin, run_ok, write};
use serde_json::{json, Value};

/// A PagerDuty incident as `GET /incidents` lists it.
fn incident(id: &str, title: &str, created: &str) -> Value {
    json!({"id": id, "type": "incident", "incident_number": id[1..].parse::<u64>().unwrap(),
           "title": title, "summary": format!("[#1] {title}"), "created_at": created, "status": "resolved", "incident_key": format!("key-{id}"),
           "service": {"id": "PSVC", "type": "service_reference", "summary": "shop"}})
}

fn user(name: &str) -> Value {
    json!({"id": format!("U{}", name.len()), "type": "user_reference", "summary": name})
}

fn entry(kind: &str, id: &str, at: &str, extra: Value) -> Value {
    let mut e =
        json!({"type": kind, "created_at": at, "incident": {"id": id, "summary": "[#1] x"}});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

#[test]
fn pages_are_counted_in_each_responders_own_hours_across_a_change_of_time() {
    let dir = tempfile::tempdir().unwrap();
    // Europe/Berlin leaves summer time on Sunday 2026-10-25 (UTC+2 → UTC+1).
    let incidents = json!({"incidents": [
        // Friday 06:30 UTC = 08:30 CEST: off hours (awake, before 09:00).
        incident("P1", "[FIRING:1] DiskFull", "2026-10-23T06:30:00Z"),
        // Monday 06:30 UTC = 07:30 CET: sleep hours.
        incident("P2", "[FIRING:1] DiskFull", "2026-10-26T06:30:00Z"),
        // Monday 07:30 UTC = 08:30 CET: off; escalated to Bo at 07:45 UTC.
        incident("P3", "[FIRING:1] HostDown", "2026-10-26T07:30:00Z"),
        // Monday 16:30 UTC = 17:30 CET: business.
        incident("P4", "[FIRING:1] HostDown", "2026-10-26T16:30:00Z"),
    ], "more": false});
    let notify = |id: &str, at: &str, who: &str| {
        entry(
            "notify_log_entry",
            id,
            at,
            json!({"user": user(who), "channel": {"type": "phone"}}),
        )
    };
    let ack = |id: &str, at: &str, who: &str| {
        entry("acknowledge_log_entry", id, at, json!({"agent": user(who)}))
    };
    let logs = json!({"log_entries": [
        notify("P1", "2026-10-23T06:30:10Z", "Ada"), ack("P1", "2026-10-23T06:33:00Z", "Ada"),
        notify("P2", "2026-10-26T06:30:10Z", "Ada"), ack("P2", "2026-10-26T06:40:00Z", "Ada"),
        notify("P3", "2026-10-26T07:30:10Z", "Ada"),
        notify("P3", "2026-10-26T07:45:10Z", "Bo"), ack("P3", "2026-10-26T07:50:00Z", "Bo"),
        notify("P4", "2026-10-26T16:30:10Z", "Ada"), ack("P4", "2026-10-26T16:31:00Z", "Ada"),
    ], "more": false});
    write(dir.path(), "incidents.json", &incidents.to_string());
    write(dir.path(), "log.json", &logs.to_string());
    // A CSV from another tool: Cy acknowledged two episodes (no notices):
    // 21:30 and 23:30 Berlin time on Tuesday (off, then sleep).
    write(
        dir.path(),
        "episodes.csv",
        "rule,labels,starts_at,ends_at,acked_at,acked_by\n\
         QueueDepth,queue=a,2026-10-27T20:30:00Z,2026-10-27T21:00:00Z,2026-10-27T20:35:00Z,Cy\n\
         QueueDepth,queue=b,2026-10-27T22:30:00Z,2026-10-27T23:00:00Z,2026-10-27T22:35:00Z,Cy\n\
         QueueDepth,queue=c,2026-10-27T22:40:00Z,2026-10-27T23:10:00Z,,\n",
    );
    run_ok(
        bin()
            .current_dir(dir.path())
            .args(["report", "incidents.json", "log.json", "episodes.csv"])
            .args([
                "--tz",
                "Europe/Berlin",
                "--responder-tz",
                "Bo=America/New_York",
            ])
            .args([
                "--since",
                "2026-10-19",
                "--until",
                "2026-11-02",
                "--out",
                "report",
            ]),
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report/responders.json")).unwrap())
            .unwrap();
    assert_eq!(report["sleep_hours"], "22:00-08:00");
    let who = |name: &str| {
        (report["responders"].as_array().unwrap().iter())
            .find(|r| r["responder"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
            .clone()
    };
    let counts = |r: &Value| {
        [
            "pages",
            "acknowledged",
            "business_hours",
            "off_hours",
            "sleep_hours",
        ]
        .map(|k| r[k].as_u64().unwrap())
    };
    // Ada: four pages, three acknowledged; P1 off, P2 sleep, P3 off, P4 business.
    let ada = who("Ada");
    assert_eq!(ada["tz"], "Europe/Berlin");
    assert_eq!(counts(&ada), [4, 3, 1, 2, 1]);
    // Two weeks: Monday 2026-10-19 (P1) and Monday 2026-10-26 (P2-P4).
    let weeks: Vec<(&str, u64)> = (ada["weeks"].as_array().unwrap().iter())
        .map(|w| (w["week"].as_str().unwrap(), w["pages"].as_u64().unwrap()))
        .collect();
    assert_eq!(weeks, [("2026-10-19", 1), ("2026-10-26", 3)]);
    // Shifts: P1 (Friday from 08:00), P2 (the night from Sunday 20:00 CET,
    // after the change), P3 and P4 (Monday from 08:00): three shifts, none
    // over two pages.
    assert_eq!(ada["shifts_paged"], 3);
    assert_eq!(ada["shifts_over_limit"], 0);
    assert_eq!(ada["busiest_shift"], 2);
    assert_eq!(ada["busiest_shift_start"], "2026-10-26T08:00+01:00");
    // Bo, in New York: the escalation at 07:45 UTC is 03:45 EDT (New York
    // changes its clocks a week later): sleep.
    let bo = who("Bo");
    assert_eq!(bo["tz"], "America/New_York");
    assert_eq!(counts(&bo), [1, 1, 0, 0, 1]);
    // Cy: from the CSV's acknowledgers, at the episodes' starts.
    assert_eq!(counts(&who("Cy")), [2, 2, 0, 1, 1]);
    // The rules that woke people: DiskFull (Ada), HostDown (Bo), QueueDepth (Cy).
    let woke: Vec<(&str, u64)> = (report["woke_most"].as_array().unwrap().iter())
        .map(|w| {
            (
                w["rule"].as_str().unwrap(),
                w["sleep_pages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(woke, [("DiskFull", 1), ("HostDown", 1), ("QueueDepth", 1)]);
    let md = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    assert!(md.contains("## Responders"), "{md}");
    assert!(md.contains("| Ada | Europe/Berlin | 4 | 3 | 1 | 2 | 1 | 3 | 0 | 2 pages from 2026-10-26T08:00+01:00 |"), "{md}");
    let html = std::fs::read_to_string(dir.path().join("report/report.html")).unwrap();
    assert!(html.contains("<h2 id=\"responders\">Responders</h2>"));
    assert!(html.contains("pages received"), "the chart's axis");
}

#[test]
fn bad_responder_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "e.csv",
        "rule,starts_at,ends_at\nA,2026-01-01T00:00:00Z,2026-01-01T00:10:00Z\n",
    );
    for (flag, value, says) in [
        ("--sleep-hours", "22-08", "--sleep-hours"),
        ("--responder-tz", "Ada", "NAME=ZONE"),
        ("--responder-tz", "Ada=Mars/Olympus", "IANA"),
    ] {
        let run = bin()
            .current_dir(dir.path())
            .args(["report", "e.csv", flag, value, "--out", "r"])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(says), "{flag} {value}: {stderr}");
    }
}
