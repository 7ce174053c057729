//! A webhook archive read a block at a time (memory bounded by the episodes,
//! not the file) gives exactly what the same archive read whole gives: the
//! same episodes, notifications and join keys, and the same problems on the
//! same lines, wherever the blocks are cut.

use alertnoise::sources::alertmanager_webhook::{read_bodies, read_body_blocks, NAME};
use alertnoise::sources::text_blocks::{BlockReader, TextBlocks};
use alertnoise::sources::{read_all, InputFile, ReadContext};
use proptest::prelude::*;
use std::io::Write;
use std::path::Path;

/// One archived notification's alert: (rule, instance, start minute,
/// resolved at minute, with a fingerprint).
type Alert = (u8, u8, u8, Option<u8>, bool);

/// A time `minute` minutes after 2026-10-01T00:00Z (within the month).
fn stamp(minute: u32) -> String {
    let (day, hour, minute) = (1 + minute / 1440, minute / 60 % 24, minute % 60);
    format!("2026-10-{day:02}T{hour:02}:{minute:02}:00Z")
}

/// One archive line: a body with its alerts, or a broken or odd line
/// (`kind` picks: 0-5 a body, 6 broken JSON, 7 blank, 8 an alert without
/// alertname, 9 a bare body without an envelope).
fn line(kind: u8, received: u32, alerts: &[Alert]) -> String {
    let alert_json = |&(rule, instance, start, end, with_fp): &Alert| {
        let status = if end.is_some() { "resolved" } else { "firing" };
        let ends = end.map_or("0001-01-01T00:00:00Z".to_string(), |e| {
            stamp(start as u32 + e as u32)
        });
        let fingerprint = if with_fp {
            format!(",\"fingerprint\":\"fp{rule}{instance}\"")
        } else {
            String::new()
        };
        format!(
            "{{\"status\":\"{status}\",\"labels\":{{\"alertname\":\"R{rule}\",\"instance\":\"h{instance}\"}},\"annotations\":{{\"summary\":\"é\"}},\"startsAt\":\"{}\",\"endsAt\":\"{ends}\"{fingerprint}}}",
            stamp(start as u32)
        )
    };
    let alerts: Vec<String> = alerts.iter().map(alert_json).collect();
    let body = format!(
        "{{\"version\":\"4\",\"receiver\":\"oncall\",\"groupKey\":\"{{}}:{{alertname=\\\"R{}\\\"}}\",\"alerts\":[{}]}}",
        received % 3,
        alerts.join(",")
    );
    match kind {
        6 => format!("{{\"received_at\":\"{}\",\"body\":{{\"alerts\":[", stamp(received)),
        7 => "   ".to_string(),
        8 => format!(
            "{{\"received_at\":\"{}\",\"body\":{{\"version\":\"4\",\"alerts\":[{{\"labels\":{{\"x\":\"y\"}},\"startsAt\":\"{}\"}}]}}}}",
            stamp(received),
            stamp(received)
        ),
        9 => body,
        _ => format!("{{\"received_at\":\"{}\",\"body\":{body}}}", stamp(received)),
    }
}

fn alert() -> impl Strategy<Value = Alert> {
    (
        0u8..3,
        0u8..3,
        0u8..20,
        proptest::option::of(0u8..30),
        proptest::bool::weighted(0.7),
    )
}

fn archive() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (0u8..10, 0u32..300, proptest::collection::vec(alert(), 0..4)),
        1..40,
    )
    .prop_map(|lines| {
        let mut text: String = lines
            .iter()
            .map(|(kind, received, alerts)| line(*kind, *received, alerts) + "\n")
            .collect();
        // The archive always starts with a good line: it is JSON lines.
        text.insert_str(0, &(line(0, 0, &[(0, 0, 0, None, true)]) + "\n"));
        text
    })
}

fn blocks_of(path: &Path, size: usize) -> TextBlocks {
    let mut reader = BlockReader::open(path).unwrap();
    let first = reader.next_block(size).unwrap().unwrap_or_default();
    TextBlocks::new(first, reader, size)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn an_archive_read_in_blocks_equals_it_read_whole(
        text in archive(),
        size in 1usize..400,
        gzip in proptest::bool::ANY,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.jsonl");
        if gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(text.as_bytes()).unwrap();
            std::fs::write(&path, gz.finish().unwrap()).unwrap();
        } else {
            std::fs::write(&path, &text).unwrap();
        }
        let name = path.display().to_string();
        let whole = read_bodies(
            &InputFile { name, bytes: text.clone().into_bytes() },
            &text,
            NAME,
            "4",
        );
        let streamed = read_body_blocks(&mut blocks_of(&path, size), NAME, "4").unwrap();
        prop_assert!(!whole.rows().is_empty());
        prop_assert_eq!(&streamed.rows(), &whole.rows());
        prop_assert_eq!(&streamed.problems, &whole.problems);
    }
}

/// A large gzipped archive (more than one block, so read a block at a time)
/// gives the episodes and problems that the same bodies give as a JSON
/// array, which is read whole.
#[test]
fn a_large_archive_is_read_as_the_same_bodies_in_an_array() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..40_000u32 {
        let alerts: Vec<Alert> = (0..3)
            .map(|a| {
                (
                    (i % 7) as u8,
                    a,
                    (i / 50 % 200) as u8,
                    (i % 5 == 0).then_some(9),
                    i % 2 == 0,
                )
            })
            .collect();
        lines.push(line(if i % 997 == 3 { 6 } else { 0 }, i / 10, &alerts));
    }
    let archive = dir.path().join("archive.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines.join("\n").as_bytes()).unwrap();
    std::fs::write(&archive, gz.finish().unwrap()).unwrap();
    let text_len: usize = lines.iter().map(|l| l.len() + 1).sum();
    assert!(text_len > 2 * alertnoise::sources::text_blocks::BLOCK_BYTES);

    // The same records as one JSON array, one per line: broken records
    // cannot be in an array, so they are left out of both.
    let good: Vec<&String> = lines.iter().filter(|l| l.ends_with("}}")).collect();
    let plain = dir.path().join("plain.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let good_text: Vec<&str> = good.iter().map(|l| l.as_str()).collect();
    gz.write_all(good_text.join("\n").as_bytes()).unwrap();
    std::fs::write(&plain, gz.finish().unwrap()).unwrap();
    let array = dir.path().join("array.json");
    std::fs::write(&array, format!("[{}]", good_text.join(",\n"))).unwrap();

    let context = ReadContext::default();
    let streamed = read_all(&[plain], None, &context).unwrap();
    let whole = read_all(&[array], None, &context).unwrap();
    assert_eq!(streamed.inputs[0].1, Some(NAME));
    assert_eq!(whole.inputs[0].1, Some(NAME));
    let key = |e: &alertnoise::episodes::Episode| {
        (
            e.fingerprint.to_string(),
            e.starts_at,
            e.ends_at,
            e.notification_count(),
            e.labels.json().to_string(),
        )
    };
    let mut a: Vec<_> = streamed.output.rows().iter().map(key).collect();
    let mut b: Vec<_> = whole.output.rows().iter().map(key).collect();
    a.sort();
    b.sort();
    assert!(a.len() > 1000, "{}", a.len());
    assert_eq!(a, b);

    // With its broken lines, each is a problem on its own line.
    let broken = read_all(std::slice::from_ref(&archive), None, &context).unwrap();
    let problem_lines: Vec<u64> = broken.output.problems.iter().map(|p| p.line).collect();
    let expected: Vec<u64> = (0..40_000u64)
        .filter(|i| i % 997 == 3)
        .map(|i| i + 1)
        .collect();
    assert_eq!(problem_lines, expected);
    assert_eq!(
        broken.output.problems[0].file,
        archive.display().to_string()
    );
}
