//! Recommendations: what to change in which rule, with the evidence and the
//! simulated effect on the history.
//!
//! One file per kind, each an [`Advisor`]: `raise_for`, `lower_for`,
//! `keep_firing_for`, `remove`, `demote`, `lint` (and `threshold`, from a
//! backtest). [`simulate`] replays history under other settings. [`advise`]
//! runs them all and attaches the patch hunks when rule files were given.
//! The thresholds every advisor uses are documented in `docs/advice/`.

pub mod backtest;
pub mod burn_rate;
pub mod demote;
pub mod inhibit;
pub mod inventory;
pub mod keep_firing_for;
pub mod lint;
pub mod lower_for;
pub mod raise_for;
pub mod remove;
pub mod simulate;
pub mod threshold;

use crate::episodes::{EpisodeRef, EpisodeTable, LabelNames};
use crate::metrics::Window;
use crate::routing::AlertmanagerConfig;
use crate::rules::patch::{self, Change};
use crate::rules::{Rule, RuleFile, RuleKind};
use crate::timefmt::{format_duration, Millis};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};
use simulate::{Effect, Setting};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The candidate steps for `for:` and `keep_firing_for:` (DESIGN.md's ladder).
pub const DEFAULT_STEPS_MS: [Millis; 7] = [
    60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
];

/// "Most" of the short episodes or refires: the share a change must remove to be advised.
pub const MOST: f64 = 0.75;

/// Severity values that page someone.
pub const PAGING_SEVERITIES: [&str; 5] = ["critical", "page", "pager", "p1", "sev1"];

/// Whether a severity value pages someone (any case), for the advisors, the
/// lints and the report's findings alike.
pub fn is_paging_severity(severity: &str) -> bool {
    PAGING_SEVERITIES.contains(&severity.to_ascii_lowercase().as_str())
}

/// One recommendation.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    /// The alert rule (`alertname`), or the team/service a lint is about.
    pub rule: String,
    /// `raise_for`, `lower_for`, `keep_firing_for`, `threshold`, `remove`, `demote`,
    /// `burn_rate` or `lint`.
    pub kind: &'static str,
    /// `file:line` of the rule, when rule files were given.
    pub location: Option<String>,
    /// The new setting as the rule file would spell it, e.g. `{"for": "5m"}`; null for lints.
    pub change: Option<Value>,
    /// One sentence for the review meeting.
    pub summary: String,
    /// The numbers behind it.
    pub evidence: Map<String, Value>,
    /// The simulated effect on the history; null where nothing can be simulated.
    pub effect: Option<Effect>,
    /// The other candidates that were replayed, with their effects.
    pub alternatives: Vec<Alternative>,
    /// `high`, `medium` or `low`.
    pub confidence: &'static str,
    /// The unified diff of this change alone, when rule files were given.
    pub patch: Option<String>,
    /// Why there is no patch, when there could have been one.
    pub patch_note: Option<String>,
    /// The changes for the patch writer: (file index, rule index, change).
    #[serde(skip)]
    pub edits: Vec<(usize, usize, Change)>,
}

/// A replayed candidate that was not chosen (or was).
#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    /// The setting, spelled as in the rule file.
    pub change: Value,
    /// Its simulated effect.
    pub effect: Effect,
}

/// One rule (or, without rule files, one alert name) and its history in the window.
pub struct Target<'a> {
    /// The alert name.
    pub name: &'a str,
    /// The rule and its (file, rule) indices, when rule files were given and one matches.
    pub rule: Option<(usize, usize, &'a Rule)>,
    /// Its episodes that start (or, pending-only, become pending) inside the window.
    pub episodes: Vec<EpisodeRef<'a>>,
    /// The current `for:` and `keep_firing_for:` (zero when unknown).
    pub current: Setting,
    /// The severity of the rule or of its alerts.
    pub severity: Option<String>,
    /// Its history prepared for replays, made on the first replay and let
    /// go when the advisors are done with the target.
    pub history: Mutex<Option<simulate::History<'a>>>,
}

impl<'a> Target<'a> {
    /// Fired episodes.
    pub fn fired(&self) -> impl Iterator<Item = &EpisodeRef<'a>> {
        self.episodes.iter().filter(|e| e.starts_at().is_some())
    }

    /// Whether this rule pages (its severity is a paging one).
    pub fn pages(&self) -> bool {
        self.severity.as_deref().is_some_and(is_paging_severity)
    }

    /// `file:line` of its rule.
    pub fn location(&self) -> Option<String> {
        self.rule.map(|(_, _, r)| r.location())
    }

    /// An advice for this target with the common fields filled in.
    pub fn advice(&self, kind: &'static str, summary: String) -> Advice {
        Advice {
            rule: self.name.to_string(),
            kind,
            location: self.location(),
            change: None,
            summary,
            evidence: Map::new(),
            effect: None,
            alternatives: Vec::new(),
            confidence: "low",
            patch: None,
            patch_note: None,
            edits: Vec::new(),
        }
    }

    /// The patch instructions for changes to this target's rule (none without rule files).
    pub fn edits(&self, changes: Vec<Change>) -> Vec<(usize, usize, Change)> {
        match self.rule {
            Some((f, r, _)) => changes.into_iter().map(|c| (f, r, c)).collect(),
            None => Vec::new(),
        }
    }

    /// Lets go of the history prepared for replays (made again if asked for).
    pub fn forget_history(&self) {
        *self.history.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Counts of verdicts: (actionable, not actionable, unknown) over fired episodes.
    pub fn verdicts(&self) -> (u64, u64, u64) {
        let mut counts = (0, 0, 0);
        for e in self.fired() {
            match e.actionable() {
                Some(true) => counts.0 += 1,
                Some(false) => counts.1 += 1,
                None => counts.2 += 1,
            }
        }
        counts
    }
}

/// What advisors read.
pub struct Context<'a> {
    /// The rule files (may be empty).
    pub files: &'a [RuleFile],
    /// One target per alerting rule, and per alert name no rule defines.
    pub targets: Vec<Target<'a>>,
    /// The analysis window.
    pub window: Window,
    /// `--short`.
    pub short_ms: Millis,
    /// `--flap-window`.
    pub flap_window_ms: Millis,
    /// Candidate steps for `for:` and `keep_firing_for:`.
    pub steps_ms: Vec<Millis>,
    /// Label names for severity, team, service.
    pub label_names: &'a LabelNames,
    /// Metric series of rules' left-hand sides, by alert name (`--series`).
    pub series: &'a BTreeMap<String, backtest::SeriesSet>,
    /// The episode table (for advice across rules: `inhibit`).
    pub episodes: &'a EpisodeTable,
    /// `--alertmanager-config`, when given.
    pub routing: Option<&'a AlertmanagerConfig>,
    /// `--paging-receiver`.
    pub paging_receivers: &'a [String],
}

impl Context<'_> {
    /// Whether an episode paged someone: it reached a paging receiver
    /// (with `--alertmanager-config`), else its severity is a paging one.
    pub fn pages(&self, e: &EpisodeRef) -> bool {
        if let (Some(config), Some(receivers)) = (self.routing, self.episodes.receivers()) {
            return receivers.of_row(e.row()).any(|name| {
                config.receiver(name).is_some_and(|r| r.pages())
                    || self.paging_receivers.iter().any(|p| p == name)
            });
        }
        let severity = e.severity().or_else(|| {
            e.labels()
                .get(&self.label_names.severity)
                .map(String::as_str)
        });
        severity.is_some_and(is_paging_severity)
    }

    /// Replays a target under `new`.
    pub fn effect(&self, target: &Target, new: Setting) -> Effect {
        let mut history = target.history.lock().unwrap_or_else(|e| e.into_inner());
        history
            .get_or_insert_with(|| {
                simulate::History::new(
                    &target.episodes,
                    target.current,
                    self.window.until,
                    self.short_ms,
                    self.flap_window_ms,
                )
            })
            .effect(new)
    }
}

/// Replays `candidates` (a setting and its change as spelled in the rule file)
/// in order and returns all of them as alternatives, with the first whose
/// effect `accept`s: how `raise_for`, `lower_for` and `keep_firing_for` pick
/// the smallest step that works.
pub fn first_accepted(
    ctx: &Context,
    target: &Target,
    candidates: impl IntoIterator<Item = (Setting, Value)>,
    accept: impl Fn(&Effect) -> bool,
) -> (Vec<Alternative>, Option<(Setting, Value, Effect)>) {
    let mut alternatives = Vec::new();
    let mut chosen = None;
    for (new, change) in candidates {
        let effect = ctx.effect(target, new);
        if chosen.is_none() && accept(&effect) {
            chosen = Some((new, change.clone(), effect.clone()));
        }
        alternatives.push(Alternative { change, effect });
    }
    (alternatives, chosen)
}

/// A JSON object literal as an advice's evidence (anything else: none).
pub fn evidence(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One recommendation kind.
pub trait Advisor: Sync {
    /// The kind's name as it appears in `advice.json`.
    fn kind(&self) -> &'static str;
    /// The recommendations of this kind for one target (none for a kind
    /// that reads only the rule files).
    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice>;
    /// The recommendations of this kind about the rule files themselves,
    /// not about one target's history (`lint`'s).
    fn advise_files(&self, _ctx: &Context) -> Vec<Advice> {
        Vec::new()
    }
}

/// Every advisor, in the order the report lists kinds.
pub fn all_advisors() -> Vec<Box<dyn Advisor>> {
    vec![
        Box::new(remove::Remove),
        Box::new(demote::Demote),
        Box::new(threshold::ThresholdAdvisor),
        Box::new(raise_for::RaiseFor),
        Box::new(lower_for::LowerFor),
        Box::new(keep_firing_for::KeepFiringFor),
        Box::new(lint::Lint),
    ]
}

/// How sure an advice is, from how much history and how many verdicts back it.
pub fn confidence(episodes: u64, verdicts_known: u64) -> &'static str {
    let coverage = if episodes == 0 {
        0.0
    } else {
        verdicts_known as f64 / episodes as f64
    };
    if episodes >= 20 && coverage >= 0.5 {
        "high"
    } else if episodes >= 5 && verdicts_known > 0 {
        "medium"
    } else {
        "low"
    }
}

/// `{"for": "5m"}` when the rule file is known, else `{"for_add": "5m"}` (current unknown).
pub fn duration_change(target: &Target, key: &str, new_ms: Millis, added_ms: Millis) -> Value {
    if target.rule.is_some() {
        json!({ key: format_duration(new_ms) })
    } else {
        json!({ format!("{key}_add"): format_duration(added_ms) })
    }
}

/// Builds the targets: every alerting rule with the episodes it produced, then
/// every alert name in the history that no rule defines.
pub fn targets<'a>(
    files: &'a [RuleFile],
    episodes: &'a EpisodeTable,
    window: Window,
    names: &LabelNames,
) -> Vec<Target<'a>> {
    let in_window = |e: &EpisodeRef| {
        e.starts_at()
            .or(e.pending_since())
            .is_some_and(|t| t >= window.since && t < window.until)
    };
    // Grouped by the rule column's codes (one per distinct name), then named.
    // Each rule's list is made at its final length (counted first), and
    // moved, not copied, to its name.
    let rules = episodes.rules();
    let in_window_rows: Vec<bool> = episodes.iter().map(|e| in_window(&e)).collect();
    let mut counts = vec![0usize; rules.values().len() + 1];
    for (&code, _) in rules
        .codes()
        .iter()
        .zip(&in_window_rows)
        .filter(|(_, &w)| w)
    {
        counts[code as usize] += 1;
    }
    let mut by_code: Vec<Vec<EpisodeRef>> = counts.iter().map(|&n| Vec::with_capacity(n)).collect();
    for e in episodes.iter().filter(|e| in_window_rows[e.row()]) {
        by_code[rules.codes()[e.row()] as usize].push(e);
    }
    let mut by_name: BTreeMap<&str, Vec<EpisodeRef>> = BTreeMap::new();
    for (code, eps) in by_code.into_iter().enumerate() {
        if !eps.is_empty() {
            let name = rules.text_of(code as u32).map_or("", |n| n.as_str());
            match by_name.entry(name) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(eps);
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    slot.get_mut().extend(eps);
                }
            }
        }
    }
    let severity_of = |eps: &[EpisodeRef]| {
        eps.iter().find_map(|e| {
            e.severity()
                .map(str::to_string)
                .or_else(|| e.labels().get(&names.severity).cloned())
        })
    };
    let mut out = Vec::new();
    let mut defined = std::collections::BTreeSet::new();
    for (fi, file) in files.iter().enumerate() {
        for (ri, rule) in file.rules.iter().enumerate() {
            if rule.kind != RuleKind::Alerting {
                continue;
            }
            defined.insert(rule.name.as_str());
            let eps: Vec<EpisodeRef> = by_name
                .get(rule.name.as_str())
                .map(|v| v.iter().copied().filter(|e| rule.matches(*e)).collect())
                .unwrap_or_default();
            let severity = rule
                .labels
                .get(&names.severity)
                .map(|v| v.text.clone())
                .or_else(|| severity_of(&eps));
            out.push(Target {
                name: rule.name.as_str(),
                rule: Some((fi, ri, rule)),
                current: Setting {
                    for_ms: rule.for_ms.unwrap_or(0),
                    keep_firing_for_ms: rule.keep_firing_for_ms.unwrap_or(0),
                },
                episodes: eps,
                severity,
                history: Mutex::new(None),
            });
        }
    }
    for (name, eps) in by_name {
        if defined.contains(name) {
            continue;
        }
        let severity = severity_of(&eps);
        out.push(Target {
            name,
            rule: None,
            episodes: eps,
            current: Setting {
                for_ms: 0,
                keep_firing_for_ms: 0,
            },
            severity,
            history: Mutex::new(None),
        });
    }
    out
}

/// Writes an advice's own patch hunk (its changes alone), or the reason there is none.
pub fn attach_patch(files: &[RuleFile], advice: &mut Advice) {
    attach_patches(files, std::slice::from_mut(advice));
}

/// A file's index and the changes to make in it, by rule index.
type FileChanges = (usize, Vec<(usize, Change)>);

/// The changes of one advice, by rule index, and the file they are in.
fn changes_of(advice: &Advice) -> Option<FileChanges> {
    let (fi, _, _) = advice.edits.first()?;
    let changes = advice
        .edits
        .iter()
        .map(|(_, ri, c)| (*ri, c.clone()))
        .collect();
    Some((*fi, changes))
}

/// Advice on distinct rules of one file, whose patched file is read back once.
struct Round {
    file: usize,
    /// Indices of the advice.
    members: Vec<usize>,
    /// The rules they change.
    rules: std::collections::HashSet<usize>,
}

/// Attaches every advice's patch hunk. Each hunk's patched file must read
/// back as intended, but reading a large file back once per advice (500
/// rules' advice in one file) cost more than the rest of the run: advice on
/// different rules of a file are read back together instead, in rounds of
/// at most one advice per rule. A round that does not read back as intended
/// is checked advice by advice, so a failure is still pinned to its advice.
pub fn attach_patches(files: &[RuleFile], advice: &mut [Advice]) {
    let changes: Vec<Option<FileChanges>> = advice.iter().map(changes_of).collect();
    let mut rounds: Vec<Round> = Vec::new();
    for (i, (fi, own)) in changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i, c.as_ref()?)))
    {
        let fits = |r: &Round| r.file == *fi && own.iter().all(|(ri, _)| !r.rules.contains(ri));
        let at = match rounds.iter().position(fits) {
            Some(at) => at,
            None => {
                rounds.push(Round {
                    file: *fi,
                    members: Vec::new(),
                    rules: Default::default(),
                });
                rounds.len() - 1
            }
        };
        rounds[at].members.push(i);
        rounds[at].rules.extend(own.iter().map(|(ri, _)| *ri));
    }
    let mut checked = vec![false; advice.len()];
    for round in &rounds {
        let file = &files[round.file];
        let together: Vec<(usize, Change)> = round
            .members
            .iter()
            .filter_map(|&i| changes[i].as_ref())
            .flat_map(|(_, own)| own.iter().cloned())
            .collect();
        let reads_back = patch::edit(file, &together)
            .and_then(|text| patch::verify(file, &together, &text))
            .is_ok();
        for &i in &round.members {
            checked[i] = reads_back;
        }
    }
    advice
        .par_iter_mut()
        .zip(changes.par_iter())
        .zip(checked.par_iter())
        .for_each(|((advice, changes), &checked)| {
            let Some((fi, changes)) = changes else {
                return;
            };
            let file = &files[*fi];
            let new = if checked {
                patch::edit(file, changes)
            } else {
                patch::apply(file, changes)
            };
            match new {
                Ok(new) => advice.patch = Some(diff_against(file, &new)),
                Err(e) => {
                    advice.patch_note = Some(e);
                    advice.edits.clear();
                }
            }
        });
}

/// Runs every advisor and attaches patch hunks. Advice is sorted by rule, then kind.
pub fn advise(ctx: &Context) -> Vec<Advice> {
    // Target by target, side by side: every advisor reads one target's
    // history (its replays prepared once), which is let go when they are
    // done, so the histories of a large run are never all held at once.
    let advisors = all_advisors();
    let advise_target = |target: &Target| {
        let advice: Vec<Advice> = (advisors.iter())
            .flat_map(|a| a.advise(ctx, target))
            .collect();
        target.forget_history();
        advice
    };
    let mut out: Vec<Advice> = largest_first(&ctx.targets, |t| t.episodes.len(), advise_target)
        .into_iter()
        .flatten()
        .collect();
    out.extend(advisors.iter().flat_map(|a| a.advise_files(ctx)));
    attach_patches(ctx.files, &mut out);
    out.extend(inhibit::advise(ctx));
    let kinds: Vec<&str> = advisors.iter().map(|a| a.kind()).collect();
    out.sort_by(|a, b| {
        let rank = |k: &str| kinds.iter().position(|x| *x == k).unwrap_or(usize::MAX);
        (&a.rule, a.location.as_deref(), rank(a.kind)).cmp(&(
            &b.rule,
            b.location.as_deref(),
            rank(b.kind),
        ))
    });
    out
}

/// `work` done on every item, the largest (by `size`) first, each taken
/// by the next thread free, so that a run does not end with one thread
/// replaying its largest rule while the others wait; the results in the
/// items' order.
fn largest_first<T: Sync, R: Send>(
    items: &[T],
    size: impl Fn(&T) -> usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(&items[i])));
    let next = AtomicUsize::new(0);
    let threads = rayon::current_num_threads().clamp(1, items.len().max(1));
    let done: Vec<Vec<(usize, R)>> = (0..threads)
        .into_par_iter()
        .map(|_| {
            let mut mine = Vec::new();
            while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                mine.push((i, work(&items[i])));
            }
            mine
        })
        .collect();
    let mut results: Vec<(usize, R)> = done.into_iter().flatten().collect();
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Applies changes to one rule file and returns them as a diff against it.
fn file_diff(file: &RuleFile, changes: &[(usize, Change)]) -> Result<String, String> {
    let new = patch::apply(file, changes)?;
    Ok(diff_against(file, &new))
}

/// A rule file's new text as a diff against the file, with the path a patch names.
fn diff_against(file: &RuleFile, new: &str) -> String {
    patch::unified_diff(&diff_path(&file.path), &file.text, new)
}

/// The path a patch names: relative to the working directory where possible,
/// without `./`, so that `git apply` and `patch -p1` run from there find it.
/// A file elsewhere is named from the root without its leading `/`, as
/// `git diff --no-index` names it (`a/etc/prometheus/rules.yml`, applied
/// from `/`), never `a//etc/…`.
pub fn diff_path(path: &std::path::Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let abs = std::fs::canonicalize(path).ok()?;
            let cwd = std::fs::canonicalize(cwd).ok()?;
            abs.strip_prefix(cwd).ok().map(|p| p.to_path_buf())
        })
        .unwrap_or_else(|| path.to_path_buf());
    let text = relative.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// The combined patch of every advice: per file, all changes at once; a removed
/// rule's other changes are dropped. Empty when there is nothing to change.
pub fn combined_patch(files: &[RuleFile], advice: &[Advice]) -> (String, Vec<String>) {
    let mut per_file: BTreeMap<usize, Vec<(usize, Change)>> = BTreeMap::new();
    for (fi, ri, change) in advice.iter().flat_map(|a| a.edits.iter().cloned()) {
        per_file.entry(fi).or_default().push((ri, change));
    }
    let mut out = String::new();
    let mut notes = Vec::new();
    for (fi, mut changes) in per_file {
        let removed: Vec<usize> = changes
            .iter()
            .filter(|(_, c)| *c == Change::Remove)
            .map(|(r, _)| *r)
            .collect();
        changes.retain(|(r, c)| *c == Change::Remove || !removed.contains(r));
        let file = &files[fi];
        match file_diff(file, &changes) {
            Ok(diff) => out.push_str(&diff),
            Err(e) => notes.push(format!("{}: {e}", file.name)),
        }
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    /// A rule file outside the working directory is named from the root
    /// without its leading slash; one inside, relative to it.
    #[test]
    fn patch_paths_never_begin_with_a_slash() {
        let outside = tempfile::tempdir().unwrap();
        let file = outside.path().join("rules.yml");
        std::fs::write(&file, "groups: []\n").unwrap();
        let named = super::diff_path(&file);
        assert!(!named.starts_with('/'), "{named}");
        let root = std::path::Path::new("/").join(&named);
        assert_eq!(
            std::fs::canonicalize(root).unwrap(),
            std::fs::canonicalize(&file).unwrap()
        );
        assert_eq!(
            super::diff_path(std::path::Path::new("./sample-data/rules/x.yml")),
            "sample-data/rules/x.yml"
        );
    }

    /// Every item is worked on once, whatever the sizes, and the results
    /// come in the items' order.
    #[test]
    fn largest_first_gives_every_result_in_the_items_order() {
        for count in [0usize, 1, 2, 7, 100] {
            let items: Vec<usize> = (0..count).map(|i| (i * 37) % 11).collect();
            let calls = std::sync::atomic::AtomicUsize::new(0);
            let results = super::largest_first(
                &items,
                |&size| size,
                |&size| {
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    size * 2
                },
            );
            let expected: Vec<usize> = items.iter().map(|s| s * 2).collect();
            assert_eq!(results, expected);
            assert_eq!(calls.into_inner(), count);
        }
    }
}
