//! `alertnoise backtest`: replay a rule's threshold and `for:` over its own
//! metric series and score every candidate against the actionable episodes.
//!
//! Usage: `alertnoise backtest --rules FILE --alert NAME --series FILE
//! [--reviews FILE] [INPUT]... [--json]` and
//! `alertnoise backtest --rules FILE --alert NAME --print-query [--server URL]
//! [--since T] [--until T] [--step D]`.
//!
//! The truth is the actionable episodes of the rule: from the history INPUTs
//! with their review verdicts and the ack proxy, or, without INPUT, the
//! reviews file's rows that say actionable and name the rule (`rule` +
//! `starts_at`) or one of its alerts (`fingerprint` + `starts_at`, matched by
//! the fingerprint of the series' labels with the rule's labels and `alertname`,
//! as Prometheus builds an alert's labels).

use crate::advice::backtest::{load_series, Candidate, SeriesSet, Truth};
use crate::advice::threshold::{self, Backtest};
use crate::analysis::{self, Options};
use crate::error::{Error, Result};
use crate::reviews::Matcher;
use crate::rules::{load_rule_files, Rule, RuleKind};
use crate::timefmt::{format_duration, format_millis, parse_duration, Millis};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use std::path::PathBuf;

/// Arguments of `alertnoise backtest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Prometheus rule files or directories.
    #[arg(long, required = true)]
    pub rules: Vec<PathBuf>,
    /// The alert rule to backtest.
    #[arg(long)]
    pub alert: String,
    /// A query_range answer of the rule's left-hand side (see --print-query).
    #[arg(long, required_unless_present = "print_query")]
    pub series: Option<PathBuf>,
    /// The review meeting's verdicts (CSV).
    #[arg(long)]
    pub reviews: Option<PathBuf>,
    /// Alert history (any format `report` reads) whose actionable episodes are the truth.
    pub inputs: Vec<PathBuf>,
    /// Print the promtool command and the HTTP URL that export the series, and stop.
    #[arg(long)]
    pub print_query: bool,
    /// The server and range for --print-query.
    #[command(flatten)]
    pub export: super::ExportArgs,
    /// The `for:` steps replayed besides 0s and the current one.
    #[arg(long, default_value = "1m,2m,5m,10m,15m,30m,1h", value_delimiter = ',')]
    pub steps: Vec<String>,
    /// Print JSON (every candidate) instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn usage(e: String) -> Error {
    Error::Usage(e)
}

/// The alerting rule named `--alert` whose threshold is located.
fn find_rule<'a>(
    files: &'a [crate::rules::RuleFile],
    name: &str,
) -> Result<(usize, usize, &'a Rule)> {
    let mut named = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        for (ri, r) in f.rules.iter().enumerate() {
            if r.kind == RuleKind::Alerting && r.name == name {
                named.push((fi, ri, r));
            }
        }
    }
    let Some(&first) = named.first() else {
        return Err(usage(format!(
            "--alert {name}: no alerting rule of that name in the rule files"
        )));
    };
    named
        .iter()
        .copied()
        .find(|(_, _, r)| r.threshold.located().is_some())
        .ok_or_else(|| {
            let reason = match &first.2.threshold {
                crate::rules::Threshold::NotLocated { reason } => reason.clone(),
                _ => String::new(),
            };
            usage(format!(
                "{}: rule `{name}` has no single threshold to backtest: {reason}",
                first.2.location()
            ))
        })
}

fn print_query(args: &Args, rule: &Rule) -> Result<()> {
    let Some(located) = rule.threshold.located() else {
        return Err(usage(format!("{}: no threshold located", rule.location())));
    };
    let (since, until, step, server) = args.export.range()?;
    let (start, end) = (format_millis(since), format_millis(until));
    let file = format!("{}.series.json", rule.name);
    let url = format!(
        "{server}/api/v1/query_range?query={}&start={}&end={}&step={}",
        utf8_percent_encode(&located.series, NON_ALPHANUMERIC),
        since / 1000,
        until / 1000,
        step as f64 / 1000.0
    );
    let out = format!(
        "# The series behind {} ({}): `{}` {} {}\n\
         promtool query range --start {start} --end {end} --step {} -o json {server} {} > {file}\n\
         # or over the HTTP API:\n\
         curl -fsS {} > {file}\n\
         # then:\n\
         alertnoise backtest --rules {} --alert {} --series {file} --reviews REVIEWS.csv HISTORY...\n",
        rule.name,
        rule.location(),
        located.series,
        located.op,
        crate::rules::threshold::format_value(located.value),
        format_duration(step),
        super::shell_quote(&located.series),
        super::shell_quote(&url),
        rule.file_name,
        rule.name,
    );
    super::print_out(&out)
}

/// Actionable episodes from the history and reviews (or from the reviews alone).
fn truth(args: &Args, rule_files: &[PathBuf], rule: &Rule, set: &SeriesSet) -> Result<Vec<Truth>> {
    let (from, to) = (set.span.0, set.span.1 + set.step_ms);
    if args.inputs.is_empty() {
        let Some(path) = &args.reviews else {
            return Err(usage(
                "the truth is missing: give the alert history (INPUT...) and/or --reviews".into(),
            ));
        };
        // An alert's labels are its series' labels, the rule's static labels
        // and `alertname`: so verdicts by fingerprint can be matched too.
        let fingerprints: Vec<String> = set
            .series
            .iter()
            .map(|s| {
                let mut labels = s.labels.clone();
                for (k, v) in &rule.labels {
                    if !v.text.contains("{{") {
                        labels.insert(k.clone(), v.text.clone());
                    }
                }
                labels.insert("alertname".into(), rule.name.clone());
                crate::fingerprint::fingerprint(&labels)
            })
            .collect();
        let reviews = crate::reviews::read(path);
        let points: Vec<Millis> = reviews
            .verdicts
            .iter()
            .filter(|v| v.actionable)
            .filter_map(|v| match &v.matcher {
                Matcher::RuleAt(name, at) if *name == rule.name => Some(*at),
                Matcher::FingerprintAt(fp, at) if fingerprints.contains(fp) => Some(*at),
                _ => None,
            })
            .filter(|at| (from..to).contains(at))
            .collect();
        return Ok(points_to_truth(rule, set, &points));
    }
    let options = Options {
        rules: rule_files.to_vec(),
        reviews: args.reviews.clone(),
        ..Options::new(args.inputs.clone())
    };
    let analysis = analysis::analyze(&options)?;
    let targets = analysis.targets(&options.label_names);
    Ok(targets
        .iter()
        .filter(|t| {
            t.rule
                .is_some_and(|(_, _, r)| r.location() == rule.location())
        })
        .flat_map(|t| threshold::truth(t, set))
        .collect())
}

/// A review names when the alert fired, not how long it lasted: the episode
/// is the current rule's firing over the series that holds that time.
fn points_to_truth(rule: &Rule, set: &SeriesSet, points: &[Millis]) -> Vec<Truth> {
    let Some(located) = rule.threshold.located() else {
        return Vec::new();
    };
    let current: Vec<(Millis, Millis)> = set
        .series
        .iter()
        .flat_map(|s| {
            crate::advice::backtest::firings(
                s,
                &located.op,
                located.value,
                rule.for_ms.unwrap_or(0),
                rule.keep_firing_for_ms.unwrap_or(0),
                set.step_ms,
            )
        })
        .collect();
    points
        .iter()
        .map(|&at| {
            let end = current
                .iter()
                .find(|(s, e)| *s - set.step_ms <= at && at <= *e)
                .map_or(at, |(_, e)| *e);
            Truth {
                start: at,
                end,
                labels: Default::default(),
            }
        })
        .collect()
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

fn secs(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:+.0}s"))
}

fn row(c: &Candidate, mark: &str) -> String {
    format!(
        "{mark:<2}{:>12} {:>8} {:>8} {:>9.1} {:>9} {:>7} {:>10} {:>8}\n",
        crate::rules::threshold::format_value(c.threshold),
        format_duration((c.for_s * 1000.0).round() as Millis),
        c.firings,
        c.firings_per_week,
        pct(c.precision),
        pct(c.recall),
        secs(c.detection_s),
        secs(c.reset_s),
    )
}

fn render(rule: &Rule, bt: &Backtest) -> String {
    let mut out = format!(
        "{} ({}): {} actionable episodes, series step {}s\n\n  {:>12} {:>8} {:>8} {:>9} {:>9} {:>7} {:>10} {:>8}\n",
        rule.name,
        rule.location(),
        bt.actionable_episodes,
        bt.step_s,
        format!("{} T", bt.op),
        "for",
        "firings",
        "per week",
        "precision",
        "recall",
        "detection",
        "reset"
    );
    out.push_str(&row(&bt.current, "="));
    for c in bt
        .candidates
        .iter()
        .filter(|c| c.pareto || bt.chosen.as_ref() == Some(*c))
    {
        let chosen = bt.chosen.as_ref() == Some(c);
        out.push_str(&row(c, if chosen { "*" } else { " " }));
    }
    out.push_str("\n= the current setting; the others are the Pareto front; * the choice (best precision at full recall).\n");
    out
}

/// Runs `alertnoise backtest`.
pub fn run(args: &Args) -> Result<()> {
    let files = load_rule_files(&args.rules)?;
    for warning in crate::rules::duplicate_warnings(&files) {
        eprintln!("warning: {warning}");
    }
    // An SLO burn-rate alert compares two windows with one burn rate: it is
    // replayed by `alertnoise slo`, whose series --print-query gives.
    let all: Vec<&Rule> = files.iter().flat_map(|f| &f.rules).collect();
    let burn = crate::rules::burn_rate::recorded_selectors(&all, Some(&args.alert));
    if !burn.is_empty() {
        if !args.print_query {
            return Err(usage(format!(
                "`{}` is an SLO burn-rate alert (two windows at one burn rate): replay it with `alertnoise slo --rules … --metrics …` (its series: `alertnoise backtest --print-query` or `alertnoise slo --print-query`)",
                args.alert
            )));
        }
        return super::slo::print_selector_queries(&burn, &args.export, &args.rules);
    }
    let (_, _, rule) = find_rule(&files, &args.alert)?;
    if args.print_query {
        return print_query(args, rule);
    }
    let Some(path) = args.series.as_ref() else {
        return Err(usage("--series FILE is needed (or --print-query)".into()));
    };
    let set = load_series(path)?;
    let truth = truth(args, &args.rules, rule, &set)?;
    if truth.is_empty() {
        return Err(usage(format!(
            "no actionable episode of `{}` within the series' time range to score against (check the history, --reviews and the series' range)",
            rule.name
        )));
    }
    let mut steps = Vec::new();
    for s in &args.steps {
        steps.push(parse_duration(s).map_err(|e| usage(format!("--steps: {e}")))?);
    }
    let Some(located) = rule.threshold.located() else {
        return Err(usage(format!("{}: no threshold located", rule.location())));
    };
    let bt = threshold::run(
        &located.op,
        located.value,
        rule.for_ms.unwrap_or(0),
        rule.keep_firing_for_ms.unwrap_or(0),
        &set,
        &truth,
        &steps,
    );
    if args.json {
        let text = serde_json::to_string_pretty(&bt).map_err(|e| Error::Output {
            path: "standard output".into(),
            reason: e.to_string(),
        })?;
        return super::print_out(&(text + "\n"));
    }
    super::print_out(&render(rule, &bt))
}
