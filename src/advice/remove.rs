//! `remove`: fires often and the review meeting never found it worth acting on.
//!
//! Applies when the rule fired at least 5 times in the window, at least 5 of
//! those episodes, and at least half of them, have a review verdict (the
//! ack-based proxy is not enough to delete a rule), and no verdict says
//! actionable. The evidence is the review record; nothing is simulated
//! beyond the obvious (every episode and notification goes).

use super::simulate::Effect;
use super::{evidence, Advice, Advisor, Context, Target};
use crate::rules::patch::Change;
use serde_json::json;

/// The `remove` advisor.
pub struct Remove;

impl Advisor for Remove {
    fn kind(&self) -> &'static str {
        "remove"
    }

    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice> {
        if !applies(target) {
            return Vec::new();
        }
        let fired: Vec<_> = target.fired().collect();
        let episodes = fired.len() as u64;
        let reviewed_n = fired
            .iter()
            .filter(|e| e.actionable_source() == Some("review"))
            .count() as u64;
        let baseline = ctx.effect(target, target.current);
        let notifications = baseline.notifications_before;
        let mut advice = target.advice(
            self.kind(),
            format!(
                "fired {episodes} times; the review found none of the {reviewed_n} reviewed episodes actionable: delete the rule (or turn it into a dashboard)"
            ),
        );
        advice.change = Some(json!({"remove": true}));
        advice.evidence = evidence(json!({
            "episodes": episodes,
            "reviewed": reviewed_n,
            "reviewed_actionable": 0,
            "notifications": notifications,
        }));
        advice.effect = Some(Effect {
            episodes_after: 0,
            notifications_after: 0,
            refires_after: 0,
            short_removed: baseline.short_before,
            actionable_lost: Some(0),
            unknown_lost: fired.iter().filter(|e| e.actionable().is_none()).count() as u64,
            ..baseline
        });
        advice.confidence = if reviewed_n >= 10 { "high" } else { "medium" };
        advice.edits = target.edits(vec![Change::Remove]);
        vec![advice]
    }
}

/// Whether the review record says to delete this rule.
pub fn applies(target: &Target) -> bool {
    let fired: Vec<_> = target.fired().collect();
    let reviewed: Vec<_> = fired
        .iter()
        .filter(|e| e.actionable_source() == Some("review"))
        .collect();
    let (episodes, reviewed_n) = (fired.len(), reviewed.len());
    episodes >= 5
        && reviewed_n >= 5
        && 2 * reviewed_n >= episodes
        && !reviewed.iter().any(|e| e.actionable() == Some(true))
}
