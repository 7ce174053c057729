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
    if has_no_quotes(text, start) {
        return plain_record_chunks(text, start, step);
    }
    walked_record_chunks(text, start, step)
}

/// [`record_chunks`] by walking every record end: a split at the first
/// one each `step` bytes on.
fn walked_record_chunks(text: &str, start: usize, step: usize) -> Vec<Range<usize>> {
    let len = text.len();
    let mut chunks = Vec::new();
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
    if has_no_quotes(text, start) {
        return plain_last_record_end(text, start);
    }
    let mut last = start;
    record_ends(text, start, |end| last = end);
    last
}

/// Whether `text[start..]` has no quote: then every line end may end a
/// record, and [`record_ends`]' walk over every line is not needed.
fn has_no_quotes(text: &str, start: usize) -> bool {
    memchr::memchr(b'"', &text.as_bytes()[start.min(text.len())..]).is_none()
}

/// [`record_chunks`] of a text without quotes: a split at the first line
/// end with content each `step` bytes on, found by searching from there,
/// not by walking every line before it.
fn plain_record_chunks(text: &str, start: usize, step: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    // The first line end that may close a chunk ending at or after `from`.
    let mut from = start + step - 1;
    while from < len {
        let Some(found) = memchr::memchr(b'\n', &bytes[from..]) else {
            break;
        };
        let i = from + found;
        if i + 1 >= len {
            break;
        }
        if ends_content(bytes, i) {
            chunks.push(chunk_start..i + 1);
            chunk_start = i + 1;
            from = chunk_start + step - 1;
        } else {
            from = i + 1;
        }
    }
    chunks.push(chunk_start..len);
    chunks
}

/// [`last_record_end`] of a text without quotes: after its last line end
/// with content, found from the end.
fn plain_last_record_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    while let Some(i) = memchr::memrchr(b'\n', &bytes[start.min(end)..end]) {
        let i = start + i;
        if ends_content(bytes, i) {
            return i + 1;
        }
        end = i;
    }
    start
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

/// The chunk states kept between the chunks of one file: a chunk takes one
/// (or a new one) and gives it back when done, so that caches a state holds
/// (interned texts, say) are filled once per thread, not once per chunk.
pub struct ChunkStates<S>(std::sync::Mutex<Vec<S>>);

impl<S> Default for ChunkStates<S> {
    fn default() -> Self {
        ChunkStates(std::sync::Mutex::new(Vec::new()))
    }
}

impl<S: Default> ChunkStates<S> {
    fn take(&self) -> S {
        let mut states = self.0.lock().unwrap_or_else(|e| e.into_inner());
        states.pop().unwrap_or_default()
    }

    fn put(&self, state: S) {
        let mut states = self.0.lock().unwrap_or_else(|e| e.into_inner());
        states.push(state);
    }

    /// Calls `f` with every state kept (none is in use between reads).
    pub fn with<R>(&self, f: impl FnOnce(&[S]) -> R) -> R {
        let states = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&states)
    }
}

/// One record's fields, as written (not trimmed).
pub enum Record<'a> {
    /// Read by the `csv` reader (its chunk has quotes or carriage returns).
    Csv(&'a csv::StringRecord),
    /// A line split at its commas (its chunk has neither quotes nor
    /// carriage returns, so that is what the `csv` reader would give).
    Plain(&'a [&'a str]),
}

impl Record<'_> {
    /// The field at `i`, if the record has one there.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self {
            Record::Csv(record) => record.get(i),
            Record::Plain(fields) => fields.get(i).copied(),
        }
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        match self {
            Record::Csv(record) => record.len(),
            Record::Plain(fields) => fields.len(),
        }
    }

    /// Whether it has no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What one chunk gave.
struct ChunkRead<B> {
    rows: B,
    problems: Vec<Problem>,
    /// Reading stopped at a broken row: later chunks are not read.
    stopped: bool,
}

/// What [`read_records`] gives: each chunk's rows, in file order, and the
/// problems of the rows not read.
pub struct Records<B> {
    /// Each chunk's rows.
    pub chunks: Vec<B>,
    /// Rows refused or unreadable.
    pub problems: Vec<Problem>,
}

/// Calls `each` on every record of `text` from byte `start` on (after the
/// header), with the record's fields as written (not trimmed: trim the
/// fields read, not every field of every record) and its 1-based line in
/// the file (`text` begins after `lines_before` lines of it); in parallel
/// chunks for large files. A row `each` refuses, or that cannot be read,
/// becomes a problem (`each` adds nothing to the chunk's rows then); reading
/// stops at a broken row, except for bad UTF-8.
///
/// Each chunk's rows go into a value `make` gives (with the chunk's line
/// count, room for its rows); they are returned in file order. Each chunk
/// also has a state (`S`, taken from `states`, or made with `Default`, and
/// given back after), passed to `make` and `each`: a cache of interned
/// values, say, kept from chunk to chunk.
pub fn read_records<B: Send, S: Default + Send>(
    text: &str,
    start: usize,
    lines_before: u64,
    file: &str,
    states: &ChunkStates<S>,
    make: impl Fn(&mut S, usize) -> B + Sync,
    each: impl Fn(&mut S, &mut B, &Record, u64) -> Result<(), String> + Sync,
) -> Records<B> {
    let pieces = if text.len() - start.min(text.len()) >= PARALLEL_BYTES {
        rayon::current_num_threads() * CHUNKS_PER_THREAD
    } else {
        1
    };
    let chunks = record_chunks(text, start, pieces);
    let lines = chunk_lines(text, &chunks, lines_before);
    let reads: Vec<ChunkRead<B>> = chunks
        .into_par_iter()
        .zip(lines.par_iter())
        .map(|(range, l)| {
            let mut state = states.take();
            let rows = make(&mut state, l.slots);
            let read = read_chunk(&text[range], l.first, file, &mut state, rows, &each);
            states.put(state);
            read
        })
        .collect();
    let mut records = Records {
        chunks: Vec::with_capacity(reads.len()),
        problems: Vec::new(),
    };
    for read in reads {
        records.problems.extend(read.problems);
        records.chunks.push(read.rows);
        // Chunks after one that stopped at a broken row do not count.
        if read.stopped {
            break;
        }
    }
    records
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

fn read_chunk<B, S>(
    chunk: &str,
    first_line: u64,
    file: &str,
    state: &mut S,
    mut rows: B,
    each: &(impl Fn(&mut S, &mut B, &Record, u64) -> Result<(), String> + Sync),
) -> ChunkRead<B> {
    let mut problems = Vec::new();
    let mut add = |record: &Record, line: u64| each(state, &mut rows, record, line);
    let stopped = if memchr::memchr2(b'"', b'\r', chunk.as_bytes()).is_none() {
        each_plain_record(chunk, file, first_line, &mut problems, &mut add);
        false
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(chunk.as_bytes());
        each_record(
            &mut reader,
            chunk.as_bytes(),
            file,
            first_line,
            &mut problems,
            |record, line| add(&Record::Csv(record), line),
        )
    };
    ChunkRead {
        rows,
        problems,
        stopped,
    }
}

/// Calls `each` with every record of a text with neither quotes nor
/// carriage returns (each line with content is a record, its fields
/// between commas: what the `csv` reader gives for such a text, without
/// its byte-by-byte state machine) and its 1-based line in the file (the
/// text's first line is `first_line`).
fn each_plain_record(
    text: &str,
    file: &str,
    first_line: u64,
    problems: &mut Vec<Problem>,
    mut each: impl FnMut(&Record, u64) -> Result<(), String>,
) {
    let mut fields: Vec<&str> = Vec::new();
    let mut line = first_line;
    let mut emit = |fields: &[&str], line: u64| {
        // A line with no content is no record.
        if fields != [""] {
            if let Err(reason) = each(&Record::Plain(fields), line) {
                problems.push(Problem::skipped(file, line, 0, reason));
            }
        }
    };
    // One pass over the text for commas and line ends alike.
    let mut field_start = 0;
    for i in memchr::memchr2_iter(b',', b'\n', text.as_bytes()) {
        fields.push(&text[field_start..i]);
        field_start = i + 1;
        if text.as_bytes()[i] == b'\n' {
            emit(&fields, line);
            fields.clear();
            line += 1;
        }
    }
    fields.push(&text[field_start..]);
    emit(&fields, line);
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

    /// A record's fields as texts.
    fn fields(record: &Record) -> Vec<String> {
        (0..record.len())
            .map(|i| record.get(i).unwrap_or_default().to_string())
            .collect()
    }

    /// Reads a text whole and in chunks of every size; both must agree.
    fn lines_in_chunks(text: &str, pieces: usize) -> Vec<(u64, Vec<String>)> {
        let chunks = record_chunks(text, 0, pieces);
        let lines = chunk_lines(text, &chunks, 0);
        let mut rows = Vec::new();
        for (range, l) in chunks.into_iter().zip(lines) {
            let read = read_chunk(
                &text[range],
                l.first,
                "f",
                &mut (),
                Vec::new(),
                &|_: &mut (), rows: &mut Vec<(u64, Vec<String>)>, r: &Record, line| {
                    rows.push((line, fields(r)));
                    Ok(())
                },
            );
            rows.extend(read.rows);
        }
        rows
    }

    /// The records the `csv` reader alone reads from a text, with their lines.
    fn csv_reader_lines(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        let stopped = each_record(
            &mut reader,
            text.as_bytes(),
            "f",
            1,
            &mut Vec::new(),
            |r, line| {
                rows.push((line, fields(&Record::Csv(r))));
                Ok(())
            },
        );
        assert!(!stopped);
        rows
    }

    /// [`record_chunks`] and [`last_record_end`] the long way, over every
    /// line end [`record_ends`] finds.
    fn walked_chunks(text: &str, start: usize, pieces: usize) -> (Vec<Range<usize>>, usize) {
        let len = text.len();
        let chunks = if start < len && pieces > 1 {
            walked_record_chunks(text, start, (len - start).div_ceil(pieces))
        } else {
            std::iter::once(start.min(len)..len).collect()
        };
        let mut last = start;
        record_ends(text, start, |end| last = end);
        (chunks, last)
    }

    proptest::proptest! {
        /// Texts without quotes are split where walking every line would
        /// split them, and cut after the same last record.
        #[test]
        fn texts_without_quotes_split_as_walking_every_line_does(
            text in "[a,\n\r]{0,80}",
            start in 0usize..10,
            pieces in 1usize..9,
        ) {
            let start = start.min(text.len());
            let fast = (record_chunks(&text, start, pieces), last_record_end(&text, start));
            proptest::prop_assert_eq!(fast, walked_chunks(&text, start, pieces));
        }

        /// Lines without quotes or carriage returns, split at commas, are
        /// the records the `csv` reader reads, on the same lines.
        #[test]
        fn plain_lines_are_what_the_csv_reader_reads(text in "[a, \n]{0,60}") {
            let mut plain = Vec::new();
            each_plain_record(&text, "f", 1, &mut Vec::new(), |r, line| {
                plain.push((line, fields(r)));
                Ok(())
            });
            proptest::prop_assert_eq!(plain, csv_reader_lines(&text));
        }
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
