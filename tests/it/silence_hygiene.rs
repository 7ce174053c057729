//! Silence hygiene: silences longer than a week, silences that matched
//! nothing, and who silenced each rule (`silences.json` and the report's
//! section), from Alertmanager's `/api/v2/silences` answers.

use super::common::{bin, run_ok, write};
use serde_json::{json, Value};

fn silence(id: &str, matchers: Value, from: &str, until: &str, by: &str, comment: &str) -> Value {
    json!({"id": id, "status": {"state": "expired"}, "matchers": matchers, "startsAt": from,
           "endsAt": until, "createdBy": by, "comment": comment, "updatedAt": from})
}

fn equal(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value, "isRegex": false, "isEqual": true})
}

#[test]
fn long_unused_and_who_silenced_what() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "history.csv",
        "rule,labels,starts_at,ends_at\n\
         DiskFull,instance=db-1,2026-01-05T10:00:00Z,2026-01-05T11:00:00Z\n\
         DiskFull,instance=db-1,2026-01-07T10:00:00Z,2026-01-07T11:00:00Z\n\
         HighCpu,instance=web-1,2026-01-06T10:00:00Z,2026-01-06T10:20:00Z\n\
         HighCpu,instance=web-1,2026-01-09T10:00:00Z,2026-01-09T10:20:00Z\n",
    );
    let disk = silence(
        "s-disk",
        json!([equal("alertname", "DiskFull")]),
        "2026-01-04T00:00:00Z",
        "2026-01-20T00:00:00Z",
        "ada@example.com",
        "until the new disks arrive",
    );
    // A later answer: the same silence, expired early on the 15th.
    let mut disk_later = disk.clone();
    disk_later["endsAt"] = json!("2026-01-15T00:00:00Z");
    let typo = silence(
        "s-typo",
        json!([equal("alertname", "HihgCpu")]),
        "2026-01-06T09:00:00Z",
        "2026-01-06T12:00:00Z",
        "bo@example.com",
        "deploy",
    );
    let web = silence(
        "s-web",
        json!([{"name": "instance", "value": "web-.*", "isRegex": true, "isEqual": true}]),
        "2026-01-06T09:00:00Z",
        "2026-01-06T12:00:00Z",
        "bo@example.com",
        "",
    );
    write(
        dir.path(),
        "silences-1.json",
        &json!([disk, typo, web]).to_string(),
    );
    write(
        dir.path(),
        "silences-2.json",
        &json!([disk_later]).to_string(),
    );
    run_ok(
        bin()
            .current_dir(dir.path())
            .args([
                "report",
                "history.csv",
                "silences-1.json",
                "silences-2.json",
            ])
            .args([
                "--since",
                "2026-01-05",
                "--until",
                "2026-01-12",
                "--out",
                "report",
            ]),
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report/silences.json")).unwrap())
            .unwrap();
    assert_eq!(report["silences"], 3);
    // The disk silence, read twice, is its last state: 11 days, two episodes.
    let long = report["long"].as_array().unwrap();
    assert_eq!(long.len(), 1);
    assert_eq!(long[0]["id"], "s-disk");
    assert_eq!(long[0]["duration"], "1w4d");
    assert_eq!(long[0]["episodes"], 2);
    assert_eq!(long[0]["matchers"], r#"{alertname="DiskFull"}"#);
    assert_eq!(long[0]["created_by"], "ada@example.com");
    let unused: Vec<&str> = (report["unused"].as_array().unwrap().iter())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(unused, ["s-typo"]);
    let by_rule: Vec<(&str, u64, &str)> = (report["by_rule"].as_array().unwrap().iter())
        .map(|r| {
            (
                r["rule"].as_str().unwrap(),
                r["silenced_episodes"].as_u64().unwrap(),
                r["silences"][0]["created_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_rule,
        [
            ("DiskFull", 2, "ada@example.com"),
            ("HighCpu", 1, "bo@example.com")
        ]
    );
    let md = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    assert!(md.contains("### Silences longer than a week"), "{md}");
    assert!(
        md.contains("- **DiskFull**, 2 silenced episodes: ada@example.com (2 episodes): \"until the new disks arrive\""),
        "{md}"
    );
    // Without silences there is no section and no file.
    let run = bin()
        .current_dir(dir.path())
        .args(["report", "history.csv", "--out", "plain"])
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(!dir.path().join("plain/silences.json").exists());
}
