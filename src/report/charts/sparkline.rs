//! A rule's noise across the recorded runs (`--history`), as a small line.

use super::{fail, svg, INK, NEUTRAL};
use crate::error::Result;
use plotters::prelude::*;

/// Width of a sparkline.
const WIDTH: u32 = 120;
/// Height of a sparkline.
const HEIGHT: u32 = 28;

/// Draws `values` (oldest first) as a line with the last value dotted; an
/// empty string for fewer than two values.
pub fn chart(values: &[f64]) -> Result<String> {
    if values.len() < 2 {
        return Ok(String::new());
    }
    let max = values.iter().copied().fold(0.0, f64::max).max(1e-9);
    let last = values.len() - 1;
    svg(WIDTH, HEIGHT, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(4)
            .build_cartesian_2d(0.0..last as f64, 0.0..max)
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                NEUTRAL.stroke_width(2),
            ))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (last as f64, values[last]),
                3,
                INK.filled(),
            )))
            .map_err(fail)?;
        Ok(())
    })
}
