//! `alertnoise fetch opsgenie`: Opsgenie's alerts created in a window, page
//! by page, as files `report` reads (the `opsgenie-alerts` format: each
//! alert's `report.ackTime` gives time to acknowledge).
//!
//! `GET /v2/alerts` with `query=createdAt>=… AND createdAt<…` (epoch
//! milliseconds), `sort=createdAt`, `order=asc`, `limit=100` and `offset`:
//! the next page while the answer's `paging` has a `next`, at most 20,000
//! alerts through offsets (a window with more is cut in two, see
//! [`super::pages`]). The key is sent as Opsgenie asks (`Authorization:
//! GenieKey …`).

use super::client::Client;
use super::manifest::Manifest;
use super::pages::{fetch_paged, PagedCount, PagedList};
use super::Progress;
use crate::error::Result;
use crate::timefmt::Millis;
use serde_json::Value;
use std::path::Path;

/// Opsgenie's API (its EU instance is `https://api.eu.opsgenie.com`).
pub const DEFAULT_URL: &str = "https://api.opsgenie.com";

/// Fetches the alerts created in `[since, until)` into `dir`.
pub fn fetch(
    client: &Client,
    since: Millis,
    until: Millis,
    dir: &Path,
    manifest: &mut Manifest,
    progress: &Progress,
) -> Result<PagedCount> {
    let query = |from: Millis, to: Millis, offset: u64| {
        vec![
            ("query", format!("createdAt>={from} AND createdAt<{to}")),
            ("sort", "createdAt".to_string()),
            ("order", "asc".to_string()),
            ("limit", "100".to_string()),
            ("offset", offset.to_string()),
        ]
    };
    let more = |page: &Value| page["paging"]["next"].is_string();
    let list = PagedList {
        path: "v2/alerts",
        key: "data",
        page: 100,
        offset_cap: 20_000,
        longest_window: Millis::MAX / 4,
        query: &query,
        more: &more,
        file_prefix: "opsgenie/alerts",
    };
    fetch_paged(client, &list, since, until, dir, manifest, progress)
}
