//! `alertnoise report`: read alert history, measure every rule, write the review report.
//!
//! Usage: `alertnoise report [INPUT]... --out DIR [--reviews FILE] [--since T]
//! [--until T] [--short D] [--flap-window D] [--tz ZONE] [--business-hours SPEC]
//! [--by LABEL] [--format NAME] [--strict] [--force]`

use crate::analysis::{self, Options};
use crate::episodes::LabelNames;
use crate::error::{Error, Result};
use crate::metrics::off_hours::BusinessHours;
use crate::timefmt::{parse_duration, parse_stamp, Millis, Stamp};
use chrono::TimeZone;
use std::path::PathBuf;

/// Arguments of `alertnoise report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, directories (read recursively) or `-` for stdin; `.gz` is read transparently.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The report directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing report directory.
    #[arg(long)]
    pub force: bool,
    /// The review meeting's verdicts (CSV).
    #[arg(long)]
    pub reviews: Option<PathBuf>,
    /// Window start (RFC 3339, a date YYYY-MM-DD in --tz, or epoch seconds). Default: the data's first day.
    #[arg(long)]
    pub since: Option<String>,
    /// Window end, excluded. Default: the day after the data's last time.
    #[arg(long)]
    pub until: Option<String>,
    /// Resolved episodes shorter than this are short.
    #[arg(long, default_value = "5m")]
    pub short: String,
    /// An episode starting within this after the same alert resolved is a refire.
    #[arg(long, default_value = "15m")]
    pub flap_window: String,
    /// Time zone for business hours and dates (IANA name).
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// Business hours, e.g. "Mon-Fri 09:00-18:00".
    #[arg(long, default_value = "Mon-Fri 09:00-18:00")]
    pub business_hours: String,
    /// Split every rule's row by this label's value.
    #[arg(long)]
    pub by: Option<String>,
    /// Read every input as this format instead of detecting it (see `alertnoise formats`).
    #[arg(long)]
    pub format: Option<String>,
    /// Stop with exit code 2 at the first record that cannot be read.
    #[arg(long)]
    pub strict: bool,
    /// The label that holds the severity.
    #[arg(long, default_value = "severity")]
    pub severity_label: String,
    /// The label that holds the owning team.
    #[arg(long, default_value = "team")]
    pub team_label: String,
    /// The label that holds the service.
    #[arg(long, default_value = "service")]
    pub service_label: String,
    /// How many rules the table on stdout shows.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

fn usage(e: String) -> Error {
    Error::Usage(e)
}

/// Reads a window bound: RFC 3339, epoch, or a date at midnight in `tz`.
pub fn parse_bound(flag: &str, text: &str, tz: chrono_tz::Tz) -> Result<Millis> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        return tz
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| usage(format!("{flag}: {text} has no midnight in {tz}")));
    }
    match parse_stamp(text) {
        Ok(Stamp::At(t)) => Ok(t),
        Ok(Stamp::Unset) => Err(usage(format!("{flag}: a time is needed"))),
        Err(e) => Err(usage(format!("{flag}: {e}"))),
    }
}

/// Turns the command line into pipeline options.
pub fn options(args: &Args) -> Result<Options> {
    let tz: chrono_tz::Tz = args.tz.parse().map_err(|_| {
        usage(format!(
            "--tz: `{}` is not an IANA time zone (e.g. Europe/Berlin)",
            args.tz
        ))
    })?;
    let business_hours = BusinessHours::parse(&args.business_hours, tz)
        .map_err(|e| usage(format!("--business-hours: {e}")))?;
    let short_ms = parse_duration(&args.short).map_err(|e| usage(format!("--short: {e}")))?;
    let flap_window_ms =
        parse_duration(&args.flap_window).map_err(|e| usage(format!("--flap-window: {e}")))?;
    if let Some(by) = &args.by {
        let reserved = ["rule", "severity", "current_for_s"];
        if reserved.contains(&by.as_str()) || crate::metrics::METRIC_COLUMNS.contains(&by.as_str())
        {
            return Err(usage(format!(
                "--by: `{by}` is the name of a report column; it cannot be a label here"
            )));
        }
    }
    Ok(Options {
        inputs: args.inputs.clone(),
        format: args.format.clone(),
        reviews: args.reviews.clone(),
        since: args
            .since
            .as_deref()
            .map(|s| parse_bound("--since", s, tz))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_bound("--until", s, tz))
            .transpose()?,
        short_ms,
        flap_window_ms,
        business_hours,
        business_hours_text: args.business_hours.clone(),
        by: args.by.clone(),
        label_names: LabelNames {
            severity: args.severity_label.clone(),
            team: args.team_label.clone(),
            service: args.service_label.clone(),
        },
        strict: args.strict,
    })
}

/// Runs `alertnoise report`.
pub fn run(args: &Args) -> Result<()> {
    crate::report::check_out_dir(&args.out, args.force)?;
    let options = options(args)?;
    let mut analysis = analysis::analyze(&options)?;
    let columns: Vec<String> = analysis
        .metrics
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    crate::report::write_report(
        &args.out,
        args.force,
        crate::report::ReportInput {
            summary: &analysis.summary,
            rules: &analysis.rules,
            columns: &columns,
            episodes: &mut analysis.episodes,
            problems: &analysis.problems,
        },
    )?;
    let s = &analysis.summary;
    super::print_out(&format!(
        "{}\n{} episodes from {} rules, {} noisy; {} problems in the inputs. Report: {}\n",
        crate::report::terminal::render(&analysis.rules, args.top),
        s.counts.episodes,
        s.counts.rules,
        s.counts.noisy_episodes,
        s.problems.total,
        args.out.display()
    ))?;
    for p in analysis.problems.iter().take(5) {
        eprintln!("warning: {p}");
    }
    if analysis.problems.len() > 5 {
        eprintln!(
            "warning: … and {} more problems (see summary.json)",
            analysis.problems.len() - 5
        );
    }
    Ok(())
}
