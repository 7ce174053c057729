//! Finding the threshold of an alert in its PromQL.
//!
//! An alert fires for every series its expression returns, so the threshold is
//! the comparison that filters series against a constant: `x > 0.01`. Real rules
//! nest it (`(a / b * 100 < 10) * on(instance) group_left(nodename) info`),
//! guard it (`a > 0.1 and b > 0`), or chain state checks around it
//! (`active == 0 and failed == 0 and age > 600`). The search, on the AST that
//! `promql-parser` builds:
//!
//! - the outermost comparison of a series with a constant wins;
//! - through parentheses, aggregations and arithmetic (one side must hold it);
//! - `unless` keeps its left side; `or` with a threshold on both sides is ambiguous;
//! - `and` operands are candidates; state checks (`==`, `!=`) and existence guards
//!   (`> 0`, `>= 0`) give way to the one real threshold; two real thresholds are ambiguous;
//! - `bool` comparisons, series-to-series comparisons, function arguments and
//!   bare selectors have no threshold. Such rules are reported, never guessed.
//!
//! The literal's byte range in `expr` is found with the PromQL lexer, so a
//! patch can replace exactly those characters.

use lrpar::{Lexeme, Lexer};
use promql_parser::parser::token::{
    T_EQLC, T_GTE, T_GTR, T_LAND, T_LEFT_BRACE, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_NEQ, T_NUMBER,
    T_RIGHT_BRACE, T_SUB,
};
use promql_parser::parser::{BinaryExpr, Expr};
use serde::Serialize;

/// The result of the search in one expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Threshold {
    /// The comparison that carries the threshold.
    Located(Located),
    /// No single threshold; the reason in words.
    NotLocated {
        /// Why no threshold could be located.
        reason: String,
    },
}

impl Threshold {
    /// The located threshold, if any.
    pub fn located(&self) -> Option<&Located> {
        match self {
            Threshold::Located(l) => Some(l),
            Threshold::NotLocated { .. } => None,
        }
    }
}

/// A comparison of a series with a constant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Located {
    /// The operator as the series sees it (`series OP value`), e.g. `>`.
    pub op: String,
    /// The constant's value.
    pub value: f64,
    /// The series side as PromQL, for `backtest --print-query`.
    pub series: String,
    /// The constant is written left of the operator (`10 > x`).
    pub constant_on_left: bool,
    /// Where the constant is written in `expr`, when it is one number literal
    /// (`7*24*3600` is located but has no single literal to patch).
    pub literal: Option<Literal>,
}

/// A number literal's place in the expression text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Literal {
    /// Byte offset in `expr`.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// The text as written (`.10`, `1e3`, `-0.05`).
    pub text: String,
}

/// A candidate found in the tree: the comparison node and its reading.
struct Candidate<'a> {
    node: &'a BinaryExpr,
    op: &'static str,
    value: f64,
    series: &'a Expr,
    constant: &'a Expr,
    constant_on_left: bool,
}

impl Candidate<'_> {
    /// State checks and existence guards, which give way to a real threshold in an `and`.
    fn is_guard(&self) -> bool {
        matches!(self.op, "==" | "!=") || (matches!(self.op, ">" | ">=") && self.value == 0.0)
    }

    fn describe(&self) -> String {
        format!("`{} {} {}`", self.series, self.op, self.value)
    }
}

enum Found<'a> {
    None(Option<String>),
    One(Candidate<'a>),
    Ambiguous(String),
}

/// Locates the threshold of `expr` (already parsed as `ast`).
pub fn locate(ast: &Expr, expr: &str) -> Threshold {
    match search(ast) {
        Found::One(c) => Threshold::Located(Located {
            op: c.op.to_string(),
            value: c.value,
            series: c.series.to_string(),
            constant_on_left: c.constant_on_left,
            literal: literal(ast, &c, expr),
        }),
        Found::Ambiguous(reason) => Threshold::NotLocated { reason },
        Found::None(reason) => Threshold::NotLocated {
            reason: reason.unwrap_or_else(|| "no comparison with a constant".into()),
        },
    }
}

fn comparison(op: u16) -> Option<&'static str> {
    Some(match op {
        T_GTR => ">",
        T_GTE => ">=",
        T_LSS => "<",
        T_LTE => "<=",
        T_EQLC => "==",
        T_NEQ => "!=",
        _ => return None,
    })
}

fn mirrored(op: &'static str) -> &'static str {
    match op {
        ">" => "<",
        ">=" => "<=",
        "<" => ">",
        "<=" => ">=",
        other => other,
    }
}

/// The value of an expression made only of number literals, rounded to 12
/// significant digits so that `14.4 * 0.001` reads as `0.0144`.
pub fn constant(expr: &Expr) -> Option<f64> {
    let v = evaluate(expr)?;
    if v.is_finite() && v != 0.0 {
        format!("{v:.11e}").parse().ok()
    } else {
        Some(v)
    }
}

fn evaluate(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => evaluate(&p.expr),
        Expr::Unary(u) => evaluate(&u.expr).map(|v| -v),
        Expr::Binary(b) if !b.op.is_comparison_operator() && !b.op.is_set_operator() => {
            let (l, r) = (evaluate(&b.lhs)?, evaluate(&b.rhs)?);
            Some(match b.op.to_string().as_str() {
                "+" => l + r,
                "-" => l - r,
                "*" => l * r,
                "/" => l / r,
                "%" => l % r,
                "^" => l.powf(r),
                _ => return None,
            })
        }
        _ => None,
    }
}

fn search(expr: &Expr) -> Found<'_> {
    match expr {
        Expr::Paren(p) => search(&p.expr),
        Expr::Aggregate(a) => search(&a.expr),
        Expr::Binary(b) => search_binary(b),
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => Found::None(Some(
            "no comparison: the alert fires for every series the selector returns".into(),
        )),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => {
            Found::None(Some("a constant expression: the alert always fires".into()))
        }
        Expr::Call(c) => Found::None(Some(format!(
            "the expression is a call of `{}`; thresholds inside function arguments are not tuned",
            c.func.name
        ))),
        _ => Found::None(None),
    }
}

fn search_binary(b: &BinaryExpr) -> Found<'_> {
    let op = b.op.id();
    if let Some(cmp) = comparison(op) {
        if b.return_bool() {
            return Found::None(Some(format!(
                "`{cmp} bool` returns 0 or 1 for every series, so it filters nothing"
            )));
        }
        let (l, r) = (constant(&b.lhs), constant(&b.rhs));
        return match (l, r) {
            (None, Some(value)) => Found::One(Candidate {
                node: b,
                op: cmp,
                value,
                series: &b.lhs,
                constant: &b.rhs,
                constant_on_left: false,
            }),
            (Some(value), None) => Found::One(Candidate {
                node: b,
                op: mirrored(cmp),
                value,
                series: &b.rhs,
                constant: &b.lhs,
                constant_on_left: true,
            }),
            (Some(_), Some(_)) => Found::None(Some("compares two constants".into())),
            (None, None) => Found::None(Some(format!(
                "`{}` compares two series, not a series with a constant",
                cmp
            ))),
        };
    }
    match op {
        T_LUNLESS => search(&b.lhs),
        T_LAND => search_and(b),
        T_LOR => match (search(&b.lhs), search(&b.rhs)) {
            (Found::One(l), Found::One(r)) => Found::Ambiguous(format!(
                "alternatives joined by `or` have a threshold each: {} and {}",
                l.describe(),
                r.describe()
            )),
            (Found::Ambiguous(why), _) | (_, Found::Ambiguous(why)) => Found::Ambiguous(why),
            (Found::One(c), _) | (_, Found::One(c)) => Found::One(c),
            (Found::None(why), Found::None(_)) => Found::None(why),
        },
        _ => match (search(&b.lhs), search(&b.rhs)) {
            (Found::One(l), Found::One(r)) => Found::Ambiguous(format!(
                "both operands of `{}` carry a threshold: {} and {}",
                b.op,
                l.describe(),
                r.describe()
            )),
            (Found::Ambiguous(why), _) | (_, Found::Ambiguous(why)) => Found::Ambiguous(why),
            (Found::One(c), _) | (_, Found::One(c)) => Found::One(c),
            // Prefer the reason about a comparison over one about a bare selector.
            (Found::None(why), Found::None(other)) => Found::None(match (&why, &other) {
                (_, Some(o)) if o.contains("compares") => other,
                _ => why.or(other),
            }),
        },
    }
}

/// The operands of a chain of `and`, left to right, through parentheses.
fn and_operands<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::Binary(b) if b.op.id() == T_LAND => {
            and_operands(&b.lhs, out);
            and_operands(&b.rhs, out);
        }
        Expr::Paren(p) if matches!(&*p.expr, Expr::Binary(b) if b.op.id() == T_LAND) => {
            and_operands(&p.expr, out)
        }
        other => out.push(other),
    }
}

fn search_and(b: &BinaryExpr) -> Found<'_> {
    let mut operands = Vec::new();
    and_operands(&b.lhs, &mut operands);
    and_operands(&b.rhs, &mut operands);
    let mut candidates = Vec::new();
    let mut first_has_one = false;
    for (i, operand) in operands.iter().enumerate() {
        match search(operand) {
            Found::One(c) => {
                first_has_one |= i == 0;
                candidates.push(c);
            }
            Found::Ambiguous(why) => return Found::Ambiguous(why),
            Found::None(_) => {}
        }
    }
    let real: Vec<usize> = (0..candidates.len())
        .filter(|&i| !candidates[i].is_guard())
        .collect();
    match real.len() {
        1 => Found::One(candidates.swap_remove(real[0])),
        0 if first_has_one => Found::One(candidates.swap_remove(0)),
        0 if candidates.is_empty() => Found::None(Some(
            "no operand of `and` compares a series with a constant".into(),
        )),
        0 => Found::None(Some(
            "the condition compares series; the other `and` operands only check states".into(),
        )),
        _ => Found::Ambiguous(format!(
            "`and` joins several thresholds: {}",
            real.iter()
                .map(|&i| candidates[i].describe())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Index of `target` among the comparison nodes of `expr`, in source order.
fn comparison_index(expr: &Expr, target: &BinaryExpr, seen: &mut usize) -> Option<usize> {
    match expr {
        Expr::Binary(b) => {
            if let Some(i) = comparison_index(&b.lhs, target, seen) {
                return Some(i);
            }
            if b.op.is_comparison_operator() {
                if std::ptr::eq(b, target) {
                    return Some(*seen);
                }
                *seen += 1;
            }
            comparison_index(&b.rhs, target, seen)
        }
        Expr::Paren(p) => comparison_index(&p.expr, target, seen),
        Expr::Unary(u) => comparison_index(&u.expr, target, seen),
        Expr::Subquery(s) => comparison_index(&s.expr, target, seen),
        Expr::Aggregate(a) => {
            if let Some(param) = &a.param {
                if let Some(i) = comparison_index(param, target, seen) {
                    return Some(i);
                }
            }
            comparison_index(&a.expr, target, seen)
        }
        Expr::Call(c) => c
            .args
            .args
            .iter()
            .find_map(|arg| comparison_index(arg, target, seen)),
        _ => None,
    }
}

/// Where the candidate's constant is written, when it is one number (with an optional sign).
fn literal(ast: &Expr, c: &Candidate, expr: &str) -> Option<Literal> {
    let mut inner = c.constant;
    loop {
        match inner {
            Expr::Paren(p) => inner = &p.expr,
            Expr::Unary(u) => inner = &u.expr,
            Expr::NumberLiteral(_) => break,
            _ => return None,
        }
    }
    let index = comparison_index(ast, c.node, &mut 0)?;
    let lexer = promql_parser::parser::lexer(expr).ok()?;
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut comparisons = 0usize;
    let mut at = None;
    for lexeme in lexer.iter() {
        let lexeme = lexeme.ok()?;
        let (id, span) = (lexeme.tok_id(), lexeme.span());
        match id {
            T_LEFT_BRACE => depth += 1,
            T_RIGHT_BRACE => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && comparison(id).is_some() {
            if comparisons == index {
                at = Some(tokens.len());
            }
            comparisons += 1;
        }
        tokens.push((id, span.start(), span.end()));
    }
    let at = at?;
    let number = if c.constant_on_left {
        tokens[..at].iter().rposition(|t| t.0 == T_NUMBER)?
    } else {
        at + 1 + tokens[at + 1..].iter().position(|t| t.0 == T_NUMBER)?
    };
    let mut start = tokens[number].1;
    let end = tokens[number].2;
    if c.value < 0.0 && number > 0 && tokens[number - 1].0 == T_SUB {
        start = tokens[number - 1].1;
    }
    // The span must spell exactly the value (a double minus, hex or a
    // parenthesised sign would not): else it is not patched.
    let text = expr.get(start..end)?.replace(' ', "");
    let spelled: f64 = text.parse().ok()?;
    ((spelled - c.value).abs() <= 1e-11 * c.value.abs().max(1.0)).then(|| Literal {
        start,
        end,
        text: expr[start..end].to_string(),
    })
}

/// Metric names the expression selects (for the cause-based lint).
pub fn metric_names(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::VectorSelector(v) => out.extend(v.name.clone()),
        Expr::MatrixSelector(m) => out.extend(m.vs.name.clone()),
        Expr::Binary(b) => {
            metric_names(&b.lhs, out);
            metric_names(&b.rhs, out);
        }
        Expr::Paren(p) => metric_names(&p.expr, out),
        Expr::Unary(u) => metric_names(&u.expr, out),
        Expr::Subquery(s) => metric_names(&s.expr, out),
        Expr::Aggregate(a) => metric_names(&a.expr, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| metric_names(a, out)),
        _ => {}
    }
}

/// Formats a threshold value the way it would be written in PromQL.
pub fn format_value(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(expr: &str) -> Threshold {
        locate(&promql_parser::parser::parse(expr).unwrap(), expr)
    }

    fn located(expr: &str) -> (String, f64, Option<String>) {
        match find(expr) {
            Threshold::Located(l) => (l.op, l.value, l.literal.map(|l| l.text)),
            other => panic!("{expr}: {other:?}"),
        }
    }

    #[test]
    fn nested_and_guarded_thresholds() {
        assert_eq!(
            located("(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10) * on(instance) group_left (nodename) node_uname_info"),
            ("<".into(), 10.0, Some("10".into()))
        );
        assert_eq!(
            located("a > 0.1 and b > 0"),
            (">".into(), 0.1, Some("0.1".into()))
        );
        assert_eq!(
            located("active == 0 and failed == 0 and (time() - start) > 600"),
            (">".into(), 600.0, Some("600".into()))
        );
        assert_eq!(
            located("x{code!=\"5..\"} != 3 > .5"),
            (">".into(), 0.5, Some(".5".into()))
        );
        assert_eq!(located("10 < x"), (">".into(), 10.0, Some("10".into())));
        assert_eq!(
            located("offset_seconds < -0.05"),
            ("<".into(), -0.05, Some("-0.05".into()))
        );
        assert_eq!(located("x < 7*24*60*60"), ("<".into(), 604800.0, None));
    }

    #[test]
    fn what_has_no_single_threshold() {
        for expr in [
            "1 < bool 2",
            "1",
            "up",
            "a > b",
            "a > 3 or b > 3",
            "a > 1 and b > 2",
            "absent(up{job=\"x\"} > 1)",
        ] {
            assert!(matches!(find(expr), Threshold::NotLocated { .. }), "{expr}");
        }
    }
}
