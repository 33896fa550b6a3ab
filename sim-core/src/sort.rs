//! Sorting with one copy of the sort for the whole program.
//!
//! Each `sort_by` of the standard library on a new element type, or with a
//! new closure, is its own copy of the sort: about 3.8 KB of wasm each, and
//! eleven of them were 42 KB of the web app's code. Here every sort orders
//! a list of indices, comparing through one `dyn` call, and then moves the
//! elements into their places: the standard sort is compiled once, for
//! `u32` indices. The sort is stable, so it serves where an unstable one
//! was enough too.
//!
//! It costs a dynamic call per comparison and a vector of indices; what
//! sim-core and the web app sort is short (a step's sleeping processes, a
//! process's regions, a view's rows, a frame table's runs).
//! sim-core/clippy.toml and web/clippy.toml forbid the slice sorts there.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, stably.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = sorted_indices(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    put_in_order(items, order);
}

/// Sorts `items` by the key `key` gives each, stably.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their own order, stably.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The indices `0..len` in the order `compare` puts them in: the one place
/// the standard sort is instantiated.
#[allow(clippy::disallowed_methods)]
fn sorted_indices(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<u32> {
    let len = u32::try_from(len).expect("fewer than 2^32 items to sort");
    let mut order: Vec<u32> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a as usize, b as usize));
    order
}

/// Moves `items` so that place `i` holds what was at `order[i]`, by
/// following each cycle of the permutation with swaps.
fn put_in_order<T>(items: &mut [T], mut order: Vec<u32>) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            // Marks the place done: a later start finds it fixed.
            order[at] = at as u32;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_standard_stable_sort_does(items in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut ours = items.clone();
            sort_by_key(&mut ours, |&(key, _)| key);
            let mut std_sorted = items;
            #[allow(clippy::disallowed_methods)]
            std_sorted.sort_by_key(|&(key, _)| key);
            prop_assert_eq!(ours, std_sorted);
        }
    }

    #[test]
    fn an_empty_list_and_one_item_stay() {
        let mut none: Vec<u8> = Vec::new();
        sort(&mut none);
        assert!(none.is_empty());
        let mut one = vec!["a"];
        sort(&mut one);
        assert_eq!(one, ["a"]);
    }

    #[test]
    fn a_reversed_list_is_put_right() {
        let mut items: Vec<u32> = (0..50).rev().collect();
        sort(&mut items);
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }
}
