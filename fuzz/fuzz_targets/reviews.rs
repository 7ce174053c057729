//! Fuzzes the reviews file (CSV verdicts): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = alertnoise::reviews::parse_text("reviews.csv", text);
    }
});
