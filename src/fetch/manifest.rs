//! `fetch.json`: what a fetch wrote and from where. `report` reads it to
//! take the directory's rule files as `--rules` and to leave them (and the
//! manifest) out of the history; it never holds a secret.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The manifest's file name inside a fetched directory.
pub const FILE: &str = "fetch.json";

/// A fetched directory's manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The system fetched from: `prometheus`, `alertmanager`, `pagerduty`, `opsgenie`.
    pub system: String,
    /// The server's URL, without credentials.
    pub url: String,
    /// When the fetch ran (RFC 3339).
    pub fetched_at: String,
    /// The window asked for (RFC 3339), where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The query step, in Prometheus syntax (Prometheus history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The last time the range queries evaluated (RFC 3339): the history
    /// reaches it, so an alert whose samples stop before it had resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluation: Option<String>,
    /// History files, relative to the directory.
    pub history: Vec<String>,
    /// Rule files written from the server's rules, relative to the directory.
    #[serde(default)]
    pub rule_files: Vec<String>,
    /// Recorded series the SLO burn-rate alerts read (`fetch prometheus
    /// --metrics-for-rules`): query_range answers, relative to the directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
    /// Files that are neither history nor rules (Alertmanager's status), relative to the directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_files: Vec<String>,
    /// Polls made into the directory (`fetch alertmanager`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polls: Option<u64>,
    /// A line saying what was fetched.
    pub summary: String,
}

/// Names of files being written (then renamed into place).
const TEMP_PREFIX: &str = ".tmp-";

impl Manifest {
    /// Writes the manifest into `dir`, replacing the one there at once (a
    /// temporary file renamed), so a reader never sees half of it.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        let output = |e: &dyn std::fmt::Display| Error::Output {
            path: path.clone(),
            reason: e.to_string(),
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| output(&e))?;
        let temp = dir.join(format!("{TEMP_PREFIX}{FILE}"));
        std::fs::write(&temp, format!("{text}\n")).map_err(|e| output(&e))?;
        std::fs::rename(&temp, &path).map_err(|e| output(&e))
    }

    /// Reads the manifest of the fetched directory `dir`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::BadInput(crate::problem::Problem::skipped(
                &path.display().to_string(),
                e.line() as u64,
                e.column() as u64,
                format!("not an alertnoise fetch manifest: {e}"),
            ))
        })
    }
}

/// A fetched directory found among a report's inputs.
#[derive(Debug, Clone)]
pub struct FetchedDir {
    /// The directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl FetchedDir {
    /// The time its history is known to reach (Prometheus' last evaluation).
    pub fn history_end(&self) -> Option<crate::timefmt::Millis> {
        let text = self.manifest.last_evaluation.as_deref()?;
        crate::timefmt::parse_rfc3339(text).ok()
    }

    /// The recorded series in it, as paths to read.
    pub fn metric_paths(&self) -> Vec<PathBuf> {
        (self.manifest.metrics.iter())
            .map(|f| self.dir.join(f))
            .collect()
    }

    /// The rule files in it, as paths to read.
    pub fn rule_paths(&self) -> Vec<PathBuf> {
        (self.manifest.rule_files.iter())
            .map(|f| self.dir.join(f))
            .collect()
    }

    /// Whether `path` is one of its files that is not history (the
    /// manifest, a rule file, Alertmanager's status).
    pub fn is_not_history(&self, path: &Path) -> bool {
        let named = |f: &String| path == self.dir.join(f);
        path == self.dir.join(FILE)
            || self.manifest.rule_files.iter().any(named)
            || self.manifest.other_files.iter().any(named)
            || self.manifest.metrics.iter().any(named)
            || path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX))
    }
}

/// The fetched directories among `inputs` (directories holding a `fetch.json`).
pub fn fetched_dirs(inputs: &[PathBuf]) -> Result<Vec<FetchedDir>> {
    let mut found = Vec::new();
    for dir in inputs.iter().filter(|p| p.is_dir()) {
        if dir.join(FILE).is_file() {
            found.push(FetchedDir {
                dir: dir.clone(),
                manifest: Manifest::read(dir)?,
            });
        }
    }
    Ok(found)
}
