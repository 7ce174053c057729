//! Sorting by strings without comparing strings: each distinct string gets
//! its rank among the distinct values, so that a sort on ranks orders rows
//! exactly as a sort on the strings would, with integer comparisons.

use crate::interned::Name;
use fnv::FnvHashMap;

/// The rank of each value among the distinct values, in string order
/// (`None` before every string, as `Option`'s order has it): equal values
/// get equal ranks, and `ranks[i] < ranks[j]` exactly when `values[i] < values[j]`.
pub fn ranks(values: &[Option<&str>]) -> Vec<u32> {
    let mut ids: FnvHashMap<Option<&str>, u32> = FnvHashMap::default();
    let first_seen: Vec<u32> = values
        .iter()
        .map(|v| {
            let next = ids.len() as u32;
            *ids.entry(*v).or_insert(next)
        })
        .collect();
    let mut distinct: Vec<(Option<&str>, u32)> = ids.into_iter().collect();
    distinct.sort_unstable();
    let mut rank_of_id = vec![0u32; distinct.len()];
    for (rank, (_, id)) in distinct.iter().enumerate() {
        rank_of_id[*id as usize] = rank as u32;
    }
    first_seen
        .iter()
        .map(|&id| rank_of_id[id as usize])
        .collect()
}

/// [`ranks`] of interned names, found by where each name is held: the
/// rows' names are hashed as addresses (no string is read per row), and
/// only the distinct ones are compared as strings. Equal texts held in two
/// places get one rank.
pub fn name_ranks<'a>(values: impl ExactSizeIterator<Item = &'a Name>) -> Vec<u32> {
    let mut ids: FnvHashMap<usize, u32> = FnvHashMap::default();
    let mut distinct: Vec<Option<&str>> = Vec::new();
    let first_seen: Vec<u32> = values
        .map(|name| {
            *ids.entry(name.address()).or_insert_with(|| {
                distinct.push(Some(name.as_str()));
                distinct.len() as u32 - 1
            })
        })
        .collect();
    let rank_of_id = ranks(&distinct);
    first_seen
        .iter()
        .map(|&id| rank_of_id[id as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ranks_order_as_the_strings_do(values in proptest::collection::vec(proptest::option::of("[a-c]{0,3}"), 0..40)) {
            let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
            let r = ranks(&refs);
            for i in 0..refs.len() {
                for j in 0..refs.len() {
                    prop_assert_eq!(r[i].cmp(&r[j]), refs[i].cmp(&refs[j]));
                }
            }
        }

        #[test]
        fn name_ranks_order_as_the_texts_do(values in proptest::collection::vec(("[a-c]{0,3}", proptest::bool::ANY), 0..40)) {
            // Some texts interned (one place), some held on their own (many
            // places with equal texts).
            let names: Vec<Name> = values
                .iter()
                .map(|(text, pooled)| if *pooled { crate::interned::pool().name(text) } else { Name::from(text.as_str()) })
                .collect();
            let r = name_ranks(names.iter());
            for i in 0..names.len() {
                for j in 0..names.len() {
                    prop_assert_eq!(r[i].cmp(&r[j]), names[i].as_str().cmp(names[j].as_str()));
                }
            }
        }
    }
}
