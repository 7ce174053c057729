//! Input formats: finding files, decompressing, detecting the format, reading.
//!
//! One file per format (`alertmanager_webhook.rs`, `episodes_csv.rs`, …), each
//! implementing [`Source`]. This module walks the inputs (files, directories
//! recursively, `-` for stdin, `.gz` transparently), detects each file's
//! format from its content (or takes `--format`), and reads all files in
//! parallel.

pub mod alertmanager_api;
pub mod alertmanager_silences;
pub mod alertmanager_webhook;
pub mod assemble;
pub mod csv_chunks;
pub mod episodes_csv;
pub mod grafana_annotations;
pub mod grafana_rules_history;
pub mod grafana_webhook;
pub mod incident;
pub mod json_records;
pub mod mapped_csv;
pub mod opsgenie_alerts;
pub mod opsgenie_csv;
pub mod pagerduty_analytics;
pub mod pagerduty_csv;
pub mod pagerduty_incidents;
pub mod pagerduty_log_entries;
pub mod pages;
pub mod prometheus_alerts;
pub mod query_range;
pub mod rule_name;
pub mod shown_labels;
pub mod text_blocks;

use crate::episode_table::EpisodeTable;
use crate::episodes::Episode;
use crate::error::{Error, Result};
use crate::interned::Name;
use crate::problem::Problem;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use text_blocks::{BlockReader, TextBlocks};

/// One input file, read into memory and decompressed.
pub struct InputFile {
    /// The name problems are reported under (path as given, `-` for stdin).
    pub name: String,
    /// The decompressed bytes.
    pub bytes: Vec<u8>,
}

impl InputFile {
    /// The content as UTF-8 (a leading byte-order mark removed), or a problem.
    pub fn text(&self) -> std::result::Result<&str, Problem> {
        let bytes = self
            .bytes
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or(&self.bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            let line = crate::problem::LineIndex::new(bytes).line(e.valid_up_to());
            text_blocks::not_text(&self.name, line)
        })
    }
}

/// What reading one file produced. Most formats give episodes; some give
/// pieces that only make episodes together with other files, which
/// [`assemble`] puts together after every file is read.
#[derive(Default)]
pub struct SourceOutput {
    /// Episode rows (not yet merged across files).
    pub episodes: Vec<Episode>,
    /// Episodes read straight into table pieces (not yet merged), one per file.
    pub tables: Vec<TableRows>,
    /// Records that could not be read.
    pub problems: Vec<Problem>,
    /// Alertmanager silences (`/api/v2/silences`), matched against every episode.
    pub silences: Vec<alertmanager_silences::Silence>,
    /// What a paging tool's log says happened to an incident (PagerDuty
    /// `/log_entries`), applied to the incident's episode by its id.
    pub incident_logs: Vec<pagerduty_log_entries::IncidentLog>,
    /// Prometheus `ALERTS`/`ALERTS_FOR_STATE` samples: episodes are cut after
    /// every file is read, so that range files of one history join at their seams.
    pub alert_samples: Vec<prometheus_alerts::AlertSamples>,
    /// When an Alertmanager API answer was taken and which alerts it held:
    /// an alert missing from a later answer has resolved.
    pub snapshots: Vec<alertmanager_api::Snapshot>,
}

impl SourceOutput {
    /// Every episode read, as rows: [`SourceOutput::episodes`], then the
    /// rows of [`SourceOutput::tables`] with where each was read. For tests
    /// and tools that compare what was read, never for the pipeline.
    pub fn rows(&self) -> Vec<Episode> {
        let mut rows = self.episodes.clone();
        for table in &self.tables {
            rows.extend(table.to_rows());
        }
        rows
    }
}

/// Episodes a source read into the episode table as it went (the bulk
/// formats: each record's fields go into a piece of the table at once), with
/// where each row was read and, from formats that read notifications,
/// what the merge needs of them.
#[derive(Debug, Clone, Default)]
pub struct TableRows {
    /// The episodes, in the order read.
    pub table: EpisodeTable,
    /// The file they were read from.
    pub file: Name,
    /// The line of the file each row was read from.
    pub lines: Vec<u64>,
    /// From formats that read notifications (webhook archives): what each
    /// row's notifications were, so that one seen in two files counts once.
    pub notified: Option<Notified>,
}

/// What a format that reads notifications keeps beside its table rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notified {
    /// Per row: the identities of the notifications that carried it, sorted,
    /// each once (the row's notification count is their number).
    pub ids: Vec<Vec<u64>>,
    /// Per row: the Alertmanager group keys its notifications came in.
    pub join_keys: Vec<Vec<Name>>,
}

impl TableRows {
    /// The rows as [`Episode`]s, each with where it was read.
    pub fn to_rows(&self) -> Vec<Episode> {
        self.table
            .iter()
            .zip(&self.lines)
            .enumerate()
            .map(|(row, (e, &line))| {
                let mut episode = Episode {
                    origin: crate::episodes::Origin {
                        file: self.file.clone(),
                        line,
                    },
                    ..e.to_episode()
                };
                if let Some(notified) = &self.notified {
                    episode.notification_ids = notified.ids[row].clone();
                    episode.join_keys = notified.join_keys[row].clone();
                }
                episode
            })
            .collect()
    }
}

/// What every format's reader may need from the command line.
#[derive(Debug, Clone)]
pub struct ReadContext {
    /// `--tz`: the zone of timestamps written without an offset.
    pub tz: chrono_tz::Tz,
    /// `--map COLUMN=FIELD`: CSV columns named by the user.
    pub map: Vec<(String, String)>,
    /// `--rule-from`: how incident tools' records name their rule.
    pub rule_from: rule_name::RuleFrom,
    /// Directories whose history is known to reach a time (a fetched
    /// directory's last evaluation): an alert of theirs that ended before it
    /// resolved, though no later sample of the file says so.
    pub history_ends: Vec<(std::path::PathBuf, crate::timefmt::Millis)>,
}

impl ReadContext {
    /// The time the history of the file `name` is known to reach, if any.
    pub fn history_end(&self, name: &str) -> Option<crate::timefmt::Millis> {
        let path = std::path::Path::new(name);
        (self.history_ends.iter())
            .filter(|(dir, _)| path.starts_with(dir))
            .map(|(_, end)| *end)
            .max()
    }
}

impl Default for ReadContext {
    fn default() -> Self {
        ReadContext {
            tz: chrono_tz::UTC,
            map: Vec::new(),
            rule_from: rule_name::RuleFrom::Title,
            history_ends: Vec::new(),
        }
    }
}

/// One input format.
pub trait Source: Sync {
    /// The format's name, as `--format` takes it and the `source` column shows it.
    fn name(&self) -> &'static str;
    /// A one-line description for `alertnoise formats`.
    fn description(&self) -> &'static str;
    /// How [`Source::detect`] recognises it, in words, for `alertnoise formats`.
    fn detection(&self) -> &'static str;
    /// A short example of the format (at most two lines) for `alertnoise formats`.
    fn example(&self) -> &'static str;
    /// For CSV exports read through a column mapping: the fields and their
    /// default columns (`--map COLUMN=FIELD` overrides them).
    fn fields(&self) -> &'static [mapped_csv::Field] {
        &[]
    }
    /// Whether the start of a file's text looks like this format.
    fn detect(&self, head: &str) -> bool;
    /// Reads one file.
    fn read(&self, file: &InputFile, text: &str, context: &ReadContext) -> SourceOutput;
    /// Whether a file bigger than one block that begins with `head` (its
    /// first block) is read a block at a time ([`Source::read_blocks`]), so
    /// that its text is never held whole.
    fn streams(&self, _head: &str) -> bool {
        false
    }
    /// Reads a file block by block (called only when [`Source::streams`]);
    /// a block that cannot be read fails the whole file, as it would read
    /// whole. Formats that read whole files get the blocks joined.
    fn read_blocks(
        &self,
        blocks: &mut TextBlocks,
        context: &ReadContext,
    ) -> std::result::Result<SourceOutput, Problem> {
        let name = blocks.name().to_string();
        let mut text = String::new();
        for block in blocks {
            text.push_str(&block?.text);
        }
        let file = InputFile {
            name,
            bytes: text.into_bytes(),
        };
        let text = file.text()?;
        Ok(self.read(&file, text, context))
    }
}

/// Reads bytes as the named format and assembles the result, as a run would:
/// what the fuzz targets (`fuzz/`) and the never-panic tests drive. Returns
/// `None` for an unknown format name or bytes that are not text.
pub fn read_bytes_as(format: &str, bytes: &[u8]) -> Option<assemble::Assembled> {
    let source = all_sources().into_iter().find(|s| s.name() == format)?;
    let file = InputFile {
        name: "input".into(),
        bytes: bytes.to_vec(),
    };
    let text = file.text().ok()?;
    let output = source.read(&file, text, &ReadContext::default());
    Some(assemble::assemble(output))
}

/// Every format, in the order detection tries them.
pub fn all_sources() -> Vec<Box<dyn Source>> {
    // More specific shapes first: API answers (silencedBy) and Grafana's
    // bodies (orgId) also hold "alerts", and an API answer's labels may be
    // named `version`; the CSV exports are told apart by their headers.
    vec![
        Box::new(alertmanager_api::AlertmanagerApi),
        Box::new(grafana_webhook::GrafanaWebhook),
        Box::new(alertmanager_webhook::AlertmanagerWebhook),
        Box::new(alertmanager_silences::AlertmanagerSilences),
        Box::new(prometheus_alerts::PrometheusAlerts),
        Box::new(grafana_rules_history::GrafanaRulesHistory),
        Box::new(grafana_annotations::GrafanaAnnotations),
        Box::new(pagerduty_incidents::PagerdutyIncidents),
        Box::new(pagerduty_log_entries::PagerdutyLogEntries),
        Box::new(pagerduty_analytics::PagerdutyAnalytics),
        Box::new(opsgenie_alerts::OpsgenieAlerts),
        Box::new(pagerduty_csv::PagerdutyCsv),
        Box::new(opsgenie_csv::OpsgenieCsv),
        Box::new(episodes_csv::EpisodesCsv),
    ]
}

/// How much of a file detection looks at.
const DETECT_BYTES: usize = 64 * 1024;

/// Finds the format of a file from its content.
fn detect<'a>(sources: &'a [Box<dyn Source>], text: &str) -> Option<&'a dyn Source> {
    let mut end = text.len().min(DETECT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    sources.iter().find(|s| s.detect(head)).map(|s| s.as_ref())
}

/// Why a file matched no format, in words that help.
fn undetected_reason(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    if first.contains("actionable") && !first.contains("ends_at") {
        return "this looks like a reviews file: pass it with --reviews FILE".to_string();
    }
    let formats: Vec<&str> = all_sources().iter().map(|s| s.name()).collect();
    format!(
        "format not recognised (known: {}); see `alertnoise formats`, or name it with --format",
        formats.join(", ")
    )
}

/// Expands the command line's inputs into files: directories recursively
/// (sorted, hidden entries and symlinked directories skipped), `-` as
/// standard input.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            files.push(input.clone());
        } else if input.is_dir() {
            walk(input, &mut files)?;
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(Error::Usage(format!(
                "{}: no such file or directory",
                input.display()
            )));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for entry in entries {
        // Symlinked directories inside a tree are not followed: a link back
        // up the tree would otherwise never end. Symlinked files are read.
        let real_dir = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.is_dir());
        if real_dir {
            walk(&entry, files)?;
        } else if !entry.is_dir() {
            files.push(entry);
        }
    }
    Ok(())
}

/// Reads one path (or stdin) and decompresses gzip, detected by its magic bytes.
pub fn load(path: &Path) -> std::result::Result<InputFile, Problem> {
    let reader = BlockReader::open(path)?;
    let name = reader.name().to_string();
    let bytes = reader.read_rest(Vec::new())?;
    Ok(InputFile { name, bytes })
}

/// An input file opened for reading: whole, or a block at a time by a
/// format that streams.
enum Opened<'a> {
    Whole(InputFile),
    Blocks(&'a dyn Source, TextBlocks),
}

/// Opens a file: one that needs more than one block and is of a format
/// that streams it ([`Source::streams`]) is read a block at a time; any
/// other is read whole.
fn open<'a>(
    path: &Path,
    sources: &'a [Box<dyn Source>],
    forced: Option<&'a dyn Source>,
) -> std::result::Result<Opened<'a>, Problem> {
    let mut reader = BlockReader::open(path)?;
    let name = reader.name().to_string();
    let first = reader
        .next_block(text_blocks::BLOCK_BYTES)?
        .unwrap_or_default();
    if !reader.at_end() {
        let head = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&first);
        let streaming = std::str::from_utf8(head).ok().and_then(|head| {
            forced
                .or_else(|| detect(sources, head))
                .filter(|s| s.streams(head))
        });
        if let Some(source) = streaming {
            let blocks = TextBlocks::new(first, reader, text_blocks::BLOCK_BYTES);
            return Ok(Opened::Blocks(source, blocks));
        }
    }
    let bytes = reader.read_rest(first)?;
    Ok(Opened::Whole(InputFile { name, bytes }))
}

/// What reading all inputs produced.
pub struct ReadResult {
    /// Every file's output, concatenated in file order (not yet assembled).
    pub output: SourceOutput,
    /// Each file and the format it was read as (`None`: unreadable).
    pub inputs: Vec<(String, Option<&'static str>)>,
}

/// Reads every file, in parallel, with the named format or by detection.
pub fn read_all(
    paths: &[PathBuf],
    forced_format: Option<&str>,
    context: &ReadContext,
) -> Result<ReadResult> {
    let sources = all_sources();
    let forced = match forced_format {
        Some(name) => Some(
            sources
                .iter()
                .find(|s| s.name() == name)
                .map(|s| s.as_ref())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "unknown format `{name}`; known: {}",
                        sources
                            .iter()
                            .map(|s| s.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
        ),
        None => None,
    };
    let (progress, sizes) = progress_bar(paths);
    let per_file: Vec<(String, Option<&'static str>, SourceOutput)> = paths
        .par_iter()
        .zip(sizes.par_iter())
        .map(|(path, size)| {
            let read = read_one(path, &sources, forced, context);
            progress.inc(*size);
            read
        })
        .collect();
    progress.finish_and_clear();
    let mut result = ReadResult {
        output: SourceOutput::default(),
        inputs: Vec::new(),
    };
    let total: usize = per_file.iter().map(|(_, _, o)| o.episodes.len()).sum();
    for (name, format, output) in per_file {
        result.inputs.push((name, format));
        let all = &mut result.output;
        if all.episodes.is_empty() {
            // The first file's rows are taken as they are, not copied.
            all.episodes = output.episodes;
            all.episodes.reserve_exact(total - all.episodes.len());
        } else {
            all.episodes.extend(output.episodes);
        }
        all.tables.extend(output.tables);
        all.problems.extend(output.problems);
        all.silences.extend(output.silences);
        all.incident_logs.extend(output.incident_logs);
        all.alert_samples.extend(output.alert_samples);
        all.snapshots.extend(output.snapshots);
    }
    Ok(result)
}

/// Inputs at least this large together get a progress bar even as one file.
const PROGRESS_BYTES: u64 = 64 << 20;

/// A bar over the input bytes on stderr when it is a terminal and the read is
/// long (several files, or 64 MiB and more); hidden otherwise. It advances as
/// files finish and ticks meanwhile, so one large file still shows it works.
fn progress_bar(paths: &[PathBuf]) -> (indicatif::ProgressBar, Vec<u64>) {
    use std::io::IsTerminal;
    let sizes: Vec<u64> = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .collect();
    let total: u64 = sizes.iter().sum();
    if !std::io::stderr().is_terminal() || (paths.len() < 2 && total < PROGRESS_BYTES) {
        return (indicatif::ProgressBar::hidden(), sizes);
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading {msg} {wide_bar} {binary_bytes}/{binary_total_bytes} {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar.set_message(format!("{} files", paths.len()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    (bar, sizes)
}

fn read_one(
    path: &Path,
    sources: &[Box<dyn Source>],
    forced: Option<&dyn Source>,
    context: &ReadContext,
) -> (String, Option<&'static str>, SourceOutput) {
    let name = path.display().to_string();
    let failed = |problem: Problem| {
        (
            name.clone(),
            None,
            SourceOutput {
                problems: vec![problem],
                ..SourceOutput::default()
            },
        )
    };
    let file = match crate::timings::stage("load file", || open(path, sources, forced)) {
        Ok(Opened::Whole(file)) => file,
        Ok(Opened::Blocks(source, mut blocks)) => {
            return match source.read_blocks(&mut blocks, context) {
                Ok(mut output) => {
                    output.problems.sort_by_key(|p| (p.line, p.column));
                    (name, Some(source.name()), output)
                }
                Err(problem) => failed(problem),
            };
        }
        Err(problem) => return failed(problem),
    };
    let text = match file.text() {
        Ok(text) => text,
        Err(problem) => return failed(problem),
    };
    if text.trim().is_empty() {
        return failed(Problem::skipped(&name, 0, 0, "empty file"));
    }
    let source = match forced.or_else(|| detect(sources, text)) {
        Some(source) => source,
        None => return failed(Problem::skipped(&name, 1, 0, undetected_reason(text))),
    };
    let mut output = source.read(&file, text, context);
    output.problems.sort_by_key(|p| (p.line, p.column));
    (name, Some(source.name()), output)
}
