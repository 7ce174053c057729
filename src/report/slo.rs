//! The SLO burn-rate page (`slo.md`) and its data (`slo.json`): per SLO, a
//! row per window pair with the replayed figures beside the workbook's, and
//! the budget events with how each pair did on them.

use crate::slo::{PairReport, Slo, SloReport};
use crate::timefmt::{format_duration, Millis};

/// `slo.json`: the report as pretty JSON with a trailing newline.
pub fn json(report: &SloReport) -> crate::error::Result<Vec<u8>> {
    super::pretty_json(report, "slo.json")
}

fn percent(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.0} %", x * 100.0))
}

fn seconds(s: Option<f64>) -> String {
    s.map_or("–".into(), |s| {
        format_duration((s * 1000.0).round() as Millis)
    })
}

fn pair_name(p: &PairReport) -> String {
    match &p.short {
        Some(short) => format!("{}/{}", p.long, short),
        None => p.long.clone(),
    }
}

/// `report.md` with the SLO section before its data-quality section (or at
/// the end), its headings one level down.
pub fn insert_section(page: &str, report: &SloReport) -> String {
    let section: String = markdown(report)
        .lines()
        .map(|l| match l.starts_with('#') {
            true => format!("#{l}\n"),
            false => format!("{l}\n"),
        })
        .collect();
    super::insert_before(page, "Data quality", &section)
}

/// `slo.md`: what the weekly review reads.
pub fn markdown(report: &SloReport) -> String {
    let r = &report.replayed;
    let mut out = format!(
        "# SLO burn-rate alerts\n\nReplayed over the recorded series from {} to {} at {} ({:.1} weeks), \
         as Prometheus evaluates the rules. An event is a period with the error ratio above the budget; \
         it is *significant* for a pair when it spent at least the pair's budget share \
         (factor × long window ÷ period), the budget the pair is meant to catch.\n\n",
        r.start, r.end, r.step, r.weeks
    );
    for slo in &report.slos {
        slo_section(slo, &mut out);
    }
    if !report.advice.is_empty() {
        out.push_str("## Advice\n\n");
        for a in &report.advice {
            out.push_str(&format!(
                "- **{}** ({}): {}\n",
                a.rule,
                a.location.as_deref().unwrap_or("?"),
                a.summary
            ));
            if let Some(patch) = &a.patch {
                out.push_str(&format!(
                    "\n  ```diff\n  {}\n  ```\n",
                    patch.trim_end().replace('\n', "\n  ")
                ));
            } else if let Some(note) = &a.patch_note {
                out.push_str(&format!("  (No patch: {note}.)\n"));
            }
        }
        out.push('\n');
    }
    if !report.not_recognised.is_empty() {
        out.push_str("## Not read as burn-rate alerts\n\n");
        for n in &report.not_recognised {
            out.push_str(&format!("- `{}` ({}): {}\n", n.alert, n.location, n.reason));
        }
        out.push('\n');
    }
    out
}

fn slo_section(slo: &Slo, out: &mut String) {
    out.push_str(&format!(
        "## {} — objective {} %, period {}\n\n",
        slo.name,
        trim(slo.objective * 100.0),
        slo.period
    ));
    out.push_str(&format!("The period comes from {}. ", slo.period_from));
    if let Some(ratio) = &slo.error_ratio {
        out.push_str(&format!("Error ratio: `{ratio}`."));
    }
    out.push_str("\n\n");
    out.push_str(
        "| alert | windows | factor | for | severity | budget share | episodes | per week | precision | recall | detection p50 / worst | reset p50 | workbook: detection at a total outage |\n\
         |---|---|---:|---|---|---:|---:|---:|---:|---:|---|---|---|\n",
    );
    for p in &slo.pairs {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.1} % | {} | {} | {} | {} | {} / {} | {} | {} |\n",
            p.alert,
            pair_name(p),
            trim(p.factor),
            p.for_,
            p.severity.as_deref().unwrap_or("–"),
            p.budget_share * 100.0,
            p.episodes.map_or("–".into(), |n| n.to_string()),
            p.alerts_per_week.map_or("–".into(), |w| format!("{w:.1}")),
            percent(p.precision),
            match p.recall {
                Some(r) => format!(
                    "{} ({}/{})",
                    percent(Some(r)),
                    p.detected_events,
                    p.significant_events
                ),
                None => "no significant event".into(),
            },
            seconds(p.detection_p50_s),
            seconds(p.detection_max_s),
            seconds(p.reset_p50_s),
            seconds(Some(p.workbook_detection_at_outage_s)),
        ));
    }
    out.push('\n');
    if slo.events.is_empty() {
        out.push_str("No budget event: the error ratio never rose above the budget.\n\n");
    } else {
        out.push_str(&format!("### Budget events ({})\n\n", slo.events.len()));
        let columns: Vec<String> = slo
            .pairs
            .iter()
            .map(|p| format!("{} {}", p.alert, pair_name(p)))
            .collect();
        out.push_str(&format!(
            "| start | end | budget spent | mean error ratio | {} |\n|---|---|---:|---:|{}\n",
            columns.join(" | "),
            "---|".repeat(columns.len())
        ));
        for v in &slo.events {
            let cells: Vec<String> = v
                .detections
                .iter()
                .map(|d| {
                    let seen = match d.detection_s {
                        Some(s) => format!("after {}", seconds(Some(s))),
                        None if d.significant => "**missed**".into(),
                        None => "–".into(),
                    };
                    match d.expected_detection_s {
                        Some(e) if d.significant => {
                            format!("{seen} (workbook {})", seconds(Some(e)))
                        }
                        _ => seen,
                    }
                })
                .collect();
            out.push_str(&format!(
                "| {} | {}{} | {:.2} % | {:.4} | {} |\n",
                v.start,
                v.end,
                if v.open { " (still burning)" } else { "" },
                v.budget_spent * 100.0,
                v.mean_error_ratio,
                cells.join(" | ")
            ));
        }
        out.push('\n');
    }
    if !slo.problems.is_empty() {
        out.push_str("Not replayed:\n\n");
        for p in &slo.problems {
            out.push_str(&format!("- {p}\n"));
        }
        out.push('\n');
    }
}

/// A number without trailing zeros: 99.9, 14.4, 6.
fn trim(x: f64) -> String {
    let text = format!("{:.6}", x);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
