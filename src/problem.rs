//! Data-quality problems: what a source could not read, where, and why.
//!
//! Sources never fail on bad records; they skip the record and return a
//! [`Problem`]. The run decides afterwards whether problems are fatal
//! (`--strict`) or only counted and reported.

use serde::Serialize;
use std::fmt;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The record was read, but something about it is doubtful (it is kept).
    Warning,
    /// The record could not be read and was left out of every number.
    Skipped,
}

/// One thing in one input that could not be read as it should.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// The input file (`-` for standard input).
    pub file: String,
    /// 1-based line of the record, 0 when the problem concerns the whole file.
    pub line: u64,
    /// 1-based column where known, else 0.
    pub column: u64,
    /// What is wrong, in words a user can act on.
    pub reason: String,
    /// Whether the record was skipped or only warned about.
    pub severity: Severity,
}

impl Problem {
    /// A record that was skipped.
    pub fn skipped(file: &str, line: u64, column: u64, reason: impl Into<String>) -> Self {
        Problem {
            file: file.to_string(),
            line,
            column,
            reason: reason.into(),
            severity: Severity::Skipped,
        }
    }

    /// A record that was kept but is doubtful.
    pub fn warning(file: &str, line: u64, column: u64, reason: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::skipped(file, line, column, reason)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {}", self.reason)
    }
}

/// Maps byte offsets of a text to 1-based line and column numbers.
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    /// Lines before the text (a block read from the middle of a file).
    lines_before: u64,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &[u8]) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 64 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex {
            starts,
            len: text.len(),
            lines_before: 0,
        }
    }

    /// Indexes a block of a file whose first line is the file's line
    /// `first_line`: the lines it gives are the file's.
    pub fn from_line(text: &[u8], first_line: u64) -> Self {
        LineIndex {
            lines_before: first_line.saturating_sub(1),
            ..LineIndex::new(text)
        }
    }

    /// Byte offset where the 1-based `line` starts; the text's length past its last line.
    pub fn start(&self, line: u64) -> usize {
        let index = line.saturating_sub(self.lines_before).max(1) as usize - 1;
        self.starts.get(index).copied().unwrap_or(self.len)
    }

    /// Byte offset just past the newline that ends the line holding `offset`
    /// (the text's length on a last line without one).
    pub fn next_line_start(&self, offset: usize) -> usize {
        self.start(self.line(offset.min(self.len)) + 1)
    }

    /// 1-based (line, column) of a byte offset.
    pub fn position(&self, offset: usize) -> (u64, u64) {
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (
            line as u64 + 1 + self.lines_before,
            (offset - self.starts[line] + 1) as u64,
        )
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u64 {
        self.position(offset).0
    }
}
