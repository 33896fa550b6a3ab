//! The world's persistent tables, all of one `imbl::OrdMap` type
//! underneath.
//!
//! In the wasm each `imbl::OrdMap<K, V>` type is its own copy of imbl's
//! B-tree code, about 6 KB each after wasm-opt: the world's and the
//! attention index's ten tables were 64 KB of the web app. Here every
//! table keyed by a handle is an `OrdMap<u32, Entry>` and every table
//! keyed by a scenario name an `OrdMap<Arc<str>, Entry>`, `Entry` being
//! the enum of what the tables hold; `Table<K, V>` and `NameTable<V>` give
//! each table its types back, a thin layer whose copies are small. A table
//! holds one kind of entry only, so `Slot::of` never meets another.
//!
//! Tables clone in O(1) and share structure with their clones, as the
//! world's history needs (a step copies only the nodes it changes).

use crate::ids::{Pid, PipeId, SockPairId};
use crate::ipc::pipe::Pipe;
use crate::ipc::socket::SocketPair;
use crate::node::state::NodeEvent;
use crate::proc::Process;
use crate::world::Object;
use std::marker::PhantomData;
use std::ops::Bound;
use std::sync::Arc;

/// What a table holds.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    /// A process behind an `Arc`, equal to another only when it is the
    /// same allocation: two worlds share every process a step did not
    /// touch, so a diff of the two tables visits only what the step
    /// changed.
    Proc(Arc<Process>),
    Pipe(Pipe),
    Socks(SocketPair),
    Pid(Pid),
    /// A named object and the line that made it.
    Named((Object, u32)),
    Name(Arc<str>),
    /// A set of pids (a process's children in the attention index).
    Pids(Table<Pid, ()>),
    /// A set's member.
    Member(()),
    /// An event a Node object emitted (a `node::state::EventLog`).
    Event(NodeEvent),
    /// A thread: its process, its tid and the line that made it.
    Thread((Pid, Pid, u32)),
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        match (self, other) {
            (Entry::Proc(a), Entry::Proc(b)) => Arc::ptr_eq(a, b),
            (Entry::Pipe(a), Entry::Pipe(b)) => a == b,
            (Entry::Socks(a), Entry::Socks(b)) => a == b,
            (Entry::Pid(a), Entry::Pid(b)) => a == b,
            (Entry::Named(a), Entry::Named(b)) => a == b,
            (Entry::Name(a), Entry::Name(b)) => a == b,
            (Entry::Pids(a), Entry::Pids(b)) => a == b,
            (Entry::Member(()), Entry::Member(())) => true,
            (Entry::Event(a), Entry::Event(b)) => a == b,
            (Entry::Thread(a), Entry::Thread(b)) => a == b,
            _ => false,
        }
    }
}

/// A type a table holds, as an `Entry`.
pub(crate) trait Slot: Sized {
    fn entry(self) -> Entry;
    /// The value in `entry`, which a table of `Self` always holds.
    fn of(entry: &Entry) -> &Self;
    fn of_mut(entry: &mut Entry) -> &mut Self;
    fn from_entry(entry: Entry) -> Self;
}

/// A table that met an entry of another kind: a bug in this module.
fn wrong_kind() -> ! {
    unreachable!("a table holds entries of one kind")
}

macro_rules! slot {
    ($ty:ty, $variant:ident) => {
        impl Slot for $ty {
            fn entry(self) -> Entry {
                Entry::$variant(self)
            }
            fn of(entry: &Entry) -> &Self {
                match entry {
                    Entry::$variant(v) => v,
                    _ => wrong_kind(),
                }
            }
            fn of_mut(entry: &mut Entry) -> &mut Self {
                match entry {
                    Entry::$variant(v) => v,
                    _ => wrong_kind(),
                }
            }
            fn from_entry(entry: Entry) -> Self {
                match entry {
                    Entry::$variant(v) => v,
                    _ => wrong_kind(),
                }
            }
        }
    };
}

slot!(Arc<Process>, Proc);
slot!(Pipe, Pipe);
slot!(SocketPair, Socks);
slot!(Pid, Pid);
slot!(Arc<str>, Name);
slot!(Table<Pid, ()>, Pids);

slot!((Object, u32), Named);
slot!((), Member);
slot!(NodeEvent, Event);
slot!((Pid, Pid, u32), Thread);

/// A handle that keys a table: a `u32` underneath.
pub(crate) trait Key: Copy {
    fn number(self) -> u32;
    fn from_number(n: u32) -> Self;
}

macro_rules! key {
    ($($ty:ident),*) => {$(
        impl Key for $ty {
            fn number(self) -> u32 {
                self.0
            }
            fn from_number(n: u32) -> Self {
                $ty(n)
            }
        }
    )*};
}

key!(Pid, PipeId, SockPairId);

/// A position in a list (`node::state::EventLog`).
impl Key for u32 {
    fn number(self) -> u32 {
        self
    }
    fn from_number(n: u32) -> Self {
        n
    }
}

/// A persistent ordered map from a handle to `V`.
#[derive(Debug)]
pub(crate) struct Table<K, V> {
    map: imbl::OrdMap<u32, Entry>,
    kinds: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Table {
            map: self.map.clone(),
            kinds: PhantomData,
        }
    }
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            map: imbl::OrdMap::new(),
            kinds: PhantomData,
        }
    }
}

impl<K, V> PartialEq for Table<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Key, V: Slot> Table<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.map.get(&key.number()).map(V::of)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(&key.number()).map(V::of_mut)
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(&key.number())
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.map.insert(key.number(), value.entry());
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(&key.number()).map(V::from_entry)
    }

    /// The value at `key`, made first with `make` if there is none.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        V::of_mut(
            self.map
                .entry(key.number())
                .or_insert_with(|| make().entry()),
        )
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.map.keys().map(|k| K::from_number(*k))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.map.values().map(V::of)
    }

    /// The first key after `key`.
    pub(crate) fn key_after(&self, key: K) -> Option<K> {
        self.map
            .range((Bound::Excluded(key.number()), Bound::Unbounded))
            .next()
            .map(|(k, _)| K::from_number(*k))
    }

    /// The keys of `self` whose entry is new or differs from `before`'s,
    /// skipping the subtrees the two tables share (entries removed since
    /// are not named).
    pub(crate) fn written_since<'a>(&'a self, before: &'a Self) -> impl Iterator<Item = K> + 'a {
        before.map.diff(&self.map).filter_map(|item| match item {
            imbl::ordmap::DiffItem::Add(key, _)
            | imbl::ordmap::DiffItem::Update { new: (key, _), .. } => Some(K::from_number(*key)),
            imbl::ordmap::DiffItem::Remove(..) => None,
        })
    }
}

impl<K: Key> Table<K, ()> {
    /// Adds `key` to the set, or takes it out.
    pub(crate) fn set(&mut self, key: K, member: bool) {
        if self.contains_key(&key) != member {
            if member {
                self.insert(key, ());
            } else {
                self.remove(&key);
            }
        }
    }
}

/// A persistent ordered map from a scenario name to `V`.
#[derive(Debug)]
pub(crate) struct NameTable<V> {
    map: imbl::OrdMap<Arc<str>, Entry>,
    kind: PhantomData<fn() -> V>,
}

impl<V> Clone for NameTable<V> {
    fn clone(&self) -> Self {
        NameTable {
            map: self.map.clone(),
            kind: PhantomData,
        }
    }
}

impl<V> Default for NameTable<V> {
    fn default() -> Self {
        NameTable {
            map: imbl::OrdMap::new(),
            kind: PhantomData,
        }
    }
}

impl<V: Slot> NameTable<V> {
    pub(crate) fn insert(&mut self, name: Arc<str>, value: V) {
        self.map.insert(name, value.entry());
    }

    pub(crate) fn get(&self, name: &str) -> Option<&V> {
        self.map.get(name).map(V::of)
    }

    /// In name order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Arc<str>> + '_ {
        self.map.keys()
    }

    /// In name order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &V)> + '_ {
        self.map.iter().map(|(k, v)| (k, V::of(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_gives_back_what_it_was_given_in_key_order() {
        let mut t: Table<Pid, Pid> = Table::default();
        for n in [5, 2, 9] {
            t.insert(Pid(n), Pid(n * 10));
        }
        assert_eq!(t.get(&Pid(2)), Some(&Pid(20)));
        assert_eq!(t.keys().collect::<Vec<_>>(), [Pid(2), Pid(5), Pid(9)]);
        assert_eq!(t.key_after(Pid(2)), Some(Pid(5)));
        assert_eq!(t.key_after(Pid(9)), None);
        *t.get_mut(&Pid(5)).unwrap() = Pid(7);
        assert_eq!(t.remove(&Pid(5)), Some(Pid(7)));
        assert!(!t.contains_key(&Pid(5)));
    }

    #[test]
    fn a_clone_is_untouched_by_later_writes_and_the_diff_names_them() {
        let mut before: Table<Pid, Pid> = Table::default();
        for n in 0..100 {
            before.insert(Pid(n), Pid(n));
        }
        let mut after = before.clone();
        after.insert(Pid(40), Pid(0));
        after.insert(Pid(200), Pid(1));
        assert_eq!(before.get(&Pid(40)), Some(&Pid(40)));
        let written: Vec<_> = after.written_since(&before).collect();
        assert_eq!(written, [Pid(40), Pid(200)]);
    }

    #[test]
    fn sets_and_sets_of_sets() {
        let mut children: Table<Pid, Table<Pid, ()>> = Table::default();
        children
            .get_or_insert_with(Pid(1), Table::default)
            .set(Pid(3), true);
        children
            .get_or_insert_with(Pid(1), Table::default)
            .set(Pid(2), true);
        children
            .get_or_insert_with(Pid(1), Table::default)
            .set(Pid(3), false);
        let kids: Vec<_> = children.get(&Pid(1)).unwrap().keys().collect();
        assert_eq!(kids, [Pid(2)]);
    }

    #[test]
    fn names_find_their_entries() {
        let mut names: NameTable<Pid> = NameTable::default();
        names.insert(Arc::from("b"), Pid(3));
        names.insert(Arc::from("a"), Pid(2));
        assert_eq!(names.get("b"), Some(&Pid(3)));
        assert_eq!(names.get("c"), None);
        let order: Vec<_> = names.iter().map(|(n, p)| (n.to_string(), *p)).collect();
        assert_eq!(
            order,
            [("a".to_string(), Pid(2)), ("b".to_string(), Pid(3))]
        );
    }
}
