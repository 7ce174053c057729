//! The Responders section of `report.md` and `report.html`, and
//! `responders.json`: who was paged, when in their day, how often per
//! shift, and by which rules in their sleep.

use super::charts::stacked::{self, StackedBar};
use super::charts::{GOOD, NOT_ACTIONABLE, REFIRE};
use crate::metrics::responders::RespondersReport;

/// `responders.json`: the figures as pretty JSON.
pub fn json(report: &RespondersReport) -> crate::error::Result<Vec<u8>> {
    super::pretty_json(report, "responders.json")
}

/// The chart: a bar per responder, split into business, off and sleep hours.
pub fn chart(report: &RespondersReport) -> crate::error::Result<String> {
    let bars: Vec<StackedBar> = (report.responders.iter())
        .map(|r| StackedBar {
            name: r.responder.clone(),
            parts: vec![
                r.counts.business_hours as f64,
                r.counts.off_hours as f64,
                r.counts.sleep_hours as f64,
            ],
        })
        .collect();
    stacked::chart(
        &bars,
        &[
            ("business hours", GOOD),
            ("off hours", REFIRE),
            ("sleep hours", NOT_ACTIONABLE),
        ],
        "pages received",
    )
}

use super::markdown::md_prose as cell;

/// `report.md` with the section before its data-quality section (or at
/// the end); unchanged when nobody was paged.
pub fn insert_section(page: &str, report: &RespondersReport) -> String {
    if report.responders.is_empty() {
        return page.to_string();
    }
    let mut section = format!(
        "## Responders\n\nWho was paged, and when in their own day (business hours {}, sleep hours {}, \
         each responder's time zone; definitions: `docs/responders.md`, the data: `responders.json`). \
         The SRE book's limit is {} incidents per 12-hour shift.\n\n\
         | responder | zone | pages | acknowledged | business | off | sleep | shifts paged | shifts over {} | busiest shift |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
        report.business_hours, report.sleep_hours, report.shift_limit, report.shift_limit
    );
    for r in &report.responders {
        let c = &r.counts;
        section.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&r.responder),
            r.tz,
            c.pages,
            c.acknowledged,
            c.business_hours,
            c.off_hours,
            c.sleep_hours,
            r.shifts_paged,
            r.shifts_over_limit,
            match &r.busiest_shift_start {
                Some(start) => format!("{} pages from {start}", r.busiest_shift),
                None => "–".into(),
            }
        ));
    }
    section.push('\n');
    if !report.woke_most.is_empty() {
        section.push_str("Rules that woke people:\n\n");
        for w in &report.woke_most {
            section.push_str(&format!(
                "- **{}**: {} sleep-hour page{}, {} {}\n",
                cell(&w.rule),
                w.sleep_pages,
                if w.sleep_pages == 1 { "" } else { "s" },
                w.responders,
                if w.responders == 1 {
                    "person"
                } else {
                    "people"
                }
            ));
        }
        section.push('\n');
    }
    super::insert_before(page, "Data quality", &section)
}
