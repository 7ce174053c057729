//! The canonical episode table: one row per continuous firing of one alert instance.
//!
//! Sources produce [`Episode`] rows; this module merges the rows that describe
//! the same episode (same fingerprint and start, e.g. one alert seen in many
//! webhook bodies or in two overlapping exports), and makes polars frames of
//! the table's columns: the canonical one (`episodes.parquet`) a row group
//! at a time, and the few columns the metrics read. Column names are a
//! public interface (see `docs/episodes.md`).

mod dictionary;

pub use crate::episode_table::{EpisodeRef, EpisodeTable};
use crate::episode_table::{LabelsColumn, TextColumn, TimeColumn};
pub use crate::interned::{Labels, Name};
use crate::timefmt::Millis;
pub use dictionary::{TextDictionary, NO_TEXT};
use polars::prelude::*;
use polars_arrow::array::View;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::OnceLock;

/// Where a row came from, for problems about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// Input file name as given (`-` for stdin).
    pub file: Name,
    /// 1-based line of the record.
    pub line: u64,
}

/// One continuous firing of one alert instance (one label set).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Episode {
    /// Format name of the source, e.g. `alertmanager-webhook`.
    pub source: &'static str,
    /// The alert rule (`alertname`).
    pub rule: Name,
    /// Alertmanager's fingerprint of the label set.
    pub fingerprint: Name,
    /// All labels.
    pub labels: Labels,
    /// Severity, when the source names it outside the labels (else read from labels).
    pub severity: Option<String>,
    /// Owning team, when the source names it outside the labels.
    pub team: Option<String>,
    /// Service, when the source names it outside the labels.
    pub service: Option<String>,
    /// When it started firing; `None` for pending-only episodes.
    pub starts_at: Option<Millis>,
    /// When it resolved; `None` while still firing.
    pub ends_at: Option<Millis>,
    /// When the condition became true, where known.
    pub pending_since: Option<Millis>,
    /// Notifications that carried it (sources that count them directly).
    pub notifications: u32,
    /// Identities of the notifications that carried it (snapshot sources):
    /// merged as a set, so the same notification read twice counts once.
    pub notification_ids: Vec<u64>,
    /// First acknowledgement.
    pub acked_at: Option<Millis>,
    /// Who acknowledged first.
    pub acked_by: Option<String>,
    /// Whether the source records acknowledgements at all.
    pub ack_tracked: bool,
    /// Matched a silence while firing.
    pub silenced: bool,
    /// Whether it was worth acting on: review verdict, proxy, or unknown.
    pub actionable: Option<bool>,
    /// `review` or `proxy` when `actionable` is known.
    pub actionable_source: Option<&'static str>,
    /// Paging-tool incident id.
    pub incident_id: Option<String>,
    /// Whether the paging tool says the incident was resolved by its
    /// integration (the alert's source) rather than by a person; `None` when
    /// the source does not say.
    pub auto_resolved: Option<bool>,
    /// The paging tool's deduplication key (PagerDuty `incident_key`,
    /// Opsgenie `alias`): how its incidents join onto Alertmanager's episodes.
    pub paging_key: Option<String>,
    /// The Alertmanager group keys of the notifications that carried it: a
    /// paging tool knows the episode by one of them, by its SHA-256 (what
    /// Alertmanager sends as PagerDuty's dedup key and Opsgenie's alias), or
    /// by the fingerprint.
    pub join_keys: Vec<Name>,
    /// Where the row was read.
    pub origin: Origin,
}

impl Episode {
    /// Notifications, counting each distinct notification identity once.
    pub fn notification_count(&self) -> u32 {
        if self.notification_ids.is_empty() {
            self.notifications
        } else {
            self.notification_ids.len() as u32
        }
    }

    /// Records an acknowledgement if it is the first one known (earlier than
    /// the one recorded, or none yet).
    pub fn acknowledge(&mut self, at: Millis, by: Option<String>) {
        if self.acked_at.is_none_or(|a| at < a) {
            self.acked_at = Some(at);
            self.acked_by = by;
        }
    }

    /// Folds another row of the same episode into this one: the latest end,
    /// the earliest pending start and acknowledgement, the notifications of
    /// both; where both name a value (incident, severity, …), this row's stands.
    pub fn absorb(&mut self, other: Episode) {
        self.ends_at = match (self.ends_at, other.ends_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.pending_since = match (self.pending_since, other.pending_since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.notifications = self.notifications.max(other.notifications);
        self.notification_ids.extend(other.notification_ids);
        if let Some(at) = other.acked_at {
            self.acknowledge(at, other.acked_by);
        }
        self.ack_tracked |= other.ack_tracked;
        self.silenced |= other.silenced;
        if self.actionable.is_none() {
            self.actionable = other.actionable;
            self.actionable_source = other.actionable_source;
        }
        self.incident_id = self.incident_id.take().or(other.incident_id);
        self.auto_resolved = self.auto_resolved.or(other.auto_resolved);
        self.paging_key = self.paging_key.take().or(other.paging_key);
        self.join_keys.extend(other.join_keys);
        self.severity = self.severity.take().or(other.severity);
        self.team = self.team.take().or(other.team);
        self.service = self.service.take().or(other.service);
    }
}

/// Which labels carry severity, team and service (`--severity-label` etc.).
#[derive(Debug, Clone)]
pub struct LabelNames {
    /// Label holding the severity.
    pub severity: String,
    /// Label holding the owning team.
    pub team: String,
    /// Label holding the service.
    pub service: String,
}

impl Default for LabelNames {
    fn default() -> Self {
        LabelNames {
            severity: "severity".into(),
            team: "team".into(),
            service: "service".into(),
        }
    }
}

/// The canonical column names, in table order.
pub const COLUMNS: [&str; 20] = [
    "source",
    "rule",
    "fingerprint",
    "labels",
    "severity",
    "team",
    "service",
    "starts_at",
    "ends_at",
    "pending_since",
    "notifications",
    "acked_at",
    "acked_by",
    "ack_tracked",
    "silenced",
    "actionable",
    "actionable_source",
    "incident_id",
    "auto_resolved",
    "receivers",
];

/// A UTC datetime column of some rows' times: the milliseconds copied as
/// they are, a validity bit per row (none where unknown).
fn datetime_column(name: &str, column: &TimeColumn, rows: Range<usize>) -> PolarsResult<Column> {
    use polars_arrow::array::PrimitiveArray;
    use polars_arrow::bitmap::Bitmap;
    let millis = &column.millis()[rows.clone()];
    let known = |t: &Millis| *t != crate::episode_table::NO_TIME;
    let validity = (!millis.iter().all(known)).then(|| Bitmap::from_iter(millis.iter().map(known)));
    let array = PrimitiveArray::new(
        polars_arrow::datatypes::ArrowDataType::Int64,
        column.buffer(rows),
        validity,
    );
    Int64Chunked::with_chunk(name.into(), array)
        .into_column()
        .cast(&DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC),
        ))
}

/// A column whose rows are all null held as one null and a length (a
/// polars scalar column) instead of a value per row: sources that never
/// give a field (`acked_by`, `incident_id`, `pending_since`, …) cost
/// nothing per episode. It reads and is written as the full column.
fn lean(column: Column) -> Column {
    if !column.is_empty() && column.null_count() == column.len() {
        Column::full_null(column.name().clone(), column.len(), column.dtype())
    } else {
        column
    }
}

/// A string column with one text in every row, held once with a length.
fn constant_text(name: &str, text: &str, rows: usize) -> Column {
    Column::new_scalar(
        name.into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(text.into())),
        rows,
    )
}

/// The texts of an Arrow string-view column being made: one buffer that
/// each distinct text is stored in once (unless short enough to sit in its
/// view).
#[derive(Default)]
struct TextStore {
    bytes: Vec<u8>,
}

impl TextStore {
    /// Stores a text and gives its view.
    fn store(&mut self, text: &str) -> View {
        if text.len() <= View::MAX_INLINE_SIZE as usize {
            return View::new_inline(text.as_bytes());
        }
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(text.as_bytes());
        View::new_from_bytes(text.as_bytes(), 0, offset as u32)
    }

    /// The buffer the views point into.
    fn finish(self, name: &str) -> PolarsResult<polars_buffer::Buffer<u8>> {
        if u32::try_from(self.bytes.len()).is_err() {
            polars_bail!(ComputeError: "column {name}: more than 4 GiB of distinct text");
        }
        Ok(polars_buffer::Buffer::from(self.bytes))
    }
}

/// A string column of a view per row (none: null) into `bytes`.
fn view_column(
    name: &str,
    views: impl ExactSizeIterator<Item = Option<View>>,
    bytes: &polars_buffer::Buffer<u8>,
) -> PolarsResult<Column> {
    use polars_arrow::array::Utf8ViewArray;
    use polars_arrow::bitmap::MutableBitmap;
    use polars_arrow::datatypes::ArrowDataType;
    use polars_buffer::Buffer;
    let mut validity = MutableBitmap::with_capacity(views.len());
    let views: Vec<View> = views
        .map(|view| {
            validity.push(view.is_some());
            view.unwrap_or_default()
        })
        .collect();
    let validity = (validity.unset_bits() > 0).then(|| validity.into());
    let array = Utf8ViewArray::try_new(
        ArrowDataType::Utf8View,
        Buffer::from(views),
        Buffer::from(vec![bytes.clone()]),
        validity,
    )?;
    Ok(StringChunked::with_chunk(name.into(), array)
        .into_series()
        .into_column())
}

/// Per row: its own text's value (`by_code`, by its code; code 0: none of
/// its own) or else its label set's (`by_set`): how the severity, team and
/// service columns are picked.
fn picked_rows<'t, T: Copy>(
    codes: &'t [u32],
    sets: &'t [u32],
    by_code: &'t [T],
    by_set: &'t [T],
) -> impl ExactSizeIterator<Item = T> + 't {
    codes.iter().zip(sets).map(move |(&code, &set)| match code {
        0 => by_set[set as usize],
        code => by_code[code as usize],
    })
}

/// A text column's distinct texts, stored once for every frame made of the
/// table, and the view of each: per code of a coded column (0: none), per
/// label set (its JSON, or its value of a label).
struct ColumnTexts {
    bytes: polars_buffer::Buffer<u8>,
    by_code: Vec<Option<View>>,
    by_set: Vec<Option<View>>,
}

impl ColumnTexts {
    /// The texts of a coded column; with `label`, also each label set's
    /// value of it (for rows without a text of their own).
    fn new(
        name: &str,
        column: &TextColumn,
        sets: &LabelsColumn,
        label: Option<&str>,
    ) -> PolarsResult<ColumnTexts> {
        let mut store = TextStore::default();
        let by_code = std::iter::once(None)
            .chain(column.values().iter().map(|text| Some(store.store(text))))
            .collect();
        let by_set = match label {
            Some(label) => (sets.values().iter())
                .map(|set| set.get(label).map(|text| store.store(text)))
                .collect(),
            None => Vec::new(),
        };
        Ok(ColumnTexts {
            bytes: store.finish(name)?,
            by_code,
            by_set,
        })
    }

    /// The label sets' JSON texts.
    fn of_label_sets(sets: &LabelsColumn) -> PolarsResult<ColumnTexts> {
        let mut store = TextStore::default();
        let by_set = (sets.values().iter())
            .map(|set| Some(store.store(set.json())))
            .collect();
        Ok(ColumnTexts {
            bytes: store.finish("labels")?,
            by_code: Vec::new(),
            by_set,
        })
    }

    /// A column of rows whose texts are their label sets' (`sets`: a code
    /// per row).
    fn by_sets(&self, name: &str, sets: &[u32]) -> PolarsResult<Column> {
        let views = sets.iter().map(|&set| self.by_set[set as usize]);
        view_column(name, views, &self.bytes)
    }
}

/// Makes polars frames of the episode table's columns. Each text column's
/// distinct texts are stored once, when a frame first needs them, and
/// shared by every frame made here: a frame of some rows (a row group of
/// `episodes.parquet`) costs a view per row, not another copy of the texts.
pub struct FrameMaker<'a> {
    table: &'a EpisodeTable,
    names: &'a LabelNames,
    /// Per canonical column (as [`COLUMNS`] orders them): its texts, for
    /// the text columns, once made.
    texts: [OnceLock<ColumnTexts>; COLUMNS.len()],
}

impl<'a> FrameMaker<'a> {
    /// A maker of frames of `table`, whose severity, team and service
    /// columns fall back to the labels `names` gives.
    pub fn new(table: &'a EpisodeTable, names: &'a LabelNames) -> FrameMaker<'a> {
        FrameMaker {
            table,
            names,
            texts: Default::default(),
        }
    }

    /// Some of the canonical columns (`columns`, in that order, each a name
    /// of [`COLUMNS`]) for some rows: the columns the metrics read, or one
    /// row group of `episodes.parquet`. Built side by side; every column
    /// reads as the same rows of [`to_frame`]'s.
    pub fn frame(&self, columns: &[&str], rows: Range<usize>) -> PolarsResult<DataFrame> {
        let built = columns
            .par_iter()
            .map(|name| self.column(name, rows.clone()).map(lean))
            .collect::<PolarsResult<Vec<Column>>>()?;
        DataFrame::new(rows.len(), built)
    }

    /// A text column's shared texts, made by `make` on first use.
    fn texts(
        &self,
        name: &str,
        make: impl FnOnce() -> PolarsResult<ColumnTexts>,
    ) -> PolarsResult<&ColumnTexts> {
        let Some(at) = COLUMNS.iter().position(|c| *c == name) else {
            polars_bail!(ColumnNotFound: "no episode column {name}");
        };
        if let Some(texts) = self.texts[at].get() {
            return Ok(texts);
        }
        let texts = make()?;
        Ok(self.texts[at].get_or_init(|| texts))
    }

    /// A coded column's rows: each row its code's view; one text in every
    /// row is held once.
    fn coded(&self, name: &str, column: &TextColumn, rows: Range<usize>) -> PolarsResult<Column> {
        let codes = &column.codes()[rows];
        if let Some(&first) = codes.first() {
            if first != 0 && codes.iter().all(|&c| c == first) {
                let text = &column.values()[first as usize - 1];
                return Ok(constant_text(name, text, codes.len()));
            }
        }
        let sets = self.table.label_sets();
        let texts = self.texts(name, || ColumnTexts::new(name, column, sets, None))?;
        let views = codes.iter().map(|&c| texts.by_code[c as usize]);
        view_column(name, views, &texts.bytes)
    }

    /// A column of the source's own texts where a row has one, else the
    /// row's label set's value of `label`.
    fn picked(
        &self,
        name: &str,
        column: &TextColumn,
        label: &str,
        rows: Range<usize>,
    ) -> PolarsResult<Column> {
        let sets = self.table.label_sets();
        let texts = self.texts(name, || ColumnTexts::new(name, column, sets, Some(label)))?;
        let (codes, sets) = (&column.codes()[rows.clone()], &sets.codes()[rows]);
        let views = picked_rows(codes, sets, &texts.by_code, &texts.by_set);
        view_column(name, views, &texts.bytes)
    }

    /// One canonical column, for `rows`.
    fn column(&self, name: &str, rows: Range<usize>) -> PolarsResult<Column> {
        let (table, names) = (self.table, self.names);
        let times = |column: &TimeColumn| datetime_column(name, column, rows.clone());
        Ok(match name {
            "source" => {
                let values: Vec<&str> = rows.clone().map(|r| table.get(r).source()).collect();
                match values.first() {
                    Some(first) if values.iter().all(|v| v == first) => {
                        constant_text(name, first, values.len())
                    }
                    _ => Column::new(name.into(), values),
                }
            }
            "rule" => self.coded(name, table.rules(), rows)?,
            "fingerprint" => self.coded(name, table.fingerprints(), rows)?,
            "labels" => {
                let sets = table.label_sets();
                let texts = self.texts(name, || ColumnTexts::of_label_sets(sets))?;
                texts.by_sets(name, &sets.codes()[rows])?
            }
            "severity" => self.picked(name, table.severities(), &names.severity, rows)?,
            "team" => self.picked(name, table.teams(), &names.team, rows)?,
            "service" => self.picked(name, table.services(), &names.service, rows)?,
            "starts_at" => times(table.starts())?,
            "ends_at" => times(table.ends())?,
            "pending_since" => times(table.pending())?,
            "notifications" => Column::new(name.into(), &table.notification_counts()[rows]),
            "acked_at" => times(table.acks())?,
            "acked_by" => self.coded(name, table.acked_by_column(), rows)?,
            "ack_tracked" => Column::new(name.into(), &table.ack_tracked_column()[rows]),
            "silenced" => Column::new(name.into(), &table.silenced_column()[rows]),
            "actionable" => Column::new(name.into(), &table.actionable_column()[rows]),
            "actionable_source" => {
                let values: Vec<Option<&str>> =
                    rows.map(|r| table.get(r).actionable_source()).collect();
                Column::new(name.into(), values)
            }
            "incident_id" => self.coded(name, table.incident_ids(), rows)?,
            "auto_resolved" => Column::new(name.into(), &table.auto_resolved_column()[rows]),
            "receivers" => receivers_column(name, table, rows),
            other => polars_bail!(ColumnNotFound: "no episode column {other}"),
        })
    }
}

/// The `receivers` column (a list of receiver names per row, in routing
/// order): null in every row when no Alertmanager configuration was given.
fn receivers_column(name: &str, table: &EpisodeTable, rows: Range<usize>) -> Column {
    use polars::chunked_array::builder::ListStringChunkedBuilder;
    let Some(receivers) = table.receivers() else {
        return Column::full_null(
            name.into(),
            rows.len(),
            &DataType::List(Box::new(DataType::String)),
        );
    };
    let mut builder = ListStringChunkedBuilder::new(name.into(), rows.len(), rows.len());
    for row in rows {
        builder.append_values_iter(receivers.of_row(row));
    }
    builder.finish().into_column()
}

/// Builds the canonical polars frame from the episode table, its columns
/// side by side: every column of [`COLUMNS`], every row.
pub fn to_frame(table: &EpisodeTable, names: &LabelNames) -> PolarsResult<DataFrame> {
    frame_of(table, names, &COLUMNS, 0..table.len())
}

/// Some of the canonical columns (`columns`, in that order) for some
/// rows, made once ([`FrameMaker::frame`]).
pub fn frame_of(
    table: &EpisodeTable,
    names: &LabelNames,
    columns: &[&str],
    rows: Range<usize>,
) -> PolarsResult<DataFrame> {
    FrameMaker::new(table, names).frame(columns, rows)
}

/// A column of texts (a source's own, else a label's) as ranks: each row's
/// text's place among the column's distinct texts in string order (none:
/// null), and those texts. Grouping or sorting on the ranks groups and
/// orders as on the texts, on four bytes a row instead of a string.
pub struct RankedTexts {
    /// Per row: the index of its text in [`RankedTexts::texts`], as a
    /// polars column (named `name`) that frames share.
    pub ranks: Column,
    /// The distinct texts, sorted.
    pub texts: Vec<String>,
}

/// The severity column ([`COLUMNS`]' `severity`: the source's own, else the
/// label `names.severity`) as ranks, the ranks a polars column named `name`.
pub fn ranked_severities(table: &EpisodeTable, names: &LabelNames, name: &str) -> RankedTexts {
    let (explicit, sets) = (table.severities(), table.label_sets());
    let label = names.severity.as_str();
    let set_values: Vec<Option<&str>> = sets
        .values()
        .iter()
        .map(|set| set.get(label).map(String::as_str))
        .collect();
    let mut texts: Vec<&str> = explicit.values().iter().map(Name::as_str).collect();
    texts.extend(set_values.iter().flatten());
    texts.sort_unstable();
    texts.dedup();
    let rank = |text: &str| texts.binary_search(&text).ok().map(|r| r as u32);
    let by_code: Vec<Option<u32>> = std::iter::once(None)
        .chain(explicit.values().iter().map(|t| rank(t)))
        .collect();
    let by_set: Vec<Option<u32>> = set_values.iter().map(|t| t.and_then(rank)).collect();
    let ranks = picked_rows(explicit.codes(), sets.codes(), &by_code, &by_set);
    RankedTexts {
        ranks: UInt32Chunked::from_iter_options(name.into(), ranks).into_column(),
        texts: texts.into_iter().map(str::to_string).collect(),
    }
}

/// The value of one label in every row's label set (null where the set
/// lacks it): each set looked up once, each distinct value stored once.
pub fn label_column(table: &EpisodeTable, label: &str) -> PolarsResult<Column> {
    let sets = table.label_sets();
    let texts = ColumnTexts::new(label, &TextColumn::default(), sets, Some(label))?;
    texts.by_sets(label, sets.codes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns null in every row, or with one text in every row, are held
    /// once, and read exactly as the full columns would.
    #[test]
    fn constant_and_empty_columns_read_as_full_columns() {
        let rows: Vec<Episode> = (0..5)
            .map(|i| Episode {
                source: "episodes-csv",
                rule: "HighLatency".into(),
                fingerprint: format!("f{i}").into(),
                starts_at: Some(i * 60_000),
                ..Episode::default()
            })
            .collect();
        let table = EpisodeTable::from_rows(rows);
        let frame = to_frame(&table, &LabelNames::default()).unwrap();
        let held_once = |name: &str| matches!(frame.column(name).unwrap(), Column::Scalar(_));
        assert!(held_once("source") && held_once("rule") && held_once("acked_by"));
        assert!(held_once("pending_since") && !held_once("fingerprint"));
        let full = |name: &str| frame.column(name).unwrap().as_materialized_series().clone();
        assert_eq!(full("acked_by").dtype(), &DataType::String);
        assert_eq!(full("acked_by").null_count(), 5);
        assert_eq!(
            full("pending_since").dtype(),
            &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        );
        let texts = |name: &str| -> Vec<Option<String>> {
            let column = full(name);
            let texts = column.str().unwrap().iter();
            texts.map(|t| t.map(str::to_string)).collect()
        };
        assert_eq!(texts("source"), vec![Some("episodes-csv".to_string()); 5]);
        assert_eq!(texts("rule"), vec![Some("HighLatency".to_string()); 5]);
    }
}
