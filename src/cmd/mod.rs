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

/// The page a one-page command (`compare`, `retro`) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    /// Markdown, for a wiki, a ticket or Slack.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

/// The page format from `--outputs` (`md` or `html`), else from `--out`'s
/// extension (`.html`/`.htm` → HTML), else Markdown.
pub fn page_format(
    outputs: Option<&str>,
    out: Option<&std::path::Path>,
) -> crate::error::Result<PageFormat> {
    match outputs.map(str::trim) {
        Some("md" | "markdown") => Ok(PageFormat::Markdown),
        Some("html") => Ok(PageFormat::Html),
        Some(other) => Err(crate::error::Error::Usage(format!(
            "--outputs {other}: this command writes one page, `md` or `html`"
        ))),
        None => {
            let html = out
                .and_then(|p| p.extension())
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
            Ok(if html {
                PageFormat::Html
            } else {
                PageFormat::Markdown
            })
        }
    }
}
