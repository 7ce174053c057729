//! Firings per rule × hour of week: when each rule fires, in the report's
//! time zone (`--tz`). Night and weekend columns show which rules wake people.

use super::{clip_label, fail, label, svg, FAINT, INK};
use crate::error::Result;
use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Hours in a week.
pub const HOURS: usize = 168;

/// One rule's row: episodes started in each hour of the week (Monday 00:00 first).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatRow {
    /// The rule's label.
    pub name: String,
    /// Episode starts per hour of week.
    pub counts: Vec<u32>,
}

/// The hour of week (0 = Monday 00:00–01:00) of an instant in `tz`,
/// asking the zone (the charts read many instants through
/// `metrics::off_hours::LocalClock` and [`hour_of_week_at`]).
pub fn hour_of_week(ms: i64, tz: Tz) -> usize {
    match tz.timestamp_millis_opt(ms).single() {
        Some(t) => hour_of_week_at(
            t.weekday().num_days_from_monday() as usize,
            t.hour() * 60 + t.minute(),
        ),
        None => 0,
    }
}

/// The hour of week of a local weekday (Monday = 0) and minute of the day.
pub fn hour_of_week_at(day: usize, minute: u32) -> usize {
    day * 24 + minute as usize / 60
}

const LEFT: i32 = 250;
const TOP: i32 = 30;
const ROW: i32 = 20;
const CELL: f64 = 3.75;

/// Draws the heatmap; darker cells had more episode starts.
pub fn chart(rows: &[HeatRow], tz_name: &str) -> Result<String> {
    let max = rows
        .iter()
        .flat_map(|r| r.counts.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = (TOP + ROW * rows.len().max(1) as i32 + 50) as u32;
    let right = |hour: usize| LEFT + (hour as f64 * CELL).round() as i32;
    svg(
        LEFT as u32 + (HOURS as f64 * CELL) as u32 + 20,
        height,
        |root| {
            let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            for (d, day) in days.iter().enumerate() {
                let centre = (right(d * 24) + right(d * 24 + 24)) / 2;
                label(
                    root,
                    day,
                    (centre, TOP - 8),
                    16,
                    INK,
                    (HPos::Center, VPos::Bottom),
                )?;
            }
            for (i, row) in rows.iter().enumerate() {
                let y = TOP + ROW * i as i32;
                label(
                    root,
                    &clip_label(&row.name, 32),
                    (LEFT - 8, y + ROW / 2),
                    16,
                    INK,
                    (HPos::Right, VPos::Center),
                )?;
                for (hour, count) in row.counts.iter().enumerate().take(HOURS) {
                    let colour = if *count == 0 {
                        RGBColor(0xf7, 0xf7, 0xf7)
                    } else {
                        shade(*count as f64 / max as f64)
                    };
                    root.draw(&Rectangle::new(
                        [(right(hour), y + 1), (right(hour + 1), y + ROW - 1)],
                        colour.filled(),
                    ))
                    .map_err(fail)?;
                }
            }
            let bottom = TOP + ROW * rows.len() as i32;
            for d in 0..=7 {
                root.draw(&PathElement::new(
                    vec![(right(d * 24), TOP - 4), (right(d * 24), bottom)],
                    FAINT.stroke_width(1),
                ))
                .map_err(fail)?;
            }
            let legend_y = bottom + 18;
            label(
                root,
                &format!(
                    "hour of week in {tz_name}; darkest = {max} episodes started in that hour"
                ),
                (LEFT, legend_y),
                16,
                INK,
                (HPos::Left, VPos::Center),
            )?;
            Ok(())
        },
    )
}

/// White-to-dark-red for a share of the maximum (at least a visible tint).
fn shade(share: f64) -> RGBColor {
    let t = 0.15 + 0.85 * share.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    RGBColor(
        mix(255.0, 0x99 as f64),
        mix(255.0, 0x00 as f64),
        mix(255.0, 0x0d as f64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_of_week_uses_the_time_zone() {
        // 2026-11-16 is a Monday; 23:30 UTC is Tuesday 00:30 in Berlin.
        let monday_2330_utc = 1_794_871_800_000;
        assert_eq!(hour_of_week(monday_2330_utc, Tz::UTC), 23);
        assert_eq!(hour_of_week(monday_2330_utc, chrono_tz::Europe::Berlin), 24);
        // Sunday 23:xx is the last hour.
        assert_eq!(hour_of_week(monday_2330_utc - 86_400_000, Tz::UTC), 167);
    }
}
