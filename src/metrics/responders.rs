//! Who carried the pager: per responder and per week, the pages received
//! and acknowledged, and when they came in the responder's own day —
//! business hours, off hours, sleep hours, as PagerDuty's Operational
//! Reviews split interruptions — with the pages per 12-hour shift against
//! the SRE book's limit of two, and the rules that woke people most
//! (`responders.json` and the report's Responders section; definitions in
//! `docs/responders.md`).
//!
//! A page is a person notified (see `sources::pages`). Its local time is
//! read in the responder's time zone (`--responder-tz NAME=ZONE`, else
//! `--tz`): in `--sleep-hours` (default 22:00–08:00) it is a sleep-hour
//! page; else in `--business-hours` (their days and hours, read in the
//! responder's zone) a business-hour page; else an off-hour page. Shifts
//! are 08:00–20:00 and 20:00–08:00 local; the week starts on Monday 00:00
//! local. Pages count when they fall inside the window.

use super::off_hours::BusinessHours;
use super::Window;
use crate::sources::pages::Page;
use crate::timefmt::Millis;
use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;

/// The SRE book's limit: at most two incidents per 12-hour shift.
pub const SHIFT_LIMIT: u64 = 2;

/// How many rules the "woke people most" list names.
pub const WOKE_LISTED: usize = 10;

/// Sleep hours, minutes after local midnight: `[start, end)`, wrapping past
/// midnight when start > end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SleepHours {
    /// First minute of sleep.
    pub start_min: u32,
    /// First minute awake.
    pub end_min: u32,
}

impl Default for SleepHours {
    fn default() -> Self {
        SleepHours {
            start_min: 22 * 60,
            end_min: 8 * 60,
        }
    }
}

impl SleepHours {
    /// Reads `HH:MM-HH:MM` (e.g. `22:00-08:00`).
    pub fn parse(text: &str) -> Result<SleepHours, String> {
        let minute = |t: &str| -> Result<u32, String> {
            let (h, m) = t
                .trim()
                .split_once(':')
                .ok_or_else(|| format!("`{t}` is not HH:MM"))?;
            let (h, m): (u32, u32) = (
                h.parse().map_err(|_| format!("`{t}` is not HH:MM"))?,
                m.parse().map_err(|_| format!("`{t}` is not HH:MM"))?,
            );
            if h > 24 || m > 59 || (h == 24 && m > 0) {
                return Err(format!("`{t}` is not a time of day"));
            }
            Ok(h * 60 + m)
        };
        let (a, b) = text
            .split_once('-')
            .ok_or_else(|| format!("`{text}` is not HH:MM-HH:MM"))?;
        let (start_min, end_min) = (minute(a)?, minute(b)? % (24 * 60));
        if start_min % (24 * 60) == end_min {
            return Err(format!("`{text}` is empty"));
        }
        Ok(SleepHours { start_min, end_min })
    }

    /// Whether a local minute of the day is asleep.
    pub fn contains(&self, minute: u32) -> bool {
        match self.start_min <= self.end_min {
            true => minute >= self.start_min && minute < self.end_min,
            false => minute >= self.start_min || minute < self.end_min,
        }
    }

    /// As written: `22:00-08:00`.
    pub fn text(&self) -> String {
        let f = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{}-{}", f(self.start_min), f(self.end_min))
    }
}

/// What the responder figures depend on.
#[derive(Debug, Clone)]
pub struct ResponderSettings {
    /// Business hours (their zone is every responder's default zone).
    pub business_hours: BusinessHours,
    /// `--business-hours` as written.
    pub business_hours_text: String,
    /// `--sleep-hours`.
    pub sleep: SleepHours,
    /// `--responder-tz`: zones of named responders.
    pub zones: BTreeMap<String, Tz>,
}

/// When in a responder's day a page came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hours {
    /// Inside business hours.
    Business,
    /// Outside business hours, awake.
    Off,
    /// In sleep hours.
    Sleep,
}

/// Counts of pages.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PageCounts {
    /// Pages received.
    pub pages: u64,
    /// Of those, acknowledged by this responder.
    pub acknowledged: u64,
    /// In business hours.
    pub business_hours: u64,
    /// In off hours (awake).
    pub off_hours: u64,
    /// In sleep hours.
    pub sleep_hours: u64,
}

impl PageCounts {
    fn add(&mut self, page: &Page, hours: Hours) {
        self.pages += 1;
        self.acknowledged += u64::from(page.acknowledged);
        match hours {
            Hours::Business => self.business_hours += 1,
            Hours::Off => self.off_hours += 1,
            Hours::Sleep => self.sleep_hours += 1,
        }
    }
}

/// One responder's week.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekRow {
    /// The Monday the week starts on, in the responder's zone.
    pub week: String,
    /// Its pages.
    #[serde(flatten)]
    pub counts: PageCounts,
}

/// One responder's load over the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponderRow {
    /// The responder's name as the paging tool gives it.
    pub responder: String,
    /// The zone their hours are read in.
    pub tz: String,
    /// All their pages.
    #[serde(flatten)]
    pub counts: PageCounts,
    /// Week by week.
    pub weeks: Vec<WeekRow>,
    /// Shifts (12 hours) in which they got a page.
    pub shifts_paged: u64,
    /// Shifts with more pages than [`SHIFT_LIMIT`].
    pub shifts_over_limit: u64,
    /// The most pages in one shift, and when that shift began (local).
    pub busiest_shift: u64,
    /// When the busiest shift began, local time (`2026-10-25T20:00+01:00`).
    pub busiest_shift_start: Option<String>,
}

/// A rule that paged people in their sleep.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WokeRule {
    /// The rule.
    pub rule: String,
    /// Its sleep-hour pages.
    pub sleep_pages: u64,
    /// How many people they woke.
    pub responders: usize,
}

/// The responder load of a window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RespondersReport {
    /// `--sleep-hours`.
    pub sleep_hours: String,
    /// `--business-hours`.
    pub business_hours: String,
    /// The per-shift limit pages are held against.
    pub shift_limit: u64,
    /// Every responder, the most pages first.
    pub responders: Vec<ResponderRow>,
    /// The rules that woke people most, at most [`WOKE_LISTED`].
    pub woke_most: Vec<WokeRule>,
}

/// The local date and minute of an instant in `tz`.
fn local(at: Millis, tz: Tz) -> Option<(NaiveDate, u32, chrono::DateTime<Tz>)> {
    let t = tz.timestamp_millis_opt(at).single()?;
    Some((t.date_naive(), t.hour() * 60 + t.minute(), t))
}

/// When in the day a page at `at` came for a responder in `tz`.
pub fn hours_of(at: Millis, tz: Tz, settings: &ResponderSettings) -> Hours {
    let Some((date, minute, _)) = local(at, tz) else {
        return Hours::Off;
    };
    if settings.sleep.contains(minute) {
        return Hours::Sleep;
    }
    let b = &settings.business_hours;
    let weekday = date.weekday().num_days_from_monday() as usize;
    match b.days[weekday] && minute >= b.start_min && minute < b.end_min {
        true => Hours::Business,
        false => Hours::Off,
    }
}

/// The local start of the 12-hour shift (08:00 or 20:00) a page at `at` fell in.
fn shift_start(at: Millis, tz: Tz) -> Option<String> {
    let (date, minute, _) = local(at, tz)?;
    let (day, hour) = match minute {
        m if m < 8 * 60 => (date.pred_opt()?, 20),
        m if m < 20 * 60 => (date, 8),
        _ => (date, 20),
    };
    let start = day.and_hms_opt(hour, 0, 0)?;
    let local = tz.from_local_datetime(&start).earliest()?;
    Some(local.format("%Y-%m-%dT%H:%M%:z").to_string())
}

/// The Monday a local date's week starts on.
fn week_of(at: Millis, tz: Tz) -> Option<String> {
    let (date, _, _) = local(at, tz)?;
    let monday = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
    Some(monday.format("%Y-%m-%d").to_string())
}

/// The responder load of the pages inside `window`.
pub fn responders(
    pages: &[Page],
    window: &Window,
    settings: &ResponderSettings,
) -> RespondersReport {
    struct Acc {
        tz: Tz,
        counts: PageCounts,
        weeks: BTreeMap<String, PageCounts>,
        shifts: BTreeMap<String, u64>,
    }
    let mut by_responder: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut woke: BTreeMap<&str, (u64, std::collections::BTreeSet<&str>)> = BTreeMap::new();
    for page in pages
        .iter()
        .filter(|p| p.at >= window.since && p.at < window.until)
    {
        let tz =
            (settings.zones.get(&page.responder).copied()).unwrap_or(settings.business_hours.tz);
        let hours = hours_of(page.at, tz, settings);
        let acc = by_responder.entry(&page.responder).or_insert_with(|| Acc {
            tz,
            counts: PageCounts::default(),
            weeks: BTreeMap::new(),
            shifts: BTreeMap::new(),
        });
        acc.counts.add(page, hours);
        if let Some(week) = week_of(page.at, tz) {
            acc.weeks.entry(week).or_default().add(page, hours);
        }
        if let Some(shift) = shift_start(page.at, tz) {
            *acc.shifts.entry(shift).or_default() += 1;
        }
        if hours == Hours::Sleep {
            let w = woke.entry(&page.rule).or_default();
            w.0 += 1;
            w.1.insert(&page.responder);
        }
    }
    let mut responders: Vec<ResponderRow> = by_responder
        .into_iter()
        .map(|(name, acc)| {
            // The busiest shift: the most pages, the earliest on a tie.
            let busiest = (acc.shifts.iter()).fold(
                None,
                |best: Option<(&String, u64)>, (s, &n)| match best {
                    Some((_, m)) if m >= n => best,
                    _ => Some((s, n)),
                },
            );
            ResponderRow {
                responder: name.to_string(),
                tz: acc.tz.name().to_string(),
                counts: acc.counts,
                weeks: (acc.weeks.into_iter())
                    .map(|(week, counts)| WeekRow { week, counts })
                    .collect(),
                shifts_paged: acc.shifts.len() as u64,
                shifts_over_limit: acc.shifts.values().filter(|&&n| n > SHIFT_LIMIT).count() as u64,
                busiest_shift: busiest.map_or(0, |b| b.1),
                busiest_shift_start: busiest.map(|b| b.0.clone()),
            }
        })
        .collect();
    responders.sort_by(|a, b| {
        (b.counts.pages)
            .cmp(&a.counts.pages)
            .then_with(|| a.responder.cmp(&b.responder))
    });
    let mut woke_most: Vec<WokeRule> = (woke.into_iter())
        .map(|(rule, (n, people))| WokeRule {
            rule: rule.to_string(),
            sleep_pages: n,
            responders: people.len(),
        })
        .collect();
    woke_most.sort_by(|a, b| {
        b.sleep_pages
            .cmp(&a.sleep_pages)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    woke_most.truncate(WOKE_LISTED);
    RespondersReport {
        sleep_hours: settings.sleep.text(),
        business_hours: settings.business_hours_text.clone(),
        shift_limit: SHIFT_LIMIT,
        responders,
        woke_most,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tz: Tz) -> ResponderSettings {
        ResponderSettings {
            business_hours: BusinessHours::parse("Mon-Fri 09:00-18:00", tz).unwrap(),
            business_hours_text: "Mon-Fri 09:00-18:00".into(),
            sleep: SleepHours::default(),
            zones: BTreeMap::new(),
        }
    }

    fn at(text: &str) -> Millis {
        crate::timefmt::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn hours_follow_the_responders_clock_across_a_change_of_time() {
        // Europe/Berlin leaves summer time on Sunday 2026-10-25 at 03:00
        // CEST (01:00 UTC): 06:30 UTC is 08:30 local on the Friday before
        // (UTC+2) and 07:30 local on the Monday after (UTC+1).
        let berlin = settings(chrono_tz::Europe::Berlin);
        assert_eq!(
            hours_of(
                at("2026-10-23T06:30:00Z"),
                chrono_tz::Europe::Berlin,
                &berlin
            ),
            Hours::Off
        );
        assert_eq!(
            hours_of(
                at("2026-10-26T06:30:00Z"),
                chrono_tz::Europe::Berlin,
                &berlin
            ),
            Hours::Sleep
        );
        // 07:30 UTC: 09:30 CEST on the Friday (business), 08:30 CET on Monday (off).
        assert_eq!(
            hours_of(
                at("2026-10-23T07:30:00Z"),
                chrono_tz::Europe::Berlin,
                &berlin
            ),
            Hours::Business
        );
        assert_eq!(
            hours_of(
                at("2026-10-26T07:30:00Z"),
                chrono_tz::Europe::Berlin,
                &berlin
            ),
            Hours::Off
        );
        // 16:30 UTC on Monday: 17:30 CET, business.
        assert_eq!(
            hours_of(
                at("2026-10-26T16:30:00Z"),
                chrono_tz::Europe::Berlin,
                &berlin
            ),
            Hours::Business
        );
        // The night of the change lasts 13 hours local 20:00 → 08:00.
        assert_eq!(
            shift_start(at("2026-10-25T06:00:00Z"), chrono_tz::Europe::Berlin).as_deref(),
            Some("2026-10-24T20:00+02:00")
        );
        assert_eq!(
            week_of(at("2026-10-25T23:30:00Z"), chrono_tz::Europe::Berlin).as_deref(),
            Some("2026-10-26")
        );
    }

    #[test]
    fn sleep_hours_are_read_and_wrap_past_midnight() {
        let s = SleepHours::parse("23:30-07:00").unwrap();
        assert!(s.contains(23 * 60 + 30) && s.contains(0) && s.contains(6 * 60 + 59));
        assert!(!s.contains(7 * 60) && !s.contains(23 * 60 + 29));
        let day = SleepHours::parse("01:00-05:00").unwrap();
        assert!(day.contains(60) && !day.contains(0));
        assert!(SleepHours::parse("22:00").is_err());
        assert!(SleepHours::parse("25:00-08:00").is_err());
        assert!(SleepHours::parse("08:00-08:00").is_err());
        assert_eq!(SleepHours::default().text(), "22:00-08:00");
    }

    #[test]
    fn shifts_over_the_limit_and_the_rules_that_woke_people() {
        let page = |who: &str, t: &str, rule: &str| Page {
            responder: who.into(),
            at: at(t),
            rule: rule.into(),
            incident_id: None,
            acknowledged: who == "ada",
            channel: None,
        };
        let pages = vec![
            page("ada", "2026-01-05T23:00:00Z", "DiskFull"),
            page("ada", "2026-01-06T01:00:00Z", "DiskFull"),
            page("ada", "2026-01-06T03:00:00Z", "HostDown"),
            page("ada", "2026-01-06T10:00:00Z", "HostDown"),
            page("bo", "2026-01-06T19:00:00Z", "DiskFull"),
        ];
        let window = Window {
            since: at("2026-01-05T00:00:00Z"),
            until: at("2026-01-12T00:00:00Z"),
        };
        let report = responders(&pages, &window, &settings(Tz::UTC));
        let ada = &report.responders[0];
        assert_eq!(
            (
                ada.responder.as_str(),
                ada.counts.pages,
                ada.counts.acknowledged
            ),
            ("ada", 4, 4)
        );
        assert_eq!(
            (
                ada.counts.sleep_hours,
                ada.counts.business_hours,
                ada.counts.off_hours
            ),
            (3, 1, 0)
        );
        assert_eq!(
            (ada.shifts_paged, ada.shifts_over_limit, ada.busiest_shift),
            (2, 1, 3)
        );
        assert_eq!(
            ada.busiest_shift_start.as_deref(),
            Some("2026-01-05T20:00+00:00")
        );
        let bo = &report.responders[1];
        assert_eq!((bo.counts.off_hours, bo.counts.acknowledged), (1, 0));
        assert_eq!(
            report.woke_most,
            vec![
                WokeRule {
                    rule: "DiskFull".into(),
                    sleep_pages: 2,
                    responders: 1
                },
                WokeRule {
                    rule: "HostDown".into(),
                    sleep_pages: 1,
                    responders: 1
                },
            ]
        );
    }
}
