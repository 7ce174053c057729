//! The review meeting's verdicts, and how an episode's `actionable` is decided.
//!
//! A reviews file is CSV with a header: `actionable` (yes/no, true/false, 1/0)
//! and a way to match episodes. From most to least specific:
//! 1. `incident_id`;
//! 2. `fingerprint` + `starts_at` (the episode of that instance starting nearest, within one minute);
//! 3. `rule` + `starts_at` (every episode of that rule starting within one minute);
//! 4. `rule` alone (every episode of the rule).
//!
//! The most specific verdict wins; between equally specific verdicts the later
//! row wins, and a contradiction is reported. Episodes no verdict reaches fall
//! back to the proxy "acknowledged, and not resolved within 5 minutes of
//! starting" where the source records acknowledgements; else they stay unknown.

use crate::episodes::EpisodeTable;
use crate::problem::Problem;
use crate::sources::csv_chunks::record_line;
use crate::sources::episodes_csv::{open_table, parse_verdict};
use crate::timefmt::{parse_stamp, Millis, Stamp};
use std::collections::HashMap;
use std::path::Path;

/// How far apart a verdict's `starts_at` and an episode's start may be.
pub const START_TOLERANCE_MS: Millis = 60_000;

/// The proxy's minimum duration: an acknowledged episode resolved sooner is not counted actionable.
pub const PROXY_MIN_DURATION_MS: Millis = 5 * 60_000;

/// How a verdict finds its episodes, from least to most specific.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Matcher {
    /// Every episode of the rule.
    Rule(String),
    /// Every episode of the rule starting within a minute of the time.
    RuleAt(String, Millis),
    /// The episode of the instance starting nearest the time, within a minute.
    FingerprintAt(String, Millis),
    /// The episode with this incident id.
    Incident(String),
}

impl Matcher {
    fn rank(&self) -> u8 {
        match self {
            Matcher::Rule(_) => 1,
            Matcher::RuleAt(..) => 2,
            Matcher::FingerprintAt(..) => 3,
            Matcher::Incident(_) => 4,
        }
    }
}

/// One row of the reviews file.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// 1-based line in the reviews file.
    pub line: u64,
    /// Which episodes it is about.
    pub matcher: Matcher,
    /// Whether they were worth acting on.
    pub actionable: bool,
}

/// The verdicts of a reviews file, with what could not be read.
pub struct Reviews {
    /// The file name, for problems.
    pub file: String,
    /// Readable verdicts in file order.
    pub verdicts: Vec<Verdict>,
    /// Rows that could not be read.
    pub problems: Vec<Problem>,
}

/// Reads a reviews CSV file.
pub fn read(path: &Path) -> Reviews {
    let file = path.display().to_string();
    let mut reviews = Reviews {
        file: file.clone(),
        verdicts: Vec::new(),
        problems: Vec::new(),
    };
    let input = match crate::sources::load(path) {
        Ok(input) => input,
        Err(p) => {
            reviews.problems.push(p);
            return reviews;
        }
    };
    let text = match input.text() {
        Ok(t) => t.to_string(),
        Err(p) => {
            reviews.problems.push(p);
            return reviews;
        }
    };
    parse(&file, &text, &mut reviews);
    reviews
}

/// Reads a reviews file's text (what `read` does after loading it).
pub fn parse_text(file: &str, text: &str) -> Reviews {
    let mut reviews = Reviews {
        file: file.to_string(),
        verdicts: Vec::new(),
        problems: Vec::new(),
    };
    parse(file, text, &mut reviews);
    reviews
}

fn parse(file: &str, text: &str, reviews: &mut Reviews) {
    let (mut reader, header) = match open_table(file, text) {
        Ok(table) => table,
        Err(problem) => {
            reviews.problems.push(problem);
            return;
        }
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(actionable_col) = col("actionable") else {
        reviews.problems.push(Problem::skipped(
            file,
            1,
            0,
            format!(
                "a reviews file needs an `actionable` column; the header has: {}",
                header.join(", ")
            ),
        ));
        return;
    };
    let (incident, fp, start, rule) = (
        col("incident_id"),
        col("fingerprint"),
        col("starts_at"),
        col("rule"),
    );
    for row in reader.records() {
        let record = match row {
            Ok(r) => r,
            Err(e) => {
                let line = record_line(text.as_bytes(), e.position(), 1);
                reviews.problems.push(Problem::skipped(
                    file,
                    line,
                    0,
                    format!("unreadable CSV row: {e}"),
                ));
                continue;
            }
        };
        let line = record_line(text.as_bytes(), record.position(), 1);
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|v| !v.is_empty());
        let verdict = (|| -> Result<Verdict, String> {
            let actionable = parse_verdict(get(Some(actionable_col)).unwrap_or(""))?
                .ok_or("actionable is empty")?;
            let at = match get(start).map(parse_stamp) {
                None | Some(Ok(Stamp::Unset)) => None,
                Some(Ok(Stamp::At(t))) => Some(t),
                Some(Err(e)) => return Err(format!("starts_at: {e}")),
            };
            let matcher = match (get(incident), get(fp), at, get(rule)) {
                (Some(id), ..) => Matcher::Incident(id.to_string()),
                (None, Some(f), Some(t), _) => Matcher::FingerprintAt(f.to_string(), t),
                (None, _, Some(t), Some(r)) => Matcher::RuleAt(r.to_string(), t),
                (None, _, None, Some(r)) => Matcher::Rule(r.to_string()),
                _ => {
                    return Err("the row names no episode: give incident_id, fingerprint + starts_at, rule + starts_at, or rule".to_string())
                }
            };
            Ok(Verdict {
                line,
                matcher,
                actionable,
            })
        })();
        match verdict {
            Ok(v) => reviews.verdicts.push(v),
            Err(reason) => reviews
                .problems
                .push(Problem::skipped(file, line, 0, reason)),
        }
    }
}

/// Applies verdicts to episodes; returns problems for rows that matched nothing
/// and for contradicting verdicts.
pub fn apply(reviews: &Reviews, table: &mut EpisodeTable) -> Vec<Problem> {
    let episodes = &*table;
    let mut by_incident: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_fingerprint: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_rule: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in episodes.iter().enumerate() {
        if e.starts_at().is_none() {
            continue;
        }
        if let Some(id) = e.incident_id() {
            by_incident.entry(id).or_default().push(i);
        }
        by_fingerprint
            .entry(e.fingerprint().as_str())
            .or_default()
            .push(i);
        by_rule.entry(e.rule().as_str()).or_default().push(i);
    }
    // Lists sorted by start, so the episodes near a time are a binary search away.
    let start_of = |i: usize| episodes.get(i).starts_at().unwrap_or(Millis::MIN);
    for list in by_fingerprint.values_mut().chain(by_rule.values_mut()) {
        list.sort_by_key(|&i| start_of(i));
    }
    let near = |list: Option<&Vec<usize>>, t: Millis| -> Vec<usize> {
        let Some(list) = list else { return Vec::new() };
        let first = list.partition_point(|&i| start_of(i) < t.saturating_sub(START_TOLERANCE_MS));
        list[first..]
            .iter()
            .copied()
            .take_while(|&i| start_of(i) <= t.saturating_add(START_TOLERANCE_MS))
            .collect()
    };
    let mut chosen: Vec<Option<(u8, usize)>> = vec![None; episodes.len()];
    let mut problems = Vec::new();
    for (row, verdict) in reviews.verdicts.iter().enumerate() {
        let targets: Vec<usize> = match &verdict.matcher {
            Matcher::Incident(id) => by_incident.get(id.as_str()).cloned().unwrap_or_default(),
            Matcher::FingerprintAt(f, t) => {
                let candidates = near(by_fingerprint.get(f.as_str()), *t);
                candidates
                    .into_iter()
                    .min_by_key(|&i| (episodes.get(i).starts_at().unwrap_or(0) - t).abs())
                    .into_iter()
                    .collect()
            }
            Matcher::RuleAt(r, t) => near(by_rule.get(r.as_str()), *t),
            Matcher::Rule(r) => by_rule.get(r.as_str()).cloned().unwrap_or_default(),
        };
        if targets.is_empty() {
            problems.push(Problem::warning(
                &reviews.file,
                verdict.line,
                0,
                "this verdict matches no episode in the history",
            ));
        }
        let rank = verdict.matcher.rank();
        for i in targets {
            match chosen[i] {
                Some((r, _)) if r > rank => {}
                Some((r, previous)) if r == rank => {
                    let earlier = &reviews.verdicts[previous];
                    if earlier.actionable != verdict.actionable {
                        problems.push(Problem::warning(
                            &reviews.file,
                            verdict.line,
                            0,
                            format!(
                                "contradicts the verdict on line {} for the same episode; the later row wins",
                                earlier.line
                            ),
                        ));
                    }
                    chosen[i] = Some((rank, row));
                }
                _ => chosen[i] = Some((rank, row)),
            }
        }
    }
    for (i, choice) in chosen.into_iter().enumerate() {
        if let Some((_, row)) = choice {
            table.set_verdict(i, reviews.verdicts[row].actionable, "review");
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Fills unknown `actionable` from acknowledgements where the source records them:
/// acknowledged, and not resolved within 5 minutes of starting.
pub fn apply_proxy(table: &mut EpisodeTable) {
    for i in 0..table.len() {
        let e = table.get(i);
        if e.actionable().is_some() || !e.ack_tracked() {
            continue;
        }
        let Some(start) = e.starts_at() else { continue };
        let quick = e
            .ends_at()
            .is_some_and(|end| end - start < PROXY_MIN_DURATION_MS);
        let acked = e.acked_at().is_some();
        table.set_verdict(i, acked && !quick, "proxy");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::Episode;

    fn episode(rule: &str, fingerprint: &str, start: Millis) -> Episode {
        Episode {
            rule: rule.into(),
            fingerprint: fingerprint.into(),
            starts_at: Some(start),
            ..Episode::default()
        }
    }

    fn verdict(line: u64, matcher: Matcher, actionable: bool) -> Verdict {
        Verdict {
            line,
            matcher,
            actionable,
        }
    }

    #[test]
    fn one_minute_either_side_matches_and_a_millisecond_more_does_not() {
        let mut episodes = EpisodeTable::from_rows(vec![
            episode("R", "a", 1_000_000),
            episode("R", "b", 1_060_000),
            episode("R", "c", 1_060_001),
            episode("R", "d", 939_999),
        ]);
        let reviews = Reviews {
            file: "r.csv".into(),
            verdicts: vec![verdict(2, Matcher::RuleAt("R".into(), 1_000_000), true)],
            problems: Vec::new(),
        };
        assert!(apply(&reviews, &mut episodes).is_empty());
        let got: Vec<Option<bool>> = episodes.iter().map(|e| e.actionable()).collect();
        assert_eq!(got, vec![Some(true), Some(true), None, None]);
    }

    #[test]
    fn fingerprint_and_time_picks_the_nearest_episode_of_that_instance() {
        let mut episodes = EpisodeTable::from_rows(vec![
            episode("R", "a", 1_000_000),
            episode("R", "a", 1_050_000),
        ]);
        let reviews = Reviews {
            file: "r.csv".into(),
            verdicts: vec![verdict(
                2,
                Matcher::FingerprintAt("a".into(), 1_040_000),
                false,
            )],
            problems: Vec::new(),
        };
        apply(&reviews, &mut episodes);
        assert_eq!(episodes.get(0).actionable(), None);
        assert_eq!(episodes.get(1).actionable(), Some(false));
    }
}
