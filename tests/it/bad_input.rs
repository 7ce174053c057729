//! Each kind of bad input, read leniently (skipped, reported with file and
//! line, metrics from the rest) and strictly (exit code 2 naming file and line).

use crate::common::*;
use std::path::Path;

const GOOD: &str = "rule,starts_at,ends_at\nGood,2026-01-06T10:00:00Z,2026-01-06T10:20:00Z\nGood,2026-01-07T10:00:00Z,2026-01-07T10:02:00Z\n";

fn body(starts_at: &str, ends_at: &str, status: &str) -> String {
    format!(
        r#"{{"version":"4","groupKey":"g","status":"{status}","receiver":"r","alerts":[{{"status":"{status}","labels":{{"alertname":"Bad"}},"startsAt":"{starts_at}","endsAt":"{ends_at}"}}]}}"#
    )
}

/// (file name, content, line the problem must name, words the reason must hold)
fn cases() -> Vec<(&'static str, Vec<u8>, u64, &'static str)> {
    let ok = body("2026-01-06T10:00:00Z", "0001-01-01T00:00:00Z", "firing");
    vec![
        ("truncated.jsonl", format!("{ok}\n{}\n", &ok[..60]).into_bytes(), 2, "truncated"),
        (
            "wrong-types.jsonl",
            format!("{ok}\n{}\n", ok.replace(r#""alertname":"Bad""#, r#""alertname":7"#)).into_bytes(),
            2,
            "invalid type",
        ),
        (
            "bad-time.jsonl",
            format!("{ok}\n{}\n", body("yesterday", "0001-01-01T00:00:00Z", "firing")).into_bytes(),
            2,
            "not a timestamp",
        ),
        (
            "impossible-time.jsonl",
            format!("{ok}\n{}\n", body("2026-02-30T10:00:00Z", "0001-01-01T00:00:00Z", "firing")).into_bytes(),
            2,
            "not a timestamp",
        ),
        (
            "end-before-start.jsonl",
            format!("{ok}\n{}\n", body("2026-01-06T11:00:00Z", "2026-01-06T10:00:00Z", "resolved")).into_bytes(),
            2,
            "before startsAt",
        ),
        (
            "end-before-start.csv",
            b"rule,starts_at,ends_at\nBad,2026-01-06T10:00:00Z,2026-01-06T10:20:00Z\nBad,2026-01-06T11:00:00Z,2026-01-06T10:00:00Z\n".to_vec(),
            3,
            "before starts_at",
        ),
        ("empty.json", Vec::new(), 0, "empty file"),
        ("garbage.bin", vec![0x00, 0xff, 0xfe, 0x13, 0x37, 0x80, 0x81, 0x0a, 0xc3], 1, "invalid UTF-8"),
        (
            "missing-columns.csv",
            b"rule,starts_at,duration\nBad,2026-01-06T10:00:00Z,60\n".to_vec(),
            1,
            "missing required column(s) ends_at",
        ),
        (
            "bad-csv-time.csv",
            b"rule,starts_at,ends_at\nBad,2026-01-06T10:00:00Z,\nBad,2026-13-06T10:00:00Z,\n".to_vec(),
            3,
            "starts_at",
        ),
        (
            "pagerduty-page-missing-field.json",
            b"{\"incidents\": [\n  {\"id\": \"P1\", \"incident_number\": 1, \"title\": \"Bad\", \"created_at\": \"2026-01-06T10:00:00Z\", \"status\": \"resolved\", \"resolved_at\": \"2026-01-06T10:05:00Z\"},\n  {\"id\": \"P2\", \"incident_number\": 2, \"title\": \"Bad\", \"status\": \"triggered\"}\n], \"more\": false}\n".to_vec(),
            3,
            "no created_at",
        ),
        (
            "opsgenie-no-created-at.json",
            b"{\"data\": [\n  {\"id\": \"a\", \"tinyId\": \"1\", \"alias\": \"x\", \"message\": \"Bad\", \"status\": \"open\", \"createdAt\": \"2026-01-06T10:00:00Z\"},\n  {\"id\": \"b\", \"tinyId\": \"2\", \"message\": \"Bad\", \"status\": \"open\"}\n]}\n".to_vec(),
            3,
            "no createdAt",
        ),
        (
            "query-range-error.json",
            br#"{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}"#.to_vec(),
            0,
            "11,000 points",
        ),
        (
            "silence-bad-regex.json",
            b"[\n  {\"id\": \"s1\", \"createdBy\": \"a\", \"startsAt\": \"2026-01-06T00:00:00Z\", \"endsAt\": \"2026-01-07T00:00:00Z\", \"matchers\": [{\"name\": \"instance\", \"value\": \"(web\", \"isRegex\": true}]}\n]\n".to_vec(),
            2,
            "not a valid regular expression",
        ),
        (
            "pagerduty-bad-time.csv",
            b"id,incident_number,description,created_on,resolved_on\nP1,1,Bad,2026-01-06T10:00:00Z,\nP2,2,Bad,the sixth,\n".to_vec(),
            3,
            "created_at",
        ),
        (
            "grafana-annotation-without-state.json",
            b"[\n  {\"id\": 1, \"alertName\": \"Bad\", \"prevState\": \"Normal\", \"newState\": \"Alerting\", \"time\": 1767693600000, \"text\": \"Bad {alertname=Bad} - A=1\"},\n  {\"id\": 2, \"alertName\": \"Bad\", \"prevState\": \"Alerting\", \"time\": 1767694200000}\n]\n".to_vec(),
            3,
            "without newState",
        ),
    ]
}

fn report(dir: &Path, inputs: &[&Path], extra: &[&str]) -> std::process::Output {
    let out = dir.join("out");
    let mut args: Vec<String> = vec!["report".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--out".to_string(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    bin().args(&args).output().unwrap()
}

#[test]
fn lenient_runs_skip_report_and_compute_the_rest() {
    let baseline_dir = tempfile::tempdir().unwrap();
    let good = write(baseline_dir.path(), "good.csv", GOOD);
    let baseline = report(
        baseline_dir.path(),
        &[&good],
        &["--since", "2026-01-05", "--until", "2026-01-12"],
    );
    assert!(
        baseline.status.success(),
        "{}",
        String::from_utf8_lossy(&baseline.stderr)
    );
    let baseline_rules: serde_json::Value =
        serde_json::from_slice(&std::fs::read(baseline_dir.path().join("out/rules.json")).unwrap())
            .unwrap();
    let good_row = baseline_rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "Good")
        .unwrap()
        .clone();

    for (name, content, line, words) in cases() {
        let dir = tempfile::tempdir().unwrap();
        let good = write(dir.path(), "good.csv", GOOD);
        let bad = dir.path().join(name);
        std::fs::write(&bad, &content).unwrap();
        let out = report(
            dir.path(),
            &[&good, &bad],
            &["--since", "2026-01-05", "--until", "2026-01-12"],
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
                .unwrap();
        let problems = summary["problems"]["first"].as_array().unwrap();
        let problem = problems
            .iter()
            .find(|p| p["file"].as_str().unwrap().ends_with(name) && p["severity"] == "skipped")
            .unwrap_or_else(|| panic!("{name}: no problem reported in {problems:?}"));
        assert_eq!(problem["line"], line, "{name}: {problem}");
        assert!(
            problem["reason"].as_str().unwrap().contains(words),
            "{name}: {problem}"
        );
        let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
        assert!(md.contains(name), "{name}: report.md lists the problem");
        let rules: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("out/rules.json")).unwrap())
                .unwrap();
        let row = rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "Good")
            .unwrap();
        assert_eq!(
            row, &good_row,
            "{name}: the good file's numbers are unchanged"
        );
    }
}

#[test]
fn strict_runs_stop_with_exit_code_2_naming_file_and_line() {
    for (name, content, line, _) in cases() {
        let dir = tempfile::tempdir().unwrap();
        let good = write(dir.path(), "good.csv", GOOD);
        let bad = dir.path().join(name);
        std::fs::write(&bad, &content).unwrap();
        let out = report(dir.path(), &[&good, &bad], &["--strict"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let place = if line > 0 {
            format!("{name}:{line}")
        } else {
            name.to_string()
        };
        assert!(
            stderr.contains(&place),
            "{name}: stderr names {place}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            !dir.path().join("out").exists(),
            "{name}: no report on failure"
        );
    }
}

#[test]
fn only_bad_input_is_a_clear_error_not_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "empty.json", "");
    let out = report(dir.path(), &[&bad], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no alert episodes") && stderr.contains("empty.json"),
        "{stderr}"
    );
}

#[test]
fn a_file_that_is_no_known_format_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.csv", GOOD);
    let other = write(dir.path(), "notes.txt", "hello\nworld\n");
    let reviews = write(dir.path(), "verdicts.csv", "rule,actionable\nGood,no\n");
    let out = report(dir.path(), &[&good, &other, &reviews], &[]);
    assert!(out.status.success());
    let summary = std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    assert!(summary.contains("notes.txt") && summary.contains("format not recognised"));
    assert!(summary.contains("pass it with --reviews"));
}

mod never_panics {
    use crate::common::*;
    use alertnoise::sources::{all_sources, InputFile, ReadContext};
    use proptest::prelude::*;

    fn valid_body() -> String {
        std::fs::read_to_string(fixture("alertmanager/webhook-resolved.json")).unwrap()
    }

    /// Every reader, forced onto the bytes, and detection too: no panic, whatever the bytes.
    fn read_everything(bytes: Vec<u8>) {
        let file = InputFile {
            name: "fuzz".into(),
            bytes,
        };
        if let Ok(text) = file.text() {
            for source in all_sources() {
                let output = source.read(&file, text, &ReadContext::default());
                let _ = alertnoise::sources::assemble::assemble(output);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, &file.bytes).unwrap();
        let _ = alertnoise::analysis::analyze(&options(vec![path]));
    }

    const ALERTS: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"ALERTS","alertname":"A","alertstate":"pending"},"values":[[1700000000,"1"],[1700000060,"1"]]},{"metric":{"__name__":"ALERTS","alertname":"A","alertstate":"firing"},"values":[[1700000120,"1"],[1700000180.5,"1"]]}]}}"#;

    fn mutate(text: &str, cut: usize, flips: Vec<(usize, u8)>) -> Vec<u8> {
        let mut bytes = text.as_bytes().to_vec();
        for (at, value) in flips {
            if at < bytes.len() {
                bytes[at] = value;
            }
        }
        bytes.truncate(cut.min(bytes.len()));
        bytes
    }

    /// A rule file, however broken: read it, and if it reads, patch every rule.
    fn read_and_patch_rules(bytes: &[u8]) {
        use alertnoise::rules::patch::{self, Change};
        let Ok(text) = std::str::from_utf8(bytes) else {
            return;
        };
        let Ok(rules) = alertnoise::rules::file::parse_rules("fuzz.yml", text, 0) else {
            return;
        };
        let file = alertnoise::rules::RuleFile {
            path: "fuzz.yml".into(),
            name: "fuzz.yml".into(),
            text: text.to_string(),
            rules,
        };
        for i in 0..file.rules.len() {
            for change in [
                Change::For(600_000),
                Change::KeepFiringFor(60_000),
                Change::Threshold(-2.5),
                Change::Label("severity".into(), "warning".into()),
                Change::Remove,
            ] {
                if let Ok(new) = patch::apply(&file, &[(i, change)]) {
                    let _ = patch::unified_diff("fuzz.yml", &file.text, &new);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

        #[test]
        fn mutated_alerts_answers(cut in 0usize..400, flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..6)) {
            read_everything(mutate(ALERTS, cut, flips));
        }

        #[test]
        fn mutated_series_files(cut in 0usize..400, flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..6)) {
            let bytes = mutate(&ALERTS.replace("ALERTS", "up"), cut, flips);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Ok(set) = alertnoise::advice::backtest::read_series("fuzz", text) {
                    let _ = alertnoise::advice::backtest::threshold_candidates(&set, ">", 0.5);
                }
            }
        }

        #[test]
        fn mutated_rule_files(cut in 0usize..4000, flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..8)) {
            let text = std::fs::read_to_string(root().join("sample-data/rules/acme-shop.rules.yml")).unwrap();
            read_and_patch_rules(&mutate(&text, cut, flips));
        }

        #[test]
        fn arbitrary_promql(expr in "[a-z_(){}\\[\\]<>=!~0-9.,+*/ -]{0,60}") {
            let text = format!("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: '{}'\n", expr.replace('\'', "''"));
            read_and_patch_rules(text.as_bytes());
        }

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            read_everything(bytes);
        }

        #[test]
        fn truncated_and_mutated_bodies(cut in 0usize..1400, flips in proptest::collection::vec((0usize..1400, any::<u8>()), 0..6)) {
            let mut bytes = valid_body().into_bytes();
            for (at, value) in flips {
                if at < bytes.len() {
                    bytes[at] = value;
                }
            }
            bytes.truncate(cut.min(bytes.len()));
            read_everything(bytes);
        }

        #[test]
        fn mutated_csv(cut in 0usize..200, flips in proptest::collection::vec((0usize..200, any::<u8>()), 0..6)) {
            let mut bytes = super::GOOD.as_bytes().to_vec();
            for (at, value) in flips {
                if at < bytes.len() {
                    bytes[at] = value;
                }
            }
            bytes.truncate(cut.min(bytes.len()));
            read_everything(bytes);
        }
    }
}
