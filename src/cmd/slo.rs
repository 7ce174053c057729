//! `alertnoise slo`: replay every SLO burn-rate alert of the rule files over
//! its recorded ratio series, window pair by window pair, and score each
//! against the budget events (precision, recall, detection and reset time).
//!
//! Usage: `alertnoise slo --rules R --metrics DIR [--reviews F]
//! [--slo-period 30d] [--out OUT [--force]]` writes `OUT/slo.json`,
//! `OUT/slo.md` and `OUT/slo.patch` (the `burn_rate` advice's changes to the
//! rule files; without `--out`, prints the Markdown); `alertnoise slo --rules
//! R --print-query [--server URL] [--since T] [--until T] [--step D]` prints
//! the commands that export the series the replay needs.

use crate::error::{Error, Result};
use crate::rules::{load_rule_files, Rule};
use crate::slo::{self, Options};
use crate::timefmt::{format_duration, format_millis, parse_duration};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use std::path::PathBuf;

/// Arguments of `alertnoise slo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Prometheus rule files or directories (with the burn-rate alerts and
    /// their recording rules).
    #[arg(long, required = true)]
    pub rules: Vec<PathBuf>,
    /// query_range answers of the series the alerts select (files or
    /// directories of *.json; see --print-query).
    #[arg(long, required_unless_present = "print_query")]
    pub metrics: Vec<PathBuf>,
    /// The review meeting's verdicts (CSV): they decide which episodes were real.
    #[arg(long)]
    pub reviews: Option<PathBuf>,
    /// The SLO period for every SLO (default: what the rules say, else 30d).
    #[arg(long, value_name = "DURATION")]
    pub slo_period: Option<String>,
    /// A recorded series of the SLO's requests per second in --metrics
    /// (`job:http_requests:rate5m{job="api"}`), for one SLO (`NAME=SELECTOR`)
    /// or all: the advice may then recommend a minimum-traffic guard.
    #[arg(long, value_name = "[SLO=]SELECTOR")]
    pub requests: Vec<String>,
    /// Write slo.json, slo.md and slo.patch into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace --out if alertnoise wrote it.
    #[arg(long)]
    pub force: bool,
    /// Print the promtool and curl commands that export the series, and stop.
    #[arg(long)]
    pub print_query: bool,
    /// The server and range for --print-query.
    #[command(flatten)]
    pub export: super::ExportArgs,
}

/// Runs `alertnoise slo`.
pub fn run(args: &Args) -> Result<()> {
    let files = load_rule_files(&args.rules)?;
    let rules: Vec<&Rule> = files.iter().flat_map(|f| &f.rules).collect();
    if args.print_query {
        return print_query(args, &rules);
    }
    let options = Options {
        period_ms: parse_period(args.slo_period.as_deref())?,
        requests: parse_requests(&args.requests),
    };
    let (report, patch) =
        replay_and_advise(&files, &args.metrics, args.reviews.as_deref(), &options)?;
    if report.slos.is_empty() {
        let mut why = format!(
            "no SLO burn-rate alert in {} (an alert comparing two windows' error ratios with `f * budget`)",
            args.rules
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for n in &report.not_recognised {
            why.push_str(&format!("\n  {} ({}): {}", n.alert, n.location, n.reason));
        }
        return Err(Error::Usage(why));
    }
    for slo in &report.slos {
        for p in &slo.problems {
            eprintln!("alertnoise: warning: SLO {}: {p}", slo.name);
        }
    }
    let markdown = crate::report::slo::markdown(&report);
    match &args.out {
        Some(out) => crate::outdir::write_dir(out, args.force, "slo.json", |dir| {
            crate::outdir::write_file(dir, "slo.json", &crate::report::slo::json(&report)?)?;
            crate::outdir::write_file(dir, "slo.md", markdown.as_bytes())?;
            crate::outdir::write_file(dir, "slo.patch", patch.as_bytes())
        }),
        None => super::print_out(&markdown),
    }
}

/// The SLO report of the burn-rate alerts in `files` over the series in
/// `metrics`, with its `burn_rate` advice, and their combined patch; for
/// `slo` and `report --metrics` alike.
pub fn replay_and_advise(
    files: &[crate::rules::RuleFile],
    metrics: &[PathBuf],
    reviews: Option<&std::path::Path>,
    options: &Options,
) -> Result<(slo::SloReport, String)> {
    let rules: Vec<&Rule> = files.iter().flat_map(|f| &f.rules).collect();
    let store = slo::series::load(metrics)?;
    let reviews = reviews.map(crate::reviews::read);
    if let Some(r) = &reviews {
        for p in &r.problems {
            eprintln!("alertnoise: warning: {p}");
        }
    }
    let replayer = slo::Replayer::new(&rules, &store, reviews.as_ref());
    let (mut report, runs) = slo::analyse_with_runs(&replayer, options);
    report.advice = crate::advice::burn_rate::advise(&replayer, &runs, files);
    let (patch, notes) = crate::advice::combined_patch(files, &report.advice);
    for note in notes {
        eprintln!("alertnoise: warning: no patch: {note}");
    }
    Ok((report, patch))
}

/// `--requests [SLO=]SELECTOR` values: the SLO's name is split off only
/// when what precedes the first `=` is a plain name (a selector's own
/// `{job="api"}` is not split).
pub fn parse_requests(values: &[String]) -> Vec<(Option<String>, String)> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((slo, selector))
                if !slo.is_empty()
                    && !slo.contains(['{', '(', '"', ' '])
                    && !selector.is_empty()
                    && !selector.starts_with(['~', '=']) =>
            {
                (Some(slo.to_string()), selector.to_string())
            }
            _ => (None, v.clone()),
        })
        .collect()
}

/// `--slo-period` as milliseconds.
pub fn parse_period(text: Option<&str>) -> Result<Option<crate::timefmt::Millis>> {
    text.map(|p| {
        parse_duration(p)
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| Error::Usage(format!("--slo-period {p}: not a positive duration")))
    })
    .transpose()
}

fn print_query(args: &Args, rules: &[&Rule]) -> Result<()> {
    let selectors = crate::rules::burn_rate::recorded_selectors(rules, None);
    if selectors.is_empty() {
        let inline: Vec<String> = crate::rules::burn_rate::recognise(rules)
            .alerts
            .into_iter()
            .map(|a| format!("{} ({})", a.alert, a.location))
            .collect();
        if !inline.is_empty() {
            return Err(Error::Usage(format!(
                "the burn-rate alerts {} compute their ratios inline (`rate(…[5m])`), so there is no recorded series to export; record each ratio with a recording rule and alert on it, as Sloth and Pyrra do",
                inline.join(", ")
            )));
        }
    }
    print_selector_queries(&selectors, &args.export, &args.rules)
}

/// Prints the promtool and curl commands that export `selectors` into
/// `metrics/`, then the `slo` command that replays them.
pub fn print_selector_queries(
    selectors: &[String],
    export: &super::ExportArgs,
    rules: &[PathBuf],
) -> Result<()> {
    if selectors.is_empty() {
        return Err(Error::Usage(
            "no SLO burn-rate alert in the rule files: nothing to export".into(),
        ));
    }
    let (since, until, step, server) = export.range()?;
    let mut out = format!(
        "# The recorded series the burn-rate alerts read, {} to {} at {}:\nmkdir -p metrics\n",
        format_millis(since),
        format_millis(until),
        format_duration(step)
    );
    for (i, selector) in selectors.iter().enumerate() {
        let file = format!("metrics/{:02}.json", i + 1);
        let url = format!(
            "{server}/api/v1/query_range?query={}&start={}&end={}&step={}",
            utf8_percent_encode(selector, NON_ALPHANUMERIC),
            since / 1000,
            until / 1000,
            step as f64 / 1000.0
        );
        out.push_str(&format!(
            "promtool query range --start {} --end {} --step {} -o json {server} {} > {file}\n\
             #   or: curl -fsS {} > {file}\n",
            format_millis(since),
            format_millis(until),
            format_duration(step),
            super::shell_quote(selector),
            super::shell_quote(&url),
        ));
    }
    out.push_str(&format!(
        "# then:\nalertnoise slo --rules {} --metrics metrics\n",
        rules
            .iter()
            .map(|p| super::shell_quote(&p.display().to_string()))
            .collect::<Vec<_>>()
            .join(" --rules ")
    ));
    super::print_out(&out)
}
