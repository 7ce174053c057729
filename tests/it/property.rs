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

/// An episodes CSV row of a random history: few rules and instances, so
/// that instances fire again, some left open (closed by their next
/// episode), acknowledged, reviewed, with incidents.
fn csv_row(n: u64) -> String {
    let day = 19 + n % 7;
    let (hour, minute) = ((n * 7) % 24, (n * 13) % 60);
    let start = format!("2026-10-{day}T{hour:02}:{minute:02}:00Z");
    let end = if n.is_multiple_of(5) {
        String::new()
    } else {
        format!("2026-10-{day}T{hour:02}:{minute:02}:{:02}Z", 10 + n % 40)
    };
    let ack = if n.is_multiple_of(3) {
        format!("2026-10-{day}T{hour:02}:{minute:02}:05Z,ann")
    } else {
        ",".to_string()
    };
    let verdict = ["yes", "no", ""][(n % 3) as usize];
    let incident = if n.is_multiple_of(4) {
        format!("P{n}")
    } else {
        String::new()
    };
    format!(
        "R{},instance=h{};severity={},{start},{end},{},{ack},{verdict},{incident}",
        n % 3,
        n % 4,
        ["critical", "warning"][(n % 2) as usize],
        1 + n % 2,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    /// Episodes CSV rows split across files (some gzipped), shuffled and
    /// partly duplicated give the episode table and rules.json of the rows
    /// read once from one file: the table pieces the CSV reader makes and
    /// the merge on the table fold the duplicates wherever they are.
    #[test]
    fn split_shuffled_duplicated_csv_rows_give_the_same_table(
        starts in proptest::collection::btree_set(0u64..400, 1..80),
        seed in any::<u64>(),
        files in 1usize..5,
        duplicate_share in 0.0f64..0.5,
    ) {
        let header = "rule,labels,starts_at,ends_at,notifications,acked_at,acked_by,actionable,incident_id";
        let rows: Vec<String> = starts.iter().map(|&n| csv_row(n)).collect();
        let dir = tempfile::tempdir().unwrap();
        let whole = write(dir.path(), "whole.csv", &format!("{header}\n{}\n", rows.join("\n")));
        let expected = run(&window(vec![whole]));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut shuffled = rows.clone();
        for row in &rows {
            if rng.random_bool(duplicate_share) {
                shuffled.push(row.clone());
            }
        }
        shuffled.shuffle(&mut rng);
        let mut parts: Vec<Vec<String>> = vec![Vec::new(); files];
        for row in shuffled {
            parts[rng.random_range(0..files)].push(row);
        }
        let split = dir.path().join("split");
        let inputs: Vec<_> = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .map(|(i, p)| {
                let text = format!("{header}\n{}\n", p.join("\n"));
                if rng.random_bool(0.5) {
                    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
                    let path = split.join(format!("part-{i}.csv.gz"));
                    std::fs::create_dir_all(&split).unwrap();
                    std::fs::write(&path, gz.finish().unwrap()).unwrap();
                    path
                } else {
                    write(&split, &format!("part-{i}.csv"), &text)
                }
            })
            .collect();
        let got = run(&window(inputs));
        prop_assert_eq!(got.episode_rows(), expected.episode_rows());
        prop_assert_eq!(
            serde_json::to_string(&got.rules).unwrap(),
            serde_json::to_string(&expected.rules).unwrap()
        );
    }
}
