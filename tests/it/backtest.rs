//! `alertnoise backtest` and threshold advice on the sample company's queue depth.

use crate::common::*;
use std::process::Command;

fn sample(path: &str) -> String {
    root().join(path).display().to_string()
}

fn backtest_json(extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "backtest".to_string(),
        "--json".into(),
        "--rules".into(),
        sample("sample-data/rules"),
        "--alert".into(),
        "RabbitmqQueueDepth".into(),
        "--series".into(),
        sample("sample-data/series/RabbitmqQueueDepth.json"),
        "--reviews".into(),
        sample("sample-data/reviews.csv"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = run_ok(bin().args(&args));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_backtest_finds_a_threshold_that_pages_only_for_the_backlogs_that_mattered() {
    let with_history = backtest_json(&[&sample("sample-data/alertmanager")]);
    let current = &with_history["current"];
    let chosen = &with_history["chosen"];
    assert_eq!(current["threshold"], 50.0);
    assert_eq!(
        current["recall"], 1.0,
        "the current rule caught every actionable backlog"
    );
    assert!(current["precision"].as_f64().unwrap() < 0.75, "{current}");
    assert_eq!(chosen["precision"], 1.0, "{chosen}");
    assert_eq!(chosen["recall"], 1.0, "{chosen}");
    assert!(chosen["threshold"].as_f64().unwrap() > 50.0);
    assert!(chosen["firings"].as_u64() < current["firings"].as_u64());
    assert_eq!(
        chosen["for_s"], 60.0,
        "for: stays when changing it gains nothing"
    );
    assert!(with_history["actionable_episodes"].as_u64().unwrap() >= 2);
    // Every candidate was replayed for every for: step.
    let candidates = with_history["candidates"].as_array().unwrap();
    assert!(candidates.len() > 50, "{}", candidates.len());
    assert!(candidates.iter().any(|c| c["pareto"] == true));

    // From the reviews alone (verdicts by fingerprint): the same choice.
    let reviews_only = backtest_json(&[]);
    assert_eq!(reviews_only["chosen"]["threshold"], chosen["threshold"]);
    assert_eq!(
        reviews_only["actionable_episodes"],
        with_history["actionable_episodes"]
    );
}

#[test]
fn print_query_names_the_exact_series_for_promtool_and_the_http_api() {
    let out = run_ok(bin().args([
        "backtest",
        "--rules",
        &sample("sample-data/rules"),
        "--alert",
        "DiskSpaceLow",
        "--print-query",
        "--since",
        "2026-11-09",
        "--until",
        "2026-11-16",
        "--step",
        "30s",
        "--server",
        "http://prom.example:9090/",
    ]));
    let text = String::from_utf8(out.stdout).unwrap();
    let series = r#"(node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}) * 100"#;
    assert!(
        text.contains(&format!(
            "promtool query range --start 2026-11-09T00:00:00.000Z --end 2026-11-16T00:00:00.000Z --step 30s -o json http://prom.example:9090 '{series}' > DiskSpaceLow.series.json"
        )),
        "{text}"
    );
    let url = text
        .lines()
        .find(|l| l.starts_with("curl"))
        .and_then(|l| l.split('\'').nth(1))
        .unwrap();
    let query = url
        .split_once("query=")
        .unwrap()
        .1
        .split('&')
        .next()
        .unwrap();
    let decoded = percent_decode(query);
    assert_eq!(decoded, series);
    assert!(url.starts_with("http://prom.example:9090/api/v1/query_range?"));
    assert!(
        url.ends_with("&start=1794182400&end=1794787200&step=30"),
        "{url}"
    );
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn threshold_advice_patches_the_literal_and_promtool_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let advice = sample_advice(
        &dir.path().join("report"),
        &[
            "--series",
            "RabbitmqQueueDepth=sample-data/series/RabbitmqQueueDepth.json",
        ],
    );
    let threshold = advice["advice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "threshold")
        .expect("threshold advice");
    assert_eq!(threshold["rule"], "RabbitmqQueueDepth");
    let value = threshold["change"]["threshold"].as_f64().unwrap();
    assert!(threshold["change"].get("for").is_none(), "{threshold}");
    assert_eq!(threshold["effect"]["actionable_lost"], 0);
    let hunk = threshold["patch"].as_str().unwrap();
    let minus: Vec<&str> = hunk
        .lines()
        .filter(|l| l.starts_with("-") && !l.starts_with("---"))
        .collect();
    let plus: Vec<&str> = hunk
        .lines()
        .filter(|l| l.starts_with("+") && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        minus,
        vec![r#"-        expr: rabbitmq_queue_messages{queue="orders"} > 50"#]
    );
    assert_eq!(
        plus,
        vec![
            format!(r#"+        expr: rabbitmq_queue_messages{{queue="orders"}} > {value}"#)
                .as_str()
        ]
    );
    let patched = apply_to_sample_rules(&dir.path().join("repo"), hunk);
    if have("promtool") {
        run_ok(
            Command::new("promtool")
                .args(["check", "rules"])
                .arg(&patched),
        );
    }
    let files = alertnoise::rules::load_rule_files(&[patched]).unwrap();
    let rule = files[0]
        .rules
        .iter()
        .find(|r| r.name == "RabbitmqQueueDepth")
        .unwrap();
    assert_eq!(rule.threshold.located().unwrap().value, value);
}

#[test]
fn a_series_file_prometheus_refused_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "err.json",
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error"}"#,
    );
    let out = bin()
        .args([
            "backtest",
            "--rules",
            &sample("sample-data/rules"),
            "--alert",
            "RabbitmqQueueDepth",
        ])
        .arg("--series")
        .arg(&bad)
        .args(["--reviews", &sample("sample-data/reviews.csv")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("err.json") && stderr.contains("parse error"),
        "{stderr}"
    );
    let out = bin()
        .args([
            "backtest",
            "--rules",
            &sample("sample-data/rules"),
            "--alert",
            "HostHighCpuX",
            "--print-query",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
