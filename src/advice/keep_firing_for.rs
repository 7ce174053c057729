//! `keep_firing_for`: many refires — keep the alert firing across short gaps.
//!
//! Applies when at least 3 episodes, and at least a fifth of all, are refires
//! (they start within `--flap-window` after the same alert resolved). Every step
//! K of the ladder above the current setting is replayed (gaps ≤ K merge, every
//! resolution comes K later); the advice is the smallest K that removes at least
//! [`MOST`] of the refires. Merging loses no episode: the alert stays firing.

use super::simulate::Setting;
use super::{duration_change, evidence, first_accepted, Advice, Advisor, Context, Target, MOST};
use crate::rules::patch::Change;
use crate::timefmt::format_duration;
use serde_json::json;

/// The `keep_firing_for` advisor.
pub struct KeepFiringFor;

impl Advisor for KeepFiringFor {
    fn kind(&self) -> &'static str {
        "keep_firing_for"
    }

    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice> {
        let baseline = ctx.effect(target, target.current);
        let refires = baseline.refires_before;
        if refires < 3 || (refires as f64) < 0.2 * baseline.episodes_before as f64 {
            return Vec::new();
        }
        let current_keep = target.current.keep_firing_for_ms;
        let candidates = ctx
            .steps_ms
            .iter()
            .filter(|&&s| s > current_keep)
            .map(|&step| {
                let new = Setting {
                    keep_firing_for_ms: step,
                    ..target.current
                };
                let change = duration_change(target, "keep_firing_for", step, step - current_keep);
                (new, change)
            });
        let (alternatives, chosen) = first_accepted(ctx, target, candidates, |e| {
            e.refires_before.saturating_sub(e.refires_after) as f64 >= MOST * refires as f64
        });
        let Some((new, change, effect)) = chosen else {
            return Vec::new();
        };
        let mut advice = target.advice(
            self.kind(),
            format!(
                "{refires} of {} episodes were refires within {}; `keep_firing_for: {}` would have merged them into {} episodes with {} refires, resolving {} later",
                baseline.episodes_before,
                format_duration(ctx.flap_window_ms),
                format_duration(new.keep_firing_for_ms),
                effect.episodes_after,
                effect.refires_after,
                format_duration(new.keep_firing_for_ms - target.current.keep_firing_for_ms),
            ),
        );
        advice.change = Some(change);
        advice.evidence = evidence(json!({
            "current_keep_firing_for": target.rule.map(|_| format_duration(target.current.keep_firing_for_ms)),
            "episodes": baseline.episodes_before,
            "refires": refires,
            "flap_window": format_duration(ctx.flap_window_ms),
        }));
        // Merging loses no episode, so verdicts do not matter; the sample size does.
        advice.confidence = match refires {
            10.. => "high",
            5.. => "medium",
            _ => "low",
        };
        advice.effect = Some(effect);
        advice.alternatives = alternatives;
        advice.edits = target.edits(vec![Change::KeepFiringFor(new.keep_firing_for_ms)]);
        vec![advice]
    }
}
