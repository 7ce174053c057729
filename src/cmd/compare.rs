//! `alertnoise compare OLD NEW`: two report directories side by side.
//!
//! Usage: `alertnoise compare OLD NEW [--out FILE] [--force]`
//!
//! Per-rule deltas of episodes, noise score, actionable share and time to
//! acknowledge; rules fixed since the last review and new noise; and for
//! every recommendation in OLD's `advice.json`, whether NEW's rule files have
//! it and what happened to the rule's noise. Markdown on standard output, or
//! in `--out FILE`.

use crate::error::Result;
use crate::report::compare::{compare, markdown, ReportDir};
use std::path::PathBuf;

/// Arguments of `alertnoise compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older report directory (the last review).
    pub old: PathBuf,
    /// The newer report directory.
    pub new: PathBuf,
    /// Write the Markdown to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `alertnoise compare`.
pub fn run(args: &Args) -> Result<()> {
    let old = ReportDir::load(&args.old)?;
    let new = ReportDir::load(&args.new)?;
    let text = markdown(&compare(&old, &new));
    super::write_or_print(args.out.as_deref(), args.force, &text)
}
