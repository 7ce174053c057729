//! The compact table of the noisiest rules printed on stdout.

use super::rows::{num, text, Row};

/// Formats a ratio as a whole percentage, `-` when unknown.
pub fn pct(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{:.0}%", v * 100.0))
}

/// Renders the top `n` rows by noise score as a fixed-width table.
pub fn render(rows: &[Row], n: usize) -> String {
    let top = super::markdown::by_noise(rows);
    let mut out = String::new();
    out.push_str(&format!(
        "{:<32} {:>8} {:>8} {:>7} {:>7} {:>11}  {}\n",
        "rule", "episodes", "noise/wk", "short", "refire", "actionable", "severity"
    ));
    for row in top.iter().take(n) {
        let rule = text(row, "rule").unwrap_or("");
        let rule = if rule.chars().count() > 32 {
            format!("{}…", rule.chars().take(31).collect::<String>())
        } else {
            rule.to_string()
        };
        out.push_str(&format!(
            "{:<32} {:>8} {:>8.1} {:>7} {:>7} {:>11}  {}\n",
            rule,
            num(row, "episodes").unwrap_or(0.0),
            num(row, "noise_score").unwrap_or(0.0),
            pct(num(row, "short_ratio")),
            pct(num(row, "flap_rate")),
            pct(num(row, "actionable_ratio")),
            text(row, "severity").unwrap_or("-"),
        ));
    }
    out
}
