//! The canonical episode table: one row per continuous firing of one alert instance.
//!
//! Sources produce [`Episode`] rows; this module merges the rows that describe
//! the same episode (same fingerprint and start, e.g. one alert seen in many
//! webhook bodies or in two overlapping exports), and turns them into the
//! polars frame every later stage reads. Column names are a public interface
//! (see `docs/episodes.md`).

pub use crate::episode_table::{EpisodeRef, EpisodeTable};
use crate::episode_table::{TextColumn, TimeColumn};
pub use crate::interned::{Labels, Name};
use crate::timefmt::Millis;
use polars::prelude::*;
use polars_arrow::array::View;
use rayon::prelude::*;

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

/// Merges rows of the same episode (same fingerprint and start) and sorts the
/// result by (rule, starts_at, fingerprint), so the table is the same whatever
/// order files and records were read in.
pub fn merge(mut rows: Vec<Episode>) -> Vec<Episode> {
    // Deterministic fold order: by key, then by where the row was read, then
    // in the order read. Sorted on ranks (integers), not on the strings; the
    // fingerprints' order does not matter here, only that rows of one
    // episode are adjacent and in this order. Rows stay where they are
    // until the one move into the table's order at the end.
    let fingerprint = crate::ranks::name_ranks(rows.iter().map(|e| &e.fingerprint));
    let file = crate::ranks::name_ranks(rows.iter().map(|e| &e.origin.file));
    let by_instance = sorted_order(&rows, |i, e| {
        (
            fingerprint[i],
            time_key(e.starts_at),
            file[i],
            e.origin.line,
        )
    });
    // Rows of one episode are adjacent in that order; each folds into the
    // first of them. Pending-only rows (no start) are never merged with one
    // another.
    let mut kept = vec![true; rows.len()];
    let mut episodes: Vec<u32> = Vec::with_capacity(rows.len());
    for &i in &by_instance {
        let i = i as usize;
        if let Some(&first) = episodes.last() {
            let first = first as usize;
            let same = rows[i].starts_at.is_some()
                && rows[first].starts_at == rows[i].starts_at
                && fingerprint[first] == fingerprint[i];
            if same {
                let row = std::mem::take(&mut rows[i]);
                rows[first].absorb(row);
                kept[i] = false;
                continue;
            }
        }
        episodes.push(i as u32);
    }
    rows.par_iter_mut()
        .zip(kept.par_iter())
        .filter(|(_, kept)| **kept)
        .for_each(|(episode, _)| {
            episode.notification_ids.sort_unstable();
            episode.notification_ids.dedup();
            episode.join_keys.sort_unstable();
            episode.join_keys.dedup();
        });
    close_superseded(&mut rows, &episodes);
    // The table's order: (rule, starts_at, fingerprint, pending_since), ties
    // in the order above; the folded rows after them, dropped.
    let rule = crate::ranks::name_ranks(rows.iter().map(|e| &e.rule));
    let mut rank_in_fold = vec![0u32; rows.len()];
    for (rank, &i) in episodes.iter().enumerate() {
        rank_in_fold[i as usize] = rank as u32;
    }
    let order = sorted_order(&rows, |i, e| {
        (
            u64::from(!kept[i]) << 32 | u64::from(rule[i]),
            time_key(e.starts_at),
            fingerprint[i],
            time_key(e.pending_since),
            rank_in_fold[i],
        )
    });
    permute(&mut rows, &order);
    rows.truncate(episodes.len());
    rows
}

/// The rows' indices sorted by `key` (of a row's index and the row), ties
/// in index order. Keys are kept small (integers, times as [`time_key`]):
/// ten million of them are sorted at once.
fn sorted_order<K: Ord + Send>(rows: &[Episode], key: impl Fn(usize, &Episode) -> K) -> Vec<u32> {
    assert!(u32::try_from(rows.len()).is_ok(), "more than 2^32 rows");
    let mut keyed: Vec<(K, u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, e)| (key(i, e), i as u32))
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A time as a sort key that orders as `Option<Millis>` does (none first):
/// no time read from any input is `Millis::MIN`.
fn time_key(time: Option<Millis>) -> Millis {
    time.unwrap_or(Millis::MIN)
}

/// Puts the rows in the given order in place: afterwards `rows[k]` is the
/// row that was at `order[k]` (`order` holds every index once). Follows each
/// cycle of the permutation with swaps, so no second table is allocated.
fn permute(rows: &mut [Episode], order: &[u32]) {
    let mut done = vec![false; rows.len()];
    for start in 0..rows.len() {
        let mut at = start;
        while !done[at] {
            done[at] = true;
            let from = order[at] as usize;
            if from == start {
                break;
            }
            rows.swap(at, from);
            at = from;
        }
    }
}

/// An instance cannot fire twice at once: an episode left without an end and
/// followed by a later episode of the same fingerprint ended, at the latest,
/// when the later one started. Alertmanager produces exactly this when an
/// alert fires again before its resolution was notified: the new alert
/// replaces the resolved one in the group, and no `resolved` body is sent.
/// `order` lists the episodes sorted by (fingerprint, starts_at), as
/// [`merge`] folds them: pending-only rows (no start) come first in their
/// fingerprint and are passed over.
fn close_superseded(rows: &mut [Episode], order: &[u32]) {
    let mut previous: Option<usize> = None;
    for &next in order {
        let next = next as usize;
        if rows[next].starts_at.is_none() {
            continue;
        }
        if let Some(prev) = previous {
            if rows[prev].fingerprint == rows[next].fingerprint && rows[prev].ends_at.is_none() {
                rows[prev].ends_at = rows[next].starts_at;
            }
        }
        previous = Some(next);
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
pub const COLUMNS: [&str; 19] = [
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
];

fn datetime_column(name: &str, values: Vec<Option<Millis>>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&DataType::Datetime(
        TimeUnit::Milliseconds,
        Some(TimeZone::UTC),
    ))
}

/// Builds one column of the episode frame.
type ColumnBuilder<'a> = Box<dyn Fn() -> PolarsResult<Column> + Sync + 'a>;

/// A string column whose rows share their text: each distinct string (told
/// apart by where it is held: interned names and label sets are held once)
/// is stored once and every row refers to it, instead of a copy per row.
/// A million episodes of 50,000 label sets hold 50,000 label texts, not a
/// million.
fn shared_strings<'a>(
    name: &str,
    rows: usize,
    values: impl Iterator<Item = Option<&'a str>>,
) -> PolarsResult<Column> {
    let mut strings = SharedStrings::with_capacity(rows);
    let mut stored: fnv::FnvHashMap<(usize, usize), View> = fnv::FnvHashMap::default();
    for value in values {
        let view = value.map(|text| {
            if text.len() <= View::MAX_INLINE_SIZE as usize {
                View::new_inline(text.as_bytes())
            } else {
                *stored
                    .entry((text.as_ptr() as usize, text.len()))
                    .or_insert_with(|| strings.store(text))
            }
        });
        strings.push(view);
    }
    strings.finish(name)
}

/// A string column of the table's coded texts: each distinct text stored
/// once, each row its code's view (no hashing per row).
fn coded_strings(name: &str, column: &TextColumn) -> PolarsResult<Column> {
    let mut strings = SharedStrings::with_capacity(column.codes().len());
    let views: Vec<View> = column
        .values()
        .iter()
        .map(|text| strings.store(text))
        .collect();
    for &code in column.codes() {
        strings.push(code.checked_sub(1).map(|i| views[i as usize]));
    }
    strings.finish(name)
}

/// The parts of an Arrow string-view column being built: a view per row
/// and one buffer of the texts they point into.
struct SharedStrings {
    views: Vec<View>,
    validity: polars_arrow::bitmap::MutableBitmap,
    bytes: Vec<u8>,
}

impl SharedStrings {
    fn with_capacity(rows: usize) -> Self {
        SharedStrings {
            views: Vec::with_capacity(rows),
            validity: polars_arrow::bitmap::MutableBitmap::with_capacity(rows),
            bytes: Vec::new(),
        }
    }

    /// Stores a text (unless short enough to sit in its view) and gives its view.
    fn store(&mut self, text: &str) -> View {
        if text.len() <= View::MAX_INLINE_SIZE as usize {
            return View::new_inline(text.as_bytes());
        }
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(text.as_bytes());
        View::new_from_bytes(text.as_bytes(), 0, offset as u32)
    }

    /// Adds a row: a view from [`SharedStrings::store`], or null.
    fn push(&mut self, view: Option<View>) {
        self.validity.push(view.is_some());
        self.views.push(view.unwrap_or_default());
    }

    fn finish(self, name: &str) -> PolarsResult<Column> {
        use polars_arrow::array::Utf8ViewArray;
        use polars_arrow::datatypes::ArrowDataType;
        use polars_buffer::Buffer;
        if u32::try_from(self.bytes.len()).is_err() {
            polars_bail!(ComputeError: "column {name}: more than 4 GiB of distinct text");
        }
        let validity = (self.validity.unset_bits() > 0).then(|| self.validity.into());
        let array = Utf8ViewArray::try_new(
            ArrowDataType::Utf8View,
            Buffer::from(self.views),
            Buffer::from(vec![Buffer::from(self.bytes)]),
            validity,
        )?;
        Ok(StringChunked::with_chunk(name.into(), array)
            .into_series()
            .into_column())
    }
}

/// Builds the canonical polars frame from merged episodes, its columns side by side.
pub fn to_frame(table: &EpisodeTable, names: &LabelNames) -> PolarsResult<DataFrame> {
    let rows = table.len();
    fn strings<'a>(
        table: &'a EpisodeTable,
        name: &'static str,
        f: impl Fn(EpisodeRef<'a>) -> Option<&'a str> + Sync + 'a,
    ) -> ColumnBuilder<'a> {
        Box::new(move || shared_strings(name, table.len(), table.iter().map(&f)))
    }
    fn times<'a>(name: &'static str, column: &'a TimeColumn) -> ColumnBuilder<'a> {
        Box::new(move || datetime_column(name, column.iter().collect()))
    }
    fn picked<'a>(
        table: &'a EpisodeTable,
        name: &'static str,
        explicit: &'a TextColumn,
        label: &'a str,
    ) -> ColumnBuilder<'a> {
        strings(table, name, move |e| {
            explicit
                .get(e.row())
                .map(Name::as_str)
                .or_else(|| e.labels().get(label).map(String::as_str))
        })
    }
    let builders: Vec<ColumnBuilder> = vec![
        Box::new(|| {
            let values: Vec<&str> = table.iter().map(|e| e.source()).collect();
            Ok(Column::new("source".into(), values))
        }),
        Box::new(|| coded_strings("rule", table.rules())),
        Box::new(|| coded_strings("fingerprint", table.fingerprints())),
        strings(table, "labels", |e| Some(e.labels().json())),
        picked(table, "severity", table.severities(), &names.severity),
        picked(table, "team", table.teams(), &names.team),
        picked(table, "service", table.services(), &names.service),
        times("starts_at", table.starts()),
        times("ends_at", table.ends()),
        times("pending_since", table.pending()),
        Box::new(|| {
            Ok(Column::new(
                "notifications".into(),
                table.notification_counts().to_vec(),
            ))
        }),
        times("acked_at", table.acks()),
        Box::new(|| coded_strings("acked_by", table.acked_by_column())),
        Box::new(|| {
            Ok(Column::new(
                "ack_tracked".into(),
                table.ack_tracked_column().to_vec(),
            ))
        }),
        Box::new(|| {
            Ok(Column::new(
                "silenced".into(),
                table.silenced_column().to_vec(),
            ))
        }),
        Box::new(|| {
            Ok(Column::new(
                "actionable".into(),
                table.actionable_column().to_vec(),
            ))
        }),
        Box::new(|| {
            let values: Vec<Option<&str>> = table.iter().map(|e| e.actionable_source()).collect();
            Ok(Column::new("actionable_source".into(), values))
        }),
        Box::new(|| coded_strings("incident_id", table.incident_ids())),
        Box::new(|| {
            Ok(Column::new(
                "auto_resolved".into(),
                table.auto_resolved_column().to_vec(),
            ))
        }),
    ];
    let columns = builders
        .par_iter()
        .map(|build| build())
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(rows, columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The merge as first written: stable sorts on the strings themselves, and
    /// superseded episodes closed from a sort of their own.
    fn reference_merge(mut rows: Vec<Episode>) -> Vec<Episode> {
        rows.sort_by(|a, b| {
            (&a.fingerprint, a.starts_at, &a.origin).cmp(&(&b.fingerprint, b.starts_at, &b.origin))
        });
        let mut merged: Vec<Episode> = Vec::new();
        for row in rows {
            if let Some(last) = merged.last_mut() {
                if row.starts_at.is_some()
                    && last.starts_at == row.starts_at
                    && last.fingerprint == row.fingerprint
                {
                    last.absorb(row);
                    continue;
                }
            }
            merged.push(row);
        }
        for e in &mut merged {
            e.notification_ids.sort_unstable();
            e.notification_ids.dedup();
            e.join_keys.sort_unstable();
            e.join_keys.dedup();
        }
        let mut order: Vec<usize> = (0..merged.len())
            .filter(|&i| merged[i].starts_at.is_some())
            .collect();
        order.sort_by(|&a, &b| {
            (&merged[a].fingerprint, merged[a].starts_at)
                .cmp(&(&merged[b].fingerprint, merged[b].starts_at))
        });
        for pair in order.windows(2) {
            if merged[pair[0]].fingerprint == merged[pair[1]].fingerprint
                && merged[pair[0]].ends_at.is_none()
            {
                merged[pair[0]].ends_at = merged[pair[1]].starts_at;
            }
        }
        merged.sort_by(|a, b| {
            (&a.rule, a.starts_at, &a.fingerprint, a.pending_since).cmp(&(
                &b.rule,
                b.starts_at,
                &b.fingerprint,
                b.pending_since,
            ))
        });
        merged
    }

    prop_compose! {
        /// A row as many sources give them: few rules, instances, starts and
        /// files, so that rows of one episode, pending-only rows and
        /// episodes left open meet often.
        fn row()(
            rule in "[AB]",
            fingerprint in "f[0-3]",
            start in proptest::option::weighted(0.85, 0i64..6),
            end in proptest::option::of(0i64..9),
            pending in proptest::option::of(0i64..6),
            ack in proptest::option::of((0i64..9, "[xy]")),
            file in "[ab]",
            line in 0u64..4,
            notification in 0u64..5,
            severity in proptest::option::of("[cw]"),
        ) -> Episode {
            let mut e = Episode {
                rule: rule.into(),
                fingerprint: fingerprint.into(),
                starts_at: start.map(|s| s * 60_000),
                ends_at: end.map(|e| e * 60_000 + 1),
                pending_since: pending.map(|p| p * 60_000 - 1),
                notification_ids: vec![notification],
                severity,
                origin: Origin { file: file.into(), line },
                ..Episode::default()
            };
            if let Some((at, by)) = ack {
                e.acknowledge(at * 60_000, Some(by));
            }
            e
        }
    }

    proptest! {
        #[test]
        fn merge_gives_the_table_the_string_sorts_gave(rows in proptest::collection::vec(row(), 0..60)) {
            prop_assert_eq!(merge(rows.clone()), reference_merge(rows));
        }
    }

    #[test]
    fn permute_puts_each_row_where_the_order_says() {
        let rows: Vec<Episode> = (0..7)
            .map(|i| Episode {
                rule: i.to_string().into(),
                ..Episode::default()
            })
            .collect();
        let order = [3, 0, 6, 1, 2, 5, 4];
        let mut permuted = rows.clone();
        permute(&mut permuted, &order);
        let names: Vec<&str> = permuted.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(names, ["3", "0", "6", "1", "2", "5", "4"]);
    }
}
