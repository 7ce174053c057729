//! The noise leaderboard: noise per week for each rule, one horizontal bar
//! split by the reason each noisy episode counts (its first reason: short,
//! else refire, else reviewed not actionable), so the parts add up to the
//! rule's `noise_score`.

use super::stacked::{self, StackedBar};
use super::{NOT_ACTIONABLE, REFIRE, SHORT};
use crate::error::Result;

/// One rule's bar: noisy episodes per week, by first reason.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseBar {
    /// The rule's label.
    pub name: String,
    /// Short episodes per week.
    pub short: f64,
    /// Refires (not short) per week.
    pub refire: f64,
    /// Reviewed not actionable (neither short nor a refire) per week.
    pub not_actionable: f64,
}

impl NoiseBar {
    /// The bar's length: the rule's noise score.
    pub fn total(&self) -> f64 {
        self.short + self.refire + self.not_actionable
    }
}

/// Draws the bars, first bar at the top.
pub fn chart(bars: &[NoiseBar]) -> Result<String> {
    let stacked: Vec<StackedBar> = (bars.iter())
        .map(|b| StackedBar {
            name: b.name.clone(),
            parts: vec![b.short, b.refire, b.not_actionable],
        })
        .collect();
    stacked::chart(
        &stacked,
        &[
            ("short", SHORT),
            ("refire", REFIRE),
            ("reviewed, not actionable", NOT_ACTIONABLE),
        ],
        "noisy episodes per week",
    )
}
