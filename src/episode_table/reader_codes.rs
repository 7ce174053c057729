//! Table pieces written a row at a time by parallel readers.
//!
//! A bulk reader (the episodes CSV) reads a block's records in chunks on
//! every core. Each reader thread keeps [`ReaderCodes`] for the whole file:
//! every text and label set it has read gets a code in its own space, found
//! with one lookup per field and kept from chunk to chunk. A chunk's rows go
//! straight into a [`CodedPiece`] in that space (no row struct, no shared
//! reference counted per field); when the block is done its pieces are
//! appended to the file's table in order, and only the texts a reader has
//! not given before are looked up in the table's lists ([`ReaderRemap`]).

use super::{EpisodeTable, LabelsColumn, TextColumn, TextIndex, TEXT_COLUMNS};
use crate::interned::{pool, LabelMap, Labels, Name};
use crate::timefmt::Millis;
use fnv::FnvHashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One reader thread's codes for what it has read: texts per text column
/// (0: none, else 1 + the index of the text) and label sets (the index).
pub struct ReaderCodes {
    id: usize,
    texts: [ReaderTexts; TEXT_COLUMNS],
    labels: Vec<Labels>,
    labels_by_key: foldhash::HashMap<Box<str>, u32>,
    key: String,
    /// The key of the label set coded last, and its code: rows of one
    /// instance often come one after another.
    last_key: String,
    last_labels: u32,
}

impl Default for ReaderCodes {
    fn default() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        ReaderCodes {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            texts: Default::default(),
            labels: Vec::new(),
            labels_by_key: Default::default(),
            key: String::new(),
            last_key: String::new(),
            last_labels: u32::MAX,
        }
    }
}

/// A reader's texts of one column: each distinct text once (a column's
/// list; its codes are the pieces') and the code of each.
#[derive(Default)]
struct ReaderTexts {
    list: TextColumn,
    index: FnvHashMap<Name, u32>,
    /// The code given last (0: none yet): a file's rows of one rule or one
    /// instance often come one after another, and a text equal to the
    /// last is not looked up.
    last: u32,
}

impl ReaderTexts {
    fn code(&mut self, text: Option<&str>) -> u32 {
        let Some(text) = text else {
            return 0;
        };
        if self.last != 0 && self.list.values[self.last as usize - 1].as_str() == text {
            return self.last;
        }
        self.last = self
            .list
            .code_of(text, || pool().name(text), &mut self.index);
        self.last
    }
}

impl ReaderCodes {
    /// The code of the label set that the texts `parts` stand for (each
    /// written with its length first, so no two lists of texts are one key);
    /// `build` makes the set the first time this reader sees them.
    pub fn labels_of_parts<E>(
        &mut self,
        parts: &[&str],
        build: impl FnOnce() -> Result<LabelMap, E>,
    ) -> Result<u32, E> {
        let key = &mut self.key;
        key.clear();
        for part in parts {
            key.push_str(itoa::Buffer::new().format(part.len()));
            key.push(':');
            key.push_str(part);
        }
        if self.last_labels != u32::MAX && *key == self.last_key {
            return Ok(self.last_labels);
        }
        let code = match self.labels_by_key.get(key.as_str()) {
            Some(&code) => code,
            None => {
                let set = pool().labels(build()?);
                let code = self.labels.len() as u32;
                self.labels.push(set);
                self.labels_by_key.insert(key.as_str().into(), code);
                code
            }
        };
        std::mem::swap(&mut self.key, &mut self.last_key);
        self.last_labels = code;
        Ok(code)
    }

    /// The label set of a code [`ReaderCodes::labels_of_parts`] gave.
    pub fn label_set(&self, code: u32) -> &Labels {
        &self.labels[code as usize]
    }
}

/// One row as a reader read it, its label set coded by the reader.
pub struct ReadRow<'a> {
    /// The format's name.
    pub source: &'static str,
    /// The rule.
    pub rule: &'a str,
    /// The fingerprint; the label set's own where the input gives none.
    pub fingerprint: Option<&'a str>,
    /// The label set's code in the reader's [`ReaderCodes`].
    pub labels: u32,
    /// The severity column, outside the labels.
    pub severity: Option<&'a str>,
    /// The team column, outside the labels.
    pub team: Option<&'a str>,
    /// The service column, outside the labels.
    pub service: Option<&'a str>,
    /// When it started.
    pub starts_at: Millis,
    /// When it ended, if it has.
    pub ends_at: Option<Millis>,
    /// Notifications sent.
    pub notifications: u32,
    /// When it was acknowledged.
    pub acked_at: Option<Millis>,
    /// Who acknowledged it.
    pub acked_by: Option<&'a str>,
    /// Whether the input tracks acknowledgements.
    pub ack_tracked: bool,
    /// The review's verdict.
    pub actionable: Option<bool>,
    /// Where the verdict came from.
    pub actionable_source: Option<&'static str>,
    /// The incident it belongs to.
    pub incident_id: Option<&'a str>,
}

/// Rows of one chunk, their texts and label sets coded in one reader's
/// space: appended to a table with [`EpisodeTable::append_coded`].
pub struct CodedPiece {
    reader: usize,
    table: EpisodeTable,
}

impl CodedPiece {
    /// An empty piece for the reader with these codes, with room for `rows`.
    pub fn new(codes: &ReaderCodes, rows: usize) -> CodedPiece {
        let mut table = EpisodeTable::default();
        table.reserve(rows);
        CodedPiece {
            reader: codes.id,
            table,
        }
    }

    /// Adds a row, its texts coded in `codes` (this piece's reader's).
    pub fn push(&mut self, codes: &mut ReaderCodes, row: &ReadRow) {
        debug_assert_eq!(codes.id, self.reader, "a piece takes one reader's codes");
        let fingerprint = match row.fingerprint {
            Some(text) => codes.texts[1].code(Some(text)),
            None => {
                let name = codes.label_set(row.labels).fingerprint();
                codes.texts[1].code(Some(name.as_str()))
            }
        };
        let t = &mut self.table;
        let [rule, fp, severity, team, service, acked_by, incident_id, paging_key] =
            t.text_columns_mut();
        let [rule_codes, _, severity_codes, team_codes, service_codes, acked_by_codes, incident_codes, _] =
            &mut codes.texts;
        rule.codes.push(rule_codes.code(Some(row.rule)));
        fp.codes.push(fingerprint);
        severity.codes.push(severity_codes.code(row.severity));
        team.codes.push(team_codes.code(row.team));
        service.codes.push(service_codes.code(row.service));
        acked_by.codes.push(acked_by_codes.code(row.acked_by));
        incident_id.codes.push(incident_codes.code(row.incident_id));
        // No paging key: a reader that gives one reads rows.
        paging_key.codes.push(0);
        t.labels.codes.push(row.labels);
        t.source.push(Some(row.source));
        t.starts_at.push(Some(row.starts_at));
        t.ends_at.push(row.ends_at);
        t.pending_since.push(None);
        t.notifications.push(row.notifications);
        t.acked_at.push(row.acked_at);
        t.ack_tracked.push(row.ack_tracked);
        t.silenced.push(false);
        t.actionable.push(row.actionable);
        t.actionable_source.push(row.actionable_source);
        t.auto_resolved.push(None);
    }

    /// The number of rows pushed.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// When a pushed row's episode ended, if known.
    pub fn ends_at(&self, row: usize) -> Option<Millis> {
        self.table.ends_at.get(row)
    }

    /// Sets when a pushed row's episode ended (a later sighting of it).
    pub fn set_ends_at(&mut self, row: usize, ends_at: Option<Millis>) {
        self.table.set_ends_at(row, ends_at);
    }

    /// Sets a pushed row's notification count (once they are all known).
    pub fn set_notifications(&mut self, row: usize, count: u32) {
        self.table.notifications[row] = count;
    }

    /// The piece as a table of its own (one reader's piece, not to be
    /// appended with others): its codes made the table's.
    pub fn into_table(self, codes: &ReaderCodes) -> EpisodeTable {
        let mut table = EpisodeTable::default();
        table.append_coded(
            self,
            std::slice::from_ref(codes),
            &mut ReaderRemaps::default(),
            &mut TextIndex::default(),
        );
        table
    }
}

/// Which code each of one reader's codes has in one table, as far as the
/// table has been given them: kept beside the table while pieces are
/// appended.
#[derive(Default)]
pub struct ReaderRemap {
    texts: [Vec<u32>; TEXT_COLUMNS],
    labels: Vec<u32>,
}

/// The [`ReaderRemap`] of every reader appending to one table.
#[derive(Default)]
pub struct ReaderRemaps(FnvHashMap<usize, ReaderRemap>);

impl EpisodeTable {
    /// Appends a piece's rows; `readers` hold the piece's reader's codes,
    /// `remaps` and `index` are this table's.
    pub fn append_coded(
        &mut self,
        piece: CodedPiece,
        readers: &[ReaderCodes],
        remaps: &mut ReaderRemaps,
        index: &mut TextIndex,
    ) {
        self.append_coded_all(vec![piece], readers, remaps, index);
    }

    /// [`EpisodeTable::append_coded`] of several pieces, in order: the
    /// texts and label sets the pieces' readers found are given this
    /// table's codes piece by piece, then the columns are appended side by
    /// side (each column's parts one after another).
    pub fn append_coded_all(
        &mut self,
        pieces: Vec<CodedPiece>,
        readers: &[ReaderCodes],
        remaps: &mut ReaderRemaps,
        index: &mut TextIndex,
    ) {
        // Codes for the texts each piece's reader found since its last
        // piece here. A remap only grows, so every piece can be recoded
        // with its reader's remap as it is at the end.
        for piece in &pieces {
            let codes = readers
                .iter()
                .find(|r| r.id == piece.reader)
                .expect("a piece is appended with its reader's codes");
            let remap = remaps.0.entry(codes.id).or_default();
            for (which, mine) in self.text_columns_mut().into_iter().enumerate() {
                let known = index.of(which, mine);
                let map = &mut remap.texts[which];
                for name in &codes.texts[which].list.values[map.len()..] {
                    map.push(mine.code_of(name, || name.clone(), known));
                }
            }
            let known = index.of_labels(&self.labels);
            for set in &codes.labels[remap.labels.len()..] {
                remap.labels.push(self.labels.code_of(set, known));
            }
        }
        let remaps = &*remaps;
        let mut texts: [Vec<(usize, TextColumn)>; TEXT_COLUMNS] = Default::default();
        let mut labels: Vec<(usize, LabelsColumn)> = Vec::with_capacity(pieces.len());
        let mut rests = Vec::with_capacity(pieces.len());
        for piece in pieces {
            let (theirs, their_labels, rest) = piece.table.into_coded_and_rest();
            for (parts, column) in texts.iter_mut().zip(theirs) {
                parts.push((piece.reader, column));
            }
            labels.push((piece.reader, their_labels));
            rests.push(rest);
        }
        let remap_of = |reader: usize| &remaps.0[&reader];
        let (mut text_columns, mine_labels) = self.coded_columns_mut();
        let mine_labels = &mut mine_labels.codes;
        rayon::scope(|scope| {
            for ((which, mine), parts) in text_columns.iter_mut().enumerate().zip(texts) {
                scope.spawn(move |_| {
                    for (reader, theirs) in parts {
                        mine.extend_remapped(&theirs.codes, &remap_of(reader).texts[which]);
                    }
                });
            }
            scope.spawn(move |_| {
                for (reader, theirs) in labels {
                    let map = &remap_of(reader).labels;
                    mine_labels.extend(theirs.codes.iter().map(|&c| map[c as usize]));
                }
            });
        });
        self.append_uncoded_all(rests);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interned::label_map as map;

    #[test]
    fn equal_sets_read_by_two_readers_are_one_set() {
        let mut a = ReaderCodes::default();
        let mut b = ReaderCodes::default();
        let x = a
            .labels_of_parts::<()>(&["k=v", "A"], || Ok(map(&[("k", "v"), ("alertname", "A")])))
            .unwrap();
        let y = b
            .labels_of_parts::<()>(&["alertname=A", "k=v"], || {
                Ok(map(&[("alertname", "A"), ("k", "v")]))
            })
            .unwrap();
        let (x, y) = (a.label_set(x), b.label_set(y));
        assert_eq!(x.address(), y.address());
        assert_eq!(x.json(), r#"{"alertname":"A","k":"v"}"#);
    }

    #[test]
    fn parts_that_join_to_the_same_text_are_different_keys() {
        let mut codes = ReaderCodes::default();
        let a = codes
            .labels_of_parts::<()>(&["ab", "c"], || Ok(map(&[("x", "1")])))
            .unwrap();
        let b = codes
            .labels_of_parts::<()>(&["a", "bc"], || Ok(map(&[("x", "2")])))
            .unwrap();
        let a_again = codes
            .labels_of_parts::<()>(&["ab", "c"], || panic!("built twice"))
            .unwrap();
        assert_ne!(codes.label_set(a), codes.label_set(b));
        assert_eq!(a, a_again);
    }

    #[test]
    fn texts_seen_before_are_not_built_again() {
        let mut codes = ReaderCodes::default();
        codes
            .labels_of_parts::<()>(&["same"], || Ok(map(&[("a", "1")])))
            .unwrap();
        let again = codes
            .labels_of_parts::<()>(&["same"], || panic!("built twice"))
            .unwrap();
        let set = codes.label_set(again);
        assert_eq!(set.get("a").map(String::as_str), Some("1"));
    }
}
