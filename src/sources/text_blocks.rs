//! Reading an input file a block of whole lines at a time, decompressing
//! gzip as it goes, so that a format whose records are lines (an archive of
//! webhook notifications) is read in memory that does not grow with the
//! file. Files read whole go through the same reader ([`BlockReader::read_rest`]),
//! so both ways give the same bytes and the same problems.

use crate::problem::{LineIndex, Problem};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// How many bytes a block holds, about (it ends at the last line end within).
pub const BLOCK_BYTES: usize = 4 << 20;

/// An open input file, read from its start.
pub struct BlockReader {
    name: String,
    reader: Box<dyn Read + Send>,
    gzip: bool,
    /// Bytes read after the last line end of the previous block.
    carry: Vec<u8>,
    /// Bytes handed out so far (decompressed), for messages.
    given: u64,
    /// Bytes the file is expected to hold in all (plain files), to size the buffer.
    expected: Option<u64>,
    at_end: bool,
}

impl BlockReader {
    /// Opens `path` (`-` for standard input); gzip (by its magic bytes, not
    /// its name) is decompressed as it is read.
    pub fn open(path: &Path) -> Result<BlockReader, Problem> {
        let name = path.display().to_string();
        let cannot = |e: std::io::Error| Problem::skipped(&name, 0, 0, format!("cannot read: {e}"));
        let (mut buffered, expected): (Box<dyn BufRead + Send>, Option<u64>) =
            if path.as_os_str() == "-" {
                (Box::new(BufReader::new(std::io::stdin())), None)
            } else {
                let file = std::fs::File::open(path).map_err(cannot)?;
                let size = file.metadata().ok().map(|m| m.len());
                (Box::new(BufReader::with_capacity(1 << 16, file)), size)
            };
        let gzip = buffered
            .fill_buf()
            .map_err(cannot)?
            .starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
        } else {
            buffered
        };
        Ok(BlockReader {
            name,
            reader,
            gzip,
            carry: Vec::new(),
            given: 0,
            expected: expected.filter(|_| !gzip),
            at_end: false,
        })
    }

    /// The file's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many bytes the file holds, where known before reading it (a
    /// plain file; not gzip, not standard input).
    pub fn expected_bytes(&self) -> Option<u64> {
        self.expected
    }

    /// Whether everything has been handed out.
    pub fn at_end(&self) -> bool {
        self.at_end && self.carry.is_empty()
    }

    fn read_error(&self, e: std::io::Error, read: u64) -> Problem {
        let reason = if self.gzip {
            format!("broken gzip data ({e}); read {read} bytes before it")
        } else {
            format!("cannot read: {e}")
        };
        Problem::skipped(&self.name, 0, 0, reason)
    }

    /// The next block: about `size` bytes of whole lines (more when one line
    /// is longer; the file's last line need not end with a line end), or
    /// `None` at the end of the file.
    pub fn next_block(&mut self, size: usize) -> Result<Option<Vec<u8>>, Problem> {
        let mut block = std::mem::take(&mut self.carry);
        let mut searched = 0;
        let mut target = size.max(1);
        loop {
            if !self.at_end && block.len() < target {
                let want = (target - block.len()) as u64;
                let before = block.len();
                // Room for the whole block at once, not grown by doubling
                // (each growth a copy into fresh memory).
                block.reserve(want as usize);
                if let Err(e) = (&mut self.reader).take(want).read_to_end(&mut block) {
                    let read = self.given + block.len() as u64;
                    return Err(self.read_error(e, read));
                }
                self.at_end = ((block.len() - before) as u64) < want;
            }
            if self.at_end {
                break;
            }
            match memchr::memrchr(b'\n', &block[searched..]) {
                Some(last) => {
                    self.carry = block.split_off(searched + last + 1);
                    break;
                }
                // A line longer than a block: read on to its end.
                None => {
                    searched = block.len();
                    target = block.len() + size.max(1);
                }
            }
        }
        self.given += block.len() as u64;
        Ok((!block.is_empty()).then_some(block))
    }

    /// Everything not yet handed out, after `start` (what was handed out).
    pub fn read_rest(mut self, mut start: Vec<u8>) -> Result<Vec<u8>, Problem> {
        if let Some(expected) = self.expected {
            start.reserve_exact(
                (expected.saturating_sub(self.given) as usize).max(self.carry.len()),
            );
        }
        start.append(&mut self.carry);
        if let Err(e) = self.reader.read_to_end(&mut start) {
            return Err(self.read_error(e, start.len() as u64));
        }
        Ok(start)
    }
}

/// A block of whole lines of a file, as text.
pub struct TextBlock {
    /// The lines.
    pub text: String,
    /// The file's line number of the block's first line (1-based).
    pub first_line: u64,
}

impl TextBlock {
    /// Maps the block's byte offsets to the file's lines.
    pub fn lines(&self) -> LineIndex {
        LineIndex::from_line(self.text.as_bytes(), self.first_line)
    }
}

/// A file's blocks of whole lines, as text: the first one given (already
/// read, to detect the format), then the rest from the reader, which reads
/// ahead on a thread of its own: the next block is read (decompressed, its
/// text checked) while the caller works on this one. At most one block
/// waits, so memory stays a few blocks.
pub struct TextBlocks {
    first: Option<Vec<u8>>,
    name: String,
    expected: Option<u64>,
    ahead: std::sync::mpsc::Receiver<Ahead>,
    /// Why the reading thread could not be started, if it could not.
    no_thread: Option<String>,
    next_line: u64,
    done: bool,
}

/// What the reading thread gives for each block after the first: its text
/// (or the bytes that are not UTF-8) and its line ends, the end of the
/// file, or the problem that ended reading.
type Ahead = Result<Option<(Result<String, std::string::FromUtf8Error>, u64)>, Problem>;

impl TextBlocks {
    /// The blocks of a file whose first block is `first`; later blocks hold
    /// about `block_bytes` each.
    pub fn new(first: Vec<u8>, mut reader: BlockReader, block_bytes: usize) -> TextBlocks {
        let name = reader.name().to_string();
        let expected = reader.expected_bytes();
        let (send, ahead) = std::sync::mpsc::sync_channel::<Ahead>(1);
        let started = std::thread::Builder::new()
            .name("alertnoise-read-ahead".into())
            .spawn(move || loop {
                let block = reader.next_block(block_bytes).map(|bytes| {
                    bytes.map(|bytes| {
                        let line_ends = memchr::memchr_iter(b'\n', &bytes).count() as u64;
                        (String::from_utf8(bytes), line_ends)
                    })
                });
                let last = !matches!(block, Ok(Some((Ok(_), _))));
                // The blocks are not wanted any more when nobody receives.
                if send.send(block).is_err() || last {
                    break;
                }
            });
        TextBlocks {
            first: Some(first),
            name,
            expected,
            ahead,
            no_thread: started.err().map(|e| e.to_string()),
            next_line: 1,
            done: false,
        }
    }

    /// The file's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many bytes the file holds, where known (see [`BlockReader::expected_bytes`]).
    pub fn expected_bytes(&self) -> Option<u64> {
        self.expected
    }

    /// The text of a block that starts on line `first_line`, or the problem
    /// naming the line of its first byte that is not UTF-8.
    fn text(
        &self,
        text: Result<String, std::string::FromUtf8Error>,
        first_line: u64,
    ) -> Result<String, Problem> {
        text.map_err(|e| {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line = LineIndex::from_line(bytes, first_line).line(at);
            not_text(self.name(), line)
        })
    }
}

impl Iterator for TextBlocks {
    type Item = Result<TextBlock, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let first_line = self.next_line;
        let (text, line_ends) = match self.first.take() {
            Some(first) => {
                let bytes = strip_bom(first);
                let line_ends = memchr::memchr_iter(b'\n', &bytes).count() as u64;
                (String::from_utf8(bytes), line_ends)
            }
            None => {
                if let Some(reason) = self.no_thread.take() {
                    self.done = true;
                    let reason = format!("cannot start reading: {reason}");
                    return Some(Err(Problem::skipped(&self.name, 0, 0, reason)));
                }
                match self.ahead.recv() {
                    Ok(Ok(Some(block))) => block,
                    Ok(Err(problem)) => {
                        self.done = true;
                        return Some(Err(problem));
                    }
                    Ok(Ok(None)) | Err(_) => {
                        self.done = true;
                        return None;
                    }
                }
            }
        };
        match self.text(text, first_line) {
            Ok(text) => {
                self.next_line += line_ends;
                Some(Ok(TextBlock { text, first_line }))
            }
            Err(problem) => {
                self.done = true;
                Some(Err(problem))
            }
        }
    }
}

/// The bytes without a leading UTF-8 byte-order mark.
fn strip_bom(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    bytes
}

/// The problem for a file that is not UTF-8 text, at its first bad line.
pub fn not_text(file: &str, line: u64) -> Problem {
    Problem::skipped(
        file,
        line,
        0,
        "not text (invalid UTF-8): binary data, or a compressed file without a .gz name",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn blocks_of(bytes: &[u8], size: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let mut reader = BlockReader::open(&path).unwrap();
        let first = reader.next_block(size).unwrap().unwrap_or_default();
        TextBlocks::new(first, reader, size)
            .map(|b| b.unwrap().text)
            .collect()
    }

    #[test]
    fn blocks_hold_whole_lines_and_join_to_the_file() {
        let text = "a\nbb\n\nccc\ndddddddddd\ne";
        for size in 1..30 {
            let blocks = blocks_of(text.as_bytes(), size);
            assert_eq!(blocks.concat(), text, "size {size}");
            for b in &blocks[..blocks.len() - 1] {
                assert!(b.ends_with('\n'), "size {size}: {blocks:?}");
            }
        }
    }

    #[test]
    fn gzip_is_read_as_it_is_decompressed() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let blocks = blocks_of(&gz.finish().unwrap(), 100);
        assert!(blocks.len() > 50);
        assert_eq!(blocks.concat(), text);
    }

    #[test]
    fn first_lines_are_the_files_and_bad_utf8_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"\xef\xbb\xbfa\nb\nc\nd\n\xff\n").unwrap();
        let mut reader = BlockReader::open(&path).unwrap();
        let first = reader.next_block(4).unwrap().unwrap();
        let blocks: Vec<_> = TextBlocks::new(first, reader, 4).collect();
        let lines: Vec<u64> = blocks
            .iter()
            .filter_map(|b| b.as_ref().ok().map(|b| b.first_line))
            .collect();
        assert_eq!(lines, [1, 3]);
        assert_eq!(blocks[0].as_ref().unwrap().text, "a\nb\n");
        let problem = blocks.last().unwrap().as_ref().err().unwrap();
        assert_eq!(problem.line, 5);
    }
}
