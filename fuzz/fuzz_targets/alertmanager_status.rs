//! Fuzzes the reading of Alertmanager's `/api/v2/status` answer (its
//! version, and `config.original` kept whole): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = alertnoise::fetch::alertmanager::status_version(data);
});
