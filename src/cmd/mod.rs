//! One file per subcommand; each has its arguments and a `run` function.

pub mod backtest;
pub mod compare;
pub mod formats;
pub mod history;
pub mod report;
pub mod retro;
pub mod sample;
pub mod simulate;

/// Writes text to standard output. A closed pipe (`alertnoise … | head`) is
/// not an error: the reader has seen enough, so the rest is dropped.
pub fn print_out(text: &str) -> crate::error::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(crate::error::Error::Output {
            path: "standard output".into(),
            reason: e.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Writes a command's text to `--out FILE` (never over an existing file
/// without `--force`), or to standard output without `--out`.
pub fn write_or_print(
    out: Option<&std::path::Path>,
    force: bool,
    text: &str,
) -> crate::error::Result<()> {
    let Some(path) = out else {
        return print_out(text);
    };
    if path.exists() && !force {
        return Err(crate::error::Error::Usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        )));
    }
    std::fs::write(path, text).map_err(|source| crate::error::Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
