//! Fetching history from live systems: HTTP in, files that `sources/`
//! reads out. One file per system; the HTTP client and the `http_config`
//! file are shared. A fetched directory holds a manifest ([`manifest`]) so
//! that `report` knows which of its files are history and which are the
//! server's rules.

pub mod alertmanager;
pub mod client;
pub mod http_config;
pub mod manifest;
pub mod opsgenie;
pub mod pagerduty;
pub mod pages;
pub mod prometheus;

use crate::error::{Error, Result};
use crate::timefmt::{parse_duration, parse_rfc3339, Millis};

/// A progress bar on stderr when it is a terminal; hidden otherwise.
pub struct Progress(indicatif::ProgressBar);

impl Progress {
    /// A bar of requests, labelled `what`.
    pub fn new(what: &str) -> Progress {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Progress(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {msg} {wide_bar} {pos}/{len} requests {elapsed}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress(bar)
    }

    /// Sets how many requests are expected.
    pub fn set_length(&self, length: u64) {
        self.0.set_length(length);
    }

    /// How many requests are expected.
    pub fn length(&self) -> u64 {
        self.0.length().unwrap_or(0)
    }

    /// Counts requests done.
    pub fn inc(&self, done: u64) {
        self.0.inc(done);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// `--since`: a duration before `until` (`7d`, `36h`) or an RFC 3339 time.
pub fn parse_since(text: &str, until: Millis) -> Result<Millis> {
    if let Ok(ago) = parse_duration(text) {
        if ago <= 0 {
            return Err(Error::Usage(
                "--since: the duration must be longer than 0s".into(),
            ));
        }
        return Ok(until - ago);
    }
    parse_rfc3339(text).map_err(|_| {
        Error::Usage(format!(
            "--since: `{text}` is neither a duration (7d, 36h) nor an RFC 3339 time"
        ))
    })
}

/// The window `[since, until)` of `--since` and `--until`, which must not be empty.
pub fn parse_window(since: &str, until: Option<&str>) -> Result<(Millis, Millis)> {
    let until = parse_until(until)?;
    let since = parse_since(since, until)?;
    if since >= until {
        return Err(Error::Usage(format!(
            "the window is empty: --since {} is not before --until {}",
            crate::timefmt::format_millis(since),
            crate::timefmt::format_millis(until)
        )));
    }
    Ok((since, until))
}

/// A token or key from a file (`--token-file`), its surrounding white
/// space removed; never printed.
pub fn read_token(path: &std::path::Path) -> Result<http_config::Secret> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(http_config::Secret::new(text.trim()))
}

/// `--until`: an RFC 3339 time, or now when not given.
pub fn parse_until(text: Option<&str>) -> Result<Millis> {
    match text {
        None | Some("now") => Ok(chrono::Utc::now().timestamp_millis()),
        Some(text) => {
            parse_rfc3339(text).map_err(|e| Error::Usage(format!("--until: `{text}`: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_duration_before_until_or_a_time() {
        let until = parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
        assert_eq!(parse_since("7d", until).unwrap(), until - 7 * 86_400_000);
        assert_eq!(
            parse_since("2026-11-30T12:00:00Z", until).unwrap(),
            until - 12 * 3_600_000
        );
        assert!(parse_since("last week", until)
            .unwrap_err()
            .to_string()
            .contains("neither a duration"));
        assert!(parse_until(Some("yesterday")).is_err());
    }
}
