//! `alertnoise formats`: every example is detected as its own format and read cleanly.

use crate::common::*;
use alertnoise::sources::assemble::assemble;
use alertnoise::sources::{all_sources, InputFile, ReadContext};

#[test]
fn every_example_is_detected_and_read_by_its_own_format() {
    let sources = all_sources();
    for source in &sources {
        let example = source.example();
        let detected: Vec<&str> = sources
            .iter()
            .filter(|s| s.detect(example))
            .map(|s| s.name())
            .collect();
        assert_eq!(detected, vec![source.name()], "{}'s example", source.name());
        let file = InputFile {
            name: "example".into(),
            bytes: example.as_bytes().to_vec(),
        };
        assert!(
            example.lines().count() <= 2,
            "{}: example longer than two lines",
            source.name()
        );
        let output = source.read(&file, example, &ReadContext::default());
        let silences = output.silences.len();
        let assembled = assemble(output);
        assert!(
            assembled.problems.is_empty(),
            "{}: {:?}",
            source.name(),
            assembled.problems
        );
        // Silences are not episodes; every other format's example is one.
        let read = if source.name() == "alertmanager-silences" {
            silences
        } else {
            assembled
                .episodes
                .iter()
                .filter(|e| e.starts_at().is_some())
                .count()
        };
        assert!(read > 0, "{}: nothing read from the example", source.name());
    }
    let listing = alertnoise(&["formats"]);
    assert!(listing.status.success());
    let text = String::from_utf8_lossy(&listing.stdout);
    for source in &sources {
        assert!(
            text.contains(source.name())
                && text.contains(source.detection())
                && text.contains(source.example().lines().next().unwrap()),
            "{}",
            source.name()
        );
        for field in source.fields() {
            assert!(text.contains(&field.columns.join(", ")), "{}", field.name);
        }
    }
}

#[test]
fn a_quiet_window_is_a_report_with_no_rules_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "h.csv",
        "rule,starts_at,ends_at\nOld,2026-01-06T10:00:00Z,2026-01-06T10:20:00Z\n",
    );
    let out = dir.path().join("o");
    let result = alertnoise(&[
        "report",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--since",
        "2026-02-02",
        "--until",
        "2026-02-09",
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("rules.json"))
            .unwrap()
            .trim(),
        "[]"
    );
    let csv = std::fs::read_to_string(out.join("rules.csv")).unwrap();
    assert!(
        csv.starts_with("rule,severity,current_for_s,episodes,"),
        "header even without rows: {csv}"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("**0 alert episodes**"), "{md}");
}
