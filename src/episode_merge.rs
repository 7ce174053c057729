//! Merges what the sources read into the episode table: rows of one episode
//! (same fingerprint and start, read from several files or twice) fold into
//! one, an episode left open is closed by the next one of its instance, and
//! the table is put in its order, (rule, starts_at, fingerprint,
//! pending_since), so it is the same whatever order files and records were
//! read in.
//!
//! It works on the table's columns: the pieces the bulk sources read are
//! appended as they are and the other sources' rows become one more piece;
//! the sorts are on small integer keys (ranks of the texts, times, where a
//! row was read); only the rows that fold together are made [`Episode`]s
//! again; and every column is gathered once into the final order. What only
//! the joins read (notification identities, group keys, where a row was
//! read) is kept beside the table, not in it.

use crate::episode_table::{EpisodeTable, TextIndex, NO_TIME};
use crate::episodes::Episode;
use crate::interned::Name;
use crate::sources::TableRows;
use crate::timefmt::Millis;
use fnv::FnvHashMap;
use rayon::prelude::*;

/// The merged episode table and what the joins after the merge still need.
pub struct Merged {
    /// The merged episodes in the table's order.
    pub table: EpisodeTable,
    /// The table's [`TextIndex`], for setting texts on its rows.
    pub index: TextIndex,
    /// Per row of [`Merged::table`]: the Alertmanager group keys of the
    /// notifications that carried it, sorted, each once.
    pub join_keys: JoinKeys,
}

/// The group keys of each row of the merged table.
#[derive(Debug, Default)]
pub struct JoinKeys(Vec<Vec<Name>>);

impl JoinKeys {
    /// A row's keys (none for a row no notification carried).
    pub fn get(&self, row: usize) -> &[Name] {
        self.0.get(row).map_or(&[], Vec::as_slice)
    }

    /// Forgets every row's keys.
    pub fn clear(&mut self) {
        self.0 = Vec::new();
    }
}

/// Merges the pieces read into tables and the rows read as [`Episode`]s.
pub fn merge(tables: Vec<TableRows>, mut rows: Vec<Episode>) -> Merged {
    let total = tables.iter().map(|t| t.lines.len()).sum::<usize>() + rows.len();
    assert!(u32::try_from(total).is_ok(), "more than 2^32 rows");
    // Where each row was read: a file (by number) and a line.
    let mut files = FileNumbers::default();
    let mut file_of: Vec<u32> = Vec::with_capacity(total);
    let mut lines: Vec<u64> = Vec::with_capacity(total);
    let mut table = EpisodeTable::default();
    let mut index = TextIndex::default();
    // The notification identities and group keys stay beside the table.
    let mut notification_ids: RowSegments<Vec<u64>> = RowSegments::default();
    let mut join_keys: RowSegments<Vec<Name>> = RowSegments::default();
    for piece in tables {
        let first_row = table.len();
        let file = files.number(&piece.file);
        file_of.extend(std::iter::repeat_n(file, piece.lines.len()));
        lines.extend(piece.lines);
        if table.is_empty() {
            // The first piece is taken as it is, not copied.
            table = piece.table;
            index = TextIndex::default();
        } else {
            table.append_indexed(piece.table, &mut index);
        }
        if let Some(notified) = piece.notified {
            notification_ids.add(first_row, notified.ids);
            join_keys.add(first_row, notified.join_keys);
        }
    }
    // Each row's count is what its identities make.
    let first_row = table.len();
    let mut row_ids: Vec<Vec<u64>> = Vec::with_capacity(rows.len());
    let mut row_keys: Vec<Vec<Name>> = Vec::with_capacity(rows.len());
    for row in rows.iter_mut() {
        row.notification_ids.sort_unstable();
        row.notification_ids.dedup();
        row.notifications = row.notification_count();
        row_ids.push(std::mem::take(&mut row.notification_ids));
        row_keys.push(std::mem::take(&mut row.join_keys));
        file_of.push(files.number(&row.origin.file));
        lines.push(row.origin.line);
    }
    notification_ids.add(first_row, row_ids);
    join_keys.add(first_row, row_keys);
    table.append_indexed(EpisodeTable::from_rows(rows), &mut index);
    let fingerprint = ranked(
        table.fingerprints().codes(),
        table.fingerprints().code_ranks(),
    );
    let file_rank = files.ranks();

    // Rows of one episode are adjacent in (fingerprint, start, file, line)
    // order, then in the order read; each folds into the first of them.
    // Pending-only rows (no start) never merge with one another.
    let by_instance = sorted_in_groups(&fingerprint, |i| {
        (
            time_key(table.starts().get(i)),
            file_rank[file_of[i] as usize],
            lines[i],
        )
    });
    drop((file_of, lines));
    let mut episodes: Vec<u32> = Vec::with_capacity(table.len());
    let mut folds: Vec<(u32, Vec<u32>)> = Vec::new();
    for &i in &by_instance {
        if let Some(&first) = episodes.last() {
            let start = table.starts().get(i as usize);
            let same = start.is_some()
                && table.starts().get(first as usize) == start
                && fingerprint[first as usize] == fingerprint[i as usize];
            if same {
                match folds.last_mut() {
                    Some((into, others)) if *into == first => others.push(i),
                    _ => folds.push((first, vec![i])),
                }
                continue;
            }
        }
        episodes.push(i);
    }
    drop(by_instance);
    let mut rows = FoldRows {
        notification_ids,
        join_keys,
    };
    for (first, others) in folds {
        let mut episode = rows.take(&table, first);
        for other in others {
            episode.absorb(rows.take(&table, other));
        }
        episode.notification_ids.sort_unstable();
        episode.notification_ids.dedup();
        table.set_row(first as usize, &episode, &mut index);
        rows.join_keys.set(first as usize, episode.join_keys);
    }
    // The identities are counted now; only the group keys go on (the
    // identities of an archive's episodes are a third of the merge's peak).
    let FoldRows {
        notification_ids,
        mut join_keys,
    } = rows;
    drop(notification_ids);
    close_superseded(&mut table, &episodes, &fingerprint);

    // The table's order: (rule, starts_at, fingerprint, pending_since), ties
    // in the fold's order.
    // Sorted as the fold saw them (by fingerprint, then start), each rule's
    // episodes are one run per fingerprint, which the sort merges.
    let rule: Vec<u32> = {
        let ranks = table.rules().code_ranks();
        let codes = table.rules().codes();
        episodes
            .par_iter()
            .map(|&i| ranks[codes[i as usize] as usize])
            .collect()
    };
    let in_fold = sorted_in_groups(&rule, |k| {
        let i = episodes[k] as usize;
        (
            time_key(table.starts().get(i)),
            fingerprint[i],
            time_key(table.pending().get(i)),
        )
    });
    drop((rule, fingerprint));
    let order: Vec<u32> = in_fold.into_iter().map(|k| episodes[k as usize]).collect();
    drop(episodes);
    table.gather(&order);
    let join_keys = if join_keys.is_empty() {
        JoinKeys::default()
    } else {
        let keys_of = |old: &u32| {
            let mut keys = join_keys.take(*old as usize);
            keys.sort_unstable();
            keys.dedup();
            keys
        };
        JoinKeys(order.iter().map(keys_of).collect())
    };
    Merged {
        table,
        index,
        join_keys,
    }
}

/// Each row's rank, from its code and the rank of each code.
fn ranked(codes: &[u32], code_ranks: &[u32]) -> Vec<u32> {
    codes.par_iter().map(|&c| code_ranks[c as usize]).collect()
}

/// The files rows were read from, each with a number.
#[derive(Default)]
struct FileNumbers {
    names: Vec<Name>,
    numbers: FnvHashMap<Name, u32>,
}

impl FileNumbers {
    /// The file's number.
    fn number(&mut self, file: &Name) -> u32 {
        if let Some(&n) = self.numbers.get(file.as_str()) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(file.clone());
        self.numbers.insert(file.clone(), n);
        n
    }

    /// Per file number: its rank among the names in string order.
    fn ranks(&self) -> Vec<u32> {
        let names: Vec<Option<&str>> = self.names.iter().map(|n| Some(n.as_str())).collect();
        crate::ranks::ranks(&names)
    }
}

/// What some rows have beside the table (their notification identities,
/// their group keys): runs of rows, each from its first row on, as the
/// pieces that read them were appended, and the rows a fold gave them.
struct RowSegments<T> {
    runs: Vec<(usize, Vec<T>)>,
    others: FnvHashMap<usize, T>,
}

impl<T> Default for RowSegments<T> {
    fn default() -> Self {
        RowSegments {
            runs: Vec::new(),
            others: FnvHashMap::default(),
        }
    }
}

impl<T: Default> RowSegments<T> {
    /// Adds the values of the rows from `first_row` on (added in the order
    /// of the rows).
    fn add(&mut self, first_row: usize, values: Vec<T>) {
        if !values.is_empty() {
            self.runs.push((first_row, values));
        }
    }

    /// Whether no row has a value.
    fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.others.is_empty()
    }

    /// The value of a row in a run, if it is in one.
    fn in_run(&mut self, row: usize) -> Option<&mut T> {
        let run = self.runs.partition_point(|(first, _)| *first <= row);
        let (first, values) = &mut self.runs[run.checked_sub(1)?];
        values.get_mut(row - *first)
    }

    /// Takes a row's value (the default for a row that has none).
    fn take(&mut self, row: usize) -> T {
        match self.in_run(row) {
            Some(value) => std::mem::take(value),
            None => self.others.remove(&row).unwrap_or_default(),
        }
    }

    /// Sets a row's value.
    fn set(&mut self, row: usize, value: T) {
        match self.in_run(row) {
            Some(slot) => *slot = value,
            None => {
                self.others.insert(row, value);
            }
        }
    }
}

/// What the fold needs to make a row of the table an [`Episode`] again.
struct FoldRows {
    /// Per row that has any: its notification identities.
    notification_ids: RowSegments<Vec<u64>>,
    /// Per row that has any: its group keys.
    join_keys: RowSegments<Vec<Name>>,
}

impl FoldRows {
    /// The row as an [`Episode`], with what is kept beside the table taken
    /// from here (each row is folded once).
    fn take(&mut self, table: &EpisodeTable, row: u32) -> Episode {
        let mut episode = table.get(row as usize).to_episode();
        episode.notification_ids = self.notification_ids.take(row as usize);
        episode.join_keys = self.join_keys.take(row as usize);
        episode
    }
}

/// The row indices `0..groups.len()` sorted by (`groups[i]`, `key(i)`),
/// ties in index order. The rows are put in their groups first (a counting
/// sort: groups are ranks, small integers), then each group's rows are
/// sorted by `key` on its own, groups side by side; a stable sort, so that
/// a group whose rows come in runs already in order (one instance's
/// episodes, read in time order) is merged rather than sorted again.
fn sorted_in_groups<K: Ord + Send>(groups: &[u32], key: impl Fn(usize) -> K + Sync) -> Vec<u32> {
    let count = groups.iter().max().map_or(0, |g| *g as usize + 1);
    let mut starts = vec![0usize; count + 1];
    for &g in groups {
        starts[g as usize + 1] += 1;
    }
    for g in 0..count {
        starts[g + 1] += starts[g];
    }
    let mut order = vec![0u32; groups.len()];
    let mut next = starts.clone();
    for (i, &g) in groups.iter().enumerate() {
        order[next[g as usize]] = i as u32;
        next[g as usize] += 1;
    }
    let mut slices = Vec::with_capacity(count);
    let mut rest: &mut [u32] = &mut order;
    for g in 0..count {
        let (group, after) = rest.split_at_mut(starts[g + 1] - starts[g]);
        slices.push(group);
        rest = after;
    }
    slices.into_par_iter().with_max_len(1).for_each(|group| {
        if group.len() < 2 {
            return;
        }
        let mut keyed: Vec<(K, u32)> = group.iter().map(|&i| (key(i as usize), i)).collect();
        keyed.sort();
        for (slot, (_, i)) in group.iter_mut().zip(keyed) {
            *slot = i;
        }
    });
    order
}

/// A time as a sort key that orders as `Option<Millis>` does (none first):
/// the table's own marker for "none", which no time read from any input is.
fn time_key(time: Option<Millis>) -> Millis {
    time.unwrap_or(NO_TIME)
}

/// An instance cannot fire twice at once: an episode left without an end and
/// followed by a later episode of the same fingerprint ended, at the latest,
/// when the later one started. Alertmanager produces exactly this when an
/// alert fires again before its resolution was notified: the new alert
/// replaces the resolved one in the group, and no `resolved` body is sent.
/// `episodes` lists the merged rows sorted by (fingerprint, starts_at), as
/// the fold saw them: pending-only rows (no start) come first in their
/// fingerprint and are passed over.
fn close_superseded(table: &mut EpisodeTable, episodes: &[u32], fingerprint: &[u32]) {
    let mut previous: Option<usize> = None;
    for &next in episodes {
        let next = next as usize;
        let Some(start) = table.starts().get(next) else {
            continue;
        };
        if let Some(prev) = previous {
            if fingerprint[prev] == fingerprint[next] && table.ends().get(prev).is_none() {
                table.set_ends_at(prev, Some(start));
            }
        }
        previous = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::Origin;
    use proptest::prelude::*;

    /// The merge as first written, on rows: stable sorts on the strings
    /// themselves, and superseded episodes closed from a sort of their own.
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
        /// episodes left open meet often. Rows of files `c` and `d` are
        /// read as a table source reads them (counted notifications, no
        /// identities or group keys); rows of file `e` as a webhook
        /// archive's table piece (identities and group keys beside it).
        fn row()(
            rule in "[AB]",
            fingerprint in "f[0-3]",
            start in proptest::option::weighted(0.85, 0i64..6),
            end in proptest::option::of(0i64..9),
            pending in proptest::option::of(0i64..6),
            ack in proptest::option::of((0i64..9, "[xy]")),
            file in "[abcde]",
            line in 0u64..4,
            notification in 0u64..5,
            keys in proptest::collection::vec("[gh]", 0..2),
            severity in proptest::option::of("[cw]"),
            incident in proptest::option::of("P[12]"),
        ) -> Episode {
            let table_source = file == "c" || file == "d";
            let mut e = Episode {
                rule: rule.into(),
                fingerprint: fingerprint.into(),
                starts_at: start.map(|s| s * 60_000),
                ends_at: end.map(|e| e * 60_000 + 1),
                pending_since: pending.map(|p| p * 60_000 - 1),
                notifications: notification as u32,
                severity,
                incident_id: incident,
                origin: Origin { file: file.into(), line },
                ..Episode::default()
            };
            if !table_source {
                e.notification_ids = vec![notification];
                e.join_keys = keys.into_iter().map(Name::from).collect();
            }
            if let Some((at, by)) = ack {
                e.acknowledge(at * 60_000, Some(by));
            }
            e
        }
    }

    /// The rows of files `c`, `d` and `e` as table pieces (in the order
    /// read; `e`'s with its notifications), and the others as rows.
    fn split(rows: Vec<Episode>) -> (Vec<TableRows>, Vec<Episode>) {
        let mut tables = Vec::new();
        for file in ["c", "d", "e"] {
            let of_file: Vec<Episode> = rows
                .iter()
                .filter(|e| e.origin.file == file)
                .cloned()
                .collect();
            let lines = of_file.iter().map(|e| e.origin.line).collect();
            let notified = (file == "e").then(|| crate::sources::Notified {
                ids: of_file
                    .iter()
                    .map(|e| {
                        let mut ids = e.notification_ids.clone();
                        ids.sort_unstable();
                        ids.dedup();
                        ids
                    })
                    .collect(),
                join_keys: of_file.iter().map(|e| e.join_keys.clone()).collect(),
            });
            tables.push(TableRows {
                table: EpisodeTable::from_rows(of_file),
                file: file.into(),
                lines,
                notified,
            });
        }
        let rest = rows
            .into_iter()
            .filter(|e| !["c", "d", "e"].contains(&e.origin.file.as_str()))
            .collect();
        (tables, rest)
    }

    proptest! {
        #[test]
        fn the_merged_table_is_what_the_string_sorts_gave(rows in proptest::collection::vec(row(), 0..60)) {
            let expected = reference_merge(rows.clone());
            let (tables, rest) = split(rows);
            let merged = merge(tables, rest);
            let got = merged.table.to_rows();
            prop_assert_eq!(got.len(), expected.len());
            for (at, (got, want)) in got.iter().zip(&expected).enumerate() {
                // The table keeps the count, not the identities; the group
                // keys and where the row was read are kept beside it.
                prop_assert_eq!(merged.join_keys.get(at), want.join_keys.as_slice());
                let want = Episode {
                    notifications: want.notification_count(),
                    notification_ids: Vec::new(),
                    join_keys: Vec::new(),
                    origin: Origin::default(),
                    ..want.clone()
                };
                prop_assert_eq!(got, &want);
            }
        }
    }
}
