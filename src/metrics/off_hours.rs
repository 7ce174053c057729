//! When alerts interrupt people: `off_hours_ratio`.
//!
//! Business hours are given as `--business-hours "Mon-Fri 09:00-18:00"` in the
//! time zone `--tz` (an IANA name such as `Europe/Berlin`; default UTC). An
//! episode is off-hours when it starts outside them; the end of the range is
//! excluded (18:00 is off-hours).

use super::{count_true, ratio, Context, MetricFamily};
use chrono::{Datelike, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use polars::prelude::*;

/// The share of episodes starting outside business hours.
pub struct OffHours;

impl MetricFamily for OffHours {
    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![count_true(col("off_hours")).alias("_off_hours")]
    }

    fn outputs(&self, _ctx: &Context) -> Vec<Expr> {
        vec![ratio(col("_off_hours"), col("episodes")).alias("off_hours_ratio")]
    }
}

/// Working days and hours in a time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// Working days, Monday = index 0.
    pub days: [bool; 7],
    /// Start of the working day, minutes after midnight (inclusive).
    pub start_min: u32,
    /// End of the working day, minutes after midnight (exclusive).
    pub end_min: u32,
    /// The time zone the hours are in.
    pub tz: Tz,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours {
            days: [true, true, true, true, true, false, false],
            start_min: 9 * 60,
            end_min: 18 * 60,
            tz: Tz::UTC,
        }
    }
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(name: &str) -> Result<usize, String> {
    let lower = name.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| lower.starts_with(d))
        .ok_or_else(|| format!("`{name}` is not a day (use Mon, Tue, … Sun)"))
}

fn minutes(text: &str) -> Result<u32, String> {
    let (h, m) = text
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not a time of day (use HH:MM)"))?;
    let (h, m): (u32, u32) = (
        h.parse()
            .map_err(|_| format!("`{text}` is not a time of day"))?,
        m.parse()
            .map_err(|_| format!("`{text}` is not a time of day"))?,
    );
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(format!("`{text}` is not a time of day"));
    }
    Ok(h * 60 + m)
}

impl BusinessHours {
    /// Parses `"Mon-Fri 09:00-18:00"` (days as a range or a comma list) in `tz`.
    pub fn parse(spec: &str, tz: Tz) -> Result<Self, String> {
        let (days_part, hours_part) = spec.trim().split_once(' ').ok_or_else(|| {
            format!("`{spec}` is not business hours (example: \"Mon-Fri 09:00-18:00\")")
        })?;
        let mut days = [false; 7];
        for part in days_part.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day_index(a)?, day_index(b)?);
                    let mut d = a;
                    loop {
                        days[d] = true;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => days[day_index(part)?] = true,
            }
        }
        let (from, to) = hours_part
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("`{hours_part}` is not an hour range (example: 09:00-18:00)"))?;
        let (start_min, end_min) = (minutes(from)?, minutes(to)?);
        if start_min >= end_min {
            return Err(format!(
                "business hours `{hours_part}` end before they start"
            ));
        }
        Ok(BusinessHours {
            days,
            start_min,
            end_min,
            tz,
        })
    }

    /// Whether an instant (epoch ms) falls outside business hours.
    pub fn is_off_hours(&self, millis: i64) -> bool {
        let Some(t) = self.tz.timestamp_millis_opt(millis).single() else {
            return false;
        };
        let day = match t.weekday() {
            Weekday::Mon => 0,
            Weekday::Tue => 1,
            Weekday::Wed => 2,
            Weekday::Thu => 3,
            Weekday::Fri => 4,
            Weekday::Sat => 5,
            Weekday::Sun => 6,
        };
        let minute = t.hour() * 60 + t.minute();
        !(self.days[day] && minute >= self.start_min && minute < self.end_min)
    }
}

/// Marks every episode that starts outside business hours (column `off_hours`).
pub fn off_hours_flags(frame: &DataFrame, hours: &BusinessHours) -> PolarsResult<Column> {
    let starts = frame.column("starts_at")?.cast(&DataType::Int64)?;
    let flags: Vec<bool> = starts
        .i64()?
        .iter()
        .map(|s| s.is_some_and(|s| hours.is_off_hours(s)))
        .collect();
    Ok(Column::new("off_hours".into(), flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_classify_in_a_time_zone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let hours = BusinessHours::parse("Mon-Fri 09:00-18:00", tz).unwrap();
        // 2026-11-16 is a Monday. 08:30 UTC is 09:30 in Berlin (CET, +1).
        let monday_0830_utc = 1_794_817_800_000;
        assert!(!hours.is_off_hours(monday_0830_utc));
        // 17:00 UTC is 18:00 Berlin: the end is excluded.
        assert!(hours.is_off_hours(monday_0830_utc + 8 * 3_600_000 + 1_800_000));
        // Saturday.
        assert!(hours.is_off_hours(monday_0830_utc + 5 * 86_400_000));
    }

    #[test]
    fn wrapping_day_ranges_and_lists() {
        let h = BusinessHours::parse("Sun-Tue 08:00-12:00", Tz::UTC).unwrap();
        assert_eq!(h.days, [true, true, false, false, false, false, true]);
        let h = BusinessHours::parse("Mon,Wed 08:00-12:00", Tz::UTC).unwrap();
        assert_eq!(h.days, [true, false, true, false, false, false, false]);
        assert!(BusinessHours::parse("Mon-Fri 18:00-09:00", Tz::UTC).is_err());
        assert!(BusinessHours::parse("Funday 08:00-12:00", Tz::UTC).is_err());
    }
}
