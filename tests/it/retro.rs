//! `alertnoise retro`: the alerts around one incident.

use crate::common::*;

const HISTORY: &str = "\
rule,starts_at,ends_at,labels,acked_at
Earlier,2026-10-19T08:00:00Z,2026-10-19T08:10:00Z,i=e,
DbReplicationLag,2026-10-19T09:55:00Z,2026-10-19T10:40:00Z,db=main,
CheckoutErrors,2026-10-19T10:02:00Z,2026-10-19T10:25:00Z,service=checkout,2026-10-19T10:04:00Z
HostHighCpu,2026-10-19T10:10:00Z,2026-10-19T10:12:00Z,host=h1,
DiskSpaceLow,2026-10-19T10:15:00Z,2026-10-19T10:50:00Z,host=d1,
Later,2026-10-19T10:45:00Z,2026-10-19T10:46:00Z,i=l,
";

const REVIEWS: &str = "\
rule,starts_at,actionable
DbReplicationLag,2026-10-19T09:55:00Z,yes
CheckoutErrors,2026-10-19T10:02:00Z,yes
HostHighCpu,2026-10-19T10:10:00Z,no
Later,2026-10-19T10:45:00Z,no
";

/// `retro` over HISTORY with REVIEWS around the incident 10:00–10:30
/// (written into `dir`), with `extra` arguments; its standard output.
fn retro_of_the_incident(dir: &std::path::Path, extra: &[&str]) -> String {
    let history = write(dir, "history.csv", HISTORY);
    let reviews = write(dir, "reviews.csv", REVIEWS);
    let out = run_ok(
        bin()
            .args([
                "retro",
                history.to_str().unwrap(),
                "--reviews",
                reviews.to_str().unwrap(),
                "--from",
                "2026-10-19T09:30:00Z",
                "--to",
                "2026-10-19T11:00:00Z",
                "--incident-start",
                "2026-10-19T10:00:00Z",
                "--incident-end",
                "2026-10-19T10:30:00Z",
            ])
            .args(extra),
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn detection_noise_and_reset_around_an_incident() {
    let dir = tempfile::tempdir().unwrap();
    let history = write(dir.path(), "history.csv", HISTORY);
    let md = retro_of_the_incident(dir.path(), &[]);
    assert!(
        md.contains(
            "First alert: **DbReplicationLag** (db=main) at 2026-10-19T09:55:00.000Z (-5m)."
        ),
        "{md}"
    );
    assert!(
        md.contains("First alert reviewed as actionable: **DbReplicationLag**"),
        "{md}"
    );
    assert!(
        md.contains(
            "Reviewed as needing no action (noise while people were busy): HostHighCpu at +10m."
        ),
        "{md}"
    );
    assert!(
        md.contains("Not reviewed yet (give verdicts with --reviews): DiskSpaceLow at +15m."),
        "{md}"
    );
    assert!(
        md.contains(
            "The incident's alerts had all resolved 20m after it ended (2026-10-19T10:50:00.000Z)."
        ),
        "{md}"
    );
    assert!(
        md.contains("| CheckoutErrors | service=checkout | +2m | +25m | actionable | +4m |"),
        "{md}"
    );
    assert!(
        md.contains("| Later | i=l | +45m | +46m | noise | - |"),
        "{md}"
    );
    assert!(!md.contains("Earlier"), "outside the frame: {md}");
    // Without the incident's times: relative to --from, no reset section.
    let plain = run_ok(bin().args([
        "retro",
        history.to_str().unwrap(),
        "--from",
        "2026-10-19T09:30:00Z",
        "--to",
        "2026-10-19T11:00:00Z",
    ]));
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain.contains("(+25m)") && !plain.contains("## Reset"),
        "{plain}"
    );
    let backwards = bin()
        .args([
            "retro",
            history.to_str().unwrap(),
            "--from",
            "2026-10-19T11:00:00Z",
            "--to",
            "2026-10-19T09:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(backwards.status.code(), Some(2));
}

#[test]
fn the_retrospective_as_a_page_draws_every_alert_on_the_gantt_chart() {
    let dir = tempfile::tempdir().unwrap();
    let html = retro_of_the_incident(dir.path(), &["--outputs", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    // One bar per alert in the frame, coloured by verdict: two reviewed
    // actionable, two reviewed noise, one not reviewed.
    let bars = |fill: &str| svg.matches(&format!("fill=\"{fill}\"")).count();
    assert_eq!(bars("#2CA02C"), 2, "{svg}");
    assert_eq!(bars("#9467BD"), 2, "{svg}");
    assert_eq!(bars("#888888"), 1, "{svg}");
    for rule in [
        "DbReplicationLag",
        "CheckoutErrors",
        "HostHighCpu",
        "DiskSpaceLow",
        "Later",
    ] {
        assert!(
            svg.contains(&format!(">\n{rule}\n<")) || svg.contains(&format!(">{rule}\n<")),
            "{rule} row label: {svg}"
        );
    }
    assert!(!svg.contains("Earlier"), "outside the frame");
    assert!(svg.contains("incident start") && svg.contains("incident end"));
    // The same table as the Markdown, as a sortable HTML table.
    assert!(
        html.contains("<tr><td>CheckoutErrors</td><td>service=checkout</td><td class=\"num\" data-sort=\"1792404120000\">+2m</td><td>+25m</td><td>actionable</td><td>+4m</td></tr>"),
        "{html}"
    );
}
