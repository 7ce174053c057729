//! `lower_for`: actionable alerts that waited out a long `for:` for nothing.
//!
//! Needs pending-only history (Prometheus `ALERTS{alertstate="pending"}`): only
//! then is it known how often the condition held without firing. Applies when
//! the rule has `for:` of at least 2m, at least 2 fired episodes with a known
//! verdict, and at least 80% of those were actionable. Every ladder step below
//! the current `for:` is replayed; the advice is the smallest that adds at most
//! one new episode per ten fired ones (pending periods that would now fire).

use super::simulate::Setting;
use super::{
    confidence, duration_change, evidence, first_accepted, Advice, Advisor, Context, Target,
};
use crate::rules::patch::Change;
use crate::timefmt::format_duration;
use serde_json::json;

/// The `lower_for` advisor.
pub struct LowerFor;

impl Advisor for LowerFor {
    fn kind(&self) -> &'static str {
        "lower_for"
    }

    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice> {
        let current = target.current.for_ms;
        let has_pending = target.episodes.iter().any(|e| e.pending_since().is_some());
        let (yes, no, _) = target.verdicts();
        if target.rule.is_none()
            || current < 120_000
            || !has_pending
            || yes + no < 2
            || (yes as f64) < 0.8 * (yes + no) as f64
        {
            return Vec::new();
        }
        let baseline = ctx.effect(target, target.current);
        let allowed = baseline.episodes_before as f64 / 10.0;
        let candidates = ctx.steps_ms.iter().filter(|&&s| s < current).map(|&step| {
            let new = Setting {
                for_ms: step,
                ..target.current
            };
            (new, duration_change(target, "for", step, step - current))
        });
        let (alternatives, chosen) = first_accepted(ctx, target, candidates, |e| {
            e.episodes_added as f64 <= allowed
        });
        let Some((new, change, effect)) = chosen else {
            return Vec::new();
        };
        let mut advice = target.advice(
            self.kind(),
            format!(
                "{yes} of {} reviewed episodes were actionable and each waited {}; `for: {}` pages {} sooner and would have added {} episodes",
                yes + no,
                format_duration(current),
                format_duration(new.for_ms),
                format_duration(current - new.for_ms),
                effect.episodes_added
            ),
        );
        advice.change = Some(change);
        advice.evidence = evidence(json!({
            "current_for": format_duration(current),
            "episodes": baseline.episodes_before,
            "actionable": yes,
            "not_actionable": no,
            "pending_only_episodes": target.episodes.iter().filter(|e| e.starts_at().is_none()).count(),
        }));
        advice.confidence = confidence(baseline.episodes_before, yes + no);
        advice.effect = Some(effect);
        advice.alternatives = alternatives;
        advice.edits = target.edits(vec![Change::For(new.for_ms)]);
        vec![advice]
    }
}
