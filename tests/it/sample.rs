//! The shipped sample: deterministic, realistic, and read as the scenario says.

use crate::common::*;

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let result = alertnoise(&[
            "sample",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            seed,
            "--weeks",
            "2",
        ]);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        out
    };
    let (a, b, c) = (make("a", "1"), make("b", "1"), make("c", "2"));
    for file in [
        "alertmanager/webhooks-2026-10-19.jsonl.gz",
        "alertmanager/webhooks-2026-10-26.jsonl",
        "reviews.csv",
        "rules/acme-shop.rules.yml",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    assert_ne!(
        std::fs::read(a.join("alertmanager/webhooks-2026-10-26.jsonl")).unwrap(),
        std::fs::read(c.join("alertmanager/webhooks-2026-10-26.jsonl")).unwrap()
    );
}

#[test]
fn the_committed_sample_data_is_what_the_generator_makes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    assert!(alertnoise(&["sample", "--out", out.to_str().unwrap()])
        .status
        .success());
    let committed = root().join("sample-data");
    let mut names = Vec::new();
    for entry in walk(&out) {
        let relative = entry.strip_prefix(&out).unwrap().to_path_buf();
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            std::fs::read(committed.join(&relative)).unwrap_or_default(),
            "sample-data/{} is stale: run `alertnoise sample --out sample-data --force`",
            relative.display()
        );
        names.push(relative);
    }
    assert!(names.len() >= 6);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn the_sample_report_finds_what_the_scenario_planted() {
    let data = root().join("sample-data");
    let mut o = options(vec![data.join("alertmanager")]);
    o.reviews = Some(data.join("reviews.csv"));
    let a = run(&o);
    assert!(
        a.problems
            .iter()
            .all(|p| p.severity == alertnoise::problem::Severity::Warning
                || p.file.ends_with("reviews.csv")),
        "{:?}",
        a.problems
    );
    assert_eq!(a.summary.window.days, 28.0);
    let rules = &a.rules;
    // The CPU rule fires on short spikes.
    assert!(f(row(rules, "HostHighCpu"), "short_ratio") > 0.8);
    // The payments latency rule flaps.
    assert!(f(row(rules, "PaymentsLatencyHigh"), "flap_rate") > 0.5);
    // Nobody ever acts on the disk rule or the stop-loss event.
    assert_eq!(f(row(rules, "DiskSpaceLow"), "actionable_ratio"), 0.0);
    assert_eq!(
        f(
            row(rules, "TradingBotStopLossTriggered"),
            "actionable_ratio"
        ),
        0.0
    );
    // The symptom-based checkout rule always matters and is never short.
    assert_eq!(
        f(row(rules, "CheckoutHighErrorRate"), "actionable_ratio"),
        1.0
    );
    assert_eq!(
        f(row(rules, "CheckoutHighErrorRate"), "noisy_episodes"),
        0.0
    );
    // The nightly export pages at night.
    assert!(f(row(rules, "ReportExportLate"), "off_hours_ratio") > 0.99);
    // Half of RabbitMQ's history has no verdict.
    let coverage = f(row(rules, "RabbitmqQueueDepth"), "actionable_coverage");
    assert!(coverage > 0.2 && coverage < 0.8, "{coverage}");
    // Repeat notifications: the long disk episodes were sent many times.
    let disk = row(rules, "DiskSpaceLow");
    assert!(f(disk, "notifications") > 3.0 * f(disk, "episodes"));
}

/// The command that makes `reports/sample/` (run from the repository root).
pub const SAMPLE_REPORT_ARGS: [&str; 13] = [
    "report",
    "sample-data/alertmanager",
    "sample-data/pagerduty",
    "--reviews",
    "sample-data/reviews.csv",
    "--rules",
    "sample-data/rules",
    "--series",
    "RabbitmqQueueDepth=sample-data/series/RabbitmqQueueDepth.json",
    "--alertmanager-config",
    "sample-data/alertmanager.yml",
    "--out",
    "reports/sample",
];

#[test]
fn the_committed_sample_report_is_what_the_current_code_makes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let mut args: Vec<String> = SAMPLE_REPORT_ARGS.iter().map(|s| s.to_string()).collect();
    *args.last_mut().unwrap() = out.display().to_string();
    let result = bin().current_dir(root()).args(&args).output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    for file in REPORT_FILES
        .iter()
        .chain(&["advice.patch", "receivers.json"])
    {
        let made = std::fs::read(out.join(file)).unwrap();
        let committed = std::fs::read(root().join("reports/sample").join(file)).unwrap_or_default();
        // Text files are compared as text, so that a failure shows the difference.
        let as_text = |bytes: &[u8]| match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => format!("{} bytes of binary data", bytes.len()),
        };
        assert!(
            made == committed,
            "reports/sample/{file} is stale: run `alertnoise {}` with --force\nmade:\n{}\ncommitted:\n{}",
            SAMPLE_REPORT_ARGS.join(" "),
            as_text(&made),
            as_text(&committed)
        );
    }
}

/// `--outputs csv` writes rules.csv and summary.json alone, the same bytes
/// as the full report's: with `--rules` the advice is still made (the
/// summary counts the rule files' join), without them it is skipped and
/// the metrics are unchanged.
#[test]
fn outputs_csv_writes_the_full_reports_rules_csv_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[String], out: &std::path::Path| {
        let mut args = args.to_vec();
        *args.last_mut().unwrap() = out.display().to_string();
        args.extend(["--outputs".into(), "csv".into()]);
        let result = bin().current_dir(root()).args(&args).output().unwrap();
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["rules.csv", "summary.json"]);
    };
    let with_rules: Vec<String> = SAMPLE_REPORT_ARGS.iter().map(|s| s.to_string()).collect();
    let out = dir.path().join("with-rules");
    run(&with_rules, &out);
    for file in ["rules.csv", "summary.json"] {
        assert_eq!(
            std::fs::read_to_string(out.join(file)).unwrap(),
            std::fs::read_to_string(root().join("reports/sample").join(file)).unwrap(),
            "{file}"
        );
    }
    // Without the rule files: the same metrics as a full report without
    // them, and no rule-file counts in the summary.
    let mut without = with_rules.clone();
    let at = without.iter().position(|a| a == "--rules").unwrap();
    without.drain(at..at + 2);
    let csv_only = dir.path().join("csv-only");
    run(&without, &csv_only);
    let full = dir.path().join("full");
    let mut args = without.clone();
    *args.last_mut().unwrap() = full.display().to_string();
    assert!(bin()
        .current_dir(root())
        .args(&args)
        .output()
        .unwrap()
        .status
        .success());
    for file in ["rules.csv", "summary.json"] {
        assert_eq!(
            std::fs::read_to_string(csv_only.join(file)).unwrap(),
            std::fs::read_to_string(full.join(file)).unwrap(),
            "{file}"
        );
    }
    let summary = std::fs::read_to_string(csv_only.join("summary.json")).unwrap();
    assert!(summary.contains("\"rule_files\": null"), "{summary}");
}

#[test]
fn the_sample_rule_file_passes_promtool() {
    // promtool comes from Debian's `prometheus` package, which .ci/run installs.
    let Ok(out) = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(root().join("sample-data/rules/acme-shop.rules.yml"))
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have promtool (apt-get install prometheus)"
        );
        eprintln!("promtool not installed here; skipped outside CI");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("SUCCESS: 13 rules found"), "{stdout}");
}
