//! The retrospective's timeline: one row per rule, one bar per alert episode
//! from its start to its end (or the end of the frame), coloured by the
//! review verdict, with the incident's start and end marked.

use super::{clip_label, fail, label, svg, FONT, GOOD, INK, NOT_ACTIONABLE, SHORT};
use crate::error::Result;
use crate::timefmt::Millis;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// What the review meeting said of an episode, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Reviewed as actionable.
    Actionable,
    /// Reviewed as needing no action.
    Noise,
    /// No review verdict.
    NotReviewed,
}

/// One episode's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Start, epoch ms.
    pub start: Millis,
    /// End, epoch ms (the frame's end when still firing).
    pub end: Millis,
    /// Its colour.
    pub verdict: Verdict,
}

/// One rule's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The rule.
    pub name: String,
    /// Its episodes.
    pub bars: Vec<Bar>,
}

/// The time shown and the marks on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Left edge, epoch ms.
    pub from: Millis,
    /// Right edge, epoch ms.
    pub to: Millis,
    /// Times are labelled relative to this (the incident's start, else `from`).
    pub reference: Millis,
    /// Vertical marks: time and label (incident start, incident end).
    pub marks: Vec<(Millis, String)>,
}

/// The colour of a verdict's bars (the page's legend uses the same).
pub fn colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Actionable => GOOD,
        Verdict::Noise => NOT_ACTIONABLE,
        Verdict::NotReviewed => RGBColor(0x88, 0x88, 0x88),
    }
}

/// Draws the timeline.
pub fn chart(rows: &[Row], span: &Span) -> Result<String> {
    let n = rows.len().max(1);
    let minutes = |t: Millis| (t - span.reference) as f64 / 60_000.0;
    let (x0, x1) = (
        minutes(span.from),
        minutes(span.to).max(minutes(span.from) + 1.0),
    );
    let names: Vec<String> = rows.iter().map(|r| clip_label(&r.name, 30)).collect();
    svg(900, 80 + 28 * n as u32, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(x0..x1, 0.0..n as f64)
            .map_err(fail)?;
        let x_label = |m: &f64| crate::report::retro::offset((*m * 60_000.0) as Millis, 0);
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&x_label)
            .x_desc("time relative to the incident's start")
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(fail)?;
        // Row 0 is drawn at the top.
        let y_of = |i: usize| (n - 1 - i) as f64;
        for (i, name) in names.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(x0, y_of(i) + 0.5));
            label(root, name, (x - 8, y), 15, INK, (HPos::Right, VPos::Center))?;
        }
        for (i, row) in rows.iter().enumerate() {
            let y = y_of(i);
            chart
                .draw_series(row.bars.iter().map(|b| {
                    let start = minutes(b.start.max(span.from));
                    // Keep a very short episode visible.
                    let end = minutes(b.end.min(span.to)).max(start + (x1 - x0) / 400.0);
                    Rectangle::new(
                        [(start, y + 0.2), (end, y + 0.8)],
                        colour(b.verdict).filled(),
                    )
                }))
                .map_err(fail)?;
        }
        for (t, mark) in &span.marks {
            let x = minutes(*t);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, n as f64)],
                    SHORT.stroke_width(2),
                )))
                .map_err(fail)?;
            let (px, py) = chart.backend_coord(&(x, n as f64));
            label(root, mark, (px + 4, py), 15, SHORT, (HPos::Left, VPos::Top))?;
        }
        Ok(())
    })
}
