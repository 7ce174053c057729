//! Continuous review: `report --history DIR` keeps every run's `summary.json`,
//! `rules.json` and `advice.json` in DIR, one folder per analysis window
//! (`2026-11-09_2026-11-16`), and the report shows each rule's noise over the
//! last runs.
//!
//! Running the same window again replaces its folder, so a re-run does not
//! count twice. Runs are ordered by their window's end.

use super::markdown::display_name;
use super::rows::{num, Row};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many runs a trend shows, the current one included.
pub const TREND_RUNS: usize = 8;

/// One recorded run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The folder name: the window as `SINCE_UNTIL` (dates).
    pub id: String,
    /// Noise score per rule (and `--by` value).
    pub noise: BTreeMap<String, f64>,
}

/// The folder name of a window (`since` and `until` as RFC 3339 texts).
pub fn run_id(since: &str, until: &str) -> String {
    let day = |t: &str| t.get(..10).unwrap_or(t).to_string();
    format!("{}_{}", day(since), day(until))
}

fn noise_of(rows: &[Row], by: Option<&str>) -> BTreeMap<String, f64> {
    rows.iter()
        .map(|r| (display_name(r, by), num(r, "noise_score").unwrap_or(0.0)))
        .collect()
}

/// Reads the recorded runs of a history folder, oldest first; a folder that
/// does not exist yet has none. A run folder that cannot be read is an error
/// naming the file: the folder is alertnoise's own.
pub fn load(dir: &Path) -> Result<Vec<Run>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.join("rules.json").exists())
        .collect();
    folders.sort();
    let mut runs = Vec::new();
    for folder in folders {
        let record = super::report_dir::ReportDir::load(&folder)?;
        let by = record.summary["settings"]["by"].as_str();
        runs.push(Run {
            id: folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            noise: noise_of(&record.rules, by),
        });
    }
    // Folder names start with the window's dates; order by the end.
    runs.sort_by(|a, b| {
        let end = |r: &Run| r.id.split('_').nth(1).unwrap_or("").to_string();
        end(a).cmp(&end(b)).then_with(|| a.id.cmp(&b.id))
    });
    Ok(runs)
}

/// Each rule's noise score over the last runs (at most [`TREND_RUNS`], the
/// current run last; a run in which the rule did not fire counts 0). The
/// current window's own earlier record is left out: it is being replaced.
pub fn trends(
    past: &[Run],
    current_id: &str,
    rows: &[Row],
    by: Option<&str>,
) -> BTreeMap<String, Vec<f64>> {
    let earlier: Vec<&Run> = past.iter().filter(|r| r.id != current_id).collect();
    let earlier = &earlier[earlier.len().saturating_sub(TREND_RUNS - 1)..];
    let current = noise_of(rows, by);
    current
        .iter()
        .map(|(key, now)| {
            let mut series: Vec<f64> = earlier
                .iter()
                .map(|r| r.noise.get(key).copied().unwrap_or(0.0))
                .collect();
            series.push(*now);
            (key.clone(), series)
        })
        .collect()
}

/// A series as block characters, lowest ▁ to highest █ (all ▁ when flat at 0).
pub fn sparkline(values: &[f64]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| {
            if max <= 0.0 {
                BLOCKS[0]
            } else {
                BLOCKS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// Records a run: copies the report's `summary.json`, `rules.json` and
/// `advice.json` into `dir/ID/`, replacing an earlier record of the window.
pub fn record(dir: &Path, id: &str, report: &Path) -> Result<()> {
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = dir.join(format!(".{id}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| io(&tmp, e))?;
    for name in ["summary.json", "rules.json", "advice.json"] {
        std::fs::copy(report.join(name), tmp.join(name)).map_err(|e| io(&report.join(name), e))?;
    }
    let target = dir.join(id);
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| io(&target, e))?;
    }
    std::fs::rename(&tmp, &target).map_err(|e| io(&target, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_largest_value() {
        assert_eq!(sparkline(&[0.0, 3.5, 7.0]), "▁▅█");
        assert_eq!(sparkline(&[0.0, 0.0]), "▁▁");
        assert_eq!(sparkline(&[2.0]), "█");
    }

    #[test]
    fn trends_take_the_last_runs_and_skip_the_current_windows_record() {
        let run = |id: &str, n: f64| Run {
            id: id.into(),
            noise: BTreeMap::from([("A".to_string(), n)]),
        };
        let past: Vec<Run> = (0..10)
            .map(|i| {
                run(
                    &format!("2026-01-{:02}_2026-01-{:02}", i + 1, i + 2),
                    i as f64,
                )
            })
            .collect();
        let mut row = Row::new();
        row.insert("rule".into(), "A".into());
        row.insert("noise_score".into(), 42.0.into());
        let t = trends(&past, "2026-01-10_2026-01-11", &[row], None);
        // Seven earlier runs (2..8, the current window's record 9 left out), then now.
        assert_eq!(t["A"], vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 42.0]);
    }
}
