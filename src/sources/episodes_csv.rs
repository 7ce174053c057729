//! Episodes as a CSV table, for any tool that can export one.
//!
//! Required columns: `rule`, `starts_at`, `ends_at` (empty while firing).
//! Optional: `fingerprint`, `labels` (JSON object or `k=v;k=v`), `severity`,
//! `team`, `service`, `notifications`, `acked_at`, `acked_by`, `actionable`,
//! `incident_id`. Timestamps: RFC 3339 with any offset, or epoch seconds or
//! milliseconds. See `docs/formats/episodes-csv.md`.

use super::csv_chunks::{ChunkStates, Record};
use super::text_blocks::TextBlocks;
use super::{InputFile, ReadContext, Source, SourceOutput, TableRows};
use crate::episode_table::{CodedPiece, ReadRow, ReaderCodes, ReaderRemaps, TextIndex};
use crate::interned::Name;
use crate::problem::Problem;
use crate::timefmt::{parse_stamp, Millis, Stamp};
use std::collections::BTreeMap;

/// The episodes CSV format.
pub struct EpisodesCsv;

/// The name in the `source` column.
pub const NAME: &str = "episodes-csv";

const REQUIRED: [&str; 3] = ["rule", "starts_at", "ends_at"];

impl Source for EpisodesCsv {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "A CSV table of episodes with a header: rule, starts_at, ends_at required; fingerprint, labels, severity, team, service, notifications, acked_at, acked_by, actionable, incident_id optional"
    }

    fn detection(&self) -> &'static str {
        "a CSV header naming rule and starts_at"
    }

    fn example(&self) -> &'static str {
        "rule,starts_at,ends_at,labels,acked_at\nHighLatency,2026-10-19T10:00:00Z,2026-10-19T10:12:00Z,service=payments;severity=warning,2026-10-19T10:03:00Z"
    }

    fn detect(&self, head: &str) -> bool {
        let header = head.lines().next().unwrap_or("");
        let names = header_names(header);
        names.iter().any(|n| n == "rule") && names.iter().any(|n| n == "starts_at")
    }

    fn read(&self, file: &InputFile, text: &str, _context: &ReadContext) -> SourceOutput {
        let mut output = SourceOutput::default();
        match Layout::of(&file.name, text) {
            Ok(layout) => {
                let mut table = FileTable::new(&layout);
                table.read(&layout, text, layout.start, 0, &mut output.problems);
                output.tables.push(table.rows);
            }
            Err(problem) => output.problems.push(problem),
        }
        output
    }

    fn streams(&self, head: &str) -> bool {
        self.detect(head)
    }

    /// Reads the file a block at a time: each block's records up to the
    /// last one that ends in it, the rest carried over to the next block.
    /// Gives what [`Source::read`] gives for the whole text.
    fn read_blocks(
        &self,
        blocks: &mut TextBlocks,
        _context: &ReadContext,
    ) -> Result<SourceOutput, Problem> {
        let name = blocks.name().to_string();
        let mut output = SourceOutput::default();
        let Some(first) = blocks.next().transpose()? else {
            return Ok(output);
        };
        let layout = match Layout::of(&name, &first.text) {
            Ok(layout) => layout,
            Err(problem) => {
                output.problems.push(problem);
                return Ok(output);
            }
        };
        let mut table = FileTable::new(&layout);
        // Room for the rows expected in all, from the first block's share
        // of the file, and half as many again.
        if let Some(total) = blocks.expected_bytes() {
            let per_row = first.text.len() as f64 / (count_lines(&first.text).max(1)) as f64;
            let rows = (total as f64 / per_row * 1.5) as usize;
            table.rows.table.reserve(rows);
            table.rows.lines.reserve(rows);
        }
        let mut text = first.text;
        let mut start = layout.start;
        let mut lines_before = 0;
        loop {
            let next = blocks.next().transpose()?;
            // At the end of the file the carried text is read whole.
            let end = match next {
                Some(_) => super::csv_chunks::last_record_end(&text, start),
                None => text.len(),
            };
            table.read(
                &layout,
                &text[..end],
                start,
                lines_before,
                &mut output.problems,
            );
            let Some(block) = next else { break };
            text.drain(..end);
            // The text carried over ends where the block begins: the lines
            // before it are the block's (counted as it was read), less the
            // carried text's own.
            lines_before = block.first_line - 1 - count_lines(&text);
            if text.is_empty() {
                // Nothing carried over (the block ended with a record): the
                // next block is taken as it is, not copied.
                text = block.text;
            } else {
                text.push_str(&block.text);
            }
            start = 0;
        }
        output.tables.push(table.rows);
        Ok(output)
    }
}

/// Lines ends in a text.
fn count_lines(text: &str) -> u64 {
    memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64
}

/// A file's rows as they are read, block by block, and what reading them
/// keeps from block to block: each reader thread's codes, and what those
/// codes are in the file's table.
struct FileTable {
    rows: TableRows,
    readers: ChunkStates<ReaderCodes>,
    remaps: ReaderRemaps,
    index: TextIndex,
}

/// One chunk's rows, and the line each was read from.
struct ChunkRows {
    piece: CodedPiece,
    lines: Vec<u64>,
}

impl FileTable {
    fn new(layout: &Layout) -> FileTable {
        FileTable {
            rows: TableRows {
                file: layout.file_name.clone(),
                ..TableRows::default()
            },
            readers: ChunkStates::default(),
            remaps: ReaderRemaps::default(),
            index: TextIndex::default(),
        }
    }

    /// Reads the records in `text[start..]` into the table; `text` begins
    /// after `lines_before` lines of the file.
    fn read(
        &mut self,
        layout: &Layout,
        text: &str,
        start: usize,
        lines_before: u64,
        problems: &mut Vec<Problem>,
    ) {
        let records = super::csv_chunks::read_records(
            text,
            start,
            lines_before,
            &layout.file,
            &self.readers,
            |codes: &mut ReaderCodes, lines| ChunkRows {
                piece: CodedPiece::new(codes, lines),
                lines: Vec::with_capacity(lines),
            },
            |codes, rows, record, line| {
                let row = Row {
                    record,
                    columns: &layout.columns,
                };
                read_row(&row, codes, &mut rows.piece, layout.ack_tracked)?;
                rows.lines.push(line);
                Ok(())
            },
        );
        let FileTable {
            rows,
            readers,
            remaps,
            index,
        } = self;
        problems.extend(records.problems);
        let (pieces, lines): (Vec<CodedPiece>, Vec<Vec<u64>>) = (records.chunks.into_iter())
            .map(|chunk| (chunk.piece, chunk.lines))
            .unzip();
        readers.with(|readers| {
            rayon::join(
                || rows.table.append_coded_all(pieces, readers, remaps, index),
                || {
                    rows.lines.reserve(lines.iter().map(Vec::len).sum());
                    lines
                        .iter()
                        .for_each(|part| rows.lines.extend_from_slice(part));
                },
            );
        });
    }
}

/// Where a file's columns are, read from its header once.
struct Layout {
    file: String,
    file_name: Name,
    /// Where each of [`Col::ALL`] is in a record, if the file has it.
    columns: [Option<usize>; 13],
    ack_tracked: bool,
    /// The byte where the records start, after the header.
    start: usize,
}

impl Layout {
    /// The layout of a file whose text (or first block) is `text`, or the
    /// problem that skips the file.
    fn of(file: &str, text: &str) -> Result<Layout, Problem> {
        let (reader, header) = open_table(file, text)?;
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|r| !header.iter().any(|h| h == r))
            .collect();
        if !missing.is_empty() {
            return Err(Problem::skipped(
                file,
                1,
                0,
                format!(
                    "missing required column(s) {}; the header has: {}; file skipped",
                    missing.join(", "),
                    header.join(", ")
                ),
            ));
        }
        let columns = Col::ALL.map(|col| {
            // A name given twice: its last column, as a map of names would keep.
            header.iter().rposition(|h| h == col.name())
        });
        Ok(Layout {
            file: file.to_string(),
            file_name: Name::from(file),
            ack_tracked: columns[Col::AckedAt as usize].is_some(),
            columns,
            start: reader.position().byte() as usize,
        })
    }
}

/// Opens a CSV text with a header; returns the reader and the header's
/// names in lower case, or a problem naming the file.
pub fn open_table<'a>(
    file: &str,
    text: &'a str,
) -> Result<(csv::Reader<&'a [u8]>, Vec<String>), Problem> {
    let mut reader = super::csv_chunks::reader_builder().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| Problem::skipped(file, 1, 0, format!("unreadable CSV header: {e}")))?
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    Ok((reader, header))
}

fn header_names(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_ascii_lowercase())
        .collect()
}

/// The columns the format reads. Each is found in the header once per file,
/// not looked up by name in every row.
#[derive(Clone, Copy)]
enum Col {
    Rule,
    StartsAt,
    EndsAt,
    Fingerprint,
    Labels,
    Severity,
    Team,
    Service,
    Notifications,
    AckedAt,
    AckedBy,
    Actionable,
    IncidentId,
}

impl Col {
    const ALL: [Col; 13] = [
        Col::Rule,
        Col::StartsAt,
        Col::EndsAt,
        Col::Fingerprint,
        Col::Labels,
        Col::Severity,
        Col::Team,
        Col::Service,
        Col::Notifications,
        Col::AckedAt,
        Col::AckedBy,
        Col::Actionable,
        Col::IncidentId,
    ];

    /// The column's name in the header.
    fn name(self) -> &'static str {
        match self {
            Col::Rule => "rule",
            Col::StartsAt => "starts_at",
            Col::EndsAt => "ends_at",
            Col::Fingerprint => "fingerprint",
            Col::Labels => "labels",
            Col::Severity => "severity",
            Col::Team => "team",
            Col::Service => "service",
            Col::Notifications => "notifications",
            Col::AckedAt => "acked_at",
            Col::AckedBy => "acked_by",
            Col::Actionable => "actionable",
            Col::IncidentId => "incident_id",
        }
    }
}

struct Row<'a> {
    record: &'a Record<'a>,
    /// Where each of [`Col::ALL`] is in the record, if the file has it.
    columns: &'a [Option<usize>; 13],
}

impl Row<'_> {
    /// The column's value, trimmed; `None` when empty or absent.
    fn get(&self, col: Col) -> Option<&str> {
        self.columns[col as usize]
            .and_then(|i| self.record.get(i))
            .map(trim)
            .filter(|v| !v.is_empty())
    }

    fn time(&self, col: Col) -> Result<Option<Millis>, String> {
        match self.get(col).map(parse_stamp) {
            None | Some(Ok(Stamp::Unset)) => Ok(None),
            Some(Ok(Stamp::At(t))) => Ok(Some(t)),
            Some(Err(e)) => Err(format!("{}: {e}", col.name())),
        }
    }
}

/// A field without the white space around it, as `str::trim` gives it;
/// a field that starts and ends with a visible ASCII character (nearly
/// every one) is given back without decoding characters.
fn trim(field: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    let bytes = field.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        field
    } else {
        field.trim()
    }
}

/// Reads `yes/no`, `true/false`, `1/0` (any case); empty is unknown.
pub fn parse_verdict(text: &str) -> Result<Option<bool>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" => Ok(Some(true)),
        "no" | "n" | "false" | "0" => Ok(Some(false)),
        other => Err(format!(
            "actionable: `{other}` is not a verdict (use yes/no, true/false or 1/0)"
        )),
    }
}

/// Reads labels as a JSON object of strings or as `k=v;k=v`.
pub fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let text = text.trim();
    if text.starts_with('{') {
        let value: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("labels: not a JSON object ({e})"))?;
        return Ok(value
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect());
    }
    let mut labels = BTreeMap::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("labels: `{pair}` is not name=value"))?;
        labels.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(labels)
}

/// The columns that complete a row's label set where its `labels` text lacks them.
const LABEL_COLUMNS: [Col; 3] = [Col::Severity, Col::Team, Col::Service];

/// The label set of a row (its code in `codes`): its `labels` text, with
/// `alertname` and the `severity`, `team` and `service` columns added where
/// the text lacks them. Rows with the same texts share one interned set,
/// parsed once per reader.
fn row_labels(row: &Row, codes: &mut ReaderCodes, rule: &str) -> Result<u32, String> {
    let text = row.get(Col::Labels);
    let extra = LABEL_COLUMNS.map(|col| row.get(col));
    let [severity, team, service] = extra.map(|v| v.unwrap_or(""));
    let parts = [rule, text.unwrap_or(""), severity, team, service];
    codes.labels_of_parts(&parts, || {
        let mut labels = match text {
            Some(text) => parse_labels(text)?,
            None => BTreeMap::new(),
        };
        labels
            .entry("alertname".to_string())
            .or_insert_with(|| rule.to_string());
        for (col, value) in LABEL_COLUMNS.into_iter().zip(extra) {
            if let Some(v) = value {
                labels
                    .entry(col.name().to_string())
                    .or_insert_with(|| v.to_string());
            }
        }
        Ok(labels)
    })
}

/// Reads one record into `piece`, or says why it cannot (and adds nothing).
fn read_row(
    row: &Row,
    codes: &mut ReaderCodes,
    piece: &mut CodedPiece,
    ack_tracked: bool,
) -> Result<(), String> {
    let rule = row.get(Col::Rule).ok_or("rule is empty")?;
    let starts_at = row.time(Col::StartsAt)?.ok_or("starts_at is empty")?;
    let ends_at = row.time(Col::EndsAt)?;
    if let Some(end) = ends_at {
        if end < starts_at {
            return Err(format!(
                "ends_at {} is before starts_at {}",
                crate::timefmt::format_millis(end),
                crate::timefmt::format_millis(starts_at)
            ));
        }
    }
    let notifications = match row.get(Col::Notifications) {
        Some(n) => n
            .parse::<u32>()
            .map_err(|_| format!("notifications: `{n}` is not a whole number"))?,
        None => 1,
    };
    let acked_at = row.time(Col::AckedAt)?;
    if let Some(ack) = acked_at {
        if ack < starts_at {
            return Err(format!(
                "acked_at {} is before starts_at",
                crate::timefmt::format_millis(ack)
            ));
        }
    }
    let actionable = row
        .get(Col::Actionable)
        .map(parse_verdict)
        .transpose()?
        .flatten();
    let labels = row_labels(row, codes, rule)?;
    let read = ReadRow {
        source: NAME,
        rule,
        fingerprint: row.get(Col::Fingerprint),
        labels,
        severity: None,
        team: None,
        service: None,
        starts_at,
        ends_at,
        notifications,
        acked_at,
        acked_by: row.get(Col::AckedBy),
        ack_tracked,
        actionable,
        actionable_source: actionable.map(|_| "review"),
        incident_id: row.get(Col::IncidentId),
    };
    piece.push(codes, &read);
    Ok(())
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// The quick trim gives what `str::trim` gives, Unicode white space
        /// (a no-break space, an ideographic space) and control bytes included.
        #[test]
        fn trim_is_str_trim(text in "[ a\t\u{a0}\u{3000}\u{7f}\u{1f}é,]{0,8}") {
            proptest::prop_assert_eq!(super::trim(&text), text.trim());
        }
    }
}
