//! Splits a JSON file into records: one value, an array of values, JSON lines,
//! or values concatenated (pretty-printed or not).
//!
//! Each record keeps its byte offset so problems name the right line. A broken
//! record is reported and skipped; reading resumes at the next line that opens
//! a value in its first column. JSON-lines files are split and parsed in
//! parallel chunks.

use crate::problem::{LineIndex, Problem};
use rayon::prelude::*;
use serde_json::value::RawValue;

/// A record: its byte offset in the file and its JSON text. Records of a
/// JSON-lines file are not validated here (the format's own parse does it in
/// the same pass); use [`syntax_problem`] for their syntax errors.
pub type Record<'a> = (usize, &'a str);

/// Chunk size for parallel JSON-lines parsing.
const CHUNK_BYTES: usize = 1 << 20;

/// Splits `text` into JSON records; problems are reported against `file`.
pub fn split<'a>(file: &str, text: &'a str, lines: &LineIndex) -> (Vec<Record<'a>>, Vec<Problem>) {
    let start = text.len() - text.trim_start().len();
    if text[start..].starts_with('[') {
        return split_array(file, text, start, lines);
    }
    if is_json_lines(text) {
        return (split_lines(text), Vec::new());
    }
    split_stream(file, text, start, lines)
}

/// A problem for a record that is not valid JSON. `start` is the record's
/// byte offset; serde's position (relative to the record) is made absolute.
pub fn syntax_problem(
    file: &str,
    lines: &LineIndex,
    start: usize,
    e: &serde_json::Error,
) -> Problem {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON (the record ends inside a value)",
        _ => "broken JSON",
    };
    let (start_line, start_column) = lines.position(start);
    let line = start_line + e.line().saturating_sub(1) as u64;
    let column = if e.line() <= 1 {
        start_column + e.column().saturating_sub(1) as u64
    } else {
        e.column() as u64
    };
    // serde's message ends with its own relative " at line L column C".
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(head, _)| head);
    Problem::skipped(
        file,
        start_line,
        0,
        format!("{what}: {message} (at {line}:{column}); record skipped"),
    )
}

fn split_array<'a>(
    file: &str,
    text: &'a str,
    start: usize,
    lines: &LineIndex,
) -> (Vec<Record<'a>>, Vec<Problem>) {
    match serde_json::from_str::<Vec<&RawValue>>(&text[start..]) {
        Ok(values) => {
            let records = values
                .into_iter()
                .map(|v| (offset_of(text, v.get()), v.get()))
                .collect();
            (records, Vec::new())
        }
        Err(e) => {
            let problem = Problem::skipped(
                file,
                e.line() as u64 + lines.line(start) - 1,
                e.column() as u64,
                format!("the JSON array cannot be read ({e}); the file was skipped"),
            );
            (Vec::new(), vec![problem])
        }
    }
}

/// The items of a paginated API's saved answers, with their byte offsets:
/// every record that is a page (an object with one of `list_keys` holding an
/// array) gives its array's elements; an object with `single_key` (an API's
/// answer for one item) gives that item; any other record is an item itself
/// (JSON lines of items, an array of items). Pages may be one per file, an
/// array of pages, JSON lines or concatenated.
pub fn page_items<'a>(
    file: &str,
    text: &'a str,
    lines: &LineIndex,
    list_keys: &[&str],
    single_key: Option<&str>,
) -> (Vec<Record<'a>>, Vec<Problem>) {
    let (records, mut problems) = split(file, text, lines);
    let mut items = Vec::new();
    for (offset, raw) in records {
        let object = match serde_json::from_str::<
            std::collections::BTreeMap<std::borrow::Cow<'a, str>, &'a RawValue>,
        >(raw)
        {
            Ok(object) => object,
            Err(e) if e.is_syntax() || e.is_eof() => {
                problems.push(syntax_problem(file, lines, offset, &e));
                continue;
            }
            Err(_) => {
                problems.push(Problem::skipped(
                    file,
                    lines.line(offset),
                    0,
                    "not a JSON object; record skipped",
                ));
                continue;
            }
        };
        if let Some(list) = list_keys.iter().find_map(|k| object.get(*k)) {
            match serde_json::from_str::<Vec<&'a RawValue>>(list.get()) {
                Ok(elements) => items.extend(
                    elements
                        .into_iter()
                        .map(|v| (offset_of(text, v.get()), v.get())),
                ),
                Err(_) => problems.push(Problem::skipped(
                    file,
                    lines.line(offset_of(text, list.get())),
                    0,
                    format!("`{}` is not a list; page skipped", list_keys.join("`/`")),
                )),
            }
        } else if let Some(one) = single_key.and_then(|k| object.get(k)) {
            items.push((offset_of(text, one.get()), one.get()));
        } else {
            items.push((offset, raw));
        }
    }
    (items, problems)
}

/// The items of a paginated answer (see [`page_items`]) as JSON objects,
/// each with its 1-based line; an item that is not an object is a problem.
pub fn page_objects(
    file: &str,
    text: &str,
    list_keys: &[&str],
    single_key: Option<&str>,
) -> (Vec<(u64, serde_json::Value)>, Vec<Problem>) {
    let lines = LineIndex::new(text.as_bytes());
    let (items, mut problems) = page_items(file, text, &lines, list_keys, single_key);
    let mut objects = Vec::with_capacity(items.len());
    for (offset, raw) in items {
        let line = lines.line(offset);
        match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(value) if value.is_object() => objects.push((line, value)),
            Ok(_) => problems.push(Problem::skipped(
                file,
                line,
                0,
                "not a JSON object; skipped",
            )),
            Err(e) => problems.push(syntax_problem(file, &lines, offset, &e)),
        }
    }
    (objects, problems)
}

/// A whole file as one JSON value, or a problem naming where it breaks;
/// `what` says what the file should have been.
pub fn whole_value(file: &str, text: &str, what: &str) -> Result<serde_json::Value, Problem> {
    serde_json::from_str(text).map_err(|e| {
        Problem::skipped(
            file,
            e.line() as u64,
            e.column() as u64,
            format!("not {what}: {e}"),
        )
    })
}

/// Byte offset of a slice that borrows from `text`.
pub fn offset_of(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// A text is JSON lines when its first non-empty line is a complete value.
pub fn is_json_lines(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|first| {
            first.starts_with('{') && serde_json::from_str::<&RawValue>(first).is_ok()
        })
}

/// The non-empty lines of a JSON-lines text, each one record, trimmed (not
/// validated: the format's own parse does it); split in parallel chunks.
pub fn split_lines(text: &str) -> Vec<Record<'_>> {
    // Chunk boundaries fall on line ends, so every chunk holds whole records.
    let mut chunks = Vec::new();
    let mut begin = 0;
    while begin < text.len() {
        let mut end = (begin + CHUNK_BYTES).min(text.len());
        while end < text.len() && text.as_bytes()[end - 1] != b'\n' {
            end += 1;
        }
        chunks.push((begin, end));
        begin = end;
    }
    let parts: Vec<Vec<Record>> = chunks
        .par_iter()
        .map(|&(begin, end)| {
            let mut records = Vec::new();
            let mut offset = begin;
            for line in text[begin..end].split_inclusive('\n') {
                let trimmed = line.trim();
                if !trimmed.is_empty() {
                    let at = offset + (line.len() - line.trim_start().len());
                    records.push((at, trimmed));
                }
                offset += line.len();
            }
            records
        })
        .collect();
    parts.into_iter().flatten().collect()
}

fn split_stream<'a>(
    file: &str,
    text: &'a str,
    mut at: usize,
    lines: &LineIndex,
) -> (Vec<Record<'a>>, Vec<Problem>) {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    while at < text.len() {
        let rest = &text[at..];
        let skip = rest.len() - rest.trim_start().len();
        at += skip;
        if at >= text.len() {
            break;
        }
        let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<&RawValue>();
        match stream.next() {
            Some(Ok(v)) => {
                records.push((offset_of(text, v.get()), v.get()));
                at += stream.byte_offset();
            }
            Some(Err(e)) => {
                problems.push(syntax_problem(file, lines, at, &e));
                at = next_record_start(text, at);
            }
            None => break,
        }
    }
    (records, problems)
}

/// The next line after `from` whose first character opens a JSON value.
fn next_record_start(text: &str, from: usize) -> usize {
    let mut pos = from;
    while let Some(nl) = text[pos..].find('\n') {
        pos += nl + 1;
        if text[pos..].starts_with(['{', '[']) {
            return pos;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Vec<String>, Vec<u64>) {
        let lines = LineIndex::new(text.as_bytes());
        let (records, problems) = split("f", text, &lines);
        (
            records.iter().map(|(_, v)| v.to_string()).collect(),
            problems.iter().map(|p| p.line).collect(),
        )
    }

    #[test]
    fn concatenated_pretty_values_with_a_broken_one_in_the_middle() {
        let text = "{\n  \"a\": 1\n}\n{\n  \"b\": \n}\n{\n  \"c\": 3\n}\n";
        let (records, problem_lines) = run(text);
        assert_eq!(records.len(), 2);
        assert!(records[1].contains("\"c\""));
        assert_eq!(problem_lines, vec![4]);
    }

    #[test]
    fn json_lines_are_split_by_line_and_validated_by_the_reader() {
        let text = "{\"a\":1}\n{\"b\":\n\n  {\"c\":3}\n";
        let (records, problem_lines) = run(text);
        assert_eq!(records, vec!["{\"a\":1}", "{\"b\":", "{\"c\":3}"]);
        assert!(problem_lines.is_empty());
    }

    #[test]
    fn the_error_position_is_given_in_file_coordinates() {
        // Concatenated values: the broken record starts on line 3, breaks on line 4.
        let text = "{\n\"a\":1}\n{\n  \"b\": tru}\n{\"c\":1}\n";
        let lines = LineIndex::new(text.as_bytes());
        let (records, problems) = split("f", text, &lines);
        assert_eq!(records.len(), 2);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 3);
        assert!(
            problems[0].reason.contains("(at 4:"),
            "{}",
            problems[0].reason
        );
        assert!(
            !problems[0].reason.contains("line 2 column"),
            "{}",
            problems[0].reason
        );
        // A JSON-lines record parsed by its reader: serde's line 1 is the record's line.
        let text = "{\"a\":1}\n  {\"b\": tru}\n";
        let lines = LineIndex::new(text.as_bytes());
        let e = serde_json::from_str::<serde_json::Value>("{\"b\": tru}").unwrap_err();
        let p = syntax_problem("f", &lines, 10, &e);
        assert_eq!(p.line, 2);
        assert!(p.reason.contains("(at 2:1"), "{}", p.reason);
    }

    #[test]
    fn array_of_values() {
        let (records, problems) = run("[{\"a\":1},\n {\"b\":2}]");
        assert_eq!(records.len(), 2);
        assert!(problems.is_empty());
    }
}
