//! `alertnoise retro INPUT... --from T --to T [--incident-start T] [--incident-end T]`:
//! the alerts around one incident, for the post-incident retrospective.
//!
//! A timeline of every alert that fired between `--from` and `--to`, grouped
//! by rule; the first alert and its detection time relative to the incident's
//! start; alerts during the incident that were noise (review verdicts, with
//! `--reviews`) or are not reviewed yet; and how long after the incident
//! ended its alerts resolved. Markdown on standard output, or in `--out FILE`;
//! HTML (with a Gantt chart) with `--outputs html` or an `--out` ending in `.html`.

use super::history::{parse_bound, HistoryArgs};
use crate::analysis;
use crate::error::{Error, Result};
use crate::report::retro::{build, html, markdown, Frame};

/// Arguments of `alertnoise retro`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The alert history to read (the window is `--from`/`--to`).
    #[command(flatten)]
    pub history: HistoryArgs,
    /// The start of the time looked at.
    #[arg(long)]
    pub from: String,
    /// The end of the time looked at.
    #[arg(long)]
    pub to: String,
    /// When the incident started (declared, or first user impact).
    #[arg(long)]
    pub incident_start: Option<String>,
    /// When the incident ended.
    #[arg(long)]
    pub incident_end: Option<String>,
    /// Where and how the page is written.
    #[command(flatten)]
    pub page: super::PageArgs,
}

/// Runs `alertnoise retro`.
pub fn run(args: &Args) -> Result<()> {
    let mut options = args.history.options()?;
    if options.since.is_some() || options.until.is_some() {
        return Err(Error::Usage(
            "retro takes its window from --from and --to, not --since/--until".into(),
        ));
    }
    let tz = options.business_hours.tz;
    let bound = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| parse_bound(flag, t, tz))
            .transpose()
    };
    let from = parse_bound("--from", &args.from, tz)?;
    let to = parse_bound("--to", &args.to, tz)?;
    let frame = Frame {
        from,
        to,
        incident_start: bound("--incident-start", &args.incident_start)?,
        incident_end: bound("--incident-end", &args.incident_end)?,
    };
    if to <= from {
        return Err(Error::Usage("--to must be after --from".into()));
    }
    if let (Some(s), Some(e)) = (frame.incident_start, frame.incident_end) {
        if e < s {
            return Err(Error::Usage(
                "--incident-end must not be before --incident-start".into(),
            ));
        }
    }
    options.since = Some(from);
    options.until = Some(to);
    let format = args.page.format()?;
    let analysis = analysis::analyze(&options)?;
    let retro = build(&analysis.episode_table, frame);
    let text = match format {
        super::PageFormat::Markdown => markdown(&retro, frame),
        super::PageFormat::Html => html(&retro, frame)?,
    };
    args.page.write(&text)
}
