//! The compact table of the noisiest rules printed on stdout: coloured on a
//! terminal (noise per week red from 10, yellow from 1; the header bold),
//! plain when piped or when `NO_COLOR` is set.

use super::rows::{num, text, Row};
use anstyle::{AnsiColor, Style};

/// Whether standard output should get colours: a terminal, and no `NO_COLOR`.
pub fn colour_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Noise per week from which a rule is shown red, and yellow.
const RED_FROM: f64 = 10.0;
const YELLOW_FROM: f64 = 1.0;

fn paint(text: String, style: Style, colour: bool) -> String {
    if colour {
        format!("{style}{text}{style:#}")
    } else {
        text
    }
}

/// Formats a ratio as a whole percentage, `-` when unknown.
pub fn pct(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{:.0}%", v * 100.0))
}

/// Renders the top `n` rows by noise score as a fixed-width table, with
/// ANSI colours when `colour` is set.
pub fn render(rows: &[Row], n: usize, colour: bool) -> String {
    let top = super::markdown::by_noise(rows);
    let mut out = String::new();
    let header = format!(
        "{:<32} {:>8} {:>8} {:>7} {:>7} {:>11}  {}",
        "rule", "episodes", "noise/wk", "short", "refire", "actionable", "severity"
    );
    out.push_str(&paint(header, Style::new().bold(), colour));
    out.push('\n');
    for row in top.iter().take(n) {
        let rule = text(row, "rule").unwrap_or("");
        let rule = if rule.chars().count() > 32 {
            format!("{}…", rule.chars().take(31).collect::<String>())
        } else {
            rule.to_string()
        };
        let noise = num(row, "noise_score").unwrap_or(0.0);
        let noise_style = if noise >= RED_FROM {
            Style::new().fg_color(Some(AnsiColor::Red.into())).bold()
        } else if noise >= YELLOW_FROM {
            Style::new().fg_color(Some(AnsiColor::Yellow.into()))
        } else {
            Style::new()
        };
        out.push_str(&format!(
            "{:<32} {:>8} {} {:>7} {:>7} {:>11}  {}\n",
            rule,
            num(row, "episodes").unwrap_or(0.0),
            paint(format!("{noise:>8.1}"), noise_style, colour),
            pct(num(row, "short_ratio")),
            pct(num(row, "flap_rate")),
            pct(num(row, "actionable_ratio")),
            text(row, "severity").unwrap_or("-"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rule: &str, noise: f64) -> Row {
        let mut r = Row::new();
        r.insert("rule".into(), rule.into());
        r.insert("noise_score".into(), noise.into());
        r.insert("episodes".into(), 3.0.into());
        r
    }

    #[test]
    fn colours_only_when_asked_and_columns_line_up_either_way() {
        let rows = [row("Loud", 12.0), row("Some", 2.0), row("Quiet", 0.0)];
        let plain = render(&rows, 10, false);
        assert!(!plain.contains('\x1b'));
        let coloured = render(&rows, 10, true);
        assert!(coloured.contains("\x1b[1m\x1b[31m") || coloured.contains("\x1b[31m"));
        assert!(coloured.contains("\x1b[33m"));
        // Without the escape codes the coloured table is the plain one.
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&coloured, "");
        assert_eq!(stripped, plain);
    }
}
