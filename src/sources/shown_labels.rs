//! An alert's labels as a webhook body shows them: name and value pairs
//! sorted by name, borrowed from the file's text where they need no
//! unescaping. One vector per alert instead of a map node and two strings
//! per label: webhook archives show the same alert in body after body.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The labels of one alert, sorted by name, each name once (of a name
/// given twice, the last value counts, as in a map).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShownLabels<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> ShownLabels<'a> {
    /// The value of a label.
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self
            .0
            .binary_search_by(|(k, _)| k.as_ref().cmp(name))
            .ok()?;
        Some(self.0[at].1.as_ref())
    }

    /// The labels in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// How many labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn from_pairs(mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> ShownLabels<'a> {
        // A stable sort keeps a name's values in the order given; the last
        // one is kept.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        ShownLabels(pairs)
    }
}

/// A JSON string, borrowed when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ShownLabels<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;
        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = ShownLabels<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of label names to string values")
            }
            fn visit_map<M: MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<ShownLabels<'de>, M::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((name, value)) = map.next_entry::<Text, Text>()? {
                    pairs.push((name.0, value.0));
                }
                Ok(ShownLabels::from_pairs(pairs))
            }
        }
        deserializer.deserialize_map(LabelsVisitor)
    }
}

/// An alert's labels as the fast reading of a body gives them: the JSON
/// object's text as it is, when it is *plain* (every name and value a string
/// without escapes), with its `alertname` found by a scan; or read into
/// pairs. Most sightings of an alert repeat an episode already known, whose
/// labels need not be read again: the pairs are made only for an episode's
/// first sighting (by [`AlertLabels::to_shown`]).
#[derive(Debug, Clone)]
pub enum AlertLabels<'a> {
    /// A plain object's text and its `alertname` (the last, if given twice).
    Plain {
        /// The JSON object, as it is in the file.
        text: &'a str,
        /// The value of `alertname`.
        alertname: Option<&'a str>,
    },
    /// The labels read into pairs.
    Read(ShownLabels<'a>),
}

impl<'a> AlertLabels<'a> {
    /// The value of `alertname`.
    pub fn alertname(&self) -> Option<&str> {
        match self {
            AlertLabels::Plain { alertname, .. } => *alertname,
            AlertLabels::Read(shown) => shown.get("alertname"),
        }
    }

    /// The text of a plain object (equal texts are equal label sets).
    pub fn plain_text(&self) -> Option<&'a str> {
        match self {
            AlertLabels::Plain { text, .. } => Some(text),
            AlertLabels::Read(_) => None,
        }
    }

    /// The labels as pairs sorted by name, as [`ShownLabels`] reads them.
    pub fn to_shown(&self) -> Cow<'_, ShownLabels<'a>> {
        match self {
            AlertLabels::Plain { text, .. } => {
                let mut pairs = Vec::new();
                // A plain text was scanned whole when it was read, so the
                // scan gives every pair again.
                walk_plain(text, |name, value| {
                    pairs.push((Cow::Borrowed(name), Cow::Borrowed(value)))
                });
                Cow::Owned(ShownLabels::from_pairs(pairs))
            }
            AlertLabels::Read(shown) => Cow::Borrowed(shown),
        }
    }

    /// The labels as pairs ([`AlertLabels::to_shown`]), taking those already read.
    pub fn into_shown(self) -> ShownLabels<'a> {
        match self {
            AlertLabels::Read(shown) => shown,
            plain => plain.to_shown().into_owned(),
        }
    }
}

impl<'a> From<ShownLabels<'a>> for AlertLabels<'a> {
    fn from(shown: ShownLabels<'a>) -> AlertLabels<'a> {
        AlertLabels::Read(shown)
    }
}

/// The labels of an alert in a body read whole: taken as the object's text
/// (serde_json checks it is JSON) and scanned for `alertname` when plain,
/// else read into pairs like [`ShownLabels`].
pub struct FastLabels<'a>(pub AlertLabels<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for FastLabels<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: &'de serde_json::value::RawValue = Deserialize::deserialize(deserializer)?;
        let text = raw.get();
        let mut alertname = None;
        if walk_plain(text, |name, value| {
            if name == "alertname" {
                alertname = Some(value);
            }
        }) {
            return Ok(FastLabels(AlertLabels::Plain { text, alertname }));
        }
        let shown: ShownLabels<'de> =
            serde_json::from_str(text).map_err(serde::de::Error::custom)?;
        Ok(FastLabels(AlertLabels::Read(shown)))
    }
}

impl<'a> From<FastLabels<'a>> for AlertLabels<'a> {
    fn from(fast: FastLabels<'a>) -> AlertLabels<'a> {
        fast.0
    }
}

/// Calls `pair` with each name and value of `text`, a JSON object serde_json
/// has already checked, and says whether it is plain: every value a string
/// and no backslash anywhere (so every string is its bytes between quotes).
/// Gives `false` at once for anything else, which is then read by serde.
fn walk_plain<'a>(text: &'a str, mut pair: impl FnMut(&'a str, &'a str)) -> bool {
    let bytes = text.as_bytes();
    if memchr::memchr(b'\\', bytes).is_some() {
        return false;
    }
    let mut at = 0;
    let skip_space = |at: &mut usize| {
        while *at < bytes.len() && matches!(bytes[*at], b' ' | b'\t' | b'\n' | b'\r') {
            *at += 1;
        }
    };
    // A string at `at` (its opening quote): its text, and `at` after it.
    let string = |at: &mut usize| -> Option<&'a str> {
        if bytes.get(*at) != Some(&b'"') {
            return None;
        }
        let end = *at + 1 + memchr::memchr(b'"', &bytes[*at + 1..])?;
        let s = &text[*at + 1..end];
        *at = end + 1;
        Some(s)
    };
    skip_space(&mut at);
    if bytes.get(at) != Some(&b'{') {
        return false;
    }
    at += 1;
    skip_space(&mut at);
    if bytes.get(at) == Some(&b'}') {
        return true;
    }
    loop {
        skip_space(&mut at);
        let Some(name) = string(&mut at) else {
            return false;
        };
        skip_space(&mut at);
        if bytes.get(at) != Some(&b':') {
            return false;
        }
        at += 1;
        skip_space(&mut at);
        let Some(value) = string(&mut at) else {
            return false;
        };
        pair(name, value);
        skip_space(&mut at);
        match bytes.get(at) {
            Some(b',') => at += 1,
            Some(b'}') => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// The labels read as pairs are the map serde reads from the same
        /// JSON: sorted, the last of a name given twice, escapes undone;
        /// what is not a map of strings is refused by both.
        #[test]
        fn pairs_are_the_map_serde_reads(
            pairs in proptest::collection::vec(("[a-c_]{1,3}", "[a-z\"\\\\é\n ]{0,20}"), 0..12),
            broken in any::<bool>(),
        ) {
            let mut json = String::from("{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 { json.push(','); }
                json.push_str(&serde_json::to_string(k).unwrap());
                json.push(':');
                json.push_str(&serde_json::to_string(v).unwrap());
            }
            if broken { json.push_str(if pairs.is_empty() { r#""n":1"# } else { r#","n":1"# }); }
            json.push('}');
            let map: Result<BTreeMap<String, String>, _> = serde_json::from_str(&json);
            let shown: Result<ShownLabels, _> = serde_json::from_str(&json);
            match (map, shown) {
                (Ok(map), Ok(shown)) => {
                    let got: Vec<(String, String)> =
                        shown.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                    let want: Vec<(String, String)> = map.into_iter().collect();
                    prop_assert_eq!(got, want);
                    for (k, v) in shown.iter() {
                        prop_assert_eq!(shown.get(k), Some(v));
                    }
                }
                (Err(_), Err(_)) => {}
                (map, shown) => prop_assert!(false, "map {:?}, pairs {:?}", map, shown),
            }
        }
    }

    proptest! {
        /// The fast reading of labels gives what serde reads, whatever the
        /// spacing, escapes, repeated names and values that are not
        /// strings: a plain object scanned (its `alertname` the last given,
        /// its pairs read back as `ShownLabels` reads them), anything else
        /// read by serde, and what serde refuses refused.
        #[test]
        fn fast_labels_are_the_labels_serde_reads(
            pairs in proptest::collection::vec(
                ("(alertname|[a-c_]{1,3})", "[a-z\"\\\\é:,{} ]{0,12}"),
                0..8,
            ),
            number in any::<bool>(),
            spaces in proptest::collection::vec("[ \t\r\n]{0,2}", 6),
        ) {
            let mut json = format!("{}{{{}", spaces[0], spaces[1]);
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 { json.push_str(&format!("{},{}", spaces[2], spaces[3])); }
                json.push_str(&serde_json::to_string(k).unwrap());
                json.push_str(&format!("{}:{}", spaces[4], spaces[5]));
                json.push_str(&serde_json::to_string(v).unwrap());
            }
            if number { json.push_str(if pairs.is_empty() { r#""n":1"# } else { r#","n":1"# }); }
            json.push_str(&format!("{}}}{}", spaces[1], spaces[0]));
            let shown: Result<ShownLabels, _> = serde_json::from_str(&json);
            let fast: Result<FastLabels, _> = serde_json::from_str(&json);
            match (shown, fast) {
                (Ok(shown), Ok(FastLabels(fast))) => {
                    prop_assert_eq!(fast.alertname(), shown.get("alertname"));
                    prop_assert_eq!(fast.to_shown().into_owned(), shown);
                    // Plain exactly when nothing needs serde.
                    let plain = !json.contains('\\') && !number;
                    prop_assert_eq!(fast.plain_text().is_some(), plain);
                }
                (Err(_), Err(_)) => {}
                (shown, fast) => prop_assert!(
                    false, "shown {:?}, fast {:?}", shown, fast.map(|f| f.0)
                ),
            }
        }
    }

    #[test]
    fn plain_labels_are_scanned_and_others_read() {
        fn fast(json: &str) -> serde_json::Result<AlertLabels<'_>> {
            serde_json::from_str::<FastLabels>(json).map(|f| f.0)
        }
        let plain = fast(r#" { "alertname" : "A", "i": "x:1,}" , "alertname":"B" } "#).unwrap();
        assert_eq!(plain.alertname(), Some("B"));
        assert!(plain.plain_text().is_some());
        let escaped = fast(r#"{"alertname":"A\"B"}"#).unwrap();
        assert_eq!(escaped.alertname(), Some("A\"B"));
        assert!(escaped.plain_text().is_none());
        assert!(fast(r#"{"alertname":1}"#).is_err());
        assert_eq!(fast("{}").unwrap().alertname(), None);
    }

    #[test]
    fn texts_without_escapes_are_borrowed() {
        let json = r#"{"b":"plain","a":"esc\"aped"}"#;
        let shown: ShownLabels = serde_json::from_str(json).unwrap();
        assert!(matches!(shown.0[0].1, Cow::Owned(_)));
        assert!(matches!(shown.0[1].1, Cow::Borrowed("plain")));
        assert_eq!(shown.get("a"), Some("esc\"aped"));
        assert_eq!(shown.get("c"), None);
    }
}
