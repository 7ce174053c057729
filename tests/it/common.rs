//! Helpers shared by the integration tests.

use alertnoise::analysis::{analyze, Analysis, Options};
use alertnoise::report::rows::Row;
use alertnoise::timefmt::parse_rfc3339;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every file of the output contract that `report` writes (`advice.patch` only with `--rules`).
pub const REPORT_FILES: [&str; 6] = [
    "summary.json",
    "rules.json",
    "rules.csv",
    "report.md",
    "episodes.parquet",
    "advice.json",
];

/// Options as the command line's defaults give them.
pub fn options(inputs: Vec<PathBuf>) -> Options {
    Options::new(inputs)
}

/// Epoch ms of an RFC 3339 time.
pub fn t(text: &str) -> i64 {
    parse_rfc3339(text).unwrap()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the pipeline and panics on error.
pub fn run(options: &Options) -> Analysis {
    analyze(options).unwrap_or_else(|e| panic!("analysis failed: {e}"))
}

/// The row of a rule (and optional `--by` value).
pub fn row<'a>(rows: &'a [Row], rule: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no row for {rule} in {rows:?}"))
}

/// A field as f64, panicking when null.
pub fn f(row: &Row, key: &str) -> f64 {
    row[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is {:?}", row[key]))
}

/// Asserts two floats agree to 1e-6.
pub fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-6,
        "{what}: expected {expected}, got {actual}"
    );
}

/// The `alertnoise` binary.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_alertnoise"))
}

/// Runs the binary with arguments.
pub fn alertnoise(args: &[&str]) -> Output {
    bin().args(args).output().expect("run alertnoise")
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// Whether an external program (promtool, prometheus, patch) can be run. In
/// CI (`CI` set) a missing one fails the test: `.ci/run` installs them all.
pub fn have(program: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have `{program}` (.ci/run installs it)"
        );
        eprintln!("`{program}` is not installed here; skipped outside CI");
    }
    found
}

/// Runs a command and fails the test with its output if it does not succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `report` on the shipped sample with its reviews (and `extra`
/// arguments) into `out`, from the repository root.
pub fn sample_report(out: &Path, extra: &[&str]) {
    run_ok(
        bin()
            .current_dir(root())
            .args(["report", "sample-data/alertmanager"])
            .args(["--reviews", "sample-data/reviews.csv"])
            .args(extra)
            .arg("--out")
            .arg(out),
    );
}

/// Runs `report` on the shipped sample with its reviews and rule files (and
/// `extra` arguments) into `out`, and returns `advice.json`.
pub fn sample_advice(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--rules", "sample-data/rules"];
    args.extend(extra);
    sample_report(out, &args);
    serde_json::from_slice(&std::fs::read(out.join("advice.json")).unwrap()).unwrap()
}

/// Puts the sample rule file into a new git repository at `repo`, applies
/// `patch` there with `git apply`, and returns the patched file.
pub fn apply_to_sample_rules(repo: &Path, patch: &str) -> PathBuf {
    let rules = "sample-data/rules/acme-shop.rules.yml";
    // The patch also adds inhibit_rules to the sample's Alertmanager configuration.
    for file in [rules, "sample-data/alertmanager.yml"] {
        write(
            repo,
            file,
            &std::fs::read_to_string(root().join(file)).unwrap(),
        );
    }
    let patch_file = write(repo, "advice.patch", patch);
    run_ok(Command::new("git").current_dir(repo).args(["init", "-q"]));
    run_ok(
        Command::new("git")
            .current_dir(repo)
            .arg("apply")
            .arg(&patch_file),
    );
    repo.join(rules)
}

/// A free TCP port on loopback, for a server a test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads an Alertmanager `/api/v2/silences` answer with alertnoise's reader,
/// and checks, for every alert of an `/api/v2/alerts/groups` answer, that
/// the silences alertnoise finds matching (in force when the answer was
/// taken) are exactly the ones Alertmanager named in `silencedBy`. Returns
/// the labels of the alerts Alertmanager silenced.
pub fn assert_silences_match_alertmanager(
    silences: &str,
    groups: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    use std::collections::{BTreeMap, BTreeSet};
    let output = alertnoise::sources::all_sources()
        .into_iter()
        .find(|s| s.name() == "alertmanager-silences")
        .unwrap()
        .read(
            &alertnoise::sources::InputFile {
                name: "silences".into(),
                bytes: silences.as_bytes().to_vec(),
            },
            silences,
            &Default::default(),
        );
    assert!(output.problems.is_empty(), "{:?}", output.problems);
    assert!(!output.silences.is_empty());
    let groups: serde_json::Value = serde_json::from_str(groups).unwrap();
    let mut silenced = Vec::new();
    for alert in groups
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["alerts"].as_array().unwrap())
    {
        let labels: BTreeMap<String, String> =
            serde_json::from_value(alert["labels"].clone()).unwrap();
        let at = t(alert["updatedAt"].as_str().unwrap());
        let ours: BTreeSet<String> = output
            .silences
            .iter()
            .filter(|s| s.matches(&labels) && s.overlaps(at, Some(at + 1)))
            .map(|s| s.id.clone())
            .collect();
        let theirs: BTreeSet<String> =
            serde_json::from_value(alert["status"]["silencedBy"].clone()).unwrap();
        assert_eq!(ours, theirs, "{labels:?}");
        if !theirs.is_empty() {
            silenced.push(labels);
        }
    }
    silenced
}

/// A JSON file's value (a report's or a fetch's output).
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `report` made of `inputs` (with `extra` arguments) in `out`: its
/// standard output, `summary.json` and `rules.json`; fails the test when
/// the run fails.
pub fn report_on(
    inputs: &[&Path],
    out: &Path,
    extra: &[&str],
) -> (String, serde_json::Value, serde_json::Value) {
    let run = bin()
        .arg("report")
        .args(inputs)
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "report {inputs:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    (
        String::from_utf8_lossy(&run.stdout).to_string(),
        read_json(&out.join("summary.json")),
        read_json(&out.join("rules.json")),
    )
}
