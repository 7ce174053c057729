//! `raise_for`: many short episodes — wait longer before firing.
//!
//! Applies when at least 3 resolved episodes, and at least a quarter of all, are
//! shorter than `--short`. Every step Δ of the ladder (1m, 2m, 5m, 10m, 15m, 30m,
//! 1h) is replayed with `for: F+Δ` (see `simulate`); the advice is the smallest Δ
//! that removes at least [`MOST`] of the short episodes and loses no actionable
//! episode. Candidates that would lose one are listed as alternatives, with the
//! loss in their effect; none of them is ever the advice.

use super::simulate::Setting;
use super::{
    confidence, duration_change, evidence, first_accepted, Advice, Advisor, Context, Target, MOST,
};
use crate::rules::patch::Change;
use crate::timefmt::format_duration;
use serde_json::json;

/// The `raise_for` advisor.
pub struct RaiseFor;

impl Advisor for RaiseFor {
    fn kind(&self) -> &'static str {
        "raise_for"
    }

    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice> {
        let baseline = ctx.effect(target, target.current);
        let short = baseline.short_before;
        if short < 3 || (short as f64) < 0.25 * baseline.episodes_before as f64 {
            return Vec::new();
        }
        let candidates = ctx.steps_ms.iter().map(|&step| {
            let new = Setting {
                for_ms: target.current.for_ms + step,
                ..target.current
            };
            (new, duration_change(target, "for", new.for_ms, step))
        });
        let (alternatives, chosen) = first_accepted(ctx, target, candidates, |e| {
            e.short_removed as f64 >= MOST * short as f64 && e.actionable_lost.unwrap_or(0) == 0
        });
        let Some((new, change, effect)) = chosen else {
            return Vec::new();
        };
        let step = new.for_ms - target.current.for_ms;
        let (yes, no, unknown) = target.verdicts();
        let mut advice = target.advice(
            self.kind(),
            format!(
                "{short} of {} episodes were shorter than {}; {} would have dropped {} of them and {} longer ones, and fire {} later",
                baseline.episodes_before,
                format_duration(ctx.short_ms),
                match target.rule {
                    Some(_) => format!("`for: {}`", format_duration(new.for_ms)),
                    None => format!("`for:` {} longer", format_duration(step)),
                },
                effect.short_removed,
                (effect.episodes_before + effect.episodes_added)
                    .saturating_sub(effect.episodes_after + effect.short_removed),
                format_duration(step),
            ),
        );
        advice.change = Some(change);
        advice.evidence = evidence(json!({
            "current_for": target.rule.map(|_| format_duration(target.current.for_ms)),
            "episodes": baseline.episodes_before,
            "short_episodes": short,
            "short": format_duration(ctx.short_ms),
            "actionable": yes, "not_actionable": no, "unknown": unknown,
        }));
        advice.confidence = confidence(baseline.episodes_before, yes + no);
        advice.effect = Some(effect);
        advice.alternatives = alternatives;
        advice.edits = target.edits(vec![Change::For(new.for_ms)]);
        vec![advice]
    }
}
