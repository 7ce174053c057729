//! The canonical episode table, held column by column.
//!
//! The bulk sources (episodes CSVs, webhook archives) read their records
//! straight into a piece of this table and append it; the other sources
//! read [`Episode`] rows, which `sources::assemble` joins across files and
//! then puts in a table too. The merge (`episode_merge`) folds the rows of
//! one episode and gathers every column once into the table's order.
//! Every later stage reads the table: the metrics' polars frame is made of
//! the few columns they read (`metrics::prepare`), `episodes.parquet` of one
//! row group at a time (`episodes::frame_of`), the reviews and the
//! acknowledgement proxy set its verdicts, the advisors replay its rows
//! through [`EpisodeRef`], and the retrospective and the summary count it.
//! There is no row-shaped copy and no second copy of the whole table.
//!
//! A row costs about 70 bytes: texts are codes into a list holding each
//! distinct text once (a year of a million episodes has thousands of rules
//! and tens of thousands of fingerprints), times are plain integers with a
//! marker for "none", and the flags are bytes. An [`Episode`] row costs 360.

mod reader_codes;

pub use reader_codes::{CodedPiece, ReadRow, ReaderCodes, ReaderRemaps};

use crate::episodes::Episode;
use crate::interned::{Labels, Name};
use crate::timefmt::Millis;
use fnv::FnvHashMap;
use std::sync::{LazyLock, OnceLock};

/// The marker a time column holds where the time is unknown.
pub const NO_TIME: Millis = Millis::MIN;

/// A column of optional texts: a code per row (0: none) into a list that
/// holds each distinct text once.
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    codes: Vec<u32>,
    values: Vec<Name>,
    /// [`TextColumn::code_ranks`], made on first use; let go whenever a
    /// text is added to the list (rows moved or recoded keep it: it is per code).
    ranks: OnceLock<Vec<u32>>,
}

impl TextColumn {
    /// The row's text, if it has one.
    pub fn get(&self, row: usize) -> Option<&Name> {
        self.text_of(self.codes[row])
    }

    /// The text a code stands for (none for code 0, or a code the column
    /// does not have).
    pub fn text_of(&self, code: u32) -> Option<&Name> {
        self.values.get((code as usize).checked_sub(1)?)
    }

    /// [`TextColumn::text_of`] as an owned string, empty where there is none.
    pub fn text_or_empty(&self, code: u32) -> String {
        self.text_of(code).map_or_else(String::new, Name::to_string)
    }

    /// The row's text, or the empty name where it has none.
    pub fn name(&self, row: usize) -> &Name {
        static EMPTY: LazyLock<Name> = LazyLock::new(Name::default);
        self.get(row).unwrap_or(&EMPTY)
    }

    /// Each distinct text once, in the order first seen.
    pub fn values(&self) -> &[Name] {
        &self.values
    }

    /// Per row: 0 for none, else 1 + the text's index in [`TextColumn::values`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// Per code (0 first): its rank among the texts in string order, none
    /// ranked as the empty text. Sorting rows on these ranks orders them as
    /// sorting on [`TextColumn::name`] would.
    pub fn code_ranks(&self) -> &[u32] {
        self.ranks.get_or_init(|| {
            let texts: Vec<Option<&str>> = std::iter::once(Some(""))
                .chain(self.values.iter().map(|v| Some(v.as_str())))
                .collect();
            crate::ranks::ranks(&texts)
        })
    }

    /// The column's code of each text, for [`TextIndex`].
    fn index(&self) -> FnvHashMap<Name, u32> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| (v.clone(), i as u32 + 1))
            .collect()
    }

    /// The code of a text, added to the list (as `name()` makes it) if it
    /// is new; `index` is this column's [`TextColumn::index`], kept up to date.
    fn code_of(
        &mut self,
        text: &str,
        name: impl FnOnce() -> Name,
        index: &mut FnvHashMap<Name, u32>,
    ) -> u32 {
        if let Some(&code) = index.get(text) {
            return code;
        }
        let name = name();
        self.ranks.take();
        self.values.push(name.clone());
        let code = self.values.len() as u32;
        index.insert(name, code);
        code
    }

    /// Appends another column's rows, each of its texts held once in this
    /// column's list.
    fn append(&mut self, other: TextColumn, index: &mut FnvHashMap<Name, u32>) {
        let remap: Vec<u32> = other
            .values
            .iter()
            .map(|v| self.code_of(v, || v.clone(), index))
            .collect();
        self.extend_remapped(&other.codes, &remap);
    }

    /// Appends rows coded in another list (0 none, else 1 + the index of
    /// the text there) whose texts have the codes `remap` here.
    fn extend_remapped(&mut self, codes: &[u32], remap: &[u32]) {
        self.codes.extend(
            codes
                .iter()
                .map(|&c| if c == 0 { 0 } else { remap[c as usize - 1] }),
        );
    }

    /// Sets one row's text.
    fn set(&mut self, row: usize, value: Option<&str>, index: &mut FnvHashMap<Name, u32>) {
        self.codes[row] = match value {
            None => 0,
            Some(text) => self.code_of(text, || Name::from(text), index),
        };
    }

    /// The rows at `order`, in that order; the list of texts is kept.
    fn gather(&mut self, order: &[u32]) {
        self.codes = gather(&self.codes, order);
    }
}

/// The label sets column: a code per row into a list that holds each
/// distinct set once (every row has one; interned sets are told apart by
/// where they are held, so equal sets read by two readers are one entry).
#[derive(Debug, Clone, Default)]
pub struct LabelsColumn {
    codes: Vec<u32>,
    values: Vec<Labels>,
}

impl LabelsColumn {
    /// The row's label set.
    pub fn get(&self, row: usize) -> &Labels {
        &self.values[self.codes[row] as usize]
    }

    /// Each distinct set once, in the order first seen.
    pub fn values(&self) -> &[Labels] {
        &self.values
    }

    /// Per row: the set's index in [`LabelsColumn::values`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The column's code of each set, by where it is held.
    fn index(&self) -> FnvHashMap<usize, u32> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| (v.address(), i as u32))
            .collect()
    }

    /// The code of a set, added to the list if new.
    fn code_of(&mut self, labels: &Labels, index: &mut FnvHashMap<usize, u32>) -> u32 {
        *index.entry(labels.address()).or_insert_with(|| {
            self.values.push(labels.clone());
            self.values.len() as u32 - 1
        })
    }

    fn push(&mut self, labels: &Labels, index: &mut FnvHashMap<usize, u32>) {
        let code = self.code_of(labels, index);
        self.codes.push(code);
    }

    /// Appends another column's rows, each of its sets held once here.
    fn append(&mut self, other: LabelsColumn, index: &mut FnvHashMap<usize, u32>) {
        let remap: Vec<u32> = other
            .values
            .iter()
            .map(|v| self.code_of(v, index))
            .collect();
        self.codes
            .extend(other.codes.iter().map(|&c| remap[c as usize]));
    }
}

/// Appends `parts` to `column`, in order, making room for all of them once.
fn extend_all<T: Copy>(column: &mut Vec<T>, parts: Vec<Vec<T>>) {
    column.reserve(parts.iter().map(Vec::len).sum());
    for part in parts {
        column.extend_from_slice(&part);
    }
}

/// Each row of `order` taken from `column`, in parallel.
fn gather<T: Clone + Send + Sync>(column: &[T], order: &[u32]) -> Vec<T> {
    use rayon::prelude::*;
    order
        .par_iter()
        .map(|&i| column[i as usize].clone())
        .collect()
}

/// Which code each text has in each text column of one table: kept beside a
/// table that pieces are appended to one after another, or whose texts are
/// set row by row, so that no column's list is read again each time. Each
/// column's part is made from the column when it is first needed.
#[derive(Default)]
pub struct TextIndex {
    columns: [Option<FnvHashMap<Name, u32>>; TEXT_COLUMNS],
    labels: Option<FnvHashMap<usize, u32>>,
}

/// How many text columns a table has.
const TEXT_COLUMNS: usize = 8;

impl TextIndex {
    fn of(&mut self, which: usize, column: &TextColumn) -> &mut FnvHashMap<Name, u32> {
        self.columns[which].get_or_insert_with(|| column.index())
    }

    fn of_labels(&mut self, column: &LabelsColumn) -> &mut FnvHashMap<usize, u32> {
        self.labels.get_or_insert_with(|| column.index())
    }
}

/// Builds a [`TextColumn`], finding each text's code by where it is held
/// (interned names are held once) and then by its text.
#[derive(Default)]
struct TextColumnBuilder {
    column: TextColumn,
    by_address: FnvHashMap<usize, u32>,
    by_text: FnvHashMap<Name, u32>,
}

impl TextColumnBuilder {
    fn with_capacity(rows: usize) -> Self {
        TextColumnBuilder {
            column: TextColumn {
                codes: Vec::with_capacity(rows),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn push_name(&mut self, value: Option<&Name>) {
        let code = match value {
            None => 0,
            Some(name) => match self.by_address.get(&name.address()) {
                Some(&code) => code,
                None => {
                    let code = self.code_of_text(name.as_str(), || name.clone());
                    self.by_address.insert(name.address(), code);
                    code
                }
            },
        };
        self.column.codes.push(code);
    }

    fn push_text(&mut self, value: Option<&str>) {
        let code = match value {
            None => 0,
            Some(text) => self.code_of_text(text, || Name::from(text)),
        };
        self.column.codes.push(code);
    }

    fn code_of_text(&mut self, text: &str, name: impl FnOnce() -> Name) -> u32 {
        self.column.code_of(text, name, &mut self.by_text)
    }
}

/// A column of a few static texts (format names, verdict sources): a byte
/// per row (0: none).
#[derive(Debug, Clone, Default)]
pub struct StaticColumn {
    codes: Vec<u8>,
    values: Vec<&'static str>,
}

impl StaticColumn {
    /// Each row's code: 0 for none, else one more than its text's index in
    /// [`StaticColumn::values`].
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }

    /// The distinct texts, in the order their codes give.
    pub fn values(&self) -> &[&'static str] {
        &self.values
    }

    /// The row's text, if it has one.
    pub fn get(&self, row: usize) -> Option<&'static str> {
        match self.codes[row] {
            0 => None,
            code => Some(self.values[code as usize - 1]),
        }
    }

    fn push(&mut self, value: Option<&'static str>) {
        let code = value.map_or(0, |v| self.code_of(v));
        self.codes.push(code);
    }

    fn append(&mut self, other: StaticColumn) {
        let remap: Vec<u8> = other.values.iter().map(|v| self.code_of(v)).collect();
        self.codes.extend(
            other
                .codes
                .iter()
                .map(|&c| if c == 0 { 0 } else { remap[c as usize - 1] }),
        );
    }

    fn set(&mut self, row: usize, value: Option<&'static str>) {
        self.codes[row] = value.map_or(0, |v| self.code_of(v));
    }

    fn code_of(&mut self, value: &'static str) -> u8 {
        // The same constant is nearly always the same address: compared
        // by address first, by text only when that fails.
        let at = (self.values.iter().position(|v| std::ptr::eq(*v, value)))
            .or_else(|| self.values.iter().position(|v| *v == value));
        match at {
            Some(i) => i as u8 + 1,
            None => {
                assert!(self.values.len() < 255, "more than 255 static texts");
                self.values.push(value);
                self.values.len() as u8
            }
        }
    }
}

/// A column of optional times (milliseconds since the epoch, [`NO_TIME`]
/// where unknown): a list while the table is built, then (after
/// [`EpisodeTable::share_times`]) a buffer that the frames made of the table
/// share instead of copying; a change to a shared column copies it first
/// only while a frame still holds it.
#[derive(Debug, Clone)]
pub struct TimeColumn(Times);

/// Where a [`TimeColumn`]'s times are.
#[derive(Debug, Clone)]
enum Times {
    /// A list of its own, while the table is built.
    Listed(Vec<Millis>),
    /// A buffer frames can share.
    Shared(polars_buffer::Buffer<Millis>),
}

impl Default for TimeColumn {
    fn default() -> TimeColumn {
        TimeColumn(Times::Listed(Vec::new()))
    }
}

impl TimeColumn {
    /// A column of these times.
    fn listed(times: Vec<Millis>) -> TimeColumn {
        TimeColumn(Times::Listed(times))
    }

    /// The row's time, if known.
    pub fn get(&self, row: usize) -> Option<Millis> {
        let t = self.millis()[row];
        (t != NO_TIME).then_some(t)
    }

    /// Every row's time, `None` where unknown.
    pub fn iter(&self) -> impl Iterator<Item = Option<Millis>> + '_ {
        self.millis().iter().map(|&t| (t != NO_TIME).then_some(t))
    }

    /// Every row's time as milliseconds, [`NO_TIME`] where unknown.
    pub fn millis(&self) -> &[Millis] {
        match &self.0 {
            Times::Listed(times) => times,
            Times::Shared(times) => times,
        }
    }

    /// The times of `rows` as a buffer: shared with the column once it is
    /// shared, else a copy.
    pub fn buffer(&self, rows: std::ops::Range<usize>) -> polars_buffer::Buffer<Millis> {
        match &self.0 {
            Times::Shared(times) => times.clone().sliced(rows),
            Times::Listed(times) => times[rows].to_vec().into(),
        }
    }

    /// The column's own list, to change (a shared column's buffer becomes
    /// the list again, copied only if a frame still holds it).
    fn list(&mut self) -> &mut Vec<Millis> {
        if let Times::Shared(times) = &mut self.0 {
            self.0 = Times::Listed(std::mem::take(times).to_vec());
        }
        match &mut self.0 {
            Times::Listed(times) => times,
            Times::Shared(_) => unreachable!("the list was just made"),
        }
    }

    /// The column's times as a list of their own.
    fn into_list(mut self) -> Vec<Millis> {
        std::mem::take(self.list())
    }

    /// Makes the column a buffer frames can share.
    fn share(&mut self) {
        if let Times::Listed(times) = &mut self.0 {
            self.0 = Times::Shared(std::mem::take(times).into());
        }
    }

    fn push(&mut self, value: Option<Millis>) {
        self.list().push(value.unwrap_or(NO_TIME));
    }
}

/// The merged episodes, one column per field of [`Episode`] that later
/// stages read (what only the joins need, the notification identities, the
/// group keys and where a row was read, is kept beside it until the merge).
#[derive(Debug, Clone, Default)]
pub struct EpisodeTable {
    source: StaticColumn,
    rule: TextColumn,
    fingerprint: TextColumn,
    labels: LabelsColumn,
    severity: TextColumn,
    team: TextColumn,
    service: TextColumn,
    starts_at: TimeColumn,
    ends_at: TimeColumn,
    pending_since: TimeColumn,
    notifications: Vec<u32>,
    acked_at: TimeColumn,
    acked_by: TextColumn,
    ack_tracked: Vec<bool>,
    silenced: Vec<bool>,
    actionable: Vec<Option<bool>>,
    actionable_source: StaticColumn,
    incident_id: TextColumn,
    auto_resolved: Vec<Option<bool>>,
    paging_key: TextColumn,
    receivers: Option<ReceiversColumn>,
}

/// The receivers column: which Alertmanager receivers each row's alerts
/// were routed to, as a code per row into the distinct lists of
/// receivers. Set once the table is final (see `routing::routed`);
/// appending rows clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiversColumn {
    /// The receivers' names, in the configuration's order.
    pub names: Vec<String>,
    /// The distinct lists of receivers rows reach: indices into `names`, in
    /// routing-tree order (a receiver reached by two routes twice).
    pub lists: Vec<Vec<u32>>,
    /// Per row: its list's index in `lists`.
    pub codes: Vec<u32>,
}

impl ReceiversColumn {
    /// The receivers of a row, in routing order.
    pub fn of_row(&self, row: usize) -> impl Iterator<Item = &str> + '_ {
        self.lists[self.codes[row] as usize]
            .iter()
            .map(|&r| self.names[r as usize].as_str())
    }
}

impl EpisodeTable {
    /// The table of merged rows, in their order: pieces of the rows are
    /// made tables side by side, then appended in order.
    pub fn from_rows(rows: Vec<Episode>) -> EpisodeTable {
        use rayon::prelude::*;
        let piece = rows
            .len()
            .div_ceil(rayon::current_num_threads())
            .max(1 << 14);
        let pieces: Vec<EpisodeTable> = rows.par_chunks(piece).map(Self::from_slice).collect();
        drop(rows);
        let mut pieces = pieces.into_iter();
        let mut table = pieces.next().unwrap_or_default();
        let mut index = TextIndex::default();
        for piece in pieces {
            table.append_indexed(piece, &mut index);
        }
        table
    }

    /// The table of these rows, in their order.
    fn from_slice(rows: &[Episode]) -> EpisodeTable {
        let n = rows.len();
        let mut rule = TextColumnBuilder::with_capacity(n);
        let mut fingerprint = TextColumnBuilder::with_capacity(n);
        let mut severity = TextColumnBuilder::with_capacity(n);
        let mut team = TextColumnBuilder::with_capacity(n);
        let mut service = TextColumnBuilder::with_capacity(n);
        let mut acked_by = TextColumnBuilder::with_capacity(n);
        let mut incident_id = TextColumnBuilder::with_capacity(n);
        let mut paging_key = TextColumnBuilder::with_capacity(n);
        let mut labels_index = FnvHashMap::default();
        let mut t = EpisodeTable {
            source: StaticColumn {
                codes: Vec::with_capacity(n),
                values: Vec::new(),
            },
            labels: LabelsColumn {
                codes: Vec::with_capacity(n),
                values: Vec::new(),
            },
            starts_at: TimeColumn::listed(Vec::with_capacity(n)),
            ends_at: TimeColumn::listed(Vec::with_capacity(n)),
            pending_since: TimeColumn::listed(Vec::with_capacity(n)),
            notifications: Vec::with_capacity(n),
            acked_at: TimeColumn::listed(Vec::with_capacity(n)),
            ack_tracked: Vec::with_capacity(n),
            silenced: Vec::with_capacity(n),
            actionable: Vec::with_capacity(n),
            actionable_source: StaticColumn {
                codes: Vec::with_capacity(n),
                values: Vec::new(),
            },
            auto_resolved: Vec::with_capacity(n),
            ..EpisodeTable::default()
        };
        for e in rows {
            t.source.push(Some(e.source));
            rule.push_name(Some(&e.rule));
            fingerprint.push_name(Some(&e.fingerprint));
            severity.push_text(e.severity.as_deref());
            team.push_text(e.team.as_deref());
            service.push_text(e.service.as_deref());
            t.starts_at.push(e.starts_at);
            t.ends_at.push(e.ends_at);
            t.pending_since.push(e.pending_since);
            t.notifications.push(e.notification_count());
            t.acked_at.push(e.acked_at);
            acked_by.push_text(e.acked_by.as_deref());
            t.ack_tracked.push(e.ack_tracked);
            t.silenced.push(e.silenced);
            t.actionable.push(e.actionable);
            t.actionable_source.push(e.actionable_source);
            incident_id.push_text(e.incident_id.as_deref());
            t.auto_resolved.push(e.auto_resolved);
            paging_key.push_text(e.paging_key.as_deref());
            t.labels.push(&e.labels, &mut labels_index);
        }
        t.rule = rule.column;
        t.fingerprint = fingerprint.column;
        t.severity = severity.column;
        t.team = team.column;
        t.service = service.column;
        t.acked_by = acked_by.column;
        t.incident_id = incident_id.column;
        t.paging_key = paging_key.column;
        t
    }

    /// Appends another table's rows after this one's.
    pub fn append(&mut self, other: EpisodeTable) {
        self.append_indexed(other, &mut TextIndex::default());
    }

    /// [`EpisodeTable::append`] with this table's [`TextIndex`], for
    /// appending many pieces one after another.
    pub fn append_indexed(&mut self, other: EpisodeTable, index: &mut TextIndex) {
        self.receivers = None;
        let (theirs, labels, rest) = other.into_coded_and_rest();
        self.append_uncoded_all(vec![rest]);
        let known = index.of_labels(&self.labels);
        self.labels.append(labels, known);
        for (which, (mine, theirs)) in self.text_columns_mut().into_iter().zip(theirs).enumerate() {
            let known = index.of(which, mine);
            mine.append(theirs, known);
        }
    }

    /// The table's text columns (in [`TextIndex`]'s order) and label sets,
    /// and the table with those taken out.
    fn into_coded_and_rest(mut self) -> ([TextColumn; TEXT_COLUMNS], LabelsColumn, EpisodeTable) {
        let texts = self.text_columns_mut().map(std::mem::take);
        let labels = std::mem::take(&mut self.labels);
        (texts, labels, self)
    }

    /// Appends the columns of `others` (in order) that hold no codes into
    /// lists: times, counts, flags and the static texts; the columns side
    /// by side, each column's parts one after another.
    fn append_uncoded_all(&mut self, others: Vec<EpisodeTable>) {
        let n = others.len();
        let (mut sources, mut starts, mut ends, mut pendings) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut notifications, mut acked_ats, mut ack_trackeds, mut silenceds) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut actionables, mut actionable_sources, mut auto_resolveds) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for other in others {
            sources.push(other.source);
            starts.push(other.starts_at.into_list());
            ends.push(other.ends_at.into_list());
            pendings.push(other.pending_since.into_list());
            notifications.push(other.notifications);
            acked_ats.push(other.acked_at.into_list());
            ack_trackeds.push(other.ack_tracked);
            silenceds.push(other.silenced);
            actionables.push(other.actionable);
            actionable_sources.push(other.actionable_source);
            auto_resolveds.push(other.auto_resolved);
        }
        let (starts_at, ends_at, pending_since, acked_at) = (
            self.starts_at.list(),
            self.ends_at.list(),
            self.pending_since.list(),
            self.acked_at.list(),
        );
        let (source, actionable_source) = (&mut self.source, &mut self.actionable_source);
        let (notifications_to, ack_tracked, silenced, actionable, auto_resolved) = (
            &mut self.notifications,
            &mut self.ack_tracked,
            &mut self.silenced,
            &mut self.actionable,
            &mut self.auto_resolved,
        );
        rayon::scope(|scope| {
            scope.spawn(move |_| sources.into_iter().for_each(|o| source.append(o)));
            scope.spawn(move |_| extend_all(starts_at, starts));
            scope.spawn(move |_| extend_all(ends_at, ends));
            scope.spawn(move |_| extend_all(pending_since, pendings));
            scope.spawn(move |_| extend_all(notifications_to, notifications));
            scope.spawn(move |_| extend_all(acked_at, acked_ats));
            scope.spawn(move |_| extend_all(ack_tracked, ack_trackeds));
            scope.spawn(move |_| extend_all(silenced, silenceds));
            scope.spawn(move |_| extend_all(actionable, actionables));
            scope.spawn(move |_| {
                (actionable_sources.into_iter()).for_each(|o| actionable_source.append(o))
            });
            scope.spawn(move |_| extend_all(auto_resolved, auto_resolveds));
        });
    }

    /// Makes room for `rows` more rows in every column, so that a table
    /// appended to piece by piece is not moved to a larger one (holding
    /// both for a moment) as it grows. Room never written costs no memory.
    pub fn reserve(&mut self, rows: usize) {
        for column in self.text_columns_mut() {
            column.codes.reserve(rows);
        }
        self.source.codes.reserve(rows);
        self.labels.codes.reserve(rows);
        for times in [
            &mut self.starts_at,
            &mut self.ends_at,
            &mut self.pending_since,
            &mut self.acked_at,
        ] {
            times.list().reserve(rows);
        }
        self.notifications.reserve(rows);
        self.ack_tracked.reserve(rows);
        self.silenced.reserve(rows);
        self.actionable.reserve(rows);
        self.actionable_source.codes.reserve(rows);
        self.auto_resolved.reserve(rows);
    }

    /// Sets what merging rows of one episode, or joining an incident onto
    /// it, may change: every field but the format, rule, fingerprint,
    /// labels and start, which stay the row's. `index` is this table's.
    pub fn set_row(&mut self, row: usize, episode: &Episode, index: &mut TextIndex) {
        // Rule and fingerprint (the first two text columns) stay.
        let texts = [
            None,
            None,
            Some(episode.severity.as_deref()),
            Some(episode.team.as_deref()),
            Some(episode.service.as_deref()),
            Some(episode.acked_by.as_deref()),
            Some(episode.incident_id.as_deref()),
            Some(episode.paging_key.as_deref()),
        ];
        for (which, (column, value)) in self.text_columns_mut().into_iter().zip(texts).enumerate() {
            if let Some(value) = value {
                let known = index.of(which, column);
                column.set(row, value, known);
            }
        }
        self.ends_at.list()[row] = episode.ends_at.unwrap_or(NO_TIME);
        self.pending_since.list()[row] = episode.pending_since.unwrap_or(NO_TIME);
        self.notifications[row] = episode.notification_count();
        self.acked_at.list()[row] = episode.acked_at.unwrap_or(NO_TIME);
        self.ack_tracked[row] = episode.ack_tracked;
        self.silenced[row] = episode.silenced;
        self.actionable[row] = episode.actionable;
        self.actionable_source.set(row, episode.actionable_source);
        self.auto_resolved[row] = episode.auto_resolved;
    }

    /// Sets when a row's episode ended.
    pub fn set_ends_at(&mut self, row: usize, ends_at: Option<Millis>) {
        self.ends_at.list()[row] = ends_at.unwrap_or(NO_TIME);
    }

    /// Marks a row's episode as silenced.
    pub fn set_silenced(&mut self, row: usize) {
        self.silenced[row] = true;
    }

    /// Keeps the rows at `order`, in that order (each row at most once):
    /// every column is gathered once; the lists of texts are kept.
    pub fn gather(&mut self, order: &[u32]) {
        for column in self.text_columns_mut() {
            column.gather(order);
        }
        self.source.codes = gather(&self.source.codes, order);
        self.labels.codes = gather(&self.labels.codes, order);
        if let Some(receivers) = &mut self.receivers {
            receivers.codes = gather(&receivers.codes, order);
        }
        for times in [
            &mut self.starts_at,
            &mut self.ends_at,
            &mut self.pending_since,
            &mut self.acked_at,
        ] {
            *times = TimeColumn::listed(gather(times.millis(), order));
        }
        self.notifications = gather(&self.notifications, order);
        self.ack_tracked = gather(&self.ack_tracked, order);
        self.silenced = gather(&self.silenced, order);
        self.actionable = gather(&self.actionable, order);
        self.actionable_source.codes = gather(&self.actionable_source.codes, order);
        self.auto_resolved = gather(&self.auto_resolved, order);
    }

    /// [`EpisodeTable::text_columns_mut`] and the label sets' column.
    fn coded_columns_mut(&mut self) -> ([&mut TextColumn; TEXT_COLUMNS], &mut LabelsColumn) {
        (
            [
                &mut self.rule,
                &mut self.fingerprint,
                &mut self.severity,
                &mut self.team,
                &mut self.service,
                &mut self.acked_by,
                &mut self.incident_id,
                &mut self.paging_key,
            ],
            &mut self.labels,
        )
    }

    /// The text columns, in the order [`TextIndex`] keeps them.
    fn text_columns_mut(&mut self) -> [&mut TextColumn; TEXT_COLUMNS] {
        self.coded_columns_mut().0
    }

    /// How many episodes.
    pub fn len(&self) -> usize {
        self.notifications.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One episode.
    pub fn get(&self, row: usize) -> EpisodeRef<'_> {
        assert!(row < self.len(), "row {row} of {}", self.len());
        EpisodeRef { table: self, row }
    }

    /// Every episode, in table order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = EpisodeRef<'_>> + '_ {
        (0..self.len()).map(move |row| EpisodeRef { table: self, row })
    }

    /// The rows as [`Episode`]s (each notification counted in `notifications`;
    /// what only the joins read is left empty): for tests and tools that want
    /// rows, never for the pipeline.
    pub fn to_rows(&self) -> Vec<Episode> {
        self.iter().map(|e| e.to_episode()).collect()
    }

    /// Records a verdict on an episode (`review` or `proxy`).
    pub fn set_verdict(&mut self, row: usize, actionable: bool, source: &'static str) {
        self.actionable[row] = Some(actionable);
        self.actionable_source.set(row, Some(source));
    }

    /// The label sets column.
    pub fn label_sets(&self) -> &LabelsColumn {
        &self.labels
    }

    /// The rule column.
    pub fn rules(&self) -> &TextColumn {
        &self.rule
    }

    /// The fingerprint column.
    pub fn fingerprints(&self) -> &TextColumn {
        &self.fingerprint
    }

    /// The severity column as the source gave it (outside the labels).
    pub fn severities(&self) -> &TextColumn {
        &self.severity
    }

    /// The team column as the source gave it (outside the labels).
    pub fn teams(&self) -> &TextColumn {
        &self.team
    }

    /// The service column as the source gave it (outside the labels).
    pub fn services(&self) -> &TextColumn {
        &self.service
    }

    /// The acknowledger column.
    pub fn acked_by_column(&self) -> &TextColumn {
        &self.acked_by
    }

    /// The incident id column.
    pub fn incident_ids(&self) -> &TextColumn {
        &self.incident_id
    }

    /// The source format column.
    pub fn source_column(&self) -> &StaticColumn {
        &self.source
    }

    /// The verdict source column (`review`, `proxy`).
    pub fn actionable_source_column(&self) -> &StaticColumn {
        &self.actionable_source
    }

    /// `starts_at` of every row.
    pub fn starts(&self) -> &TimeColumn {
        &self.starts_at
    }

    /// `ends_at` of every row.
    pub fn ends(&self) -> &TimeColumn {
        &self.ends_at
    }

    /// `pending_since` of every row.
    pub fn pending(&self) -> &TimeColumn {
        &self.pending_since
    }

    /// `acked_at` of every row.
    pub fn acks(&self) -> &TimeColumn {
        &self.acked_at
    }

    /// Makes the time columns buffers that the frames made of the table
    /// share (see [`TimeColumn`]): for a table whose rows are final.
    pub fn share_times(&mut self) {
        for times in [
            &mut self.starts_at,
            &mut self.ends_at,
            &mut self.pending_since,
            &mut self.acked_at,
        ] {
            times.share();
        }
    }

    /// Notifications of every row (each distinct notification once).
    pub fn notification_counts(&self) -> &[u32] {
        &self.notifications
    }

    /// `ack_tracked` of every row.
    pub fn ack_tracked_column(&self) -> &[bool] {
        &self.ack_tracked
    }

    /// `silenced` of every row.
    pub fn silenced_column(&self) -> &[bool] {
        &self.silenced
    }

    /// `actionable` of every row.
    pub fn actionable_column(&self) -> &[Option<bool>] {
        &self.actionable
    }

    /// `auto_resolved` of every row.
    pub fn auto_resolved_column(&self) -> &[Option<bool>] {
        &self.auto_resolved
    }

    /// Records where every label set's alerts were routed; `None` when no
    /// Alertmanager configuration was given.
    pub fn set_receivers(&mut self, receivers: ReceiversColumn) {
        assert_eq!(receivers.codes.len(), self.len(), "a receiver list per row");
        self.receivers = Some(receivers);
    }

    /// The receivers column, when routing was applied.
    pub fn receivers(&self) -> Option<&ReceiversColumn> {
        self.receivers.as_ref()
    }
}

/// One row of the [`EpisodeTable`]: reads like an [`Episode`], one method per field.
#[derive(Clone, Copy)]
pub struct EpisodeRef<'a> {
    table: &'a EpisodeTable,
    row: usize,
}

impl std::fmt::Debug for EpisodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_episode().fmt(f)
    }
}

impl<'a> EpisodeRef<'a> {
    /// Its row in the table.
    pub fn row(&self) -> usize {
        self.row
    }

    /// Format name of the source.
    pub fn source(&self) -> &'static str {
        self.table.source.get(self.row).unwrap_or_default()
    }

    /// The alert rule (`alertname`).
    pub fn rule(&self) -> &'a Name {
        self.table.rule.name(self.row)
    }

    /// Alertmanager's fingerprint of the label set.
    pub fn fingerprint(&self) -> &'a Name {
        self.table.fingerprint.name(self.row)
    }

    /// The fingerprint's rank among the table's fingerprints in string
    /// order (see [`TextColumn::code_ranks`]): equal fingerprints have
    /// equal ranks, and ranks order as the fingerprints do.
    pub fn fingerprint_rank(&self) -> u32 {
        let column = &self.table.fingerprint;
        column.code_ranks()[column.codes[self.row] as usize]
    }

    /// All labels.
    pub fn labels(&self) -> &'a Labels {
        self.table.labels.get(self.row)
    }

    /// Severity, when the source names it outside the labels.
    pub fn severity(&self) -> Option<&'a str> {
        self.table.severity.get(self.row).map(Name::as_str)
    }

    /// Owning team, when the source names it outside the labels.
    pub fn team(&self) -> Option<&'a str> {
        self.table.team.get(self.row).map(Name::as_str)
    }

    /// Service, when the source names it outside the labels.
    pub fn service(&self) -> Option<&'a str> {
        self.table.service.get(self.row).map(Name::as_str)
    }

    /// When it started firing; `None` for pending-only episodes.
    pub fn starts_at(&self) -> Option<Millis> {
        self.table.starts_at.get(self.row)
    }

    /// When it resolved; `None` while still firing.
    pub fn ends_at(&self) -> Option<Millis> {
        self.table.ends_at.get(self.row)
    }

    /// When the condition became true, where known.
    pub fn pending_since(&self) -> Option<Millis> {
        self.table.pending_since.get(self.row)
    }

    /// Notifications that carried it, each distinct notification once.
    pub fn notification_count(&self) -> u32 {
        self.table.notifications[self.row]
    }

    /// First acknowledgement.
    pub fn acked_at(&self) -> Option<Millis> {
        self.table.acked_at.get(self.row)
    }

    /// Who acknowledged first.
    pub fn acked_by(&self) -> Option<&'a str> {
        self.table.acked_by.get(self.row).map(Name::as_str)
    }

    /// Whether the source records acknowledgements at all.
    pub fn ack_tracked(&self) -> bool {
        self.table.ack_tracked[self.row]
    }

    /// Matched a silence while firing.
    pub fn silenced(&self) -> bool {
        self.table.silenced[self.row]
    }

    /// Whether it was worth acting on: review verdict, proxy, or unknown.
    pub fn actionable(&self) -> Option<bool> {
        self.table.actionable[self.row]
    }

    /// `review` or `proxy` when `actionable` is known.
    pub fn actionable_source(&self) -> Option<&'static str> {
        self.table.actionable_source.get(self.row)
    }

    /// Paging-tool incident id.
    pub fn incident_id(&self) -> Option<&'a str> {
        self.table.incident_id.get(self.row).map(Name::as_str)
    }

    /// Whether the paging tool says its integration resolved the incident.
    pub fn auto_resolved(&self) -> Option<bool> {
        self.table.auto_resolved[self.row]
    }

    /// The paging tool's deduplication key (PagerDuty `incident_key`, Opsgenie `alias`).
    pub fn paging_key(&self) -> Option<&'a str> {
        self.table.paging_key.get(self.row).map(Name::as_str)
    }

    /// The row as an [`Episode`] (see [`EpisodeTable::to_rows`]).
    pub fn to_episode(&self) -> Episode {
        Episode {
            source: self.source(),
            rule: self.rule().clone(),
            fingerprint: self.fingerprint().clone(),
            labels: self.labels().clone(),
            severity: self.severity().map(str::to_string),
            team: self.team().map(str::to_string),
            service: self.service().map(str::to_string),
            starts_at: self.starts_at(),
            ends_at: self.ends_at(),
            pending_since: self.pending_since(),
            notifications: self.notification_count(),
            acked_at: self.acked_at(),
            acked_by: self.acked_by().map(str::to_string),
            ack_tracked: self.ack_tracked(),
            silenced: self.silenced(),
            actionable: self.actionable(),
            actionable_source: self.actionable_source(),
            incident_id: self.incident_id().map(str::to_string),
            auto_resolved: self.auto_resolved(),
            paging_key: self.paging_key().map(str::to_string),
            ..Episode::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A random row's parts: rule, fingerprint, severity, start, end,
    /// notifications, notification ids, acknowledgement, verdict, source.
    type RowParts = (
        u8,
        u8,
        Option<u8>,
        Option<i64>,
        Option<i64>,
        u32,
        Vec<u64>,
        Option<i64>,
        Option<bool>,
        bool,
    );

    fn row(
        (rule, fp, severity, start, end, notes, ids, acked, actionable, source): RowParts,
    ) -> Episode {
        Episode {
            source: if source { "a" } else { "b" },
            rule: format!("R{rule}").into(),
            fingerprint: format!("f{fp}").into(),
            severity: severity.map(|s| format!("s{s}")),
            acked_by: severity.map(|s| format!("who{s}")),
            incident_id: severity.map(|s| format!("P{s}")),
            starts_at: start,
            ends_at: end,
            pending_since: end.map(|e| e - 7),
            notifications: notes,
            notification_ids: ids,
            acked_at: acked,
            ack_tracked: acked.is_some(),
            silenced: notes % 2 == 0,
            actionable,
            actionable_source: actionable.map(|_| "review"),
            auto_resolved: actionable.map(|a| !a),
            paging_key: severity.map(|s| format!("k{s}")),
            ..Episode::default()
        }
    }

    /// Up to 40 random rows with repeated texts, times and flags.
    fn rows() -> impl Strategy<Value = Vec<Episode>> {
        proptest::collection::vec(
            (
                0u8..5,
                0u8..9,
                proptest::option::of(0u8..3),
                proptest::option::of(-1_000i64..1_000),
                proptest::option::of(-1_000i64..1_000),
                0u32..5,
                proptest::collection::vec(0u64..4, 0..3),
                proptest::option::of(0i64..9),
                proptest::option::of(any::<bool>()),
                any::<bool>(),
            ),
            0..40,
        )
        .prop_map(|rows| rows.into_iter().map(row).collect())
    }

    proptest! {
        /// Every field a later stage reads comes back from the table as the row had it.
        #[test]
        fn rows_come_back_from_the_table_as_they_went_in(
            rows in rows()
        ) {
            let expected: Vec<Episode> = rows
                .iter()
                .map(|e| Episode {
                    notifications: e.notification_count(),
                    notification_ids: Vec::new(),
                    ..e.clone()
                })
                .collect();
            let table = EpisodeTable::from_rows(rows);
            prop_assert_eq!(table.len(), expected.len());
            prop_assert_eq!(table.to_rows(), expected);
        }
    }

    proptest! {
        /// A table made in pieces and appended equals the table made at once,
        /// and still holds each distinct text once.
        #[test]
        fn tables_appended_equal_one_table(
            rows in rows(),
            cut in 0usize..40,
        ) {
            let cut = cut.min(rows.len());
            let mut table = EpisodeTable::from_slice(&rows[..cut]);
            table.append(EpisodeTable::from_slice(&rows[cut..]));
            let whole = EpisodeTable::from_slice(&rows);
            prop_assert_eq!(table.to_rows(), whole.to_rows());
            let distinct = |c: &TextColumn| {
                let mut v: Vec<&str> = c.values().iter().map(Name::as_str).collect();
                v.sort();
                v.dedup();
                v.len()
            };
            for column in [&table.rule, &table.fingerprint, &table.severity, &table.acked_by] {
                prop_assert_eq!(distinct(column), column.values().len());
            }
            prop_assert_eq!(table.rule.values().len(), whole.rule.values().len());
        }
    }

    #[test]
    fn each_distinct_text_is_held_once() {
        let rows: Vec<Episode> = (0..6)
            .map(|i| Episode {
                rule: Name::from(if i % 2 == 0 { "A" } else { "B" }),
                severity: (i % 3 != 0).then(|| "page".to_string()),
                ..Episode::default()
            })
            .collect();
        let table = EpisodeTable::from_rows(rows);
        let rules: Vec<&str> = table.rules().values().iter().map(Name::as_str).collect();
        assert_eq!(rules, ["A", "B"]);
        assert_eq!(table.severities().values().len(), 1);
        assert_eq!(table.severities().codes(), [0, 1, 1, 0, 1, 1]);
        assert_eq!(table.get(3).severity(), None);
        assert_eq!(table.get(4).severity(), Some("page"));
    }

    #[test]
    fn verdicts_are_set_in_place() {
        let mut table = EpisodeTable::from_rows(vec![Episode::default(); 3]);
        table.set_verdict(1, true, "proxy");
        assert_eq!(table.get(1).actionable(), Some(true));
        assert_eq!(table.get(1).actionable_source(), Some("proxy"));
        assert_eq!(table.get(0).actionable_source(), None);
    }
}
