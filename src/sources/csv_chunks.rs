//! Reading one large CSV file on every core: its records are split into
//! chunks at line ends outside quoted fields, each chunk is read by its own
//! `csv` reader, and the results are put back in file order, with the same
//! line numbers and the same problems as one reader would give.

use crate::problem::Problem;
use rayon::prelude::*;
use std::ops::Range;

/// Files smaller than this are read by one reader: splitting would not pay.
const PARALLEL_BYTES: usize = 1 << 20;

/// Chunks per thread, so that a chunk of slow records does not hold up the rest.
const CHUNKS_PER_THREAD: usize = 4;

/// The reader settings CSV inputs are read with (headers, and the formats
/// read by one reader): rows of any length, fields trimmed. [`read_records`]
/// gives its records untrimmed, for its caller to trim the fields it reads.
pub fn reader_builder() -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder.flexible(true).trim(csv::Trim::All);
    builder
}

/// Byte ranges of `text[start..]` that each hold whole records, about
/// `pieces` of them, split only where [`record_ends`] allows.
pub fn record_chunks(text: &str, start: usize, pieces: usize) -> Vec<Range<usize>> {
    let len = text.len();
    if start >= len || pieces <= 1 {
        return std::iter::once(start.min(len)..len).collect();
    }
    let step = (len - start).div_ceil(pieces);
    let mut chunks = Vec::with_capacity(pieces);
    let mut chunk_start = start;
    record_ends(text, start, |end| {
        if end - chunk_start >= step && end < len {
            chunks.push(chunk_start..end);
            chunk_start = end;
        }
    });
    chunks.push(chunk_start..len);
    chunks
}

/// The end of the last whole record of `text[start..]` that a reader may
/// stop after and resume from (see [`record_ends`]), or `start` if none:
/// where a file read a block at a time is cut, the rest carried over to
/// the next block.
pub fn last_record_end(text: &str, start: usize) -> usize {
    let mut last = start;
    record_ends(text, start, |end| last = end);
    last
}

/// Calls `each` with every offset of `text[start..]` where a chunk may be
/// split: just after a `\n` outside quotes that ends a line with content.
/// Quotes are read as the `csv` crate reads them: a quote opens a quoted
/// field only at the start of a field; inside one, a doubled quote stands
/// for a quote and a single one closes it; anywhere else a quote is an
/// ordinary character.
fn record_ends(text: &str, start: usize, mut each: impl FnMut(usize)) {
    let bytes = text.as_bytes();
    let mut in_quotes = false;
    let mut at = start;
    while let Some(found) = memchr::memchr2(b'"', b'\n', &bytes[at.min(bytes.len())..]) {
        let i = at + found;
        at = i + 1;
        if bytes[i] == b'\n' {
            if !in_quotes && ends_content(bytes, i) {
                each(i + 1);
            }
        } else if in_quotes {
            if bytes.get(i + 1) == Some(&b'"') {
                at = i + 2;
            } else {
                in_quotes = false;
            }
        } else {
            let field_start = i == start || matches!(bytes[i - 1], b',' | b'\n' | b'\r');
            in_quotes = field_start;
        }
    }
}

/// Whether the line ending at the `\n` at `i` holds something. A reader
/// counts the blank lines it skips into the next record's line, so a chunk
/// may begin after a line with content, never after a blank one.
fn ends_content(bytes: &[u8], i: usize) -> bool {
    let end = if i > 0 && bytes[i - 1] == b'\r' {
        i - 1
    } else {
        i
    };
    end > 0 && !matches!(bytes[end - 1], b'\n' | b'\r')
}

/// What one chunk gave besides the rows in its slots (filled from the first).
struct ChunkRead<T> {
    /// Rows beyond the chunk's slots (none: a chunk has a slot per line).
    overflow: Vec<T>,
    problems: Vec<Problem>,
    /// Reading stopped at a broken row: later chunks are not read.
    stopped: bool,
}

/// Calls `each` on every record of `text` from byte `start` on (after the
/// header), with the record's fields as written (not trimmed: trim the
/// fields read, not every field of every record) and its 1-based line in
/// the file (`text` begins after `lines_before` lines of it); in parallel chunks
/// for large files. A row `each` refuses, or that cannot be read, becomes a
/// problem; reading stops at a broken row, except for bad UTF-8. Returns
/// the rows in file order. Each chunk has a state of its own (`S`, made
/// with `Default`), passed to `each` with every record: a cache of interned
/// values, say.
///
/// Every chunk writes its rows straight into the one table returned (a slot
/// per line, as a record takes at least one): no chunk's rows are copied
/// into it afterwards, and it is never held twice.
pub fn read_records<T: Send, S: Default>(
    text: &str,
    start: usize,
    lines_before: u64,
    file: &str,
    problems: &mut Vec<Problem>,
    each: impl Fn(&mut S, &csv::StringRecord, u64) -> Result<T, String> + Sync,
) -> Vec<T> {
    let pieces = if text.len() - start.min(text.len()) >= PARALLEL_BYTES {
        rayon::current_num_threads() * CHUNKS_PER_THREAD
    } else {
        1
    };
    let chunks = record_chunks(text, start, pieces);
    let lines = chunk_lines(text, &chunks, lines_before);
    let mut slots: Vec<Option<T>> = Vec::new();
    slots.resize_with(lines.iter().map(|l| l.slots).sum(), || None);
    let mut parts = Vec::with_capacity(chunks.len());
    let mut rest = slots.as_mut_slice();
    for l in &lines {
        let (part, after) = rest.split_at_mut(l.slots);
        parts.push(part);
        rest = after;
    }
    let reads: Vec<ChunkRead<T>> = chunks
        .into_par_iter()
        .zip(lines.par_iter())
        .zip(parts)
        .map(|((range, l), part)| read_chunk(&text[range], l.first, file, &each, part))
        .collect();
    // Chunks after one that stopped at a broken row do not count.
    let read = reads
        .iter()
        .position(|r| r.stopped)
        .map_or(reads.len(), |i| i + 1);
    let end: usize = lines.iter().take(read).map(|l| l.slots).sum();
    slots.truncate(end);
    if reads.iter().take(read).all(|r| r.overflow.is_empty()) {
        for r in reads.into_iter().take(read) {
            problems.extend(r.problems);
        }
        // In place (std reuses the allocation for `filter_map`), the empty
        // slots closed up.
        #[allow(clippy::filter_map_identity)]
        return slots.into_iter().filter_map(|slot| slot).collect();
    }
    // Not reached (a record takes at least a line), but kept correct.
    let mut rows = Vec::new();
    let mut slots = slots.into_iter();
    for (r, l) in reads.into_iter().zip(&lines).take(read) {
        rows.extend(slots.by_ref().take(l.slots).flatten());
        rows.extend(r.overflow);
        problems.extend(r.problems);
    }
    rows
}

/// Where a chunk starts and how many rows it may hold.
struct ChunkLines {
    /// The 1-based line the chunk starts on.
    first: u64,
    /// Its lines (line ends, plus one for a last line without one).
    slots: usize,
}

fn chunk_lines(text: &str, chunks: &[Range<usize>], lines_before: u64) -> Vec<ChunkLines> {
    let bytes = text.as_bytes();
    let mut line =
        1 + lines_before + memchr::memchr_iter(b'\n', &bytes[..chunks[0].start]).count() as u64;
    let mut lines = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let ends = memchr::memchr_iter(b'\n', &bytes[chunk.clone()]).count();
        lines.push(ChunkLines {
            first: line,
            slots: ends + 1,
        });
        line += ends as u64;
    }
    lines
}

fn read_chunk<T, S: Default>(
    chunk: &str,
    first_line: u64,
    file: &str,
    each: &(impl Fn(&mut S, &csv::StringRecord, u64) -> Result<T, String> + Sync),
    slots: &mut [Option<T>],
) -> ChunkRead<T> {
    let mut state = S::default();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(chunk.as_bytes());
    let mut filled = 0;
    let mut overflow = Vec::new();
    let mut problems = Vec::new();
    let stopped = each_record(
        &mut reader,
        chunk.as_bytes(),
        file,
        first_line,
        &mut problems,
        |record, line| {
            let row = each(&mut state, record, line)?;
            match slots.get_mut(filled) {
                Some(slot) => {
                    *slot = Some(row);
                    filled += 1;
                }
                None => overflow.push(row),
            }
            Ok(())
        },
    );
    ChunkRead {
        overflow,
        problems,
        stopped,
    }
}

/// Calls `each` with every record of a CSV reader over `bytes` and its
/// 1-based line in the file (the reader's lines counted from `first_line`);
/// a row `each` refuses, or that cannot be read, becomes a problem. Reading
/// stops at a broken row (a quote never closed), except for bad UTF-8;
/// returns whether it stopped there.
pub fn each_record(
    reader: &mut csv::Reader<&[u8]>,
    bytes: &[u8],
    file: &str,
    first_line: u64,
    problems: &mut Vec<Problem>,
    mut each: impl FnMut(&csv::StringRecord, u64) -> Result<(), String>,
) -> bool {
    let line_of = |position: Option<&csv::Position>| record_line(bytes, position, first_line);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return false,
            Ok(true) => {
                let line = line_of(record.position());
                if let Err(reason) = each(&record, line) {
                    problems.push(Problem::skipped(file, line, 0, reason));
                }
            }
            Err(e) => {
                let line = line_of(e.position());
                problems.push(Problem::skipped(
                    file,
                    line,
                    0,
                    format!("unreadable CSV row: {e}"),
                ));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    return true;
                }
            }
        }
    }
}

/// The 1-based line in the file of a record a CSV reader over `bytes` read
/// at `position` (0 when unknown); the reader's first line is the file's
/// `first_line`. The reader places a record where the line ends before it
/// begin (the `\n` of a CRLF, blank lines) and counts its line from there;
/// the record itself starts after them.
pub fn record_line(bytes: &[u8], position: Option<&csv::Position>, first_line: u64) -> u64 {
    position.map_or(0, |p| {
        let from = (p.byte() as usize).min(bytes.len());
        let skipped = bytes[from..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count() as u64;
        p.line() + skipped + first_line - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a text whole and in chunks of every size; both must agree.
    fn lines_in_chunks(text: &str, pieces: usize) -> Vec<(u64, Vec<String>)> {
        let chunks = record_chunks(text, 0, pieces);
        let lines = chunk_lines(text, &chunks, 0);
        let mut rows = Vec::new();
        for (range, l) in chunks.into_iter().zip(lines) {
            let mut slots = Vec::new();
            slots.resize_with(l.slots, || None);
            let read = read_chunk(
                &text[range],
                l.first,
                "f",
                &|_: &mut (), r: &csv::StringRecord, line| {
                    Ok::<_, String>((line, r.iter().map(str::to_string).collect::<Vec<_>>()))
                },
                &mut slots,
            );
            assert!(read.overflow.is_empty());
            // The rows fill the first slots, in order.
            let filled = slots.iter().take_while(|s| s.is_some()).count();
            assert!(slots[filled..].iter().all(Option::is_none));
            rows.extend(slots.into_iter().flatten());
        }
        rows
    }

    #[test]
    fn chunks_never_split_a_quoted_field_and_keep_line_numbers() {
        let text = "a,\"x\ny\",1\nb,\"he said \"\"hi\n\"\"\",2\nc,plain\"quote,3\nd,\"\",4\n\"e\nf\",5,\"\"\"\n\"\n\n\r\n\"\",9\n";
        let whole = lines_in_chunks(text, 1);
        assert_eq!(whole.len(), 6);
        assert_eq!(
            whole[2],
            (5, vec!["c".into(), "plain\"quote".into(), "3".into()])
        );
        for pieces in 2..=text.len() {
            assert_eq!(lines_in_chunks(text, pieces), whole, "{pieces} pieces");
        }
    }

    /// A CSV text from fields that hold commas, quotes and line ends: quoted
    /// as a writer would, or (when `raw`) written as they are, so that stray
    /// quotes stand in the middle of unquoted fields.
    fn csv_text(rows: &[Vec<(String, bool)>]) -> String {
        let mut text = String::new();
        for row in rows {
            let fields: Vec<String> = row
                .iter()
                .map(|(field, raw)| {
                    if *raw {
                        field.replace([',', '\n', '\r'], "")
                    } else {
                        format!("\"{}\"", field.replace('"', "\"\""))
                    }
                })
                .collect();
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        text
    }

    proptest::proptest! {
        #[test]
        fn any_split_reads_what_one_reader_reads(
            rows in proptest::collection::vec(
                proptest::collection::vec(("[a\",\n x]{0,6}", proptest::bool::ANY), 1..4),
                0..30,
            ),
            pieces in 2usize..12,
        ) {
            let text = csv_text(&rows);
            proptest::prop_assert_eq!(lines_in_chunks(&text, pieces), lines_in_chunks(&text, 1));
        }
    }

    /// Each record's line is the line its text starts on, after CRLF line
    /// ends and blank lines alike (the reader alone counts them into the
    /// line before).
    #[test]
    fn records_are_on_the_lines_they_start_on() {
        let lines = |text: &str| -> Vec<(String, u64)> {
            lines_in_chunks(text, 1)
                .into_iter()
                .map(|(line, fields)| (fields[0].clone(), line))
                .collect()
        };
        let expected = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
            pairs.iter().map(|(f, l)| (f.to_string(), *l)).collect()
        };
        assert_eq!(
            lines("h\r\na\r\nb\r\n"),
            expected(&[("h", 1), ("a", 2), ("b", 3)])
        );
        assert_eq!(
            lines("h\na\n\n\nb\n"),
            expected(&[("h", 1), ("a", 2), ("b", 5)])
        );
        assert_eq!(
            lines("h\r\n\r\na,\"x\r\ny\"\r\nb\r\n"),
            expected(&[("h", 1), ("a", 3), ("b", 5)])
        );
    }

    #[test]
    fn chunks_cover_the_text_once_in_order() {
        let text = "h\n".to_string() + &"r,1\n".repeat(1000);
        let chunks = record_chunks(&text, 2, 7);
        assert_eq!(chunks.len(), 7);
        assert_eq!(chunks[0].start, 2);
        assert_eq!(chunks.last().map(|c| c.end), Some(text.len()));
        assert!(chunks.windows(2).all(|w| w[0].end == w[1].start));
        assert!(chunks.iter().all(|c| text[..c.start].ends_with('\n')));
    }
}
