//! Reading `alertmanager.yml` (or the `config.original` of a fetched
//! `/api/v2/status` answer): the routing tree and the receivers, checked as
//! Alertmanager checks them when it loads the file.
//!
//! Only what routing needs is read: `route` (every level's `receiver`,
//! `group_by`, `match`, `match_re`, `matchers`, `continue`, `routes`,
//! `mute_time_intervals`, `active_time_intervals`) and `receivers` (each
//! one's name and which integrations it has). Other keys are left alone.
//! Errors name the file, line and column.

use super::matchers::{all_match, parse_matchers, sort_matchers, MatchType, Matcher};
use super::tree::Route;
use crate::error::{Error, Result};
use crate::interned::LabelMap;
use crate::timefmt::Millis;
use crate::yaml_text::{get, YamlText};
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::path::Path;

/// Integrations that page a person: a receiver with one of them is a paging
/// receiver (`--paging-receiver` names more).
pub const PAGING_INTEGRATIONS: [&str; 4] = [
    "pagerduty_configs",
    "opsgenie_configs",
    "victorops_configs",
    "incidentio_configs",
];

/// One `receivers:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    /// Its name.
    pub name: String,
    /// The integrations it has (`slack_configs`, …), in file order; none
    /// makes it a blackhole (notifications go nowhere).
    pub integrations: Vec<String>,
    /// The line of its `name:`.
    pub line: u64,
}

impl Receiver {
    /// Whether one of its integrations pages someone.
    pub fn pages(&self) -> bool {
        self.integrations
            .iter()
            .any(|i| PAGING_INTEGRATIONS.contains(&i.as_str()))
    }
}

/// One `inhibit_rules` entry.
#[derive(Debug, Clone)]
pub struct InhibitRule {
    /// What the muting alert must match (`source_matchers`, `source_match`, `source_match_re`).
    pub source: Vec<Matcher>,
    /// What the muted alert must match.
    pub target: Vec<Matcher>,
    /// Labels whose values must be equal in both.
    pub equal: Vec<String>,
    /// The line the entry starts on.
    pub line: u64,
}

impl InhibitRule {
    /// Whether this entry mutes an alert with `target` labels while one
    /// with `source` labels fires (as Alertmanager's inhibitor decides:
    /// both match, the `equal` labels' values are the same, a missing
    /// label being ""; an alert does not mute itself).
    pub fn mutes(&self, source: &LabelMap, target: &LabelMap) -> bool {
        fn value<'l>(labels: &'l LabelMap, name: &str) -> &'l str {
            labels.get(name).map_or("", String::as_str)
        }
        source != target
            && all_match(&self.source, source)
            && all_match(&self.target, target)
            && self
                .equal
                .iter()
                .all(|l| value(source, l) == value(target, l))
    }
}

/// A loaded Alertmanager configuration.
#[derive(Debug, Clone)]
pub struct AlertmanagerConfig {
    /// The file's name as given.
    pub name: String,
    /// The routing tree's root.
    pub route: Route,
    /// The receivers, in file order.
    pub receivers: Vec<Receiver>,
    /// The `inhibit_rules`, in file order.
    pub inhibit_rules: Vec<InhibitRule>,
    /// The YAML text, when it was read from a YAML file (a patch can then
    /// be written against it); `None` for a `/api/v2/status` answer.
    pub text: Option<String>,
}

impl AlertmanagerConfig {
    /// Reads `alertmanager.yml`, or a saved `/api/v2/status` answer (JSON
    /// whose `config.original` holds the YAML).
    pub fn load(path: &Path) -> Result<AlertmanagerConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.display().to_string();
        if text.trim_start().starts_with('{') {
            let status: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                YamlText::new(&name, &text).error_at(
                    e.line() as u64,
                    e.column() as u64,
                    format!("invalid JSON: {e}"),
                )
            })?;
            let Some(original) = status.pointer("/config/original").and_then(|v| v.as_str()) else {
                return Err(YamlText::new(&name, &text).error_at(
                    1,
                    1,
                    "a JSON file here must be Alertmanager's /api/v2/status answer, with config.original".into(),
                ));
            };
            let mut config =
                AlertmanagerConfig::parse(&format!("{name} (config.original)"), original)?;
            config.text = None;
            return Ok(config);
        }
        AlertmanagerConfig::parse(&name, &text)
    }

    /// Parses the text of an Alertmanager configuration named `name`.
    pub fn parse(name: &str, text: &str) -> Result<AlertmanagerConfig> {
        let source = YamlText::new(name, text);
        let documents = source.documents()?;
        let Some(doc) = documents.first().filter(|d| d.data.is_mapping()) else {
            return Err(source.error_at(
                1,
                1,
                "an Alertmanager configuration is a mapping with `route` and `receivers`".into(),
            ));
        };
        let reader = Reader { source: &source };
        let receivers = reader.receivers(doc)?;
        let Some(root) = get(doc, "route") else {
            return Err(source.error(doc, "no route provided in config".into()));
        };
        let mut counter = 0;
        let route = reader.route(root, None, &mut counter)?;
        reader.check_root(root, &route)?;
        reader.check_receivers(&route, &receivers)?;
        let inhibit_rules = reader.inhibit_rules(doc)?;
        Ok(AlertmanagerConfig {
            name: name.to_string(),
            route,
            receivers,
            inhibit_rules,
            text: Some(text.to_string()),
        })
    }

    /// The receiver of this name.
    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.name == name)
    }
}

/// A sequence node's items (none for anything else).
fn sequence<'n>(node: &'n MarkedYaml<'n>) -> &'n [MarkedYaml<'n>] {
    match &node.data {
        YamlData::Sequence(items) => items,
        _ => &[],
    }
}

struct Reader<'a> {
    source: &'a YamlText<'a>,
}

impl Reader<'_> {
    fn error(&self, node: &MarkedYaml, reason: String) -> Error {
        self.source.error(node, reason)
    }

    fn string(&self, node: &MarkedYaml, what: &str) -> Result<String> {
        match &node.data {
            YamlData::Value(Scalar::Null) => Ok(String::new()),
            _ => self
                .source
                .scalar_text(node)
                .ok_or_else(|| self.error(node, format!("`{what}` must be a string"))),
        }
    }

    fn duration(&self, node: &MarkedYaml, what: &str) -> Result<Millis> {
        let text = self.string(node, what)?;
        crate::timefmt::parse_duration(&text)
            .map_err(|e| self.error(node, format!("`{what}`: {e}")))
    }

    fn strings(&self, node: &MarkedYaml, what: &str) -> Result<Vec<String>> {
        match &node.data {
            YamlData::Value(Scalar::Null) => Ok(Vec::new()),
            YamlData::Sequence(items) => items.iter().map(|i| self.string(i, what)).collect(),
            _ => Err(self.error(node, format!("`{what}` must be a list"))),
        }
    }

    fn mapping<'n>(
        &self,
        node: &'n MarkedYaml<'n>,
        what: &str,
    ) -> Result<Vec<(&'n MarkedYaml<'n>, &'n MarkedYaml<'n>)>> {
        match &node.data {
            YamlData::Value(Scalar::Null) => Ok(Vec::new()),
            YamlData::Mapping(map) => Ok(map.iter().collect()),
            _ => Err(self.error(node, format!("`{what}` must be a mapping"))),
        }
    }

    fn receivers(&self, doc: &MarkedYaml) -> Result<Vec<Receiver>> {
        let Some(list) = get(doc, "receivers") else {
            return Ok(Vec::new());
        };
        let YamlData::Sequence(items) = &list.data else {
            return Err(self.error(list, "`receivers` must be a list".into()));
        };
        let mut receivers: Vec<Receiver> = Vec::new();
        for item in items {
            let mut receiver = Receiver {
                name: String::new(),
                integrations: Vec::new(),
                line: item.span.start.line() as u64,
            };
            for (key, value) in self.mapping(item, "receivers[]")? {
                let key_text = self.string(key, "receivers[] key")?;
                if key_text == "name" {
                    receiver.name = self.string(value, "name")?;
                    receiver.line = value.span.start.line() as u64;
                } else if key_text.ends_with("_configs")
                    && matches!(&value.data, YamlData::Sequence(s) if !s.is_empty())
                {
                    receiver.integrations.push(key_text);
                }
            }
            if receiver.name.is_empty() {
                return Err(self.error(item, "missing name in receiver".into()));
            }
            if receivers.iter().any(|r| r.name == receiver.name) {
                return Err(self.error(
                    item,
                    format!("notification config name {:?} is not unique", receiver.name),
                ));
            }
            receivers.push(receiver);
        }
        Ok(receivers)
    }

    /// One route and its children: what it does not set, it inherits.
    fn route(
        &self,
        node: &MarkedYaml,
        parent: Option<&Route>,
        counter: &mut usize,
    ) -> Result<Route> {
        let mut route = Route {
            receiver: parent.map(|p| p.receiver.clone()).unwrap_or_default(),
            receiver_line: None,
            group_by: parent.and_then(|p| p.group_by.clone()),
            group_wait_ms: parent.map_or(30_000, |p| p.group_wait_ms),
            group_interval_ms: parent.map_or(300_000, |p| p.group_interval_ms),
            repeat_interval_ms: parent.map_or(4 * 3_600_000, |p| p.repeat_interval_ms),
            matchers: Vec::new(),
            continue_matching: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            routes: Vec::new(),
            line: node.span.start.line() as u64,
            index: 0,
            depth: parent.map_or(0, |p| p.depth + 1),
            key: String::new(),
        };
        let mut children = None;
        for (key, value) in self.mapping(node, "route")? {
            match self.string(key, "route key")?.as_str() {
                "receiver" => {
                    let name = self.string(value, "receiver")?;
                    if !name.is_empty() {
                        route.receiver = name;
                        route.receiver_line = Some(value.span.start.line() as u64);
                    }
                }
                "group_by" => route.group_by = Some(self.strings(value, "group_by")?),
                "group_wait" => route.group_wait_ms = self.duration(value, "group_wait")?,
                "group_interval" => {
                    route.group_interval_ms = self.duration(value, "group_interval")?
                }
                "repeat_interval" => {
                    route.repeat_interval_ms = self.duration(value, "repeat_interval")?
                }
                "continue" => match &value.data {
                    YamlData::Value(Scalar::Boolean(b)) => route.continue_matching = *b,
                    _ => return Err(self.error(value, "`continue` must be true or false".into())),
                },
                "match" => {
                    for (k, v) in self.mapping(value, "match")? {
                        let label = self.label_name(k)?;
                        let value_text = self.string(v, "match value")?;
                        route.matchers.push(
                            Matcher::new(MatchType::Equal, &label, &value_text)
                                .map_err(|e| self.error(v, e))?,
                        );
                    }
                }
                "match_re" => {
                    for (k, v) in self.mapping(value, "match_re")? {
                        let label = self.label_name(k)?;
                        let value_text = self.string(v, "match_re value")?;
                        // Alertmanager keeps the compiled, anchored form.
                        Matcher::new(MatchType::Regexp, &label, &value_text)
                            .map_err(|e| self.error(v, e))?;
                        let anchored = format!("^(?:{value_text})$");
                        route.matchers.push(
                            Matcher::new(MatchType::Regexp, &label, &anchored)
                                .map_err(|e| self.error(v, e))?,
                        );
                    }
                }
                "matchers" => {
                    let YamlData::Sequence(lines) = &value.data else {
                        return Err(self.error(value, "`matchers` must be a list".into()));
                    };
                    for line in lines {
                        let text = self.string(line, "matchers")?;
                        let parsed = parse_matchers(&text).map_err(|e| self.error(line, e))?;
                        route.matchers.extend(parsed);
                    }
                }
                "mute_time_intervals" => {
                    route.mute_time_intervals = self.strings(value, "mute_time_intervals")?
                }
                "active_time_intervals" => {
                    route.active_time_intervals = self.strings(value, "active_time_intervals")?
                }
                "routes" => children = Some(value),
                _ => {}
            }
        }
        sort_matchers(&mut route.matchers);
        route.key = match parent {
            Some(p) => format!("{}/{}", p.key, route.matchers_text()),
            None => route.matchers_text(),
        };
        if let Some(list) = children {
            match &list.data {
                YamlData::Value(Scalar::Null) => {}
                YamlData::Sequence(items) => {
                    for item in items {
                        let child = self.route(item, Some(&route), counter)?;
                        route.routes.push(child);
                    }
                }
                _ => return Err(self.error(list, "`routes` must be a list".into())),
            }
        }
        // Numbered as Alertmanager numbers them: children before their parent.
        route.index = *counter;
        *counter += 1;
        Ok(route)
    }

    /// The matchers of one side of an inhibit rule: `{side}_matchers`,
    /// `{side}_match` and `{side}_match_re`.
    fn side_matchers(&self, node: &MarkedYaml, side: &str) -> Result<Vec<Matcher>> {
        let mut matchers = Vec::new();
        if let Some(list) = get(node, &format!("{side}_matchers")) {
            for line in self.strings(list, "matchers")?.iter().zip(sequence(list)) {
                let parsed = parse_matchers(line.0).map_err(|e| self.error(line.1, e))?;
                matchers.extend(parsed);
            }
        }
        for (key, kind) in [("match", MatchType::Equal), ("match_re", MatchType::Regexp)] {
            if let Some(map) = get(node, &format!("{side}_{key}")) {
                for (k, v) in self.mapping(map, key)? {
                    let label = self.label_name(k)?;
                    let value = self.string(v, key)?;
                    matchers
                        .push(Matcher::new(kind, &label, &value).map_err(|e| self.error(v, e))?);
                }
            }
        }
        Ok(matchers)
    }

    fn inhibit_rules(&self, doc: &MarkedYaml) -> Result<Vec<InhibitRule>> {
        let Some(list) = get(doc, "inhibit_rules") else {
            return Ok(Vec::new());
        };
        let mut rules = Vec::new();
        for item in sequence(list) {
            rules.push(InhibitRule {
                source: self.side_matchers(item, "source")?,
                target: self.side_matchers(item, "target")?,
                equal: match get(item, "equal") {
                    Some(equal) => self.strings(equal, "equal")?,
                    None => Vec::new(),
                },
                line: item.span.start.line() as u64,
            });
        }
        Ok(rules)
    }

    fn label_name(&self, node: &MarkedYaml) -> Result<String> {
        let name = self.string(node, "label name")?;
        let valid = name
            .char_indices()
            .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()));
        if name.is_empty() || !valid {
            return Err(self.error(node, format!("invalid label name {name:?}")));
        }
        Ok(name)
    }

    fn check_root(&self, node: &MarkedYaml, root: &Route) -> Result<()> {
        let problem = if root.receiver.is_empty() {
            Some("root route must specify a default receiver")
        } else if !root.matchers.is_empty() {
            Some("root route must not have any matchers")
        } else if !root.mute_time_intervals.is_empty() {
            Some("root route must not have any mute time intervals")
        } else if !root.active_time_intervals.is_empty() {
            Some("root route must not have any active time intervals")
        } else if root.continue_matching {
            Some("cannot have continue in root route")
        } else {
            None
        };
        match problem {
            Some(reason) => Err(self.error(node, reason.into())),
            None => Ok(()),
        }
    }

    fn check_receivers(&self, route: &Route, receivers: &[Receiver]) -> Result<()> {
        if !receivers.iter().any(|r| r.name == route.receiver) {
            return Err(self.source.error_at(
                route.receiver_line.unwrap_or(route.line),
                1,
                format!("undefined receiver {:?} used in route", route.receiver),
            ));
        }
        route
            .routes
            .iter()
            .try_for_each(|child| self.check_receivers(child, receivers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = r#"
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
      repeat_interval: 1h
      routes:
        - match: {team: payments}
          receiver: payments-pager
    - match_re:
        severity: warning|info
      receiver: slack
receivers:
  - name: default
  - name: pager
    pagerduty_configs:
      - routing_key: x
  - name: payments-pager
    opsgenie_configs:
      - api_key: y
  - name: slack
    slack_configs: [{channel: '#alerts'}]
"#;

    #[test]
    fn reads_the_tree_with_inheritance_and_numbering() {
        let config = AlertmanagerConfig::parse("am.yml", SHOP).unwrap();
        let root = &config.route;
        assert_eq!(root.receiver, "default");
        assert_eq!(root.routes.len(), 2);
        let pager = &root.routes[0];
        assert!(pager.continue_matching);
        assert_eq!(pager.group_by, Some(vec!["alertname".to_string()]));
        assert_eq!(pager.repeat_interval_ms, 3_600_000);
        assert_eq!(pager.routes[0].repeat_interval_ms, 3_600_000);
        assert_eq!(
            (root.group_wait_ms, root.repeat_interval_ms),
            (30_000, 4 * 3_600_000)
        );
        assert_eq!(pager.routes[0].receiver, "payments-pager");
        assert_eq!(pager.routes[0].line, 11);
        // Alertmanager's numbering: children first, the root last.
        assert_eq!(pager.routes[0].index, 0);
        assert_eq!(pager.index, 1);
        assert_eq!(root.routes[1].index, 2);
        assert_eq!(root.index, 3);
        assert!(config.receiver("pager").unwrap().pages());
        assert!(config.receiver("payments-pager").unwrap().pages());
        assert!(!config.receiver("slack").unwrap().pages());
        assert!(config.receiver("default").unwrap().integrations.is_empty());
    }

    #[test]
    fn refuses_what_alertmanager_refuses_naming_the_line() {
        let undefined = SHOP.replace("receiver: slack", "receiver: nobody");
        let e = AlertmanagerConfig::parse("am.yml", &undefined)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("am.yml:15") && e.contains("undefined receiver \"nobody\""),
            "{e}"
        );
        let e = AlertmanagerConfig::parse(
            "am.yml",
            "route:\n  receiver: a\n  match: {x: y}\nreceivers: [{name: a}]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("root route must not have any matchers"), "{e}");
        let e =
            AlertmanagerConfig::parse("am.yml", "route:\n  routes: []\nreceivers: [{name: a}]\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("default receiver"), "{e}");
        let e = AlertmanagerConfig::parse(
            "am.yml",
            "route:\n  receiver: a\n  routes:\n    - matchers: ['a=\"b']\nreceivers: [{name: a}]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("am.yml:4") && e.contains("unescaped double quote"),
            "{e}"
        );
        let e = AlertmanagerConfig::parse(
            "am.yml",
            "receivers: [{name: a}, {name: a}]\nroute: {receiver: a}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not unique"), "{e}");
        let e = AlertmanagerConfig::parse("am.yml", "route: [\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("am.yml:") && e.contains("invalid YAML"), "{e}");
    }

    #[test]
    fn match_values_are_read_as_written() {
        let config = AlertmanagerConfig::parse(
            "am.yml",
            "route:\n  receiver: a\n  routes:\n    - match: {code: 2.50, flag: true}\n      receiver: a\nreceivers: [{name: a}]\n",
        )
        .unwrap();
        let values: Vec<&str> = config.route.routes[0]
            .matchers
            .iter()
            .map(|m| m.value.as_str())
            .collect();
        assert_eq!(values, ["2.50", "true"]);
    }
}
