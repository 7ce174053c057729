//! The episode table read from episodes CSV files (interned names and label
//! sets, parallel chunks, a label text parsed once per chunk) equals what a
//! plain reader makes of the same rows: one row at a time, labels parsed
//! every time, duplicates folded, superseded episodes closed, sorted by
//! (rule, starts_at, fingerprint). However the rows are written (label sets
//! as JSON or `k=v`, in any key order), split across files, shuffled,
//! duplicated or gzipped.

use crate::common::*;
use alertnoise::fingerprint::{fingerprint, labels_json};
use alertnoise::timefmt::format_millis;
use polars::prelude::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;
use std::io::Write;

/// One generated episode, as the plain reader understands it.
#[derive(Debug, Clone)]
struct Generated {
    rule: String,
    /// The instance's own labels (without alertname, severity and team columns).
    own: BTreeMap<String, String>,
    severity: Option<String>,
    team: Option<String>,
    start: i64,
    end: Option<i64>,
    notifications: u32,
    acked: Option<i64>,
    actionable: Option<bool>,
}

/// The header every file of a history shares (with or without a
/// fingerprint column).
fn header(with_fingerprint: bool) -> &'static str {
    if with_fingerprint {
        "rule,fingerprint,labels,severity,team,starts_at,ends_at,notifications,acked_at,actionable"
    } else {
        "rule,labels,severity,team,starts_at,ends_at,notifications,acked_at,actionable"
    }
}

/// The full label set the plain reader gives the episode.
fn labels(e: &Generated) -> BTreeMap<String, String> {
    let mut labels = e.own.clone();
    labels
        .entry("alertname".into())
        .or_insert_with(|| e.rule.clone());
    for (name, value) in [("severity", &e.severity), ("team", &e.team)] {
        if let Some(v) = value {
            labels.entry(name.into()).or_insert_with(|| v.clone());
        }
    }
    labels
}

/// One CSV line; `style` picks how the labels are written (JSON in key
/// order, JSON reversed, `k=v;` pairs, pairs reversed with spaces).
fn line(e: &Generated, with_fingerprint: bool, style: u8) -> String {
    let pairs: Vec<(&String, &String)> = match style % 2 {
        0 => e.own.iter().collect(),
        _ => e.own.iter().rev().collect(),
    };
    let text = if style < 2 {
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("\"\"{k}\"\":\"\"{v}\"\""))
            .collect();
        format!("\"{{{}}}\"", body.join(","))
    } else {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!(" {k}={v} ")).collect();
        body.join(";")
    };
    let time = |t: Option<i64>| t.map(format_millis).unwrap_or_default();
    let verdict = match e.actionable {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    let mut fields = vec![e.rule.clone()];
    if with_fingerprint {
        fields.push(fingerprint(&labels(e)));
    }
    fields.extend([
        text,
        e.severity.clone().unwrap_or_default(),
        e.team.clone().unwrap_or_default(),
        time(Some(e.start)),
        time(e.end),
        e.notifications.to_string(),
        time(e.acked),
        verdict.to_string(),
    ]);
    fields.join(",")
}

/// A history: instances of three rules, each firing several times, some
/// episodes still open, some acknowledged, some with a verdict.
fn history(seed: u64, instances: usize) -> Vec<Generated> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let t0 = t("2026-10-19T00:00:00Z");
    let mut out = Vec::new();
    for i in 0..instances {
        let rule = format!("Rule{}", rng.random_range(0..3));
        let mut own = BTreeMap::new();
        // Some instances share their label text and differ only in the
        // severity and team columns (or are the same instance).
        let host = if rng.random_bool(0.3) { i % 3 } else { i };
        own.insert("instance".to_string(), format!("host-{host}:9100"));
        if rng.random_bool(0.5) {
            own.insert("job".to_string(), format!("job{}", host % 4));
        }
        if rng.random_bool(0.2) {
            // A label that also has a column: the text's value stands.
            own.insert("severity".to_string(), "page".to_string());
        }
        let severity = rng
            .random_bool(0.8)
            .then(|| ["critical", "warning"][i % 2].to_string());
        let team = rng.random_bool(0.5).then(|| format!("team{}", i % 3));
        let mut at = t0 + rng.random_range(0..3_600_000);
        for _ in 0..rng.random_range(1..6) {
            let length = rng.random_range(1_000..3_600_000);
            let open = rng.random_bool(0.15);
            out.push(Generated {
                rule: rule.clone(),
                own: own.clone(),
                severity: severity.clone(),
                team: team.clone(),
                start: at,
                end: (!open).then_some(at + length),
                notifications: rng.random_range(1..4),
                acked: rng
                    .random_bool(0.4)
                    .then(|| at + rng.random_range(0..length)),
                actionable: [None, Some(true), Some(false)][rng.random_range(0..3)],
            });
            at += length + rng.random_range(0..7_200_000);
        }
    }
    out
}

/// A row of the episode table, as compared.
type TableRow = (
    String,         // rule
    String,         // fingerprint
    String,         // labels
    Option<String>, // severity
    Option<String>, // team
    i64,            // starts_at
    Option<i64>,    // ends_at
    u32,            // notifications
    Option<i64>,    // acked_at
    Option<bool>,   // actionable, by review
);

/// What the plain reader makes of a history: each episode once (exact
/// duplicates fold), an open episode ended by the next one of its
/// instance, sorted as the table is.
fn expected(history: &[Generated]) -> Vec<TableRow> {
    let mut rows: Vec<TableRow> = history
        .iter()
        .map(|e| {
            let labels = labels(e);
            (
                e.rule.clone(),
                fingerprint(&labels),
                labels_json(&labels),
                labels.get("severity").cloned(),
                labels.get("team").cloned(),
                e.start,
                e.end,
                e.notifications,
                e.acked,
                e.actionable,
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.1, a.5).cmp(&(&b.1, b.5)));
    for i in 1..rows.len() {
        if rows[i - 1].1 == rows[i].1 && rows[i - 1].6.is_none() {
            rows[i - 1].6 = Some(rows[i].5);
        }
    }
    rows.sort_by(|a, b| (&a.0, a.5, &a.1).cmp(&(&b.0, b.5, &b.1)));
    rows
}

/// The episode table alertnoise read, in the compared shape.
fn table(frame: &DataFrame) -> Vec<TableRow> {
    let text = |name: &str| -> Vec<Option<String>> {
        frame
            .column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    };
    let time = |name: &str| -> Vec<Option<i64>> {
        frame
            .column(name)
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect()
    };
    let (rule, fp, labels) = (text("rule"), text("fingerprint"), text("labels"));
    let (severity, team) = (text("severity"), text("team"));
    // The rows' own verdicts; the proxy's (`actionable_source` = proxy) are
    // not the reader's and are tested with the metrics.
    let verdict_source = text("actionable_source");
    let (starts, ends, acked) = (time("starts_at"), time("ends_at"), time("acked_at"));
    let notifications: Vec<Option<u32>> = frame
        .column("notifications")
        .unwrap()
        .u32()
        .unwrap()
        .iter()
        .collect();
    let actionable: Vec<Option<bool>> = frame
        .column("actionable")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    (0..frame.height())
        .map(|i| {
            (
                rule[i].clone().unwrap(),
                fp[i].clone().unwrap(),
                labels[i].clone().unwrap(),
                severity[i].clone(),
                team[i].clone(),
                starts[i].unwrap(),
                ends[i],
                notifications[i].unwrap(),
                acked[i],
                actionable[i].filter(|_| verdict_source[i].as_deref() == Some("review")),
            )
        })
        .collect()
}

/// Writes the lines as files under `dir`: split, each with the header,
/// some gzipped.
fn write_files(
    dir: &std::path::Path,
    parts: Vec<Vec<String>>,
    with_fingerprint: bool,
    gzip: &[bool],
) -> Vec<std::path::PathBuf> {
    parts
        .into_iter()
        .enumerate()
        .filter(|(_, lines)| !lines.is_empty())
        .map(|(i, lines)| {
            let text = format!("{}\n{}\n", header(with_fingerprint), lines.join("\n"));
            if gzip[i % gzip.len()] {
                let path = dir.join(format!("part-{i}.csv.gz"));
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(text.as_bytes()).unwrap();
                std::fs::write(&path, encoder.finish().unwrap()).unwrap();
                path
            } else {
                write(dir, &format!("part-{i}.csv"), &text)
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn the_table_is_what_a_plain_reader_makes_of_the_rows(
        seed in any::<u64>(),
        instances in 1usize..40,
        files in 1usize..5,
        duplicate_share in 0.0f64..0.4,
        with_fingerprint in any::<bool>(),
        gzip in proptest::collection::vec(any::<bool>(), 1..4),
    ) {
        let history = history(seed, instances);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let mut lines: Vec<String> = Vec::new();
        for e in &history {
            lines.push(line(e, with_fingerprint, rng.random_range(0..4)));
            if rng.random_bool(duplicate_share) {
                // The same episode again, its labels written another way.
                lines.push(line(e, with_fingerprint, rng.random_range(0..4)));
            }
        }
        lines.shuffle(&mut rng);
        let mut parts: Vec<Vec<String>> = vec![Vec::new(); files];
        for l in lines {
            parts[rng.random_range(0..files)].push(l);
        }
        let dir = tempfile::tempdir().unwrap();
        let inputs = write_files(dir.path(), parts, with_fingerprint, &gzip);
        let a = run(&options(inputs));
        prop_assert!(a.problems.is_empty(), "{:?}", a.problems);
        prop_assert_eq!(table(&a.episode_frame().unwrap()), expected(&history));
    }
}

/// A file large enough to be read in parallel chunks (4 MiB and more), each
/// chunk with its own cache of label texts, gives the plain reader's table.
#[test]
fn a_file_read_in_parallel_chunks_gives_the_plain_readers_table() {
    let history = history(11, 6_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let mut lines: Vec<String> = history
        .iter()
        .map(|e| line(e, false, rng.random_range(0..4)))
        .collect();
    // Every episode a second time, elsewhere in the file.
    lines.extend(
        history
            .iter()
            .map(|e| line(e, false, rng.random_range(0..4))),
    );
    lines.shuffle(&mut rng);
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_files(dir.path(), vec![lines], false, &[false]);
    let size = std::fs::metadata(&inputs[0]).unwrap().len();
    assert!(
        size >= 4 << 20,
        "{size} bytes: too small to be read in chunks"
    );
    let a = run(&options(inputs));
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert_eq!(table(&a.episode_frame().unwrap()), expected(&history));
}

/// Fields padded with spaces (bare or inside quotes) read as the same
/// fields unpadded: every value is trimmed, the rule and times as well as
/// the labels, the verdict and who acknowledged.
#[test]
fn padded_fields_read_as_unpadded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(
        dir.path(),
        "plain.csv",
        "rule,labels,severity,starts_at,ends_at,notifications,acked_at,acked_by,actionable\nA,instance=h1,critical,2026-10-19T10:00:00Z,2026-10-19T10:05:00Z,2,2026-10-19T10:01:00Z,ann,yes\nB,instance=h2,,2026-10-19T11:00:00Z,,1,,,\n",
    );
    let padded = write(
        dir.path(),
        "padded.csv",
        " rule , labels ,severity, starts_at ,ends_at,notifications,acked_at,acked_by,actionable\n A ,\" instance=h1 \",critical , 2026-10-19T10:00:00Z,\"2026-10-19T10:05:00Z \", 2 ,2026-10-19T10:01:00Z, ann ,  yes\nB\t, instance=h2,   ,2026-10-19T11:00:00Z ,  , 1 ,  ,,\n",
    );
    let context = alertnoise::sources::ReadContext::default();
    let read = |path: &std::path::Path| {
        let read = alertnoise::sources::read_all(&[path.to_path_buf()], None, &context).unwrap();
        assert!(
            read.output.problems.is_empty(),
            "{:?}",
            read.output.problems
        );
        read.output
            .rows()
            .into_iter()
            .map(|mut e| {
                e.origin = Default::default();
                e
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (read(&plain), read(&padded));
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].acked_by.as_deref(), Some("ann"));
    assert_eq!(a, b);
}
