//! Alertmanager's routing tree applied to history: which receivers every
//! episode reached (`--alertmanager-config`).
//!
//! [`config`] reads `alertmanager.yml`, [`matchers`] reads and applies label
//! matchers, [`tree`] walks the routing tree as Alertmanager's dispatcher
//! does, [`routed`] routes every label set of the episode table once, and
//! [`patch`] adds `inhibit_rules` entries to the file.

pub mod config;
pub mod matchers;
pub mod patch;
pub mod routed;
pub mod tree;

pub use config::{AlertmanagerConfig, InhibitRule, Receiver};

use crate::interned::LabelMap;
use std::borrow::Cow;

/// The labels Alertmanager routes an alert of `rule` by: its own, with
/// `alertname` set to the rule when they lack one (some exports leave it
/// out; every alert Alertmanager receives has it).
pub fn alert_labels<'l>(labels: &'l LabelMap, rule: &str) -> Cow<'l, LabelMap> {
    if labels.contains_key("alertname") {
        return Cow::Borrowed(labels);
    }
    let mut map = labels.clone();
    map.insert("alertname".into(), rule.into());
    Cow::Owned(map)
}
pub use routed::Routed;
pub use tree::Route;
