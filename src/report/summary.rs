//! `summary.json`: the run at a glance — window, settings, inputs, counts, problems.

use crate::error::Result;
use crate::problem::{Problem, Severity};
use serde::Serialize;

/// How many problems `summary.json` lists in full.
pub const PROBLEMS_SHOWN: usize = 100;

/// The analysis window as written to the summary.
#[derive(Debug, Clone, Serialize)]
pub struct WindowInfo {
    /// First instant inside the window (RFC 3339).
    pub since: String,
    /// First instant after the window (RFC 3339).
    pub until: String,
    /// Length in days.
    pub days: f64,
    /// Whether it was taken from the data (no `--since`/`--until`).
    pub from_data: bool,
}

/// The settings the numbers depend on.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsInfo {
    /// `--short`.
    pub short: String,
    /// `--flap-window`.
    pub flap_window: String,
    /// `--tz`.
    pub tz: String,
    /// `--business-hours`.
    pub business_hours: String,
    /// `--by`.
    pub by: Option<String>,
}

/// One input file and the format it was read as.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// The file as named on the command line (or found in a directory).
    pub file: String,
    /// Its detected or given format; null when it could not be read.
    pub format: Option<String>,
}

/// The reviews file, if any.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewsInfo {
    /// The file.
    pub file: String,
    /// Verdict rows read.
    pub verdicts: usize,
}

/// Totals over the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Input files.
    pub files: usize,
    /// Rows of the episode table (all time, including pending-only).
    pub episodes_total: usize,
    /// Episodes starting inside the window.
    pub episodes: u64,
    /// Rules with at least one episode in the window.
    pub rules: usize,
    /// Notifications of those episodes.
    pub notifications: u64,
    /// Noisy episodes (short, refire or reviewed non-actionable).
    pub noisy_episodes: u64,
    /// Episodes of critical rules that started outside business hours.
    pub critical_off_hours: u64,
    /// Episodes whose `actionable` came from a review verdict.
    pub actionable_from_review: u64,
    /// Episodes whose `actionable` came from the acknowledgement proxy.
    pub actionable_from_proxy: u64,
    /// Episodes whose `actionable` is unknown.
    pub actionable_unknown: u64,
}

/// Problems found in the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemsInfo {
    /// All problems.
    pub total: usize,
    /// Records skipped.
    pub skipped: usize,
    /// Records kept with a warning.
    pub warnings: usize,
    /// The first problems, in input order.
    pub first: Vec<Problem>,
}

impl ProblemsInfo {
    /// Summarises a list of problems.
    pub fn from(problems: &[Problem]) -> Self {
        let skipped = problems
            .iter()
            .filter(|p| p.severity == Severity::Skipped)
            .count();
        ProblemsInfo {
            total: problems.len(),
            skipped,
            warnings: problems.len() - skipped,
            first: problems.iter().take(PROBLEMS_SHOWN).cloned().collect(),
        }
    }
}

/// The whole `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Version of the public columns and keys.
    pub schema_version: u32,
    /// The tool and its version.
    pub tool: String,
    /// The analysis window.
    pub window: WindowInfo,
    /// Settings that shape the numbers.
    pub settings: SettingsInfo,
    /// Every input file and its format.
    pub inputs: Vec<InputInfo>,
    /// The reviews file.
    pub reviews: Option<ReviewsInfo>,
    /// Totals.
    pub counts: Counts,
    /// The rule files given with `--rules` and how history joined them; null without.
    pub rule_files: Option<RuleFilesInfo>,
    /// What joining across inputs did: paging incidents onto Alertmanager
    /// episodes, PagerDuty logs onto incidents, silences, API answers.
    pub joins: crate::sources::assemble::Joins,
    /// Data-quality problems.
    pub problems: ProblemsInfo,
}

/// The rule files and the join of rules to history.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleFilesInfo {
    /// The files read, in order.
    pub files: Vec<String>,
    /// Alerting rules.
    pub alerting_rules: usize,
    /// Recording rules (read, not advised on).
    pub recording_rules: usize,
    /// Alerting rules whose threshold was located in the PromQL.
    pub thresholds_located: usize,
    /// Alerting rules with no single threshold (see `advice.json` for why).
    pub thresholds_not_located: usize,
    /// Alerting rules with no episode in the window.
    pub never_fired: usize,
    /// Alert names in the history that no given rule defines.
    pub undefined_alerts: usize,
    /// Recommendations made.
    pub advice: usize,
    /// The servers the rule files were fetched from (`fetch prometheus`),
    /// when they are the server's rules rather than the user's own files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fetched_from: Vec<String>,
}

/// Serialises the summary as pretty JSON.
pub fn to_json(summary: &Summary) -> Result<Vec<u8>> {
    super::pretty_json(summary, "summary.json")
}
