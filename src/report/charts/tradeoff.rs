//! The trade-off behind a recommendation, from the candidates that were
//! replayed: for `for:` and `keep_firing_for:`, episodes removed against the
//! delay added; for a threshold, precision against recall.

use super::{fail, label, minutes_label, svg, FONT, GOOD, INK, NEUTRAL, SHORT};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// One replayed candidate of a `for:`/`keep_firing_for:` recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct DelayPoint {
    /// The setting, as the rule file spells it (`5m`).
    pub setting: String,
    /// Detection (or resolution) delay added, in seconds.
    pub delay_s: f64,
    /// Episodes the setting removes.
    pub removed: f64,
    /// Whether it loses an actionable episode.
    pub loses_actionable: bool,
    /// Whether this is the recommended setting.
    pub chosen: bool,
}

/// One threshold candidate (from `advice.json`'s `pareto_front`, plus the
/// current and chosen ones).
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdPoint {
    /// The label drawn next to the point, if any (`current 50`, `advised 112`).
    pub label: Option<String>,
    /// Share of firings that were actionable.
    pub precision: f64,
    /// Share of actionable episodes the setting catches.
    pub recall: f64,
    /// Whether this is the recommended setting.
    pub chosen: bool,
    /// Whether this is the current setting.
    pub current: bool,
}

/// Episodes removed against delay added, `delay` naming what is delayed.
pub fn delay_chart(points: &[DelayPoint], delay: &str) -> Result<String> {
    let mut sorted: Vec<&DelayPoint> = points.iter().collect();
    sorted.sort_by(|a, b| a.delay_s.total_cmp(&b.delay_s));
    let max_x = sorted.last().map_or(1.0, |p| p.delay_s / 60.0).max(1.0) * 1.08;
    let max_y = points.iter().map(|p| p.removed).fold(1.0, f64::max) * 1.15;
    svg(440, 300, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)
            .map_err(fail)?;
        let x_fmt = |m: &f64| minutes_label(*m);
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc(format!("{delay} delay added"))
            .y_desc("episodes removed")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(fail)?;
        let line =
            std::iter::once((0.0, 0.0)).chain(sorted.iter().map(|p| (p.delay_s / 60.0, p.removed)));
        chart
            .draw_series(LineSeries::new(line, NEUTRAL.stroke_width(2)))
            .map_err(fail)?;
        for (i, p) in sorted.iter().enumerate() {
            let colour = if p.chosen {
                GOOD
            } else if p.loses_actionable {
                SHORT
            } else {
                NEUTRAL
            };
            let at = (p.delay_s / 60.0, p.removed);
            chart
                .draw_series(std::iter::once(Circle::new(
                    at,
                    if p.chosen { 6 } else { 4 },
                    colour.filled(),
                )))
                .map_err(fail)?;
            let (x, y) = chart.backend_coord(&at);
            let text = p.setting.clone();
            // Alternate below and above the line: neighbouring settings are close.
            let dy = if i % 2 == 0 { 4 } else { -18 };
            label(
                root,
                &text,
                (x + 6, y + dy),
                14,
                colour,
                (HPos::Left, VPos::Top),
            )?;
        }
        if let Some(chosen) = points.iter().find(|p| p.chosen) {
            let (x, y) = chart.backend_coord(&(0.0, max_y));
            label(
                root,
                &format!("● advised: {}", chosen.setting),
                (x + 10, y + 4),
                15,
                GOOD,
                (HPos::Left, VPos::Top),
            )?;
        }
        Ok(())
    })
}

/// Precision against recall of the threshold candidates.
pub fn precision_recall_chart(points: &[ThresholdPoint]) -> Result<String> {
    svg(440, 300, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..1.05, 0.0..1.05)
            .map_err(fail)?;
        let pct = |v: &f64| format!("{:.0}%", v * 100.0);
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc("recall (actionable episodes caught)")
            .y_desc("precision (firings that were actionable)")
            .x_label_formatter(&pct)
            .y_label_formatter(&pct)
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(fail)?;
        let mut front: Vec<&ThresholdPoint> =
            points.iter().filter(|p| !p.current && !p.chosen).collect();
        front.sort_by(|a, b| a.recall.total_cmp(&b.recall));
        chart
            .draw_series(LineSeries::new(
                front.iter().map(|p| (p.recall, p.precision)),
                NEUTRAL.mix(0.6).stroke_width(1),
            ))
            .map_err(fail)?;
        for p in points {
            let (colour, size) = match (p.chosen, p.current) {
                (true, _) => (GOOD, 6),
                (_, true) => (SHORT, 6),
                _ => (NEUTRAL, 3),
            };
            let at = (p.recall, p.precision);
            chart
                .draw_series(std::iter::once(Circle::new(at, size, colour.filled())))
                .map_err(fail)?;
            if let Some(text) = &p.label {
                let (x, y) = chart.backend_coord(&at);
                let below = if p.current { 10 } else { -18 };
                label(
                    root,
                    text,
                    (x - 8, y + below),
                    15,
                    colour,
                    (HPos::Right, VPos::Top),
                )?;
            }
        }
        Ok(())
    })
}
