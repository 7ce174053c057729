//! Alertmanager's routing tree: which routes, and so which receivers, an
//! alert's labels reach.

use super::matchers::{all_match, Matcher};
use crate::interned::LabelMap;
use crate::timefmt::Millis;

/// One node of the routing tree, with what it inherits already applied.
#[derive(Debug, Clone)]
pub struct Route {
    /// The receiver its alerts go to (its own or inherited).
    pub receiver: String,
    /// The line of the route's own `receiver:`; `None` when inherited.
    pub receiver_line: Option<u64>,
    /// `group_by`, its own or inherited; `None` at a root without it.
    pub group_by: Option<Vec<String>>,
    /// What an alert must match to enter the route (`match`, `match_re`,
    /// `matchers` together).
    pub matchers: Vec<Matcher>,
    /// `group_wait`, its own or inherited (Alertmanager's default: 30s).
    pub group_wait_ms: Millis,
    /// `group_interval`, its own or inherited (default 5m).
    pub group_interval_ms: Millis,
    /// `repeat_interval`, its own or inherited (default 4h).
    pub repeat_interval_ms: Millis,
    /// `continue: true`: later siblings are tried after this one matched.
    pub continue_matching: bool,
    /// `mute_time_intervals`: alerts still reach the route, but are not
    /// sent while one of these holds.
    pub mute_time_intervals: Vec<String>,
    /// `active_time_intervals`: alerts are sent only while one holds.
    pub active_time_intervals: Vec<String>,
    /// The child routes, in file order.
    pub routes: Vec<Route>,
    /// The line the route starts on.
    pub line: u64,
    /// Alertmanager's number of the route (children before their parent,
    /// the root last), unique in the tree.
    pub index: usize,
    /// How deep it is: 0 for the root.
    pub depth: usize,
    /// Alertmanager's key of the route (its ancestors' and its own
    /// matchers, `{}/{severity="critical"}`): the part of a notification's
    /// `groupKey` before the group's labels.
    pub key: String,
}

impl Route {
    /// The routes an alert with these labels ends in, in tree order, as
    /// Alertmanager's dispatcher finds them: depth first; a child that
    /// matches stops the search among its siblings unless it has
    /// `continue: true`; a route none of whose children matched is itself
    /// the match. Empty when the route's own matchers do not match.
    pub fn matching<'r>(&'r self, labels: &LabelMap) -> Vec<&'r Route> {
        let mut found = Vec::new();
        self.collect_matching(labels, &mut found);
        found
    }

    fn collect_matching<'r>(&'r self, labels: &LabelMap, found: &mut Vec<&'r Route>) -> bool {
        if !all_match(&self.matchers, labels) {
            return false;
        }
        let before = found.len();
        for child in &self.routes {
            if child.collect_matching(labels, found) && !child.continue_matching {
                break;
            }
        }
        if found.len() == before {
            found.push(self);
        }
        true
    }

    /// The receivers an alert with these labels is sent to, in tree order
    /// (one per matching route, so a receiver reached by two routes is
    /// named twice, as `amtool config routes test` prints it).
    pub fn receivers<'r>(&'r self, labels: &LabelMap) -> Vec<&'r str> {
        self.matching(labels)
            .into_iter()
            .map(|r| r.receiver.as_str())
            .collect()
    }

    /// The group key of the notifications this route sends for an alert
    /// with these labels, as Alertmanager writes it into webhook bodies
    /// (`groupKey`) and hashes into PagerDuty's dedup key and Opsgenie's
    /// alias: the route's key, `:`, and the alert's `group_by` labels
    /// (all of them for `...`; those it lacks left out).
    pub fn group_key(&self, labels: &LabelMap) -> String {
        let by = self.group_by.as_deref().unwrap_or_default();
        let all = by.iter().any(|l| l == "...");
        let pairs: Vec<String> = labels
            .iter()
            .filter(|(name, _)| all || by.contains(name))
            .map(|(name, value)| format!("{name}={}", super::matchers::go_quote(value)))
            .collect();
        format!("{}:{{{}}}", self.key, pairs.join(", "))
    }

    /// Every route of the tree, the root first, then depth first in file
    /// order.
    pub fn walk(&self) -> Vec<&Route> {
        let mut all = vec![self];
        let mut at = 0;
        while at < all.len() {
            let children: Vec<&Route> = all[at].routes.iter().collect();
            all.splice(at + 1..at + 1, children);
            at += 1;
        }
        all
    }

    /// The route's matchers as Alertmanager prints them (`{a="b",c=~"d"}`).
    pub fn matchers_text(&self) -> String {
        let parts: Vec<String> = self.matchers.iter().map(|m| m.to_string()).collect();
        format!("{{{}}}", parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::super::AlertmanagerConfig;
    use crate::interned::LabelMap;

    fn labels(pairs: &[(&str, &str)]) -> LabelMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn routes_like_the_real_fixture_says() {
        // Alertmanager's own cli/testdata/conf.routing.yml, with what
        // `amtool config routes test` prints for it (checked by hand with amtool 0.25).
        let text = include_str!("../../tests/fixtures/alertmanager/alertmanager-routing.yml");
        let config = AlertmanagerConfig::parse("conf.routing.yml", text).unwrap();
        let route = |pairs: &[(&str, &str)]| config.route.receivers(&labels(pairs)).join(",");
        assert_eq!(route(&[("test", "2")]), "test1,test2");
        assert_eq!(route(&[("test", "1")]), "test1");
        assert_eq!(route(&[("test", "12")]), "default");
        assert_eq!(route(&[("foo", "1")]), "default");
        // The keys group keys begin with, as Alertmanager builds them.
        let keys: Vec<&str> = config.route.walk().iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            ["{}", "{}/{test=~\"^(?:^[12]$)$\"}", "{}/{test=\"2\"}"]
        );
    }

    #[test]
    fn missing_labels_are_empty_and_the_first_match_wins() {
        let config = super::super::AlertmanagerConfig::parse(
            "am.yml",
            r#"
route:
  receiver: root
  routes:
    - matchers: ['team!="db"']
      receiver: not-db
      routes:
        - matchers: ['env=~"prod|staging"']
          receiver: env
        - matchers: ['env=""']
          receiver: no-env
    - matchers: [team=db]
      receiver: db
receivers: [{name: root}, {name: not-db}, {name: env}, {name: no-env}, {name: db}]
"#,
        )
        .unwrap();
        let route = |pairs: &[(&str, &str)]| config.route.receivers(&labels(pairs)).join(",");
        assert_eq!(route(&[]), "no-env");
        assert_eq!(route(&[("env", "prod")]), "env");
        assert_eq!(route(&[("env", "dev")]), "not-db");
        assert_eq!(route(&[("team", "db"), ("env", "prod")]), "db");
        let walked: Vec<&str> = config
            .route
            .walk()
            .iter()
            .map(|r| r.receiver.as_str())
            .collect();
        assert_eq!(walked, ["root", "not-db", "env", "no-env", "db"]);
    }

    #[test]
    fn group_keys_are_the_route_key_and_the_group_by_labels() {
        let config = AlertmanagerConfig::parse(
            "am.yml",
            "route:\n  receiver: a\n  group_by: [alertname, cluster]\n  routes:\n    - matchers: [team=db]\n      group_by: ['...']\nreceivers: [{name: a}]\n",
        )
        .unwrap();
        let alert = labels(&[("alertname", "Disk \"full\""), ("team", "db"), ("x", "1")]);
        // The root groups by alertname and cluster; the alert lacks cluster.
        assert_eq!(
            config.route.group_key(&alert),
            r#"{}:{alertname="Disk \"full\""}"#
        );
        assert_eq!(
            config.route.routes[0].group_key(&alert),
            r#"{}/{team="db"}:{alertname="Disk \"full\"", team="db", x="1"}"#
        );
    }
}
