//! Alertmanager's label matchers (`matchers:`, `match:`, `match_re:`,
//! `source_matchers`, `target_matchers`): reading them as Alertmanager reads
//! a configuration, and matching a label set.
//!
//! Alertmanager 0.27 and later read a `matchers:` line with two parsers and
//! keep the classic one's result whenever it can read the line (its
//! "fallback" mode, the default); the newer UTF-8 parser's result is used
//! only for lines the classic one refuses, such as quoted label names.
//! [`parse_matchers`] does the same. A label the alert does not have has
//! the value `""`. Regular expressions are anchored (`^(?:RE)$`); they are
//! compiled with Rust's `regex`, whose syntax is Go's RE2 syntax, except that
//! `\d`, `\w`, `\s` and `\b` also match non-ASCII characters (Go's only
//! match ASCII) and `\Q…\E` is not read.

use crate::interned::LabelMap;
use regex::Regex;
use std::fmt;

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regexp,
    /// `!~`
    NotRegexp,
}

impl MatchType {
    /// The operator as written.
    pub fn operator(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regexp => "=~",
            MatchType::NotRegexp => "!~",
        }
    }
}

/// One label matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The label's name.
    pub name: String,
    /// The comparison.
    pub kind: MatchType,
    /// The value or the regular expression, unescaped.
    pub value: String,
    /// The anchored expression, for `=~` and `!~`.
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.kind, &self.value) == (&other.name, other.kind, &other.value)
    }
}

impl fmt::Display for Matcher {
    /// As Alertmanager prints a matcher (in route keys, group keys and
    /// `amtool config routes`): `name="value"` with the value escaped, or
    /// both quoted when the name holds a character the syntax reserves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.kind.operator();
        if self.name.chars().any(is_reserved) {
            return write!(f, "{}{op}{}", go_quote(&self.name), go_quote(&self.value));
        }
        let escaped = self
            .value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        write!(f, "{}{op}\"{escaped}\"", self.name)
    }
}

/// Go's `strconv.Quote` for the printable texts labels hold.
pub fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Sorts matchers as Alertmanager does (by name, value, then operator):
/// the order route keys print them in.
pub fn sort_matchers(matchers: &mut [Matcher]) {
    matchers.sort_by(|a, b| (&a.name, &a.value, a.kind).cmp(&(&b.name, &b.value, b.kind)));
}

impl Matcher {
    /// A matcher; fails when a regular expression does not compile.
    pub fn new(kind: MatchType, name: &str, value: &str) -> Result<Matcher, String> {
        let regex = match kind {
            MatchType::Regexp | MatchType::NotRegexp => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("invalid regular expression `{value}`: {e}"))?,
            ),
            _ => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            kind,
            value: value.to_string(),
            regex,
        })
    }

    /// Whether a label's value (`""` when the label is missing) matches.
    pub fn matches(&self, value: &str) -> bool {
        match (self.kind, &self.regex) {
            (MatchType::Equal, _) => value == self.value,
            (MatchType::NotEqual, _) => value != self.value,
            (MatchType::Regexp, Some(re)) => re.is_match(value),
            (MatchType::NotRegexp, Some(re)) => !re.is_match(value),
            (_, None) => false,
        }
    }

    /// Whether a label set matches (a missing label has the value `""`).
    pub fn matches_labels(&self, labels: &LabelMap) -> bool {
        self.matches(labels.get(&self.name).map_or("", String::as_str))
    }
}

/// Whether every matcher matches the label set.
pub fn all_match(matchers: &[Matcher], labels: &LabelMap) -> bool {
    matchers.iter().all(|m| m.matches_labels(labels))
}

/// Reads one `matchers:` line (one or more matchers, comma-separated,
/// optionally in braces) as Alertmanager's default mode does: the classic
/// parser's result when it reads the line, else the UTF-8 parser's; when
/// neither can, the classic parser's error.
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>, String> {
    match parse_classic(input) {
        Ok(matchers) => Ok(matchers),
        Err(classic) => parse_utf8(input).map_err(|_| classic),
    }
}

/// The classic parser (Alertmanager's `pkg/labels`): commas outside double
/// quotes separate matchers; a matcher is a label name, an operator and a
/// value that may be quoted, with `\"`, `\n` and `\\` escapes.
pub fn parse_classic(input: &str) -> Result<Vec<Matcher>, String> {
    let inner = input.strip_prefix('{').unwrap_or(input);
    let inner = inner.strip_suffix('}').unwrap_or(inner);
    let mut tokens: Vec<String> = Vec::new();
    let mut token = String::new();
    let (mut inside_quotes, mut escaped) = (false, false);
    for c in inner.chars() {
        match c {
            ',' if !inside_quotes => {
                tokens.push(std::mem::take(&mut token));
                continue;
            }
            ',' => {}
            '"' if !escaped => inside_quotes = !inside_quotes,
            '"' => escaped = false,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        token.push(c);
    }
    let last = token.trim_matches(is_go_space);
    if !last.is_empty() {
        tokens.push(last.to_string());
    }
    tokens.iter().map(|t| parse_classic_one(t)).collect()
}

/// Go's `\s` in regular expressions.
fn is_go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// One classic matcher: `^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$`.
fn parse_classic_one(text: &str) -> Result<Matcher, String> {
    let bad = || format!("bad matcher format: {text}");
    let rest = text.trim_start_matches(is_go_space);
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit()))
        })
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if name_len == 0 {
        return Err(bad());
    }
    let name = &rest[..name_len];
    let rest = rest[name_len..].trim_start_matches(is_go_space);
    let (kind, rest) = if let Some(r) = rest.strip_prefix("=~") {
        (MatchType::Regexp, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (MatchType::Equal, r)
    } else if let Some(r) = rest.strip_prefix("!=") {
        (MatchType::NotEqual, r)
    } else if let Some(r) = rest.strip_prefix("!~") {
        (MatchType::NotRegexp, r)
    } else {
        return Err(bad());
    };
    let raw = rest.trim_matches(is_go_space);
    let (raw, mut expect_quote) = match raw.strip_prefix('"') {
        Some(r) => (r, true),
        None => (raw, false),
    };
    let unescaped_quote = || format!("matcher value contains unescaped double quote: {raw}");
    let mut value = String::with_capacity(raw.len());
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
            match c {
                'n' => value.push('\n'),
                '"' | '\\' => value.push(c),
                _ => {
                    value.push('\\');
                    value.push(c);
                }
            }
            continue;
        }
        match c {
            '\\' if i + 1 < raw.len() => escaped = true,
            '\\' => value.push('\\'),
            '"' => {
                if !expect_quote || i + 1 < raw.len() {
                    return Err(unescaped_quote());
                }
                expect_quote = false;
            }
            _ => value.push(c),
        }
    }
    if expect_quote {
        return Err(unescaped_quote());
    }
    Matcher::new(kind, name, &value)
}

/// The UTF-8 parser (Alertmanager's `matcher/parse`): label names and values
/// are unquoted words (no space or `{}!=~,\"'` and backtick) or Go-quoted
/// strings, matchers separated by commas, the whole optionally in braces.
pub fn parse_utf8(input: &str) -> Result<Vec<Matcher>, String> {
    let tokens = lex(input)?;
    let mut at = 0;
    let mut matchers = Vec::new();
    let next = |at: usize| tokens.get(at).map(|t| &t.kind);
    let braced = next(at) == Some(&Kind::Open);
    if braced {
        at += 1;
    }
    loop {
        match next(at) {
            None | Some(Kind::Close) => break,
            Some(Kind::Word(_) | Kind::Quoted(_)) => {}
            Some(_) => return Err(unexpected(&tokens, at, input)),
        }
        let name = tokens[at].text()?;
        at += 1;
        let kind = match next(at) {
            Some(Kind::Op(kind)) => *kind,
            _ => return Err(unexpected(&tokens, at, input)),
        };
        at += 1;
        let value = match next(at) {
            Some(Kind::Word(_) | Kind::Quoted(_)) => tokens[at].text()?,
            _ => return Err(unexpected(&tokens, at, input)),
        };
        at += 1;
        matchers.push(Matcher::new(kind, &name, &value)?);
        match next(at) {
            Some(Kind::Comma) => at += 1,
            None | Some(Kind::Close) => break,
            Some(_) => return Err(unexpected(&tokens, at, input)),
        }
    }
    match (braced, next(at)) {
        (true, Some(Kind::Close)) => at += 1,
        (true, _) => return Err(format!("{input}: expected close brace")),
        (false, Some(Kind::Close)) => return Err(format!("{input}: expected opening brace")),
        (false, _) => {}
    }
    match next(at) {
        None => Ok(matchers),
        Some(_) => Err(unexpected(&tokens, at, input)),
    }
}

/// A token of the UTF-8 matcher syntax.
#[derive(Debug, PartialEq)]
enum Kind {
    Open,
    Close,
    Comma,
    Op(MatchType),
    Word(String),
    Quoted(String),
}

/// A token and where it starts (a character column, from 0).
#[derive(Debug)]
struct Token {
    kind: Kind,
    column: usize,
}

impl Token {
    /// A name's or value's text: a word as it is, a quoted string unquoted.
    fn text(&self) -> Result<String, String> {
        match &self.kind {
            Kind::Word(w) => Ok(w.clone()),
            Kind::Quoted(q) => go_unquote(q).ok_or_else(|| format!("{q}: invalid input")),
            _ => Err("expected a label name or value".into()),
        }
    }
}

fn unexpected(tokens: &[Token], at: usize, input: &str) -> String {
    match tokens.get(at) {
        Some(t) => format!("{input}: unexpected {:?} at column {}", t.kind, t.column),
        None => format!("{input}: unexpected end of input"),
    }
}

/// Characters that end an unquoted word.
fn is_reserved(c: char) -> bool {
    c.is_whitespace() || "{}!=~,\\\"'`".contains(c)
}

fn lex(input: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i;
        let kind = match c {
            '{' => Kind::Open,
            '}' => Kind::Close,
            ',' => Kind::Comma,
            '=' if chars.get(i + 1) == Some(&'~') => {
                i += 1;
                Kind::Op(MatchType::Regexp)
            }
            '=' => Kind::Op(MatchType::Equal),
            '!' => match chars.get(i + 1) {
                Some('=') => {
                    i += 1;
                    Kind::Op(MatchType::NotEqual)
                }
                Some('~') => {
                    i += 1;
                    Kind::Op(MatchType::NotRegexp)
                }
                _ => return Err(format!("{input}: column {column}: expected one of '=~'")),
            },
            '"' => {
                let mut j = i + 1;
                let mut escaped = false;
                while j < chars.len() {
                    match chars[j] {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("{input}: column {column}: missing end \""));
                }
                let quoted: String = chars[i..=j].iter().collect();
                i = j;
                Kind::Quoted(quoted)
            }
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            c if !is_reserved(c) => {
                let mut j = i;
                while j < chars.len() && !is_reserved(chars[j]) {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                i = j - 1;
                Kind::Word(word)
            }
            _ => return Err(format!("{input}: column {column}: {c}: invalid input")),
        };
        tokens.push(Token { kind, column });
        i += 1;
    }
    Ok(tokens)
}

/// Go's `strconv.Unquote` of a double-quoted string: `None` when it is not
/// valid Go (a raw newline, an unknown escape, `\'`) or not valid UTF-8.
pub fn go_unquote(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\n') {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    let mut buf = [0u8; 4];
    while let Some(c) = chars.next() {
        if c == '"' {
            return None;
        }
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next()?;
        let simple = match e {
            'a' => Some(0x07u8),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let mut digits = |n: usize, radix: u32| -> Option<u32> {
            let mut v = 0u32;
            for _ in 0..n {
                v = v * radix + chars.next()?.to_digit(radix)?;
            }
            Some(v)
        };
        match e {
            'x' => out.push(digits(2, 16)? as u8),
            '0'..='7' => {
                let rest = digits(2, 8)?;
                let v = e.to_digit(8)? * 64 + rest;
                out.push(u8::try_from(v).ok()?);
            }
            'u' | 'U' => {
                let v = digits(if e == 'u' { 4 } else { 8 }, 16)?;
                let c = char::from_u32(v)?;
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, MatchType, String) {
        let m = parse_matchers(text).unwrap();
        assert_eq!(m.len(), 1, "{text}: {m:?}");
        (m[0].name.clone(), m[0].kind, m[0].value.clone())
    }

    #[test]
    fn reads_the_examples_of_alertmanagers_documentation() {
        // From ParseMatchers' documentation in Alertmanager's pkg/labels.
        let m = parse_matchers(r#"{foo = "bar", dings != "bums", }"#).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[1].name.as_str(), m[1].kind, m[1].value.as_str()),
            ("dings", MatchType::NotEqual, "bums")
        );
        assert_eq!(parse_matchers("foo=bar,dings!=bums").unwrap().len(), 2);
        assert_eq!(parse_matchers("foo=bar, dings!=bums").unwrap().len(), 2);
        assert_eq!(
            one(r#"{quote="She said: \"Hi, ladies! That's gender-neutral…\""}"#).2,
            "She said: \"Hi, ladies! That's gender-neutral…\""
        );
        assert_eq!(
            one(r#"statuscode=~"5..""#),
            ("statuscode".into(), MatchType::Regexp, "5..".into())
        );
        // The operators, the longest first.
        assert_eq!(one("a!~b").1, MatchType::NotRegexp);
        assert_eq!(one("a==b"), ("a".into(), MatchType::Equal, "=b".into()));
        // Empty values and trailing blanks.
        assert_eq!(one("severity=\"\"").2, "");
        assert_eq!(one("  team = ops  ").2, "ops");
        assert!(parse_matchers("").unwrap().is_empty());
    }

    #[test]
    fn escapes_follow_the_classic_parser() {
        assert_eq!(one(r#"a="x\ny""#).2, "x\ny");
        assert_eq!(one(r#"a="x\\y""#).2, "x\\y");
        // A spurious escape stays a backslash.
        assert_eq!(one(r#"a="x\dy""#).2, "x\\dy");
        assert_eq!(one(r"a=~\d+").2, "\\d+");
        assert!(parse_matchers(r#"a="x"y""#).is_err());
        assert!(parse_matchers(r#"a="xy"#).is_err());
    }

    #[test]
    fn falls_back_to_the_utf8_parser_for_what_the_classic_one_refuses() {
        // A quoted label name: only the UTF-8 parser reads it.
        assert_eq!(
            one(r#""service name"="api""#),
            ("service name".into(), MatchType::Equal, "api".into())
        );
        assert_eq!(one("{\"☃\"=snowman}").0, "☃");
        assert!(parse_classic(r#""service name"="api""#).is_err());
        // Neither reads it: the classic error.
        let e = parse_matchers("=x").unwrap_err();
        assert!(e.contains("bad matcher format"), "{e}");
    }

    #[test]
    fn the_utf8_parser_reads_its_own_syntax() {
        let m = parse_utf8(r#"{foo="bar",baz=~"a|b", "x y"!~qux}"#).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[2].name, "x y");
        assert_eq!(m[2].kind, MatchType::NotRegexp);
        assert!(parse_utf8("foo=bar baz").is_err());
        assert!(parse_utf8("{foo=bar").is_err());
        assert!(parse_utf8("foo=bar}").is_err());
        assert!(parse_utf8(r#"foo="\'""#).is_err());
        assert_eq!(parse_utf8(r#"foo="\u00e9\x41""#).unwrap()[0].value, "éA");
        assert!(parse_utf8("{}").unwrap().is_empty());
    }

    #[test]
    fn regular_expressions_are_anchored_and_missing_labels_are_empty() {
        let m = Matcher::new(MatchType::Regexp, "job", "api|web").unwrap();
        assert!(m.matches("api"));
        assert!(!m.matches("api-canary"));
        let empty = Matcher::new(MatchType::Equal, "team", "").unwrap();
        assert!(empty.matches_labels(&LabelMap::default()));
        let not = Matcher::new(MatchType::NotEqual, "team", "db").unwrap();
        assert!(not.matches_labels(&LabelMap::default()));
        assert!(Matcher::new(MatchType::Regexp, "a", "(").is_err());
    }
}
