//! `alertnoise fetch alertmanager`: what an Alertmanager knows now, as files
//! that `report` reads.
//!
//! - `/api/v2/alerts` (active, silenced, inhibited and unprocessed alerts,
//!   each with its `receivers` and `status`): saved as it came, one file per
//!   poll under `alerts/` (an empty answer is not saved: it has no time). A directory of polls is a history (see the
//!   `alertmanager-api` format): an alert missing from a later answer had
//!   ended by then.
//! - `/api/v2/silences`: kept in one file, `silences/silences.json`, the
//!   latest version of every silence seen by any poll (Alertmanager forgets
//!   expired silences after its retention; the fetched file does not), so a
//!   silence is counted once however often it was polled.
//! - `/api/v2/status`: saved whole as `status.json` (its `config.original`
//!   is the routing tree a later release routes history with); not history.
//!
//! With `--every 1m --for 7d` the answers are appended to the directory
//! until the time is up; a directory fetched before from the same system is
//! added to, never replaced.

use super::client::Client;
use super::manifest::Manifest;
use crate::error::{Error, Result};
use crate::outdir::write_file;
use crate::timefmt::{format_millis, Millis};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The file the silences are kept in, relative to the directory.
pub const SILENCES: &str = "silences/silences.json";

/// The status answer's file, relative to the directory.
pub const STATUS: &str = "status.json";

/// What one poll found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Poll {
    /// Alerts in the answer.
    pub alerts: usize,
    /// Silences known after the poll (this poll's and earlier ones').
    pub silences: usize,
    /// The Alertmanager's version, from its status.
    pub version: String,
}

/// Polls Alertmanager once at `now` into `dir` (a new or an earlier fetched
/// directory), and records the files in `manifest`.
pub fn poll(client: &Client, dir: &Path, now: Millis, manifest: &mut Manifest) -> Result<Poll> {
    let never = |_: u16, _: &[u8]| false;
    let alerts = client.get("api/v2/alerts", &[], &never)?;
    let alert_list = json_list(&alerts, &client.url_of("api/v2/alerts"))?;
    let silences = client.get("api/v2/silences", &[], &never)?;
    let silence_list = json_list(&silences, &client.url_of("api/v2/silences"))?;
    let status = client.get("api/v2/status", &[], &never)?;
    let version = status_version(&status).map_err(|reason| Error::Fetch {
        url: client.url_of("api/v2/status"),
        status: Some(200),
        reason,
    })?;
    // An empty answer has no time of its own (`report` times an answer by
    // its alerts' `updatedAt`): nothing to save.
    if !alert_list.is_empty() {
        let name = format!("alerts/alerts-{}.json", file_stamp(now));
        write_file(dir, &name, &alerts)?;
        if !manifest.history.contains(&name) {
            manifest.history.push(name);
        }
    }
    let known = merge_silences(&dir.join(SILENCES), silence_list)?;
    write_file(dir, SILENCES, &known)?;
    if !manifest.history.iter().any(|h| h == SILENCES) {
        manifest.history.push(SILENCES.to_string());
    }
    write_file(dir, STATUS, &status)?;
    if !manifest.other_files.iter().any(|f| f == STATUS) {
        manifest.other_files.push(STATUS.to_string());
    }
    let silences = serde_json::from_slice::<Vec<Value>>(&known).map_or(0, |v| v.len());
    Ok(Poll {
        alerts: alert_list.len(),
        silences,
        version,
    })
}

/// The version an `/api/v2/status` answer gives (`unknown` when it gives
/// none); an answer that is not a JSON object with `config.original` is an error.
pub fn status_version(body: &[u8]) -> std::result::Result<String, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if !value["config"]["original"].is_string() {
        return Err("not an Alertmanager status answer: no `config.original`".into());
    }
    Ok(value["versionInfo"]["version"]
        .as_str()
        .unwrap_or("unknown")
        .to_string())
}

/// A poll's time as a file name part that sorts in time order.
fn file_stamp(millis: Millis) -> String {
    format_millis(millis)
        .replace([':', '-'], "")
        .replace('.', "_")
}

/// An answer that must be a JSON list.
fn json_list(body: &[u8], url: &str) -> Result<Vec<Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(Error::Fetch {
            url: url.to_string(),
            status: Some(200),
            reason: "the answer is not a JSON list".into(),
        }),
        Err(e) => Err(Error::Fetch {
            url: url.to_string(),
            status: Some(200),
            reason: format!("not JSON: {e}"),
        }),
    }
}

/// The silences already in `path` and the new ones, one per id (the newest
/// answer's version of each), sorted by id, as JSON.
fn merge_silences(path: &Path, new: Vec<Value>) -> Result<Vec<u8>> {
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    if path.is_file() {
        let text = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let old: Vec<Value> = serde_json::from_slice(&text).map_err(|e| {
            Error::BadInput(crate::problem::Problem::skipped(
                &path.display().to_string(),
                e.line() as u64,
                e.column() as u64,
                format!("the silences fetched before cannot be read: {e}"),
            ))
        })?;
        for silence in old {
            by_id.insert(id_of(&silence), silence);
        }
    }
    for silence in new {
        by_id.insert(id_of(&silence), silence);
    }
    let list: Vec<Value> = by_id.into_values().collect();
    serde_json::to_vec_pretty(&list).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn id_of(silence: &Value) -> String {
    match &silence["id"] {
        Value::String(id) => id.clone(),
        // No id (never from Alertmanager): the whole silence is its identity.
        other => format!("~{}", serde_json::to_string(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn silences_are_kept_once_each_in_their_newest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silences.json");
        let first = merge_silences(
            &path,
            vec![
                json!({"id": "b", "status": {"state": "active"}}),
                json!({"id": "a", "status": {"state": "active"}}),
            ],
        )
        .unwrap();
        std::fs::write(&path, &first).unwrap();
        // Later: `a` expired, `b` was forgotten by Alertmanager, `c` is new.
        let second = merge_silences(
            &path,
            vec![
                json!({"id": "a", "status": {"state": "expired"}}),
                json!({"id": "c", "status": {"state": "active"}}),
            ],
        )
        .unwrap();
        let list: Vec<Value> = serde_json::from_slice(&second).unwrap();
        let states: Vec<(&str, &str)> = list
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap(),
                    s["status"]["state"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(states, [("a", "expired"), ("b", "active"), ("c", "active")]);
    }

    #[test]
    fn a_real_status_answer_gives_its_version() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/handmade/alertmanager-api-v2-status.json"
        );
        let version = status_version(&std::fs::read(path).unwrap()).unwrap();
        assert!(version.starts_with("0."), "{version}");
        assert!(status_version(b"[]").is_err());
        assert!(status_version(b"{").is_err());
    }

    #[test]
    fn poll_files_sort_in_time_order() {
        let a = file_stamp(1_700_000_000_000);
        let b = file_stamp(1_700_000_060_000);
        assert!(a < b, "{a} {b}");
        assert!(!a.contains(':'));
    }
}
