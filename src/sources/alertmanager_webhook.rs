//! Alertmanager webhook bodies (`"version": "4"`), as a webhook receiver or
//! archiver stores them.
//!
//! Accepted layouts: one body per file, a JSON array of bodies, JSON lines,
//! bodies concatenated, and archiver lines `{"received_at": "...", "body": {...}}`.
//!
//! A body is a snapshot of an alert group, so one alert appears in many
//! bodies. An episode is keyed by (fingerprint, startsAt); the fingerprint is
//! computed Alertmanager's way when the body lacks it; `endsAt` of Go's zero
//! time means still firing; a `resolved` entry gives the end. Every distinct
//! body that carries an episode counts as one of its notifications; the same
//! body read twice (same content, same `received_at`) counts once. See
//! `docs/formats/alertmanager-webhook.md`.

use super::json_records;
use super::shown_labels::{AlertLabels, FastLabels, ShownLabels};
use super::text_blocks::{TextBlock, TextBlocks};
use super::{InputFile, Notified, ReadContext, Source, SourceOutput, TableRows};
use crate::episode_table::{CodedPiece, ReadRow, ReaderCodes};
use crate::fingerprint::fingerprint_sorted;
use crate::interned::{LabelMap, Local, Name};
use crate::problem::{LineIndex, Problem};
use crate::timefmt::{parse_stamp, Millis, Stamp};
use fnv::FnvHashMap;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::hash::Hasher;

/// The Alertmanager webhook format.
pub struct AlertmanagerWebhook;

/// The name in the `source` column.
pub const NAME: &str = "alertmanager-webhook";

/// A record: an archiver's envelope `{"received_at", "body"}` or a bare body.
/// Both shapes are read in one pass. Its alerts (`A`) are read either
/// raw, so that a bad one is skipped alone, with its own line, or (a record
/// on one line, the common case) as [`Alert`]s in the same pass, falling
/// back to raw when any of them cannot be read. The bare body's fields
/// repeat [`Body`]'s because `#[serde(flatten)]` buffers its input and
/// cannot lend out the borrowed raw alerts.
#[derive(Deserialize)]
#[serde(bound(deserialize = "A: Deserialize<'de>"))]
struct Record<'a, A> {
    #[serde(borrow)]
    body: Option<Body<'a, A>>,
    #[serde(borrow, alias = "receivedAt")]
    received_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "groupKey")]
    group_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    receiver: Option<Cow<'a, str>>,
    alerts: Option<Vec<A>>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "A: Deserialize<'de>"))]
struct Body<'a, A> {
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "groupKey")]
    group_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    receiver: Option<Cow<'a, str>>,
    alerts: Vec<A>,
}

/// One alert as one body shows it, borrowing from the file's text: only the
/// first sighting of an episode in a file is turned into an owned [`Episode`].
struct Sighting<'a> {
    labels: AlertLabels<'a>,
    group_key: Option<Cow<'a, str>>,
    fingerprint: Cow<'a, str>,
    starts_at: Millis,
    ends_at: Option<Millis>,
    body_id: u64,
    line: u64,
}

impl Sighting<'_> {
    fn rule(&self) -> &str {
        self.labels.alertname().unwrap_or("")
    }
}

/// Whether a label set holds exactly the labels an alert showed.
fn same_labels(set: &LabelMap, shown: &ShownLabels) -> bool {
    set.len() == shown.len()
        && set
            .iter()
            .zip(shown.iter())
            .all(|((k, v), (shown_k, shown_v))| k == shown_k && v == shown_v)
}

/// An alert of a body; its labels `L` are [`ShownLabels`] where the alert is
/// read on its own, [`FastLabels`] where the body is read whole.
#[derive(Deserialize)]
#[serde(bound(deserialize = "L: Deserialize<'de>"))]
struct Alert<'a, L = ShownLabels<'a>> {
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    labels: L,
    #[serde(borrow, rename = "startsAt")]
    starts_at: Cow<'a, str>,
    #[serde(borrow, rename = "endsAt")]
    ends_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    fingerprint: Option<Cow<'a, str>>,
}

impl Source for AlertmanagerWebhook {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Alertmanager webhook bodies (version 4): one per file, an array, JSON lines, concatenated, or archiver lines {\"received_at\", \"body\"}"
    }

    fn detection(&self) -> &'static str {
        "JSON with \"alerts\" and \"groupKey\" or \"version\" and neither Grafana's \"orgId\" nor the API's \"silencedBy\""
    }

    fn example(&self) -> &'static str {
        r#"{"received_at":"2026-10-19T10:00:30Z","body":{"version":"4","status":"firing","receiver":"oncall","groupKey":"{}:{alertname=\"HighLatency\"}","alerts":[{"status":"firing","labels":{"alertname":"HighLatency","severity":"warning"},"startsAt":"2026-10-19T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"1a2b3c4d5e6f7a8b"}]}}"#
    }

    fn detect(&self, head: &str) -> bool {
        let t = head.trim_start();
        (t.starts_with('{') || t.starts_with('['))
            && head.contains("\"alerts\"")
            && (head.contains("\"groupKey\"") || head.contains("\"version\""))
            && !head.contains("\"orgId\"")
            && !head.contains("\"silencedBy\"")
    }

    fn read(&self, file: &InputFile, text: &str, _context: &ReadContext) -> SourceOutput {
        read_bodies(file, text, NAME, "4")
    }

    fn streams(&self, head: &str) -> bool {
        super::json_records::is_json_lines(head)
    }

    fn read_blocks(
        &self,
        blocks: &mut TextBlocks,
        _context: &ReadContext,
    ) -> Result<SourceOutput, Problem> {
        read_body_blocks(blocks, NAME, "4")
    }
}

/// Reads webhook bodies of Alertmanager's shape from a whole file's text;
/// `source` names the rows and `version` is the body version expected
/// (Grafana's bodies say "1").
pub fn read_bodies(
    file: &InputFile,
    text: &str,
    source: &'static str,
    version: &str,
) -> SourceOutput {
    let lines = LineIndex::new(text.as_bytes());
    let (records, mut problems) = json_records::split(&file.name, text, &lines);
    let mut fold = EpisodeFold::new(&file.name, source);
    let parts = read_records(&file.name, text, &lines, &records, version);
    fold.add_all(parts, &mut problems);
    fold.output(problems)
}

/// Reads an archive of webhook bodies in JSON lines a block at a time, so
/// that memory grows with the episodes, not the file: while one block's
/// alerts are folded into the episodes (in order, on one thread), the next
/// block's bodies are read (on the others). Gives what [`read_bodies`]
/// gives for the whole text.
pub fn read_body_blocks(
    blocks: &mut TextBlocks,
    source: &'static str,
    version: &str,
) -> Result<SourceOutput, Problem> {
    let name = blocks.name().to_string();
    let mut fold = EpisodeFold::new(&name, source);
    let mut problems = Vec::new();
    // Two blocks in turn: `a` is folded while `b` is read, then the other way.
    let mut a = blocks.next().transpose()?;
    let mut read_a = read_block(&name, a.as_ref(), version);
    while a.is_some() {
        let b = blocks.next().transpose()?;
        let ((), read_b) = rayon::join(
            || fold.add_all(read_a, &mut problems),
            || read_block(&name, b.as_ref(), version),
        );
        if b.is_none() {
            break;
        }
        a = blocks.next().transpose()?;
        let ((), next) = rayon::join(
            || fold.add_all(read_b, &mut problems),
            || read_block(&name, a.as_ref(), version),
        );
        read_a = next;
    }
    Ok(fold.output(problems))
}

/// What reading some bodies gave: each body's alerts and problems, in order.
type BodiesRead<'a> = Vec<(Vec<Sighting<'a>>, Vec<Problem>)>;

/// Reads one block's bodies (none for no block).
fn read_block<'a>(file: &str, block: Option<&'a TextBlock>, version: &str) -> BodiesRead<'a> {
    let Some(block) = block else {
        return Vec::new();
    };
    let lines = block.lines();
    let records = json_records::split_lines(&block.text);
    read_records(file, &block.text, &lines, &records, version)
}

/// Reads the bodies of `records` (parts of `text`) in parallel.
fn read_records<'a>(
    file: &str,
    text: &'a str,
    lines: &LineIndex,
    records: &[json_records::Record<'a>],
    version: &str,
) -> BodiesRead<'a> {
    records
        .par_iter()
        .map(|&(offset, raw)| read_record(file, text, lines, offset, raw, version))
        .collect()
}

/// One file's episodes, one per (fingerprint, startsAt), folded from its
/// alerts' sightings in the order read straight into a piece of the episode
/// table, each row's notification identities and group keys beside it
/// (`episode_merge` joins files). Memory grows with the episodes, a row of
/// codes each, not with the sightings.
struct EpisodeFold {
    source: &'static str,
    file: Name,
    local: Local,
    codes: ReaderCodes,
    piece: CodedPiece,
    /// Each fingerprint's label set (its first episode's) and its episodes:
    /// their row by start.
    by_fingerprint: FnvHashMap<Name, Instance>,
    /// Per row: the line of the sighting that started it.
    lines: Vec<u64>,
    notified: Notified,
}

/// What the fold keeps of one fingerprint.
struct Instance {
    /// The label set's code of its first episode.
    labels: u32,
    /// Its first episode's labels as their plain JSON text, if they were
    /// plain: a later episode showing the same text has the same set,
    /// without reading its labels.
    plain_text: Option<Box<str>>,
    /// Its episodes' rows by start.
    rows: FnvHashMap<Millis, u32>,
}

impl EpisodeFold {
    fn new(file: &str, source: &'static str) -> EpisodeFold {
        let codes = ReaderCodes::default();
        EpisodeFold {
            source,
            file: Name::from(file),
            local: Local::default(),
            piece: CodedPiece::new(&codes, 0),
            codes,
            by_fingerprint: FnvHashMap::default(),
            lines: Vec::new(),
            notified: Notified::default(),
        }
    }

    /// Adds a sighting: a new episode, or one more notification of a known one.
    fn add(&mut self, sighting: Sighting) {
        let fingerprint: &str = &sighting.fingerprint;
        let instance = match self.by_fingerprint.get_mut(fingerprint) {
            Some(instance) => instance,
            None => {
                let labels = self.label_code(&sighting.labels.to_shown());
                let name = self.local.name(fingerprint);
                let instance = Instance {
                    labels,
                    plain_text: sighting.labels.plain_text().map(Box::from),
                    rows: FnvHashMap::default(),
                };
                self.by_fingerprint.entry(name).or_insert(instance)
            }
        };
        match instance.rows.entry(sighting.starts_at) {
            Entry::Occupied(slot) => {
                let row = *slot.get() as usize;
                if let Some(end) = sighting.ends_at {
                    let known = self.piece.ends_at(row);
                    self.piece
                        .set_ends_at(row, Some(known.map_or(end, |e| e.max(end))));
                }
                self.notified.ids[row].push(sighting.body_id);
                if let Some(key) = sighting.group_key {
                    let keys = &mut self.notified.join_keys[row];
                    if !keys.iter().any(|k| k.as_str() == key) {
                        keys.push(self.local.name(&key));
                    }
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(self.piece.len() as u32);
                // Nearly always the fingerprint's first label set: the
                // fingerprint is made from the labels.
                let first = instance.labels;
                let same_text = (instance.plain_text.as_deref())
                    .is_some_and(|text| sighting.labels.plain_text() == Some(text));
                let labels = if same_text {
                    first
                } else {
                    let shown = sighting.labels.to_shown();
                    if same_labels(self.codes.label_set(first).map(), &shown) {
                        first
                    } else {
                        self.label_code(&shown)
                    }
                };
                let row = ReadRow {
                    source: self.source,
                    rule: sighting.rule(),
                    fingerprint: Some(fingerprint),
                    labels,
                    severity: None,
                    team: None,
                    service: None,
                    starts_at: sighting.starts_at,
                    ends_at: sighting.ends_at,
                    notifications: 0,
                    acked_at: None,
                    acked_by: None,
                    ack_tracked: false,
                    actionable: None,
                    actionable_source: None,
                    incident_id: None,
                };
                self.piece.push(&mut self.codes, &row);
                self.lines.push(sighting.line);
                self.notified.ids.push(vec![sighting.body_id]);
                let key = sighting.group_key.map(|key| self.local.name(&key));
                self.notified.join_keys.push(key.into_iter().collect());
            }
        }
    }

    /// The code of an alert's label set in this file's codes.
    fn label_code(&mut self, labels: &ShownLabels) -> u32 {
        let parts: Vec<&str> = labels.iter().flat_map(|(k, v)| [k, v]).collect();
        let build = || {
            let map = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            Ok::<LabelMap, std::convert::Infallible>(map.collect())
        };
        match self.codes.labels_of_parts(&parts, build) {
            Ok(code) => code,
            Err(never) => match never {},
        }
    }

    /// Adds the alerts of bodies read, in order, and keeps their problems.
    fn add_all(&mut self, read: BodiesRead, problems: &mut Vec<Problem>) {
        for (sightings, body_problems) in read {
            problems.extend(body_problems);
            for sighting in sightings {
                self.add(sighting);
            }
        }
    }

    fn output(mut self, problems: Vec<Problem>) -> SourceOutput {
        for (row, ids) in self.notified.ids.iter_mut().enumerate() {
            ids.sort_unstable();
            ids.dedup();
            ids.shrink_to_fit();
            self.piece.set_notifications(row, ids.len() as u32);
        }
        let tables = if self.piece.is_empty() {
            Vec::new()
        } else {
            vec![TableRows {
                table: self.piece.into_table(&self.codes),
                file: self.file,
                lines: self.lines,
                notified: Some(self.notified),
            }]
        };
        SourceOutput {
            tables,
            problems,
            ..SourceOutput::default()
        }
    }
}

fn read_record<'a>(
    file: &str,
    text: &'a str,
    lines: &LineIndex,
    offset: usize,
    raw: &'a str,
    expected_version: &str,
) -> (Vec<Sighting<'a>>, Vec<Problem>) {
    let line = lines.line(offset);
    // A record on one line: every alert is on the record's line, and the
    // alerts are read with the record, unless one of them cannot be.
    if memchr::memchr(b'\n', raw.as_bytes()).is_none() {
        if let Ok(record) = serde_json::from_str::<Record<'a, Alert<'a, FastLabels<'a>>>>(raw) {
            return sightings(file, line, record, expected_version, |alert| {
                (line, check_alert(file, line, alert))
            });
        }
    }
    let record: Record<'a, &'a RawValue> = match serde_json::from_str(raw) {
        Ok(r) => r,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return (
                Vec::new(),
                vec![json_records::syntax_problem(file, lines, offset, &e)],
            )
        }
        Err(e) => {
            let reason = format!("not an Alertmanager webhook body: {e}");
            return (Vec::new(), vec![Problem::skipped(file, line, 0, reason)]);
        }
    };
    sightings(file, line, record, expected_version, |alert_raw| {
        let alert_line = lines.line(json_offset(text, alert_raw.get()).unwrap_or(offset));
        (alert_line, read_alert(file, alert_line, alert_raw))
    })
}

/// The sightings of a record's alerts (each read by `read`, which gives
/// the alert's line and the alert or why it is skipped) and the record's
/// problems; the body's identity (one notification) hashed from the
/// receiver, group key and what every alert says.
fn sightings<'a, A>(
    file: &str,
    line: u64,
    record: Record<'a, A>,
    expected_version: &str,
    mut read: impl FnMut(A) -> (u64, Result<(Sighting<'a>, Cow<'a, str>), Problem>),
) -> (Vec<Sighting<'a>>, Vec<Problem>) {
    let skip = |reason: String| (Vec::new(), vec![Problem::skipped(file, line, 0, reason)]);
    let (body, received_at) = match record {
        Record {
            body: Some(body),
            received_at,
            ..
        } => {
            let received = match received_at.as_deref().map(parse_stamp) {
                None | Some(Ok(Stamp::Unset)) => None,
                Some(Ok(Stamp::At(t))) => Some(t),
                Some(Err(e)) => return skip(format!("received_at: {e}")),
            };
            (body, received)
        }
        Record {
            alerts: Some(alerts),
            version,
            group_key,
            receiver,
            ..
        } => (
            Body {
                version,
                group_key,
                receiver,
                alerts,
            },
            None,
        ),
        _ => return skip("not an Alertmanager webhook body: no \"alerts\" array".to_string()),
    };
    let mut problems = Vec::new();
    if let Some(v) = body.version.as_deref() {
        if v != expected_version {
            problems.push(Problem::warning(
                file,
                line,
                0,
                format!(
                    "webhook version \"{v}\" (expected \"{expected_version}\"); read as version {expected_version}"
                ),
            ));
        }
    }
    let mut sightings = Vec::with_capacity(body.alerts.len());
    let mut identity = fnv::FnvHasher::default();
    if let Some(t) = received_at {
        identity.write_i64(t);
    }
    identity.write(body.receiver.as_deref().unwrap_or("").as_bytes());
    identity.write_u8(0xff);
    identity.write(body.group_key.as_deref().unwrap_or("").as_bytes());
    for alert in body.alerts {
        let (alert_line, read) = read(alert);
        match read {
            Ok((sighting, status)) => {
                identity.write_u8(0xfe);
                identity.write(sighting.fingerprint.as_bytes());
                identity.write_i64(sighting.starts_at);
                identity.write_i64(sighting.ends_at.unwrap_or(-1));
                identity.write(status.as_bytes());
                if status == "resolved" && sighting.ends_at.is_none() {
                    problems.push(Problem::warning(
                        file,
                        alert_line,
                        0,
                        format!(
                            "alert {} is \"resolved\" but its endsAt is Go's zero time; kept as still firing",
                            sighting.rule()
                        ),
                    ));
                }
                sightings.push(sighting);
            }
            Err(problem) => problems.push(problem),
        }
    }
    let body_id = identity.finish();
    for sighting in &mut sightings {
        sighting.body_id = body_id;
        sighting.group_key = body.group_key.clone();
    }
    (sightings, problems)
}

/// Offset of a borrowed slice inside `text`, if it borrows from it.
fn json_offset(text: &str, part: &str) -> Option<usize> {
    let start = text.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    (at >= start && at <= start + text.len()).then(|| at - start)
}

fn read_alert<'a>(
    file: &str,
    line: u64,
    raw: &'a RawValue,
) -> Result<(Sighting<'a>, Cow<'a, str>), Problem> {
    let alert: Alert<'a> = serde_json::from_str(raw.get())
        .map_err(|e| Problem::skipped(file, line, 0, format!("alert skipped: {e}")))?;
    check_alert(file, line, alert)
}

/// An alert read, as a sighting with its status, or the problem that skips it.
fn check_alert<'a, L: Into<AlertLabels<'a>>>(
    file: &str,
    line: u64,
    alert: Alert<'a, L>,
) -> Result<(Sighting<'a>, Cow<'a, str>), Problem> {
    let bad = |reason: String| Problem::skipped(file, line, 0, reason);
    let mut labels: AlertLabels<'a> = alert.labels.into();
    let rule = match labels.alertname() {
        Some(name) => name,
        None => return Err(bad("alert skipped: it has no alertname label".to_string())),
    };
    let starts_at = match parse_stamp(&alert.starts_at) {
        Ok(Stamp::At(t)) => t,
        Ok(Stamp::Unset) => return Err(bad(format!("alert {rule} skipped: no startsAt"))),
        Err(e) => return Err(bad(format!("alert {rule} skipped: startsAt {e}"))),
    };
    let status = alert.status.unwrap_or(Cow::Borrowed("firing"));
    let ends_at = if status == "resolved" {
        match alert.ends_at.as_deref().map(parse_stamp) {
            Some(Ok(Stamp::At(t))) => Some(t),
            None | Some(Ok(Stamp::Unset)) => None,
            Some(Err(e)) => return Err(bad(format!("alert {rule} skipped: endsAt {e}"))),
        }
    } else {
        // A firing alert's endsAt is zero or a lease in the future, never an end.
        None
    };
    if let Some(end) = ends_at.filter(|end| *end < starts_at) {
        return Err(bad(format!(
            "alert {rule} skipped: endsAt {} is before startsAt {}",
            crate::timefmt::format_millis(end),
            crate::timefmt::format_millis(starts_at)
        )));
    }
    let fingerprint = match alert.fingerprint {
        Some(f) if !f.is_empty() => f,
        _ => {
            let shown = labels.into_shown();
            let fingerprint = fingerprint_sorted(shown.iter());
            labels = AlertLabels::Read(shown);
            Cow::Owned(fingerprint)
        }
    };
    Ok((
        Sighting {
            labels,
            group_key: None,
            fingerprint,
            starts_at,
            ends_at,
            body_id: 0,
            line,
        },
        status,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interned::Labels;

    /// What a record's reading says, without lines: its sightings and the
    /// reasons of its problems.
    fn read_without_lines(raw: &str) -> (Vec<String>, Vec<String>) {
        let lines = LineIndex::new(raw.as_bytes());
        let (sightings, problems) = read_record("f", raw, &lines, 0, raw, "4");
        let sightings = sightings
            .iter()
            .map(|s| {
                format!(
                    "{:?} {:?} {} {} {:?} {} {:?}",
                    s.labels.to_shown(),
                    s.labels.alertname(),
                    s.fingerprint,
                    s.starts_at,
                    s.ends_at,
                    s.body_id,
                    s.group_key
                )
            })
            .collect();
        (sightings, problems.into_iter().map(|p| p.reason).collect())
    }

    /// A record on one line (its alerts read with it) gives what the same
    /// record over several lines gives (its alerts read raw, one by one),
    /// whether every alert can be read or some cannot.
    #[test]
    fn alerts_read_with_their_record_equal_alerts_read_one_by_one() {
        let alert = |labels: &str, status: &str, starts: &str, ends: &str| {
            format!(
                r#"{{"status":"{status}","labels":{labels},"annotations":{{"s":"\u00e9"}},"startsAt":"{starts}","endsAt":"{ends}"}}"#
            )
        };
        let good = alert(
            r#"{"alertname":"A","instance":"h\"1"}"#,
            "firing",
            "2026-10-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
        );
        let resolved_zero = alert(
            r#"{"alertname":"B"}"#,
            "resolved",
            "2026-10-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
        );
        let resolved = alert(
            r#"{"alertname":"B","x":"y"}"#,
            "resolved",
            "2026-10-01T00:00:00Z",
            "2026-10-01T00:05:00Z",
        );
        let no_name = alert(r#"{"x":"y"}"#, "firing", "2026-10-01T00:00:00Z", "");
        let bad_start = alert(r#"{"alertname":"C"}"#, "firing", "soon", "");
        let not_a_string = alert(
            r#"{"alertname":"D","n":1}"#,
            "firing",
            "2026-10-01T00:00:00Z",
            "",
        );
        let bodies = [
            vec![good.clone(), resolved.clone()],
            vec![good.clone(), resolved_zero.clone(), no_name.clone()],
            vec![bad_start.clone(), good.clone()],
            vec![not_a_string.clone(), good.clone(), resolved.clone()],
            vec![],
        ];
        // With a fingerprint, plain labels are scanned, not read, on one line.
        let fingerprinted = |alert: &String| {
            alert.replacen(
                "\"startsAt\"",
                "\"fingerprint\":\"0123456789abcdef\",\"startsAt\"",
                1,
            )
        };
        let both = bodies.iter().enumerate().flat_map(|(i, alerts)| {
            [
                (i, alerts.clone()),
                (i, alerts.iter().map(fingerprinted).collect()),
            ]
        });
        for (i, alerts) in both {
            let body = format!(
                r#"{{"version":"{}","receiver":"r","groupKey":"{{}}:{{alertname=\"A\"}}","alerts":[{}]}}"#,
                if i == 2 { "3" } else { "4" },
                alerts.join(",")
            );
            for record in [
                format!(r#"{{"received_at":"2026-10-01T00:01:00Z","body":{body}}}"#),
                body.clone(),
            ] {
                let spread = record.replacen('{', "{\n", 1);
                assert_eq!(
                    read_without_lines(&record),
                    read_without_lines(&spread),
                    "{record}"
                );
            }
        }
        // The plain labels of an alert with a fingerprint were scanned.
        let one = format!(r#"{{"alerts":[{}]}}"#, fingerprinted(&resolved));
        let (read, _) = read_record("f", &one, &LineIndex::new(one.as_bytes()), 0, &one, "4");
        assert!(read[0].labels.plain_text().is_some());
        // The good alert of the first body is read at all.
        let record = format!(r#"{{"alerts":[{good}]}}"#);
        assert_eq!(read_without_lines(&record).0.len(), 1);
    }

    /// Episodes of one fingerprint share the label set of the first when
    /// their labels are the same, and keep their own when a (hand-made)
    /// fingerprint covers other labels.
    #[test]
    fn episodes_of_a_fingerprint_share_its_labels_only_when_equal() {
        let body = |labels: &str, starts: &str| {
            format!(
                r#"{{"alerts":[{{"status":"firing","labels":{labels},"startsAt":"{starts}","fingerprint":"f1"}}]}}"#
            )
        };
        let text = [
            body(r#"{"alertname":"A","i":"1"}"#, "2026-10-01T00:00:00Z"),
            body(r#"{"alertname":"A","i":"1"}"#, "2026-10-02T00:00:00Z"),
            body(r#"{"alertname":"A","i":"2"}"#, "2026-10-03T00:00:00Z"),
            body(r#"{"i":"1","alertname":"A"}"#, "2026-10-04T00:00:00Z"),
            // The same labels as the first, escaped: read by serde, not scanned.
            body(
                r#"{ "alertname":"\u0041", "i":"1" }"#,
                "2026-10-05T00:00:00Z",
            ),
        ]
        .join("\n");
        let file = InputFile {
            name: "f".into(),
            bytes: Vec::new(),
        };
        let output = read_bodies(&file, &text, "alertmanager-webhook", "4");
        assert!(output.problems.is_empty(), "{:?}", output.problems);
        let rows = output.rows();
        let labels: Vec<&Labels> = rows.iter().map(|e| &e.labels).collect();
        assert_eq!(labels.len(), 5);
        assert_eq!(labels[0].json(), r#"{"alertname":"A","i":"1"}"#);
        assert_eq!(labels[2].json(), r#"{"alertname":"A","i":"2"}"#);
        assert_eq!(labels[0].address(), labels[1].address());
        assert_eq!(labels[0].address(), labels[3].address());
        assert_eq!(labels[0].address(), labels[4].address());
        assert_ne!(labels[0].address(), labels[2].address());
    }
}
