//! Horizontal bars split into parts (the noise leaderboard's reasons, a
//! responder's business, off and sleep hours), first bar at the top, with
//! a legend.

use super::{clip_label, fail, label, svg, FONT, INK};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// One bar: its label and its parts' lengths, in the legend's order.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedBar {
    /// The bar's label.
    pub name: String,
    /// The length of each part.
    pub parts: Vec<f64>,
}

impl StackedBar {
    /// The bar's length.
    pub fn total(&self) -> f64 {
        self.parts.iter().sum()
    }
}

/// Draws the bars, each part in its colour (`parts`: legend name and
/// colour, in the bars' order), along an axis described by `x_desc`.
pub fn chart(bars: &[StackedBar], parts: &[(&str, RGBColor)], x_desc: &str) -> Result<String> {
    let rows = bars.len().max(1);
    let height = 70 + 26 * rows as u32;
    let max = bars.iter().map(StackedBar::total).fold(0.0, f64::max);
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
            .x_desc(x_desc)
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
        for (part, &(name, colour)) in parts.iter().enumerate() {
            let rects = bars.iter().enumerate().map(move |(i, b)| {
                let value = |p: usize| b.parts.get(p).copied().unwrap_or(0.0);
                let left: f64 = (0..part).map(value).sum();
                let row = y_of(i);
                Rectangle::new(
                    [(left, row + 0.15), (left + value(part), row + 0.85)],
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
