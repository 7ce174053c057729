//! Instant evaluation, over recorded series, of the PromQL that burn-rate
//! alerts are written in: selectors of recorded series, number literals,
//! `sum`/`min`/`max`/`avg`/`count` with `by`/`without`, arithmetic and
//! comparisons between vectors and scalars (one-to-one matching with
//! `on`/`ignoring`, `bool`), and `and`/`or`/`unless`. Semantics follow
//! Prometheus' engine: a missing label is `""`; arithmetic and `bool` drop
//! `__name__`, a filtering comparison keeps it; one-to-one matching keeps the
//! left side's labels, only the `on` labels with `on(…)`, without the
//! `ignoring` ones with `ignoring(…)`.
//!
//! Anything else (functions such as `rate`, range selectors, `offset`, `@`,
//! `group_left`) is refused when the evaluator is built, naming it: the ratio
//! must be recorded by a recording rule, as Sloth, Pyrra and kube-prometheus do.

use super::series::{label, Labels, SeriesStore};
use crate::timefmt::Millis;
use promql_parser::label::METRIC_NAME;
use promql_parser::parser::ast::{LabelModifier, VectorMatchCardinality};
use promql_parser::parser::token::{
    T_ADD, T_AVG, T_COUNT, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS,
    T_MAX, T_MIN, T_MOD, T_MUL, T_NEQ, T_POW, T_SUB, T_SUM,
};
use promql_parser::parser::{BinaryExpr, Expr, VectorSelector};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The result of evaluating an expression at one time.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Scalar(f64),
    /// Samples, one per label set.
    Vector(Vec<Sample>),
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Its labels, sorted.
    pub labels: Labels,
    /// Its value.
    pub value: f64,
}

/// Evaluates one parsed expression at any time over a store of series. It
/// owns the expression (boxed, so that its nodes never move: each selector's
/// series are found once and kept by the node's address).
pub struct Evaluator<'a> {
    store: &'a SeriesStore,
    expr: Box<Expr>,
    lookback: Millis,
    /// The selector's text and the series it picks, by its address in the tree.
    selected: HashMap<usize, (String, Vec<usize>)>,
}

impl<'a> Evaluator<'a> {
    /// Checks that `expr` uses only what this evaluator implements and finds
    /// the series each of its selectors picks.
    pub fn new(store: &'a SeriesStore, expr: Expr) -> Result<Self, String> {
        let expr = Box::new(expr);
        let mut selected = HashMap::new();
        prepare(store, &expr, &mut selected)?;
        Ok(Evaluator {
            store,
            expr,
            lookback: store.step_ms.max(1),
            selected,
        })
    }

    /// The value of the expression at `t`.
    pub fn at(&self, t: Millis) -> Value {
        self.eval(&self.expr, t)
    }

    /// The selectors that pick no series at all, sorted: an expression with
    /// one of them would replay as never firing, which would be a wrong number.
    pub fn unmatched(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .selected
            .values()
            .filter(|(_, picked)| picked.is_empty())
            .map(|(text, _)| text.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The value of `expr`, a part of the evaluator's own tree, at `t`.
    fn eval(&self, expr: &Expr, t: Millis) -> Value {
        match expr {
            Expr::NumberLiteral(n) => Value::Scalar(n.val),
            Expr::Paren(p) => self.eval(&p.expr, t),
            Expr::Unary(u) => match self.eval(&u.expr, t) {
                Value::Scalar(x) => Value::Scalar(-x),
                Value::Vector(v) => Value::Vector(
                    v.into_iter()
                        .map(|s| Sample {
                            labels: without_name(s.labels),
                            value: -s.value,
                        })
                        .collect(),
                ),
            },
            Expr::VectorSelector(v) => {
                let picked = self
                    .selected
                    .get(&(v as *const VectorSelector as usize))
                    .map(|(_, picked)| picked.as_slice())
                    .unwrap_or_default();
                Value::Vector(
                    picked
                        .iter()
                        .filter_map(|&i| {
                            let s = &self.store.series[i];
                            s.at(t, self.lookback).map(|value| Sample {
                                labels: s.labels.clone(),
                                value,
                            })
                        })
                        .collect(),
                )
            }
            Expr::Aggregate(a) => {
                let Value::Vector(input) = self.eval(&a.expr, t) else {
                    return Value::Vector(Vec::new());
                };
                Value::Vector(aggregate(a.op.id(), a.modifier.as_ref(), input))
            }
            Expr::Binary(b) => self.binary(b, t),
            _ => Value::Vector(Vec::new()),
        }
    }

    fn binary(&self, b: &BinaryExpr, t: Millis) -> Value {
        let op = b.op.id();
        let (l, r) = (self.eval(&b.lhs, t), self.eval(&b.rhs, t));
        let return_bool = b.return_bool();
        let matching = b.modifier.as_ref().and_then(|m| m.matching.as_ref());
        match (l, r) {
            (Value::Scalar(x), Value::Scalar(y)) => {
                Value::Scalar(apply(op, x, y).map_or(0.0, |(v, keep)| {
                    if is_comparison(op) {
                        f64::from(keep)
                    } else {
                        v
                    }
                }))
            }
            (Value::Vector(v), Value::Scalar(y)) => {
                Value::Vector(with_scalar(op, v, y, false, return_bool))
            }
            (Value::Scalar(x), Value::Vector(v)) => {
                Value::Vector(with_scalar(op, v, x, true, return_bool))
            }
            (Value::Vector(l), Value::Vector(r)) => Value::Vector(match op {
                T_LAND | T_LOR | T_LUNLESS => set_operation(op, matching, l, r),
                _ => one_to_one(op, matching, l, r, return_bool),
            }),
        }
    }
}

fn prepare(
    store: &SeriesStore,
    expr: &Expr,
    selected: &mut HashMap<usize, (String, Vec<usize>)>,
) -> Result<(), String> {
    match expr {
        Expr::NumberLiteral(_) => Ok(()),
        Expr::Paren(p) => prepare(store, &p.expr, selected),
        Expr::Unary(u) => prepare(store, &u.expr, selected),
        Expr::VectorSelector(v) => {
            if v.offset.is_some() || v.at.is_some() {
                return Err(format!("`{v}`: offset and @ are not replayed"));
            }
            let picked = (0..store.series.len())
                .filter(|&i| selects(v, &store.series[i].labels))
                .collect();
            selected
                .insert(v as *const VectorSelector as usize, (v.to_string(), picked));
            Ok(())
        }
        Expr::Aggregate(a) => {
            if !matches!(a.op.id(), T_SUM | T_MIN | T_MAX | T_AVG | T_COUNT) {
                return Err(format!("the aggregation `{}` is not replayed", a.op));
            }
            prepare(store, &a.expr, selected)
        }
        Expr::Binary(b) => {
            if operator(b.op.id()).is_none() {
                return Err(format!("the operator `{}` is not replayed", b.op));
            }
            if let Some(m) = &b.modifier {
                if matches!(
                    m.card,
                    VectorMatchCardinality::ManyToOne(_) | VectorMatchCardinality::OneToMany(_)
                ) {
                    return Err("`group_left`/`group_right` are not replayed".into());
                }
            }
            prepare(store, &b.lhs, selected)?;
            prepare(store, &b.rhs, selected)
        }
        Expr::Call(c) => Err(format!(
            "the function `{}` needs raw series; replay reads recorded ones: record the ratio with a recording rule",
            c.func.name
        )),
        Expr::MatrixSelector(m) => Err(format!(
            "the range selector `{m}` needs raw series; record the ratio with a recording rule"
        )),
        Expr::Subquery(_) => Err("subqueries are not replayed".into()),
        Expr::StringLiteral(_) | Expr::Extension(_) => {
            Err("string and extension expressions are not replayed".into())
        }
    }
}

/// Whether a selector picks a series with these labels.
fn selects(v: &VectorSelector, labels: &Labels) -> bool {
    if let Some(name) = &v.name {
        if label(labels, METRIC_NAME) != name {
            return false;
        }
    }
    let all = |ms: &[promql_parser::label::Matcher]| {
        ms.iter().all(|m| m.is_match(label(labels, &m.name)))
    };
    if v.matchers.or_matchers.is_empty() {
        all(&v.matchers.matchers)
    } else {
        all(&v.matchers.matchers) && v.matchers.or_matchers.iter().any(|group| all(group))
    }
}

fn operator(op: u16) -> Option<()> {
    matches!(
        op,
        T_ADD
            | T_SUB
            | T_MUL
            | T_DIV
            | T_MOD
            | T_POW
            | T_EQLC
            | T_NEQ
            | T_GTR
            | T_GTE
            | T_LSS
            | T_LTE
            | T_LAND
            | T_LOR
            | T_LUNLESS
    )
    .then_some(())
}

fn is_comparison(op: u16) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_GTE | T_LSS | T_LTE)
}

/// `x op y`: the arithmetic result, or for a comparison `(x, whether it holds)`.
fn apply(op: u16, x: f64, y: f64) -> Option<(f64, bool)> {
    Some(match op {
        T_ADD => (x + y, true),
        T_SUB => (x - y, true),
        T_MUL => (x * y, true),
        T_DIV => (x / y, true),
        T_MOD => (x % y, true),
        T_POW => (x.powf(y), true),
        T_EQLC => (x, x == y),
        T_NEQ => (x, x != y),
        T_GTR => (x, x > y),
        T_GTE => (x, x >= y),
        T_LSS => (x, x < y),
        T_LTE => (x, x <= y),
        _ => return None,
    })
}

fn without_name(mut labels: Labels) -> Labels {
    labels.retain(|(k, _)| k != METRIC_NAME);
    labels
}

/// A vector with a scalar; `scalar_left` for `y op vector`.
fn with_scalar(
    op: u16,
    v: Vec<Sample>,
    y: f64,
    scalar_left: bool,
    return_bool: bool,
) -> Vec<Sample> {
    let comparison = is_comparison(op);
    v.into_iter()
        .filter_map(|s| {
            let (a, b) = if scalar_left {
                (y, s.value)
            } else {
                (s.value, y)
            };
            let (result, holds) = apply(op, a, b)?;
            if comparison {
                if return_bool {
                    Some(Sample {
                        labels: without_name(s.labels),
                        value: f64::from(holds),
                    })
                } else {
                    holds.then_some(s)
                }
            } else {
                Some(Sample {
                    labels: without_name(s.labels),
                    value: result,
                })
            }
        })
        .collect()
}

/// The labels two sides are matched on.
fn signature(labels: &Labels, matching: Option<&LabelModifier>) -> Labels {
    match matching {
        Some(LabelModifier::Include(on)) => labels
            .iter()
            .filter(|(k, _)| on.labels.iter().any(|l| l == k))
            .cloned()
            .collect(),
        Some(LabelModifier::Exclude(ignoring)) => labels
            .iter()
            .filter(|(k, _)| k != METRIC_NAME && !ignoring.labels.iter().any(|l| l == k))
            .cloned()
            .collect(),
        None => labels
            .iter()
            .filter(|(k, _)| k != METRIC_NAME)
            .cloned()
            .collect(),
    }
}

fn set_operation(
    op: u16,
    matching: Option<&LabelModifier>,
    l: Vec<Sample>,
    r: Vec<Sample>,
) -> Vec<Sample> {
    let right: HashSet<Labels> = r.iter().map(|s| signature(&s.labels, matching)).collect();
    match op {
        T_LAND => l
            .into_iter()
            .filter(|s| right.contains(&signature(&s.labels, matching)))
            .collect(),
        T_LUNLESS => l
            .into_iter()
            .filter(|s| !right.contains(&signature(&s.labels, matching)))
            .collect(),
        _ => {
            let left: HashSet<Labels> = l.iter().map(|s| signature(&s.labels, matching)).collect();
            let mut out = l;
            out.extend(
                r.into_iter()
                    .filter(|s| !left.contains(&signature(&s.labels, matching))),
            );
            out
        }
    }
}

fn one_to_one(
    op: u16,
    matching: Option<&LabelModifier>,
    l: Vec<Sample>,
    r: Vec<Sample>,
    return_bool: bool,
) -> Vec<Sample> {
    let right: HashMap<Labels, f64> = r
        .into_iter()
        .map(|s| (signature(&s.labels, matching), s.value))
        .collect();
    let comparison = is_comparison(op);
    l.into_iter()
        .filter_map(|s| {
            let y = *right.get(&signature(&s.labels, matching))?;
            let (result, holds) = apply(op, s.value, y)?;
            if comparison && !return_bool && !holds {
                return None;
            }
            let mut labels = if comparison && !return_bool {
                s.labels
            } else {
                without_name(s.labels)
            };
            match matching {
                Some(LabelModifier::Include(on)) => {
                    labels.retain(|(k, _)| on.labels.iter().any(|l| l == k))
                }
                Some(LabelModifier::Exclude(ignoring)) => {
                    labels.retain(|(k, _)| !ignoring.labels.iter().any(|l| l == k))
                }
                None => {}
            }
            let value = match (comparison, return_bool) {
                (true, true) => f64::from(holds),
                (true, false) => s.value,
                _ => result,
            };
            Some(Sample { labels, value })
        })
        .collect()
}

fn aggregate(op: u16, modifier: Option<&LabelModifier>, input: Vec<Sample>) -> Vec<Sample> {
    // (sum or extreme, count) per group, in the order groups first appear.
    let mut groups: BTreeMap<Labels, (f64, f64)> = BTreeMap::new();
    for s in input {
        let key: Labels = match modifier {
            Some(LabelModifier::Include(by)) => s
                .labels
                .into_iter()
                .filter(|(k, _)| by.labels.iter().any(|l| l == k))
                .collect(),
            Some(LabelModifier::Exclude(without)) => s
                .labels
                .into_iter()
                .filter(|(k, _)| k != METRIC_NAME && !without.labels.iter().any(|l| l == k))
                .collect(),
            None => Vec::new(),
        };
        let x = s.value;
        groups
            .entry(key)
            .and_modify(|(acc, n)| {
                *n += 1.0;
                *acc = match op {
                    T_MAX if x > *acc || acc.is_nan() => x,
                    T_MIN if x < *acc || acc.is_nan() => x,
                    T_MAX | T_MIN => *acc,
                    _ => *acc + x,
                };
            })
            .or_insert((x, 1.0));
    }
    groups
        .into_iter()
        .map(|(labels, (acc, n))| Sample {
            labels,
            value: match op {
                T_COUNT => n,
                T_AVG => acc / n,
                _ => acc,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::series::store_from_texts;
    use super::*;

    fn store() -> SeriesStore {
        let answer = r#"[
          {"metric":{"__name__":"r:rate5m","cluster":"a","verb":"read"},"values":[[60,"0.5"],[120,"0.01"]]},
          {"metric":{"__name__":"r:rate5m","cluster":"a","verb":"write"},"values":[[60,"0.3"],[120,"0.02"]]},
          {"metric":{"__name__":"r:rate5m","cluster":"b","verb":"read"},"values":[[60,"0.0"],[120,"0.9"]]},
          {"metric":{"__name__":"r:rate1h","cluster":"a"},"values":[[60,"0.2"],[120,"0.2"]]},
          {"metric":{"__name__":"r:rate1h","cluster":"b"},"values":[[60,"0.0"],[120,"0.3"]]}
        ]"#;
        store_from_texts(&[("a.json", answer)]).unwrap()
    }

    fn at(expr: &str, t: Millis) -> Vec<(Labels, f64)> {
        let store = store();
        let ast = promql_parser::parser::parse(expr).unwrap();
        let e = Evaluator::new(&store, ast).unwrap();
        match e.at(t) {
            Value::Vector(v) => {
                let mut v: Vec<_> = v.into_iter().map(|s| (s.labels, s.value)).collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            }
            Value::Scalar(x) => vec![(Vec::new(), x)],
        }
    }

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn aggregations_and_filters_as_prometheus() {
        assert_eq!(
            at("max(r:rate5m > 0.1) without (verb)", 60_000),
            vec![(l(&[("cluster", "a")]), 0.5)]
        );
        assert_eq!(
            at("sum by (cluster) (r:rate5m)", 120_000),
            vec![
                (l(&[("cluster", "a")]), 0.03),
                (l(&[("cluster", "b")]), 0.9)
            ]
        );
        assert_eq!(at("count(r:rate5m)", 60_000), vec![(l(&[]), 3.0)]);
        // A filtering comparison keeps __name__.
        assert_eq!(
            at("r:rate1h > 0.25", 120_000),
            vec![(l(&[("__name__", "r:rate1h"), ("cluster", "b")]), 0.3)]
        );
        assert_eq!(at("(14.4 * (1 - 0.999))", 0)[0].1, 14.4 * (1.0 - 0.999));
    }

    #[test]
    fn and_on_matches_the_on_labels_only() {
        let expr = "sum by (cluster) (r:rate1h) > (0.1) and on (cluster) sum by (cluster) (r:rate5m) > 0.1";
        assert_eq!(at(expr, 60_000), vec![(l(&[("cluster", "a")]), 0.2)]);
        assert_eq!(at(expr, 120_000), vec![(l(&[("cluster", "b")]), 0.3)]);
        // Without `on`, {cluster="a"} and {cluster="a", verb="read"} do not match.
        assert!(at("r:rate1h > 0.1 and r:rate5m > 0.1", 60_000).is_empty());
        assert_eq!(
            at("r:rate1h > 0.25 or r:rate1h < 0.25", 120_000).len(),
            2,
            "or keeps both sides' distinct label sets"
        );
        assert_eq!(
            at("r:rate1h unless on (cluster) r:rate5m > 0.4", 60_000),
            vec![(l(&[("__name__", "r:rate1h"), ("cluster", "b")]), 0.0)]
        );
    }

    #[test]
    fn vector_arithmetic_matches_one_to_one_and_drops_the_name() {
        assert_eq!(
            at(
                "r:rate1h / ignoring (verb) r:rate5m{verb=\"read\"}",
                120_000
            ),
            vec![
                (l(&[("cluster", "a")]), 20.0),
                (l(&[("cluster", "b")]), 0.3 / 0.9)
            ]
        );
        assert_eq!(
            at("r:rate1h > bool 0.1", 60_000),
            vec![(l(&[("cluster", "a")]), 1.0), (l(&[("cluster", "b")]), 0.0)]
        );
    }

    #[test]
    fn functions_and_ranges_are_refused_by_name() {
        let store = store();
        for (expr, says) in [
            ("rate(x[5m]) > 1", "rate"),
            ("x offset 5m > 1", "offset"),
            ("a * on(x) group_left(y) b", "group_left"),
            ("topk(3, x)", "topk"),
        ] {
            let ast = promql_parser::parser::parse(expr).unwrap();
            let e = Evaluator::new(&store, ast).err().unwrap();
            assert!(e.contains(says), "{expr}: {e}");
        }
    }
}
