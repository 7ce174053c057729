//! One file per subcommand; each has its arguments and a `run` function.

pub mod formats;
pub mod report;
pub mod sample;
