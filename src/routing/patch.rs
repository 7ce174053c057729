//! Adding `inhibit_rules` entries to an `alertmanager.yml`, changing no
//! other line: after the last entry of an existing block `inhibit_rules:`
//! list (indented as its entries are), in place of an empty flow list
//! (`inhibit_rules: []`), or as a new block at the end of the file. The
//! patched text is read back as a configuration before it is given out.

use super::matchers::{MatchType, Matcher};
use super::AlertmanagerConfig;

/// One entry to add: mute alerts named `target` while one named `source`
/// fires with the same values of `equal`.
#[derive(Debug, Clone, PartialEq)]
pub struct InhibitEntry {
    /// The muting rule's `alertname`.
    pub source: String,
    /// The muted rule's `alertname`.
    pub target: String,
    /// The labels whose values must be equal.
    pub equal: Vec<String>,
}

/// A YAML single-quoted scalar.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A label name as a YAML flow-list item (plain when it is a word).
fn plain_or_quoted(text: &str) -> String {
    match text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !text.is_empty() {
        true => text.to_string(),
        false => single_quoted(text),
    }
}

impl InhibitEntry {
    /// The entry as YAML lines, its dash at `indent` spaces.
    fn lines(&self, indent: usize) -> Result<String, String> {
        let matcher = |name: &str| -> Result<String, String> {
            Ok(Matcher::new(MatchType::Equal, "alertname", name)?.to_string())
        };
        let pad = " ".repeat(indent);
        let equal: Vec<String> = self.equal.iter().map(|l| plain_or_quoted(l)).collect();
        Ok(format!(
            "{pad}- source_matchers: [{}]\n{pad}  target_matchers: [{}]\n{pad}  equal: [{}]\n",
            single_quoted(&matcher(&self.source)?),
            single_quoted(&matcher(&self.target)?),
            equal.join(", ")
        ))
    }
}

/// Whether a line starts a top-level key (not indented, not a comment or
/// a document marker).
fn top_level_key(line: &str) -> bool {
    !line.is_empty()
        && !line.starts_with([' ', '\t', '#', '-'])
        && !line.starts_with("...")
        && line.contains(':')
}

/// The configuration's text with `entries` added to its `inhibit_rules`;
/// an error when the result is not a configuration Alertmanager would read
/// as before plus the entries.
pub fn with_inhibit_rules(
    name: &str,
    text: &str,
    entries: &[InhibitEntry],
) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let key = lines.iter().position(|l| {
        l.strip_prefix("inhibit_rules:").is_some_and(|rest| {
            rest.trim().is_empty() || rest.trim_start().starts_with('#') || rest.trim() == "[]"
        })
    });
    let mut out = String::with_capacity(text.len() + 200 * entries.len());
    match key {
        Some(at) => {
            let end = (at + 1..lines.len())
                .find(|&i| top_level_key(lines[i]))
                .unwrap_or(lines.len());
            // The last line of the list's content (trailing blanks and comments stay after it).
            let last = (at + 1..end)
                .rev()
                .find(|&i| {
                    let t = lines[i].trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .unwrap_or(at);
            let indent = (at + 1..end)
                .find_map(|i| {
                    let l = lines[i];
                    let trimmed = l.trim_start();
                    trimmed.starts_with("- ").then(|| l.len() - trimmed.len())
                })
                .unwrap_or(2);
            for (i, line) in lines.iter().enumerate() {
                if i == at && line.trim_end().ends_with("[]") {
                    out.push_str("inhibit_rules:\n");
                } else {
                    out.push_str(line);
                }
                if i == last {
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    for entry in entries {
                        out.push_str(&entry.lines(indent)?);
                    }
                }
            }
        }
        None => {
            out.push_str(text);
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("inhibit_rules:\n");
            for entry in entries {
                out.push_str(&entry.lines(2)?);
            }
        }
    }
    let before = AlertmanagerConfig::parse(name, text).map_err(|e| e.to_string())?;
    let after = AlertmanagerConfig::parse(name, &out)
        .map_err(|e| format!("the patched configuration does not read back: {e}"))?;
    let receivers = |c: &AlertmanagerConfig| -> Vec<(String, Vec<String>)> {
        (c.receivers.iter())
            .map(|r| (r.name.clone(), r.integrations.clone()))
            .collect()
    };
    if after.inhibit_rules.len() != before.inhibit_rules.len() + entries.len()
        || receivers(&after) != receivers(&before)
        || after.route.walk().len() != before.route.walk().len()
    {
        return Err(
            "the patched configuration does not read back as the old one plus the new entries"
                .into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "route:\n  receiver: a\nreceivers:\n  - name: a\n";

    fn entry() -> InhibitEntry {
        InhibitEntry {
            source: "HostDown".into(),
            target: "TargetDown".into(),
            equal: vec!["instance".into()],
        }
    }

    #[test]
    fn appends_a_block_when_there_is_none() {
        let out = with_inhibit_rules("am.yml", BASE, &[entry()]).unwrap();
        assert_eq!(
            out,
            format!(
                "{BASE}inhibit_rules:\n  - source_matchers: ['alertname=\"HostDown\"']\n    target_matchers: ['alertname=\"TargetDown\"']\n    equal: [instance]\n"
            )
        );
        let config = AlertmanagerConfig::parse("am.yml", &out).unwrap();
        assert_eq!(config.inhibit_rules[0].equal, ["instance"]);
        assert_eq!(config.inhibit_rules[0].source[0].value, "HostDown");
    }

    #[test]
    fn extends_an_existing_list_at_its_indentation_and_keeps_what_follows() {
        let text = format!(
            "{BASE}inhibit_rules:\n    - source_matchers: [severity=critical]\n      target_matchers: [severity=warning]\n      equal: [alertname]\n\n# templates next\ntemplates: []\n"
        );
        let out = with_inhibit_rules("am.yml", &text, &[entry()]).unwrap();
        assert!(
            out.contains(
                "      equal: [alertname]\n    - source_matchers: ['alertname=\"HostDown\"']\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with("\n\n# templates next\ntemplates: []\n"),
            "{out}"
        );
        assert_eq!(
            AlertmanagerConfig::parse("am.yml", &out)
                .unwrap()
                .inhibit_rules
                .len(),
            2
        );
    }

    #[test]
    fn replaces_an_empty_flow_list_and_quotes_odd_names() {
        let text = format!("{BASE}inhibit_rules: []\n");
        let odd = InhibitEntry {
            source: "It's \"down\"".into(),
            target: "T".into(),
            equal: vec!["instance".into()],
        };
        let out = with_inhibit_rules("am.yml", &text, &[odd]).unwrap();
        let config = AlertmanagerConfig::parse("am.yml", &out).unwrap();
        assert_eq!(config.inhibit_rules[0].source[0].value, "It's \"down\"");
    }
}
