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
pub use routed::Routed;
pub use tree::Route;
