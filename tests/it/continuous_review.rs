//! `report --history DIR`: runs recorded week by week, and each rule's trend.

use crate::common::*;
use std::path::Path;

fn week(history: &Path, out: &Path, since: &str, until: &str) -> serde_json::Value {
    sample_report(
        out,
        &[
            "--since",
            since,
            "--until",
            until,
            "--history",
            history.to_str().unwrap(),
        ],
    );
    serde_json::from_slice(&std::fs::read(out.join("rules.json")).unwrap()).unwrap()
}

fn noise(rules: &serde_json::Value, rule: &str) -> f64 {
    rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .and_then(|r| r["noise_score"].as_f64())
        .unwrap_or(0.0)
}

#[test]
fn each_run_is_recorded_and_the_report_shows_the_trend() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let weeks = [
        ("2026-10-19", "2026-10-26"),
        ("2026-10-26", "2026-11-02"),
        ("2026-11-02", "2026-11-09"),
    ];
    let mut noises = Vec::new();
    for (i, (since, until)) in weeks.iter().enumerate() {
        let rules = week(&history, &dir.path().join(format!("w{i}")), since, until);
        noises.push(noise(&rules, "HostHighCpu"));
    }
    let recorded: Vec<String> = std::fs::read_dir(&history)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        recorded,
        vec![
            "2026-10-19_2026-10-26",
            "2026-10-26_2026-11-02",
            "2026-11-02_2026-11-09"
        ]
    );
    for folder in &recorded {
        for file in ["summary.json", "rules.json", "advice.json"] {
            assert!(history.join(folder).join(file).exists(), "{folder}/{file}");
        }
    }
    let md = std::fs::read_to_string(dir.path().join("w2/report.md")).unwrap();
    let expected = format!(
        "- Trend: noise/week over the last 3 reviews: {:.1} → {:.1} → {:.1}",
        noises[0], noises[1], noises[2]
    );
    assert!(md.contains(&expected), "{expected}\n{md}");
    assert!(md.contains("| noise/week | trend |"), "{md}");
    // report.html draws the trend: a sparkline in the rule's row, its values as the sort key.
    let html = std::fs::read_to_string(dir.path().join("w2/report.html")).unwrap();
    let row = html
        .split("<tr>")
        .find(|r| r.starts_with("<td>HostHighCpu</td>"))
        .unwrap_or_else(|| panic!("no HostHighCpu row in\n{html}"));
    let cell = &row[row.find("<td class=\"spark\"").unwrap()..];
    let cell = &cell[..cell.find("</td>").unwrap()];
    assert!(
        cell.contains("<svg") && cell.contains("<polyline"),
        "{cell}"
    );
    // It sorts by the change from the first run to the last.
    let sort_key: f64 = cell
        .split("data-sort=\"")
        .nth(1)
        .and_then(|c| c.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (sort_key - (noises[2] - noises[0])).abs() < 1e-6,
        "{cell} vs {noises:?}"
    );
    // The same week again replaces its record instead of counting twice.
    week(&history, &dir.path().join("again"), weeks[2].0, weeks[2].1);
    assert_eq!(std::fs::read_dir(&history).unwrap().count(), 3);
    let again = std::fs::read_to_string(dir.path().join("again/report.md")).unwrap();
    assert!(again.contains(&expected), "{again}");
    // Without --history there is no trend column.
    let plain = std::fs::read_to_string(root().join("reports/sample/report.md")).unwrap();
    assert!(!plain.contains("| trend |"));
    // A broken record is named, not silently skipped.
    std::fs::write(history.join("2026-10-19_2026-10-26/rules.json"), "{").unwrap();
    let broken = bin()
        .current_dir(root())
        .args([
            "report",
            "sample-data/alertmanager",
            "--history",
            history.to_str().unwrap(),
            "--out",
            dir.path().join("broken").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("2026-10-19_2026-10-26/rules.json"));
}
