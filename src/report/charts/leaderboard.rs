//! The noise leaderboard: noise per week for each rule, one horizontal bar
//! split by the reason each noisy episode counts (its first reason: short,
//! else refire, else reviewed not actionable), so the parts add up to the
//! rule's `noise_score`.

use super::{clip_label, fail, label, svg, FONT, INK, NOT_ACTIONABLE, REFIRE, SHORT};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

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
    let rows = bars.len().max(1);
    let height = 70 + 26 * rows as u32;
    let max = bars.iter().map(NoiseBar::total).fold(0.0, f64::max);
    let max = if max > 0.0 { max * 1.05 } else { 1.0 };
    let names: Vec<String> = bars.iter().map(|b| clip_label(&b.name, 32)).collect();
    svg(900, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..max, 0.0..rows as f64)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("noisy episodes per week")
            .label_style((FONT, 16).into_font().color(&INK))
            .axis_desc_style((FONT, 16).into_font().color(&INK))
            .draw()
            .map_err(fail)?;
        // Row 0 is drawn at the top.
        let y_of = |i: usize| (rows - 1 - i) as f64;
        for (i, name) in names.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, y_of(i) + 0.5));
            label(root, name, (x - 8, y), 16, INK, (HPos::Right, VPos::Center))?;
        }
        let parts = [
            ("short", SHORT, 0),
            ("refire", REFIRE, 1),
            ("reviewed, not actionable", NOT_ACTIONABLE, 2),
        ];
        for (name, colour, part) in parts {
            let rects = bars.iter().enumerate().map(move |(i, b)| {
                let values = [b.short, b.refire, b.not_actionable];
                let left: f64 = values[..part].iter().sum();
                let row = y_of(i);
                Rectangle::new(
                    [(left, row + 0.15), (left + values[part], row + 0.85)],
                    colour.filled(),
                )
            });
            chart
                .draw_series(rects)
                .map_err(fail)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(INK)
            .label_font((FONT, 16).into_font().color(&INK))
            .draw()
            .map_err(fail)?;
        Ok(())
    })
}
