//! Alertmanager's alert fingerprint, computed from a label set.
//!
//! Alertmanager identifies an alert instance by `model.LabelSet.Fingerprint()`:
//! 64-bit FNV-1a over the label pairs sorted by name, each name and each value
//! followed by the byte 0xff, printed as 16 lower-case hex digits.

use std::collections::BTreeMap;
use std::hash::Hasher;

/// The separator byte Prometheus' `model` package puts after each name and value.
const SEPARATOR: u8 = 0xff;

/// Computes Alertmanager's fingerprint of a label set.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    fingerprint_sorted(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Computes the fingerprint of label pairs that are already sorted by name
/// (as a `BTreeMap` iterates), without copying them.
pub fn fingerprint_sorted<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = fnv::FnvHasher::default();
    for (name, value) in pairs {
        hasher.write(name.as_bytes());
        hasher.write(&[SEPARATOR]);
        hasher.write(value.as_bytes());
        hasher.write(&[SEPARATOR]);
    }
    format!("{:016x}", hasher.finish())
}

/// The labels as a JSON object with sorted keys, the canonical `labels` column.
pub fn labels_json(labels: &BTreeMap<String, String>) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_label_set_is_the_fnv_offset_basis() {
        assert_eq!(fingerprint(&BTreeMap::new()), "cbf29ce484222325");
    }

    #[test]
    fn order_of_insertion_does_not_matter() {
        let a: BTreeMap<_, _> = [("b", "2"), ("a", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let b: BTreeMap<_, _> = [("a", "1"), ("b", "2")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn separator_keeps_name_value_boundaries_apart() {
        let a: BTreeMap<_, _> = [("ab".to_string(), "c".to_string())].into_iter().collect();
        let b: BTreeMap<_, _> = [("a".to_string(), "bc".to_string())].into_iter().collect();
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
