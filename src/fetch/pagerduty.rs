//! `alertnoise fetch pagerduty`: PagerDuty's incidents and log entries for
//! a window, page by page, as files `report` reads (the
//! `pagerduty-incidents` and `pagerduty-log-entries` formats), so time to
//! acknowledge comes without a hand export.
//!
//! `GET /incidents` and `GET /log_entries` with `since`, `until`,
//! `time_zone=UTC`, `limit=100` and `offset`: PagerDuty's classic
//! pagination, the next page while the answer says `more`, at most 10,000
//! records through offsets (a window with more is cut in two, see
//! [`super::pages`]), windows of at most 30 days (PagerDuty refuses long
//! ranges). The token is sent as PagerDuty asks (`Authorization: Token
//! token=…`) with its REST API's `Accept` header.

use super::client::Client;
use super::manifest::Manifest;
use super::pages::{fetch_paged, PagedCount, PagedList};
use super::Progress;
use crate::error::Result;
use crate::timefmt::{format_millis, Millis};
use serde_json::Value;
use std::path::Path;

/// PagerDuty's REST API.
pub const DEFAULT_URL: &str = "https://api.pagerduty.com";

/// The `Accept` header of PagerDuty's REST API v2.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// What was fetched: incidents, then log entries.
pub type Fetched = [PagedCount; 2];

/// Fetches `[since, until)` into `dir` and records the files in `manifest`.
pub fn fetch(
    client: &Client,
    since: Millis,
    until: Millis,
    dir: &Path,
    manifest: &mut Manifest,
    progress: &Progress,
) -> Result<Fetched> {
    let query = |from: Millis, to: Millis, offset: u64| {
        vec![
            ("since", format_millis(from)),
            ("until", format_millis(to)),
            ("time_zone", "UTC".to_string()),
            ("limit", "100".to_string()),
            ("offset", offset.to_string()),
            ("total", "false".to_string()),
        ]
    };
    let more = |page: &Value| page["more"].as_bool().unwrap_or(false);
    let mut fetched = Fetched::default();
    for (slot, key) in fetched.iter_mut().zip(["incidents", "log_entries"]) {
        let prefix = format!("pagerduty/{key}");
        let list = PagedList {
            path: key,
            key,
            page: 100,
            offset_cap: 10_000,
            longest_window: 30 * 86_400_000,
            query: &query,
            more: &more,
            file_prefix: &prefix,
        };
        *slot = fetch_paged(client, &list, since, until, dir, manifest, progress)?;
    }
    Ok(fetched)
}
