//! Integration tests, one binary (polars makes every test binary slow to link).

mod advice;
mod alertmanager_live;
mod backtest;
mod bad_input;
mod chromium;
mod cli;
mod collect;
mod common;
mod compare;
mod continuous_review;
mod csv_blocks;
mod episode_table;
mod fetch_alertmanager;
mod fetch_paging;
mod fetch_prometheus;
mod fetch_tls;
mod fixtures;
mod formats;
mod metrics;
mod prometheus_replay;
mod property;
mod retro;
mod rules;
mod sample;
mod sources;
mod webhook_blocks;
