//! Every metric against values worked out by hand on small histories.

use crate::common::*;
use alertnoise::report::rows::Row;

/// Window [2026-01-05 Mon 00:00, 2026-01-12 Mon 00:00): exactly one week.
const SINCE: &str = "2026-01-05T00:00:00Z";
const UNTIL: &str = "2026-01-12T00:00:00Z";

/// Rule A, instances a and b; the file has an acked_at column, so acks are tracked.
///
/// | ep | inst | start            | end          | dur   | acked  | notes |
/// | e1 | a    | Mon 10:00        | 10:02        | 120s  | 10:01  | short |
/// | e2 | a    | Mon 10:10        | 10:40        | 1800s | 10:15  | refire (gap 8m) |
/// | e3 | a    | Mon 11:00        | 11:03        | 180s  | -      | short, gap 20m: no refire |
/// | e4 | a    | Sun 23:00        | open         | 3600s | -      | clipped at until, off-hours |
/// | e5 | b    | Sun 01-04 23:50  | 01-05 00:05  | -     | -      | before the window |
/// | e6 | b    | Mon 00:10        | 00:20        | 600s  | 00:12  | refire of e5 (gap 5m), off-hours |
/// | e7 | c    | 01-12 00:00      | 00:30        | -     | -      | starts at until: outside |
const HISTORY: &str = "\
rule,starts_at,ends_at,labels,acked_at,notifications
A,2026-01-05T10:00:00Z,2026-01-05T10:02:00Z,instance=a,2026-01-05T10:01:00Z,2
A,2026-01-05T11:10:00+01:00,2026-01-05T10:40:00Z,instance=a,2026-01-05T10:15:00Z,3
A,1767610800,1767610980000,instance=a,,1
A,2026-01-11T23:00:00Z,,instance=a,,4
A,2026-01-04T23:50:00Z,2026-01-05T00:05:00Z,instance=b,,1
A,2026-01-05T00:10:00Z,2026-01-05T00:20:00Z,instance=b,2026-01-05T00:12:00Z,1
A,2026-01-12T00:00:00Z,2026-01-12T00:30:00Z,instance=c,,1
";

fn analyze_history(extra: &[(&str, &str)], by: Option<&str>) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = vec![write(dir.path(), "a.csv", HISTORY)];
    for (name, text) in extra {
        inputs.push(write(dir.path(), name, text));
    }
    let mut o = options(inputs);
    o.since = Some(t(SINCE));
    o.until = Some(t(UNTIL));
    o.by = by.map(str::to_string);
    run(&o).rules
}

#[test]
fn volume_duration_flapping_ack_actionable_off_hours_noise() {
    let rows = analyze_history(&[], None);
    let a = row(&rows, "A");
    assert_eq!(f(a, "episodes"), 5.0, "e1 e2 e3 e4 e6");
    close(f(a, "episodes_per_day"), 5.0 / 7.0, "episodes_per_day");
    assert_eq!(f(a, "instances"), 2.0);
    assert_eq!(f(a, "notifications"), 2.0 + 3.0 + 1.0 + 4.0 + 1.0);
    close(
        f(a, "firing_hours"),
        (120.0 + 1800.0 + 180.0 + 3600.0 + 600.0) / 3600.0,
        "firing_hours",
    );
    // Resolved durations [120, 180, 600, 1800]: linear quantiles.
    close(f(a, "duration_p50_s"), 390.0, "p50");
    close(f(a, "duration_p90_s"), 600.0 + 0.7 * 1200.0, "p90");
    close(
        f(a, "short_ratio"),
        0.5,
        "short_ratio: e1 and e3 of 4 resolved",
    );
    assert_eq!(
        f(a, "refires"),
        2.0,
        "e2 and e6 (its predecessor lies before the window)"
    );
    close(f(a, "flap_rate"), 0.4, "flap_rate");
    close(f(a, "acked_ratio"), 0.6, "acked_ratio: e1 e2 e6");
    // tta [60, 120, 300].
    close(f(a, "tta_p50_s"), 120.0, "tta_p50");
    close(f(a, "tta_p90_s"), 120.0 + 0.8 * 180.0, "tta_p90");
    // Proxy: acked and lasting 5m or more: e2 and e6.
    close(f(a, "actionable_ratio"), 0.4, "actionable_ratio");
    close(f(a, "actionable_coverage"), 1.0, "actionable_coverage");
    close(
        f(a, "off_hours_ratio"),
        0.4,
        "off_hours_ratio: e4 (Sunday) and e6 (00:10)",
    );
    assert_eq!(f(a, "noisy_episodes"), 4.0, "e1 e3 short, e2 e6 refire");
    close(f(a, "noise_score"), 4.0, "one-week window");
    assert!(a["current_for_s"].is_null());
}

#[test]
fn a_source_without_acks_gives_null_ack_metrics_and_unknown_actionability() {
    let c = "rule,starts_at,ends_at\nC,2026-01-06T12:00:00Z,2026-01-06T12:20:00Z\n";
    let rows = analyze_history(&[("c.csv", c)], None);
    let c = row(&rows, "C");
    assert!(c["acked_ratio"].is_null());
    assert!(c["tta_p50_s"].is_null());
    assert!(c["actionable_ratio"].is_null());
    close(f(c, "actionable_coverage"), 0.0, "coverage");
    close(f(c, "off_hours_ratio"), 0.0, "Tuesday noon");
    assert_eq!(f(c, "noisy_episodes"), 0.0);
}

#[test]
fn refire_boundary_is_exclusive_at_the_flap_window() {
    let csv = "rule,starts_at,ends_at,labels\n\
        R,2026-01-06T10:00:00Z,2026-01-06T10:10:00Z,i=1\n\
        R,2026-01-06T10:25:00Z,2026-01-06T10:35:00Z,i=1\n\
        R,2026-01-06T10:49:59.999Z,2026-01-06T11:00:00Z,i=1\n";
    let rows = analyze_history(&[("r.csv", csv)], None);
    let r = row(&rows, "R");
    // Gap 15m exactly: not a refire. Gap 14m59.999s: a refire.
    assert_eq!(f(r, "refires"), 1.0);
}

#[test]
fn review_verdicts_beat_the_proxy_and_the_most_specific_wins() {
    // Rule-level "no" for A, then e2 (by fingerprint + start, a few seconds
    // off) and e6 (by rule + start) "yes".
    let fp_a = alertnoise::fingerprint::fingerprint(
        &[("alertname", "A"), ("instance", "a")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let reviews = format!(
        "rule,fingerprint,starts_at,actionable\n\
         A,,,no\n\
         A,{fp_a},2026-01-05T10:10:20Z,yes\n\
         A,,2026-01-05T00:10:30Z,true\n\
         A,,2026-03-01T00:00:00Z,yes\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(vec![write(dir.path(), "a.csv", HISTORY)]);
    o.reviews = Some(write(dir.path(), "reviews.csv", &reviews));
    o.since = Some(t(SINCE));
    o.until = Some(t(UNTIL));
    let analysis = run(&o);
    let a = row(&analysis.rules, "A");
    close(f(a, "actionable_ratio"), 0.4, "e2 and e6 yes, e1 e3 e4 no");
    close(f(a, "actionable_coverage"), 1.0, "coverage");
    // Reviewed-no episodes are noisy: e1 e3 (short), e2 e6 (refire), e4 (reviewed no).
    assert_eq!(f(a, "noisy_episodes"), 5.0);
    let unmatched: Vec<_> = analysis
        .problems
        .iter()
        .filter(|p| p.file.ends_with("reviews.csv"))
        .map(|p| p.line)
        .collect();
    assert_eq!(unmatched, vec![5], "the March verdict matches nothing");
}

#[test]
fn by_label_gives_a_row_per_value() {
    let rows = analyze_history(&[], Some("instance"));
    let a = rows
        .iter()
        .find(|r| r["rule"] == "A" && r["instance"] == "a")
        .unwrap();
    let b = rows
        .iter()
        .find(|r| r["rule"] == "A" && r["instance"] == "b")
        .unwrap();
    assert_eq!(f(a, "episodes"), 4.0);
    assert_eq!(f(b, "episodes"), 1.0);
    assert_eq!(f(b, "refires"), 1.0);
    close(f(a, "short_ratio"), 2.0 / 3.0, "a: e1 e3 of e1 e2 e3");
}

#[test]
fn default_window_is_whole_days_around_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let o = options(vec![write(dir.path(), "a.csv", HISTORY)]);
    let analysis = run(&o);
    assert_eq!(analysis.summary.window.since, "2026-01-04T00:00:00.000Z");
    assert_eq!(analysis.summary.window.until, "2026-01-13T00:00:00.000Z");
    assert!(analysis.summary.window.from_data);
    // All 7 episodes are inside; the open one is clipped at the window end.
    assert_eq!(f(row(&analysis.rules, "A"), "episodes"), 7.0);
}

#[test]
fn business_hours_follow_the_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    // 08:30 UTC on a Monday is 09:30 in Berlin: inside; 17:30 UTC is 18:30: outside.
    let csv = "rule,starts_at,ends_at\nZ,2026-01-05T08:30:00Z,2026-01-05T09:00:00Z\nZ,2026-01-05T17:30:00Z,2026-01-05T18:00:00Z\n";
    let mut o = options(vec![write(dir.path(), "z.csv", csv)]);
    o.business_hours = alertnoise::metrics::off_hours::BusinessHours::parse(
        "Mon-Fri 09:00-18:00",
        "Europe/Berlin".parse().unwrap(),
    )
    .unwrap();
    close(
        f(row(&run(&o).rules, "Z"), "off_hours_ratio"),
        0.5,
        "one of two",
    );
    let o = options(vec![dir.path().join("z.csv")]);
    close(
        f(row(&run(&o).rules, "Z"), "off_hours_ratio"),
        0.5,
        "UTC: 08:30 out, 17:30 in",
    );
}

#[test]
fn short_and_flap_window_settings_change_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(vec![write(dir.path(), "a.csv", HISTORY)]);
    o.since = Some(t(SINCE));
    o.until = Some(t(UNTIL));
    o.short_ms = alertnoise::timefmt::parse_duration("2m30s").unwrap();
    o.flap_window_ms = alertnoise::timefmt::parse_duration("30m").unwrap();
    let rows = run(&o).rules;
    let a = row(&rows, "A");
    // Only e1 (120s) is under 2m30s now; e3 (180s) is not.
    close(f(a, "short_ratio"), 0.25, "short_ratio");
    // With 30m, e3 (gap 20m after e2) is a refire too.
    assert_eq!(f(a, "refires"), 3.0);
    assert_eq!(f(a, "noisy_episodes"), 4.0, "e1 short; e2 e3 e6 refires");
}

#[test]
fn json_labels_and_incident_ids_in_csv_exports() {
    let csv = "rule,starts_at,ends_at,labels,incident_id,acked_at\n\
        J,2026-01-06T10:00:00Z,2026-01-06T10:30:00Z,\"{\"\"instance\"\":\"\"db-1\"\",\"\"severity\"\":\"\"critical\"\"}\",PD-1,2026-01-06T10:02:00Z\n\
        J,2026-01-07T10:00:00Z,2026-01-07T10:30:00Z,\"{\"\"instance\"\":\"\"db-2\"\"}\",PD-2,2026-01-07T10:02:00Z\n";
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(vec![write(dir.path(), "j.csv", csv)]);
    // The proxy says both were actionable (acked, lasted 30m); the review overrules PD-2.
    o.reviews = Some(write(
        dir.path(),
        "r.csv",
        "incident_id,actionable\nPD-2,no\n",
    ));
    let a = run(&o);
    assert_eq!(
        a.episode_rows()[0]
            .labels
            .get("instance")
            .map(String::as_str),
        Some("db-1")
    );
    assert_eq!(f(row(&a.rules, "J"), "instances"), 2.0);
    assert_eq!(row(&a.rules, "J")["severity"], "critical");
    close(
        f(row(&a.rules, "J"), "actionable_ratio"),
        0.5,
        "PD-1 by proxy, PD-2 reviewed no",
    );
    let sources: Vec<_> = a
        .episode_rows()
        .iter()
        .map(|e| e.actionable_source)
        .collect();
    assert_eq!(sources, vec![Some("proxy"), Some("review")]);
}

/// report.html's charts count episodes themselves (the leaderboard split by
/// reason, the hour-of-week heatmap, the duration histograms); on the sample,
/// split by `--by team`, their counts must add up to the metrics of rules.json.
#[test]
fn the_chart_counts_add_up_to_the_metrics() {
    let mut options = options(vec![root().join("sample-data/alertmanager")]);
    options.reviews = Some(root().join("sample-data/reviews.csv"));
    options.by = Some("team".into());
    let analysis = run(&options);
    let facts = alertnoise::report::html::rule_facts(
        &analysis.facts,
        &analysis.settings,
        analysis.episode_table.rules().values(),
    )
    .unwrap();
    assert_eq!(facts.len(), analysis.rules.len());
    for row in &analysis.rules {
        let key = alertnoise::report::markdown::display_name(row, Some("team"));
        let f = &facts[&key];
        let noisy = f.short + f.refire + f.not_actionable;
        assert_eq!(noisy as f64, self::f(row, "noisy_episodes"), "{key}: noisy");
        assert_eq!(
            f.hours.iter().sum::<u32>() as f64,
            self::f(row, "episodes"),
            "{key}: heatmap"
        );
        assert_eq!(f.hours.len(), 168);
        // Each resolved episode is in the histogram: their median is the metric's.
        let mut d = f.firing_s.clone();
        d.sort_by(f64::total_cmp);
        if let Some(p50) = row.get("duration_p50_s").and_then(|v| v.as_f64()) {
            let mid = (d.len() - 1) as f64 / 2.0;
            let median = (d[mid.floor() as usize] + d[mid.ceil() as usize]) / 2.0;
            close(median, p50, &format!("{key}: median duration"));
        }
    }
    // Some rule is noisy for more than one reason, so the split is exercised.
    assert!(facts.values().any(|f| [f.short, f.refire, f.not_actionable]
        .iter()
        .filter(|n| **n > 0)
        .count()
        > 1));
}

/// One list of paging severities: a `sev1` rule that fires at night gets the
/// report's "wakes people up" finding as it gets the `demote` advice.
#[test]
fn every_paging_severity_gets_the_paging_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("rule,starts_at,ends_at,labels,severity\n");
    for day in 0..6 {
        // 02:00 UTC on consecutive days: off hours.
        let start = 1_794_794_400 + day * 86_400;
        csv.push_str(&format!("NightPage,{start},{},i=1,SEV1\n", start + 120));
    }
    let input = write(dir.path(), "h.csv", &csv);
    let out = dir.path().join("r");
    run_ok(bin().args([
        "report",
        input.to_str().unwrap(),
        "--outputs",
        "md",
        "--out",
        out.to_str().unwrap(),
    ]));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("It pages, and 100% of its episodes started outside business hours"),
        "{md}"
    );
}

/// A rule's severity is the most common one of its episodes in the window,
/// ties going to the alphabetically first, whether a row gives it in its
/// severity column or its `severity` label; episodes outside the window or
/// without any severity do not count.
#[test]
fn a_rules_severity_is_its_most_common_ties_alphabetical() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("rule,starts_at,ends_at,labels,severity\n");
    let day = 1_794_787_200; // 2026-11-16T00:00:00Z
    let mut add = |rule: &str, n: i64, labels: &str, severity: &str| {
        let start = day + n * 3_600;
        csv.push_str(&format!(
            "{rule},{start},{},{labels},{severity}\n",
            start + 60
        ));
    };
    // Tie between warning and critical: critical (alphabetical).
    add("Tie", 1, "i=1", "warning");
    add("Tie", 2, "i=1", "warning");
    add("Tie", 3, "i=1;severity=critical", "");
    add("Tie", 4, "i=1", "critical");
    add("Tie", 5, "i=1", "");
    // Two by the column, one by the label: page.
    add("Page", 1, "i=2", "page");
    add("Page", 2, "i=2", "page");
    add("Page", 3, "i=2;severity=ticket", "");
    // Outside the window (a week later): three more tickets do not count.
    add("Window", 1, "i=3", "zebra");
    for k in 0..3 {
        add("Window", 24 * 8 + k, "i=3", "alpha");
    }
    let input = write(dir.path(), "h.csv", &csv);
    let mut options = options(vec![input]);
    options.since = Some(day * 1000);
    options.until = Some((day + 86_400) * 1000);
    let analysis = run(&options);
    let severity = |rule: &str| {
        row(&analysis.rules, rule)
            .get("severity")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    assert_eq!(severity("Tie").as_deref(), Some("critical"));
    assert_eq!(severity("Page").as_deref(), Some("page"));
    assert_eq!(severity("Window").as_deref(), Some("zebra"));
}
