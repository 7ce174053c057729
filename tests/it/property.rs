//! The same notifications, however they are split across files, shuffled,
//! laid out, or duplicated, give the same rules.json.

use crate::common::*;
use alertnoise::sample::{write as write_sample, SampleSpec};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use std::sync::OnceLock;

/// The archived notification lines of one sample week, and the baseline rules.json.
fn baseline() -> &'static (Vec<String>, String) {
    static BASE: OnceLock<(Vec<String>, String)> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sample = dir.path().join("s");
        std::fs::create_dir(&sample).unwrap();
        write_sample(
            &sample,
            &SampleSpec {
                seed: 7,
                weeks: 1,
                start: t("2026-10-19T00:00:00Z"),
            },
        )
        .unwrap();
        let file = sample.join("alertmanager/webhooks-2026-10-19.jsonl");
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert!(lines.len() > 50, "a week holds many notifications");
        let rules = serde_json::to_string(&run(&window(vec![file])).rules).unwrap();
        (lines, rules)
    })
}

fn window(inputs: Vec<std::path::PathBuf>) -> alertnoise::analysis::Options {
    let mut o = options(inputs);
    o.since = Some(t("2026-10-19T00:00:00Z"));
    o.until = Some(t("2026-10-26T00:00:00Z"));
    o
}

/// Lays a file's lines out as JSON lines, one JSON array, or pretty values concatenated.
fn layout(lines: &[String], style: u8) -> String {
    match style {
        0 => lines.join("\n") + "\n",
        1 => format!("[{}]", lines.join(",\n")),
        _ => lines
            .iter()
            .map(|l| {
                serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(l).unwrap())
                    .unwrap()
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn split_shuffled_duplicated_notifications_give_the_same_rules(
        seed in any::<u64>(),
        files in 1usize..6,
        duplicate_share in 0.0f64..0.5,
    ) {
        let (lines, expected) = baseline();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut shuffled = lines.clone();
        for line in lines {
            if rng.random_bool(duplicate_share) {
                shuffled.push(line.clone());
            }
        }
        shuffled.shuffle(&mut rng);
        let dir = tempfile::tempdir().unwrap();
        let mut parts: Vec<Vec<String>> = vec![Vec::new(); files];
        for line in shuffled {
            parts[rng.random_range(0..files)].push(line);
        }
        let inputs: Vec<_> = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .map(|(i, p)| write(dir.path(), &format!("part-{i}.json"), &layout(p, rng.random_range(0..3))))
            .collect();
        let got = serde_json::to_string(&run(&window(inputs)).rules).unwrap();
        prop_assert_eq!(&got, expected);
    }
}
