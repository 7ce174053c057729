//! Inline SVG charts for the HTML pages, drawn with plotters' SVG backend.
//!
//! One file per chart. Every function returns one `<svg>` element as text.
//! Labels go through plotters, which escapes text and attribute values for
//! XML, so a rule named `<script>` is drawn as text.

pub mod durations;
pub mod gantt;
pub mod heatmap;
pub mod leaderboard;
pub mod sparkline;
pub mod stacked;
pub mod tradeoff;

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The canvas a chart draws on.
pub type Canvas<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Short episodes (the colour the notebook uses too).
pub const SHORT: RGBColor = RGBColor(0xd6, 0x27, 0x28);
/// Refires.
pub const REFIRE: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
/// Reviewed, not actionable.
pub const NOT_ACTIONABLE: RGBColor = RGBColor(0x94, 0x67, 0xbd);
/// Actionable, or the chosen setting.
pub const GOOD: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
/// Neutral marks: episodes, the current setting.
pub const NEUTRAL: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// Text and axes.
pub const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Faint background marks.
pub const FAINT: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);

/// The font every chart uses (a generic family: no font is fetched).
pub const FONT: &str = "sans-serif";

/// Draws on a `width` × `height` SVG canvas and returns the `<svg>` element.
pub fn svg<F>(width: u32, height: u32, draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend, Shift>) -> std::result::Result<(), String>,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        draw(&root).map_err(|reason| Error::Output {
            path: "chart".into(),
            reason,
        })?;
        root.present().map_err(chart_error)?;
    }
    Ok(out)
}

fn chart_error<E: std::fmt::Debug>(e: E) -> Error {
    Error::Output {
        path: "chart".into(),
        reason: format!("{e:?}"),
    }
}

/// Draws `text` at a pixel position of the canvas in the charts' font,
/// `anchor` saying which of its corners or middles sits there.
pub fn label(
    root: &Canvas,
    text: &str,
    at: (i32, i32),
    size: u32,
    colour: RGBColor,
    anchor: (HPos, VPos),
) -> std::result::Result<(), String> {
    root.draw(&Text::new(
        text,
        at,
        (FONT, size)
            .into_font()
            .color(&colour)
            .pos(Pos::new(anchor.0, anchor.1)),
    ))
    .map_err(fail)
}

/// Turns a drawing error into the message `svg` reports.
pub fn fail<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Shortens a label to `max` characters (with an ellipsis) so axes stay readable.
pub fn clip_label(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let kept: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// Formats minutes for an axis: `30s`, `5m`, `2h`.
pub fn minutes_label(minutes: f64) -> String {
    if minutes < 1.0 {
        format!("{:.0}s", minutes * 60.0)
    } else if minutes < 60.0 {
        format!("{minutes:.0}m")
    } else {
        let hours = minutes / 60.0;
        if (hours - hours.round()).abs() < 1e-9 {
            format!("{hours:.0}h")
        } else {
            format!("{hours:.1}h")
        }
    }
}
