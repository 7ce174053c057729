//! Advice kinds on hand-made histories: `lower_for` from pending-only
//! Prometheus history, `demote` from acknowledgements, every lint check,
//! and alternatives that would lose actionable episodes.

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;

const T0: i64 = 1_794_182_400; // 2026-11-09T00:00:00Z

fn report(dir: &Path, inputs: &[&Path], extra: &[&str]) -> Value {
    let out = dir.join("report");
    let mut cmd = bin();
    cmd.arg("report");
    for i in inputs {
        cmd.arg(i);
    }
    cmd.args(extra).arg("--out").arg(&out);
    run_ok(&mut cmd);
    serde_json::from_slice(&std::fs::read(out.join("advice.json")).unwrap()).unwrap()
}

fn advice_of<'a>(advice: &'a Value, rule: &str, kind: &str) -> Option<&'a Value> {
    advice["advice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == rule && a["kind"] == kind)
}

fn samples(from: i64, n: i64) -> Vec<Value> {
    (0..n).map(|k| json!([from + 60 * k, "1"])).collect()
}

#[test]
fn lower_for_from_pending_history_picks_the_smallest_for_that_adds_little() {
    let dir = tempfile::tempdir().unwrap();
    // Ten actionable alerts, each pending for the whole `for: 5m` before firing;
    // two pending periods that never fired, of 2m and 4m.
    let mut pending = Vec::new();
    let mut firing = Vec::new();
    for i in 0..10 {
        let t = T0 + i * 7200;
        pending.extend(samples(t, 5));
        firing.extend(samples(t + 300, 10));
    }
    pending.extend(samples(T0 + 30 * 3600, 2));
    pending.extend(samples(T0 + 32 * 3600, 4));
    let series = |name: &str, state: &str, values: Vec<Value>| json!({"metric": {"__name__": "ALERTS", "alertname": name, "alertstate": state, "severity": "critical"}, "values": values});
    let answer = json!({"status": "success", "data": {"resultType": "matrix", "result": [
        series("Quick", "pending", pending),
        series("Quick", "firing", firing),
        series("Later", "firing", samples(T0 + 40 * 3600, 3)),
    ]}});
    let alerts = write(dir.path(), "alerts.json", &answer.to_string());
    let rules = write(
        dir.path(),
        "rules.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: Quick\n        expr: errors > 5\n        for: 5m\n        labels:\n          severity: critical\n",
    );
    let reviews = write(dir.path(), "reviews.csv", "rule,actionable\nQuick,yes\n");
    let advice = report(
        dir.path(),
        &[&alerts],
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--reviews",
            reviews.to_str().unwrap(),
        ],
    );
    let lower = advice_of(&advice, "Quick", "lower_for").expect("lower_for advice");
    assert_eq!(lower["change"], json!({"for": "2m"}));
    assert_eq!(lower["effect"]["episodes_before"], 10);
    assert_eq!(
        lower["effect"]["episodes_added"], 1,
        "only the 4m pending period outlasts 2m"
    );
    assert_eq!(lower["effect"]["delay_added_s"], -180.0);
    assert_eq!(lower["effect"]["actionable_lost"], 0);
    // for: 1m was replayed too, and would have added both pending periods.
    let one = lower["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["change"] == json!({"for": "1m"}))
        .unwrap();
    assert_eq!(one["effect"]["episodes_added"], 2);
    assert!(lower["patch"]
        .as_str()
        .unwrap()
        .contains("-        for: 5m\n+        for: 2m\n"));
}

#[test]
fn a_page_nobody_acknowledges_is_demoted() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("rule,starts_at,ends_at,severity,acked_at\n");
    for i in 0..6 {
        let start = T0 + i * 86_400;
        let acked = if i == 0 {
            (start + 3000).to_string()
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "NightlyBatchSlow,{start},{},critical,{acked}\n",
            start + 1800
        ));
    }
    let history = write(dir.path(), "episodes.csv", &csv);
    let rules = write(
        dir.path(),
        "rules.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: NightlyBatchSlow\n        expr: batch_seconds > 3600\n        for: 10m\n        labels:\n          severity: critical # pages\n",
    );
    let advice = report(
        dir.path(),
        &[&history],
        &["--rules", rules.to_str().unwrap()],
    );
    let demote = advice_of(&advice, "NightlyBatchSlow", "demote").expect("demote advice");
    assert_eq!(demote["change"], json!({"labels": {"severity": "warning"}}));
    assert_eq!(demote["evidence"]["ack_tracked"], 6);
    assert_eq!(
        demote["evidence"]["acked_share"].as_f64().unwrap(),
        1.0 / 6.0
    );
    let patch = demote["patch"].as_str().unwrap();
    assert!(
        patch.contains(
            "-          severity: critical # pages\n+          severity: warning # pages\n"
        ),
        "{patch}"
    );
}

#[test]
fn every_lint_check_fires_where_the_guidance_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut rules = String::from("groups:\n  - name: db\n    rules:\n");
    rules.push_str("      - alert: DbCpuHigh\n        expr: rate(node_cpu_seconds_total[5m]) > 0.9\n        for: 10m\n        labels:\n          severity: critical\n          team: db\n        annotations:\n          runbook_url: https://runbooks.example/DbCpuHigh\n");
    rules.push_str("      - alert: DbDown\n        expr: pg_up == 0\n        for: 30s\n        labels:\n          team: db\n        annotations:\n          runbook_url: https://runbooks.example/DbDown\n");
    rules.push_str("      - alert: DbErrors\n        expr: rate(pg_errors_total[5m]) > 1\n        labels:\n          severity: critical\n          team: db\n");
    for i in 0..8 {
        rules.push_str(&format!("      - alert: DbOther{i}\n        expr: db_thing_{i} > 1\n        for: 5m\n        labels:\n          severity: warning\n          team: db\n        annotations:\n          playbook: https://runbooks.example/x\n"));
    }
    let rules_path = write(dir.path(), "db.rules.yml", &rules);
    let history = write(
        dir.path(),
        "episodes.csv",
        &format!("rule,starts_at,ends_at\nDbDown,{T0},{}\n", T0 + 600),
    );
    let advice = report(
        dir.path(),
        &[&history],
        &["--rules", rules_path.to_str().unwrap()],
    );
    let mut lints: Vec<(String, String)> = advice["advice"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "lint")
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["evidence"]["check"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    lints.sort();
    let want: Vec<(String, String)> = [
        ("DbCpuHigh", "pages_on_cause"),
        ("DbDown", "no_for"),
        ("DbDown", "no_severity"),
        ("DbErrors", "no_for"),
        ("DbErrors", "no_runbook"),
        ("team=db", "too_many_rules"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(lints, want);
    assert_eq!(advice["never_fired"].as_array().unwrap().len(), 10);
    assert_eq!(advice["undefined_alerts"], json!([]));
}

#[test]
fn alternatives_that_would_lose_actionable_episodes_say_so_and_are_not_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let advice = report(
        dir.path(),
        &[&root().join("sample-data/alertmanager")],
        &[
            "--reviews",
            root().join("sample-data/reviews.csv").to_str().unwrap(),
            "--rules",
            root().join("sample-data/rules").to_str().unwrap(),
        ],
    );
    let raise = advice_of(&advice, "HostHighCpu", "raise_for").unwrap();
    assert_eq!(raise["effect"]["actionable_lost"], 0);
    let lossy: Vec<&Value> = raise["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["effect"]["actionable_lost"].as_u64().unwrap() > 0)
        .collect();
    assert!(
        !lossy.is_empty(),
        "long for: steps drop the real CPU problems"
    );
    let chosen_for = raise["change"]["for"].as_str().unwrap();
    assert!(lossy.iter().all(|a| a["change"]["for"] != chosen_for));
}

#[test]
fn demote_evidence_uses_the_median_the_metrics_define() {
    // Four acknowledged pages out of ten: acked after 10, 20, 40 and 80 minutes.
    // The linear median is 30 minutes, as rules.json's tta_p50_s says.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("rule,starts_at,ends_at,severity,acked_at\n");
    let delays = [10, 20, 40, 80];
    for i in 0..10 {
        let start = T0 + i * 86_400;
        let acked = delays
            .get(i as usize)
            .map(|m| (start + m * 60).to_string())
            .unwrap_or_default();
        csv.push_str(&format!(
            "SlowPage,{start},{},critical,{acked}\n",
            start + 7200
        ));
    }
    let history = write(dir.path(), "episodes.csv", &csv);
    let advice = report(dir.path(), &[&history], &[]);
    let demote = advice_of(&advice, "SlowPage", "demote").expect("demote advice");
    let rules: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report/rules.json")).unwrap())
            .unwrap();
    let metric = rules.as_array().unwrap()[0]["tta_p50_s"].as_f64().unwrap();
    assert_eq!(metric, 1800.0);
    assert_eq!(demote["evidence"]["tta_p50_s"].as_f64().unwrap(), metric);
}

/// The replay counts episodes, notifications, refires and short episodes in
/// Rust; the metrics count them with polars. Both must say the same of the
/// same history, or advice would contradict the report beside it.
#[test]
fn the_replay_baseline_agrees_with_the_metrics() {
    use alertnoise::advice::simulate;
    let mut options = options(vec![root().join("sample-data/alertmanager")]);
    options.reviews = Some(root().join("sample-data/reviews.csv"));
    options.rules = vec![root().join("sample-data/rules")];
    let analysis = run(&options);
    let targets = analysis.targets(&options.label_names);
    let mut compared = 0;
    for target in targets.iter().filter(|t| t.fired().count() > 0) {
        let (effect, _) = simulate::effect(
            &target.episodes,
            target.current,
            target.current,
            analysis.window.until,
            options.short_ms,
            options.flap_window_ms,
        );
        let r = row(&analysis.rules, target.name);
        assert_eq!(
            effect.episodes_before as f64,
            f(r, "episodes"),
            "{}",
            target.name
        );
        assert_eq!(
            effect.episodes_after, effect.episodes_before,
            "{}",
            target.name
        );
        assert_eq!(
            effect.notifications_before as f64,
            f(r, "notifications"),
            "{}",
            target.name
        );
        assert_eq!(
            effect.refires_before as f64,
            f(r, "refires"),
            "{}",
            target.name
        );
        assert_eq!(
            effect.refires_after, effect.refires_before,
            "{}",
            target.name
        );
        let resolved = target.fired().filter(|e| e.ends_at().is_some()).count() as f64;
        close(
            effect.short_before as f64 / resolved,
            f(r, "short_ratio"),
            target.name,
        );
        compared += 1;
    }
    assert_eq!(compared, 11, "every rule that fired");
}

/// Patch hunks are read back a round of rules at a time; a round that does
/// not read back falls back to one advice at a time. Either way every advice
/// gets the hunk (or the note) it gets when read back alone.
#[test]
fn patches_checked_in_rounds_equal_patches_checked_one_by_one() {
    use alertnoise::advice::{attach_patches, Advice};
    use alertnoise::rules::patch::{self, Change};
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "rules.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 1m\n        labels:\n          severity: critical\n      - alert: B\n        expr: x > 1\n        labels:\n          severity: warning\n      - alert: C\n        expr: y > 2\n",
    );
    let files = alertnoise::rules::load_rule_files(&[path]).unwrap();
    let advice_with = |rule: &str, ri: usize, change: Change| Advice {
        rule: rule.into(),
        kind: "lint",
        location: None,
        change: None,
        summary: String::new(),
        evidence: Default::default(),
        effect: None,
        alternatives: Vec::new(),
        confidence: "low",
        patch: None,
        patch_note: None,
        edits: vec![(0, ri, change)],
    };
    let mut advice = vec![
        advice_with("A", 0, Change::For(600_000)),
        advice_with("A", 0, Change::KeepFiringFor(300_000)),
        // B has no team label: this change cannot be made, and the round it
        // is in (with A's first change) does not read back.
        advice_with("B", 1, Change::Label("team".into(), "x".into())),
        advice_with("B", 1, Change::For(120_000)),
        advice_with("C", 2, Change::Remove),
    ];
    let alone: Vec<(Option<String>, Option<String>)> = advice
        .iter()
        .map(|a| {
            let changes: Vec<(usize, Change)> =
                a.edits.iter().map(|(_, ri, c)| (*ri, c.clone())).collect();
            match patch::apply(&files[0], &changes) {
                Ok(new) => (
                    Some(patch::unified_diff(
                        &alertnoise::advice::diff_path(&files[0].path),
                        &files[0].text,
                        &new,
                    )),
                    None,
                ),
                Err(e) => (None, Some(e)),
            }
        })
        .collect();
    attach_patches(&files, &mut advice);
    let together: Vec<(Option<String>, Option<String>)> = advice
        .iter()
        .map(|a| (a.patch.clone(), a.patch_note.clone()))
        .collect();
    assert_eq!(together, alone);
    assert!(together[0]
        .0
        .as_deref()
        .unwrap()
        .contains("+        for: 10m"));
    assert!(together[2]
        .1
        .as_deref()
        .unwrap()
        .contains("no `team` label"));
    assert!(together[4]
        .0
        .as_deref()
        .unwrap()
        .contains("-      - alert: C"));
}
