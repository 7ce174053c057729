//! The output contract: every file a report directory holds.
//!
//! One file per output format. Files are written into a temporary directory
//! beside `--out` and moved into place at the end (see `outdir.rs`).

pub mod advice_section;
pub mod charts;
pub mod compare;
pub mod history;
pub mod html;
pub mod instances;
pub mod markdown;
pub mod page;
pub mod parquet;
pub mod receivers;
pub mod report_dir;
pub mod responders;
pub mod retro;
pub mod rows;
pub mod rules_csv;
pub mod rules_json;
pub mod silences;
pub mod slo;
pub mod stuck;
pub mod summary;
pub mod terminal;

use crate::advice::inventory::AdviceReport;
use crate::error::Result;
use crate::outdir::write_file;
use crate::problem::Problem;
use std::path::{Path, PathBuf};

/// The file every report directory holds, which `--force` looks for before replacing one.
pub const MARKER: &str = "summary.json";

/// Version of the public column names and JSON keys; bumped on any change to them.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a report is made from.
pub struct ReportInput<'a> {
    /// The run's summary (window, inputs, counts, problems).
    pub summary: &'a summary::Summary,
    /// Per-rule metrics as JSON-ready rows.
    pub rules: &'a [rows::Row],
    /// The metric columns, in order (so an empty table still has a header).
    pub columns: &'a [String],
    /// What each rule's episodes add up to, for report.html's charts
    /// (`html::rule_facts`; empty when report.html is not written).
    pub charts: &'a std::collections::BTreeMap<String, html::RuleFacts>,
    /// Every problem found in the inputs.
    pub problems: &'a [Problem],
    /// Recommendations and the rule inventory.
    pub advice: &'a AdviceReport,
    /// Whether rule files were given (then `advice.patch` is written).
    pub with_rules: bool,
    /// The servers the rule files were fetched from, when they were.
    pub rules_fetched_from: &'a [String],
    /// With `--history`: each rule's noise score over the last runs.
    pub trends: Option<&'a std::collections::BTreeMap<String, Vec<f64>>>,
    /// With `--metrics`: the SLO burn-rate replay and its advice's patch.
    pub slo: Option<(&'a crate::slo::SloReport, &'a str)>,
    /// With `--alertmanager-config`: the Receivers section's figures.
    pub receivers: Option<&'a crate::metrics::receivers::ReceiversReport>,
    /// The noisiest instances of each noisy rule.
    pub instances: &'a [crate::metrics::instances::RuleInstances],
    /// Stuck alerts.
    pub stuck: &'a crate::metrics::stuck::StuckReport,
    /// The responder load.
    pub responders: &'a crate::metrics::responders::RespondersReport,
    /// Where silences were read: their hygiene.
    pub silences: Option<&'a crate::metrics::silence_hygiene::SilenceHygiene>,
}

/// The files a report directory gets (`--outputs md,html,json,csv`);
/// `summary.json` is always written: it marks the directory as a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// `report.md`.
    pub md: bool,
    /// `report.html`.
    pub html: bool,
    /// The data files: `rules.json`, `rules.csv`, `episodes.parquet`,
    /// `advice.json`, `instances.json`, `stuck.json`, and where they apply
    /// `advice.patch`, `receivers.json`, `slo.json`, `slo.patch`.
    pub json: bool,
    /// `rules.csv` alone (also among the data files): the per-rule
    /// metrics for a spreadsheet, without the advice or the episodes.
    pub csv: bool,
}

impl Outputs {
    /// Parses a comma-separated list of `md`, `html`, `json`, `csv`.
    pub fn parse(text: &str) -> Result<Outputs> {
        let mut outputs = Outputs {
            md: false,
            html: false,
            json: false,
            csv: false,
        };
        for name in text.split(',').map(str::trim) {
            match name {
                "md" | "markdown" => outputs.md = true,
                "html" => outputs.html = true,
                "json" => outputs.json = true,
                "csv" => outputs.csv = true,
                other => {
                    return Err(crate::error::Error::Usage(format!(
                        "--outputs: unknown output `{other}` (choose from md, html, json, csv, comma-separated)"
                    )))
                }
            }
        }
        Ok(outputs)
    }

    /// Whether an output shows the advice (`report.md`, `report.html`,
    /// `advice.json`): without one, `report` need not make it.
    pub fn show_advice(&self) -> bool {
        self.md || self.html || self.json
    }
}

/// A report directory being written (into a temporary sibling of `--out`,
/// moved into place by [`ReportWriter::finish`]): `episodes.parquet` can be
/// written while the advice is still being made, the other files after.
pub struct ReportWriter {
    /// The temporary directory.
    staged: crate::outdir::Staged,
    /// Which files to write besides `summary.json`.
    outputs: Outputs,
    /// A folder already in `out` (what `report --prometheus` fetched) to
    /// move into the report when it is put in place.
    keep: Option<PathBuf>,
}

impl ReportWriter {
    /// Checks that `out` may be written and makes the temporary directory.
    pub fn start(out: &Path, force: bool, outputs: Outputs) -> Result<ReportWriter> {
        Ok(ReportWriter {
            staged: crate::outdir::Staged::start(out, force, MARKER)?,
            outputs,
            keep: None,
        })
    }

    /// [`ReportWriter::start`] for a report whose `out` already holds the
    /// folder `kept` (and nothing else, unless it is a report): the folder
    /// is moved into the new report as it is put in place.
    pub fn start_keeping(
        out: &Path,
        force: bool,
        outputs: Outputs,
        kept: &str,
    ) -> Result<ReportWriter> {
        let only_kept = std::fs::read_dir(out)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .all(|e| e.file_name() == kept)
            })
            .unwrap_or(false);
        let staged = if only_kept {
            crate::outdir::Staged::start_anyway(out)?
        } else {
            crate::outdir::Staged::start(out, force, MARKER)?
        };
        Ok(ReportWriter {
            staged,
            outputs,
            keep: Some(out.join(kept)),
        })
    }

    /// Writes `episodes.parquet` (when the data files are asked for).
    pub fn write_episodes(
        &self,
        episodes: &crate::episodes::EpisodeTable,
        label_names: &crate::episodes::LabelNames,
    ) -> Result<()> {
        if !self.outputs.json {
            return Ok(());
        }
        crate::timings::stage("episodes.parquet", || {
            parquet::write(
                &self.staged.path().join("episodes.parquet"),
                episodes,
                label_names,
            )
        })
    }

    /// Writes every other file of the output contract and moves the
    /// directory into place.
    pub fn finish(self, input: ReportInput) -> Result<()> {
        let tmp = self.staged.path();
        write_file(tmp, "summary.json", &summary::to_json(input.summary)?)?;
        if self.outputs.json || self.outputs.csv {
            write_file(
                tmp,
                "rules.csv",
                &rules_csv::to_csv(input.columns, input.rules)?,
            )?;
        }
        if self.outputs.json {
            write_file(tmp, "rules.json", &rules_json::to_json(input.rules)?)?;
            write_file(
                tmp,
                "advice.json",
                &pretty_json(input.advice, "advice.json")?,
            )?;
            if input.with_rules || input.advice.patch.is_some() {
                let patch = input.advice.patch.as_deref().unwrap_or_default();
                write_file(tmp, "advice.patch", patch.as_bytes())?;
            }
            if let Some((report, patch)) = input.slo {
                write_file(tmp, "slo.json", &slo::json(report)?)?;
                write_file(tmp, "slo.patch", patch.as_bytes())?;
            }
            if let Some(report) = input.receivers {
                write_file(tmp, "receivers.json", &receivers::json(report)?)?;
            }
            write_file(tmp, "instances.json", &instances::json(input.instances)?)?;
            write_file(tmp, "stuck.json", &stuck::json(input.stuck)?)?;
            write_file(tmp, "responders.json", &responders::json(input.responders)?)?;
            if let Some(report) = input.silences {
                write_file(tmp, "silences.json", &silences::json(report)?)?;
            }
        }
        write_pages(tmp, &input, self.outputs)?;
        if let Some(kept) = self.keep.as_ref().filter(|k| k.exists()) {
            let name = kept.file_name().unwrap_or_default();
            std::fs::rename(kept, tmp.join(name)).map_err(|e| crate::error::Error::Output {
                path: kept.clone(),
                reason: e.to_string(),
            })?;
        }
        self.staged.commit()
    }
}

/// Writes `report.md` and `report.html` where asked for.
fn write_pages(tmp: &Path, input: &ReportInput, outputs: Outputs) -> Result<()> {
    use crate::timings::stage;
    if outputs.md {
        let section =
            advice_section::AdviceSection::new(input.advice, input.with_rules, markdown::MARKDOWN)
                .fetched_from(input.rules_fetched_from);
        let md = stage("report.md", || {
            markdown::render(
                input.summary,
                input.rules,
                input.problems,
                &section,
                input.trends,
            )
        })?;
        let md = instances::insert_section(&md, input.instances);
        let md = match input.receivers {
            Some(report) => receivers::insert_section(&md, report),
            None => md,
        };
        let md = responders::insert_section(&md, input.responders);
        let md = match input.silences {
            Some(report) => silences::insert_section(&md, report),
            None => md,
        };
        let md = stuck::insert_section(&md, input.stuck);
        let md = match input.slo {
            Some((report, _)) => slo::insert_section(&md, report),
            None => md,
        };
        write_file(tmp, "report.md", md.as_bytes())?;
    }
    if outputs.html {
        let html = stage("report.html", || html::render(input))?;
        write_file(tmp, "report.html", html.as_bytes())?;
    }
    Ok(())
}

/// `page` (a report.md) with `section` put before the line `## {heading}`,
/// or at the end when the page has no such heading: how the sections that
/// the template does not hold (SLO, receivers, responders, …) are placed.
pub fn insert_before(page: &str, heading: &str, section: &str) -> String {
    match page.find(&format!("\n## {heading}")) {
        Some(at) => format!("{}\n{}{}", &page[..at], section, &page[at..]),
        None => format!("{page}\n{section}"),
    }
}

/// Serialises a value as pretty JSON with a final newline.
pub fn pretty_json<T: serde::Serialize + ?Sized>(value: &T, name: &str) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| crate::error::Error::Output {
        path: name.into(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Checks that `out` may be written before any work is done.
pub fn check_out_dir(out: &Path, force: bool) -> Result<()> {
    crate::outdir::check(out, force, MARKER)
}
