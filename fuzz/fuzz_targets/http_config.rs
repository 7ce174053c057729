//! Fuzzes `--http.config.file` (Prometheus' `http_config` YAML): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = alertnoise::fetch::http_config::HttpConfig::parse(
            "http.yml",
            text,
            std::path::Path::new("/nonexistent"),
        );
    }
});
