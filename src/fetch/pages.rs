//! Offset-paged lists over a time window (PagerDuty's `/incidents` and
//! `/log_entries`, Opsgenie's `/v2/alerts`): the window is cut into
//! windows the API accepts, each window is read page by page while the
//! answer says there is more, and a window holding more records than the
//! API pages through by offsets is cut in two and asked again. Every page
//! with records is saved as it came.

use super::client::Client;
use super::manifest::Manifest;
use super::Progress;
use crate::error::{Error, Result};
use crate::outdir::write_file;
use crate::timefmt::{format_millis, Millis};
use serde_json::Value;
use std::path::Path;

/// How one API pages a list.
pub struct PagedList<'a> {
    /// The API path (relative to the base URL).
    pub path: &'a str,
    /// The answer's key holding the records.
    pub key: &'a str,
    /// Records a page asks for.
    pub page: u64,
    /// The most records the API serves through offsets.
    pub offset_cap: u64,
    /// The longest window the API accepts in one query.
    pub longest_window: Millis,
    /// The query of a page: the window and the offset.
    pub query: &'a dyn Fn(Millis, Millis, u64) -> Vec<(&'static str, String)>,
    /// Whether an answer says more pages follow.
    pub more: &'a dyn Fn(&Value) -> bool,
    /// Saved pages' names start with this (`pagerduty/incidents`).
    pub file_prefix: &'a str,
}

/// What was fetched of one list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagedCount {
    /// Records in all pages.
    pub records: usize,
    /// Pages saved.
    pub pages: usize,
    /// Windows cut in two because they held more than offsets reach.
    pub splits: usize,
}

/// Fetches every page of `list` in `[since, until)` into `dir`.
pub fn fetch_paged(
    client: &Client,
    list: &PagedList,
    since: Millis,
    until: Millis,
    dir: &Path,
    manifest: &mut Manifest,
    progress: &Progress,
) -> Result<PagedCount> {
    let mut count = PagedCount::default();
    let mut windows = Vec::new();
    let mut from = since;
    while from < until {
        let to = (from + list.longest_window).min(until);
        windows.push((from, to));
        from = to;
    }
    windows.reverse();
    while let Some((from, to)) = windows.pop() {
        match read_window(client, list, from, to)? {
            Some(pages) => {
                // An empty page says nothing `report` could read.
                let pages = pages.into_iter().filter(|(_, records)| *records > 0);
                for (index, (body, records)) in pages.enumerate() {
                    let name = format!("{}-{}-{index:05}.json", list.file_prefix, from / 1000);
                    write_file(dir, &name, &body)?;
                    manifest.history.push(name);
                    count.pages += 1;
                    count.records += records;
                }
            }
            None if to - from > 1000 => {
                let middle = from + (to - from) / 2;
                windows.push((middle, to));
                windows.push((from, middle));
                count.splits += 1;
            }
            None => {
                return Err(Error::Fetch {
                    url: client.url_of(list.path),
                    status: None,
                    reason: format!(
                        "more than {} {} in one second at {}: the API pages no further",
                        list.offset_cap,
                        list.key,
                        format_millis(from)
                    ),
                })
            }
        }
        progress.inc(1);
    }
    Ok(count)
}

/// A window's pages: each page's body and how many records it holds.
type Pages = Vec<(Vec<u8>, usize)>;

/// The pages of one window, or `None` when it holds more records than
/// offsets reach.
fn read_window(
    client: &Client,
    list: &PagedList,
    from: Millis,
    to: Millis,
) -> Result<Option<Pages>> {
    let url = client.url_of(list.path);
    let mut pages = Vec::new();
    let mut offset = 0;
    loop {
        let body = client.get(list.path, &(list.query)(from, to, offset), &|_, _| false)?;
        let page: Value = serde_json::from_slice(&body).map_err(|e| Error::Fetch {
            url: url.clone(),
            status: Some(200),
            reason: format!("not JSON: {e}"),
        })?;
        let Some(records) = page[list.key].as_array().map(Vec::len) else {
            return Err(Error::Fetch {
                url,
                status: Some(200),
                reason: format!("the answer has no `{}` list", list.key),
            });
        };
        let more = (list.more)(&page) && records > 0;
        pages.push((body, records));
        if !more {
            return Ok(Some(pages));
        }
        offset += records as u64;
        if offset + list.page > list.offset_cap {
            return Ok(None);
        }
    }
}
