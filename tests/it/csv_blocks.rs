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

/// What a row of the table says, as a reference reader gives it too: line,
/// rule, fingerprint, labels (JSON), start, end, notifications, acked at,
/// acked by, verdict, incident.
type Said = (
    u64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    u32,
    Option<i64>,
    Option<String>,
    Option<bool>,
    Option<String>,
);

const FULL_HEADER: &str =
    "rule,fingerprint,labels,severity,team,starts_at,ends_at,notifications,acked_at,acked_by,actionable,incident_id";

/// A random record of [`FULL_HEADER`]'s columns (`pick` chooses every
/// part): empty fields, labels as `k=v` or quoted JSON, quoted fields with
/// commas and line ends, and now and then a value the format refuses.
fn full_row(pick: &[u32; 8], quoted: bool, line_end: &str) -> String {
    let n = pick[0];
    let start = format!(
        "2026-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        1 + n % 12,
        1 + n % 28,
        n % 24,
        n % 60,
        n % 59
    );
    let end = match pick[1] % 5 {
        0 => String::new(),
        1 => format!(
            "2026-{:02}-{:02}T{:02}:{:02}:{:02}.250+02:00",
            1 + n % 12,
            1 + n % 28,
            3 + n % 20,
            n % 60,
            n % 59
        ),
        2 if pick[7].is_multiple_of(13) => "2025-01-01T00:00:00Z".to_string(),
        _ => format!("2026-{:02}-{:02}T23:59:59Z", 1 + n % 12, 1 + n % 28),
    };
    let labels = match pick[2] % 4 {
        0 => String::new(),
        2 if !quoted => format!("instance=h{}", pick[3] % 40),
        1 => format!("instance=h{};job=node", pick[3] % 40),
        2 => format!(
            "\"{{\"\"instance\"\":\"\"h{}\"\",\"\"env\"\":\"\"prod, eu\"\"}}\"",
            pick[3] % 40
        ),
        _ => format!("severity=info;instance=h{}", pick[3] % 40),
    };
    let fingerprint = if pick[4].is_multiple_of(3) {
        format!("{:016x}", pick[3] % 40)
    } else {
        String::new()
    };
    let severity = ["", "critical", "warning", " page "][(pick[5] % 4) as usize];
    let team =
        ["", "payments", "\"core,\nplatform\""][(pick[6] % if quoted { 3 } else { 2 }) as usize];
    let notifications = match pick[7] % 17 {
        0 => "many".to_string(),
        1 | 2 => String::new(),
        k => k.to_string(),
    };
    let acked = if pick[1].is_multiple_of(2) {
        start.replace(":00Z", ":30Z")
    } else {
        String::new()
    };
    let acked_by = ["", "ann", "\"bo \"\"b\"\"\""][(pick[5] % if quoted { 3 } else { 2 }) as usize];
    let verdict = ["", "yes", "no", "maybe"][(pick[6] % 4) as usize];
    let incident = if pick[4].is_multiple_of(5) {
        format!("INC-{}", pick[4] % 7)
    } else {
        String::new()
    };
    let rule = if pick[7].is_multiple_of(23) {
        String::new()
    } else {
        format!("Rule{:02}", pick[0] % 12)
    };
    let start = if pick[7].is_multiple_of(29) {
        "soon".to_string()
    } else {
        start
    };
    format!(
        "{rule},{fingerprint},{labels},{severity},{team},{start},{end},{notifications},{acked},{acked_by},{verdict},{incident}{line_end}"
    )
}

/// Reads an episodes CSV the simple way: one `csv` reader, every record
/// into a map of its fields, the format's rules applied one by one. Gives
/// each row read and the line of each row refused.
fn reference_read(text: &str) -> (Vec<Said>, Vec<u64>) {
    use alertnoise::sources::episodes_csv::{parse_labels, parse_verdict};
    use alertnoise::timefmt::{parse_stamp, Stamp};
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    // Line ends counted so far, up to byte `counted`.
    let (mut counted, mut line_ends) = (0, 0);
    for record in reader.records() {
        let record = record.unwrap();
        // The line the record's text starts on (past the line ends before it).
        let mut at = record.position().unwrap().byte() as usize;
        while matches!(text.as_bytes().get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        line_ends += text.as_bytes()[counted..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted = at;
        let line = 1 + line_ends;
        let field = |name: &str| -> Option<String> {
            let i = header.iter().position(|h| h == name)?;
            record.get(i).filter(|v| !v.is_empty()).map(str::to_string)
        };
        let time = |name: &str| -> Result<Option<i64>, ()> {
            match field(name).map(|t| parse_stamp(&t)) {
                None => Ok(None),
                Some(Ok(Stamp::At(t))) => Ok(Some(t)),
                Some(Ok(Stamp::Unset)) => Ok(None),
                Some(Err(_)) => Err(()),
            }
        };
        let said = (|| -> Result<Said, ()> {
            let rule = field("rule").ok_or(())?;
            let start = time("starts_at")?.ok_or(())?;
            let end = time("ends_at")?;
            if end.is_some_and(|e| e < start) {
                return Err(());
            }
            let notifications = match field("notifications") {
                None => 1,
                Some(n) => n.parse::<u32>().map_err(|_| ())?,
            };
            let acked = time("acked_at")?;
            if acked.is_some_and(|a| a < start) {
                return Err(());
            }
            let verdict = match field("actionable") {
                None => None,
                Some(v) => parse_verdict(&v).map_err(|_| ())?,
            };
            let mut labels = match field("labels") {
                None => Default::default(),
                Some(text) => parse_labels(&text).map_err(|_| ())?,
            };
            labels.entry("alertname".into()).or_insert(rule.clone());
            for name in ["severity", "team", "service"] {
                if let Some(v) = field(name) {
                    labels.entry(name.into()).or_insert(v);
                }
            }
            let fingerprint = field("fingerprint")
                .unwrap_or_else(|| alertnoise::fingerprint::fingerprint(&labels));
            Ok((
                line,
                rule,
                fingerprint,
                alertnoise::fingerprint::labels_json(&labels),
                start,
                end,
                notifications,
                acked,
                field("acked_by"),
                verdict,
                field("incident_id"),
            ))
        })();
        match said {
            Ok(said) => rows.push(said),
            Err(()) => refused.push(line),
        }
    }
    (rows, refused)
}

/// What the format's reader gave, as [`Said`] rows and refused lines.
fn what_was_read(output: &alertnoise::sources::SourceOutput) -> (Vec<Said>, Vec<u64>) {
    let rows = output
        .rows()
        .into_iter()
        .map(|e| {
            (
                e.origin.line,
                e.rule.to_string(),
                e.fingerprint.to_string(),
                e.labels.json().to_string(),
                e.starts_at.unwrap(),
                e.ends_at,
                e.notification_count(),
                e.acked_at,
                e.acked_by.clone(),
                e.actionable,
                e.incident_id.clone(),
            )
        })
        .collect();
    let mut refused: Vec<u64> = output.problems.iter().map(|p| p.line).collect();
    refused.sort();
    (rows, refused)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]
    /// Files of a few MiB (read in parallel chunks, in blocks, some chunks
    /// plain lines and some with quoted fields, gzipped or not) give the rows
    /// and refused lines a simple reference reader gives.
    #[test]
    fn the_reader_gives_what_a_simple_reader_gives(
        seed in proptest::num::u64::ANY,
        crlf in proptest::bool::ANY,
        gzip in proptest::bool::ANY,
    ) {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let line_end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("{FULL_HEADER}{line_end}");
        while text.len() < 3 << 20 {
            // Long runs of unquoted rows (plain chunks) between quoted ones.
            let quoted = rng.random_range(0..4000) == 0;
            let pick: [u32; 8] = std::array::from_fn(|_| rng.random());
            text.push_str(&full_row(&pick, quoted, line_end));
            if rng.random_range(0..500) == 0 {
                text.push_str(line_end);
            }
        }
        let expected = reference_read(&text);
        prop_assert!(expected.0.len() > 10_000 && !expected.1.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &text, gzip);
        let file = InputFile { name: path.display().to_string(), bytes: Vec::new() };
        let whole = EpisodesCsv.read(&file, &text, &ReadContext::default());
        prop_assert!(what_was_read(&whole) == expected, "read whole");
        let blocks = EpisodesCsv
            .read_blocks(&mut blocks_of(&path, 3 << 19), &ReadContext::default())
            .unwrap();
        prop_assert!(what_was_read(&blocks) == expected, "read in blocks");
    }
}
