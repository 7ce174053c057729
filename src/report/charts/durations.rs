//! For one rule, how long its episodes' condition held, binned, with the
//! current and the recommended `for:` marked: with `for: F` an episode that
//! fired for d had its condition true for F + d, and with `for: F'` only the
//! episodes right of F' would have fired.

use super::{fail, label, minutes_label, svg, FONT, GOOD, INK, NEUTRAL, SHORT};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Bin edges in seconds; the last bin is open-ended.
const EDGES: [f64; 13] = [
    0.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0,
];

/// What one rule's histogram shows.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationInput {
    /// Firing durations of the rule's resolved episodes, in seconds.
    pub firing_s: Vec<f64>,
    /// The rule's `for:` in seconds (0 when unknown).
    pub current_for_s: f64,
    /// The recommended `for:` in seconds, when there is `raise_for` advice.
    pub recommended_for_s: Option<f64>,
}

/// Episodes per bin of condition time (`for:` + firing duration).
pub fn bin_counts(input: &DurationInput) -> Vec<u32> {
    let mut counts = vec![0u32; EDGES.len()];
    for d in &input.firing_s {
        let held = input.current_for_s + d.max(0.0);
        let bin = EDGES.iter().rposition(|e| held >= *e).unwrap_or(0);
        counts[bin] += 1;
    }
    counts
}

/// Where a number of seconds falls on the binned axis (bin index + fraction).
fn position(seconds: f64) -> f64 {
    let bin = EDGES.iter().rposition(|e| seconds >= *e).unwrap_or(0);
    match EDGES.get(bin + 1) {
        Some(next) => bin as f64 + (seconds - EDGES[bin]) / (next - EDGES[bin]),
        None => bin as f64,
    }
}

fn bin_label(bin: usize) -> String {
    let from = minutes_label(EDGES[bin] / 60.0);
    match EDGES.get(bin + 1) {
        Some(next) if bin == 0 => format!("<{}", minutes_label(next / 60.0)),
        Some(next) => format!("{from}–{}", minutes_label(next / 60.0)),
        None => format!("≥{from}"),
    }
}

/// Labels whole counts only (an axis of episodes has no halves).
fn whole(v: &f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// Draws the histogram with its marks.
pub fn chart(input: &DurationInput) -> Result<String> {
    let counts = bin_counts(input);
    let bins = counts.len();
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.15;
    svg(900, 300, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..bins as f64, 0.0..top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&whole)
            .y_desc("episodes")
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| {
                let mut r = Rectangle::new(
                    [(i as f64, 0.0), (i as f64 + 1.0, *c as f64)],
                    NEUTRAL.mix(0.7).filled(),
                );
                r.set_margin(0, 0, 2, 2);
                r
            }))
            .map_err(fail)?;
        for bin in 0..bins {
            let (x, y) = chart.backend_coord(&(bin as f64 + 0.5, 0.0));
            label(
                root,
                &bin_label(bin),
                (x, y + 8),
                15,
                INK,
                (HPos::Center, VPos::Top),
            )?;
        }
        let (x, y) = chart.backend_coord(&(bins as f64 / 2.0, 0.0));
        label(
            root,
            "how long the condition held (for: + firing duration)",
            (x, y + 28),
            15,
            INK,
            (HPos::Center, VPos::Top),
        )?;
        let mut marks = vec![(
            input.current_for_s,
            format!("current for: {}", minutes_label(input.current_for_s / 60.0)),
            SHORT,
        )];
        if let Some(r) = input.recommended_for_s {
            marks.push((r, format!("advised for: {}", minutes_label(r / 60.0)), GOOD));
        }
        for (i, (seconds, text, colour)) in marks.into_iter().enumerate() {
            let x = position(seconds);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, top)],
                    colour.stroke_width(2),
                )))
                .map_err(fail)?;
            let (px, py) = chart.backend_coord(&(x, top));
            label(
                root,
                &text,
                (px + 4, py + 4 + 16 * i as i32),
                16,
                colour,
                (HPos::Left, VPos::Top),
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_count_condition_time_from_the_current_for() {
        let input = DurationInput {
            firing_s: vec![10.0, 45.0, 70.0, 4000.0, 200_000.0],
            current_for_s: 60.0,
            recommended_for_s: Some(300.0),
        };
        let counts = bin_counts(&input);
        // 70 s, 105 s → 1–2m; 130 s → 2–5m; 4060 s → 1–2h; 200060 s → ≥1d.
        assert_eq!(counts[2], 2);
        assert_eq!(counts[3], 1);
        assert_eq!(counts[8], 1);
        assert_eq!(counts[12], 1);
        assert_eq!(counts.iter().sum::<u32>(), 5);
        assert_eq!(position(300.0), 4.0);
        assert_eq!(position(450.0), 4.5);
        assert_eq!(bin_label(0), "<30s");
        assert_eq!(bin_label(4), "5m–10m");
        assert_eq!(bin_label(12), "≥24h");
    }
}
