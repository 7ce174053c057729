//! `alertnoise simulate`: replay one rule's history under another `for:` or
//! `keep_firing_for:` and print what would have changed.
//!
//! Usage: `alertnoise simulate --alert NAME [--for D] [--keep-firing-for D]
//! [--rules FILE|DIR]... [--reviews FILE] [--json] INPUT...`
//!
//! Without `--rules` the current `for:` is taken from the history where it
//! records pending times (Prometheus `ALERTS`), else assumed to be 0s.

use super::history::HistoryArgs;
use crate::advice::simulate::{self, Effect, Setting};
use crate::analysis;
use crate::error::{Error, Result};
use crate::timefmt::{format_duration, parse_duration};
use serde::Serialize;

/// Arguments of `alertnoise simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The alert rule (alertname) to replay.
    #[arg(long)]
    pub alert: String,
    /// The `for:` to replay with (default: the current one).
    #[arg(long = "for")]
    pub for_: Option<String>,
    /// The `keep_firing_for:` to replay with (default: the current one).
    #[arg(long)]
    pub keep_firing_for: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The alert history to read.
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// The result for one rule, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Simulation {
    /// The alert name.
    pub rule: String,
    /// `file:line` of the rule, when rule files were given.
    pub location: Option<String>,
    /// The settings the history ran under.
    pub current: Setting,
    /// The settings replayed.
    pub new: Setting,
    /// What changes.
    pub effect: Effect,
}

fn duration(flag: &str, text: &Option<String>) -> Result<Option<i64>> {
    text.as_deref()
        .map(|t| parse_duration(t).map_err(|e| Error::Usage(format!("{flag}: {e}"))))
        .transpose()
}

/// Runs `alertnoise simulate`.
pub fn run(args: &Args) -> Result<()> {
    let for_ms = duration("--for", &args.for_)?;
    let keep_ms = duration("--keep-firing-for", &args.keep_firing_for)?;
    if for_ms.is_none() && keep_ms.is_none() {
        return Err(Error::Usage(
            "give --for and/or --keep-firing-for: the settings to replay".into(),
        ));
    }
    let options = args.history.options()?;
    let analysis = analysis::analyze(&options)?;
    let targets = analysis.targets(&options.label_names);
    let chosen: Vec<_> = targets.iter().filter(|t| t.name == args.alert).collect();
    if chosen.is_empty() {
        let mut names: Vec<&str> = targets.iter().map(|t| t.name).collect();
        names.dedup();
        return Err(Error::Usage(format!(
            "--alert {}: no rule or episode of that name in the window (there are: {})",
            args.alert,
            names.join(", ")
        )));
    }
    let mut results = Vec::new();
    for target in chosen {
        let new = Setting {
            for_ms: for_ms.unwrap_or(target.current.for_ms),
            keep_firing_for_ms: keep_ms.unwrap_or(target.current.keep_firing_for_ms),
        };
        let (effect, _) = simulate::effect(
            &target.episodes,
            target.current,
            new,
            analysis.window.until,
            options.short_ms,
            options.flap_window_ms,
        );
        results.push(Simulation {
            rule: target.name.to_string(),
            location: target.location(),
            current: target.current,
            new,
            effect,
        });
    }
    if args.json {
        let text = serde_json::to_string_pretty(&results).map_err(|e| Error::Output {
            path: "standard output".into(),
            reason: e.to_string(),
        })?;
        return super::print_out(&(text + "\n"));
    }
    let mut out = String::new();
    for s in &results {
        out.push_str(&render(
            s,
            &analysis.summary.window.since,
            &analysis.summary.window.until,
        ));
    }
    super::print_out(&out)
}

fn render(s: &Simulation, since: &str, until: &str) -> String {
    let e = &s.effect;
    let mut out = format!(
        "{}{} from {} to {}\n  for: {} -> {}, keep_firing_for: {} -> {}\n\n",
        s.rule,
        s.location
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default(),
        since,
        until,
        format_duration(s.current.for_ms),
        format_duration(s.new.for_ms),
        format_duration(s.current.keep_firing_for_ms),
        format_duration(s.new.keep_firing_for_ms),
    );
    let rows: Vec<(&str, String, String)> = vec![
        (
            "episodes",
            e.episodes_before.to_string(),
            e.episodes_after.to_string(),
        ),
        (
            "notifications",
            e.notifications_before.to_string(),
            e.notifications_after.to_string(),
        ),
        (
            "refires",
            e.refires_before.to_string(),
            e.refires_after.to_string(),
        ),
        (
            "short episodes still firing",
            e.short_before.to_string(),
            (e.short_before - e.short_removed).to_string(),
        ),
        (
            "actionable episodes lost",
            String::new(),
            e.actionable_lost
                .map_or("unknown (no verdicts)".into(), |n| n.to_string()),
        ),
        (
            "unreviewed episodes lost",
            String::new(),
            e.unknown_lost.to_string(),
        ),
        (
            "pending-only episodes now firing",
            String::new(),
            e.episodes_added.to_string(),
        ),
        (
            "detection delay added (s)",
            String::new(),
            format!("{}", e.delay_added_s),
        ),
        (
            "resolution delay added (s)",
            String::new(),
            format!("{}", e.resolve_delay_added_s),
        ),
    ];
    out.push_str(&format!("  {:<34} {:>8} {:>8}\n", "", "before", "after"));
    for (name, before, after) in rows {
        out.push_str(&format!("  {name:<34} {before:>8} {after:>8}\n"));
    }
    out.push('\n');
    out
}
