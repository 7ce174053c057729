//! The collector's archive: one JSON line per received body, appended to a
//! file per UTC day (`alerts-YYYY-MM-DD.jsonl`), written by one thread that
//! takes every line waiting at once (a group commit): under many senders a
//! single write and a single fsync serve them all. A sender is answered
//! only after its line is written and, with `--fsync always`, flushed to
//! disk. A finished day is gzipped (`alerts-YYYY-MM-DD.jsonl.gz`) and its
//! plain file removed; days left plain by a stop are gzipped at the next
//! start. A file that ends in a partial line (a crash mid-write) gets a line
//! end before the next line, so the partial line stays one unreadable line
//! that `report` skips and names.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// When lines reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fsync {
    /// Before every answer (a group of waiting lines shares one fsync).
    Always,
    /// Once a second; an answer waits for the write only.
    Interval,
    /// Never; the operating system decides.
    Never,
}

/// A line to append, and where to say it was written (or why not).
struct Job {
    day: String,
    line: Vec<u8>,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// What the writer reports of each group it wrote, for the metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    /// Bytes written.
    pub bytes: u64,
    /// How long the fsync took, when one was made.
    pub fsync: Option<Duration>,
}

/// The handle senders append through; the writer thread stops when every
/// handle is dropped, after writing what was sent.
#[derive(Clone)]
pub struct Archive {
    jobs: Sender<Job>,
}

impl Archive {
    /// Opens the archive in `dir` (made if missing), gzips the days a
    /// previous run left plain (not `today`), and starts the writer.
    /// `written` is called after each group.
    pub fn open(
        dir: &Path,
        fsync: Fsync,
        today: &str,
        written: impl Fn(Written) + Send + 'static,
    ) -> std::io::Result<(Archive, std::thread::JoinHandle<()>)> {
        std::fs::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if let Some(day) = plain_day(&path) {
                if day != today {
                    gzip_day(&path)?;
                }
            }
        }
        let (jobs, receive) = channel();
        let dir = dir.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("archive-writer".into())
            .spawn(move || write_loop(&dir, fsync, receive, written))?;
        Ok((Archive { jobs }, writer))
    }

    /// Appends one line (without its line end) to `day`'s file; resolves
    /// when it is written as `--fsync` asks.
    pub async fn append(&self, day: String, line: Vec<u8>) -> Result<(), String> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job { day, line, done })
            .map_err(|_| "the archive writer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the archive writer has stopped".to_string())?
    }
}

/// The file of a day.
pub fn day_file(dir: &Path, day: &str) -> PathBuf {
    dir.join(format!("alerts-{day}.jsonl"))
}

/// The day of a plain (not yet gzipped) day file.
fn plain_day(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let day = name.strip_prefix("alerts-")?.strip_suffix(".jsonl")?;
    (day.len() == 10).then(|| day.to_string())
}

/// Gzips a finished day's file next to it, then removes the plain file.
/// A `.gz` that exists already (a stop during gzip) is replaced.
fn gzip_day(path: &Path) -> std::io::Result<()> {
    let gz = path.with_extension("jsonl.gz");
    let temp = path.with_extension("jsonl.gz.tmp");
    {
        let mut input = File::open(path)?;
        let output = File::create(&temp)?;
        let mut encoder = flate2::write::GzEncoder::new(output, flate2::Compression::default());
        std::io::copy(&mut input, &mut encoder)?;
        encoder.finish()?.sync_all()?;
    }
    std::fs::rename(&temp, &gz)?;
    std::fs::remove_file(path)
}

/// The open day file.
struct Open {
    day: String,
    file: File,
    dirty: bool,
}

fn open_day(dir: &Path, day: &str) -> std::io::Result<File> {
    let path = day_file(dir, day);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&path)?;
    // A partial last line (a crash mid-write) is ended, so the next line stands alone.
    let len = file.metadata()?.len();
    if len > 0 {
        use std::io::{Read, Seek, SeekFrom};
        let mut last = [0u8; 1];
        let mut reader = File::open(&path)?;
        reader.seek(SeekFrom::Start(len - 1))?;
        reader.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok(file)
}

fn write_loop(dir: &Path, fsync: Fsync, jobs: Receiver<Job>, written: impl Fn(Written)) {
    let mut open: Option<Open> = None;
    let mut last_sync = Instant::now();
    let timeout = Duration::from_millis(200);
    loop {
        let first = match jobs.recv_timeout(timeout) {
            Ok(job) => job,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if fsync == Fsync::Interval {
                    sync_if_due(&mut open, &mut last_sync, &written);
                }
                continue;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut group = vec![first];
        while let Ok(job) = jobs.try_recv() {
            group.push(job);
        }
        let mut done = Vec::new();
        let mut bytes = 0;
        for job in group {
            let result = append_line(dir, &mut open, &job.day, &job.line);
            if result.is_ok() {
                bytes += job.line.len() as u64 + 1;
            }
            done.push((job.done, result.map_err(|e| e.to_string())));
        }
        let mut report = Written { bytes, fsync: None };
        if fsync == Fsync::Always {
            if let Some(o) = open.as_mut().filter(|o| o.dirty) {
                let start = Instant::now();
                if let Err(e) = o.file.sync_data() {
                    for (_, result) in done.iter_mut() {
                        if result.is_ok() {
                            *result = Err(format!("fsync: {e}"));
                        }
                    }
                }
                o.dirty = false;
                report.fsync = Some(start.elapsed());
            }
        } else if fsync == Fsync::Interval {
            sync_if_due(&mut open, &mut last_sync, &written);
        }
        written(report);
        for (sender, result) in done {
            let _ = sender.send(result);
        }
    }
    if let Some(o) = open.as_mut() {
        let _ = o.file.sync_data();
    }
}

fn sync_if_due(open: &mut Option<Open>, last_sync: &mut Instant, written: &impl Fn(Written)) {
    if last_sync.elapsed() < Duration::from_secs(1) {
        return;
    }
    *last_sync = Instant::now();
    if let Some(o) = open.as_mut().filter(|o| o.dirty) {
        let start = Instant::now();
        let _ = o.file.sync_data();
        o.dirty = false;
        written(Written {
            bytes: 0,
            fsync: Some(start.elapsed()),
        });
    }
}

fn append_line(dir: &Path, open: &mut Option<Open>, day: &str, line: &[u8]) -> std::io::Result<()> {
    if open.as_ref().is_some_and(|o| o.day != day) {
        // A new day: the finished one is flushed and gzipped beside the writer.
        if let Some(finished) = open.take() {
            finished.file.sync_data()?;
            let path = day_file(dir, &finished.day);
            drop(finished);
            std::thread::spawn(move || {
                if let Err(e) = gzip_day(&path) {
                    eprintln!("warning: gzip {}: {e}", path.display());
                }
            });
        }
    }
    if open.is_none() {
        *open = Some(Open {
            day: day.to_string(),
            file: open_day(dir, day)?,
            dirty: false,
        });
    }
    let Some(o) = open.as_mut() else {
        return Err(std::io::Error::other("no open file"));
    };
    let mut buffer = Vec::with_capacity(line.len() + 1);
    buffer.extend_from_slice(line);
    buffer.push(b'\n');
    o.file.write_all(&buffer)?;
    o.dirty = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_last_line_is_ended_before_the_next() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            day_file(dir.path(), "2026-12-01"),
            b"{\"complete\":1}\n{\"cut",
        )
        .unwrap();
        let mut open = None;
        append_line(dir.path(), &mut open, "2026-12-01", b"{\"next\":2}").unwrap();
        drop(open);
        let text = std::fs::read_to_string(day_file(dir.path(), "2026-12-01")).unwrap();
        assert_eq!(text, "{\"complete\":1}\n{\"cut\n{\"next\":2}\n");
    }

    #[test]
    fn a_new_day_gzips_the_finished_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut open = None;
        append_line(dir.path(), &mut open, "2026-11-30", b"{\"late\":1}").unwrap();
        append_line(dir.path(), &mut open, "2026-12-01", b"{\"early\":2}").unwrap();
        let gz = dir.path().join("alerts-2026-11-30.jsonl.gz");
        let start = Instant::now();
        while day_file(dir.path(), "2026-11-30").exists() {
            assert!(start.elapsed() < Duration::from_secs(10), "not gzipped");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut text = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(File::open(&gz).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"late\":1}\n");
        drop(open);
        let today = std::fs::read_to_string(day_file(dir.path(), "2026-12-01")).unwrap();
        assert_eq!(today, "{\"early\":2}\n");
    }

    #[test]
    fn days_left_plain_are_gzipped_at_start_and_today_is_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(day_file(dir.path(), "2026-11-30"), b"{\"a\":1}\n").unwrap();
        std::fs::write(day_file(dir.path(), "2026-12-01"), b"{\"b\":1}\n").unwrap();
        let (archive, writer) =
            Archive::open(dir.path(), Fsync::Always, "2026-12-01", |_| {}).unwrap();
        drop(archive);
        writer.join().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["alerts-2026-11-30.jsonl.gz", "alerts-2026-12-01.jsonl"]
        );
        let mut text = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(
            File::open(dir.path().join("alerts-2026-11-30.jsonl.gz")).unwrap(),
        )
        .read_to_string(&mut text)
        .unwrap();
        assert_eq!(text, "{\"a\":1}\n");
    }
}
