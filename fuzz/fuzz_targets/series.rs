//! Fuzzes the backtest's metric series files (query_range answers): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = alertnoise::advice::backtest::read_series("series.json", text);
    }
});
