//! Routing history through `alertmanager.yml` (`--alertmanager-config`):
//! the receivers of every label set equal what Alertmanager's own
//! `amtool config routes test` prints (Debian's `prometheus-alertmanager`),
//! and the report's receivers column and section say the same.

use super::common::{bin, root, run_ok, write};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const NESTED: &str = "tests/fixtures/handmade/routing/nested.yml";

/// Whether amtool can run here; outside CI a missing amtool skips the test.
fn have_amtool() -> bool {
    let found = Command::new("amtool").arg("--version").output().is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "CI must have amtool (apt-get install prometheus-alertmanager)"
    );
    found
}

/// The receivers amtool routes a label set to, comma-separated.
fn amtool_receivers(config: &Path, labels: &BTreeMap<String, String>) -> String {
    let mut command = Command::new("amtool");
    command
        .args(["config", "routes", "test"])
        .arg(format!("--config.file={}", config.display()));
    for (name, value) in labels {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        command.arg(format!("{name}=\"{escaped}\""));
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "amtool failed on {labels:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A few hundred label sets in the shapes a history holds, with labels
/// missing, empty, and values on both sides of every matcher of
/// `nested.yml` (a fixed pseudo-random walk through the combinations).
fn label_sets() -> Vec<BTreeMap<String, String>> {
    let choices: [(&str, &[&str]); 8] = [
        ("alertname", &["HighLatency", "DiskFull", "TargetDown"]),
        ("severity", &["critical", "warning", "info", "page", ""]),
        ("env", &["prod", "staging", "'prod'", ""]),
        ("team", &["payments", "db", "platform", "search", ""]),
        (
            "service",
            &["payments-api", "pay", "legacy-search", "checkout", ""],
        ),
        ("instance", &["db-1:9100", "db-x:9100", "web-1:9100", ""]),
        ("cluster", &["eu-1", "us-1", ""]),
        ("summary", &["disk full, again", "disk full", ""]),
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut sets = Vec::new();
    for _ in 0..240 {
        let mut labels = BTreeMap::new();
        for (name, values) in &choices {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let value = values[(state >> 33) as usize % values.len()];
            // An empty choice leaves the label out (Alertmanager reads "").
            if !value.is_empty() {
                labels.insert(name.to_string(), value.to_string());
            }
        }
        sets.push(labels);
    }
    sets.sort();
    sets.dedup();
    sets
}

/// An episodes CSV with one episode per label set, a minute apart.
fn history(sets: &[BTreeMap<String, String>]) -> String {
    let mut csv = String::from("rule,labels,starts_at,ends_at,notifications\n");
    for (i, labels) in sets.iter().enumerate() {
        let json = serde_json::to_string(labels).unwrap().replace('"', "\"\"");
        let start = 1_767_225_600 + 60 * i as i64;
        csv.push_str(&format!(
            "{},\"{json}\",{},{},2\n",
            labels["alertname"],
            alertnoise::timefmt::format_millis(start * 1000),
            alertnoise::timefmt::format_millis((start + 30) * 1000),
        ));
    }
    csv
}

/// An episode's labels and its receivers (none without a configuration).
type Routed = (BTreeMap<String, String>, Option<Vec<String>>);

/// `report` on a history of `sets` routed through `nested.yml`, in `dir`;
/// gives the report's folder.
fn nested_report(dir: &Path, sets: &[BTreeMap<String, String>]) -> std::path::PathBuf {
    let input = write(dir, "history.csv", &history(sets));
    let out = dir.join("report");
    run_ok(
        bin()
            .current_dir(root())
            .arg("report")
            .arg(&input)
            .args(["--alertmanager-config", NESTED, "--out"])
            .arg(&out),
    );
    out
}

/// The `labels` and `receivers` columns of a report's episodes.parquet.
fn parquet_receivers(dir: &Path) -> Vec<Routed> {
    let file = std::fs::File::open(dir.join("episodes.parquet")).unwrap();
    let frame = ParquetReader::new(file).finish().unwrap();
    let labels = frame.column("labels").unwrap().str().unwrap().clone();
    let receivers = frame.column("receivers").unwrap().list().unwrap().clone();
    (labels.iter().zip(receivers.amortized_iter()))
        .map(|(l, r)| {
            let labels: BTreeMap<String, String> = serde_json::from_str(l.unwrap()).unwrap();
            let receivers = r.map(|s| {
                let names = s.as_ref().str().unwrap().clone();
                names.iter().map(|n| n.unwrap().to_string()).collect()
            });
            (labels, receivers)
        })
        .collect()
}

#[test]
fn every_label_set_reaches_the_receivers_amtool_names() {
    if !have_amtool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sets = label_sets();
    assert!(sets.len() > 200, "{}", sets.len());
    let out = nested_report(dir.path(), &sets);
    let rows = parquet_receivers(&out);
    assert_eq!(rows.len(), sets.len());
    let config = root().join(NESTED);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (labels, receivers) in rows {
        let ours = receivers.expect("a receivers list in every row").join(",");
        assert_eq!(ours, amtool_receivers(&config, &labels), "{labels:?}");
        *seen.entry(ours).or_default() += 1;
    }
    // The sets reach most of the tree: through continue (three receivers
    // and more), nested routes, the catch-all and the blackhole.
    assert!(seen.len() >= 10, "{seen:?}");
    assert!(seen.keys().any(|k| k.split(',').count() >= 3), "{seen:?}");
    for receiver in [
        "payments-pager",
        "db-eu",
        "slack-services",
        "default-email",
        "blackhole",
    ] {
        assert!(
            seen.keys().any(|k| k.split(',').any(|r| r == receiver)),
            "{receiver} not reached: {seen:?}"
        );
    }
}

#[test]
fn the_sample_reports_receivers_are_what_amtool_says_of_its_configuration() {
    if !have_amtool() {
        return;
    }
    // The committed sample report, routed through the sample company's file.
    let config = root().join("sample-data/alertmanager.yml");
    let mut checked = std::collections::BTreeSet::new();
    for (labels, receivers) in parquet_receivers(&root().join("reports/sample")) {
        let receivers = receivers.expect("the sample report is routed").join(",");
        if checked.insert(labels.clone()) {
            assert_eq!(receivers, amtool_receivers(&config, &labels), "{labels:?}");
        }
    }
    assert!(checked.len() >= 20, "{}", checked.len());
}

#[test]
fn the_real_routing_fixture_routes_as_amtool_does() {
    if !have_amtool() {
        return;
    }
    let path = root().join("tests/fixtures/alertmanager/alertmanager-routing.yml");
    let config = alertnoise::routing::AlertmanagerConfig::load(&path).unwrap();
    for value in ["1", "2", "12", "", "3", "02"] {
        let labels: BTreeMap<String, String> = [("test".to_string(), value.to_string())].into();
        let ours = config.route.receivers(&labels).join(",");
        assert_eq!(ours, amtool_receivers(&path, &labels), "test={value}");
    }
}

#[test]
fn route_matchers_print_as_amtool_prints_the_tree() {
    if !have_amtool() {
        return;
    }
    let path = root().join(NESTED);
    let out = Command::new("amtool")
        .args(["config", "routes"])
        .arg(format!("--config.file={}", path.display()))
        .output()
        .unwrap();
    let tree = String::from_utf8(out.stdout).unwrap();
    let config = alertnoise::routing::AlertmanagerConfig::load(&path).unwrap();
    for route in config.route.walk().iter().skip(1) {
        if route.matchers.is_empty() {
            continue;
        }
        let line = format!("{}  ", route.matchers_text());
        assert!(tree.contains(&line), "{line} not in\n{tree}");
    }
}

#[test]
fn the_report_says_who_was_reached_and_what_the_routing_gets_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let sets = label_sets();
    let out = nested_report(dir.path(), &sets);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("receivers.json")).unwrap()).unwrap();
    // Every episode was archived, by the tap.
    let receiver = |name: &str| {
        json["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["receiver"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(receiver("archive")["episodes"], sets.len());
    assert_eq!(receiver("archive")["notifications"], 2 * sets.len());
    // The counts per receiver are the label sets that reach it.
    let config = alertnoise::routing::AlertmanagerConfig::load(&root().join(NESTED)).unwrap();
    for r in json["receivers"].as_array().unwrap() {
        let name = r["receiver"].as_str().unwrap();
        let expected = (sets.iter())
            .filter(|l| config.route.receivers(l).contains(&name))
            .count();
        assert_eq!(r["episodes"], expected, "{name}");
    }
    let taps: Vec<&str> = (json["taps"].as_array().unwrap().iter())
        .map(|t| t["receiver"].as_str().unwrap())
        .collect();
    assert_eq!(taps, ["archive"]);
    // A leaf route with a receiver of its own is unmatched exactly when
    // amtool never names that receiver for any label set of the history.
    let dead: Vec<&str> = (json["unmatched_routes"].as_array().unwrap().iter())
        .map(|t| t["receiver"].as_str().unwrap())
        .collect();
    if have_amtool() {
        let path = root().join(NESTED);
        let reached: std::collections::BTreeSet<String> = (sets.iter())
            .flat_map(|l| {
                let out = amtool_receivers(&path, l);
                out.split(',').map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        for leaf in [
            "payments-pager",
            "db-eu",
            "slack-services",
            "slack-disk",
            "platform-oncall",
            "blackhole",
        ] {
            assert_eq!(
                dead.contains(&leaf),
                !reached.contains(leaf),
                "{leaf}: {dead:?}"
            );
        }
    }
    let blackholes: Vec<&str> = (json["blackholes"].as_array().unwrap().iter())
        .map(|t| t["receiver"].as_str().unwrap())
        .collect();
    assert_eq!(blackholes, ["blackhole"]);
    // Warnings never page here (slack), and critical alerts in staging page no one.
    assert!(json["low_severity_paging"].as_array().unwrap().is_empty());
    let silent = json["critical_not_paging"].as_array().unwrap();
    let expected_silent = (sets.iter())
        .filter(|l| l.get("severity").map(String::as_str) == Some("critical"))
        .filter(|l| l.get("env").map(String::as_str) == Some("staging"))
        .count() as u64;
    let counted: u64 = silent.iter().map(|f| f["episodes"].as_u64().unwrap()).sum();
    assert_eq!(counted, expected_silent);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for heading in [
        "## Receivers",
        "### Critical alerts that page no one",
        "### Receivers that send nowhere",
        "### Routes nothing matched",
    ] {
        assert!(md.contains(heading), "{heading} missing");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2 id=\"receivers\">Receivers</h2>"));
}

#[test]
fn bad_configurations_stop_the_run_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "history.csv", &history(&label_sets()[..3]));
    let config = write(
        dir.path(),
        "am.yml",
        "route:\n  receiver: a\n  routes:\n    - receiver: b\nreceivers:\n  - name: a\n",
    );
    let run = bin()
        .arg("report")
        .arg(&input)
        .arg("--alertmanager-config")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("am.yml:4") && stderr.contains("undefined receiver \"b\""),
        "{stderr}"
    );
    assert!(!dir.path().join("r").exists());
    let run = bin()
        .arg("report")
        .arg(&input)
        .args(["--paging-receiver", "oncall", "--out"])
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--alertmanager-config"));
}

#[test]
fn without_a_configuration_the_receivers_column_is_null() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "history.csv", &history(&label_sets()[..5]));
    let out = dir.path().join("report");
    let run = bin()
        .arg("report")
        .arg(&input)
        .args(["--outputs", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success());
    let rows = parquet_receivers(&out);
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|(_, r)| r.is_none()));
    assert!(!out.join("receivers.json").exists());
}

#[test]
fn a_saved_status_answer_is_read_as_its_configuration() {
    // Debian's Alertmanager 0.25 answering /api/v2/status, as `fetch
    // alertmanager` saves it (status.json): its config.original, normalised
    // by Alertmanager (`continue: false` at the root), has one receiver.
    let path = root().join("tests/fixtures/handmade/alertmanager-api-v2-status.json");
    let config = alertnoise::routing::AlertmanagerConfig::load(&path).unwrap();
    assert!(
        config.name.ends_with("(config.original)"),
        "{}",
        config.name
    );
    assert_eq!(config.route.receiver, "archive");
    assert!(config.text.is_none(), "no file to patch");
    let labels: BTreeMap<String, String> = [("alertname".to_string(), "X".to_string())].into();
    assert_eq!(config.route.receivers(&labels), ["archive"]);
    // A JSON file that is not a status answer is refused, naming the file.
    let dir = tempfile::tempdir().unwrap();
    let other = write(dir.path(), "alerts.json", r#"{"data": []}"#);
    let e = alertnoise::routing::AlertmanagerConfig::load(&other)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("alerts.json") && e.contains("config.original"),
        "{e}"
    );
}
