//! What a reviewer looks for beside the per-rule figures: each noisy
//! rule's noisiest instances, and stuck alerts (`instances.json`,
//! `stuck.json` and their report sections), checked against counts made
//! by hand.

use super::common::{bin, run_ok, write};
use serde_json::Value;

fn report(dir: &std::path::Path, csv: &str, extra: &[&str]) -> std::path::PathBuf {
    write(dir, "history.csv", csv);
    let out = dir.join("report");
    run_ok(
        bin()
            .current_dir(dir)
            .args(["report", "history.csv", "--out", "report", "--force"])
            .args(extra),
    );
    out
}

fn json(out: &std::path::Path, file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(out.join(file)).unwrap()).unwrap()
}

#[test]
fn the_noisiest_instances_are_counted_by_noisy_episodes() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("rule,labels,starts_at,ends_at\n");
    let mut add = |rule: &str, instance: &str, minute: u32, minutes: u32| {
        let start = 1_767_571_200 + 3_600 * minute as i64;
        csv.push_str(&format!(
            "{rule},instance={instance};job=node,{},{}\n",
            alertnoise::timefmt::format_millis(start * 1000),
            alertnoise::timefmt::format_millis((start + 60 * minutes as i64) * 1000)
        ));
    };
    // web-1: ten short episodes (noisy); web-2: two short, three long;
    // web-3: one long (not noisy). Episodes an hour apart: no refires.
    for k in 0..10 {
        add("HighCpu", "web-1", k, 2);
    }
    for k in 0..2 {
        add("HighCpu", "web-2", 20 + k, 2);
    }
    for k in 0..3 {
        add("HighCpu", "web-2", 30 + k, 40);
    }
    add("HighCpu", "web-3", 40, 40);
    // A rule with one instance is not listed: the rule is the instance.
    for k in 0..4 {
        add("DiskFull", "db-1", 50 + k, 1);
    }
    let out = report(dir.path(), &csv, &[]);
    let rules = json(&out, "instances.json");
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 1, "{rules:#?}");
    let cpu = &rules[0];
    assert_eq!(cpu["rule"], "HighCpu");
    assert_eq!(cpu["instances"], 3);
    assert_eq!(cpu["noisy_episodes"], 12);
    let top: Vec<(String, u64, u64)> = (cpu["top"].as_array().unwrap().iter())
        .map(|i| {
            (
                i["labels"]["instance"].as_str().unwrap().to_string(),
                i["noisy_episodes"].as_u64().unwrap(),
                i["episodes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            ("web-1".to_string(), 10, 10),
            ("web-2".to_string(), 2, 5),
            ("web-3".to_string(), 0, 1)
        ]
    );
    // Only the label that tells them apart (job is node for all).
    assert_eq!(cpu["top"][0]["labels"].as_object().unwrap().len(), 1);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| HighCpu | 3 | `instance=web-1` (10 of 10), `instance=web-2` (2 of 5)"),
        "{md}"
    );
}

#[test]
fn stuck_alerts_and_rules_that_never_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "rule,labels,starts_at,ends_at\n\
        Stale,instance=a,2026-01-02T00:00:00Z,\n\
        Stale,instance=b,2026-01-08T00:00:00Z,\n\
        Long,instance=c,2026-01-05T00:00:00Z,2026-01-09T00:00:00Z\n\
        Long,instance=d,2026-01-05T00:00:00Z,2026-01-07T00:00:00Z\n\
        Short,instance=e,2026-01-06T00:00:00Z,2026-01-06T00:10:00Z\n";
    let window = ["--since", "2026-01-05", "--until", "2026-01-12"];
    let out = report(dir.path(), csv, &window);
    let stuck = json(&out, "stuck.json");
    // a: from before the window, still firing at its end: 10 days up to
    // the window's end; c: 4 days; b: 4 days still firing (ties in table
    // order: by rule). d (2 days) and e are not stuck at 3d.
    assert_eq!(stuck["stuck"], "3d");
    assert_eq!(stuck["total"], 3);
    let listed: Vec<(&str, f64)> = (stuck["episodes"].as_array().unwrap().iter())
        .map(|e| {
            (
                e["labels"].as_str().unwrap(),
                e["firing_s"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (r#"{"alertname":"Stale","instance":"a"}"#, 10.0 * 86_400.0),
            (r#"{"alertname":"Long","instance":"c"}"#, 4.0 * 86_400.0),
            (r#"{"alertname":"Stale","instance":"b"}"#, 4.0 * 86_400.0),
        ]
    );
    assert_eq!(stuck["episodes"][0]["ends_at"], Value::Null);
    // Stale never resolved in the window; Long and Short did.
    assert_eq!(
        stuck["never_resolve"],
        serde_json::json!([{"rule": "Stale", "episodes": 2, "still_firing": 2}])
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("## Stuck alerts\n\n3 episodes fired for longer than 3d"),
        "{md}"
    );
    // A longer --stuck: only a.
    let out = report(dir.path(), csv, &[&window[..], &["--stuck", "1w"]].concat());
    assert_eq!(json(&out, "stuck.json")["total"], 1);
    let bad = bin()
        .current_dir(dir.path())
        .args(["report", "history.csv", "--stuck", "soon", "--out", "x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--stuck"));
}

/// Instances with the same counts are listed by which fired first,
/// whatever order the inputs hold them in: the order must not follow the
/// order the history was read in (at ten million episodes, read in
/// parallel chunks, it made `instances.json` differ from run to run).
#[test]
fn tied_instances_are_listed_by_first_firing_whatever_the_reading_order() {
    // web-2 fires first, then web-1, web-2, web-1: the same counts.
    let lines: Vec<String> = ["web-2", "web-1", "web-2", "web-1"]
        .iter()
        .enumerate()
        .map(|(k, instance)| {
            let start = 1_767_571_200 + 3_600 * k as i64;
            format!(
                "Flappy,instance={instance},{},{}\n",
                alertnoise::timefmt::format_millis(start * 1000),
                alertnoise::timefmt::format_millis((start + 60) * 1000)
            )
        })
        .collect();
    let listed = |lines: &[String]| -> Vec<String> {
        let csv = format!("rule,labels,starts_at,ends_at\n{}", lines.concat());
        let dir = tempfile::tempdir().unwrap();
        let out = report(dir.path(), &csv, &["--outputs", "json"]);
        let rules = json(&out, "instances.json");
        let top = rules[0]["top"].as_array().unwrap().clone();
        assert_eq!(top.len(), 2, "{rules:#?}");
        assert_eq!(top[0]["noisy_episodes"], top[1]["noisy_episodes"]);
        assert_eq!(top[0]["episodes"], top[1]["episodes"]);
        top.iter()
            .map(|i| i["labels"]["instance"].as_str().unwrap().to_string())
            .collect()
    };
    let in_time_order = listed(&lines);
    let reversed: Vec<String> = lines.iter().rev().cloned().collect();
    assert_eq!(in_time_order, ["web-2", "web-1"]);
    assert_eq!(listed(&reversed), in_time_order);
}
