//! `alertnoise fetch SYSTEM`: get the history from a live system into a
//! directory that `alertnoise report DIR` reads.
//!
//! ```text
//! alertnoise fetch prometheus --url http://prometheus:9090 --since 7d --out fetched/
//! alertnoise report fetched/ --out reports/week
//! ```
//!
//! Nothing is written to `--out` unless the fetch succeeds: files go to a
//! temporary sibling first. `--http.config.file` takes Prometheus'
//! `http_config` YAML, as promtool and amtool do.

use crate::error::{Error, Result};
use crate::fetch::client::{Client, Patience};
use crate::fetch::http_config::HttpConfig;
use crate::fetch::manifest::{self, Manifest};
use crate::fetch::{alertmanager, parse_window, prometheus, read_token, Progress};
use crate::outdir::Staged;
use crate::timefmt::{format_duration, format_millis, parse_duration, Millis};
use std::path::{Path, PathBuf};

/// Arguments of `alertnoise fetch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The system to fetch from.
    #[command(subcommand)]
    pub system: System,
}

/// The systems `fetch` reads.
#[derive(Debug, clap::Subcommand)]
pub enum System {
    /// `ALERTS`/`ALERTS_FOR_STATE` history and the alerting rules of a Prometheus server.
    Prometheus(PrometheusArgs),
    /// Alertmanager's alerts (with receivers and status), silences and status; `--every` polls.
    Alertmanager(AlertmanagerArgs),
    /// PagerDuty's incidents and log entries (acknowledgements) for a window.
    Pagerduty(PagingArgs),
    /// Opsgenie's alerts (with acknowledgement times) for a window.
    Opsgenie(PagingArgs),
}

/// Arguments of `alertnoise fetch pagerduty` and `fetch opsgenie`.
#[derive(Debug, Clone, clap::Args)]
pub struct PagingArgs {
    /// The API's base URL (default: PagerDuty's or Opsgenie's public API;
    /// `https://api.eu.opsgenie.com` for Opsgenie's EU instance).
    #[arg(long)]
    pub url: Option<String>,
    /// A file holding the API token (PagerDuty) or API key (Opsgenie);
    /// else the environment variable PAGERDUTY_TOKEN or OPSGENIE_API_KEY.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// TLS, proxy, timeout and retries.
    #[command(flatten)]
    pub http: HttpArgs,
    /// The window and where it goes.
    #[command(flatten)]
    pub window: FetchWindow,
}

/// A paging service: its name, API, environment variable and header.
struct PagingService {
    system: &'static str,
    default_url: &'static str,
    variable: &'static str,
    scheme: &'static str,
    /// How the credentials read: `token=KEY` for PagerDuty, the key for Opsgenie.
    credentials: fn(&str) -> String,
    accept: Option<&'static str>,
}

const PAGERDUTY: PagingService = PagingService {
    system: "pagerduty",
    default_url: crate::fetch::pagerduty::DEFAULT_URL,
    variable: "PAGERDUTY_TOKEN",
    scheme: "Token",
    credentials: |token| format!("token={token}"),
    accept: Some(crate::fetch::pagerduty::ACCEPT),
};

const OPSGENIE: PagingService = PagingService {
    system: "opsgenie",
    default_url: crate::fetch::opsgenie::DEFAULT_URL,
    variable: "OPSGENIE_API_KEY",
    scheme: "GenieKey",
    credentials: |key| key.to_string(),
    accept: None,
};

impl PagingArgs {
    /// A client for `service`, its token from `--token-file` or the environment.
    fn client(&self, service: &PagingService) -> Result<Client> {
        let token = match &self.token_file {
            Some(path) => read_token(path)?.expose().to_string(),
            None => std::env::var(service.variable)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        if token.is_empty() {
            return Err(Error::Usage(format!(
                "no {} token: give --token-file FILE or set {}",
                service.system, service.variable
            )));
        }
        let mut config = self.http.http_config()?;
        if config.auth != crate::fetch::http_config::Auth::None {
            return Err(Error::Usage(
                "the token comes from --token-file or the environment; the http config must not set credentials".into(),
            ));
        }
        config.auth = crate::fetch::http_config::Auth::Header {
            scheme: service.scheme.into(),
            credentials: crate::fetch::http_config::Secret::new((service.credentials)(&token)),
        };
        if let Some(accept) = service.accept {
            config.headers.push((
                "Accept".into(),
                crate::fetch::http_config::Secret::new(accept),
            ));
        }
        let url = self.url.as_deref().unwrap_or(service.default_url);
        self.http.client(url, config)
    }
}

/// Fetches a paging service's window into `--out`.
fn fetch_paging(args: &PagingArgs, service: &PagingService) -> Result<()> {
    let client = args.client(service)?;
    let (since, until) = args.window.millis("30d")?;
    let staged = Staged::start(&args.window.out, args.window.force, manifest::FILE)?;
    let mut manifest = Manifest {
        system: service.system.into(),
        url: client.url_of(""),
        fetched_at: format_millis(chrono::Utc::now().timestamp_millis()),
        since: Some(format_millis(since)),
        until: Some(format_millis(until)),
        ..Manifest::default()
    };
    let progress = Progress::new(&format!("fetching from {}", service.system));
    let result = if service.system == "pagerduty" {
        crate::fetch::pagerduty::fetch(
            &client,
            since,
            until,
            staged.path(),
            &mut manifest,
            &progress,
        )
        .map(|[incidents, logs]| {
            format!(
                "{} incidents and {} log entries in {} pages",
                incidents.records,
                logs.records,
                incidents.pages + logs.pages
            )
        })
    } else {
        crate::fetch::opsgenie::fetch(
            &client,
            since,
            until,
            staged.path(),
            &mut manifest,
            &progress,
        )
        .map(|alerts| format!("{} alerts in {} pages", alerts.records, alerts.pages))
    };
    progress.finish();
    manifest.summary = format!(
        "{} {}: {} to {}: {}",
        service.system,
        manifest.url,
        format_millis(since),
        format_millis(until),
        result?
    );
    manifest.write(staged.path())?;
    staged.commit()?;
    super::print_out(&format!(
        "{}\nFetched: {}\n",
        manifest.summary,
        args.window.out.display()
    ))
}

/// How to reach a server: the settings every fetch shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// The server's base URL (a path prefix is kept).
    #[arg(long)]
    pub url: String,
    /// Credentials, TLS, proxy, timeout and retries.
    #[command(flatten)]
    pub http: HttpArgs,
}

impl Connection {
    /// A client for the server.
    pub fn client(&self) -> Result<Client> {
        self.http.client(&self.url, self.http.http_config()?)
    }
}

/// The HTTP settings every fetch takes, whatever its server.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// HTTP client settings in Prometheus' `http_config` YAML (basic_auth,
    /// authorization, tls_config, proxy_url), as promtool and amtool take it.
    #[arg(long = "http.config.file", value_name = "FILE")]
    pub http_config_file: Option<PathBuf>,
    /// The time limit of one request.
    #[arg(long, default_value = "2m")]
    pub timeout: String,
    /// Tries after the first, on connection errors, 5xx and 429 (with backoff).
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
}

impl HttpArgs {
    /// The `--http.config.file`'s settings (the defaults without one).
    pub fn http_config(&self) -> Result<HttpConfig> {
        match &self.http_config_file {
            Some(path) => HttpConfig::load(path),
            None => Ok(HttpConfig::default()),
        }
    }

    /// A client for the server at `url` with `config`.
    pub fn client(&self, url: &str, config: HttpConfig) -> Result<Client> {
        let timeout =
            parse_duration(&self.timeout).map_err(|e| Error::Usage(format!("--timeout: {e}")))?;
        if timeout <= 0 {
            return Err(Error::Usage("--timeout must be longer than 0s".into()));
        }
        let patience = Patience {
            timeout: std::time::Duration::from_millis(timeout as u64),
            retries: self.retries,
            ..Patience::default()
        };
        Client::new(url, config, patience)
    }
}

/// Arguments of `alertnoise fetch prometheus`.
#[derive(Debug, Clone, clap::Args)]
pub struct PrometheusArgs {
    /// How to reach Prometheus.
    #[command(flatten)]
    pub connection: Connection,
    /// The window and where it goes.
    #[command(flatten)]
    pub window: FetchWindow,
    /// Also fetch the series the SLO burn-rate alerts select (their recorded
    /// error ratios), for `alertnoise slo --metrics DIR`.
    #[arg(long)]
    pub metrics_for_rules: bool,
}

/// The window a fetch asks for, and the directory it writes.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchWindow {
    /// The start: a duration before --until (`7d`) or an RFC 3339 time
    /// (default: 7d for Prometheus, 30d for PagerDuty and Opsgenie).
    #[arg(long)]
    pub since: Option<String>,
    /// The end, an RFC 3339 time (default: now).
    #[arg(long)]
    pub until: Option<String>,
    /// The directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing fetched directory.
    #[arg(long)]
    pub force: bool,
}

impl FetchWindow {
    /// `[since, until)`, `since` defaulting to `default_since` before `until`.
    fn millis(&self, default_since: &str) -> Result<(Millis, Millis)> {
        parse_window(
            self.since.as_deref().unwrap_or(default_since),
            self.until.as_deref(),
        )
    }
}

/// Arguments of `alertnoise fetch alertmanager`.
#[derive(Debug, Clone, clap::Args)]
pub struct AlertmanagerArgs {
    /// How to reach Alertmanager.
    #[command(flatten)]
    pub connection: Connection,
    /// The directory to write; with `--every`, a directory fetched before
    /// from an Alertmanager is added to.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing fetched directory (a single fetch only).
    #[arg(long)]
    pub force: bool,
    /// Poll this often (`1m`), appending each answer to `--out`.
    #[arg(long)]
    pub every: Option<String>,
    /// With `--every`: how long to poll (`7d`); without it, until stopped.
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
}

/// Runs `alertnoise fetch`.
pub fn run(args: &Args) -> Result<()> {
    match &args.system {
        System::Prometheus(args) => {
            let summary = fetch_prometheus(args, &args.window.out)?;
            super::print_out(&format!(
                "{summary}\nFetched: {}\n",
                args.window.out.display()
            ))
        }
        System::Alertmanager(args) => fetch_alertmanager(args),
        System::Pagerduty(args) => fetch_paging(args, &PAGERDUTY),
        System::Opsgenie(args) => fetch_paging(args, &OPSGENIE),
    }
}

/// A duration flag that must be longer than zero.
fn positive_duration(flag: &str, text: &str) -> Result<Millis> {
    match parse_duration(text) {
        Ok(ms) if ms > 0 => Ok(ms),
        Ok(_) => Err(Error::Usage(format!("{flag} must be longer than 0s"))),
        Err(e) => Err(Error::Usage(format!("{flag}: {e}"))),
    }
}

/// `fetch alertmanager`: one poll into a new directory, or polls every
/// `--every` appended to the directory.
fn fetch_alertmanager(args: &AlertmanagerArgs) -> Result<()> {
    let client = args.connection.client()?;
    let every = args
        .every
        .as_deref()
        .map(|e| positive_duration("--every", e))
        .transpose()?;
    let lasting = args
        .for_
        .as_deref()
        .map(|f| positive_duration("--for", f))
        .transpose()?;
    if every.is_none() && lasting.is_some() {
        return Err(Error::Usage("--for goes with --every".into()));
    }
    let now = || chrono::Utc::now().timestamp_millis();
    let started = now();
    let out = &args.out;
    let appending = every.is_some() && out.join(manifest::FILE).is_file();
    let mut manifest = if appending {
        let manifest = Manifest::read(out)?;
        if manifest.system != "alertmanager" {
            return Err(Error::Usage(format!(
                "{} holds a fetch from {}, not from an Alertmanager; choose another --out",
                out.display(),
                manifest.system
            )));
        }
        manifest
    } else {
        Manifest {
            system: "alertmanager".into(),
            url: client.url_of(""),
            ..Manifest::default()
        }
    };
    // The first poll into a new directory is staged: nothing is written
    // when it fails.
    let first = if appending {
        alertmanager::poll(&client, out, started, &mut manifest)?
    } else {
        let staged = Staged::start(out, args.force, manifest::FILE)?;
        let poll = alertmanager::poll(&client, staged.path(), started, &mut manifest)?;
        record_poll(&mut manifest, started, &poll);
        manifest.write(staged.path())?;
        staged.commit()?;
        poll
    };
    if appending {
        record_poll(&mut manifest, started, &first);
        manifest.write(out)?;
    }
    eprintln!("{}", manifest.summary);
    let Some(every) = every else {
        return super::print_out(&format!(
            "{}\nFetched: {}\n",
            manifest.summary,
            out.display()
        ));
    };
    let deadline = lasting.map(|l| started + l);
    let mut next = started + every;
    loop {
        if deadline.is_some_and(|d| next > d) {
            break;
        }
        let wait = (next - now()).max(0);
        std::thread::sleep(std::time::Duration::from_millis(wait as u64));
        let at = now();
        match alertmanager::poll(&client, out, at, &mut manifest) {
            Ok(poll) => {
                record_poll(&mut manifest, at, &poll);
                manifest.write(out)?;
            }
            // One failed poll (after its retries) does not end the polling.
            Err(e) => eprintln!("warning: poll at {}: {e}", format_millis(at)),
        }
        next += every;
    }
    super::print_out(&format!(
        "{}\nFetched: {}\n",
        manifest.summary,
        out.display()
    ))
}

/// Notes a successful poll in the manifest.
fn record_poll(manifest: &mut Manifest, at: Millis, poll: &alertmanager::Poll) {
    manifest.polls = Some(manifest.polls.unwrap_or(0) + 1);
    manifest.fetched_at = format_millis(at);
    manifest.since.get_or_insert_with(|| format_millis(at));
    manifest.until = Some(format_millis(at));
    manifest.summary = format!(
        "Alertmanager {} (version {}): {} polls, the last with {} alerts; {} silences known",
        manifest.url,
        poll.version,
        manifest.polls.unwrap_or(0),
        poll.alerts,
        poll.silences
    );
}

/// Fetches Prometheus' history and rules into `out`; gives the summary line.
pub fn fetch_prometheus(args: &PrometheusArgs, out: &Path) -> Result<String> {
    let client = args.connection.client()?;
    let (since, until) = args.window.millis("7d")?;
    let staged = Staged::start(out, args.window.force, manifest::FILE)?;
    let mut manifest = Manifest {
        system: "prometheus".into(),
        url: client.url_of(""),
        fetched_at: format_millis(chrono::Utc::now().timestamp_millis()),
        since: Some(format_millis(since)),
        until: Some(format_millis(until)),
        ..Manifest::default()
    };
    let progress = Progress::new("fetching ALERTS");
    let fetched = prometheus::fetch(
        &client,
        since,
        until,
        staged.path(),
        &mut manifest,
        &progress,
        args.metrics_for_rules,
    );
    progress.finish();
    let fetched = fetched?;
    manifest.step = Some(format_duration(fetched.step_ms));
    manifest.last_evaluation = Some(format_millis(fetched.last_evaluation));
    manifest.summary = format!(
        "Prometheus {}: {}",
        manifest.url,
        prometheus::describe(since, until, &fetched)
    );
    manifest.write(staged.path())?;
    staged.commit()?;
    Ok(manifest.summary)
}
