//! Sorting by strings without comparing strings: each distinct string gets
//! its rank among the distinct values, so that a sort on ranks orders rows
//! exactly as a sort on the strings would, with integer comparisons.

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
    }
}
