//! Timestamps and durations as alert tools write them.
//!
//! Timestamps: RFC 3339 with 0–9 fractional digits and any offset (also with a
//! space instead of `T`), Go's zero time `0001-01-01T00:00:00Z` meaning "none",
//! and epoch seconds or milliseconds. Durations: Prometheus syntax (`90s`,
//! `5m`, `1h30m`, `1d`, `1w`, `250ms`).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch, UTC. The unit of every time in the episode table.
pub type Millis = i64;

/// Epoch values at or above this are read as milliseconds (10^11 s is the year 5138).
const EPOCH_MILLIS_FROM: f64 = 1e11;

/// Go's zero `time.Time`, which Alertmanager writes for "no end yet".
fn is_go_zero_time(text: &str) -> bool {
    text.starts_with("0001-01-01T00:00:00")
}

/// What a timestamp field held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// A point in time, in epoch milliseconds.
    At(Millis),
    /// Explicitly no time: empty, or Go's zero time.
    Unset,
}

/// Parses a timestamp written as RFC 3339, Go's zero time, or epoch seconds/ms.
pub fn parse_stamp(text: &str) -> Result<Stamp, String> {
    let text = text.trim();
    if text.is_empty() || is_go_zero_time(text) {
        return Ok(Stamp::Unset);
    }
    if let Some(t) = parse_rfc3339_common(text) {
        return Ok(Stamp::At(t));
    }
    if let Ok(number) = text.parse::<f64>() {
        return epoch_to_millis(number).map(Stamp::At);
    }
    parse_rfc3339(text).map(Stamp::At)
}

/// Reads the shape nearly every export writes, `YYYY-MM-DDTHH:MM:SS`, any
/// fractional digits, then `Z` or `±HH:MM`, straight from its digits (the
/// run reads millions of them); `None` for anything else, which
/// [`parse_rfc3339`] then reads. Gives what chrono gives (a property test
/// says so): fractions truncated to milliseconds, no leap seconds.
fn parse_rfc3339_common(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let digits = |from: usize, to: usize| ascii_number(&b[from..to]);
    let days = days_of_date(b)?;
    let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if b[at] == b'.' {
        let first = at + 1;
        at = first;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        let count = at - first;
        if count == 0 {
            return None;
        }
        let kept = count.min(3);
        millis = digits(first, first + kept)? * 10i64.pow(3 - kept as u32);
    }
    let offset_seconds = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (digits(at + 1, at + 3)?, digits(at + 4, at + 6)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds * 1000 + millis)
}

thread_local! {
    /// The last date [`days_of_date`] read on this thread (its ten bytes)
    /// and its day number: a row's or a body's stamps are mostly of one day.
    static LAST_DATE: std::cell::Cell<(u128, i64)> = const { std::cell::Cell::new((u128::MAX, 0)) };
}

/// The number that ASCII digits spell (`None` if any byte is not a digit).
fn ascii_number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// The days from 1970-01-01 to the date `YYYY-MM-DD` that `b` begins with,
/// if it is one (digits, a month of the year, a day of the month).
fn days_of_date(b: &[u8]) -> Option<i64> {
    let mut date = [0u8; 16];
    date[..10].copy_from_slice(&b[..10]);
    let key = u128::from_le_bytes(date);
    let (last, days) = LAST_DATE.get();
    if key == last {
        return Some(days);
    }
    let digits = |from: usize, to: usize| ascii_number(&b[from..to]);
    let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    LAST_DATE.set((key, days));
    Some(days)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (counted in 400-year eras of 146,097 days).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Reads an epoch number: seconds below 10^11, milliseconds from there on.
pub fn epoch_to_millis(number: f64) -> Result<Millis, String> {
    if !number.is_finite() || number < 0.0 {
        return Err(format!("{number} is not a valid epoch time"));
    }
    let millis = if number >= EPOCH_MILLIS_FROM {
        number
    } else {
        number * 1000.0
    };
    if millis > 253_402_300_799_999.0 {
        return Err(format!("{number} is after the year 9999"));
    }
    Ok(millis.round() as Millis)
}

/// Parses RFC 3339 (any number of fractional digits, any offset, `T` or space).
pub fn parse_rfc3339(text: &str) -> Result<Millis, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).timestamp_millis());
    }
    // chrono accepts at most 9 fractional digits; also allow a space separator
    // and "+0000"-style offsets, both common in CSV exports.
    let normalised = text.replacen(' ', "T", 1);
    for format in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(&normalised, format) {
            return Ok(t.with_timezone(&Utc).timestamp_millis());
        }
    }
    if let Some(stripped) = normalised.strip_suffix(['Z', 'z']) {
        if let Ok(t) = NaiveDateTime::parse_from_str(stripped, "%Y-%m-%dT%H:%M:%S%.f") {
            return Ok(Utc.from_utc_datetime(&t).timestamp_millis());
        }
    }
    Err(format!(
        "`{text}` is not a timestamp (expected RFC 3339 such as 2024-05-01T12:00:00Z, or epoch seconds/milliseconds)"
    ))
}

/// A timestamp that may lack an offset, as exports such as PagerDuty's
/// analytics write them (`2023-05-31T10:05:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalStamp {
    /// What the field held.
    pub stamp: Stamp,
    /// True when the text had no offset and was read in the given zone.
    pub zone_assumed: bool,
}

/// Parses like [`parse_stamp`], and reads a timestamp without an offset in
/// `zone` (the earlier instant when a clock change makes it ambiguous; an
/// error when it makes it impossible).
pub fn parse_stamp_in(text: &str, zone: chrono_tz::Tz) -> Result<LocalStamp, String> {
    let with_offset = parse_stamp(text);
    if let Ok(stamp) = with_offset {
        return Ok(LocalStamp {
            stamp,
            zone_assumed: false,
        });
    }
    let normalised = text.trim().replacen(' ', "T", 1);
    let naive = NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M"));
    let Ok(naive) = naive else {
        return with_offset.map(|stamp| LocalStamp {
            stamp,
            zone_assumed: false,
        });
    };
    match zone.from_local_datetime(&naive).earliest() {
        Some(t) => Ok(LocalStamp {
            stamp: Stamp::At(t.timestamp_millis()),
            zone_assumed: true,
        }),
        None => Err(format!(
            "`{}` does not exist in {} (skipped by a clock change)",
            text.trim(),
            zone.name()
        )),
    }
}

/// Formats epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn format_millis(millis: Millis) -> String {
    match Utc.timestamp_millis_opt(millis).single() {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => millis.to_string(),
    }
}

const DURATION_UNITS: [(&str, i64); 7] = [
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a Prometheus duration (`90s`, `5m`, `1h30m`, `1d`, `1w`) into milliseconds.
///
/// Units must appear from largest to smallest, each at most once, as in Prometheus.
pub fn parse_duration(text: &str) -> Result<Millis, String> {
    let bad = || {
        format!("`{text}` is not a duration (use Prometheus syntax such as 90s, 5m, 1h30m, 1d, 1w)")
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if text == "0" {
        return Ok(0);
    }
    let bytes = text.as_bytes();
    let mut total: i64 = 0;
    let mut i = 0;
    let mut last_unit_rank = usize::MAX;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return Err(bad());
        }
        let number: i64 = text[digits_start..i].parse().map_err(|_| bad())?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &text[unit_start..i];
        let rank = DURATION_UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(bad)?;
        if last_unit_rank != usize::MAX && rank <= last_unit_rank {
            return Err(bad());
        }
        last_unit_rank = rank;
        total = number
            .checked_mul(DURATION_UNITS[rank].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

/// Formats milliseconds the way Prometheus prints a duration (`1h30m`, `5m`, `0s`).
pub fn format_duration(millis: Millis) -> String {
    if millis == 0 {
        return "0s".to_string();
    }
    let mut rest = millis;
    let mut out = String::new();
    for (name, size) in DURATION_UNITS {
        if rest >= size {
            out.push_str(&format!("{}{}", rest / size, name));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What chrono alone makes of an RFC 3339 text.
    fn chrono_millis(text: &str) -> Option<Millis> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc).timestamp_millis())
    }

    proptest! {
        #[test]
        fn the_common_shape_is_read_as_chrono_reads_it(
            year in 0i64..10_000,
            month in 0i64..14,
            day in 0i64..33,
            hour in 0i64..25,
            minute in 0i64..61,
            second in 0i64..61,
            fraction in proptest::option::of("[0-9]{0,11}"),
            offset in proptest::option::of((proptest::bool::ANY, 0i64..25, 0i64..61)),
        ) {
            let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
            if let Some(fraction) = &fraction {
                text.push('.');
                text.push_str(fraction);
            }
            match offset {
                None => text.push('Z'),
                Some((east, h, m)) => text.push_str(&format!("{}{h:02}:{m:02}", if east { '+' } else { '-' })),
            }
            let common = parse_rfc3339_common(&text);
            if common.is_some() {
                prop_assert_eq!(common, chrono_millis(&text), "{}", text);
            }
            if let Some(millis) = chrono_millis(&text) {
                // What chrono reads, a run reads the same (through either path)…
                if !is_go_zero_time(&text) {
                    prop_assert_eq!(parse_stamp(&text), Ok(Stamp::At(millis)), "{}", &text);
                }
                // …and the common path reads it unless it is a leap second.
                if second < 60 {
                    prop_assert_eq!(common, Some(millis), "{}", text);
                }
            }
        }

        /// Stamps of a few dates, valid and not, read one after another
        /// (the last date read is remembered) are read as chrono reads them.
        #[test]
        fn runs_of_stamps_of_a_few_dates_are_read_as_chrono_reads_them(
            stamps in proptest::collection::vec((0usize..6, 0i64..24, 0i64..60), 1..40),
        ) {
            let dates = ["2024-02-29", "2023-02-29", "2025-12-31", "2026-01-01", "2025-13-01", "20x5-01-01"];
            for (date, hour, minute) in stamps {
                let text = format!("{}T{hour:02}:{minute:02}:07.25Z", dates[date]);
                prop_assert_eq!(parse_rfc3339_common(&text), chrono_millis(&text), "{}", text);
            }
        }
    }

    #[test]
    fn fractional_digits_from_zero_to_nine_and_offsets() {
        let base = parse_rfc3339("2019-01-02T10:31:46Z").unwrap();
        assert_eq!(
            parse_rfc3339("2019-01-02T10:31:46.05445419Z").unwrap(),
            base + 54
        );
        assert_eq!(
            parse_rfc3339("2019-01-02T10:31:46.123456789Z").unwrap(),
            base + 123
        );
        assert_eq!(
            parse_rfc3339("2019-01-02T11:31:46.5+01:00").unwrap(),
            base + 500
        );
        assert_eq!(parse_rfc3339("2019-01-02 10:31:46Z").unwrap(), base);
        assert_eq!(parse_rfc3339("2019-01-02T05:31:46-0500").unwrap(), base);
    }

    #[test]
    fn timestamps_without_an_offset_are_read_in_the_zone() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let read = parse_stamp_in("2023-05-31T10:05:00", berlin).unwrap();
        assert!(read.zone_assumed);
        assert_eq!(
            read.stamp,
            Stamp::At(parse_rfc3339("2023-05-31T08:05:00Z").unwrap())
        );
        let read = parse_stamp_in("2023-05-31T10:05:00Z", berlin).unwrap();
        assert!(!read.zone_assumed);
        // The hour skipped by the spring clock change does not exist.
        assert!(parse_stamp_in("2023-03-26 02:30:00", berlin).is_err());
        assert!(parse_stamp_in("yesterday", berlin).is_err());
    }

    #[test]
    fn go_zero_time_and_empty_are_unset() {
        assert_eq!(parse_stamp("0001-01-01T00:00:00Z").unwrap(), Stamp::Unset);
        assert_eq!(parse_stamp("").unwrap(), Stamp::Unset);
    }

    #[test]
    fn epoch_seconds_and_millis() {
        assert_eq!(
            parse_stamp("1700000000").unwrap(),
            Stamp::At(1_700_000_000_000)
        );
        assert_eq!(
            parse_stamp("1700000000123").unwrap(),
            Stamp::At(1_700_000_000_123)
        );
        assert_eq!(
            parse_stamp("1700000000.5").unwrap(),
            Stamp::At(1_700_000_000_500)
        );
    }

    #[test]
    fn impossible_dates_are_errors() {
        assert!(parse_stamp("2024-02-30T00:00:00Z").is_err());
        assert!(parse_stamp("2024-01-01T25:00:00Z").is_err());
        assert!(parse_stamp("yesterday").is_err());
        assert!(parse_stamp("-5").is_err());
    }

    #[test]
    fn prometheus_durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90_000);
        assert_eq!(parse_duration("5m").unwrap(), 300_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration("1d").unwrap(), 86_400_000);
        assert_eq!(parse_duration("1w").unwrap(), 604_800_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250);
        assert!(parse_duration("30m1h").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 m").is_err());
        assert!(parse_duration("m").is_err());
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(300_000), "5m");
    }
}
