//! Every input format on real files (tests/fixtures, copied from public
//! projects) and hand-made edge cases (tests/fixtures/handmade), through the
//! real pipeline (`analysis::analyze`), with named expectations.

use crate::common::*;
use alertnoise::analysis::Analysis;
use alertnoise::episodes::Episode;
use alertnoise::problem::Severity;
use alertnoise::sources::assemble::group_key_hash;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn read(files: &[&str]) -> Analysis {
    read_with(files, |_| {})
}

fn read_with(files: &[&str], change: impl FnOnce(&mut alertnoise::analysis::Options)) -> Analysis {
    let mut o = options(files.iter().map(|f| fixture(f)).collect::<Vec<PathBuf>>());
    change(&mut o);
    run(&o)
}

fn fired(a: &Analysis) -> Vec<&Episode> {
    a.episode_rows()
        .iter()
        .filter(|e| e.starts_at.is_some())
        .collect()
}

fn episode(a: &Analysis, what: impl Fn(&Episode) -> bool) -> &Episode {
    let found: Vec<&Episode> = a.episode_rows().iter().filter(|e| what(e)).collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    found[0]
}

fn formats(a: &Analysis) -> Vec<Option<String>> {
    a.summary.inputs.iter().map(|i| i.format.clone()).collect()
}

fn problems(a: &Analysis, severity: Severity) -> Vec<String> {
    a.problems
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| p.to_string())
        .collect()
}

// ---- Alertmanager API v2 (karma's captures of real servers) -------------

#[test]
fn alert_groups_answers_are_twelve_episodes_four_of_them_silenced() {
    for version in ["0.25.0", "0.31.0"] {
        let a = read(&[&format!("alertmanager/api-v2-alert-groups-{version}.json")]);
        assert_eq!(formats(&a), vec![Some("alertmanager-api".to_string())]);
        // 24 alerts in 10 groups; an alert routed to two receivers shows in two groups.
        assert_eq!(fired(&a).len(), 12, "{version}");
        let silenced: BTreeSet<&str> = a
            .episode_rows()
            .iter()
            .filter(|e| e.silenced)
            .map(|e| e.fingerprint.as_str())
            .collect();
        assert_eq!(
            silenced,
            BTreeSet::from([
                "54c2f185e49cfccb",
                "588a14f7b4613621",
                "cc58f2ac8260fb97",
                "ffbb5f178eb27f11"
            ]),
            "{version}"
        );
        // Active alerts: endsAt is a lease, not an end.
        assert!(a.episode_rows().iter().all(|e| e.ends_at.is_none()));
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        let host_down = row(&a.rules, "Host_Down");
        close(
            f(host_down, "silenced_ratio"),
            3.0 / f(host_down, "episodes"),
            "Host_Down",
        );
    }
}

#[test]
fn silences_match_exactly_the_alerts_alertmanager_silenced() {
    // For every alert of the captured answer: the silences whose matchers we
    // evaluate as matching (and in force when the answer was taken) are the
    // ones Alertmanager itself named in `silencedBy`.
    for version in ["0.25.0", "0.31.0"] {
        let read = |name: &str| {
            std::fs::read_to_string(fixture(&format!("alertmanager/{name}-{version}.json")))
                .unwrap()
        };
        let silenced = assert_silences_match_alertmanager(
            &read("api-v2-silences"),
            &read("api-v2-alert-groups"),
        );
        // Four silenced alerts, each shown in two groups (two receivers).
        assert_eq!(silenced.len(), 8, "{version}");
        let instances: BTreeSet<&str> = silenced.iter().map(|l| l["instance"].as_str()).collect();
        assert_eq!(
            instances,
            BTreeSet::from(["server6", "server7", "server8", "web1"])
        );
    }
}

#[test]
fn silences_files_mark_episodes_of_other_sources_and_bad_regexes_are_problems() {
    let a = read(&[
        "handmade/join-webhooks.jsonl",
        "handmade/alertmanager-silences.json",
    ]);
    // The expired maintenance silence (09:00–11:00, instance =~ "a|c") matched
    // instance a's 10:00 episode, not b's, and not a's 14:00 one.
    let silenced: Vec<(String, i64)> = a
        .episode_rows()
        .iter()
        .filter(|e| e.silenced)
        .map(|e| (e.labels["instance"].clone(), e.starts_at.unwrap()))
        .collect();
    assert_eq!(silenced, vec![("a".to_string(), t("2026-10-19T10:00:00Z"))]);
    assert_eq!(a.summary.joins.silences.silences, 1);
    assert_eq!(a.summary.joins.silences.episodes_silenced, 1);
    let skipped = problems(&a, Severity::Skipped);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains("alertmanager-silences.json:2")
            && skipped[0].contains("instance=~\"web[0-9\" is not a valid regular expression"),
        "{}",
        skipped[0]
    );
    close(
        f(row(&a.rules, "HighLatency"), "silenced_ratio"),
        1.0 / 3.0,
        "one of three",
    );
}

#[test]
fn api_answers_saved_over_time_end_the_alerts_that_vanish() {
    let dir = tempfile::tempdir().unwrap();
    let answer = |updated: &str, alerts: &[(&str, &str)]| {
        let list: Vec<String> = alerts
            .iter()
            .map(|(name, start)| {
                format!(
                    r#"{{"labels":{{"alertname":"{name}"}},"startsAt":"{start}","endsAt":"2099-01-01T00:00:00Z","updatedAt":"{updated}","status":{{"state":"active","silencedBy":[],"inhibitedBy":[]}},"receivers":[{{"name":"x"}}]}}"#
                )
            })
            .collect();
        format!("[{}]", list.join(","))
    };
    let first = write(
        dir.path(),
        "1.json",
        &answer(
            "2026-10-19T10:01:00Z",
            &[("A", "2026-10-19T10:00:00Z"), ("B", "2026-10-19T10:00:30Z")],
        ),
    );
    let second = write(
        dir.path(),
        "2.json",
        &answer("2026-10-19T10:02:00Z", &[("A", "2026-10-19T10:00:00Z")]),
    );
    let a = run(&options(vec![first, second]));
    let end_of = |name: &str| episode(&a, |e| e.rule == name).ends_at;
    assert_eq!(end_of("B"), Some(t("2026-10-19T10:02:00Z")));
    assert_eq!(end_of("A"), None);
    assert_eq!(a.summary.joins.snapshots.answers, 2);
    assert_eq!(a.summary.joins.snapshots.episodes_ended, 1);
}

// ---- PagerDuty (PagerDuty's published API schema examples) -----------------

#[test]
fn pagerduty_rest_incidents_example() {
    let a = read(&["pagerduty/rest-incidents.json"]);
    assert_eq!(formats(&a), vec![Some("pagerduty-incidents".to_string())]);
    let e = episode(&a, |_| true);
    assert_eq!(e.rule, "The server is on fire.");
    assert_eq!(e.incident_id.as_deref(), Some("PT4KHLK"));
    assert_eq!(e.starts_at, Some(t("2015-10-06T21:30:42Z")));
    assert_eq!(e.ends_at, Some(t("2015-10-06T21:38:23Z")));
    assert_eq!(e.notification_count(), 2, "alert_counts.all");
    // Resolved by a user (last_status_change_by is a user_reference).
    assert_eq!(e.auto_resolved, Some(false));
    // A resolved incident's list entry has no acknowledgement history.
    assert!(!e.ack_tracked);
    assert_eq!(
        e.paging_key.as_deref(),
        Some("baf7cf21b1da41b4b0221008339ff357")
    );
    assert_eq!(e.labels["service"], "My Mail Service");
    assert_eq!(e.labels["team"], "Engineering");
    assert_eq!(e.labels["severity"], "P2");
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(row(&a.rules, "The server is on fire.")["acked_ratio"].is_null());
}

#[test]
fn pagerduty_log_entries_example_alone_and_with_its_incident() {
    let alone = read(&["pagerduty/rest-log-entries.json"]);
    assert_eq!(
        formats(&alone),
        vec![Some("pagerduty-log-entries".to_string())]
    );
    let e = episode(&alone, |_| true);
    // Only the log knows it: an episode from its trigger entry, the title
    // from the incident's summary without PagerDuty's "[#1234] ".
    assert_eq!(e.source, "pagerduty-log-entries");
    assert_eq!(e.rule, "The server is on fire.");
    assert_eq!(e.starts_at, Some(t("2015-11-07T00:14:20Z")));
    assert_eq!(e.ends_at, None);
    assert_eq!(e.labels["service"], "My Mail Service");
    assert!(e.ack_tracked && e.acked_at.is_none());
    assert_eq!(alone.summary.joins.incident_logs.from_log_alone, 1);

    let both = read(&[
        "pagerduty/rest-incidents.json",
        "pagerduty/rest-log-entries.json",
    ]);
    let e = episode(&both, |_| true);
    // Joined by incident id: the incidents page's times stand, and the log
    // says it was never acknowledged.
    assert_eq!(e.source, "pagerduty-incidents");
    assert_eq!(e.starts_at, Some(t("2015-10-06T21:30:42Z")));
    assert!(e.ack_tracked && e.acked_at.is_none());
    assert_eq!(both.summary.joins.incident_logs.incidents, 1);
    assert_eq!(both.summary.joins.incident_logs.applied, 1);
    assert_eq!(both.summary.joins.incident_logs.from_log_alone, 0);
}

#[test]
fn pagerduty_analytics_example_reads_its_time_zone_and_mends_a_resolve_before_creation() {
    let a = read(&["pagerduty/analytics-raw-incidents.json"]);
    assert_eq!(formats(&a), vec![Some("pagerduty-analytics".to_string())]);
    assert_eq!(fired(&a).len(), 2);
    let first = episode(&a, |e| e.incident_id.as_deref() == Some("PYC0H08"));
    // "time_zone": "Etc/UTC": the offset-less times are UTC.
    assert_eq!(first.starts_at, Some(t("2023-05-31T10:05:00Z")));
    assert_eq!(first.ends_at, Some(t("2023-05-31T10:15:00Z")));
    assert_eq!(
        first.acked_at,
        Some(t("2023-05-31T10:05:05Z")),
        "seconds_to_first_ack 5"
    );
    assert_eq!(first.acked_by.as_deref(), Some("John Smith"));
    assert_eq!(first.auto_resolved, Some(false));
    assert_eq!(first.rule, "The server is on fire!");
    assert_eq!(first.labels["severity"], "low", "no priority: the urgency");
    let second = episode(&a, |e| e.incident_id.as_deref() == Some("PCOOHCY"));
    // resolved_at (05-30) is before created_at (05-31): the end comes from
    // seconds_to_resolve (2029 s), with a warning naming the line.
    assert_eq!(second.starts_at, Some(t("2023-05-31T10:00:00Z")));
    assert_eq!(second.ends_at, Some(t("2023-05-31T10:00:00Z") + 2_029_000));
    assert_eq!(second.acked_at, Some(t("2023-05-31T10:00:48Z")));
    assert_eq!(second.auto_resolved, None, "the field is missing");
    assert_eq!(second.labels["team"], "Marketing");
    assert_eq!(second.labels["severity"], "SEV-2");
    let warnings = problems(&a, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("analytics-raw-incidents.json:72")
            && warnings[0].contains("seconds_to_resolve"),
        "{}",
        warnings[0]
    );
}

#[test]
fn offset_less_times_are_read_in_tz_with_a_warning_and_a_skipped_hour_is_a_problem() {
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let a = read_with(&["handmade/pagerduty-analytics-no-time-zone.json"], |o| {
        o.business_hours =
            alertnoise::metrics::off_hours::BusinessHours::parse("Mon-Fri 09:00-18:00", berlin)
                .unwrap();
    });
    let e = episode(&a, |_| true);
    // 01:30 CET is 00:30 UTC; 03:10 the same night is CEST, 01:10 UTC: 40 minutes.
    assert_eq!(e.starts_at, Some(t("2026-03-29T00:30:00Z")));
    assert_eq!(e.ends_at, Some(t("2026-03-29T01:10:00Z")));
    assert_eq!(e.acked_by.as_deref(), Some("Ada"));
    assert_eq!(e.notification_count(), 3);
    let skipped = problems(&a, Severity::Skipped);
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].contains("02:30:00` does not exist in Europe/Berlin"),
        "{}",
        skipped[0]
    );
    let warnings = problems(&a, Severity::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("no UTC offset; read as Europe/Berlin")),
        "{warnings:?}"
    );
}

#[test]
fn pagerduty_pages_logs_and_alertmanager_join_on_the_dedup_key() {
    let a = read(&[
        "handmade/join-webhooks.jsonl",
        "handmade/pagerduty-incidents-page-1.json",
        "handmade/pagerduty-incidents-page-2.json",
        "handmade/pagerduty-log-entries.json",
    ]);
    // Alertmanager sends SHA-256(group key) as the dedup key.
    assert_eq!(
        group_key_hash("{}/{severity=\"critical\"}:{alertname=\"HighLatency\"}"),
        "73042dc50d9d7d783a3772aae2a313acab072425608782aea59917e35ef8ec46"
    );
    let latency: Vec<&Episode> = a
        .episode_rows()
        .iter()
        .filter(|e| e.rule == "HighLatency")
        .collect();
    assert_eq!(
        latency.len(),
        3,
        "the joined incidents are not episodes of their own"
    );
    for e in &latency {
        assert_eq!(e.source, "alertmanager-webhook");
        assert!(e.ack_tracked);
    }
    let morning: Vec<&&Episode> = latency
        .iter()
        .filter(|e| e.starts_at == Some(t("2026-10-19T10:00:00Z")))
        .collect();
    assert_eq!(morning.len(), 2);
    for e in morning {
        assert_eq!(e.incident_id.as_deref(), Some("PJOIN1"));
        // The first acknowledgement; the later unacknowledge and re-ack do not move it.
        assert_eq!(e.acked_at, Some(t("2026-10-19T10:06:00Z")));
        assert_eq!(e.acked_by.as_deref(), Some("Ada"));
        assert_eq!(e.auto_resolved, Some(true));
        assert_eq!(
            e.ends_at,
            Some(t("2026-10-19T10:20:00Z")),
            "Alertmanager's end stands"
        );
    }
    let afternoon = latency
        .iter()
        .find(|e| e.starts_at == Some(t("2026-10-19T14:00:00Z")))
        .unwrap();
    assert_eq!(afternoon.incident_id.as_deref(), Some("PJOIN2"));
    // Spelled acknowledgement_log_entry in this log.
    assert_eq!(afternoon.acked_at, Some(t("2026-10-19T14:01:10Z")));
    assert_eq!(afternoon.auto_resolved, Some(false));
    // An incident whose key Alertmanager does not know stays an episode.
    let own = episode(&a, |e| e.incident_id.as_deref() == Some("POWN1"));
    assert_eq!(own.rule, "Disk <n>% full on db-<n>");
    assert_eq!(own.acked_at, Some(t("2026-10-19T16:04:00Z")));
    assert!(own.ack_tracked);
    assert_eq!(own.ends_at, None);
    let from_log = episode(&a, |e| e.incident_id.as_deref() == Some("PLOG1"));
    assert_eq!(from_log.rule, "SearchSlow");
    assert_eq!(from_log.auto_resolved, Some(true));
    let joins = &a.summary.joins;
    let pd = &joins.paging["pagerduty-incidents"];
    assert_eq!(
        (pd.incidents, pd.with_key, pd.joined, pd.episodes_joined),
        (3, 3, 2, 3)
    );
    assert_eq!(joins.duplicate_incidents, 1, "PJOIN2 is on both pages");
    assert_eq!(
        (
            joins.incident_logs.incidents,
            joins.incident_logs.applied,
            joins.incident_logs.from_log_alone
        ),
        (3, 2, 1)
    );
    let skipped = problems(&a, Severity::Skipped);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains("pagerduty-log-entries.json:") && skipped[0].contains("incident.id")
    );
    close(
        f(row(&a.rules, "HighLatency"), "acked_ratio"),
        1.0,
        "all three acknowledged",
    );
    // The join is in summary.json for the reader.
    let summary = serde_json::to_value(&a.summary).unwrap();
    assert_eq!(
        summary["joins"]["paging"]["pagerduty-incidents"]["joined"],
        2
    );
}

#[test]
fn pagerduty_csv_with_default_columns_and_with_map() {
    let a = read(&["handmade/pagerduty-incidents.csv"]);
    assert_eq!(formats(&a), vec![Some("pagerduty-csv".to_string())]);
    let first = episode(&a, |e| e.incident_id.as_deref() == Some("PC1"));
    assert_eq!(first.rule, "KubePodCrashLooping");
    assert_eq!(first.starts_at, Some(t("2026-10-20T06:00:00Z")));
    assert_eq!(first.acked_at, Some(t("2026-10-20T06:05:00Z")));
    assert_eq!(first.acked_by.as_deref(), Some("Ada"));
    assert_eq!(first.labels["dedup_key"], "key-1");
    assert_eq!(first.labels["severity"], "P1");
    let second = episode(&a, |e| e.incident_id.as_deref() == Some("PC2"));
    assert_eq!(
        second.fingerprint, first.fingerprint,
        "one dedup key, one instance"
    );
    assert!(second.ack_tracked && second.acked_at.is_none());
    assert_eq!(second.ends_at, None);
    let cert = episode(&a, |e| e.incident_id.as_deref() == Some("PC3"));
    assert_eq!(
        cert.rule,
        "Certificate for api.example.com expires in <n> days"
    );
    assert_eq!(cert.auto_resolved, Some(true));
    let skipped = problems(&a, Severity::Skipped);
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].contains("pagerduty-incidents.csv:5") && skipped[0].contains("created_at"),
        "{}",
        skipped[0]
    );
    // The refire: PC2 started 30 minutes after PC1 resolved, within no flap window;
    // with --flap-window 1h it is a refire of the same instance.
    let with_flap = read_with(&["handmade/pagerduty-incidents.csv"], |o| {
        o.flap_window_ms = 3_600_000
    });
    close(
        f(row(&with_flap.rules, "KubePodCrashLooping"), "refires"),
        1.0,
        "refire",
    );

    // Custom column names: detected by no header, so named with --format, and mapped.
    let unmapped = alertnoise(&[
        "report",
        fixture("handmade/pagerduty-incidents-custom-columns.csv")
            .to_str()
            .unwrap(),
        "--format",
        "pagerduty-csv",
        "--out",
        tempfile::tempdir()
            .unwrap()
            .path()
            .join("o")
            .to_str()
            .unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&unmapped.stderr);
    assert!(!unmapped.status.success());
    assert!(
        stderr.contains("no column for title") && stderr.contains("--map COLUMN=FIELD"),
        "{stderr}"
    );
    let mapped = read_with(&["handmade/pagerduty-incidents-custom-columns.csv"], |o| {
        o.format = Some("pagerduty-csv".into());
        o.map = vec![
            ("Incident Title".into(), "title".into()),
            ("Opened".into(), "created_at".into()),
            ("Closed".into(), "resolved_at".into()),
            ("TTA seconds".into(), "seconds_to_first_ack".into()),
        ];
    });
    let e = episode(&mapped, |_| true);
    assert_eq!(e.rule, "HighLatency");
    assert_eq!(
        e.incident_id.as_deref(),
        Some("301"),
        "incident number as the id"
    );
    assert_eq!(e.acked_at, Some(t("2026-10-20T08:00:45Z")));
    assert_eq!(e.ends_at, Some(t("2026-10-20T08:10:00Z")));
}

// ---- Opsgenie (the Alert API documentation's example) ------------------------

#[test]
fn opsgenie_list_alerts_example() {
    let a = read(&["opsgenie/list-alerts.json"]);
    assert_eq!(formats(&a), vec![Some("opsgenie-alerts".to_string())]);
    // Both items carry one alert id: one alert read in two states; the
    // closed record (the more final one) stands, with a warning.
    let e = episode(&a, |_| true);
    assert_eq!(
        e.incident_id.as_deref(),
        Some("70413a06-38d6-4c85-92b8-5ebc900d42e2")
    );
    assert_eq!(e.rule, "Our servers are in danger");
    let created = t("2017-03-21T20:32:52.353Z");
    assert_eq!(e.starts_at, Some(created));
    assert_eq!(e.acked_at, Some(created + 15_702), "report.ackTime in ms");
    assert_eq!(e.ends_at, Some(created + 60_503), "report.closeTime in ms");
    assert_eq!(e.acked_by.as_deref(), Some("agent_smith@opsgenie.com"));
    assert_eq!(e.notification_count(), 79, "count");
    assert_eq!(e.paging_key.as_deref(), Some("event_573"));
    assert_eq!(e.labels["severity"], "P4");
    assert_eq!(a.summary.joins.duplicate_incidents, 1);
    let warnings = problems(&a, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("Sample Message") && warnings[0].contains("list-alerts.json:"),
        "{}",
        warnings[0]
    );
}

#[test]
fn opsgenie_alerts_without_report_and_the_csv_export() {
    let a = read(&["handmade/opsgenie-alerts-without-report.json"]);
    let closed = episode(&a, |e| e.incident_id.as_deref() == Some("og-1"));
    assert_eq!(closed.acked_at, None);
    assert!(closed.ack_tracked);
    assert_eq!(
        closed.ends_at,
        Some(t("2026-10-20T08:30:00Z")),
        "updatedAt, with a warning"
    );
    let open = episode(&a, |e| e.incident_id.as_deref() == Some("og-2"));
    assert_eq!(open.ends_at, None);
    let skipped = problems(&a, Severity::Skipped);
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].contains("without-report.json:") && skipped[0].contains("createdAt"),
        "{}",
        skipped[0]
    );
    assert!(problems(&a, Severity::Warning)
        .iter()
        .any(|w| w.contains("without report.closeTime")));

    let csv = read(&["handmade/opsgenie-alerts.csv"]);
    assert_eq!(formats(&csv), vec![Some("opsgenie-csv".to_string())]);
    let a1 = episode(&csv, |e| e.incident_id.as_deref() == Some("a1"));
    assert_eq!(a1.rule, "HighLatency");
    assert_eq!(a1.acked_at, Some(t("2026-10-20T08:01:00Z")));
    assert_eq!(a1.ends_at, Some(t("2026-10-20T08:10:00Z")));
    assert_eq!(a1.notification_count(), 4);
    assert_eq!(a1.labels["team"], "Payments");
    let a2 = episode(&csv, |e| e.incident_id.as_deref() == Some("a2"));
    assert_eq!(a2.ends_at, None, "open");
    assert_eq!(a2.fingerprint, a1.fingerprint, "one alias");
    let a3 = episode(&csv, |e| e.incident_id.as_deref() == Some("a3"));
    assert_eq!(a3.rule, "Backup job <hex> failed");
    assert!(csv.problems.is_empty(), "{:?}", csv.problems);
}

// ---- Grafana --------------------------------------------------------------

#[test]
fn grafana_annotations_rules_history_and_webhook_tell_the_same_story() {
    let a = read(&["handmade/grafana-annotations.json"]);
    assert_eq!(formats(&a), vec![Some("grafana-annotations".to_string())]);
    let base = 1_760_954_400_000;
    let host1 = episode(&a, |e| {
        e.labels.get("instance").map(String::as_str) == Some("host1")
    });
    assert_eq!(host1.rule, "High CPU");
    assert_eq!(host1.labels["grafana_folder"], "Infra");
    assert_eq!(host1.pending_since, Some(base));
    assert_eq!(host1.starts_at, Some(base + 60_000));
    // Recovering keeps it firing; Normal ends it.
    assert_eq!(host1.ends_at, Some(base + 1_800_000));
    let host2 = episode(&a, |e| {
        e.labels.get("instance").map(String::as_str) == Some("host2")
    });
    assert_eq!(
        host2.starts_at, None,
        "pending, then Normal (MissingSeries): pending-only"
    );
    assert_eq!(host2.pending_since, Some(base + 600_000));
    assert_eq!(host2.ends_at, Some(base + 660_000));
    let host3 = episode(&a, |e| {
        e.labels.get("instance").map(String::as_str) == Some("host3")
    });
    assert_eq!(
        host3.starts_at,
        Some(base + 3_600_000),
        "Alerting (NoData) fires"
    );
    assert_eq!(host3.ends_at, None);

    let history = read(&["handmade/grafana-rules-history.json"]);
    assert_eq!(
        formats(&history),
        vec![Some("grafana-rules-history".to_string())]
    );
    let h = episode(&history, |_| true);
    assert_eq!(
        (h.pending_since, h.starts_at, h.ends_at),
        (host1.pending_since, host1.starts_at, host1.ends_at)
    );
    assert_eq!(
        h.fingerprint, host1.fingerprint,
        "same labels, same instance"
    );

    let hook = read(&["handmade/grafana-webhook.json"]);
    assert_eq!(formats(&hook), vec![Some("grafana-webhook".to_string())]);
    let w = episode(&hook, |_| true);
    assert_eq!(w.source, "grafana-webhook");
    assert_eq!(
        w.fingerprint, "c6eadffa33fcdf37",
        "Grafana's own fingerprint is kept"
    );
    assert_eq!((w.starts_at, w.ends_at), (host1.starts_at, host1.ends_at));
    assert!(hook.problems.is_empty(), "{:?}", hook.problems);
}

// ---- Files that are not history --------------------------------------------

#[test]
fn an_alertmanager_configuration_is_refused_clearly() {
    let routing = fixture("alertmanager/alertmanager-routing.yml");
    let out = tempfile::tempdir().unwrap();
    let as_input = alertnoise(&[
        "report",
        routing.to_str().unwrap(),
        "--out",
        out.path().join("o").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&as_input.stderr);
    assert_eq!(as_input.status.code(), Some(2));
    assert!(
        stderr.contains("alertmanager-routing.yml:1") && stderr.contains("format not recognised"),
        "{stderr}"
    );
    let as_rules = alertnoise(&[
        "report",
        fixture("alertmanager/webhook-resolved.json")
            .to_str()
            .unwrap(),
        "--rules",
        routing.to_str().unwrap(),
        "--out",
        out.path().join("p").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&as_rules.stderr);
    assert_eq!(as_rules.status.code(), Some(2));
    assert!(stderr.contains("alertmanager-routing.yml"), "{stderr}");
}

// ---- Prometheus ALERTS and ALERTS_FOR_STATE in range files ---------------

mod prometheus_chunks {
    use crate::common::*;
    use alertnoise::episodes::Episode;
    use proptest::prelude::*;

    const T0: i64 = 1_760_000_000; // seconds
    const EVAL: i64 = 15;
    const STEP: i64 = 30; // the query step: coarser than the evaluation
    const FOR: i64 = 60;
    const EVALS: i64 = 480; // two hours

    /// Whether instance `i`'s condition holds at evaluation `k`: runs of
    /// different lengths, some shorter than `for:`.
    fn condition(i: i64, k: i64) -> bool {
        let period = [23, 37, 51][i as usize];
        let on = [9, 4, 30][i as usize];
        (k + 7 * i) % period < on
    }

    /// Prometheus' rule evaluation: per evaluation, each instance's state and activeAt.
    fn states() -> Vec<Vec<Option<(bool, i64)>>> {
        (0..3)
            .map(|i| {
                let mut active_at = None;
                (0..EVALS)
                    .map(|k| {
                        let at = T0 + k * EVAL;
                        if condition(i, k) {
                            let since = *active_at.get_or_insert(at);
                            Some((at - since >= FOR, since))
                        } else {
                            active_at = None;
                            None
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The query_range answer for `{__name__=~"ALERTS|ALERTS_FOR_STATE"}`
    /// over query steps [from, to], as Prometheus would give it.
    fn answer(from: i64, to: i64) -> String {
        let states = states();
        let mut series = Vec::new();
        for (i, instance) in states.iter().enumerate() {
            let mut pending = Vec::new();
            let mut firing = Vec::new();
            let mut for_state = Vec::new();
            for j in from..=to {
                let q = T0 + j * STEP;
                let k = ((q - T0) / EVAL) as usize;
                if let Some(Some((fires, since))) = instance.get(k) {
                    let sample = format!("[{q},\"1\"]");
                    if *fires {
                        firing.push(sample);
                    } else {
                        pending.push(sample);
                    }
                    for_state.push(format!("[{q},\"{since}\"]"));
                }
            }
            for (name, state, values) in [
                ("ALERTS", ",\"alertstate\":\"pending\"", pending),
                ("ALERTS", ",\"alertstate\":\"firing\"", firing),
                ("ALERTS_FOR_STATE", "", for_state),
            ] {
                if !values.is_empty() {
                    series.push(format!(
                        "{{\"metric\":{{\"__name__\":\"{name}\",\"alertname\":\"Cpu\",\"instance\":\"i{i}\"{state}}},\"values\":[{}]}}",
                        values.join(",")
                    ));
                }
            }
        }
        format!(
            "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{}]}}}}",
            series.join(",")
        )
    }

    /// (fingerprint, starts_at, ends_at, pending_since) of every episode.
    type Times = (String, Option<i64>, Option<i64>, Option<i64>);

    fn episodes(files: Vec<String>) -> Vec<Times> {
        let dir = tempfile::tempdir().unwrap();
        let paths = files
            .iter()
            .enumerate()
            .map(|(n, text)| write(dir.path(), &format!("chunk-{n}.json"), text))
            .collect();
        let a = run(&options(paths));
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        a.episode_rows()
            .iter()
            .map(|e: &Episode| {
                (
                    e.fingerprint.to_string(),
                    e.starts_at,
                    e.ends_at,
                    e.pending_since,
                )
            })
            .collect()
    }

    #[test]
    fn pending_since_is_alerts_for_state_activeat_not_the_first_pending_sample() {
        let whole = episodes(vec![answer(0, (EVALS * EVAL) / STEP - 1)]);
        let fired: Vec<_> = whole.iter().filter(|e| e.1.is_some()).collect();
        assert!(fired.len() >= 10, "{}", fired.len());
        let states = states();
        for (_, start, _, pending_since) in &fired {
            // The activation that was firing at this start.
            let k = ((start.unwrap() / 1000 - T0) / EVAL) as usize;
            let expected = states
                .iter()
                .filter_map(|s| s[k])
                .map(|(_, since)| since * 1000)
                .filter(|since| *since <= start.unwrap())
                .collect::<Vec<_>>();
            assert!(
                expected.contains(&pending_since.unwrap()),
                "{start:?} {pending_since:?} {expected:?}"
            );
        }
        // Instance 1's condition (4 evaluations) never lasts `for: 60s`:
        // pending-only episodes only.
        let i1 = alertnoise::fingerprint::fingerprint(
            &[("alertname", "Cpu"), ("instance", "i1")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let of_i1: Vec<_> = whole.iter().filter(|e| e.0 == i1).collect();
        assert!(!of_i1.is_empty() && of_i1.iter().all(|e| e.1.is_none()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn range_files_join_at_their_seams_overlapping_or_not(
            cuts in proptest::collection::btree_set(10i64..230, 1..4),
            overlaps in proptest::collection::vec(0i64..4, 4),
        ) {
            let last = (EVALS * EVAL) / STEP - 1;
            let whole = episodes(vec![answer(0, last)]);
            let mut files = Vec::new();
            let mut from = 0;
            for (n, cut) in cuts.iter().enumerate() {
                files.push(answer(from, *cut + overlaps[n]));
                from = cut + 1;
            }
            files.push(answer(from, last));
            prop_assert_eq!(episodes(files), whole);
        }
    }
}

#[test]
fn the_report_lists_silenced_rules_and_the_joins() {
    let dir = tempfile::tempdir().unwrap();
    let everything = write(
        dir.path(),
        "silence-all.json",
        r#"[{"id":"all","createdBy":"ada","startsAt":"2026-10-19T00:00:00Z","endsAt":"2026-10-20T00:00:00Z","matchers":[{"name":"alertname","value":"High.*","isRegex":true}]}]"#,
    );
    let out = dir.path().join("report");
    let result = alertnoise(&[
        "report",
        fixture("handmade/join-webhooks.jsonl").to_str().unwrap(),
        fixture("handmade/pagerduty-incidents-page-1.json")
            .to_str()
            .unwrap(),
        everything.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Silenced alerts"), "{md}");
    assert!(
        md.contains("| HighLatency (silenced most of the time) | 3 | 100% |"),
        "{md}"
    );
    assert!(md.contains("it is silenced most of the time"), "{md}");
    assert!(
        md.contains("2 of 2 `pagerduty-incidents` incidents with a dedup key joined onto 3 Alertmanager episodes"),
        "{md}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["joins"]["silences"]["episodes_silenced"], 3);
    let rules: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("rules.json")).unwrap()).unwrap();
    assert_eq!(rules[0]["silenced_ratio"], 1.0);
}

#[test]
fn an_opsgenie_alias_that_is_the_fingerprint_joins_too() {
    // A custom integration that sends the alert's fingerprint as the alias.
    let dir = tempfile::tempdir().unwrap();
    let opsgenie = write(
        dir.path(),
        "og.json",
        r#"{"data":[{"id":"og-fp","tinyId":"9","alias":"dd19ae3d4e06ac55","message":"[FIRING:1] MyAlertName","status":"closed","count":1,
            "createdAt":"2019-01-02T10:32:16Z","updatedAt":"2019-01-02T10:37:00Z","report":{"ackTime":90000,"closeTime":290000,"acknowledgedBy":"ada"}}]}"#,
    );
    let a = run(&options(vec![
        fixture("alertmanager/webhook-resolved.json"),
        opsgenie,
    ]));
    let e = episode(&a, |_| true);
    assert_eq!(e.source, "alertmanager-webhook");
    assert_eq!(e.incident_id.as_deref(), Some("og-fp"));
    assert_eq!(e.acked_at, Some(t("2019-01-02T10:33:46Z")));
    assert_eq!(e.acked_by.as_deref(), Some("ada"));
    let og = &a.summary.joins.paging["opsgenie-alerts"];
    assert_eq!((og.incidents, og.joined, og.episodes_joined), (1, 1, 1));
}

#[test]
fn rule_from_a_json_field_or_a_pattern_names_incidents() {
    let by_service = read_with(&["pagerduty/rest-incidents.json"], |o| {
        o.rule_from =
            alertnoise::sources::rule_name::RuleFrom::parse("field:service.summary").unwrap();
    });
    assert_eq!(episode(&by_service, |_| true).rule, "My Mail Service");
    let by_pattern = read_with(&["pagerduty/analytics-raw-incidents.json"], |o| {
        o.rule_from =
            alertnoise::sources::rule_name::RuleFrom::parse(r"regex:(?P<rule>\w+) is on fire")
                .unwrap();
    });
    let rules: BTreeSet<&str> = by_pattern
        .episode_rows()
        .iter()
        .map(|e| e.rule.as_str())
        .collect();
    // The pattern names the first; the second does not match and is named by its title.
    assert_eq!(rules, BTreeSet::from(["Reply on social media", "server"]));
    assert!(problems(&by_pattern, Severity::Warning)
        .iter()
        .any(|w| w.contains("--rule-from found nothing in 1 record(s)")));
    let bad = alertnoise(&[
        "report",
        "x",
        "--rule-from",
        "column:x",
        "--out",
        "/nonexistent/o",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use title, field:NAME or regex:PATTERN"));
    let bad_map = alertnoise(&[
        "report",
        "x",
        "--map",
        "Title=headline",
        "--out",
        "/nonexistent/o",
    ]);
    assert_eq!(bad_map.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_map.stderr).contains("`headline` is not a field"));
}

#[test]
fn an_episodes_csv_incident_id_shared_by_two_alerts_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "e.csv",
        "rule,starts_at,ends_at,labels,incident_id\nA,2026-10-19T10:00:00Z,2026-10-19T10:10:00Z,i=1,INC-1\nA,2026-10-19T10:00:00Z,2026-10-19T10:10:00Z,i=2,INC-1\n",
    );
    let a = run(&options(vec![csv]));
    assert_eq!(a.episode_rows().len(), 2);
    assert_eq!(a.summary.joins.duplicate_incidents, 0);
    assert!(a.summary.joins.paging.is_empty());
}

#[test]
fn a_small_alerts_answer_with_activeat_and_an_episodes_csv() {
    let a = read(&["handmade/prometheus-alerts.json"]);
    let latency = episode(&a, |e| e.rule == "HighLatency");
    assert_eq!(
        latency.pending_since,
        Some(1_760_867_993_000),
        "activeAt, between samples"
    );
    assert_eq!(latency.starts_at, Some(1_760_868_045_000));
    assert_eq!(latency.ends_at, None, "firing at the last sample");
    let disk = episode(&a, |e| e.rule == "DiskFull");
    assert_eq!(disk.starts_at, None, "pending only");
    assert_eq!(disk.pending_since, Some(1_760_868_015_000));
    assert_eq!(disk.ends_at, Some(1_760_868_045_000));

    let csv = read(&["handmade/episodes.csv"]);
    let latency = episode(&csv, |e| e.rule == "HighLatency");
    assert_eq!(latency.incident_id.as_deref(), Some("INC-1"));
    assert_eq!(latency.actionable, Some(true));
    let disk = episode(&csv, |e| e.rule == "DiskFull");
    assert_eq!(disk.starts_at, Some(1_760_868_000_000), "epoch seconds");
    assert_eq!(disk.labels["instance"], "b");
    assert!(csv.problems.is_empty(), "{:?}", csv.problems);
}

#[test]
fn a_label_named_version_does_not_change_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let body = write(
        dir.path(),
        "hook.json",
        r#"{"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{"alertname":"A","version":"1"},"startsAt":"2026-10-19T10:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}"#,
    );
    let api = write(
        dir.path(),
        "api.json",
        r#"[{"labels":{"alertname":"B","version":"4"},"startsAt":"2026-10-19T10:00:00Z","endsAt":"2026-10-19T10:05:00Z","updatedAt":"2026-10-19T10:01:00Z","fingerprint":"0000000000000001","status":{"state":"active","silencedBy":[],"inhibitedBy":[]},"receivers":[{"name":"r"}]}]"#,
    );
    let a = run(&options(vec![body, api]));
    assert_eq!(
        formats(&a),
        vec![
            Some("alertmanager-webhook".into()),
            Some("alertmanager-api".into())
        ]
    );
    assert!(a.problems.is_empty(), "{:?}", a.problems);
}
