//! alertnoise: measures how noisy every alert rule is from the alert history a
//! team already has, and writes the report the weekly alert review works from.
//!
//! The pipeline (see DESIGN.md): `sources` → `episodes` → `metrics` → `report`.

pub mod advice;
pub mod analysis;
pub mod cmd;
pub mod collect;
pub mod episode_merge;
pub mod episode_table;
pub mod episodes;
pub mod error;
pub mod fetch;
pub mod fingerprint;
pub mod interned;
pub mod metrics;
pub mod outdir;
pub mod problem;
pub mod ranks;
pub mod report;
pub mod reviews;
pub mod routing;
pub mod rules;
pub mod sample;
pub mod slo;
pub mod sources;
pub mod timefmt;
pub mod timings;
pub mod yaml_text;
