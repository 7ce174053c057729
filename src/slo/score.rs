//! How well one window pair did against the budget events: the SRE
//! workbook's precision, recall, detection time and reset time.
//!
//! An episode of the pair *meets* an event when their label sets agree where
//! both have a label, and the episode was firing at some time between the
//! event's start and its end plus the pair's short window (its long window
//! when it has no short one): a rolling window still sees the errors that long
//! after they stopped. An event is *significant* for the pair when it spent at
//! least the pair's own budget share (`f × long ÷ period`). Precision is the
//! share of episodes that met a significant event; recall the share of
//! significant events that some episode met; detection is from the event's
//! start to the first meeting episode's start (0 when one was already firing),
//! reset from the event's end to the last meeting episode's end.

use super::events::Event;
use super::replay::Episode;
use super::series::Labels;
use crate::timefmt::Millis;

/// The figures of one pair.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// Episodes that met a significant event, or that a review called actionable.
    pub true_episodes: usize,
    /// For each episode (in the order given), whether it was real.
    pub real: Vec<bool>,
    /// Significant events.
    pub significant: usize,
    /// Significant events some episode met.
    pub detected: usize,
    /// Seconds from each detected event's start to the first firing.
    pub detections_s: Vec<f64>,
    /// Seconds from each detected event's end to the last meeting episode's end.
    pub resets_s: Vec<f64>,
    /// For each event (in the order given), the detection in seconds when met.
    pub per_event: Vec<Option<f64>>,
}

/// Whether two label sets agree on every label both have.
pub fn agree(a: &Labels, b: &Labels) -> bool {
    a.iter().all(|(k, v)| {
        b.binary_search_by(|(bk, _)| bk.cmp(k))
            .map_or(true, |i| &b[i].1 == v)
    })
}

fn meets(e: &Episode, v: &Event, tolerance: Millis) -> bool {
    agree(&e.labels, &v.labels)
        && e.start <= v.end + tolerance
        && e.end.is_none_or(|end| end > v.start)
}

/// Scores episodes against events. `share` is the pair's budget share,
/// `tolerance` its short window; `verdict(episode)` is a review's word when
/// one names the episode (it then decides instead of the events).
pub fn score(
    episodes: &[Episode],
    events: &[Event],
    share: f64,
    tolerance: Millis,
    verdict: &dyn Fn(&Episode) -> Option<bool>,
) -> Score {
    let significant: Vec<bool> = events.iter().map(|v| v.budget_spent >= share).collect();
    let mut out = Score {
        significant: significant.iter().filter(|s| **s).count(),
        ..Score::default()
    };
    out.real = episodes
        .iter()
        .map(|e| {
            verdict(e).unwrap_or_else(|| {
                events
                    .iter()
                    .zip(&significant)
                    .any(|(v, s)| *s && meets(e, v, tolerance))
            })
        })
        .collect();
    out.true_episodes = out.real.iter().filter(|r| **r).count();
    for (v, s) in events.iter().zip(&significant) {
        let met: Vec<&Episode> = episodes.iter().filter(|e| meets(e, v, tolerance)).collect();
        let detection = met
            .iter()
            .map(|e| e.start)
            .min()
            .map(|first| (first - v.start).max(0) as f64 / 1000.0);
        out.per_event.push(detection);
        if !*s {
            continue;
        }
        if let Some(d) = detection {
            out.detected += 1;
            out.detections_s.push(d);
            let ends: Option<Vec<Millis>> = met.iter().map(|e| e.end).collect();
            if let (Some(last), false) = (ends.and_then(|e| e.into_iter().max()), v.open) {
                out.resets_s.push((last - v.end) as f64 / 1000.0);
            }
        }
    }
    out
}

/// The median (the mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Millis = 60_000;

    fn episode(start: Millis, end: Option<Millis>) -> Episode {
        Episode {
            labels: vec![("slo".into(), "a".into())],
            active_at: start,
            start,
            end,
        }
    }

    fn event(start: Millis, end: Millis, spent: f64) -> Event {
        Event {
            labels: vec![("__x".into(), "y".into()), ("slo".into(), "a".into())],
            start,
            end,
            open: false,
            budget_spent: spent,
            mean_ratio: 0.5,
            peak_ratio: 1.0,
        }
    }

    #[test]
    fn precision_recall_detection_and_reset_by_hand() {
        // Significant events at 10–30 min and 100–110 min; a small one at 200.
        let events = [
            event(10 * M, 30 * M, 0.4),
            event(100 * M, 110 * M, 0.05),
            event(200 * M, 202 * M, 0.001),
        ];
        // Fires 3 min into the first event, misses the second, fires on the small one.
        let episodes = [
            episode(13 * M, Some(35 * M)),
            episode(201 * M, Some(205 * M)),
        ];
        let s = score(&episodes, &events, 0.02, 5 * M, &|_| None);
        assert_eq!((s.true_episodes, s.significant, s.detected), (1, 2, 1));
        assert_eq!(s.detections_s, vec![180.0]);
        assert_eq!(s.resets_s, vec![300.0]);
        assert_eq!(s.per_event, vec![Some(180.0), None, Some(60.0)]);
        // A review saying the small one was actionable counts it as real.
        let reviewed = score(&episodes, &events, 0.02, 5 * M, &|e| {
            (e.start == 201 * M).then_some(true)
        });
        assert_eq!(reviewed.true_episodes, 2);
        // Other labels: no meeting.
        let mut other = episode(13 * M, None);
        other.labels = vec![("slo".into(), "b".into())];
        assert_eq!(score(&[other], &events, 0.02, 5 * M, &|_| None).detected, 0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
    }
}
