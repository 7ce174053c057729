//! The `alertnoise` command line: parses arguments and dispatches to `cmd/`.

use alertnoise::cmd;
use clap::{Parser, Subcommand};

/// Measure how noisy your alert rules are, and write the weekly alert review report.
#[derive(Parser)]
#[command(name = "alertnoise", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read alert history and write the per-rule noise report.
    Report(cmd::report::Args),
    /// Replay one rule's history under another `for:` or `keep_firing_for:`.
    Simulate(cmd::simulate::Args),
    /// Replay a rule's threshold and `for:` over its metric series; score against actionable episodes.
    Backtest(cmd::backtest::Args),
    /// Replay SLO burn-rate alerts over their recorded series: precision, recall, detection per window pair.
    Slo(cmd::slo::Args),
    /// Compare two reports: per-rule deltas, fixed and new noise, and whether advice was applied.
    Compare(cmd::compare::Args),
    /// The alerts around one incident: timeline, detection, noise during it, reset.
    Retro(cmd::retro::Args),
    /// Write a realistic sample alert history.
    Sample(cmd::sample::Args),
    /// List the input formats with an example of each.
    Formats(cmd::formats::Args),
    /// Fetch alert history and rules from a live system into a directory `report` reads.
    Fetch(cmd::fetch::Args),
    /// Receive Alertmanager's webhooks and archive every one (a file per day).
    Collect(cmd::collect::Args),
}

/// mimalloc instead of the system allocator: reading a large history
/// allocates millions of small strings, and glibc's malloc spent a tenth of
/// the run in page faults and its own bookkeeping (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Large OS pages (transparent huge pages where the kernel gives them on
    // request): a million-episode history maps gigabytes, and the kernel
    // zeroing 4 KiB pages one fault at a time took a third of reading it.
    // SAFETY: sets a documented mimalloc option; no other thread exists yet.
    unsafe {
        libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 1);
    }
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Report(args) => cmd::report::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Backtest(args) => cmd::backtest::run(args),
        Command::Slo(args) => cmd::slo::run(args),
        Command::Compare(args) => cmd::compare::run(args),
        Command::Retro(args) => cmd::retro::run(args),
        Command::Sample(args) => cmd::sample::run(args),
        Command::Formats(args) => cmd::formats::run(args),
        Command::Fetch(args) => cmd::fetch::run(args),
        Command::Collect(args) => cmd::collect::run(args),
    };
    if let Err(e) = result {
        eprintln!("alertnoise: {e}");
        std::process::exit(e.exit_code());
    }
}
