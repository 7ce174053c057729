//! `episodes.parquet`: the canonical episode table for notebooks and dashboards.

use crate::episodes::{self, EpisodeTable, LabelNames, TextDictionary, COLUMNS, NO_TEXT};
use crate::error::Result;
use crate::outdir::output_error;
use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::bitmap::MutableBitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::write::{
    array_to_columns, compress, to_parquet_schema, CompressedPage, Encoding, ParquetType,
    StatisticsOptions, Version, WriteOptions,
};
use rayon::prelude::*;
use std::ops::Range;
use std::path::Path;

/// The most rows polars' writer puts in one row group by default.
const ROW_GROUP_ROWS: usize = 512 * 512;

/// The buffer between polars' writer and the file.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// Writes the episode table as Parquet (zstd): every canonical column,
/// row groups made from the table and encoded a few at a time side by side
/// (the whole table is never a frame at once), then written in order. The
/// text columns are dictionary-encoded from the table's codes (see
/// `GroupColumns::dictionary`). The groups, their pages and the file's
/// bytes are the ones polars' writer makes of the whole frame with
/// `ParquetWriter::finish` (see the tests).
pub fn write(path: &Path, table: &EpisodeTable, names: &LabelNames) -> Result<()> {
    write_in_groups(path, table, names, ROW_GROUP_ROWS)
}

/// [`write`] with row groups of about `group_rows` rows, as polars' writer
/// cuts them with `with_row_group_size(Some(group_rows))`.
fn write_in_groups(
    path: &Path,
    table: &EpisodeTable,
    names: &LabelNames,
    group_rows: usize,
) -> Result<()> {
    // Buffered: polars' writer writes each page header's fields as they
    // are encoded, a byte or a few at a time (about 10,000 writes for a
    // million episodes unbuffered).
    let mut file = std::io::BufWriter::with_capacity(
        WRITE_BUFFER_BYTES,
        std::fs::File::create(path).map_err(|e| output_error(path, e))?,
    );
    let columns = GroupColumns::new(table, names);
    let schema = columns.frames.frame(&COLUMNS, 0..0)?.schema().clone();
    let encoder = GroupEncoder::new(&schema)?;
    let mut writer = ParquetWriter::new(&mut file)
        .batched(&schema)
        .map_err(|e| output_error(path, e))?;
    // As many groups in flight as there are threads: each group's arrays
    // and pages are held until it is written.
    let groups = row_groups(table.len(), group_rows);
    for batch in groups.chunks(rayon::current_num_threads().max(1)) {
        let encoded = batch
            .par_iter()
            .filter(|rows| !rows.is_empty())
            .map(|rows| encoder.encode(&columns, rows.clone()))
            .collect::<PolarsResult<Vec<_>>>()?;
        for (rows, pages) in encoded {
            writer
                .write_row_group(rows as u64, &pages)
                .map_err(|e| output_error(path, e))?;
        }
    }
    writer.finish().map_err(|e| output_error(path, e))?;
    drop(writer);
    // polars' writer flushes at its end; what the buffer might still hold
    // is written here, and an error in writing it is not lost.
    file.into_inner()
        .map_err(|e| output_error(path, e.error()))?;
    Ok(())
}

/// The canonical columns of some rows as Arrow arrays, the way polars'
/// writer would hand them to its encoder.
struct GroupColumns<'a> {
    frames: episodes::FrameMaker<'a>,
    /// Per canonical column: its dictionary, for the text columns.
    dictionaries: Vec<Option<TextDictionary<'a>>>,
}

/// A group's text column is dictionary-encoded from the table's codes when
/// it has at most this share of distinct values (or at most
/// [`SMALL_GROUP_ROWS`] rows). polars' writer dictionary-encodes a column
/// unless its estimated share of distinct values passes 0.75; a group far
/// below that is certain to be encoded so. Nearer, the column is handed to
/// polars to decide with its own estimate.
const CERTAINLY_DICTIONARY_SHARE: f64 = 0.5;

/// Groups this small are always dictionary-encoded by polars' writer.
const SMALL_GROUP_ROWS: usize = 128;

impl<'a> GroupColumns<'a> {
    fn new(table: &'a EpisodeTable, names: &'a LabelNames) -> GroupColumns<'a> {
        GroupColumns {
            frames: episodes::FrameMaker::new(table, names),
            dictionaries: COLUMNS
                .par_iter()
                .map(|name| TextDictionary::of(table, names, name))
                .collect(),
        }
    }

    /// The canonical column `at` (an index of [`COLUMNS`]) for `rows`.
    fn array(&self, at: usize, rows: Range<usize>) -> PolarsResult<Box<dyn Array>> {
        if let Some(dictionary) = &self.dictionaries[at] {
            if let Some(array) = Self::dictionary(dictionary, rows.clone())? {
                return Ok(array);
            }
        }
        let frame = self.frames.frame(&COLUMNS[at..=at], rows)?;
        let series = frame.columns()[0].as_materialized_series().rechunk();
        Ok(series.to_arrow(0, CompatLevel::newest()))
    }

    /// A text column's rows as the dictionary array polars' writer would
    /// make of them (its texts in the order first met in the group, a key
    /// per row, null where none), without hashing a row's text; `None`
    /// when the group has too many distinct texts to be sure polars would
    /// dictionary-encode it.
    fn dictionary(
        dictionary: &TextDictionary,
        rows: Range<usize>,
    ) -> PolarsResult<Option<Box<dyn Array>>> {
        let length = rows.len();
        let mut indices = Vec::with_capacity(length);
        dictionary.indices(rows, &mut indices);
        let texts = dictionary.texts();
        let mut key_of = vec![NO_TEXT; texts.len()];
        let mut met: Vec<u32> = Vec::new();
        let mut validity = MutableBitmap::with_capacity(length);
        let keys: Vec<u32> = indices
            .iter()
            .map(|&index| {
                validity.push(index != NO_TEXT);
                if index == NO_TEXT {
                    return 0;
                }
                let key = &mut key_of[index as usize];
                if *key == NO_TEXT {
                    *key = met.len() as u32;
                    met.push(index);
                }
                *key
            })
            .collect();
        let has_null = validity.unset_bits() > 0;
        let distinct = met.len() + usize::from(has_null);
        if length > SMALL_GROUP_ROWS && distinct as f64 > CERTAINLY_DICTIONARY_SHARE * length as f64
        {
            return Ok(None);
        }
        let values = Utf8ViewArray::from_slice_values(
            met.iter().map(|&i| texts[i as usize]).collect::<Vec<_>>(),
        );
        let keys = PrimitiveArray::new(
            ArrowDataType::UInt32,
            keys.into(),
            has_null.then(|| validity.into()),
        );
        let dtype = ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        );
        Ok(Some(
            DictionaryArray::try_new(dtype, keys, values.boxed())?.boxed(),
        ))
    }
}

/// Encodes and compresses one row group's columns into pages, as polars'
/// writer does when it writes a frame: the same schema, encodings and
/// options (`ParquetWriter::new`'s: zstd at its default level, default
/// statistics, 1 MiB data pages).
struct GroupEncoder {
    /// Each column's Parquet type.
    types: Vec<ParquetType>,
    /// Each column's encodings, as polars chooses them from its type.
    encodings: Vec<Vec<Encoding>>,
    /// The page options.
    options: WriteOptions,
}

impl GroupEncoder {
    /// The encoder of frames with `schema`.
    fn new(schema: &Schema) -> PolarsResult<GroupEncoder> {
        let arrow = schema.to_arrow(CompatLevel::newest());
        Ok(GroupEncoder {
            types: to_parquet_schema(&arrow)?.fields().to_vec(),
            encodings: get_encodings(&arrow).iter().cloned().collect(),
            options: WriteOptions {
                statistics: StatisticsOptions::default(),
                compression: ParquetCompression::default().into(),
                version: Version::V1,
                data_page_size: None,
            },
        })
    }

    /// A group's row count and its columns' compressed pages, each
    /// column's pages in order; the columns are made and encoded side by
    /// side.
    fn encode(
        &self,
        columns: &GroupColumns,
        rows: Range<usize>,
    ) -> PolarsResult<(usize, Vec<Vec<CompressedPage>>)> {
        let pages = (0..COLUMNS.len())
            .into_par_iter()
            .zip(&self.types)
            .zip(&self.encodings)
            .map(|((at, kind), encodings)| {
                let array = columns.array(at, rows.clone())?;
                array_to_columns(array, kind.clone(), self.options, encodings)?
                    .into_iter()
                    .map(|leaf| {
                        leaf.map(|page| Ok(compress(page?, vec![], self.options.compression)?))
                            .collect::<PolarsResult<Vec<CompressedPage>>>()
                    })
                    .collect::<PolarsResult<Vec<_>>>()
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        Ok((rows.len(), pages.into_iter().flatten().collect()))
    }
}

/// The row groups polars' writer makes of a frame of `rows` single-chunk
/// rows: one group below twice `group_rows`, else `rows / group_rows`
/// groups of equal length, the last taking the remainder.
fn row_groups(rows: usize, group_rows: usize) -> Vec<Range<usize>> {
    let groups = rows / group_rows;
    if groups <= 1 {
        return std::iter::once(0..rows).collect();
    }
    let length = rows / groups;
    let mut ranges: Vec<Range<usize>> = (0..groups - 1)
        .map(|g| g * length..(g + 1) * length)
        .collect();
    ranges.push((groups - 1) * length..rows);
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::Episode;
    use crate::error::Error;

    /// A table whose columns change along it: constant in some row groups
    /// and not in others, null in some, labels from several sets.
    fn table(rows: usize) -> EpisodeTable {
        let sets: Vec<crate::interned::Labels> = (0..26)
            .map(|i| {
                let pairs = [
                    ("alertname", format!("Rule{}", i / 7)),
                    ("severity", ["page", "ticket"][i % 2].to_string()),
                    ("instance", format!("host-{}", i % 13)),
                ];
                let map = pairs.into_iter().map(|(k, v)| (k.to_string(), v));
                crate::interned::Labels::from(map.collect::<crate::interned::LabelMap>())
            })
            .collect();
        let episodes = (0..rows)
            .map(|i| Episode {
                source: if i < rows / 2 {
                    "episodes-csv"
                } else {
                    "alertmanager-webhook"
                },
                rule: format!("Rule{}", i / 700).into(),
                fingerprint: format!("fingerprint-{:016x}", i % 97).into(),
                labels: sets[i % 26].clone(),
                starts_at: Some(1_700_000_000_000 + i as i64 * 60_000),
                ends_at: (i % 5 != 0).then_some(1_700_000_000_000 + i as i64 * 60_000 + 300_000),
                acked_by: (i > 1_500 && i % 3 == 0).then(|| format!("person-{}", i % 4)),
                actionable: (i % 7 == 0).then_some(i % 2 == 0),
                actionable_source: (i % 7 == 0).then_some("review"),
                // Nearly a distinct text per row: plainly encoded.
                incident_id: (i % 10 != 0).then(|| format!("incident-{i}")),
                // 0.6 distinct per row in a group of 1,000: polars decides.
                team: (i % 3 != 0).then(|| format!("team-{}", i % 900)),
                ..Episode::default()
            })
            .collect();
        EpisodeTable::from_rows(episodes)
    }

    /// The file written a row group at a time is, byte for byte, the one
    /// polars writes for the whole frame with the same group size.
    #[test]
    fn written_in_groups_is_what_polars_writes_for_the_whole_frame() {
        let dir = tempfile::tempdir().unwrap();
        let names = LabelNames::default();
        for (rows, group_rows) in [
            (0, 1_000),
            (1, 1_000),
            (999, 1_000),
            (2_000, 1_000),
            (5_500, 1_000),
            (700, 100),
        ] {
            let table = table(rows);
            let ours = dir.path().join(format!("ours-{rows}.parquet"));
            write_in_groups(&ours, &table, &names, group_rows).unwrap();
            let theirs = dir.path().join(format!("theirs-{rows}.parquet"));
            let mut frame = episodes::to_frame(&table, &names).unwrap();
            ParquetWriter::new(std::fs::File::create(&theirs).unwrap())
                .with_row_group_size(Some(group_rows))
                .finish(&mut frame)
                .unwrap();
            let (ours, theirs) = (std::fs::read(ours).unwrap(), std::fs::read(theirs).unwrap());
            assert!(ours == theirs, "{rows} rows: the files differ");
        }
    }

    /// A file that cannot take the bytes is an error naming it, also when
    /// they all fit in the buffer and are only written at the end.
    #[test]
    fn a_failed_write_is_an_error_naming_the_file() {
        let full = std::path::Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let names = LabelNames::default();
        for rows in [10, 5_500] {
            let error = write_in_groups(full, &table(rows), &names, 1_000)
                .expect_err("writing to /dev/full succeeded");
            assert!(
                matches!(&error, Error::Output { path, .. } if path == full),
                "{rows} rows: {error}"
            );
        }
    }

    /// Low-cardinality text columns take the dictionary made from the
    /// table's codes; a column of nearly a text per row is left to polars.
    #[test]
    fn text_columns_are_dictionaries_unless_nearly_distinct() {
        let table = table(5_500);
        let names = LabelNames::default();
        let columns = GroupColumns::new(&table, &names);
        let made = |name: &str| {
            let at = COLUMNS.iter().position(|c| *c == name).unwrap();
            let dictionary = columns.dictionaries[at].as_ref().unwrap();
            GroupColumns::dictionary(dictionary, 1_000..2_000).unwrap()
        };
        for name in [
            "source",
            "rule",
            "fingerprint",
            "labels",
            "severity",
            "acked_by",
        ] {
            let array = made(name).unwrap_or_else(|| panic!("{name}: no dictionary"));
            assert_eq!(array.len(), 1_000, "{name}");
        }
        assert!(made("incident_id").is_none());
        assert!(made("team").is_none());
        assert!(
            columns.dictionaries[COLUMNS.iter().position(|c| *c == "starts_at").unwrap()].is_none()
        );
    }

    /// The groups cover every row once, in order.
    #[test]
    fn row_groups_cover_every_row_once() {
        let whole = |rows: usize| std::iter::once(0..rows).collect::<Vec<_>>();
        assert_eq!(row_groups(0, ROW_GROUP_ROWS), whole(0));
        assert_eq!(row_groups(10, ROW_GROUP_ROWS), whole(10));
        assert_eq!(
            row_groups(1_000_000, ROW_GROUP_ROWS),
            vec![0..333_333, 333_333..666_666, 666_666..1_000_000]
        );
        for rows in [ROW_GROUP_ROWS * 2, 10_000_000, 3_141_593] {
            let groups = row_groups(rows, ROW_GROUP_ROWS);
            assert_eq!(groups.first().unwrap().start, 0);
            assert_eq!(groups.last().unwrap().end, rows);
            assert!(groups.windows(2).all(|w| w[0].end == w[1].start));
            assert_eq!(groups.len(), rows / ROW_GROUP_ROWS);
        }
    }
}
