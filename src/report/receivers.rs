//! The Receivers section of `report.md` and its data, `receivers.json`:
//! who the alerts reached through Alertmanager's routing tree, and what the
//! routing gets wrong (`--alertmanager-config`).

use crate::metrics::receivers::{ReceiversReport, RuleFinding};

/// `receivers.json`: the figures as pretty JSON with a trailing newline.
pub fn json(report: &ReceiversReport) -> crate::error::Result<Vec<u8>> {
    super::pretty_json(report, "receivers.json")
}

/// Markdown's table cells: pipes and line breaks escaped.
use super::markdown::md_prose as cell;

/// `report.md` with the Receivers section before its data-quality section
/// (or at the end).
pub fn insert_section(page: &str, report: &ReceiversReport) -> String {
    let section = markdown(report);
    super::insert_before(page, "Data quality", &section)
}

fn findings(out: &mut String, title: &str, explain: &str, rows: &[RuleFinding]) {
    if rows.is_empty() {
        return;
    }
    out.push_str(&format!("### {title}\n\n{explain}\n\n"));
    out.push_str(
        "| rule | severity | receivers | episodes | notifications |\n|---|---|---|---:|---:|\n",
    );
    for f in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&f.rule),
            cell(&f.severities.join(", ")),
            cell(&f.receivers.join(", ")),
            f.episodes,
            f.notifications
        ));
    }
    out.push('\n');
}

/// The section: receivers' load, then each finding that has rows.
pub fn markdown(report: &ReceiversReport) -> String {
    let mut out = format!(
        "## Receivers\n\nEvery episode routed through `{}` as Alertmanager routes it (definitions: \
         `docs/routing.md`; the data: `receivers.json`, and the `receivers` column of \
         `episodes.parquet`). An episode counts once at each receiver it reached.\n\n",
        report.config
    );
    out.push_str("| receiver | integrations | pages | episodes | notifications | rules |\n|---|---|---|---:|---:|---:|\n");
    for r in &report.receivers {
        let integrations = match r.integrations.is_empty() {
            true => "none (blackhole)".to_string(),
            false => r.integrations.join(", "),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(&r.receiver),
            integrations,
            if r.paging { "yes" } else { "no" },
            r.episodes,
            r.notifications,
            r.rules
        ));
    }
    out.push('\n');
    findings(
        &mut out,
        "Warnings that page",
        "Warning and info alerts that reached a paging receiver: someone was paged for \
         something the rule itself says can wait.",
        &report.low_severity_paging,
    );
    findings(
        &mut out,
        "Critical alerts that page no one",
        "Critical alerts that reached no paging receiver: the rule says someone must act now, \
         and the routing tells no one.",
        &report.critical_not_paging,
    );
    findings(
        &mut out,
        "Rules only the default receiver catches",
        "Every episode of these rules matched no route and fell through to the root's \
         receiver: nobody chose where they go.",
        &report.default_only,
    );
    if !report.blackholes.is_empty() {
        out.push_str(
            "### Receivers that send nowhere\n\nReceivers without an integration that alerts \
             still reached: they were evaluated, grouped and dropped.\n\n",
        );
        for r in &report.blackholes {
            out.push_str(&format!(
                "- **{}**: {} episodes of {} rules\n",
                cell(&r.receiver),
                r.episodes,
                r.rules
            ));
        }
        out.push('\n');
    }
    if !report.unmatched_routes.is_empty() {
        out.push_str(
            "### Routes nothing matched\n\nNo alert in the history entered these routes: \
             a typo in a matcher, or a route for alerts that no longer exist.\n\n",
        );
        for r in &report.unmatched_routes {
            out.push_str(&format!(
                "- line {}: `{}` → {}\n",
                r.line,
                r.matchers.replace('`', "'"),
                cell(&r.receiver)
            ));
        }
        out.push('\n');
    }
    let top: Vec<_> = {
        let mut rows: Vec<_> = report.rule_receivers.iter().collect();
        rows.sort_by(|a, b| {
            (b.notifications, b.episodes)
                .cmp(&(a.notifications, a.episodes))
                .then_with(|| (&a.rule, &a.receiver).cmp(&(&b.rule, &b.receiver)))
        });
        rows.into_iter().take(20).collect()
    };
    if !top.is_empty() {
        out.push_str("### Rules by receiver\n\nThe rule × receiver pairs with the most notifications (all of them in `receivers.json`).\n\n| rule | receiver | episodes | notifications |\n|---|---|---:|---:|\n");
        for r in top {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&r.rule),
                cell(&r.receiver),
                r.episodes,
                r.notifications
            ));
        }
        out.push('\n');
    }
    out
}
