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
//! Readers intern through a [`Local`] cache (no lock, keyed by the text as
//! read, so a repeated label set is not even parsed again) in front of the
//! process-wide [`pool`] (one copy per distinct value across threads and files).

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

/// One reader's cache in front of the [`pool`]: no lock, and label sets
/// found by the text they were read from (plus whatever else decided them),
/// so a text seen before is not parsed again.
#[derive(Default)]
pub struct Local {
    names: FnvHashMap<Box<str>, Name>,
    labels_by_text: FnvHashMap<Box<str>, Labels>,
    key: String,
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

    /// The interned label set that `key` (the text it is read from, and
    /// anything else that decides it) stands for; `build` makes the map the
    /// first time this reader sees `key`.
    pub fn labels<E>(
        &mut self,
        key: &str,
        build: impl FnOnce() -> Result<LabelMap, E>,
    ) -> Result<Labels, E> {
        if let Some(set) = self.labels_by_text.get(key) {
            return Ok(set.clone());
        }
        let set = pool().labels(build()?);
        self.labels_by_text.insert(key.into(), set.clone());
        Ok(set)
    }

    /// [`Local::labels`] keyed by several texts (each written with its
    /// length first, so no two lists of texts give one key).
    pub fn labels_of_parts<E>(
        &mut self,
        parts: &[&str],
        build: impl FnOnce() -> Result<LabelMap, E>,
    ) -> Result<Labels, E> {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        for part in parts {
            key.push_str(itoa::Buffer::new().format(part.len()));
            key.push(':');
            key.push_str(part);
        }
        let found = self.labels(&key, build);
        self.key = key;
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> LabelMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equal_sets_read_by_two_readers_are_one_set() {
        let mut a = Local::default();
        let mut b = Local::default();
        let x = a
            .labels::<()>("k=v|A", || Ok(map(&[("k", "v"), ("alertname", "A")])))
            .unwrap();
        let y = b
            .labels::<()>("alertname=A|k=v", || {
                Ok(map(&[("alertname", "A"), ("k", "v")]))
            })
            .unwrap();
        assert!(Arc::ptr_eq(&x.0, &y.0));
        assert_eq!(x.json(), r#"{"alertname":"A","k":"v"}"#);
    }

    #[test]
    fn parts_that_join_to_the_same_text_are_different_keys() {
        let mut local = Local::default();
        let a = local
            .labels_of_parts::<()>(&["ab", "c"], || Ok(map(&[("x", "1")])))
            .unwrap();
        let b = local
            .labels_of_parts::<()>(&["a", "bc"], || Ok(map(&[("x", "2")])))
            .unwrap();
        let a_again = local
            .labels_of_parts::<()>(&["ab", "c"], || panic!("built twice"))
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(a, a_again);
    }

    #[test]
    fn a_text_seen_before_is_not_built_again() {
        let mut local = Local::default();
        local
            .labels::<()>("same", || Ok(map(&[("a", "1")])))
            .unwrap();
        let again = local
            .labels::<()>("same", || panic!("built twice"))
            .unwrap();
        assert_eq!(again.get("a").map(String::as_str), Some("1"));
    }

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
