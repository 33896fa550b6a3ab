//! `VecMap`: an ordered map kept as a vector sorted by key, for the
//! model's small tables (a process's fds, its pending real-time signals,
//! the shmem objects, the calls to restart in a step).
//!
//! It iterates in key order as a `BTreeMap` does, serialises as the same
//! JSON object, and prints the same `Debug`, so nothing built from it
//! changes. Why not a `BTreeMap`: in the web build each `BTreeMap<K, V>`
//! type is its own copy of the B-tree code (insert, split, merge,
//! rebalance...), several kilobytes each (issue 9, the wasm's size); a
//! `VecMap`'s is a binary search and a vector insert or remove. Lookups
//! stay O(log n); an insert or a remove moves the entries after it, which
//! for tables of this size costs less than a tree's node work.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A map from `K` to `V`, entries sorted by key, keys unique.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    /// Where `key` is (Ok) or would go (Err).
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// The value for `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|at| &self.entries[at].1)
    }

    /// The value for `key`, to change.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.find(key) {
            Ok(at) => Some(&mut self.entries[at].1),
            Err(_) => None,
        }
    }

    /// The value for `key`, inserted from `make` if there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.entries.insert(at, (key, make()));
                at
            }
        };
        &mut self.entries[at].1
    }

    /// Sets `key` to `value`; answers the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// Takes `key` out; answers its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|at| self.entries.remove(at).1)
    }

    /// The first entry with a key greater than `key`.
    pub fn first_after(&self, key: &K) -> Option<(&K, &V)> {
        let at = match self.find(key) {
            Ok(at) => at + 1,
            Err(at) => at,
        };
        self.entries.get(at).map(|(k, v)| (k, v))
    }

    /// Keeps only the entries `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K, V> VecMap<K, V> {
    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in key order, taken.
    pub fn into_values(self) -> impl Iterator<Item = V> {
        self.entries.into_iter().map(|(_, v)| v)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    /// Read as a `BTreeMap` would be (a later duplicate key wins), then
    /// kept in its order.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<K, V>::deserialize(deserializer)?;
        Ok(VecMap {
            entries: map.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::BTreeMap;

    #[test]
    fn a_vecmap_answers_and_iterates_as_a_btreemap_given_the_same_inserts_and_removes() {
        let mut ours = VecMap::new();
        let mut theirs = BTreeMap::new();
        // A fixed, scrambled sequence of keys: inserts, replacements, removes.
        for step in 0u32..500 {
            let key = (step * 37) % 61;
            if step % 5 == 3 {
                assert_eq!(ours.remove(&key), theirs.remove(&key));
            } else {
                assert_eq!(ours.insert(key, step), theirs.insert(key, step));
            }
            *ours.get_or_insert_with(key + 1, || 0) += 1;
            *theirs.entry(key + 1).or_insert(0) += 1;
            assert_eq!(ours.get(&key), theirs.get(&key));
            assert_eq!(
                ours.first_after(&key),
                theirs
                    .range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded))
                    .next()
            );
        }
        ours.retain(|k, _| k % 3 != 0);
        theirs.retain(|k, _| k % 3 != 0);
        assert_eq!(ours.len(), theirs.len());
        assert!(ours.iter().eq(theirs.iter()));
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        let back: VecMap<u32, u32> =
            serde_json::from_str(&serde_json::to_string(&theirs).unwrap()).unwrap();
        assert!(back == ours);
    }
}
