//! `alertnoise report`: read alert history, measure every rule, write the review report.
//!
//! Usage: `alertnoise report [INPUT]... --out DIR [--rules FILE|DIR]... [--reviews FILE]
//! [--since T] [--until T] [--short D] [--flap-window D] [--tz ZONE]
//! [--business-hours SPEC] [--by LABEL] [--format NAME] [--strict] [--force]
//! [--history DIR] [--outputs md,html,json,csv]`

use super::history::HistoryArgs;
use crate::analysis;
use crate::error::Result;
use std::path::PathBuf;

/// Arguments of `alertnoise report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The alert history to read.
    #[command(flatten)]
    pub history: HistoryArgs,
    /// The report directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing report directory.
    #[arg(long)]
    pub force: bool,
    /// Split every rule's row by this label's value.
    #[arg(long)]
    pub by: Option<String>,
    /// How many rules the table on stdout shows.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Record this run in DIR (one folder per window) and show each rule's
    /// noise trend over the last runs recorded there.
    #[arg(long = "history", value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
    /// Which outputs to write, comma-separated: `md` (report.md), `html`
    /// (report.html), `json` (rules.json/csv, advice.json/patch,
    /// episodes.parquet, instances.json, stuck.json, receivers.json), `csv`
    /// (rules.csv alone: the per-rule metrics, without the advice).
    /// `summary.json` is always written.
    #[arg(long, value_name = "md,html,json,csv", default_value = "md,html,json")]
    pub outputs: String,
    /// Fetch the history and rules from this Prometheus first (as `fetch
    /// prometheus` does), keep them under OUT/fetched/, and report on them;
    /// --since and --until then also take durations (`7d`, the default).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// query_range answers of the series the rules' SLO burn-rate alerts read
    /// (see `alertnoise slo`): adds the SLO section and slo.json.
    #[arg(long, value_name = "PATH")]
    pub metrics: Vec<PathBuf>,
    /// The SLO period for --metrics (default: what the rules say, else 30d).
    #[arg(long, value_name = "DURATION")]
    pub slo_period: Option<String>,
    /// With --metrics: a recorded series of the SLO's requests per second
    /// (see `alertnoise slo --requests`).
    #[arg(long, value_name = "[SLO=]SELECTOR")]
    pub requests: Vec<String>,
    /// With --prometheus: Prometheus' `http_config` YAML (credentials, TLS).
    #[arg(
        long = "http.config.file",
        value_name = "FILE",
        requires = "prometheus"
    )]
    pub http_config_file: Option<PathBuf>,
}

/// The folder of a report that `--prometheus` fetched into.
const FETCHED: &str = "fetched";

/// `--prometheus`: fetches into OUT/fetched and gives the history settings
/// that read it, over the fetched window.
fn fetch_first(args: &Args, url: &str) -> Result<super::history::HistoryArgs> {
    use crate::timefmt::format_millis;
    let only_fetched = std::fs::read_dir(&args.out)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .all(|e| e.file_name() == FETCHED)
        })
        .unwrap_or(true);
    if !only_fetched {
        crate::report::check_out_dir(&args.out, args.force)?;
    }
    let (since, until) = crate::fetch::parse_window(
        args.history.since.as_deref().unwrap_or("7d"),
        args.history.until.as_deref(),
    )?;
    let fetch = super::fetch::PrometheusArgs {
        connection: super::fetch::Connection {
            url: url.to_string(),
            http: super::fetch::HttpArgs {
                http_config_file: args.http_config_file.clone(),
                timeout: "2m".into(),
                retries: 4,
            },
        },
        window: super::fetch::FetchWindow {
            since: Some(format_millis(since)),
            until: Some(format_millis(until)),
            out: args.out.join(FETCHED),
            force: true,
        },
        metrics_for_rules: false,
    };
    let summary = super::fetch::fetch_prometheus(&fetch, &fetch.window.out)?;
    eprintln!("{summary}");
    let mut history = args.history.clone();
    history.inputs.push(fetch.window.out);
    history.since = Some(format_millis(since));
    history.until = Some(format_millis(until));
    Ok(history)
}

/// The largest history whose advice is made beside its metrics. The
/// advice's working memory then comes on top of the metrics' frame; up to
/// here that stays far under the 1 GiB a million episodes may take, and
/// larger histories (the 10M-episode table under 2 GiB, a 5 GB webhook
/// archive's 2.8M episodes under a 1 GiB limit: BENCHMARKS.md) keep their
/// peak by making the advice after the metrics' frame is let go.
const ADVICE_BESIDE_METRICS_EPISODES: usize = 2_000_000;

/// The metrics of a gathered history, the charts' per-rule sums (when
/// report.html is written) and the advice (when an output shows it or the
/// summary counts the rule files' join; `--outputs csv` alone needs
/// neither). The advice reads only the history, so it is made beside the
/// metrics for a history of at most `beside_up_to` episodes.
fn measure_and_advise(
    options: &analysis::Options,
    gathered: analysis::Gathered,
    outputs: crate::report::Outputs,
    beside_up_to: usize,
) -> Result<(
    analysis::Analysis,
    std::collections::BTreeMap<String, crate::report::html::RuleFacts>,
    crate::advice::inventory::AdviceReport,
)> {
    let advise = outputs.show_advice() || gathered.has_rule_files();
    let beside = advise && gathered.episode_table.len() <= beside_up_to;
    let (measured, advice) = std::thread::scope(|scope| {
        let advice = beside.then(|| scope.spawn(|| gathered.advice(options)));
        let measured = crate::timings::stage("measure", || gathered.measure(options));
        let advice = advice.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
        });
        (measured, advice)
    });
    let mut measured = measured?;
    // The charts' per-rule sums first, then the episodes' facts frame is let
    // go before the advice is made (when it was not made beside).
    let charts = crate::timings::stage("charts", || match outputs.html {
        true => crate::report::html::rule_facts(
            &measured.facts,
            &measured.settings,
            gathered.episode_table.rules().values(),
        ),
        false => Ok(Default::default()),
    })?;
    measured.facts = Default::default();
    let advice = match advice {
        Some(advice) => advice,
        None if advise => gathered.advice(options),
        None => Default::default(),
    };
    let analysis = gathered.into_analysis(options, measured);
    Ok((analysis, charts, advice))
}

/// Runs `alertnoise report`.
pub fn run(args: &Args) -> Result<()> {
    let outputs = crate::report::Outputs::parse(&args.outputs)?;
    if args.history_dir.is_some() && !outputs.json {
        return Err(crate::error::Error::Usage(
            "--history records the run's rules.json and advice.json: add json to --outputs".into(),
        ));
    }
    let history = match &args.prometheus {
        Some(url) => fetch_first(args, url)?,
        None => {
            crate::report::check_out_dir(&args.out, args.force)?;
            args.history.clone()
        }
    };
    let mut options = history.options()?;
    options.by = super::history::check_by(args.by.clone())?;
    let gathered = crate::timings::stage("gather", || analysis::gather(&options))?;
    let writer = match args.prometheus {
        Some(_) => {
            crate::report::ReportWriter::start_keeping(&args.out, args.force, outputs, FETCHED)?
        }
        None => crate::report::ReportWriter::start(&args.out, args.force, outputs)?,
    };
    // The table is final: `episodes.parquet` is written from it on a thread
    // of its own while the metrics, the charts and the advice are made (its
    // groups are encoded on the same worker threads as theirs, so the cores
    // stay busy where a stage leaves one idle).
    let table = std::sync::Arc::clone(&gathered.episode_table);
    let (mut analysis, charts, advice) = std::thread::scope(|scope| {
        let parquet = scope.spawn(|| writer.write_episodes(&table, &options.label_names));
        let made = measure_and_advise(&options, gathered, outputs, ADVICE_BESIDE_METRICS_EPISODES);
        let written = parquet
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        written?;
        made
    })?;
    analysis.count_rule_files(&advice);
    let run_id = crate::report::history::run_id(
        &analysis.summary.window.since,
        &analysis.summary.window.until,
    );
    let trends = match &args.history_dir {
        Some(dir) => Some(crate::report::history::trends(
            &crate::report::history::load(dir)?,
            &run_id,
            &analysis.rules,
            options.by.as_deref(),
        )),
        None => None,
    };
    let slo = match args.metrics.is_empty() {
        true => None,
        false => {
            if analysis.rule_files.is_empty() {
                return Err(crate::error::Error::Usage(
                    "--metrics replays the rules' SLO burn-rate alerts: give the rule files with --rules".into(),
                ));
            }
            let options = crate::slo::Options {
                period_ms: super::slo::parse_period(args.slo_period.as_deref())?,
                requests: super::slo::parse_requests(&args.requests),
            };
            Some(crate::timings::stage("slo", || {
                super::slo::replay_and_advise(
                    &analysis.rule_files,
                    &args.metrics,
                    args.history.reviews.as_deref(),
                    &options,
                )
            })?)
        }
    };
    let columns: Vec<String> = analysis
        .metrics
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    crate::timings::stage("write report", || {
        writer.finish(crate::report::ReportInput {
            summary: &analysis.summary,
            rules: &analysis.rules,
            columns: &columns,
            charts: &charts,
            problems: &analysis.problems,
            advice: &advice,
            with_rules: !analysis.rule_files.is_empty(),
            rules_fetched_from: &analysis.rules_fetched_from,
            trends: trends.as_ref(),
            slo: slo.as_ref().map(|(report, patch)| (report, patch.as_str())),
            receivers: analysis.receivers.as_ref(),
            instances: &analysis.instances,
            stuck: &analysis.stuck,
            responders: &analysis.responders,
            silences: analysis.silences.as_ref(),
        })
    })?;
    if let Some(dir) = &args.history_dir {
        crate::report::history::record(dir, &run_id, &args.out)?;
    }
    let s = &analysis.summary;
    super::print_out(&format!(
        "{}\n{} episodes from {} rules, {} noisy; {} problems in the inputs. Report: {}\n",
        crate::report::terminal::render(
            &analysis.rules,
            args.top,
            crate::report::terminal::colour_stdout(),
        ),
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
    // The process ends next: freeing a large history's episode rows and
    // their label maps one by one took most of a second at a million
    // episodes, and the operating system takes the memory back at once.
    std::mem::forget(analysis);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The advice made beside the metrics is the advice made after them,
    /// and the analysis the same either way.
    #[test]
    fn advice_beside_the_metrics_is_the_advice_after_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let mut options =
            analysis::Options::new(vec![root.join("alertmanager"), root.join("pagerduty")]);
        options.rules = vec![root.join("rules")];
        options.reviews = Some(root.join("reviews.csv"));
        options.alertmanager_config = Some(root.join("alertmanager.yml"));
        let outputs = crate::report::Outputs::parse("md,html,json").unwrap();
        let made = |beside_up_to: usize| {
            let gathered = analysis::gather(&options).unwrap();
            let (analysis, charts, advice) =
                measure_and_advise(&options, gathered, outputs, beside_up_to).unwrap();
            (
                serde_json::to_string(&advice).unwrap(),
                serde_json::to_string(&analysis.summary).unwrap(),
                serde_json::to_string(&analysis.rules).unwrap(),
                format!("{charts:?}"),
            )
        };
        let (beside, after) = (made(usize::MAX), made(0));
        assert!(
            beside.0.contains("\"kind\""),
            "no advice made: {}",
            beside.0
        );
        assert_ne!(beside.3, "{}", "no charts made");
        assert_eq!(beside, after);
    }
}
