//! The pipeline from inputs to per-rule metrics, shared by the subcommands:
//! read sources → merge episodes → apply review verdicts and the proxy →
//! the metrics' frame of the episode table → compute metrics.

use crate::advice::{self, inventory::AdviceReport};
use crate::episodes::{self, Episode, EpisodeTable, LabelNames};
use crate::error::{Error, Result};
use crate::metrics::receivers::ReceiversReport;
use crate::metrics::{self, off_hours::BusinessHours, Settings, Window};
use crate::problem::{Problem, Severity};
use crate::report::rows::{self, Row};
use crate::report::summary::{self, Counts, InputInfo, ProblemsInfo, ReviewsInfo, Summary};
use crate::routing::{routed::route_table, AlertmanagerConfig, Routed};
use crate::rules::RuleFile;
use crate::sources::rule_name::RuleFrom;
use crate::sources::ReadContext;
use crate::timefmt::{format_duration, format_millis, Millis};
use crate::timings::stage;
use polars::prelude::{DataFrame, PolarsResult};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the user asked for, already parsed.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files, directories and `-`.
    pub inputs: Vec<PathBuf>,
    /// Force a format instead of detecting it.
    pub format: Option<String>,
    /// Prometheus rule files and directories (`--rules`).
    pub rules: Vec<PathBuf>,
    /// The review meeting's verdicts.
    pub reviews: Option<PathBuf>,
    /// Metric series of rules' left-hand sides (`--series NAME=FILE`), for threshold advice.
    pub series: Vec<(String, PathBuf)>,
    /// Window start, if given.
    pub since: Option<Millis>,
    /// Window end, if given.
    pub until: Option<Millis>,
    /// `--short`.
    pub short_ms: Millis,
    /// `--flap-window`.
    pub flap_window_ms: Millis,
    /// `--steps`: candidate `for:`/`keep_firing_for:` steps for advice.
    pub steps_ms: Vec<Millis>,
    /// Business hours and time zone.
    pub business_hours: BusinessHours,
    /// The `--business-hours` text, for the report.
    pub business_hours_text: String,
    /// `--by`.
    pub by: Option<String>,
    /// Which labels hold severity, team, service.
    pub label_names: LabelNames,
    /// Stop at the first unreadable record.
    pub strict: bool,
    /// `--map COLUMN=FIELD` for CSV exports.
    pub map: Vec<(String, String)>,
    /// `--rule-from`.
    pub rule_from: RuleFrom,
    /// `--alertmanager-config`: the routing tree every episode is routed through.
    pub alertmanager_config: Option<PathBuf>,
    /// `--paging-receiver`: receivers that page besides those with a
    /// paging integration.
    pub paging_receivers: Vec<String>,
    /// `--stuck`: episodes firing longer than this are stuck.
    pub stuck_ms: Millis,
    /// `--sleep-hours`.
    pub sleep_hours: metrics::responders::SleepHours,
    /// `--responder-tz`: responders' own time zones.
    pub responder_zones: BTreeMap<String, chrono_tz::Tz>,
}

impl Options {
    /// The command line's defaults (`--short 5m`, `--flap-window 15m`, the
    /// default `--steps`, Mon–Fri 09:00–18:00 UTC) for these inputs.
    pub fn new(inputs: Vec<PathBuf>) -> Options {
        Options {
            inputs,
            format: None,
            rules: Vec::new(),
            reviews: None,
            series: Vec::new(),
            since: None,
            until: None,
            short_ms: 300_000,
            flap_window_ms: 900_000,
            steps_ms: advice::DEFAULT_STEPS_MS.to_vec(),
            business_hours: BusinessHours::default(),
            business_hours_text: "Mon-Fri 09:00-18:00".into(),
            by: None,
            label_names: LabelNames::default(),
            strict: false,
            map: Vec::new(),
            rule_from: RuleFrom::Title,
            alertmanager_config: None,
            paging_receivers: Vec::new(),
            stuck_ms: metrics::stuck::DEFAULT_STUCK_MS,
            sleep_hours: metrics::responders::SleepHours::default(),
            responder_zones: BTreeMap::new(),
        }
    }
}

/// Everything a report is made of.
pub struct Analysis {
    /// The episodes with the facts the metrics and charts read
    /// (`metrics::prepare`): the columns they read, refire and off-hours
    /// flags, the `--by` label.
    pub facts: DataFrame,
    /// The canonical episode table (shared with what reads it beside the
    /// metrics: `report`'s `episodes.parquet`).
    pub episode_table: std::sync::Arc<EpisodeTable>,
    /// Which labels carry severity, team and service.
    pub label_names: LabelNames,
    /// The table as rows, made by [`Analysis::episode_rows`] when asked.
    rows: std::sync::OnceLock<Vec<Episode>>,
    /// Per-rule metrics.
    pub metrics: DataFrame,
    /// The metrics as rows.
    pub rules: Vec<Row>,
    /// The summary.
    pub summary: Summary,
    /// Every problem.
    pub problems: Vec<Problem>,
    /// The analysis window.
    pub window: Window,
    /// The settings the metrics were computed with.
    pub settings: Settings,
    /// The rule files given with `--rules` (or fetched with the history).
    pub rule_files: Vec<RuleFile>,
    /// The servers the rule files were fetched from, when they came with a
    /// fetched history (`fetch.json`) instead of `--rules`.
    pub rules_fetched_from: Vec<String>,
    /// Metric series of rules' left-hand sides (`--series`), by alert name.
    pub series: BTreeMap<String, advice::backtest::SeriesSet>,
    /// With `--alertmanager-config`: the configuration and where the
    /// history's label sets were routed.
    pub routing: Option<(AlertmanagerConfig, Routed)>,
    /// With `--alertmanager-config`: the Receivers section's figures.
    pub receivers: Option<ReceiversReport>,
    /// The noisiest instances of each noisy rule.
    pub instances: Vec<metrics::instances::RuleInstances>,
    /// Episodes firing longer than `--stuck`, and rules that never resolve.
    pub stuck: metrics::stuck::StuckReport,
    /// The pages people received, and who carried the load.
    pub responders: metrics::responders::RespondersReport,
    /// Where silences were read: their hygiene.
    pub silences: Option<metrics::silence_hygiene::SilenceHygiene>,
}

fn fail_if_strict(strict: bool, problems: &[Problem]) -> Result<()> {
    if let Some(p) = problems
        .iter()
        .find(|p| strict && p.severity == Severity::Skipped)
    {
        return Err(Error::BadInput(p.clone()));
    }
    Ok(())
}

/// Runs the pipeline.
pub fn analyze(options: &Options) -> Result<Analysis> {
    measure(options, gather(options)?)
}

/// The episode table as the inputs, the review verdicts and the routing
/// made it, with what the rest of the pipeline needs of the reading
/// ([`gather`]'s result, which [`measure`] takes): the table is final here,
/// so `report` writes `episodes.parquet` from it while the metrics and the
/// advice are made.
pub struct Gathered {
    /// The canonical episode table, shared with whatever reads it beside
    /// the metrics.
    pub episode_table: std::sync::Arc<EpisodeTable>,
    /// The analysis window (`--since`/`--until`, else the data's).
    window: Window,
    rule_files: Vec<RuleFile>,
    rules_fetched_from: Vec<String>,
    config: Option<AlertmanagerConfig>,
    routed: Option<Routed>,
    series: BTreeMap<String, advice::backtest::SeriesSet>,
    files: usize,
    inputs: Vec<InputInfo>,
    joins: crate::sources::assemble::Joins,
    problems: Vec<Problem>,
    pages: Vec<crate::sources::pages::Page>,
    silence_uses: Vec<crate::sources::assemble::SilenceUse>,
    reviews_info: Option<ReviewsInfo>,
}

/// Reads the inputs into the final episode table: the sources, the
/// merge into episodes, review verdicts and the proxy, the routing.
pub fn gather(options: &Options) -> Result<Gathered> {
    // A fetched directory's rule files are the server's rules: used as
    // `--rules` (unless rule files are given), and not read as history.
    let fetched = crate::fetch::manifest::fetched_dirs(&options.inputs)?;
    let from_server =
        options.rules.is_empty() && fetched.iter().any(|f| !f.manifest.rule_files.is_empty());
    let rule_paths: Vec<PathBuf> = if from_server {
        fetched.iter().flat_map(|f| f.rule_paths()).collect()
    } else {
        options.rules.clone()
    };
    let rules_fetched_from: Vec<String> = (fetched.iter())
        .filter(|f| from_server && !f.manifest.rule_files.is_empty())
        .map(|f| f.manifest.url.clone())
        .collect();
    let rule_files = crate::rules::load_rule_files(&rule_paths)?;
    let config = load_alertmanager_config(options)?;
    let mut series = BTreeMap::new();
    for (name, path) in &options.series {
        series.insert(name.clone(), advice::backtest::load_series(path)?);
    }
    let files: Vec<PathBuf> = crate::sources::expand_inputs(&options.inputs)?
        .into_iter()
        .filter(|path| !fetched.iter().any(|f| f.is_not_history(path)))
        .collect();
    if files.is_empty() {
        return Err(Error::Usage(
            "no input files (the directories given are empty)".into(),
        ));
    }
    let context = ReadContext {
        tz: options.business_hours.tz,
        map: options.map.clone(),
        rule_from: options.rule_from.clone(),
        history_ends: (fetched.iter())
            .filter_map(|f| Some((f.dir.clone(), f.history_end()?)))
            .collect(),
    };
    let read = stage("read inputs", || {
        crate::sources::read_all(&files, options.format.as_deref(), &context)
    })?;
    let assembled = stage("assemble episodes", || {
        crate::sources::assemble::assemble_routed(read.output, config.as_ref())
    });
    let mut problems = assembled.problems;
    let pages = assembled.pages;
    let silence_uses = assembled.silences;
    // Rules Prometheus loads are never refused; what is doubtful is said.
    problems.extend(crate::rules::duplicate_warnings(&rule_files));
    fail_if_strict(options.strict, &problems)?;
    let mut table = assembled.episodes;
    if table.starts().iter().all(|s| s.is_none()) {
        let first = problems
            .first()
            .map(|p| format!("; first problem: {p}"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "no alert episodes could be read from the inputs ({} problems{first})",
            problems.len()
        )));
    }
    let mut reviews_info = None;
    if let Some(path) = &options.reviews {
        let reviews = crate::reviews::read(path);
        fail_if_strict(options.strict, &reviews.problems)?;
        problems.extend(reviews.problems.iter().cloned());
        problems.extend(crate::reviews::apply(&reviews, &mut table));
        reviews_info = Some(ReviewsInfo {
            file: reviews.file.clone(),
            verdicts: reviews.verdicts.len(),
        });
    }
    stage("proxy verdicts", || crate::reviews::apply_proxy(&mut table));
    stage("share times", || table.share_times());
    let routed = config.as_ref().map(|config| {
        let routed = stage("routing", || route_table(config, &table));
        table.set_receivers(routed.receivers.clone());
        routed
    });
    // Read from the columns (copies of them were 16 bytes an episode of
    // fresh memory).
    let data_window = metrics::default_window(
        table.starts().iter().flatten(),
        table.ends().iter().flatten(),
    )
    .ok_or_else(|| Error::Usage("no fired episodes in the inputs".into()))?;
    let window = Window {
        since: options.since.unwrap_or(data_window.since),
        until: options.until.unwrap_or(data_window.until),
    };
    if window.until <= window.since {
        return Err(Error::Usage(format!(
            "the window is empty: --until {} is not after --since {}",
            format_millis(window.until),
            format_millis(window.since)
        )));
    }
    Ok(Gathered {
        episode_table: std::sync::Arc::new(table),
        window,
        rule_files,
        rules_fetched_from,
        config,
        routed,
        series,
        files: files.len(),
        inputs: (read.inputs.iter())
            .map(|(file, format)| InputInfo {
                file: file.clone(),
                format: format.map(str::to_string),
            })
            .collect(),
        joins: assembled.joins,
        problems,
        pages,
        silence_uses,
        reviews_info,
    })
}

/// The metrics, the reviewer's lists and the summary of a gathered
/// history.
pub fn measure(options: &Options, gathered: Gathered) -> Result<Analysis> {
    let measured = gathered.measure(options)?;
    Ok(gathered.into_analysis(options, measured))
}

/// What the metrics make of a gathered history ([`Gathered::measure`]),
/// before [`Gathered::into_analysis`] puts it and the history together.
pub struct Measured {
    /// The settings the metrics were computed with.
    pub settings: Settings,
    /// The episodes' facts the metrics and the charts read
    /// (`metrics::prepare`); the report lets it go once the charts have
    /// their sums.
    pub facts: DataFrame,
    metrics: DataFrame,
    rules: Vec<Row>,
    instances: Vec<metrics::instances::RuleInstances>,
    stuck: metrics::stuck::StuckReport,
    responders: metrics::responders::RespondersReport,
    silences: Option<metrics::silence_hygiene::SilenceHygiene>,
    receivers: Option<ReceiversReport>,
    counts: Counts,
}

impl Gathered {
    /// Whether rule files were given (or fetched with the history): the
    /// advice then joins them to the history.
    pub fn has_rule_files(&self) -> bool {
        !self.rule_files.is_empty()
    }

    /// The metrics, the reviewer's lists and the counts of this history.
    /// They only read it, so the advice ([`Gathered::advice`]) and
    /// `episodes.parquet` can be made beside them.
    pub fn measure(&self, options: &Options) -> Result<Measured> {
        let (table, window) = (&self.episode_table, self.window);
        let settings = Settings {
            window,
            short_ms: options.short_ms,
            flap_window_ms: options.flap_window_ms,
            business_hours: options.business_hours.clone(),
            by: options.by.clone(),
        };
        let severities = stage("severities", || {
            episodes::ranked_severities(table, &options.label_names, metrics::SEVERITY_COLUMN)
        });
        let facts = stage("episode facts", || {
            metrics::prepare(table, &options.label_names, &severities, &settings)
        })?;
        let metrics_frame = stage("metrics", || {
            metrics::compute(&facts, &settings, table.rules().values(), &severities.texts)
        })?;
        let mut rules = stage("rows", || rows::frame_to_rows(&metrics_frame))?;
        let instances = stage("instances", || {
            metrics::instances::noisiest(&facts, &settings, table)
        })?;
        let stuck = stage("stuck", || {
            metrics::stuck::stuck(table, &window, options.stuck_ms)
        });
        let responders = stage("responders", || {
            let settings = metrics::responders::ResponderSettings {
                business_hours: options.business_hours.clone(),
                business_hours_text: options.business_hours_text.clone(),
                sleep: options.sleep_hours,
                zones: options.responder_zones.clone(),
            };
            metrics::responders::responders(&self.pages, &window, &settings)
        });
        let silences = metrics::silence_hygiene::hygiene(&self.silence_uses, &window);
        advice::inventory::fill_current_for(&mut rules, &self.rule_files);
        let counts = stage("counts", || {
            count(table, &rules, &settings, &facts, &severities, self.files)
        })?;
        drop(severities);
        let receivers = (self.config.as_ref().zip(self.routed.as_ref())).map(|(config, routed)| {
            stage("receivers", || {
                metrics::receivers::compute(
                    table,
                    &options.label_names,
                    &window,
                    config,
                    routed,
                    &options.paging_receivers,
                )
            })
        });
        Ok(Measured {
            settings,
            facts,
            metrics: metrics_frame,
            rules,
            instances,
            stuck,
            responders,
            silences,
            receivers,
            counts,
        })
    }

    /// The advice on this history: it reads the rule files and the episode
    /// table, nothing the metrics make, so `report` may make it beside them.
    pub fn advice(&self, options: &Options) -> AdviceReport {
        let (files, table, window) = (&self.rule_files, &self.episode_table, self.window);
        stage("advice", || {
            AdviceReport::build(&advice::Context {
                files,
                targets: advice::targets(files, table, window, &options.label_names),
                window,
                short_ms: options.short_ms,
                flap_window_ms: options.flap_window_ms,
                steps_ms: options.steps_ms.clone(),
                label_names: &options.label_names,
                series: &self.series,
                episodes: table,
                routing: self.config.as_ref(),
                paging_receivers: &options.paging_receivers,
            })
        })
    }

    /// The analysis of this history with what its metrics made: the
    /// summary, and the history's parts the report and the advice read.
    pub fn into_analysis(self, options: &Options, measured: Measured) -> Analysis {
        let window = self.window;
        let summary = Summary {
            schema_version: crate::report::SCHEMA_VERSION,
            tool: format!("alertnoise {}", env!("CARGO_PKG_VERSION")),
            window: summary::WindowInfo {
                since: format_millis(window.since),
                until: format_millis(window.until),
                days: rows::round(window.days()),
                from_data: options.since.is_none() && options.until.is_none(),
            },
            settings: summary::SettingsInfo {
                short: format_duration(options.short_ms),
                flap_window: format_duration(options.flap_window_ms),
                tz: options.business_hours.tz.name().to_string(),
                business_hours: options.business_hours_text.clone(),
                by: options.by.clone(),
            },
            inputs: self.inputs,
            reviews: self.reviews_info,
            counts: measured.counts,
            rule_files: None,
            joins: self.joins,
            problems: ProblemsInfo::from(&self.problems),
        };
        Analysis {
            facts: measured.facts,
            episode_table: self.episode_table,
            label_names: options.label_names.clone(),
            rows: std::sync::OnceLock::new(),
            metrics: measured.metrics,
            rules: measured.rules,
            summary,
            problems: self.problems,
            window,
            settings: measured.settings,
            rule_files: self.rule_files,
            rules_fetched_from: self.rules_fetched_from,
            series: self.series,
            routing: self.config.zip(self.routed),
            receivers: measured.receivers,
            instances: measured.instances,
            stuck: measured.stuck,
            responders: measured.responders,
            silences: measured.silences,
        }
    }
}

/// `--alertmanager-config`, read before the history (a mistake in it
/// stops the run at once), with `--paging-receiver` checked against it.
fn load_alertmanager_config(options: &Options) -> Result<Option<AlertmanagerConfig>> {
    let Some(path) = &options.alertmanager_config else {
        if !options.paging_receivers.is_empty() {
            return Err(Error::Usage(
                "--paging-receiver names a receiver of --alertmanager-config: give that too".into(),
            ));
        }
        return Ok(None);
    };
    let config = AlertmanagerConfig::load(path)?;
    for name in &options.paging_receivers {
        if config.receiver(name).is_none() {
            let known: Vec<&str> = config.receivers.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "--paging-receiver: {} has no receiver `{name}` (it has: {})",
                config.name,
                known.join(", ")
            )));
        }
    }
    Ok(Some(config))
}

impl Analysis {
    /// Counts the join of rule files to history (from the advice's
    /// inventory) into the summary.
    pub fn count_rule_files(&mut self, report: &AdviceReport) {
        self.summary.rule_files = (!self.rule_files.is_empty()).then(|| {
            let mut info = report.summary(&self.rule_files);
            info.fetched_from = self.rules_fetched_from.clone();
            info
        });
    }

    /// The advice targets (every alerting rule with its episodes in the window,
    /// then every alert name no rule defines), for `simulate` and `backtest`.
    pub fn targets(&self, names: &LabelNames) -> Vec<advice::Target<'_>> {
        advice::targets(&self.rule_files, &self.episode_table, self.window, names)
    }

    /// The canonical episode frame (every column of `episodes::COLUMNS`,
    /// what `episodes.parquet` holds), made on each call: for tests and
    /// tools that want the frame, never for the pipeline.
    pub fn episode_frame(&self) -> PolarsResult<DataFrame> {
        episodes::to_frame(&self.episode_table, &self.label_names)
    }

    /// The episode table as rows (see `EpisodeTable::to_rows`), made on the
    /// first call: for tests and tools that want rows, never for the pipeline.
    pub fn episode_rows(&self) -> &[Episode] {
        self.rows.get_or_init(|| self.episode_table.to_rows())
    }
}

fn count(
    episodes: &EpisodeTable,
    rules: &[Row],
    settings: &Settings,
    facts: &DataFrame,
    severities: &episodes::RankedTexts,
    files: usize,
) -> PolarsResult<Counts> {
    let w = settings.window;
    let mut counts = Counts {
        files,
        episodes_total: episodes.len(),
        rules: rules
            .iter()
            .filter_map(|r| rows::text(r, "rule"))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        ..Counts::default()
    };
    let sum = |key: &str| rules.iter().filter_map(|r| rows::num(r, key)).sum::<f64>() as u64;
    counts.episodes = sum("episodes");
    counts.notifications = sum("notifications");
    counts.noisy_episodes = sum("noisy_episodes");
    // The severity column's ranks and the metrics' off-hours flags, read
    // as the metrics read them.
    let critical: Vec<bool> = (severities.texts.iter())
        .map(|s| s.eq_ignore_ascii_case("critical"))
        .collect();
    let ranks = severities.ranks.u32()?;
    let off_hours = facts.column(metrics::OFF_HOURS_COLUMN)?.bool()?;
    let rows = (episodes.starts().iter())
        .zip(ranks.iter())
        .zip(off_hours.iter())
        .zip(episodes.iter());
    for (((start, rank), off_hours), e) in rows {
        if !start.is_some_and(|s| s >= w.since && s < w.until) {
            continue;
        }
        let critical = rank.is_some_and(|r| critical[r as usize]);
        if critical && off_hours == Some(true) {
            counts.critical_off_hours += 1;
        }
        match e.actionable_source() {
            Some("review") => counts.actionable_from_review += 1,
            Some(_) => counts.actionable_from_proxy += 1,
            None => counts.actionable_unknown += 1,
        }
    }
    Ok(counts)
}
