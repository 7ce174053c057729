//! `demote`: it pages, but nobody treats it as a page.
//!
//! Applies to rules with a paging severity (`critical`, `page`, …) that fired
//! at least 5 times and either
//! - were acknowledged late or never, where the source records acks: fewer than
//!   half acknowledged, or a median time to acknowledge above 30 minutes; or
//! - were reviewed mostly not actionable: at least 5 verdicts, under half actionable
//!   (and not none: that is `remove`).
//!
//! The change sets the severity label to `warning` (`ticket` where the team's
//! scheme is `page`/`ticket`): it still notifies, but nobody is woken up.

use super::{evidence, Advice, Advisor, Context, Target};
use crate::rules::patch::Change;
use crate::timefmt::format_duration;
use serde_json::json;

/// The `demote` advisor.
pub struct Demote;

/// A median time to acknowledge above this counts as late.
const LATE_MS: i64 = 30 * 60_000;

impl Advisor for Demote {
    fn kind(&self) -> &'static str {
        "demote"
    }

    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice> {
        let fired: Vec<_> = target.fired().collect();
        let episodes = fired.len() as u64;
        if !target.pages() || episodes < 5 || super::remove::applies(target) {
            return Vec::new();
        }
        let tracked: Vec<_> = fired.iter().filter(|e| e.ack_tracked()).collect();
        let mut tta: Vec<i64> = tracked
            .iter()
            .filter_map(|e| Some(e.acked_at()? - e.starts_at()?))
            .collect();
        tta.sort_unstable();
        let acked_share = (!tracked.is_empty()).then(|| tta.len() as f64 / tracked.len() as f64);
        // The median as docs/metrics.md defines quantiles (linear between
        // the closest ranks), so it equals rules.json's `tta_p50_s`.
        let tta_median = match tta.len() {
            0 => None,
            n if n % 2 == 1 => Some(tta[n / 2]),
            n => Some((tta[n / 2 - 1] + tta[n / 2]) / 2),
        };
        let (yes, no, _) = target.verdicts();
        let late = tracked.len() >= 5
            && (acked_share.is_some_and(|s| s < 0.5) || tta_median.is_some_and(|t| t > LATE_MS));
        let unactionable = yes + no >= 5 && (yes as f64) < 0.5 * (yes + no) as f64;
        if !late && !unactionable {
            return Vec::new();
        }
        let current = target.severity.clone().unwrap_or_default();
        let new = if current.eq_ignore_ascii_case("page") {
            "ticket"
        } else {
            "warning"
        };
        let reason = if late {
            format!(
                "{} of {} pages were acknowledged{}",
                tta.len(),
                tracked.len(),
                tta_median
                    .map(|t| format!(", after {} (median)", format_duration(t - t % 1000)))
                    .unwrap_or_default()
            )
        } else {
            format!(
                "only {yes} of {} reviewed episodes were actionable",
                yes + no
            )
        };
        let label = ctx.label_names.severity.clone();
        let mut advice = target.advice(
            self.kind(),
            format!("pages as `{current}` but {reason}: route it as `{new}` instead"),
        );
        advice.change = Some(json!({ "labels": { label.clone(): new } }));
        advice.evidence = evidence(json!({
            "severity": current,
            "episodes": episodes,
            "ack_tracked": tracked.len(),
            "acked_share": acked_share,
            "tta_p50_s": tta_median.map(|t| t as f64 / 1000.0),
            "actionable": yes,
            "not_actionable": no,
        }));
        advice.confidence = if episodes >= 20 { "high" } else { "medium" };
        advice.edits = target.edits(vec![Change::Label(label, new.to_string())]);
        vec![advice]
    }
}
