//! One file per subcommand; each has its arguments and a `run` function.

pub mod backtest;
pub mod collect;
pub mod compare;
pub mod fetch;
pub mod formats;
pub mod history;
pub mod report;
pub mod retro;
pub mod sample;
pub mod simulate;
pub mod slo;

/// Where and over what range `--print-query` exports series (`backtest`, `slo`).
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The Prometheus server for --print-query.
    #[arg(long, default_value = "http://localhost:9090")]
    pub server: String,
    /// Start of the exported range (default: 7 days before --until).
    #[arg(long)]
    pub since: Option<String>,
    /// End of the exported range (default: now, to the minute).
    #[arg(long)]
    pub until: Option<String>,
    /// The query step for --print-query (use the rule group's evaluation interval).
    #[arg(long, default_value = "1m")]
    pub step: String,
}

impl ExportArgs {
    /// `(since, until, step)` in milliseconds, and the server without a trailing `/`.
    pub fn range(
        &self,
    ) -> crate::error::Result<(
        crate::timefmt::Millis,
        crate::timefmt::Millis,
        crate::timefmt::Millis,
        &str,
    )> {
        let tz = chrono_tz::Tz::UTC;
        let step = crate::timefmt::parse_duration(&self.step)
            .map_err(|e| crate::error::Error::Usage(format!("--step: {e}")))?;
        let until = match &self.until {
            Some(t) => history::parse_bound("--until", t, tz)?,
            None => {
                let now = chrono::Utc::now().timestamp_millis();
                now - now % 60_000
            }
        };
        let since = match &self.since {
            Some(t) => history::parse_bound("--since", t, tz)?,
            None => until - 7 * 86_400_000,
        };
        Ok((since, until, step, self.server.trim_end_matches('/')))
    }
}

/// Quotes text for a POSIX shell command line.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

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

/// Where and how a one-page command (`compare`, `retro`) writes its page.
#[derive(Debug, clap::Args)]
pub struct PageArgs {
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub force: bool,
    /// `md` or `html` (default: `html` when `--out` ends in `.html`, else `md`).
    #[arg(long, value_name = "md|html")]
    pub outputs: Option<String>,
}

/// The page a one-page command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    /// Markdown, for a wiki, a ticket or Slack.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

impl PageArgs {
    /// The page format from `--outputs` (`md` or `html`), else from `--out`'s
    /// extension (`.html`/`.htm` → HTML), else Markdown.
    pub fn format(&self) -> crate::error::Result<PageFormat> {
        match self.outputs.as_deref().map(str::trim) {
            Some("md" | "markdown") => Ok(PageFormat::Markdown),
            Some("html") => Ok(PageFormat::Html),
            Some(other) => Err(crate::error::Error::Usage(format!(
                "--outputs {other}: this command writes one page, `md` or `html`"
            ))),
            None => {
                let html = self
                    .out
                    .as_deref()
                    .and_then(|p| p.extension())
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| {
                        e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm")
                    });
                Ok(if html {
                    PageFormat::Html
                } else {
                    PageFormat::Markdown
                })
            }
        }
    }

    /// Writes the page to `--out` (never over an existing file without
    /// `--force`), or to standard output without `--out`.
    pub fn write(&self, text: &str) -> crate::error::Result<()> {
        let Some(path) = self.out.as_deref() else {
            return print_out(text);
        };
        if path.exists() && !self.force {
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
}
