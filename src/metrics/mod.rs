//! Per-rule metrics from the episode table.
//!
//! One file per metric family; each implements [`MetricFamily`]: per-episode
//! columns, group aggregations, and the public columns derived from them. The
//! definitions are in `docs/metrics.md` (and DESIGN.md); this module only
//! orchestrates: window filter → per-episode facts → group by rule (× `--by`
//! label) → derived columns in the public order.

pub mod acknowledgement;
pub mod actionability;
pub mod duration;
pub mod flapping;
pub mod instances;
pub mod noise;
pub mod off_hours;
pub mod receivers;
pub mod responders;
pub mod silence_hygiene;
pub mod silencing;
pub mod stuck;
pub mod volume;

use crate::episodes::{self, EpisodeTable, LabelNames, Name, RankedTexts};
use crate::timefmt::Millis;
use off_hours::BusinessHours;
use polars::prelude::*;

/// The half-open analysis window [since, until), in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First instant inside the window.
    pub since: Millis,
    /// First instant after the window.
    pub until: Millis,
}

impl Window {
    /// Window length in days.
    pub fn days(&self) -> f64 {
        (self.until - self.since) as f64 / 86_400_000.0
    }
}

/// Everything the metrics depend on besides the episodes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The analysis window.
    pub window: Window,
    /// Resolved episodes shorter than this are "short" (`--short`).
    pub short_ms: Millis,
    /// An episode starting within this after the previous one of the same
    /// instance ended is a refire (`--flap-window`).
    pub flap_window_ms: Millis,
    /// Business hours for `off_hours_ratio` (`--tz`, `--business-hours`).
    pub business_hours: BusinessHours,
    /// Optional label to split rows by (`--by`).
    pub by: Option<String>,
}

/// Values the families' expressions need.
pub struct Context<'a> {
    /// The settings of this run.
    pub settings: &'a Settings,
}

/// One family of metrics.
pub trait MetricFamily {
    /// Per-episode columns, as expressions over the windowed episode frame
    /// (which already has `start_ms`, `dur_ms`, `resolved`, `refire`, `off_hours`).
    fn episode_columns(&self, _ctx: &Context) -> Vec<Expr> {
        Vec::new()
    }
    /// Aggregations per group; intermediate names start with `_`.
    fn aggregations(&self, ctx: &Context) -> Vec<Expr>;
    /// The public columns, computed from the aggregations.
    fn outputs(&self, ctx: &Context) -> Vec<Expr>;
}

/// The families, in the order their columns appear.
fn families() -> Vec<Box<dyn MetricFamily>> {
    vec![
        Box::new(volume::Volume),
        Box::new(duration::Duration),
        Box::new(flapping::Flapping),
        Box::new(acknowledgement::Acknowledgement),
        Box::new(actionability::Actionability),
        Box::new(off_hours::OffHours),
        Box::new(noise::Noise),
        Box::new(silencing::Silencing),
    ]
}

/// The public metric columns, in order (after `rule`, the `--by` label, `severity`, `current_for_s`).
pub const METRIC_COLUMNS: [&str; 19] = [
    "episodes",
    "episodes_per_day",
    "instances",
    "notifications",
    "firing_hours",
    "duration_p50_s",
    "duration_p90_s",
    "short_ratio",
    "refires",
    "flap_rate",
    "acked_ratio",
    "tta_p50_s",
    "tta_p90_s",
    "actionable_ratio",
    "actionable_coverage",
    "off_hours_ratio",
    "noisy_episodes",
    "noise_score",
    "silenced_ratio",
];

/// `num / den` as a float, null when `den` is zero.
pub fn ratio(num: Expr, den: Expr) -> Expr {
    when(den.clone().gt(lit(0)))
        .then(num.cast(DataType::Float64) / den.cast(DataType::Float64))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// Count of true values of a boolean expression, as an integer. (Summed
/// as booleans, which polars counts in 32-bit integers, then widened: a
/// 64-bit column of every episode first was 8 bytes an episode a count.)
pub fn count_true(e: Expr) -> Expr {
    e.sum().cast(DataType::Int64)
}

/// Linear-interpolated quantile of a millisecond column, in seconds.
pub fn quantile_s(values: Expr, q: f64) -> Expr {
    values
        .quantile(lit(q), QuantileMethod::Linear)
        .cast(DataType::Float64)
        / lit(1000.0)
}

/// The default window when neither `--since` nor `--until` is given: from
/// midnight UTC before the first start to midnight UTC after the last time in
/// the data (start or end), so windows are whole days.
pub fn default_window(
    starts: impl IntoIterator<Item = Millis>,
    ends: impl IntoIterator<Item = Millis>,
) -> Option<Window> {
    const DAY: Millis = 86_400_000;
    let mut starts = starts.into_iter();
    let start = starts.next()?;
    let (first, last) = starts.fold((start, start), |(first, last), s| {
        (first.min(s), last.max(s))
    });
    let last = ends.into_iter().fold(last, Millis::max);
    let since = first.div_euclid(DAY) * DAY;
    let until = (last.div_euclid(DAY) + 1) * DAY;
    Some(Window { since, until })
}

/// Whether an episode starts inside the window: since ≤ starts_at < until
/// (false for pending-only episodes, which have no start).
fn starts_in(w: Window) -> Expr {
    let start = col("starts_at").cast(DataType::Int64);
    start
        .clone()
        .gt_eq(lit(w.since))
        .and(start.lt(lit(w.until)))
        .fill_null(lit(false))
}

/// Whether every row of `frame` has a `starts_at` inside the window (no
/// pending-only episode, none before `since` or from `until` on).
fn every_start_inside(frame: &DataFrame, w: Window) -> bool {
    let Ok(starts) = frame
        .column("starts_at")
        .and_then(|c| c.as_materialized_series().cast(&DataType::Int64))
    else {
        return false;
    };
    let Ok(starts) = starts.i64() else {
        return false;
    };
    starts.null_count() == 0
        && starts.min().is_none_or(|first| first >= w.since)
        && starts.max().is_none_or(|last| last < w.until)
}

/// The canonical episode columns the metrics read; [`prepare`] gives them
/// only these (not the label sets, teams, services and other texts the
/// report's data files carry).
pub const EPISODE_COLUMNS: [&str; 7] = [
    "starts_at",
    "ends_at",
    "notifications",
    "acked_at",
    "ack_tracked",
    "silenced",
    "actionable",
];

/// The column the metrics group by for the rule: the table's code for each
/// row's rule (a number per row, not a text; [`compute`] gives the names).
pub const RULE_COLUMN: &str = "__rule";

/// The column of each row's severity as its rank among the severities in
/// string order (`episodes::ranked_severities`; [`compute`] gives the texts).
pub const SEVERITY_COLUMN: &str = "__severity";

/// The column that tells instances apart: the table's code for each row's
/// fingerprint (null where none), counted by `instances`. Its name cannot
/// be a label's: names starting with `__` are Prometheus' own.
pub const INSTANCE_COLUMN: &str = "__instance";

/// Whether the episode's verdict is the review meeting's (`actionable_source`
/// is `review`), a flag instead of the text.
pub const REVIEWED_COLUMN: &str = "__reviewed";

/// The column of the metrics' frame that flags an episode starting outside
/// business hours ([`off_hours::off_hours_flags`]).
pub const OFF_HOURS_COLUMN: &str = "off_hours";

/// The episodes as the metrics and the report's charts read them: the
/// [`EPISODE_COLUMNS`] of every row, the rule and instance codes, the
/// severity's rank (`severities`, from `episodes::ranked_severities`), whether the
/// verdict is a review's, the per-episode
/// facts that need a sequential scan or a time zone (`refire`,
/// `off_hours`) and, with `--by`, the label's column. Computed once per run
/// (`Analysis::facts`).
pub fn prepare(
    table: &EpisodeTable,
    names: &LabelNames,
    severities: &RankedTexts,
    settings: &Settings,
) -> PolarsResult<DataFrame> {
    let ((frame, refire), off) = rayon::join(
        || {
            rayon::join(
                || episodes::frame_of(table, names, &EPISODE_COLUMNS, 0..table.len()),
                || flapping::refire_flags(table, settings.flap_window_ms),
            )
        },
        || off_hours::off_hours_flags(table.starts().millis(), &settings.business_hours),
    );
    let mut frame = frame?;
    frame.with_column(code_column(RULE_COLUMN, table.rules().codes()))?;
    frame.with_column(severities.ranks.clone())?;
    frame.with_column(code_column(INSTANCE_COLUMN, table.fingerprints().codes()))?;
    let reviewed: Vec<bool> = (table.iter())
        .map(|e| e.actionable_source() == Some("review"))
        .collect();
    frame.with_column(Column::new(REVIEWED_COLUMN.into(), reviewed))?;
    frame.with_column(refire)?;
    frame.with_column(off)?;
    if let Some(label) = &settings.by {
        frame.with_column(episodes::label_column(table, label)?)?;
    }
    Ok(frame)
}

/// A column of a text column's codes (none: null).
fn code_column(name: &str, codes: &[u32]) -> Column {
    let codes = codes.iter().map(|&c| (c != 0).then_some(c));
    UInt32Chunked::from_iter_options(name.into(), codes).into_column()
}

/// The columns the metrics are grouped by: the rule's code, and the `--by`
/// label.
fn group_keys(settings: &Settings) -> Vec<Expr> {
    let mut keys = vec![col(RULE_COLUMN)];
    if let Some(label) = &settings.by {
        keys.push(col(label.as_str()));
    }
    keys
}

/// The episodes that start inside the window, with every family's
/// per-episode columns (`start_ms`, `dur_ms`, `resolved`, `short`,
/// `reviewed_not_actionable`, `noisy`, …).
fn windowed(frame: DataFrame, settings: &Settings) -> LazyFrame {
    let ctx = Context { settings };
    let w = settings.window;
    let start = col("starts_at").cast(DataType::Int64);
    let end = col("ends_at").cast(DataType::Int64);
    let clipped_end = when(end.clone().is_null().or(end.clone().gt(lit(w.until))))
        .then(lit(w.until))
        .otherwise(end.clone());
    // The whole table, when every episode starts inside the window (the
    // window the data gives, unless --since or --until cut it): a filter
    // would copy every column of every row first.
    let lf = match every_start_inside(&frame, w) {
        true => frame.lazy(),
        false => frame.lazy().filter(starts_in(w)),
    };
    let mut lf = lf.with_columns([
        start.clone().alias("start_ms"),
        (clipped_end - start).alias("dur_ms"),
        end.is_not_null().alias("resolved"),
    ]);
    let families = families();
    let episode_columns: Vec<Expr> = families
        .iter()
        .flat_map(|f| f.episode_columns(&ctx))
        .collect();
    if !episode_columns.is_empty() {
        lf = lf.with_columns(episode_columns);
    }
    lf
}

/// One row per episode that starts inside the window, with the facts the
/// metrics are made of, for charts: the group keys (the rule's code, the `--by`
/// label), `start_ms`, `dur_ms` (clipped at the window's end), `resolved`,
/// `short`, `refire`, `reviewed_not_actionable` and `noisy`, in the order
/// of the episode table (the charts only count them). `facts` is the frame
/// [`prepare`] made.
pub fn episode_facts(facts: &DataFrame, settings: &Settings) -> PolarsResult<DataFrame> {
    let frame = facts.clone();
    let mut select = group_keys(settings);
    select.extend(
        [
            "start_ms",
            "dur_ms",
            "resolved",
            "short",
            "refire",
            "reviewed_not_actionable",
            "noisy",
        ]
        .map(col),
    );
    windowed(frame, settings).select(select).collect()
}

/// Computes the per-rule metrics table from the frame [`prepare`] made;
/// `rules` are the table's rule names (a rule's code is 1 + its index),
/// `severities` the texts of the severity ranks.
pub fn compute(
    facts: &DataFrame,
    settings: &Settings,
    rules: &[Name],
    severities: &[String],
) -> PolarsResult<DataFrame> {
    let ctx = Context { settings };
    let frame = facts.clone();
    let keys = group_keys(settings);
    let severity = severity_per_group(&frame, &keys, settings.window)?;
    let families = families();
    let aggs: Vec<Expr> = families.iter().flat_map(|f| f.aggregations(&ctx)).collect();
    let outputs: Vec<Expr> = families.iter().flat_map(|f| f.outputs(&ctx)).collect();
    let mut select: Vec<Expr> = keys.clone();
    select.push(col(SEVERITY_COLUMN));
    select.push(lit(NULL).cast(DataType::Float64).alias("current_for_s"));
    select.extend(METRIC_COLUMNS.iter().map(|c| col(*c)));
    let key_names: Vec<PlSmallStr> = keys_names(settings);
    let mut metrics = windowed(frame, settings)
        .group_by(keys.clone())
        .agg(aggs)
        .with_columns(outputs)
        .join(
            severity,
            keys.clone(),
            keys.clone(),
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Left)
            },
        )
        .select(select)
        .collect()?;
    let names = rule_names(metrics.column(RULE_COLUMN)?, rules)?;
    metrics.replace_column(0, names)?;
    let severity = texts_of(metrics.column(SEVERITY_COLUMN)?, "severity", |rank| {
        severities.get(rank as usize).map(String::as_str)
    })?;
    metrics.replace_column(keys.len(), severity)?;
    metrics.sort(
        key_names,
        SortMultipleOptions::default().with_nulls_last(true),
    )
}

/// A rule's name by its code in the table's rule column (none for code 0).
pub fn rule_name(rules: &[Name], code: u32) -> Option<&str> {
    let index = (code as usize).checked_sub(1)?;
    rules.get(index).map(Name::as_str)
}

/// The `rule` column of a column of rule codes: each code's name.
pub fn rule_names(codes: &Column, rules: &[Name]) -> PolarsResult<Column> {
    texts_of(codes, "rule", |code| rule_name(rules, code))
}

/// A text column `name` of a column of numbers (codes, ranks): each
/// number's text (null where none).
fn texts_of<'t>(
    numbers: &Column,
    name: &str,
    text_of: impl Fn(u32) -> Option<&'t str>,
) -> PolarsResult<Column> {
    let texts: Vec<Option<&str>> = (numbers.u32()?.iter())
        .map(|n| n.and_then(&text_of))
        .collect();
    Ok(Column::new(name.into(), texts))
}

fn keys_names(settings: &Settings) -> Vec<PlSmallStr> {
    let mut names = vec![PlSmallStr::from("rule")];
    if let Some(label) = &settings.by {
        names.push(label.as_str().into());
    }
    names
}

/// The most common severity of each group's episodes in the window (ties: alphabetical).
/// (The severities are ranks in string order: the smallest rank is the
/// alphabetically first.)
fn severity_per_group(frame: &DataFrame, keys: &[Expr], w: Window) -> PolarsResult<LazyFrame> {
    let mut group: Vec<Expr> = keys.to_vec();
    group.push(col(SEVERITY_COLUMN));
    Ok(frame
        .clone()
        .lazy()
        .filter(starts_in(w).and(col(SEVERITY_COLUMN).is_not_null()))
        .group_by(group)
        .agg([len().alias("_n")])
        .sort_by_exprs(
            [col("_n"), col(SEVERITY_COLUMN)],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .group_by_stable(keys)
        .agg([col(SEVERITY_COLUMN).first()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter is skipped only when it would keep every row: no
    /// pending-only episode, none before `since`, none at or after `until`.
    #[test]
    fn every_start_inside_only_when_the_filter_keeps_every_row() {
        let w = Window {
            since: 1_000,
            until: 2_000,
        };
        let frame = |starts: &[Option<i64>]| {
            let column = Int64Chunked::from_slice_options("starts_at".into(), starts)
                .into_column()
                .cast(&DataType::Datetime(
                    TimeUnit::Milliseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap();
            DataFrame::new(starts.len(), vec![column]).unwrap()
        };
        assert!(every_start_inside(&frame(&[Some(1_000), Some(1_999)]), w));
        assert!(every_start_inside(&frame(&[]), w));
        assert!(!every_start_inside(&frame(&[Some(1_000), None]), w));
        assert!(!every_start_inside(&frame(&[Some(999), Some(1_500)]), w));
        assert!(!every_start_inside(&frame(&[Some(1_500), Some(2_000)]), w));
    }
}
