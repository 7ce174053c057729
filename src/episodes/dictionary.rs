//! A text column of the episode table as a dictionary: its distinct texts
//! once, and per row the index of its text. What a dictionary-encoded
//! Parquet column stores, made from the table's codes without reading a
//! row's text.

use super::{LabelNames, COLUMNS};
use crate::episode_table::{EpisodeTable, LabelsColumn, StaticColumn, TextColumn};
use std::collections::HashMap;
use std::ops::Range;

/// A row's text index when the row has no text.
pub const NO_TEXT: u32 = u32::MAX;

/// One text column's distinct texts (each once, whatever codes give it)
/// and how to find each row's.
pub struct TextDictionary<'a> {
    texts: Vec<&'a str>,
    rows: RowTexts<'a>,
}

/// Where a column's rows find their texts: per code of the column's own
/// codes (index 0: no code) and per label set.
enum RowTexts<'a> {
    /// A coded column (rule, fingerprint, acked_by, incident_id).
    Coded { codes: &'a [u32], by_code: Vec<u32> },
    /// A column of a few static texts (source, actionable_source).
    Static { codes: &'a [u8], by_code: Vec<u32> },
    /// The label sets' JSON (labels).
    Sets { sets: &'a [u32], by_set: Vec<u32> },
    /// The source's own text, else the label set's value of a label
    /// (severity, team, service).
    Picked {
        codes: &'a [u32],
        sets: &'a [u32],
        by_code: Vec<u32>,
        by_set: Vec<u32>,
    },
}

/// Gives each distinct text an index, in the order first met.
#[derive(Default)]
struct Distinct<'a> {
    texts: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Distinct<'a> {
    fn index_of(&mut self, text: Option<&'a str>) -> u32 {
        let Some(text) = text else {
            return NO_TEXT;
        };
        *self.index.entry(text).or_insert_with(|| {
            self.texts.push(text);
            self.texts.len() as u32 - 1
        })
    }

    /// The index of a coded column's every code (code 0: none).
    fn of_codes(&mut self, values: impl Iterator<Item = &'a str>) -> Vec<u32> {
        std::iter::once(NO_TEXT)
            .chain(values.map(|text| self.index_of(Some(text))))
            .collect()
    }

    /// The index of every label set's value of `label`.
    fn of_sets(&mut self, sets: &'a LabelsColumn, label: &str) -> Vec<u32> {
        (sets.values().iter())
            .map(|set| self.index_of(set.get(label).map(String::as_str)))
            .collect()
    }
}

impl<'a> TextDictionary<'a> {
    /// The dictionary of the canonical text column `name` (one of
    /// [`COLUMNS`]), whose severity, team and service fall back to the
    /// labels `names` gives; `None` for a column that is not text.
    pub fn of(
        table: &'a EpisodeTable,
        names: &'a LabelNames,
        name: &str,
    ) -> Option<TextDictionary<'a>> {
        debug_assert!(COLUMNS.contains(&name), "no episode column {name}");
        let mut distinct = Distinct::default();
        let sets = table.label_sets();
        let coded = |distinct: &mut Distinct<'a>, column: &'a TextColumn| RowTexts::Coded {
            codes: column.codes(),
            by_code: distinct.of_codes(column.values().iter().map(|v| v.as_str())),
        };
        let fixed = |distinct: &mut Distinct<'a>, column: &'a StaticColumn| RowTexts::Static {
            codes: column.codes(),
            by_code: distinct.of_codes(column.values().iter().copied()),
        };
        let picked = |distinct: &mut Distinct<'a>, column: &'a TextColumn, label: &str| {
            let by_code = distinct.of_codes(column.values().iter().map(|v| v.as_str()));
            RowTexts::Picked {
                codes: column.codes(),
                sets: sets.codes(),
                by_code,
                by_set: distinct.of_sets(sets, label),
            }
        };
        let rows = match name {
            "source" => fixed(&mut distinct, table.source_column()),
            "actionable_source" => fixed(&mut distinct, table.actionable_source_column()),
            "rule" => coded(&mut distinct, table.rules()),
            "fingerprint" => coded(&mut distinct, table.fingerprints()),
            "acked_by" => coded(&mut distinct, table.acked_by_column()),
            "incident_id" => coded(&mut distinct, table.incident_ids()),
            "labels" => RowTexts::Sets {
                sets: sets.codes(),
                by_set: (sets.values().iter())
                    .map(|set| distinct.index_of(Some(set.json())))
                    .collect(),
            },
            "severity" => picked(&mut distinct, table.severities(), &names.severity),
            "team" => picked(&mut distinct, table.teams(), &names.team),
            "service" => picked(&mut distinct, table.services(), &names.service),
            _ => return None,
        };
        Some(TextDictionary {
            texts: distinct.texts,
            rows,
        })
    }

    /// The distinct texts; a row's index points into them.
    pub fn texts(&self) -> &[&'a str] {
        &self.texts
    }

    /// Each of `rows`' text index ([`NO_TEXT`]: none), appended to `out`.
    pub fn indices(&self, rows: Range<usize>, out: &mut Vec<u32>) {
        match &self.rows {
            RowTexts::Coded { codes, by_code } => {
                out.extend(codes[rows].iter().map(|&c| by_code[c as usize]))
            }
            RowTexts::Static { codes, by_code } => {
                out.extend(codes[rows].iter().map(|&c| by_code[c as usize]))
            }
            RowTexts::Sets { sets, by_set } => {
                out.extend(sets[rows].iter().map(|&s| by_set[s as usize]))
            }
            RowTexts::Picked {
                codes,
                sets,
                by_code,
                by_set,
            } => out.extend(super::picked_rows(
                &codes[rows.clone()],
                &sets[rows],
                by_code,
                by_set,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::{to_frame, Episode};

    /// Every text column's rows, read through the dictionary, are the
    /// canonical frame's, with the same nulls; texts are held once.
    #[test]
    fn rows_read_through_the_dictionary_are_the_frames() {
        let labels = |pairs: &[(&str, &str)]| {
            let map = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            crate::interned::Labels::from(map.collect::<crate::interned::LabelMap>())
        };
        let rows = vec![
            Episode {
                source: "episodes-csv",
                rule: "A".into(),
                fingerprint: "f1".into(),
                labels: labels(&[("alertname", "A"), ("severity", "page")]),
                severity: Some("page".into()),
                acked_by: Some("ann".into()),
                ..Episode::default()
            },
            Episode {
                source: "alertmanager-webhook",
                rule: "B".into(),
                fingerprint: "f2".into(),
                labels: labels(&[("alertname", "B"), ("severity", "page"), ("team", "db")]),
                actionable: Some(true),
                actionable_source: Some("review"),
                ..Episode::default()
            },
            Episode {
                source: "alertmanager-webhook",
                rule: "A".into(),
                fingerprint: "f3".into(),
                labels: labels(&[("alertname", "A")]),
                incident_id: Some("P1".into()),
                ..Episode::default()
            },
        ];
        let table = EpisodeTable::from_rows(rows);
        let names = LabelNames::default();
        let frame = to_frame(&table, &names).unwrap();
        let mut texts_seen = 0;
        for name in COLUMNS {
            let Some(dictionary) = TextDictionary::of(&table, &names, name) else {
                assert!(!frame.column(name).unwrap().dtype().is_string(), "{name}");
                continue;
            };
            let texts = dictionary.texts();
            let mut unique = texts.to_vec();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), texts.len(), "{name}: a text held twice");
            let mut indices = Vec::new();
            dictionary.indices(0..table.len(), &mut indices);
            let through: Vec<Option<&str>> = (indices.iter())
                .map(|&i| (i != NO_TEXT).then(|| texts[i as usize]))
                .collect();
            let column = frame.column(name).unwrap().as_materialized_series().clone();
            let expected: Vec<Option<&str>> = column.str().unwrap().iter().collect();
            assert_eq!(through, expected, "{name}");
            texts_seen += texts.len();
        }
        // severity "page" from the source and from a label set: one text.
        let severity = TextDictionary::of(&table, &names, "severity").unwrap();
        assert_eq!(severity.texts(), ["page"]);
        assert!(texts_seen > 10);
    }
}
