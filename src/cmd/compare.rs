//! `alertnoise compare OLD NEW`: two report directories side by side.
//!
//! Usage: `alertnoise compare OLD NEW [--out FILE] [--force] [--outputs md|html]`
//!
//! Per-rule deltas of episodes, noise score, actionable share and time to
//! acknowledge; rules fixed since the last review and new noise; and for
//! every recommendation in OLD's `advice.json`, whether NEW's rule files have
//! it and what happened to the rule's noise. Markdown on standard output, or
//! in `--out FILE`; HTML with `--outputs html` or an `--out` ending in `.html`.

use crate::error::Result;
use crate::report::compare::{compare, html, markdown, ReportDir};
use std::path::PathBuf;

/// Arguments of `alertnoise compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older report directory (the last review).
    pub old: PathBuf,
    /// The newer report directory.
    pub new: PathBuf,
    /// Where and how the page is written.
    #[command(flatten)]
    pub page: super::PageArgs,
}

/// Runs `alertnoise compare`.
pub fn run(args: &Args) -> Result<()> {
    let old = ReportDir::load(&args.old)?;
    let new = ReportDir::load(&args.new)?;
    let comparison = compare(&old, &new);
    let text = match args.page.format()? {
        super::PageFormat::Markdown => markdown(&comparison),
        super::PageFormat::Html => html(&comparison)?,
    };
    args.page.write(&text)
}
