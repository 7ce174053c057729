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
