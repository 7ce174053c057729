//! The command line as a user runs it: inputs of every kind, output safety,
//! determinism, and usage errors.

use crate::common::*;
use std::io::Write;

const CSV: &str = "rule,starts_at,ends_at,labels\nNoisy,2026-01-06T10:00:00Z,2026-01-06T10:01:00Z,i=1\nNoisy,2026-01-06T10:05:00Z,2026-01-06T10:06:00Z,i=1\nQuiet,2026-01-06T12:00:00Z,2026-01-06T12:30:00Z,i=2\n";

fn report_args<'a>(inputs: &[&'a str], out: &'a str) -> Vec<&'a str> {
    let mut args = vec!["report"];
    args.extend(inputs);
    args.extend(["--out", out]);
    args
}

#[test]
fn gzip_stdin_and_directories_read_the_same_history() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain/h.csv", CSV);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(CSV.as_bytes()).unwrap();
    std::fs::create_dir_all(dir.path().join("nested/deeper")).unwrap();
    // No .gz name: detected by its magic bytes.
    std::fs::write(
        dir.path().join("nested/deeper/h.csv.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();

    let read = |args: Vec<String>, stdin: Option<&str>| -> String {
        let out = dir
            .path()
            .join(format!("out-{}", args.len() + stdin.map_or(0, |_| 100)));
        let mut cmd = bin();
        cmd.arg("report").args(&args).arg("--out").arg(&out);
        if let Some(text) = stdin {
            cmd.stdin(std::process::Stdio::piped());
            let mut child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success());
        } else {
            assert!(cmd.output().unwrap().status.success());
        }
        std::fs::read_to_string(out.join("rules.json")).unwrap()
    };
    let from_file = read(vec![plain.display().to_string()], None);
    let from_dir = read(
        vec![
            dir.path().join("nested").display().to_string(),
            "--force".into(),
        ],
        None,
    );
    let from_stdin = read(vec!["-".into()], Some(CSV));
    assert_eq!(from_file, from_dir);
    assert_eq!(from_file, from_stdin);
    assert!(from_file.contains("\"Noisy\""));
}

#[test]
fn an_existing_report_is_kept_without_force_and_other_directories_even_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "h.csv", CSV);
    let input = input.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    assert!(alertnoise(&report_args(&[input], out)).status.success());
    let again = alertnoise(&report_args(&[input], out));
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let mut forced = report_args(&[input], out);
    forced.push("--force");
    assert!(alertnoise(&forced).status.success());

    let precious = dir.path().join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("notes.txt"), "mine").unwrap();
    let mut args = report_args(&[input], precious.to_str().unwrap());
    args.push("--force");
    let refused = alertnoise(&args);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(precious.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn output_is_byte_identical_across_runs_and_prints_the_noisiest_rules() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "h.csv", CSV);
    let input = input.to_str().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let first = alertnoise(&report_args(&[input], a.to_str().unwrap()));
    let second = alertnoise(&report_args(&[input], b.to_str().unwrap()));
    assert!(first.status.success());
    assert_eq!(first.stdout.len(), second.stdout.len());
    for file in REPORT_FILES {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file} differs between runs"
        );
    }
    let stdout = String::from_utf8_lossy(&first.stdout);
    let noisy_at = stdout.find("Noisy").expect("Noisy listed");
    let quiet_at = stdout.find("Quiet").expect("Quiet listed");
    assert!(noisy_at < quiet_at, "sorted by noise: {stdout}");
    assert!(
        stdout.lines().all(|l| l == l.trim_end()),
        "no trailing spaces on stdout: {stdout:?}"
    );
    let csv = std::fs::read_to_string(a.join("rules.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("rule,severity,current_for_s,episodes,episodes_per_day,instances,notifications,firing_hours"));
    assert!(header.ends_with("off_hours_ratio,noisy_episodes,noise_score,silenced_ratio"));
}

#[test]
fn usage_errors_exit_2_with_the_flag_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "h.csv", CSV);
    let input = input.to_str().unwrap();
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    for (flag, value, words) in [
        ("--short", "5 minutes", "--short"),
        ("--flap-window", "30m1h", "--flap-window"),
        ("--tz", "Mars/Olympus", "--tz"),
        (
            "--business-hours",
            "Mon-Fri 18:00-09:00",
            "--business-hours",
        ),
        ("--since", "last tuesday", "--since"),
        ("--format", "nagios", "unknown format"),
        ("--by", "episodes", "--by"),
        ("--outputs", "md,pdf", "--outputs"),
    ] {
        let mut args = report_args(&[input], out);
        args.extend([flag, value]);
        let result = alertnoise(&args);
        assert_eq!(result.status.code(), Some(2), "{flag} {value}");
        assert!(
            String::from_utf8_lossy(&result.stderr).contains(words),
            "{flag}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    let missing = alertnoise(&report_args(&["/nonexistent/alerts.json"], out));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/alerts.json"));
}

#[test]
fn outputs_choose_the_files_and_summary_json_is_always_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "h.csv", CSV);
    let input = input.to_str().unwrap();
    let files = |out: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for (outputs, expected) in [
        ("md", vec!["report.md", "summary.json"]),
        ("html", vec!["report.html", "summary.json"]),
        (
            "json",
            vec![
                "advice.json",
                "episodes.parquet",
                "instances.json",
                "responders.json",
                "rules.csv",
                "rules.json",
                "stuck.json",
                "summary.json",
            ],
        ),
        (
            "md,html,json",
            vec![
                "advice.json",
                "episodes.parquet",
                "instances.json",
                "report.html",
                "report.md",
                "responders.json",
                "rules.csv",
                "rules.json",
                "stuck.json",
                "summary.json",
            ],
        ),
    ] {
        let out = dir.path().join(outputs.replace(',', "-"));
        let mut args = report_args(&[input], out.to_str().unwrap());
        args.extend(["--outputs", outputs]);
        let result = alertnoise(&args);
        assert!(
            result.status.success(),
            "{outputs}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert_eq!(files(&out), expected, "--outputs {outputs}");
    }
    // The default is every output, and the same bytes as asking for them all.
    let all = dir.path().join("default");
    assert!(alertnoise(&report_args(&[input], all.to_str().unwrap()))
        .status
        .success());
    for name in files(&all) {
        if name == "episodes.parquet" {
            continue;
        }
        assert_eq!(
            std::fs::read(all.join(&name)).unwrap(),
            std::fs::read(dir.path().join("md-html-json").join(&name)).unwrap(),
            "{name}"
        );
    }
    // compare needs the data files, and says why they are missing.
    let md_only = dir.path().join("md");
    let refused = alertnoise(&["compare", md_only.to_str().unwrap(), all.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("without `json` in `--outputs`"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // --history records rules.json and advice.json: it needs json.
    let out = dir.path().join("pages");
    let hist = dir.path().join("hist");
    let mut args = report_args(&[input], out.to_str().unwrap());
    args.extend(["--outputs", "md,html", "--history", hist.to_str().unwrap()]);
    let refused = alertnoise(&args);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--outputs"));
    assert!(!out.exists() && !hist.exists());
}

#[test]
fn episodes_parquet_holds_the_canonical_columns() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "h.csv", CSV);
    let out = dir.path().join("o");
    assert!(alertnoise(&report_args(
        &[input.to_str().unwrap()],
        out.to_str().unwrap()
    ))
    .status
    .success());
    let file = std::fs::File::open(out.join("episodes.parquet")).unwrap();
    let frame = ParquetReader::new(file).finish().unwrap();
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        names,
        alertnoise::episodes::COLUMNS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(frame.height(), 3);
    assert_eq!(
        frame.column("starts_at").unwrap().dtype(),
        &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
    );
}

#[test]
fn a_symlink_loop_in_an_archive_folder_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    write(&archive, "h.csv", CSV);
    std::os::unix::fs::symlink(&archive, archive.join("loop")).unwrap();
    let out = dir.path().join("o");
    let result = alertnoise(&report_args(
        &[archive.to_str().unwrap()],
        out.to_str().unwrap(),
    ));
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"files\": 1"), "{summary}");
}

#[test]
fn a_closed_stdout_pipe_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "h.csv", CSV);
    let out = dir.path().join("o");
    for args in [
        vec![
            "report",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["formats"],
    ] {
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // like `| head -0`
        let result = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(result.status.code(), Some(0), "{args:?}: {stderr}");
    }
    assert!(
        out.join("rules.json").exists(),
        "the report is written before stdout"
    );
}

#[test]
fn the_table_on_stdout_is_plain_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(bin().current_dir(root()).args([
        "report",
        "sample-data/alertmanager",
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("rule "), "{stdout}");
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
}
