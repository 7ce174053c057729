//! Reading a report directory back: its public files (`summary.json`,
//! `rules.json`, `advice.json`), for `compare` and the `--history` records.

use super::rows::Row;
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A report directory's public files.
pub struct ReportDir {
    /// The directory.
    pub path: PathBuf,
    /// `summary.json`.
    pub summary: Value,
    /// `rules.json`.
    pub rules: Vec<Row>,
    /// `advice.json` (an empty object when the report has none).
    pub advice: Value,
}

impl ReportDir {
    /// Reads a report directory; a missing or unreadable file is a usage error naming it.
    pub fn load(path: &Path) -> Result<ReportDir> {
        let read = |name: &str| -> Result<Value> {
            let file = path.join(name);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                let hint = if name != super::MARKER && path.join(super::MARKER).exists() {
                    "the report was written without `json` in `--outputs`".to_string()
                } else {
                    format!(
                        "is {} a report directory written by `alertnoise report`?",
                        path.display()
                    )
                };
                Error::Usage(format!("{}: {e} ({hint})", file.display()))
            })?;
            serde_json::from_str(&text)
                .map_err(|e| Error::Usage(format!("{}:{}: {e}", file.display(), e.line())))
        };
        let summary = read("summary.json")?;
        let rules = match read("rules.json")? {
            Value::Array(rows) => rows
                .into_iter()
                .filter_map(|r| match r {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .collect(),
            _ => {
                return Err(Error::Usage(format!(
                    "{}: rules.json is not a list of rules",
                    path.display()
                )))
            }
        };
        let advice = if path.join("advice.json").exists() {
            read("advice.json")?
        } else {
            Value::Object(Default::default())
        };
        Ok(ReportDir {
            path: path.to_path_buf(),
            summary,
            rules,
            advice,
        })
    }
}
