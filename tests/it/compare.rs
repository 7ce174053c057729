//! `alertnoise compare OLD NEW` on the sample report and a report made after
//! applying (most of) its patch.

use crate::common::*;

#[test]
fn compare_tells_which_advice_was_applied_and_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let old = root().join("reports/sample");
    let patch = std::fs::read_to_string(old.join("advice.patch")).unwrap();
    let patched = apply_to_sample_rules(&dir.path().join("repo"), &patch);
    // The team applied everything but chose another keep_firing_for.
    let text = std::fs::read_to_string(&patched).unwrap();
    assert!(text.contains("keep_firing_for: 5m"));
    std::fs::write(
        &patched,
        text.replace("keep_firing_for: 5m", "keep_firing_for: 10m"),
    )
    .unwrap();
    // The next week's report: the last week of the sample only.
    let new = dir.path().join("new");
    sample_report(
        &new,
        &[
            "--since",
            "2026-11-09",
            "--until",
            "2026-11-16",
            "--rules",
            patched.to_str().unwrap(),
        ],
    );
    let result = run_ok(bin().args(["compare", old.to_str().unwrap(), new.to_str().unwrap()]));
    let md = String::from_utf8_lossy(&result.stdout);
    let line = |rule: &str, kind: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {rule} | {kind} |")))
            .unwrap_or_else(|| panic!("no {rule} {kind} row in\n{md}"))
            .to_string()
    };
    assert!(line("HostHighCpu", "raise_for").contains("| yes |"), "{md}");
    assert!(line("HostHighCpu", "demote").contains("| yes |"), "{md}");
    assert!(
        line("RabbitmqQueueDepth", "threshold").contains("| yes |"),
        "{md}"
    );
    assert!(
        line("ReportExportLate", "remove").contains("| yes |"),
        "{md}"
    );
    assert!(
        line("PaymentsLatencyHigh", "keep_firing_for").contains("changed otherwise: 10m"),
        "{md}"
    );
    // The same week-old report against itself: nothing applied, nothing changed.
    let same = run_ok(bin().args(["compare", old.to_str().unwrap(), old.to_str().unwrap()]));
    let same = String::from_utf8_lossy(&same.stdout);
    assert!(same.contains("No rule that was noisy is quiet now."));
    assert!(same.contains("No rule became noisy."));
    assert!(
        same.contains("| HostHighCpu | raise_for | `{\"for\":\"5m\"}` | no |"),
        "{same}"
    );
    // Every rule row shows before → after where the numbers moved.
    assert!(md.contains("| HostHighCpu | 97 → "), "{md}");
    // The removed rules' lints are gone with them.
    assert!(
        md.contains("Lint findings fixed:")
            && md.contains("TradingBotStopLossTriggered (no\\_for)"),
        "{md}"
    );
    // The same as a page: an --out ending in .html chooses HTML.
    let page = dir.path().join("compare.html");
    run_ok(bin().args([
        "compare",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--out",
        page.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains("<tr><td>PaymentsLatencyHigh</td><td>keep_firing_for</td><td><code>{&quot;keep_firing_for&quot;:&quot;5m&quot;}</code></td><td>changed otherwise: 10m</td>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td>HostHighCpu</td><td>raise_for</td>"),
        "{html}"
    );
    // --outputs wins over the extension; a page is md or html, nothing else.
    let md_anyway = run_ok(bin().args([
        "compare",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--outputs",
        "md",
    ]));
    assert_eq!(String::from_utf8_lossy(&md_anyway.stdout), md);
    let bad = bin()
        .args([
            "compare",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--outputs",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    // --out never overwrites without --force.
    let out = dir.path().join("compare.md");
    std::fs::write(&out, "mine").unwrap();
    let refused = bin()
        .args([
            "compare",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let not_a_report = bin()
        .args([
            "compare",
            dir.path().to_str().unwrap(),
            new.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(not_a_report.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_report.stderr).contains("summary.json"));
}
