//! When alerts interrupt people: `off_hours_ratio`.
//!
//! Business hours are given as `--business-hours "Mon-Fri 09:00-18:00"` in the
//! time zone `--tz` (an IANA name such as `Europe/Berlin`; default UTC). An
//! episode is off-hours when it starts outside them; the end of the range is
//! excluded (18:00 is off-hours).

use super::{count_true, ratio, Context, MetricFamily};
use crate::episode_table::NO_TIME;
use crate::timefmt::Millis;
use chrono::{Datelike, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use polars::prelude::*;

/// The share of episodes starting outside business hours.
pub struct OffHours;

impl MetricFamily for OffHours {
    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![count_true(col(super::OFF_HOURS_COLUMN)).alias("_off_hours")]
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
        self.is_off_hours_at(day, t.hour() * 60 + t.minute())
    }

    /// Whether a local weekday (Monday = 0) and minute of the day fall
    /// outside business hours.
    fn is_off_hours_at(&self, day: usize, minute: u32) -> bool {
        !(self.days[day] && minute >= self.start_min && minute < self.end_min)
    }
}

/// Marks every episode that starts outside business hours (column
/// `off_hours`); `starts` are the table's start times ([`NO_TIME`] where
/// none: never off hours).
pub fn off_hours_flags(starts: &[Millis], hours: &BusinessHours) -> Column {
    use rayon::prelude::*;
    let span =
        starts
            .iter()
            .filter(|&&t| t != NO_TIME)
            .fold(None, |span: Option<(i64, i64)>, &t| {
                Some(span.map_or((t, t), |(first, last)| (first.min(t), last.max(t))))
            });
    let clock = LocalClock::new(hours, span.map(|s| s.0), span.map(|s| s.1));
    let flags: Vec<bool> = starts
        .par_iter()
        .with_min_len(1 << 16)
        .map(|&t| t != NO_TIME && clock.is_off_hours(t))
        .collect();
    Column::new(super::OFF_HOURS_COLUMN.into(), flags)
}

/// Milliseconds in an hour and in a day.
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// [`BusinessHours::is_off_hours`] for many instants between two: the
/// zone's offset from UTC is looked up once per UTC hour of that span, not
/// once per instant, and the local weekday and minute follow from it by
/// arithmetic. An hour whose offset differs at its start and its end (a
/// clock change inside it) is read the slow way. No zone changes its offset
/// twice within an hour.
pub struct LocalClock<'a> {
    hours: &'a BusinessHours,
    first_hour: i64,
    /// Per UTC hour from `first_hour`: the offset in milliseconds, or
    /// `None` where it changes within the hour.
    offsets: Vec<Option<i64>>,
}

/// More hours than this (about 23 years) are not worth a table: such a
/// span is read the slow way.
const MOST_HOURS: i64 = 200_000;

impl<'a> LocalClock<'a> {
    /// A clock for instants from `first` to `last` (epoch ms), if any.
    pub fn new(hours: &'a BusinessHours, first: Option<i64>, last: Option<i64>) -> Self {
        let (first_hour, offsets) = match (first, last) {
            (Some(first), Some(last)) if last >= first => {
                let (from, to) = (first.div_euclid(HOUR_MS), last.div_euclid(HOUR_MS));
                if to - from < MOST_HOURS {
                    let offsets = (from..=to)
                        .map(|h| {
                            let start = offset_ms(hours.tz, h * HOUR_MS)?;
                            let end = offset_ms(hours.tz, (h + 1) * HOUR_MS - 1)?;
                            (start == end).then_some(start)
                        })
                        .collect();
                    (from, offsets)
                } else {
                    (0, Vec::new())
                }
            }
            _ => (0, Vec::new()),
        };
        LocalClock {
            hours,
            first_hour,
            offsets,
        }
    }

    /// Whether an instant (epoch ms) falls outside business hours.
    pub fn is_off_hours(&self, millis: i64) -> bool {
        match self.weekday_and_minute(millis) {
            Some((day, minute)) => self.hours.is_off_hours_at(day, minute),
            None => false,
        }
    }

    /// An instant's local weekday (Monday = 0) and minute of the day in the
    /// business hours' zone.
    pub fn weekday_and_minute(&self, millis: i64) -> Option<(usize, u32)> {
        let hour = millis.div_euclid(HOUR_MS) - self.first_hour;
        let known = usize::try_from(hour)
            .ok()
            .and_then(|h| self.offsets.get(h).copied().flatten());
        let offset = match known {
            Some(offset) => offset,
            None => offset_ms(self.hours.tz, millis)?,
        };
        let local = millis + offset;
        // 1970-01-01 was a Thursday (Monday = 0).
        let day = (local.div_euclid(DAY_MS) + 3).rem_euclid(7) as usize;
        let minute = (local.rem_euclid(DAY_MS) / 60_000) as u32;
        Some((day, minute))
    }
}

/// The zone's offset from UTC at an instant, in milliseconds.
fn offset_ms(tz: Tz, millis: i64) -> Option<i64> {
    use chrono::Offset;
    let t = tz.timestamp_millis_opt(millis).single()?;
    Some(i64::from(t.offset().fix().local_minus_utc()) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The clock's hour table gives what asking the zone for every
        /// instant gives (off hours, weekday and minute), in zones with clock changes on the hour, on the
        /// half hour (Lord Howe) and at odd offsets (Kathmandu), around
        /// their changes too.
        #[test]
        fn the_local_clock_reads_instants_as_the_zone_does(
            zone in proptest::sample::select(vec![
                "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                "Asia/Kathmandu", "America/St_Johns", "UTC",
            ]),
            spec in proptest::sample::select(vec![
                "Mon-Fri 09:00-18:00", "Sat,Sun 00:30-23:45", "Tue-Mon 02:00-03:00",
            ]),
            first in 1_600_000_000_000i64..1_800_000_000_000,
            offsets in proptest::collection::vec(0i64..400 * DAY_MS, 1..200),
        ) {
            let hours = BusinessHours::parse(spec, zone.parse().unwrap()).unwrap();
            let instants: Vec<i64> = offsets.iter().map(|o| first + o).collect();
            let clock = LocalClock::new(
                &hours,
                instants.iter().copied().min(),
                instants.iter().copied().max(),
            );
            for &t in &instants {
                // Each instant, and the minutes around a clock change.
                for t in [t, t - t.rem_euclid(HOUR_MS), t - t.rem_euclid(HOUR_MS) - 60_000] {
                    if t >= first {
                        proptest::prop_assert_eq!(clock.is_off_hours(t), hours.is_off_hours(t), "{}", t);
                        let zone = hours.tz.timestamp_millis_opt(t).single().map(|local| {
                            let day = local.weekday().num_days_from_monday() as usize;
                            (day, local.hour() * 60 + local.minute())
                        });
                        proptest::prop_assert_eq!(clock.weekday_and_minute(t), zone, "{}", t);
                    }
                }
            }
        }
    }

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
