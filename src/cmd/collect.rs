//! `alertnoise collect`: archive every Alertmanager webhook notification.
//!
//! ```text
//! alertnoise collect --listen 127.0.0.1:9099 --dir /var/lib/alertnoise/webhooks
//! # alertmanager.yml:  webhook_configs: [{url: http://127.0.0.1:9099/, send_resolved: true}]
//! alertnoise report /var/lib/alertnoise/webhooks --out reports/week
//! ```

use crate::collect::archive::Fsync;
use crate::collect::Settings;
use crate::error::{Error, Result};
use crate::fetch::http_config::Secret;
use std::path::PathBuf;

/// Arguments of `alertnoise collect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (loopback unless you say otherwise).
    #[arg(long, default_value = "127.0.0.1:9099")]
    pub listen: String,
    /// The directory of the archive: a file per UTC day, finished days gzipped.
    #[arg(long)]
    pub dir: PathBuf,
    /// When a line reaches the disk: before every answer, once a second, or as the OS decides.
    #[arg(long, value_enum, default_value = "always")]
    pub fsync: Fsync,
    /// The largest body accepted (`10MiB`, `512KiB`, bytes); larger ones get 413.
    #[arg(long, default_value = "10MiB")]
    pub max_body: String,
    /// A file holding the bearer token senders must give (else the
    /// environment variable ALERTNOISE_COLLECT_TOKEN, else none).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// `10MiB`, `512KiB`, `1GiB`, or a number of bytes.
fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let factor = match unit {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    number.parse::<usize>().ok()?.checked_mul(factor)
}

/// Runs `alertnoise collect`.
pub fn run(args: &Args) -> Result<()> {
    let listen = args.listen.parse().map_err(|_| {
        Error::Usage(format!(
            "--listen: `{}` is not HOST:PORT (an IP address and a port)",
            args.listen
        ))
    })?;
    let max_body = parse_size(&args.max_body)
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::Usage(format!(
                "--max-body: `{}` is not a size such as 10MiB",
                args.max_body
            ))
        })?;
    let token = match &args.token_file {
        Some(path) => Some(crate::fetch::read_token(path)?),
        None => std::env::var("ALERTNOISE_COLLECT_TOKEN")
            .ok()
            .map(Secret::new),
    }
    .filter(|t| !t.expose().trim().is_empty());
    let settings = Settings {
        listen,
        dir: args.dir.clone(),
        fsync: args.fsync,
        max_body,
        token,
        body_timeout: std::time::Duration::from_secs(30),
    };
    crate::collect::run(settings).map_err(|source| Error::Io {
        path: args.dir.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Some(10 << 20));
        assert_eq!(parse_size("512KiB"), Some(512 << 10));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("10MB"), None);
    }
}
