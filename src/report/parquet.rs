//! `episodes.parquet`: the canonical episode table for notebooks and dashboards.

use crate::episodes::{self, EpisodeTable, LabelNames, COLUMNS};
use crate::error::{Error, Result};
use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_parquet::write::{
    array_to_columns, compress, to_parquet_schema, CompressedPage, Encoding, ParquetType,
    StatisticsOptions, Version, WriteOptions,
};
use rayon::prelude::*;
use std::ops::Range;
use std::path::Path;

/// The most rows polars' writer puts in one row group by default.
const ROW_GROUP_ROWS: usize = 512 * 512;

/// Writes the episode table as Parquet (zstd): every canonical column,
/// row groups made from the table and encoded a few at a time side by side
/// (the whole table is never a frame at once; each text column's distinct
/// texts are stored once for all groups), then written in order. The
/// groups, their pages and the file's bytes are the ones polars' writer
/// makes of the whole frame with `ParquetWriter::finish` (see the test).
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
    let file = std::fs::File::create(path).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let frames = episodes::FrameMaker::new(table, names);
    let schema = frames.frame(&COLUMNS, 0..0)?.schema().clone();
    let encoder = GroupEncoder::new(&schema)?;
    let mut writer = ParquetWriter::new(file).batched(&schema)?;
    // As many groups in flight as there are threads: each group's frame
    // and pages are held until it is written.
    let groups = row_groups(table.len(), group_rows);
    for batch in groups.chunks(rayon::current_num_threads().max(1)) {
        let encoded = batch
            .par_iter()
            .filter(|rows| !rows.is_empty())
            .map(|rows| encoder.encode(&frames.frame(&COLUMNS, rows.clone())?))
            .collect::<PolarsResult<Vec<_>>>()?;
        for (rows, pages) in encoded {
            writer.write_row_group(rows as u64, &pages)?;
        }
    }
    writer.finish()?;
    Ok(())
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
    /// column's pages in order; the columns are encoded side by side.
    fn encode(&self, frame: &DataFrame) -> PolarsResult<(usize, Vec<Vec<CompressedPage>>)> {
        let mut batches = frame.iter_chunks(CompatLevel::newest(), false);
        let batch = batches
            .next()
            .ok_or_else(|| polars_err!(NoData: "an empty row group"))?;
        polars_ensure!(batches.next().is_none(), ComputeError: "a row group in several chunks");
        let pages = batch
            .columns()
            .par_iter()
            .zip(&self.types)
            .zip(&self.encodings)
            .map(|((array, kind), encodings)| {
                array_to_columns(array, kind.clone(), self.options, encodings)?
                    .into_iter()
                    .map(|leaf| {
                        leaf.map(|page| Ok(compress(page?, vec![], self.options.compression)?))
                            .collect::<PolarsResult<Vec<CompressedPage>>>()
                    })
                    .collect::<PolarsResult<Vec<_>>>()
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        Ok((batch.len(), pages.into_iter().flatten().collect()))
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
        for rows in [0, 1, 999, 2_000, 5_500] {
            let table = table(rows);
            let ours = dir.path().join(format!("ours-{rows}.parquet"));
            write_in_groups(&ours, &table, &names, 1_000).unwrap();
            let theirs = dir.path().join(format!("theirs-{rows}.parquet"));
            let mut frame = episodes::to_frame(&table, &names).unwrap();
            ParquetWriter::new(std::fs::File::create(&theirs).unwrap())
                .with_row_group_size(Some(1_000))
                .finish(&mut frame)
                .unwrap();
            let (ours, theirs) = (std::fs::read(ours).unwrap(), std::fs::read(theirs).unwrap());
            assert!(ours == theirs, "{rows} rows: the files differ");
        }
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
