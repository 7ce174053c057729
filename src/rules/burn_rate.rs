//! Recognising SLO burn-rate alerts in rule files.
//!
//! The SRE workbook's multiwindow, multi-burn-rate alert ("Alerting on SLOs")
//! fires when the error ratio over a long window and over a short one both
//! exceed `f × B`, the burn-rate factor times the error budget `B = 1 −
//! objective`. Sloth, Pyrra, kube-prometheus' mixins and slo-libsonnet write it
//! as `long_ratio > (f * B) and short_ratio > (f * B)`, several pairs joined by
//! `or`, the comparisons wrapped in `sum by(…)` or `max(…) without(…)`, the
//! operands joined by `and on(…)`, and `B` written as a literal
//! (`0.0009999999999999432`) or as `(1-0.999)`.
//!
//! A condition counts as a burn-rate condition when it compares a series with
//! a product of two constants of which one is a budget (`(1 - x)`, or the
//! factor below 1); a plain `a > 0.1 and b > 0` is not one. The window of each
//! side comes from the recording rule's name (`ratio_rate5m`, `burnrate1h`), a
//! `sloth_window` matcher or label, or the range of the selectors in an inline
//! ratio (`rate(x[5m])`); Pyrra's and kube-prometheus' `long`/`short` alert
//! labels are checked against them. Other conditions in the same branch (a
//! minimum request count) are kept as guards. One burn-rate condition alone is
//! a single-window burn-rate alert (the seed articles' shape).

use super::Rule;
use crate::timefmt::{format_duration, parse_duration, Millis};
use promql_parser::parser::token::{T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_MUL, T_SUB};
use promql_parser::parser::{BinaryExpr, Expr};
use serde::Serialize;
use std::collections::BTreeMap;

/// The SLO period the workbook's factors assume when nothing says otherwise.
pub const DEFAULT_PERIOD_MS: Millis = 30 * 86_400_000;

/// A burn-rate alerting rule: its window pairs, joined by `or`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurnRateAlert {
    /// Index of the rule in the list given to [`recognise`].
    #[serde(skip)]
    pub rule: usize,
    /// The `alert:` name.
    pub alert: String,
    /// `file:line` of the rule.
    pub location: String,
    /// `for:` in milliseconds (0 when absent).
    #[serde(skip)]
    pub for_ms: Millis,
    /// `keep_firing_for:` in milliseconds (0 when absent).
    #[serde(skip)]
    pub keep_firing_for_ms: Millis,
    /// The `severity` label, else Sloth's `sloth_severity`.
    pub severity: Option<String>,
    /// The SLO's name: a `sloth_slo` or `slo` matcher or label, else the series' name.
    pub slo: String,
    /// The window pairs, in the order written.
    pub pairs: Vec<WindowPair>,
}

/// One `long > θ and short > θ` condition of a burn-rate alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowPair {
    /// The long window.
    pub long: Window,
    /// The short window; `None` for a single-window burn-rate condition.
    pub short: Option<Window>,
    /// The burn-rate factor `f` as written (14.4, 13.44, 14).
    pub factor: f64,
    /// The error budget `B` as written (`0.0009999999999999432`, `1-0.999`).
    pub budget: f64,
    /// The objective `1 − B`, rounded to what was meant (0.999).
    pub objective: f64,
    /// The long side's series, as PromQL (what must be recorded to replay it).
    pub long_series: String,
    /// The short side's series.
    pub short_series: Option<String>,
    /// The branch of the expression this pair is, with its guards, as PromQL.
    pub condition: String,
    /// Other conditions of the branch (a minimum request count), as PromQL.
    pub guards: Vec<String>,
}

/// A window and where its length was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// Its length in milliseconds.
    #[serde(skip)]
    pub ms: Millis,
    /// Its length in Prometheus syntax.
    pub text: String,
}

impl Window {
    fn new(ms: Millis) -> Self {
        Window {
            ms,
            text: format_duration(ms),
        }
    }
}

/// An alerting rule that looks like a burn-rate alert but could not be read as one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotRecognised {
    /// The `alert:` name.
    pub alert: String,
    /// `file:line` of the rule.
    pub location: String,
    /// Why, in words.
    pub reason: String,
}

/// What [`recognise`] found in a set of rules.
#[derive(Debug, Clone, Default)]
pub struct Recognised {
    /// The burn-rate alerts.
    pub alerts: Vec<BurnRateAlert>,
    /// Rules with a burn-rate condition that could not be read whole.
    pub not_recognised: Vec<NotRecognised>,
    /// SLO periods that the rule files state (Sloth's `slo:time_period:days`,
    /// Pyrra's `exhaustion` label), by SLO name.
    pub periods: BTreeMap<String, Millis>,
}

/// Finds the burn-rate alerts among `rules` (all the rules of the files read,
/// recording rules included: their `sloth_window` labels and Sloth's period
/// rule are read too).
pub fn recognise(rules: &[&Rule]) -> Recognised {
    let windows = recording_windows(rules);
    let mut out = Recognised::default();
    for (index, rule) in rules.iter().enumerate() {
        if rule.kind != super::RuleKind::Alerting {
            continue;
        }
        let Ok(ast) = promql_parser::parser::parse(&rule.expr) else {
            continue;
        };
        match read_alert(rule, &ast, &windows) {
            Reading::Alert(pairs) => {
                let slo = slo_name(rule, &ast);
                if let Some(period) = pyrra_period(rule, &pairs) {
                    out.periods.entry(slo.clone()).or_insert(period);
                }
                out.alerts.push(BurnRateAlert {
                    rule: index,
                    alert: rule.name.clone(),
                    location: rule.location(),
                    for_ms: rule.for_ms.unwrap_or(0),
                    keep_firing_for_ms: rule.keep_firing_for_ms.unwrap_or(0),
                    severity: label(rule, "severity").or_else(|| label(rule, "sloth_severity")),
                    slo,
                    pairs,
                })
            }
            Reading::Not(reason) => out.not_recognised.push(NotRecognised {
                alert: rule.name.clone(),
                location: rule.location(),
                reason,
            }),
            Reading::Plain => {}
        }
    }
    for (slo, period) in sloth_periods(rules) {
        out.periods.entry(slo).or_insert(period);
    }
    out
}

fn label(rule: &Rule, name: &str) -> Option<String> {
    rule.labels.get(name).map(|v| v.text.clone())
}

enum Reading {
    Alert(Vec<WindowPair>),
    /// It has burn-rate conditions but is not a whole burn-rate alert.
    Not(String),
    /// No burn-rate condition at all: an ordinary alert.
    Plain,
}

fn read_alert(rule: &Rule, ast: &Expr, windows: &BTreeMap<String, Millis>) -> Reading {
    let mut branches = Vec::new();
    split(ast, T_LOR, &mut branches);
    let mut pairs = Vec::new();
    let mut seen_burn = false;
    let mut problem = None;
    for branch in branches {
        match read_branch(branch, windows) {
            Ok(Some(pair)) => {
                seen_burn = true;
                pairs.push(pair);
            }
            Ok(None) => {
                problem = problem.or(Some(format!(
                    "the alternative `{branch}` has no burn-rate condition"
                )))
            }
            Err(why) => {
                seen_burn = true;
                problem = problem.or(Some(why));
            }
        }
    }
    if !seen_burn {
        return Reading::Plain;
    }
    if let Some(why) = problem {
        return Reading::Not(why);
    }
    if let Err(why) = check_window_labels(rule, &pairs) {
        return Reading::Not(why);
    }
    Reading::Alert(pairs)
}

/// Pyrra and kube-prometheus label each pair's alert with `long` and `short`:
/// when they are there, they must name the windows read from the series.
fn check_window_labels(rule: &Rule, pairs: &[WindowPair]) -> Result<(), String> {
    let [pair] = pairs else { return Ok(()) };
    for (name, window) in [("long", Some(&pair.long)), ("short", pair.short.as_ref())] {
        let (Some(text), Some(window)) = (label(rule, name), window) else {
            continue;
        };
        if parse_duration(&text).ok() != Some(window.ms) {
            return Err(format!(
                "its `{name}: {text}` label disagrees with the {name} window read from the series ({})",
                window.text
            ));
        }
    }
    Ok(())
}

/// The operands of a chain of `op` (`or`, `and`) through parentheses.
fn split<'a>(expr: &'a Expr, op: u16, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::Binary(b) if b.op.id() == op => {
            split(&b.lhs, op, out);
            split(&b.rhs, op, out);
        }
        Expr::Paren(p) if matches!(&*p.expr, Expr::Binary(b) if b.op.id() == op) => {
            split(&p.expr, op, out)
        }
        Expr::Paren(p) if matches!(&*p.expr, Expr::Paren(_)) => split(&p.expr, op, out),
        other => out.push(other),
    }
}

/// A burn-rate condition: `series > f * B` with its window.
struct Condition {
    series: String,
    factor: f64,
    budget: f64,
    objective: f64,
    window: Option<Millis>,
}

fn read_branch(
    branch: &Expr,
    windows: &BTreeMap<String, Millis>,
) -> Result<Option<WindowPair>, String> {
    let mut operands = Vec::new();
    split(branch, T_LAND, &mut operands);
    let mut conditions = Vec::new();
    let mut guards = Vec::new();
    for operand in operands {
        match condition(operand, windows) {
            Some(c) => conditions.push(c),
            None => guards.push(operand.to_string()),
        }
    }
    let (long, short) = match conditions.as_slice() {
        [] => return Ok(None),
        [one] => (one, None),
        [a, b] => {
            if (a.factor, a.budget) != (b.factor, b.budget) {
                return Err(format!(
                    "`{}` and `{}` compare with different burn rates ({} × {} and {} × {})",
                    a.series, b.series, a.factor, a.budget, b.factor, b.budget
                ));
            }
            match (a.window, b.window) {
                (Some(x), Some(y)) if x > y => (a, Some(b)),
                (Some(x), Some(y)) if x < y => (b, Some(a)),
                (Some(_), Some(_)) => {
                    return Err(format!(
                        "`{}` and `{}` have the same window",
                        a.series, b.series
                    ))
                }
                _ => (a, Some(b)),
            }
        }
        more => {
            return Err(format!(
                "{} burn-rate conditions joined by `and` (a pair has two)",
                more.len()
            ))
        }
    };
    let window = |c: &Condition| {
        c.window.map(Window::new).ok_or_else(|| {
            format!(
                "no window for `{}`: neither its recording rule's name (`…rate5m`), a `sloth_window` label nor a range selector says it",
                c.series
            )
        })
    };
    Ok(Some(WindowPair {
        long: window(long)?,
        short: short.map(window).transpose()?,
        factor: long.factor,
        budget: long.budget,
        objective: long.objective,
        long_series: long.series.clone(),
        short_series: short.map(|c| c.series.clone()),
        condition: branch.to_string(),
        guards,
    }))
}

/// Reads `series > (f * B)` through parentheses and aggregations, on either
/// side of the aggregation (`max(x > θ) without (w)` and `max(x) > θ`).
fn condition(expr: &Expr, windows: &BTreeMap<String, Millis>) -> Option<Condition> {
    let comparison = find_comparison(expr)?;
    let op = comparison.op.id();
    if comparison.return_bool() {
        return None;
    }
    let (series, constant) = match op {
        T_GTR | T_GTE => (&*comparison.lhs, &*comparison.rhs),
        T_LSS | T_LTE => (&*comparison.rhs, &*comparison.lhs),
        _ => return None,
    };
    if super::threshold::constant(series).is_some() {
        return None;
    }
    let (factor, budget, written_objective) = burn_product(constant)?;
    let objective = written_objective.unwrap_or_else(|| round_objective(1.0 - budget));
    Some(Condition {
        series: series.to_string(),
        factor,
        budget,
        objective,
        window: window_of(series, windows),
    })
}

fn find_comparison(expr: &Expr) -> Option<&BinaryExpr> {
    match expr {
        Expr::Paren(p) => find_comparison(&p.expr),
        Expr::Aggregate(a) => find_comparison(&a.expr),
        Expr::Binary(b) if b.op.is_comparison_operator() => Some(b),
        _ => None,
    }
}

/// `f * B` with `B` in (0, 1): `B` written as `(1 - x)`, else the smaller factor.
/// Returns (f, B, the objective `x` when written).
fn burn_product(expr: &Expr) -> Option<(f64, f64, Option<f64>)> {
    let Expr::Binary(b) = strip_parens(expr) else {
        return None;
    };
    if b.op.id() != T_MUL {
        return None;
    }
    let (l, r) = (
        super::threshold::constant(&b.lhs)?,
        super::threshold::constant(&b.rhs)?,
    );
    let (factor, budget, objective) = match (one_minus(&b.lhs), one_minus(&b.rhs)) {
        (_, Some(x)) => (l, r, Some(x)),
        (Some(x), None) => (r, l, Some(x)),
        (None, None) if r < 1.0 && (r <= l || l >= 1.0) => (l, r, None),
        (None, None) => (r, l, None),
    };
    (budget > 0.0 && budget < 1.0 && factor > 0.0 && factor.is_finite())
        .then_some((factor, budget, objective))
}

/// `x` of a constant written `1 - x` (through parentheses).
fn one_minus(expr: &Expr) -> Option<f64> {
    match strip_parens(expr) {
        Expr::Binary(b) if b.op.id() == T_SUB => {
            (super::threshold::constant(&b.lhs)? == 1.0).then_some(())?;
            super::threshold::constant(&b.rhs)
        }
        _ => None,
    }
}

fn strip_parens(mut expr: &Expr) -> &Expr {
    while let Expr::Paren(p) = expr {
        expr = &p.expr;
    }
    expr
}

/// `1 − B` rounded to ten decimals: Sloth's `0.0009999999999999432` means 99.9 %.
pub fn round_objective(x: f64) -> f64 {
    (x * 1e10).round() / 1e10
}

/// The window of a ratio series: the range of its range selectors (all the
/// same), else its one selector's `sloth_window` matcher, its name's window
/// suffix, or its recording rule's `sloth_window` label.
fn window_of(series: &Expr, windows: &BTreeMap<String, Millis>) -> Option<Millis> {
    let mut ranges = Vec::new();
    let mut selectors = Vec::new();
    collect_selectors(series, &mut ranges, &mut selectors);
    if let Some(&first) = ranges.first() {
        return ranges.iter().all(|&r| r == first).then_some(first);
    }
    let [selector] = selectors.as_slice() else {
        return None;
    };
    if let Some(m) =
        selector.matchers.matchers.iter().find(|m| {
            m.name == "sloth_window" && matches!(m.op, promql_parser::label::MatchOp::Equal)
        })
    {
        return parse_duration(&m.value).ok();
    }
    let name = selector.name.as_deref().or_else(|| {
        selector
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__")
            .map(|m| m.value.as_str())
    })?;
    name_window(name).or_else(|| windows.get(name).copied())
}

fn collect_selectors<'a>(
    expr: &'a Expr,
    ranges: &mut Vec<Millis>,
    selectors: &mut Vec<&'a promql_parser::parser::VectorSelector>,
) {
    match expr {
        Expr::VectorSelector(v) => selectors.push(v),
        Expr::MatrixSelector(m) => ranges.push(m.range.as_millis() as Millis),
        Expr::Subquery(s) => ranges.push(s.range.as_millis() as Millis),
        Expr::Binary(b) => {
            collect_selectors(&b.lhs, ranges, selectors);
            collect_selectors(&b.rhs, ranges, selectors);
        }
        Expr::Paren(p) => collect_selectors(&p.expr, ranges, selectors),
        Expr::Unary(u) => collect_selectors(&u.expr, ranges, selectors),
        Expr::Aggregate(a) => collect_selectors(&a.expr, ranges, selectors),
        Expr::Call(c) => c
            .args
            .args
            .iter()
            .for_each(|a| collect_selectors(a, ranges, selectors)),
        _ => {}
    }
}

/// The window a recording rule's name ends with: `slo:sli_error:ratio_rate5m`,
/// `apiserver_request:burnrate1h`, `http_requests:burnrate30m` → 5m, 1h, 30m.
pub fn name_window(name: &str) -> Option<Millis> {
    let last = name.rsplit(':').next().unwrap_or(name);
    let bytes = last.as_bytes();
    // The longest suffix made of digit runs each followed by a unit.
    let mut start = bytes.len();
    let mut i = bytes.len();
    while i > 0 {
        let unit_end = i;
        while i > 0 && bytes[i - 1].is_ascii_lowercase() {
            i -= 1;
        }
        if i == unit_end || unit_end - i > 2 {
            break;
        }
        let digits_end = i;
        while i > 0 && bytes[i - 1].is_ascii_digit() {
            i -= 1;
        }
        if i == digits_end {
            break;
        }
        if !matches!(
            &last[digits_end..unit_end],
            "ms" | "s" | "m" | "h" | "d" | "w" | "y"
        ) {
            break;
        }
        start = i;
    }
    if start == bytes.len() || (start > 0 && bytes[start - 1].is_ascii_digit()) {
        return None;
    }
    // The window follows `rate` or an underscore (`ratio_rate5m`, `burnrate1h`,
    // `errors_1h`), and is not the whole name.
    let head = &last[..start];
    (head.ends_with("rate") || (head.ends_with('_') && head.len() > 1))
        .then(|| parse_duration(&last[start..]).ok())?
}

/// Windows that recording rules state with a `sloth_window` label, by record name.
fn recording_windows(rules: &[&Rule]) -> BTreeMap<String, Millis> {
    rules
        .iter()
        .filter(|r| r.kind == super::RuleKind::Recording)
        .filter_map(|r| {
            let w = parse_duration(&r.labels.get("sloth_window")?.text).ok()?;
            Some((r.name.clone(), w))
        })
        .collect()
}

/// The SLO's name: a `sloth_slo`, `slo` or `sloth_id` matcher of the
/// expression's selectors or label of the rule, else the first
/// selector's name without its window (`apiserver_request:burnrate1h` →
/// `apiserver_request`).
fn slo_name(rule: &Rule, ast: &Expr) -> String {
    let mut ranges = Vec::new();
    let mut selectors = Vec::new();
    collect_selectors(ast, &mut ranges, &mut selectors);
    for key in ["sloth_slo", "slo", "sloth_id"] {
        for s in &selectors {
            if let Some(m) = s.matchers.matchers.iter().find(|m| m.name == key) {
                return m.value.clone();
            }
        }
        if let Some(v) = label(rule, key) {
            return v;
        }
    }
    selectors
        .iter()
        .find_map(|s| s.name.as_deref())
        .map(|name| {
            // `apiserver_request:burnrate1h` → `apiserver_request`.
            let base = name_window(name)
                .and_then(|w| name.strip_suffix(&format_duration(w)))
                .unwrap_or(name)
                .trim_end_matches('_');
            match base.rsplit_once(':') {
                Some((head, last)) if last.ends_with("rate") && !head.is_empty() => head,
                _ => base,
            }
            .to_string()
        })
        .unwrap_or_else(|| rule.name.clone())
}

/// Pyrra's `exhaustion` label: the time a burn at the factor takes to spend the
/// whole budget, so the period is `exhaustion × factor` (2d × 14 = 28d).
fn pyrra_period(rule: &Rule, pairs: &[WindowPair]) -> Option<Millis> {
    let [pair] = pairs else { return None };
    let exhaustion = parse_duration(&label(rule, "exhaustion")?).ok()?;
    let days = (exhaustion as f64 * pair.factor / 86_400_000.0).round();
    (days >= 1.0).then(|| days as Millis * 86_400_000)
}

/// Sloth's `slo:time_period:days` recording rules (`vector(30)`), by the SLO
/// named in their `sloth_slo` and `sloth_id` labels.
fn sloth_periods(rules: &[&Rule]) -> Vec<(String, Millis)> {
    rules
        .iter()
        .filter(|r| r.kind == super::RuleKind::Recording && r.name == "slo:time_period:days")
        .flat_map(|r| {
            let days = sloth_days(r);
            ["sloth_slo", "sloth_id"]
                .into_iter()
                .filter_map(move |key| Some((r.labels.get(key)?.text.clone(), days?)))
        })
        .collect()
}

/// The days of one `slo:time_period:days` rule.
fn sloth_days(r: &Rule) -> Option<Millis> {
    let ast = promql_parser::parser::parse(&r.expr).ok()?;
    let days = match strip_parens(&ast) {
        Expr::Call(c) if c.func.name == "vector" => {
            super::threshold::constant(c.args.args.first()?)?
        }
        other => super::threshold::constant(other)?,
    };
    (days >= 1.0 && days.fract() == 0.0).then(|| days as Millis * 86_400_000)
}

/// The selectors of every recognised burn-rate alert's expression as PromQL,
/// distinct, in the order written: the series a replay needs recorded (for
/// `slo --print-query` and `fetch prometheus --metrics-for-rules`); `only`
/// keeps the alerts of that name.
pub fn recorded_selectors(rules: &[&Rule], only: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let alerts = recognise(rules).alerts;
    for alert in alerts
        .iter()
        .filter(|a| only.is_none_or(|name| a.alert == name))
    {
        let Ok(expr) = promql_parser::parser::parse(&rules[alert.rule].expr) else {
            continue;
        };
        let (mut ranges, mut selectors) = (Vec::new(), Vec::new());
        collect_selectors(&expr, &mut ranges, &mut selectors);
        for s in selectors {
            let text = s.to_string();
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out
}

/// A minimum-traffic guard on requests over a window: `sum(SELECTOR) * SECONDS > N`
/// (a per-second request rate times the window is the requests in it).
pub fn traffic_guard(selector: &str, window_ms: Millis, min_requests: f64) -> String {
    format!(
        "sum({selector}) * {} > {}",
        window_ms / 1000,
        super::threshold::format_value(min_requests)
    )
}

/// `expr` with a guard every alert must also pass: `(expr) and on() guard`.
pub fn guarded(expr: &str, guard: &str) -> String {
    format!("({}) and on() {guard}", expr.trim_end())
}

/// Sets the burn-rate factor `from` to `to` in every burn-rate condition of
/// `expr` that uses it (a pair's two sides); gives how many were changed.
pub fn set_factor(expr: &mut Expr, from: f64, to: f64) -> usize {
    match expr {
        Expr::Paren(p) => set_factor(&mut p.expr, from, to),
        Expr::Aggregate(a) => set_factor(&mut a.expr, from, to),
        Expr::Binary(b) if b.op.is_comparison_operator() => {
            let constant = match b.op.id() {
                T_LSS | T_LTE => &mut b.lhs,
                _ => &mut b.rhs,
            };
            match burn_product(constant) {
                Some((f, _, _)) if f == from => set_factor_literal(constant, from, to),
                _ => set_factor(&mut b.lhs, from, to),
            }
        }
        Expr::Binary(b) => set_factor(&mut b.lhs, from, to) + set_factor(&mut b.rhs, from, to),
        _ => 0,
    }
}

/// Replaces the factor operand of `f * B` (through parentheses).
fn set_factor_literal(expr: &mut Expr, from: f64, to: f64) -> usize {
    let mut at = expr;
    while let Expr::Paren(p) = at {
        at = &mut p.expr;
    }
    let Expr::Binary(b) = at else { return 0 };
    for side in [&mut b.lhs, &mut b.rhs] {
        let mut inner: &mut Expr = side;
        while let Expr::Paren(p) = inner {
            inner = &mut p.expr;
        }
        if let Expr::NumberLiteral(n) = inner {
            if (n.val - from).abs() <= 1e-11 * from.abs().max(1.0) {
                n.val = to;
                return 1;
            }
        }
    }
    0
}

/// Byte spans in `expr` of the number literals written for the factor
/// `factor`: a number equal to it next to a `*` (`14.4 * 0.001`,
/// `0.001 * 14.4`), for a patch to replace.
pub fn factor_literals(expr: &str, factor: f64) -> Vec<(usize, usize)> {
    use lrpar::{Lexeme, Lexer};
    use promql_parser::parser::token::T_NUMBER;
    let Ok(lexer) = promql_parser::parser::lexer(expr) else {
        return Vec::new();
    };
    let tokens: Vec<(u16, usize, usize)> = lexer
        .iter()
        .filter_map(|l| l.ok())
        .map(|l| (l.tok_id(), l.span().start(), l.span().end()))
        .collect();
    let same = |text: &str| {
        text.parse::<f64>()
            .is_ok_and(|v| (v - factor).abs() <= 1e-11 * factor.abs().max(1.0))
    };
    (0..tokens.len())
        .filter(|&i| {
            let (id, start, end) = tokens[i];
            id == T_NUMBER
                && same(&expr[start..end])
                && (tokens.get(i + 1).is_some_and(|t| t.0 == T_MUL)
                    || (i > 0 && tokens[i - 1].0 == T_MUL))
        })
        .map(|i| (tokens[i].1, tokens[i].2))
        .collect()
}

/// The share of the SLO period's budget a pair's burn spends over its long
/// window before it fires: `f × long ÷ period` (the workbook's 2 %, 5 %, 10 %).
pub fn budget_share(pair: &WindowPair, period_ms: Millis) -> f64 {
    pair.factor * pair.long.ms as f64 / period_ms as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_suffixes_of_recording_rule_names() {
        assert_eq!(name_window("slo:sli_error:ratio_rate5m"), Some(300_000));
        assert_eq!(name_window("apiserver_request:burnrate1h"), Some(3_600_000));
        assert_eq!(name_window("http_requests:burnrate1d"), Some(86_400_000));
        assert_eq!(name_window("slo:sli_error:ratio_rate30m"), Some(1_800_000));
        assert_eq!(name_window("errors:ratio_rate1h30m"), Some(5_400_000));
        assert_eq!(name_window("node_load5"), None);
        assert_eq!(name_window("http_requests_total"), None);
        assert_eq!(name_window("x:5m"), None, "a bare window is no name");
        assert_eq!(name_window("p99m"), None);
        assert_eq!(name_window("job:errors_1h"), Some(3_600_000));
    }

    proptest::proptest! {
        /// Any expression put together from burn-rate pieces is read or
        /// refused with a reason, never a panic.
        #[test]
        fn any_expression_is_read_or_refused(pieces in proptest::collection::vec(0usize..16, 1..12)) {
            const PIECES: [&str; 16] = [
                "x:ratio_rate5m", "x:ratio_rate1h", " > ", " < ", "(14.4 * 0.001)", "(1 - 0.999)",
                " and ", " or ", " and on (a) ", "max(", ") without (w)", "sum by (c) (", ")",
                "rate(y[5m])", " * ", "6",
            ];
            let expr: String = pieces.iter().map(|&i| PIECES[i]).collect();
            let Ok(rules) = crate::rules::file::parse_rules(
                "p.yml",
                &format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {}\n", serde_json::to_string(&expr).unwrap()),
                0,
            ) else {
                return Ok(());
            };
            let refs: Vec<&Rule> = rules.iter().collect();
            let found = recognise(&refs);
            for alert in &found.alerts {
                proptest::prop_assert!(!alert.pairs.is_empty());
                for pair in &alert.pairs {
                    proptest::prop_assert!(pair.budget > 0.0 && pair.budget < 1.0);
                    proptest::prop_assert!(pair.short.as_ref().is_none_or(|s| s.ms < pair.long.ms));
                }
            }
            let _ = recorded_selectors(&refs, None);
        }
    }

    #[test]
    fn objectives_are_rounded_to_what_was_meant() {
        assert_eq!(round_objective(1.0 - 0.0009999999999999432), 0.999);
        assert_eq!(round_objective(1.0 - 0.01), 0.99);
        assert_eq!(round_objective(1.0 - 0.0005), 0.9995);
    }
}
