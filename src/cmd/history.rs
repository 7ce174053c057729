//! The arguments every subcommand that reads alert history shares (`report`,
//! `simulate`, `backtest`): inputs, rule files, reviews, window and settings.

use crate::analysis::Options;
use crate::episodes::LabelNames;
use crate::error::{Error, Result};
use crate::metrics::off_hours::BusinessHours;
use crate::sources::rule_name::RuleFrom;
use crate::timefmt::{parse_duration, parse_stamp, Millis, Stamp};
use chrono::TimeZone;
use std::path::PathBuf;

/// Inputs and the settings the numbers depend on.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Files, directories (read recursively) or `-` for stdin; `.gz` is read
    /// transparently (`report --prometheus` fetches them instead).
    pub inputs: Vec<PathBuf>,
    /// Prometheus rule files or directories of them (`groups:` files or PrometheusRule objects); repeatable.
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// The review meeting's verdicts (CSV).
    #[arg(long)]
    pub reviews: Option<PathBuf>,
    /// ALERT=FILE: a query_range answer of that rule's left-hand side, for threshold advice (repeatable; see `backtest --print-query`).
    #[arg(long, value_name = "ALERT=FILE")]
    pub series: Vec<String>,
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
    /// The candidate steps advice replays for `for:` and `keep_firing_for:`.
    #[arg(long, default_value = "1m,2m,5m,10m,15m,30m,1h", value_delimiter = ',')]
    pub steps: Vec<String>,
    /// Time zone for business hours and dates (IANA name).
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// Business hours, e.g. "Mon-Fri 09:00-18:00".
    #[arg(long, default_value = "Mon-Fri 09:00-18:00")]
    pub business_hours: String,
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
    /// A CSV export's column for a field (PagerDuty and Opsgenie CSV; see
    /// `alertnoise formats`), e.g. `--map "Incident Title=title"`. Repeatable.
    #[arg(long, value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// How incident tools' records name their rule: `title` (Alertmanager's
    /// `[FIRING:n] Name …` titles, else the normalised title),
    /// `field:NAME` (a CSV column or dotted JSON path) or `regex:PATTERN`
    /// (its `rule` group, else group 1, in the title).
    #[arg(long, value_name = "SPEC", default_value = "title")]
    pub rule_from: String,
    /// Alertmanager's configuration (`alertmanager.yml`, or a saved
    /// `/api/v2/status` answer): every episode is routed through its tree,
    /// giving the receivers column and the report's Receivers section.
    #[arg(long, value_name = "FILE")]
    pub alertmanager_config: Option<PathBuf>,
    /// A receiver that pages someone although it has no PagerDuty,
    /// Opsgenie, VictorOps or incident.io integration. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub paging_receiver: Vec<String>,
    /// An episode firing longer than this is stuck (the report's Stuck
    /// alerts section).
    #[arg(long, default_value = "3d")]
    pub stuck: String,
    /// Sleep hours in each responder's time zone, for the responder load
    /// (PagerDuty's Operational Reviews: 22:00-08:00).
    #[arg(long, value_name = "HH:MM-HH:MM", default_value = "22:00-08:00")]
    pub sleep_hours: String,
    /// A responder's own time zone (else --tz), e.g. `"Mei Chen=Asia/Singapore"`.
    /// Repeatable.
    #[arg(long, value_name = "NAME=ZONE")]
    pub responder_tz: Vec<String>,
}

fn usage(e: String) -> Error {
    Error::Usage(e)
}

/// Reads a window bound: RFC 3339, epoch, or a date at midnight in `tz`.
pub fn parse_bound(flag: &str, text: &str, tz: chrono_tz::Tz) -> Result<Millis> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
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

/// Reads `--map COLUMN=FIELD` pairs; the field must be one a CSV format reads.
pub fn parse_map(pairs: &[String]) -> Result<Vec<(String, String)>> {
    let known: std::collections::BTreeSet<&str> = crate::sources::pagerduty_csv::FIELDS
        .iter()
        .chain(crate::sources::opsgenie_csv::FIELDS)
        .map(|f| f.name)
        .collect();
    pairs
        .iter()
        .map(|pair| {
            let (column, field) = pair
                .rsplit_once('=')
                .filter(|(c, f)| !c.trim().is_empty() && !f.trim().is_empty())
                .ok_or_else(|| usage(format!("--map: `{pair}` is not COLUMN=FIELD")))?;
            let field = field.trim();
            if !known.contains(field) {
                return Err(usage(format!(
                    "--map {pair}: `{field}` is not a field (known: {})",
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                )));
            }
            Ok((column.trim().to_string(), field.to_string()))
        })
        .collect()
}

/// Checks a `--by` label against the report's own column names.
pub fn check_by(by: Option<String>) -> Result<Option<String>> {
    if let Some(by) = &by {
        let reserved = ["rule", "severity", "current_for_s"];
        if reserved.contains(&by.as_str()) || crate::metrics::METRIC_COLUMNS.contains(&by.as_str())
        {
            return Err(usage(format!(
                "--by: `{by}` is the name of a report column; it cannot be a label here"
            )));
        }
    }
    Ok(by)
}

impl HistoryArgs {
    /// Turns the command line into pipeline options.
    pub fn options(&self) -> Result<Options> {
        if self.inputs.is_empty() {
            return Err(usage(
                "no inputs: give files or directories of alert history (or `report --prometheus URL`)".into(),
            ));
        }
        let tz: chrono_tz::Tz = self.tz.parse().map_err(|_| {
            usage(format!(
                "--tz: `{}` is not an IANA time zone (e.g. Europe/Berlin)",
                self.tz
            ))
        })?;
        let business_hours = BusinessHours::parse(&self.business_hours, tz)
            .map_err(|e| usage(format!("--business-hours: {e}")))?;
        let short_ms = parse_duration(&self.short).map_err(|e| usage(format!("--short: {e}")))?;
        let flap_window_ms =
            parse_duration(&self.flap_window).map_err(|e| usage(format!("--flap-window: {e}")))?;
        let mut steps_ms = self
            .steps
            .iter()
            .map(|s| parse_duration(s).map_err(|e| usage(format!("--steps: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        steps_ms.sort_unstable();
        steps_ms.dedup();
        if steps_ms.first().is_some_and(|s| *s <= 0) {
            return Err(usage("--steps: every step must be longer than 0s".into()));
        }
        let series = self
            .series
            .iter()
            .map(|s| match s.split_once('=') {
                Some((name, file)) if !name.is_empty() && !file.is_empty() => {
                    Ok((name.to_string(), PathBuf::from(file)))
                }
                _ => Err(usage(format!("--series: `{s}` is not ALERT=FILE"))),
            })
            .collect::<Result<Vec<_>>>()?;
        let map = parse_map(&self.map)?;
        let rule_from = RuleFrom::parse(&self.rule_from).map_err(usage)?;
        Ok(Options {
            inputs: self.inputs.clone(),
            map,
            rule_from,
            series,
            alertmanager_config: self.alertmanager_config.clone(),
            paging_receivers: self.paging_receiver.clone(),
            sleep_hours: crate::metrics::responders::SleepHours::parse(&self.sleep_hours)
                .map_err(|e| usage(format!("--sleep-hours: {e}")))?,
            responder_zones: self
                .responder_tz
                .iter()
                .map(|pair| {
                    let (name, zone) = pair
                        .rsplit_once('=')
                        .filter(|(n, z)| !n.trim().is_empty() && !z.trim().is_empty())
                        .ok_or_else(|| usage(format!("--responder-tz: `{pair}` is not NAME=ZONE")))?;
                    let tz: chrono_tz::Tz = zone.trim().parse().map_err(|_| {
                        usage(format!("--responder-tz: `{zone}` is not an IANA time zone (e.g. Europe/Berlin)"))
                    })?;
                    Ok((name.trim().to_string(), tz))
                })
                .collect::<Result<_>>()?,
            stuck_ms: match parse_duration(&self.stuck) {
                Ok(ms) if ms > 0 => ms,
                Ok(_) => return Err(usage("--stuck: must be longer than 0s".into())),
                Err(e) => return Err(usage(format!("--stuck: {e}"))),
            },
            format: self.format.clone(),
            rules: self.rules.clone(),
            reviews: self.reviews.clone(),
            since: self
                .since
                .as_deref()
                .map(|s| parse_bound("--since", s, tz))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|s| parse_bound("--until", s, tz))
                .transpose()?,
            short_ms,
            flap_window_ms,
            steps_ms,
            business_hours,
            business_hours_text: self.business_hours.clone(),
            by: None,
            label_names: LabelNames {
                severity: self.severity_label.clone(),
                team: self.team_label.clone(),
                service: self.service_label.clone(),
            },
            strict: self.strict,
        })
    }
}
