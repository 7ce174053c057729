//! Fuzzes Prometheus rule files (YAML and every `expr` in PromQL): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = alertnoise::rules::file::parse_rules("rules.yml", text, 0);
    }
});
