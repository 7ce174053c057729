//! Fuzzes the `pagerduty-analytics` reader (and the assembly after it): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = alertnoise::sources::read_bytes_as("pagerduty-analytics", data);
});
