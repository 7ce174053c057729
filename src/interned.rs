//! Interned values of the episode table: names (rules, fingerprints, file
//! names) and label sets, each held once and shared by every episode that
//! carries it.
//!
//! A year of history has a million episodes but only thousands of rules and
//! tens of thousands of label sets. Episodes hold a [`Name`] or a [`Labels`]
//! (a pointer and a reference count) instead of their own copies, so reading,
//! sorting and moving rows allocates almost nothing, and a label set's JSON
//! (the `labels` column) and fingerprint are computed once per set.
//!
//! Readers intern names through a [`Local`] cache (no lock) in front of the
//! process-wide [`pool`] (one copy per distinct value across threads and
//! files); the episodes CSV reader keeps its label sets by the texts they
//! were read from (`episode_table::ReaderCodes`), so a repeated set is not
//! even parsed again.

use fnv::{FnvHashMap, FnvHashSet};
use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

/// A shared, immutable string: a rule name, a fingerprint, a file name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the text is held: equal for clones of one interned name (two
    /// names with equal texts may still be held in two places).
    pub fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }
}

impl Default for Name {
    fn default() -> Self {
        static EMPTY: LazyLock<Name> = LazyLock::new(|| Name(Arc::from("")));
        EMPTY.clone()
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        Name(Arc::from(text))
    }
}

impl From<String> for Name {
    fn from(text: String) -> Self {
        Name(Arc::from(text))
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Self {
        Name(Arc::from(text.as_str()))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The map a label set holds: names to values, sorted by name.
pub type LabelMap = BTreeMap<String, String>;

/// One label set and what is computed from it once.
#[derive(Default)]
struct LabelSet {
    map: LabelMap,
    json: OnceLock<String>,
    fingerprint: OnceLock<Name>,
}

/// A shared, immutable label set. Reads like the `BTreeMap` it holds;
/// [`Labels::json`] and [`Labels::fingerprint`] are computed on first use and
/// kept. Changing one episode's labels ([`Labels::insert`]) gives that episode
/// its own set and leaves the others alone.
#[derive(Clone)]
pub struct Labels(Arc<LabelSet>);

impl Labels {
    /// The labels as a JSON object with sorted keys: the `labels` column.
    pub fn json(&self) -> &str {
        self.0
            .json
            .get_or_init(|| crate::fingerprint::labels_json(&self.0.map))
    }

    /// Alertmanager's fingerprint of the set.
    pub fn fingerprint(&self) -> Name {
        self.0
            .fingerprint
            .get_or_init(|| crate::fingerprint::fingerprint(&self.0.map).into())
            .clone()
    }

    /// The map, to read.
    pub fn map(&self) -> &LabelMap {
        &self.0.map
    }

    /// Where the set is held: equal for clones of one interned set (two
    /// equal sets may still be held in two places).
    pub fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

impl Default for Labels {
    fn default() -> Self {
        static EMPTY: LazyLock<Labels> = LazyLock::new(|| Labels::from(LabelMap::new()));
        EMPTY.clone()
    }
}

impl From<LabelMap> for Labels {
    fn from(map: LabelMap) -> Self {
        Labels(Arc::new(LabelSet {
            map,
            ..LabelSet::default()
        }))
    }
}

impl Deref for Labels {
    type Target = LabelMap;
    fn deref(&self) -> &LabelMap {
        &self.0.map
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.map == other.0.map
    }
}

impl Eq for Labels {}

impl Hash for Labels {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.map.hash(state)
    }
}

impl Borrow<LabelMap> for Labels {
    fn borrow(&self) -> &LabelMap {
        &self.0.map
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.map, f)
    }
}

/// Every distinct name and label set interned so far, shared by all threads.
#[derive(Default)]
pub struct Pool {
    names: Mutex<FnvHashSet<Name>>,
    labels: Mutex<FnvHashSet<Labels>>,
}

impl Pool {
    /// The pooled name equal to `text`, added if new.
    pub fn name(&self, text: &str) -> Name {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = names.get(text) {
            return name.clone();
        }
        let name = Name::from(text);
        names.insert(name.clone());
        name
    }

    /// The pooled label set equal to `map`, added if new.
    pub fn labels(&self, map: LabelMap) -> Labels {
        let mut labels = self.labels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = labels.get(&map) {
            return set.clone();
        }
        let set = Labels::from(map);
        labels.insert(set.clone());
        set
    }
}

/// The process-wide pool: values live as long as the run.
pub fn pool() -> &'static Pool {
    static POOL: LazyLock<Pool> = LazyLock::new(Pool::default);
    &POOL
}

/// One reader's cache of names in front of the [`pool`]: no lock.
#[derive(Default)]
pub struct Local {
    names: FnvHashMap<Box<str>, Name>,
}

impl Local {
    /// The interned name equal to `text`.
    pub fn name(&mut self, text: &str) -> Name {
        if let Some(name) = self.names.get(text) {
            return name.clone();
        }
        let name = pool().name(text);
        self.names.insert(text.into(), name.clone());
        name
    }
}

/// A label map of pairs, for tests.
#[cfg(test)]
pub(crate) fn label_map(pairs: &[(&str, &str)]) -> LabelMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::label_map as map;
    use super::*;

    #[test]
    fn a_sets_json_and_fingerprint_are_the_maps() {
        let set = Labels::from(map(&[("b", "2"), ("a", "1")]));
        assert_eq!(set.json(), r#"{"a":"1","b":"2"}"#);
        assert_eq!(
            set.fingerprint().as_str(),
            crate::fingerprint::fingerprint(&map(&[("a", "1"), ("b", "2")]))
        );
    }
}
