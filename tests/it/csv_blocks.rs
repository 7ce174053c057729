//! An episodes CSV read a block at a time (its text never held whole) gives
//! exactly what the same file read whole gives: the same rows and the same
//! problems on the same lines, wherever the blocks are cut, also through
//! quoted fields that hold line ends, blank lines and CRLF line ends.

use alertnoise::sources::episodes_csv::EpisodesCsv;
use alertnoise::sources::text_blocks::{BlockReader, TextBlocks};
use alertnoise::sources::{read_all, InputFile, ReadContext, Source};
use proptest::prelude::*;
use std::io::Write;
use std::path::Path;

/// One line kind of the file (`kind` picks: 0-5 a good row, 6 a bad start
/// time, 7 a blank line, 8 a row without a rule, 9 a row whose quoted
/// `acked_by` holds a line end and a doubled quote).
fn row(kind: u8, n: u32, crlf: bool) -> String {
    let start = format!("2026-10-{:02}T{:02}:{:02}:00Z", 1 + n % 28, n % 24, n % 60);
    let end = if n.is_multiple_of(3) {
        String::new()
    } else {
        format!("2026-10-{:02}T{:02}:{:02}:30Z", 1 + n % 28, n % 24, n % 60)
    };
    let line = match kind {
        6 => format!("R{},\"instance=h{}\",soon,{end},1,", n % 4, n % 5),
        7 => "  ".to_string(),
        8 => format!(",instance=h{},{start},{end},1,", n % 5),
        9 => format!(
            "R{},\"instance=h{};severity=page\",{start},{end},2,\"ann\n\"\"on call\"\"\"",
            n % 4,
            n % 5
        ),
        _ => format!(
            "R{},instance=h{},{start},{end},{},",
            n % 4,
            n % 5,
            1 + n % 3
        ),
    };
    line + if crlf { "\r\n" } else { "\n" }
}

fn csv_file() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((0u8..10, 0u32..500), 1..60),
        proptest::bool::ANY,
    )
        .prop_map(|(rows, crlf)| {
            let mut text = "rule,labels,starts_at,ends_at,notifications,acked_by\n".to_string();
            for (kind, n) in rows {
                text.push_str(&row(kind, n, crlf));
            }
            text
        })
}

fn blocks_of(path: &Path, size: usize) -> TextBlocks {
    let mut reader = BlockReader::open(path).unwrap();
    let first = reader.next_block(size).unwrap().unwrap_or_default();
    TextBlocks::new(first, reader, size)
}

fn write(dir: &Path, text: &str, gzip: bool) -> std::path::PathBuf {
    let path = dir.join("episodes.csv");
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
    } else {
        std::fs::write(&path, text).unwrap();
    }
    path
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_csv_read_in_blocks_equals_it_read_whole(
        text in csv_file(),
        size in 1usize..300,
        gzip in proptest::bool::ANY,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &text, gzip);
        let context = ReadContext::default();
        let file = InputFile { name: path.display().to_string(), bytes: text.clone().into_bytes() };
        let whole = EpisodesCsv.read(&file, &text, &context);
        let streamed = EpisodesCsv.read_blocks(&mut blocks_of(&path, size), &context).unwrap();
        prop_assert_eq!(streamed.rows(), whole.rows());
        let mut problems = streamed.problems.clone();
        problems.sort_by_key(|p| (p.line, p.column));
        let mut expected = whole.problems.clone();
        expected.sort_by_key(|p| (p.line, p.column));
        prop_assert_eq!(problems, expected);
    }
}

/// A file bigger than one block is read a block at a time by `read_all`
/// (what `report` runs), gzipped or not, with the rows and problems of the
/// same file read whole; a row that a quoted field spreads over a block's
/// cut is read once, on its line.
#[test]
fn a_large_csv_is_read_in_blocks_with_the_rows_and_lines_of_the_whole() {
    let mut text = "rule,labels,starts_at,ends_at,notifications,acked_by\n".to_string();
    let mut n = 0u32;
    while text.len() < 9 << 20 {
        text.push_str(&row((n % 10) as u8, n, false));
        n += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let context = ReadContext::default();
    let file = InputFile {
        name: "episodes.csv".into(),
        bytes: Vec::new(),
    };
    let whole = EpisodesCsv.read(&file, &text, &context);
    let whole_rows = whole.rows();
    assert!(whole_rows.len() > 50_000);
    assert!(whole.problems.iter().any(|p| p.line > 100_000));
    for gzip in [false, true] {
        let path = write(dir.path(), &text, gzip);
        let read = read_all(std::slice::from_ref(&path), None, &context).unwrap();
        let name = path.display().to_string();
        let rows: Vec<_> = read
            .output
            .rows()
            .into_iter()
            .map(|mut e| {
                assert_eq!(e.origin.file.as_str(), name);
                e.origin.file = "episodes.csv".into();
                e
            })
            .collect();
        assert_eq!(rows.len(), whole_rows.len(), "gzip {gzip}");
        assert!(rows == whole_rows, "gzip {gzip}: rows differ");
        let lines = |problems: &[alertnoise::problem::Problem]| {
            let mut lines: Vec<(u64, String)> = problems
                .iter()
                .map(|p| (p.line, p.reason.clone()))
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(lines(&read.output.problems), lines(&whole.problems));
    }
}
