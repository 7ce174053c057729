//! CSV exports of incident tools (PagerDuty, Opsgenie), whose column names
//! differ between tools, versions and the user's own report settings.
//!
//! Each format lists the fields it reads with the header names that hold
//! them by default; `--map COLUMN=FIELD` names another column for a field.
//! Header names are compared without case, spaces, `_` or `-`, so
//! `Created At`, `created_at` and `createdAt` are one name.

use super::incident::Incident;
use super::rule_name::RuleNamer;
use super::{InputFile, ReadContext, SourceOutput};
use crate::episodes::Origin;
use crate::problem::Problem;
use crate::timefmt::{LocalStamp, Millis, Stamp};
use std::collections::HashMap;

/// A field a format reads and the header names that hold it by default.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The field's name, as `--map` takes it.
    pub name: &'static str,
    /// Header names that hold it unless `--map` says otherwise, best first.
    pub columns: &'static [&'static str],
    /// What it holds, for the documentation and `alertnoise formats`.
    pub meaning: &'static str,
}

/// A header name reduced for comparison: lower case, letters and digits only.
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a header line holds a column for every one of `names` (by default names).
pub fn header_has(head: &str, names: &[&str]) -> bool {
    let header = head.lines().next().unwrap_or("");
    let columns: Vec<String> = header.split(',').map(normalise).collect();
    names
        .iter()
        .all(|n| columns.iter().any(|c| *c == normalise(n)))
}

/// An open CSV export with its fields located.
pub struct MappedCsv<'a> {
    reader: csv::Reader<&'a [u8]>,
    /// The text the reader reads.
    bytes: &'a [u8],
    index: HashMap<&'static str, usize>,
    columns: HashMap<String, usize>,
}

/// One row of a [`MappedCsv`].
pub struct MappedRow<'a> {
    record: &'a csv::StringRecord,
    index: &'a HashMap<&'static str, usize>,
    columns: &'a HashMap<String, usize>,
    /// 1-based line of the row.
    pub line: u64,
}

impl MappedRow<'_> {
    /// The field's value, `None` when the column is absent or the cell empty.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.index
            .get(field)
            .and_then(|&i| self.record.get(i))
            .filter(|v| !v.is_empty())
    }

    /// Any column's value by its header name (for `--rule-from field:NAME`).
    pub fn column(&self, name: &str) -> Option<&str> {
        self.columns
            .get(&normalise(name))
            .and_then(|&i| self.record.get(i))
            .filter(|v| !v.is_empty())
    }

    /// A time field (RFC 3339, epoch, or local time in `zone`), or why not.
    pub fn time(&self, field: &str, zone: chrono_tz::Tz) -> Result<Option<LocalStamp>, String> {
        match self.get(field) {
            None => Ok(None),
            Some(text) => crate::timefmt::parse_stamp_in(text, zone)
                .map(Some)
                .map_err(|e| format!("{field}: {e}")),
        }
    }

    /// A count of seconds or milliseconds as milliseconds.
    pub fn duration(&self, field: &str, unit_ms: f64) -> Result<Option<Millis>, String> {
        match self.get(field) {
            None => Ok(None),
            Some(text) => match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 && v * unit_ms < 1e15 => {
                    Ok(Some((v * unit_ms).round() as Millis))
                }
                _ => Err(format!("{field}: `{text}` is not a number of seconds")),
            },
        }
    }

    /// A true/false field (`true`, `yes`, `1`, …).
    pub fn flag(&self, field: &str) -> Result<Option<bool>, String> {
        self.get(field)
            .map(|v| {
                super::episodes_csv::parse_verdict(v)
                    .map_err(|_| format!("{field}: `{v}` is not true or false"))
            })
            .transpose()
            .map(Option::flatten)
    }
}

/// What a timestamp field gave: its time, noting when the zone was assumed.
pub fn instant(stamp: Option<LocalStamp>, assumed: &mut bool) -> Option<Millis> {
    match stamp {
        Some(LocalStamp {
            stamp: Stamp::At(t),
            zone_assumed,
        }) => {
            *assumed |= zone_assumed;
            Some(t)
        }
        _ => None,
    }
}

impl<'a> MappedCsv<'a> {
    /// Opens a CSV text and locates `fields` by their default names and the
    /// user's `--map` overrides; a field in `required` that is not found
    /// makes the file a problem.
    pub fn open(
        file: &InputFile,
        text: &'a str,
        fields: &[Field],
        overrides: &[(String, String)],
        required: &[&str],
    ) -> Result<(MappedCsv<'a>, Vec<Problem>), Problem> {
        let mut reader = super::csv_chunks::reader_builder().from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| Problem::skipped(&file.name, 1, 0, format!("unreadable CSV header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let columns: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .rev()
            .map(|(i, h)| (normalise(h), i))
            .collect();
        let mut index = HashMap::new();
        let mut problems = Vec::new();
        for field in fields {
            if let Some(&i) = field
                .columns
                .iter()
                .find_map(|c| columns.get(&normalise(c)))
            {
                index.insert(field.name, i);
            }
        }
        for (column, field_name) in overrides {
            let Some(field) = fields.iter().find(|f| f.name == field_name) else {
                continue;
            };
            match columns.get(&normalise(column)) {
                Some(&i) => {
                    index.insert(field.name, i);
                }
                None => problems.push(Problem::warning(
                    &file.name,
                    1,
                    0,
                    format!("--map {column}={field_name}: the header has no column `{column}`"),
                )),
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| !index.contains_key(r))
            .collect();
        if !missing.is_empty() {
            let wanted: Vec<String> = missing
                .iter()
                .map(|m| {
                    let names = fields
                        .iter()
                        .find(|f| f.name == *m)
                        .map_or(String::new(), |f| f.columns.join(" or "));
                    format!("{m} ({names})")
                })
                .collect();
            return Err(Problem::skipped(
                &file.name,
                1,
                0,
                format!(
                    "no column for {}; the header has: {}; name one with --map COLUMN=FIELD; file skipped",
                    wanted.join(", "),
                    header.join(", ")
                ),
            ));
        }
        Ok((
            MappedCsv {
                reader,
                bytes: text.as_bytes(),
                index,
                columns,
            },
            problems,
        ))
    }

    /// Whether the export has a column for `field`.
    pub fn has(&self, field: &str) -> bool {
        self.index.contains_key(field)
    }

    /// Calls `each` for every row; unreadable rows become problems.
    pub fn for_each_row(
        &mut self,
        file: &str,
        problems: &mut Vec<Problem>,
        mut each: impl FnMut(&MappedRow) -> Result<(), String>,
    ) {
        let MappedCsv {
            reader,
            bytes,
            index,
            columns,
        } = self;
        super::csv_chunks::each_record(reader, bytes, file, 1, problems, |record, line| {
            each(&MappedRow {
                record,
                index,
                columns,
                line,
            })
        });
    }
}

/// The warnings a file of an incident tool may end with: records that
/// `--rule-from` could not name, and timestamps read in `--tz` for lack of an offset.
pub fn file_warnings(
    file: &str,
    namer: &RuleNamer,
    zone_assumed: bool,
    zone: chrono_tz::Tz,
) -> Vec<Problem> {
    let mut warnings: Vec<Problem> = namer.warning(file).into_iter().collect();
    if zone_assumed {
        warnings.push(zone_warning(file, zone, "timestamps"));
    }
    warnings
}

/// A warning for a file in which some timestamps had no offset.
pub fn zone_warning(file: &str, zone: chrono_tz::Tz, what: &str) -> Problem {
    Problem::warning(
        file,
        0,
        0,
        format!(
            "{what} have no UTC offset; read as {} time (set --tz to the zone the export was made in)",
            zone.name()
        ),
    )
}

/// What a row reader gets besides the row: the rule namer, the zone, whether
/// the export tracks acknowledgements, and a flag to set when a timestamp
/// had no offset.
pub struct RowContext<'a> {
    /// Names the rule from the title or `--rule-from`.
    pub namer: RuleNamer<'a>,
    /// `--tz`.
    pub zone: chrono_tz::Tz,
    /// The export has an acknowledgement column.
    pub ack_tracked: bool,
    /// Set when a timestamp was read in `zone` for lack of an offset.
    pub zone_assumed: bool,
}

impl RowContext<'_> {
    /// A time field of the row (see [`MappedRow::time`]).
    pub fn time(&mut self, row: &MappedRow, field: &str) -> Result<Option<Millis>, String> {
        Ok(instant(row.time(field, self.zone)?, &mut self.zone_assumed))
    }

    /// A time given either as the time field `at`, or as the field `after`
    /// counting `unit_ms` milliseconds after `from` (exports give time to
    /// acknowledge or to close as a duration).
    pub fn time_or_after(
        &mut self,
        row: &MappedRow,
        at: &str,
        after: &str,
        unit_ms: f64,
        from: Millis,
    ) -> Result<Option<Millis>, String> {
        match self.time(row, at)? {
            Some(t) => Ok(Some(t)),
            None => Ok(row.duration(after, unit_ms)?.map(|d| from + d)),
        }
    }
}

/// Reads an incident tool's CSV export: locates `fields` (`title` and
/// `created_at` required), and turns every row into an episode with
/// `read_row`. The export tracks acknowledgements when it has a column for
/// one of `ack_fields`.
pub fn read_incidents(
    file: &InputFile,
    text: &str,
    context: &ReadContext,
    fields: &[Field],
    ack_fields: &[&str],
    mut read_row: impl FnMut(&MappedRow, &mut RowContext) -> Result<Incident, String>,
) -> SourceOutput {
    let mut output = SourceOutput::default();
    let (mut table, problems) =
        match MappedCsv::open(file, text, fields, &context.map, &["title", "created_at"]) {
            Ok(open) => open,
            Err(problem) => {
                output.problems.push(problem);
                return output;
            }
        };
    output.problems = problems;
    let mut row_context = RowContext {
        namer: RuleNamer::new(&context.rule_from),
        zone: context.tz,
        ack_tracked: ack_fields.iter().any(|f| table.has(f)),
        zone_assumed: false,
    };
    let mut episodes = Vec::new();
    table.for_each_row(&file.name, &mut output.problems, |row| {
        let mut incident = read_row(row, &mut row_context)?;
        incident.origin = Origin {
            file: (&file.name).into(),
            line: row.line,
        };
        episodes.push(incident.into_episode()?);
        Ok(())
    });
    output.episodes = episodes;
    output
        .problems
        .extend(row_context.namer.warning(&file.name));
    if row_context.zone_assumed {
        output
            .problems
            .push(zone_warning(&file.name, context.tz, "timestamps"));
    }
    output
}

/// A whole-number count field (notifications), 1 when absent.
pub fn count(row: &MappedRow, field: &str) -> Result<u32, String> {
    match row.get(field) {
        Some(n) => n
            .parse::<u32>()
            .map_err(|_| format!("{field}: `{n}` is not a whole number")),
        None => Ok(1),
    }
}

/// The first of a list of names (`"Ada, Grace"` or `["Ada","Grace"]`).
pub fn first_name(names: &str) -> String {
    names
        .trim_matches(['[', ']'])
        .split([',', ';'])
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_string()
}
