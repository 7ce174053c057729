//! Alertmanager API v2 `GET /api/v2/silences` answers.
//!
//! Silences are not episodes: after every file is read, an episode is
//! `silenced` when a silence whose matchers all match its labels was in
//! force ([startsAt, endsAt)) at some time while it fired. Matching is
//! Alertmanager's: `isEqual` (default true) chooses `=`/`!=` or `=~`/`!~`; a
//! regular expression is anchored (`^(?:…)$`); a label the alert lacks has
//! the value "". Expired silences count for the time they were in force.
//! A silence with an invalid regular expression is a problem and is left
//! out. See `docs/formats/alertmanager-api.md`.

use super::{json_records, InputFile, ReadContext, Source, SourceOutput};
use crate::problem::{LineIndex, Problem};
use crate::routing::matchers::{all_match, MatchType, Matcher};
use crate::timefmt::{parse_stamp, Millis, Stamp};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The Alertmanager silences format.
pub struct AlertmanagerSilences;

/// The format's name.
pub const NAME: &str = "alertmanager-silences";

/// A silence: its matchers and when it was in force.
#[derive(Debug, Clone)]
pub struct Silence {
    /// The silence's id.
    pub id: String,
    /// All must match.
    pub matchers: Vec<Matcher>,
    /// In force from.
    pub starts_at: Millis,
    /// In force until (exclusive).
    pub ends_at: Millis,
    /// Who made it (`createdBy`).
    pub created_by: String,
    /// Why (`comment`).
    pub comment: String,
}

impl Silence {
    /// Whether the silence matches this label set.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        all_match(&self.matchers, labels)
    }

    /// Its matchers as Alertmanager prints them (`{alertname="X",…}`).
    pub fn matchers_text(&self) -> String {
        let parts: Vec<String> = self.matchers.iter().map(|m| m.to_string()).collect();
        format!("{{{}}}", parts.join(","))
    }

    /// Whether it was in force at some time in [start, end) (`end` None: open).
    pub fn overlaps(&self, start: Millis, end: Option<Millis>) -> bool {
        self.starts_at < end.unwrap_or(Millis::MAX) && start < self.ends_at
    }
}

#[derive(Deserialize)]
struct RawSilence {
    id: Option<String>,
    matchers: Vec<RawMatcher>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "endsAt")]
    ends_at: String,
    #[serde(rename = "createdBy", default)]
    created_by: String,
    #[serde(default)]
    comment: String,
}

#[derive(Deserialize)]
struct RawMatcher {
    name: String,
    value: String,
    #[serde(rename = "isRegex", default)]
    is_regex: bool,
    #[serde(rename = "isEqual")]
    is_equal: Option<bool>,
}

impl Source for AlertmanagerSilences {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Alertmanager API v2 GET /api/v2/silences answers; an episode is silenced when a matching silence was in force while it fired"
    }

    fn detection(&self) -> &'static str {
        "JSON objects with \"matchers\" and \"createdBy\" (or \"startsAt\"), and no \"alerts\""
    }

    fn example(&self) -> &'static str {
        r#"[{"id":"810ccf7f","status":{"state":"active"},"createdBy":"ada@example.com","comment":"maintenance","startsAt":"2026-10-19T09:00:00Z","endsAt":"2026-10-19T12:00:00Z",
  "matchers":[{"name":"alertname","value":"HighLatency","isRegex":false,"isEqual":true},{"name":"instance","value":"web[0-9]+","isRegex":true,"isEqual":true}]}]"#
    }

    fn detect(&self, head: &str) -> bool {
        head.contains("\"matchers\"")
            && (head.contains("\"createdBy\"") || head.contains("\"startsAt\""))
            && !head.contains("\"alerts\"")
    }

    fn read(&self, file: &InputFile, text: &str, _context: &ReadContext) -> SourceOutput {
        let lines = LineIndex::new(text.as_bytes());
        let (items, mut problems) =
            json_records::page_items(&file.name, text, &lines, &["silences"], Some("silence"));
        let mut silences = Vec::new();
        for (offset, raw) in items {
            let line = lines.line(offset);
            match serde_json::from_str::<RawSilence>(raw)
                .map_err(|e| format!("not an Alertmanager silence ({e}); skipped"))
                .and_then(read_silence)
            {
                Ok(silence) => silences.push(silence),
                Err(reason) => problems.push(Problem::skipped(&file.name, line, 0, reason)),
            }
        }
        SourceOutput {
            problems,
            silences,
            ..SourceOutput::default()
        }
    }
}

fn read_silence(raw: RawSilence) -> Result<Silence, String> {
    let id = raw.id.unwrap_or_default();
    let time = |name: &str, text: &str| match parse_stamp(text) {
        Ok(Stamp::At(t)) => Ok(t),
        Ok(Stamp::Unset) => Err(format!("silence {id}: no {name}; skipped")),
        Err(e) => Err(format!("silence {id}: {name} {e}; skipped")),
    };
    let starts_at = time("startsAt", &raw.starts_at)?;
    let ends_at = time("endsAt", &raw.ends_at)?;
    if raw.matchers.is_empty() {
        return Err(format!("silence {id} has no matchers; skipped"));
    }
    let mut matchers = Vec::with_capacity(raw.matchers.len());
    for m in raw.matchers {
        let kind = match (m.is_regex, m.is_equal.unwrap_or(true)) {
            (false, true) => MatchType::Equal,
            (false, false) => MatchType::NotEqual,
            (true, true) => MatchType::Regexp,
            (true, false) => MatchType::NotRegexp,
        };
        let matcher = Matcher::new(kind, &m.name, &m.value).map_err(|e| {
            let why = e.lines().last().unwrap_or("invalid").trim().to_string();
            format!(
                "silence {id}: matcher {}=~\"{}\" is not a valid regular expression ({why}); silence skipped",
                m.name, m.value
            )
        })?;
        matchers.push(matcher);
    }
    Ok(Silence {
        id,
        matchers,
        starts_at,
        ends_at,
        created_by: raw.created_by,
        comment: raw.comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silence(matchers: &str) -> Result<Silence, String> {
        let raw = format!(
            r#"{{"id":"s","startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-01-02T00:00:00Z","matchers":{matchers}}}"#
        );
        read_silence(serde_json::from_str(&raw).unwrap())
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn regexes_are_anchored_and_missing_labels_are_empty() {
        let s = silence(r#"[{"name":"instance","value":"web[0-9]","isRegex":true}]"#).unwrap();
        assert!(s.matches(&labels(&[("instance", "web1")])));
        // Anchored: a partial match is no match.
        assert!(!s.matches(&labels(&[("instance", "web12")])));
        assert!(!s.matches(&labels(&[("instance", "xweb1")])));
        let not =
            silence(r#"[{"name":"env","value":"prod","isRegex":false,"isEqual":false}]"#).unwrap();
        // A missing label is "", which is not "prod".
        assert!(not.matches(&labels(&[])));
        assert!(!not.matches(&labels(&[("env", "prod")])));
        let empty = silence(r#"[{"name":"env","value":"","isRegex":true}]"#).unwrap();
        assert!(empty.matches(&labels(&[])));
        let alternatives = silence(r#"[{"name":"env","value":"a|b","isRegex":true}]"#).unwrap();
        // ^(?:a|b)$, not ^a|b$.
        assert!(!alternatives.matches(&labels(&[("env", "ab")])));
        assert!(alternatives.matches(&labels(&[("env", "b")])));
    }

    #[test]
    fn invalid_regexes_and_empty_matchers_are_refused() {
        let bad = silence(r#"[{"name":"instance","value":"web[","isRegex":true}]"#).unwrap_err();
        assert!(bad.contains("not a valid regular expression"), "{bad}");
        assert!(silence("[]").is_err());
    }

    #[test]
    fn in_force_is_half_open() {
        let s = silence(r#"[{"name":"a","value":"b"}]"#).unwrap();
        assert!(s.overlaps(s.starts_at - 10, Some(s.starts_at + 1)));
        assert!(!s.overlaps(s.starts_at - 10, Some(s.starts_at)));
        assert!(!s.overlaps(s.ends_at, None));
        assert!(s.overlaps(s.ends_at - 1, None));
    }
}
