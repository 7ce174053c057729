//! The rule name of a record from an incident tool (PagerDuty, Opsgenie,
//! Grafana annotations), which has a title instead of an `alertname` label.
//!
//! By default the title is read as Alertmanager's default notification title,
//! `[FIRING:2] HighLatency (payments critical)`: the first word after the
//! status is the rule (the first group label's value, `alertname` when the
//! route groups by it, as almost all do). Any other title is normalised so
//! that titles of one rule agree: numbers, hex strings and ids become `<n>`,
//! `<hex>` and `<id>`. `--rule-from field:NAME` takes the rule from a field of
//! the record (a CSV column, or a dotted JSON path such as
//! `body.details.alertname`), `--rule-from regex:PATTERN` from the pattern's
//! `rule` group (else its first group, else the whole match) in the title.
//! See `docs/formats/README.md`.

use regex::Regex;
use std::sync::LazyLock;

/// How a record's rule is named (`--rule-from`).
#[derive(Debug, Clone)]
pub enum RuleFrom {
    /// From the title (the default).
    Title,
    /// From a field of the record.
    Field(String),
    /// From a regular expression over the title.
    Regex(Regex),
}

impl RuleFrom {
    /// Parses `title`, `field:NAME` or `regex:PATTERN`.
    pub fn parse(text: &str) -> Result<RuleFrom, String> {
        if text == "title" {
            return Ok(RuleFrom::Title);
        }
        if let Some(name) = text.strip_prefix("field:") {
            if name.is_empty() {
                return Err("--rule-from field: needs a field name".into());
            }
            return Ok(RuleFrom::Field(name.to_string()));
        }
        if let Some(pattern) = text.strip_prefix("regex:") {
            return Regex::new(pattern)
                .map(RuleFrom::Regex)
                .map_err(|e| format!("--rule-from regex: the pattern is invalid: {e}"));
        }
        Err(format!(
            "--rule-from `{text}`: use title, field:NAME or regex:PATTERN"
        ))
    }
}

static ALERTMANAGER_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[(?i:FIRING|RESOLVED)(?::\d+)?\]\s+(\S+)").expect("valid pattern")
});
static PAGERDUTY_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[#\d+\]\s*").expect("valid pattern"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
        .expect("valid pattern")
});
static HEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:0x)?[0-9a-fA-F]{8,}\b").expect("valid pattern"));
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+(?:\.\d+)?").expect("valid pattern"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").expect("valid pattern"));

/// The rule named by an Alertmanager-style title, or the normalised title.
pub fn from_title(title: &str) -> String {
    let title = title.trim();
    let title = PAGERDUTY_NUMBER
        .find(title)
        .map_or(title, |m| &title[m.end()..]);
    if let Some(captures) = ALERTMANAGER_TITLE.captures(title) {
        return captures[1].to_string();
    }
    normalise(title)
}

/// Replaces what differs between firings of one rule: ids, hex, numbers.
pub fn normalise(title: &str) -> String {
    let text = UUID.replace_all(title, "<id>");
    // Hex strings of 8+ characters that mix digits and letters (ids, hashes);
    // all digits is a number, all letters a word.
    let text = HEX.replace_all(&text, |c: &regex::Captures| {
        let m = &c[0];
        let digit = m.bytes().any(|b| b.is_ascii_digit());
        let letter = m
            .trim_start_matches("0x")
            .bytes()
            .any(|b| b.is_ascii_alphabetic());
        if digit && letter {
            "<hex>".to_string()
        } else {
            m.to_string()
        }
    });
    let text = NUMBER.replace_all(&text, "<n>");
    SPACES.replace_all(text.trim(), " ").into_owned()
}

/// Names the rules of one file's records and counts the records whose
/// `--rule-from` found nothing (those are named by their title instead).
pub struct RuleNamer<'a> {
    rule_from: &'a RuleFrom,
    /// Records named by the title because the field or pattern found nothing.
    pub misses: usize,
}

impl<'a> RuleNamer<'a> {
    /// A namer for one file.
    pub fn new(rule_from: &'a RuleFrom) -> Self {
        RuleNamer {
            rule_from,
            misses: 0,
        }
    }

    /// The rule of a record with this title; `field` looks up a field by name.
    pub fn name(&mut self, title: &str, field: impl Fn(&str) -> Option<String>) -> String {
        let found = match self.rule_from {
            RuleFrom::Title => return from_title(title),
            RuleFrom::Field(name) => field(name).filter(|v| !v.trim().is_empty()),
            RuleFrom::Regex(re) => re.captures(title).map(|c| {
                c.name("rule")
                    .or_else(|| c.get(1))
                    .or_else(|| c.get(0))
                    .map_or(String::new(), |m| m.as_str().to_string())
            }),
        };
        match found {
            Some(rule) if !rule.is_empty() => rule,
            _ => {
                self.misses += 1;
                from_title(title)
            }
        }
    }

    /// A warning for the file when some records fell back to their title.
    pub fn warning(&self, file: &str) -> Option<crate::problem::Problem> {
        (self.misses > 0).then(|| {
            crate::problem::Problem::warning(
                file,
                0,
                0,
                format!(
                    "--rule-from found nothing in {} record(s); they are named by their title",
                    self.misses
                ),
            )
        })
    }
}

/// Looks up a dotted path (`body.details.alertname`) in a JSON value; numbers
/// and booleans are given as text.
pub fn json_field(value: &serde_json::Value, path: &str) -> Option<String> {
    let mut at = value;
    for part in path.split('.') {
        at = match at {
            serde_json::Value::Object(map) => map.get(part)?,
            serde_json::Value::Array(list) => list.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match at {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alertmanager_titles_name_their_first_group_label() {
        assert_eq!(
            from_title("[FIRING:2] HighLatency (payments critical)"),
            "HighLatency"
        );
        assert_eq!(from_title("[RESOLVED] DiskFull sda"), "DiskFull");
        assert_eq!(
            from_title("[#1234] [FIRING:1] KubePodCrashLooping"),
            "KubePodCrashLooping"
        );
    }

    #[test]
    fn other_titles_lose_what_differs_between_firings() {
        assert_eq!(
            from_title("[#1234] The server is on fire."),
            "The server is on fire."
        );
        assert_eq!(
            from_title("Disk 93.5% full on host-12 (id 3f2a9c01be)"),
            "Disk <n>% full on host-<n> (id <hex>)"
        );
        assert_eq!(
            from_title("Job 70413a06-38d6-4c85-92b8-5ebc900d42e2 failed"),
            "Job <id> failed"
        );
        // Short words made of hex letters stay words.
        assert_eq!(from_title("Cafe feed dead"), "Cafe feed dead");
    }

    #[test]
    fn rule_from_field_and_regex_fall_back_to_the_title() {
        let field = RuleFrom::parse("field:details.alertname").unwrap();
        let mut namer = RuleNamer::new(&field);
        let record = serde_json::json!({"details": {"alertname": "HighLatency"}});
        assert_eq!(namer.name("x", |p| json_field(&record, p)), "HighLatency");
        assert_eq!(namer.name("Disk 93% full", |_| None), "Disk <n>% full");
        assert_eq!(namer.misses, 1);
        let re = RuleFrom::parse(r"regex:^Alert (?P<rule>\w+)").unwrap();
        let mut namer = RuleNamer::new(&re);
        assert_eq!(namer.name("Alert Foo on bar", |_| None), "Foo");
        assert!(RuleFrom::parse("regex:(").is_err());
        assert!(RuleFrom::parse("column:x").is_err());
    }
}
