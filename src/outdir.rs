//! Writing a directory of output safely: into a temporary sibling first, then
//! moved into place, so a failed run leaves nothing half-written; an existing
//! directory is replaced only with `--force`, and only if this tool made it.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The error of writing `path`, with why it failed.
pub fn output_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes bytes to `dir/name`, creating parent folders.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| output_error(parent, e))?;
    }
    std::fs::write(&path, bytes).map_err(|e| output_error(&path, e))
}

/// Checks that `out` may be written: absent, or (with `force`) empty or
/// holding `marker`, the file this tool always writes there.
pub fn check(out: &Path, force: bool, marker: &str) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(Error::Usage(format!(
            "{} exists and is not a directory; choose another --out",
            out.display()
        )));
    }
    if !force {
        return Err(Error::Usage(format!(
            "{} already exists; pass --force to replace it, or choose another --out",
            out.display()
        )));
    }
    let empty = std::fs::read_dir(out)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if !empty && !out.join(marker).exists() {
        return Err(Error::Usage(format!(
            "{} was not made by alertnoise (no {marker}); refusing to replace it even with --force",
            out.display()
        )));
    }
    Ok(())
}

/// A fresh temporary sibling directory of `out` to write into.
pub fn temp_dir_for(out: &Path) -> Result<PathBuf> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| output_error(parent, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| output_error(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| output_error(&tmp, e))?;
    Ok(tmp)
}

/// Moves a finished temporary directory to `out`, replacing what `check` allowed.
pub fn commit(tmp: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        let old = tmp.with_extension("old");
        std::fs::rename(out, &old).map_err(|e| output_error(out, e))?;
        std::fs::rename(tmp, out).map_err(|e| output_error(out, e))?;
        std::fs::remove_dir_all(&old).map_err(|e| output_error(&old, e))?;
    } else {
        std::fs::rename(tmp, out).map_err(|e| output_error(out, e))?;
    }
    Ok(())
}

/// A directory being written: files go into a temporary sibling of `out`
/// and [`Staged::commit`] moves it into place; dropped before that (an
/// error, a panic), the temporary directory is removed.
pub struct Staged {
    /// The temporary directory the files are written into.
    tmp: PathBuf,
    /// Where the directory goes.
    out: PathBuf,
    /// Whether it was moved into place.
    committed: bool,
}

impl Staged {
    /// Checks `out` (see [`check`]) and makes the temporary directory.
    pub fn start(out: &Path, force: bool, marker: &str) -> Result<Staged> {
        check(out, force, marker)?;
        Ok(Staged {
            tmp: temp_dir_for(out)?,
            out: out.to_path_buf(),
            committed: false,
        })
    }

    /// Stages `out` without [`check`]: for a directory this run made itself.
    pub fn start_anyway(out: &Path) -> Result<Staged> {
        Ok(Staged {
            tmp: temp_dir_for(out)?,
            out: out.to_path_buf(),
            committed: false,
        })
    }

    /// The temporary directory to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Moves the finished directory to `out`.
    pub fn commit(mut self) -> Result<()> {
        self.committed = true;
        commit(&self.tmp, &self.out)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Checks `out`, runs `fill` on a temporary directory, and moves it into place.
pub fn write_dir(
    out: &Path,
    force: bool,
    marker: &str,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let staged = Staged::start(out, force, marker)?;
    fill(staged.path())?;
    staged.commit()
}
