//! What every HTML page alertnoise writes shares: one self-contained
//! document (styles and the table-sorting script inline, charts as inline
//! SVG, no request to anywhere), a Content-Security-Policy that allows only
//! that script (by its hash), and HTML escaping of every value by the
//! template engine.

use crate::error::{Error, Result};
use base64::Engine;
use minijinja::value::Serde;
use minijinja::{Environment, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

const BASE: &str = include_str!("templates/page.html.j2");
/// The table-sorting script, inlined in every page.
const SCRIPT: &str = include_str!("templates/sortable.js");

/// The CSP source expression allowing exactly [`SCRIPT`].
fn script_hash() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A template environment with the base page and `templates` (name, source)
/// added; names end in `.html`, so every `{{ value }}` is HTML-escaped.
pub fn environment(templates: &[(&'static str, &'static str)]) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| template_error("page.html", e))?,
    );
    env.add_filter("prose", prose);
    env.add_template("page.html", BASE)
        .map_err(|e| template_error("page.html", e))?;
    for (name, source) in templates {
        env.add_template(name, source)
            .map_err(|e| template_error(name, e))?;
    }
    Ok(env)
}

/// Renders template `name` with `ctx` plus what the base page needs.
pub fn render<S: Serialize>(env: &Environment, name: &str, ctx: S) -> Result<String> {
    let template = env
        .get_template(name)
        .map_err(|e| template_error(name, e))?;
    template
        .render(minijinja::context! {
            script => Value::from_safe_string(SCRIPT.to_string()),
            // Base64 holds no character HTML needs escaped; unescaped it reads as the hash.
            script_hash => Value::from_safe_string(script_hash()),
            tool => format!("alertnoise {}", env!("CARGO_PKG_VERSION")),
            ..Value::from(Serde(ctx))
        })
        .map_err(|e| template_error(name, e))
}

fn template_error(name: &str, e: minijinja::Error) -> Error {
    Error::Output {
        path: name.into(),
        reason: e.to_string(),
    }
}

/// Escapes a sentence alertnoise wrote for HTML and shows its `code spans`
/// as `<code>` (what Markdown would do with them).
pub fn prose(text: &str) -> Value {
    // The same escaping the template engine applies to every other value.
    let escaped = minijinja::HtmlEscape(text).to_string();
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    // An unmatched backtick leaves a `<code>` open: fall back to plain text.
    if escaped.matches('`').count() % 2 == 1 {
        return Value::from_safe_string(escaped);
    }
    Value::from_safe_string(out)
}

/// One line of a diff with its CSS class (`diff-add`, `diff-del` or none).
#[derive(Debug, Serialize)]
pub struct DiffLine {
    /// `diff-add`, `diff-del`, or empty.
    pub class: &'static str,
    /// The line, unescaped.
    pub text: String,
}

/// Splits a unified diff into classed lines for colouring.
pub fn diff_lines(patch: &str) -> Vec<DiffLine> {
    patch
        .lines()
        .map(|line| DiffLine {
            class: match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => "diff-add",
                Some(b'-') if !line.starts_with("---") => "diff-del",
                _ => "",
            },
            text: line.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_escapes_and_keeps_code_spans() {
        assert_eq!(
            prose("raise `for:` to <5m> & \"go\"").to_string(),
            "raise <code>for:</code> to &lt;5m&gt; &amp; &quot;go&quot;"
        );
        assert_eq!(prose("a ` b <i>").to_string(), "a ` b &lt;i&gt;");
    }

    #[test]
    fn the_script_is_allowed_by_its_hash() {
        let env = environment(&[(
            "t.html",
            "{% extends \"page.html\" %}{% block content %}{{ x }}{% endblock %}",
        )])
        .unwrap();
        let html = render(
            &env,
            "t.html",
            minijinja::context! { x => "<script>alert(1)</script>" },
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains(&format!("script-src '{}'", script_hash())));
        let start = html.rfind("<script>").unwrap() + "<script>".len();
        let end = html.rfind("</script>").unwrap();
        assert_eq!(&html[start..end], SCRIPT);
    }
}
