//! `alertnoise sample`: write the shipped sample history.
//!
//! Usage: `alertnoise sample --out DIR [--seed N] [--weeks N] [--start DATE] [--force]`

use crate::error::{Error, Result};
use crate::sample::{SampleSpec, MARKER};
use std::path::PathBuf;

/// Arguments of `alertnoise sample`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Weeks of history.
    #[arg(long, default_value_t = 4)]
    pub weeks: u32,
    /// First day of the history (YYYY-MM-DD, UTC).
    #[arg(long, default_value = "2026-10-19")]
    pub start: String,
    /// Replace an existing sample directory.
    #[arg(long)]
    pub force: bool,
}

/// Runs `alertnoise sample`.
pub fn run(args: &Args) -> Result<()> {
    if args.weeks == 0 || args.weeks > 520 {
        return Err(Error::Usage("--weeks must be between 1 and 520".into()));
    }
    let start = crate::cmd::history::parse_bound("--start", &args.start, chrono_tz::Tz::UTC)?;
    let spec = SampleSpec {
        seed: args.seed,
        weeks: args.weeks,
        start,
    };
    crate::outdir::write_dir(&args.out, args.force, MARKER, |tmp| {
        crate::sample::write(tmp, &spec)
    })?;
    super::print_out(&format!(
        "wrote {} weeks of sample history to {}\n",
        args.weeks,
        args.out.display()
    ))?;
    Ok(())
}
