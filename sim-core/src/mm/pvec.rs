//! A persistent vector: a radix tree of 64-wide nodes behind `Arc`s.
//!
//! Cloning is O(1); a write copies only the nodes on its path that are shared
//! with a clone (`Arc::make_mut`). This is what makes time travel cheap: the
//! world after every step is kept, and consecutive worlds share every node
//! the step did not touch. Bulk operations (fork write-protecting a whole
//! page table) work leaf by leaf, so they cost one `make_mut` per 64 entries.
//!
//! Untouched subtrees are `Empty` and read as `T::default()`, so a 1 GiB
//! mapping that was never touched costs nothing.

use std::sync::Arc;

const BITS: u32 = 6;
/// Entries per leaf, children per branch.
pub(crate) const WIDTH: usize = 1 << BITS;
const MASK: u32 = (WIDTH as u32) - 1;

#[derive(Clone, Debug)]
enum Node<T> {
    Empty,
    Leaf(Arc<[T; WIDTH]>),
    Branch(Arc<[Node<T>; WIDTH]>),
}

/// A fixed-length persistent array of `Copy` values.
#[derive(Clone, Debug)]
pub(crate) struct PVec<T> {
    len: u32,
    /// 0: the root is a leaf; h: the root is h levels of branches above leaves.
    height: u32,
    root: Node<T>,
}

fn empty_branch<T>() -> [Node<T>; WIDTH] {
    std::array::from_fn(|_| Node::Empty)
}

impl<T: Copy + Default + PartialEq> PVec<T> {
    /// `len` entries, all `T::default()`.
    pub(crate) fn new(len: u32) -> PVec<T> {
        let mut height = 0;
        while capacity(height) < u64::from(len) {
            height += 1;
        }
        PVec {
            len,
            height,
            root: Node::Empty,
        }
    }

    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    pub(crate) fn get(&self, index: u32) -> T {
        if index >= self.len {
            return T::default();
        }
        let mut node = &self.root;
        let mut shift = self.height * BITS;
        loop {
            match node {
                Node::Empty => return T::default(),
                Node::Leaf(leaf) => return leaf[(index & MASK) as usize],
                Node::Branch(children) => {
                    node = &children[((index >> shift) & MASK) as usize];
                    shift -= BITS;
                }
            }
        }
    }

    /// Set one entry. Panics if `index >= len` (an internal invariant: callers
    /// check ranges against the mapping's size first).
    pub(crate) fn set(&mut self, index: u32, value: T) {
        *self.get_mut(index) = value;
    }

    /// One entry, mutably (its path is made private to this vector).
    /// Panics if `index >= len`: callers check ranges first.
    pub(crate) fn get_mut(&mut self, index: u32) -> &mut T {
        &mut self.leaf_mut(index)[(index & MASK) as usize]
    }

    /// The whole leaf holding `index`, mutably; entry `index & 63` of it is
    /// `index`. Lets bulk paths touch runs of neighbours with one walk.
    pub(crate) fn leaf_mut(&mut self, index: u32) -> &mut [T; WIDTH] {
        assert!(
            index < self.len,
            "PVec index out of bounds: {index} >= {}",
            self.len
        );
        let mut node = &mut self.root;
        let mut level = self.height;
        loop {
            if matches!(node, Node::Empty) {
                *node = if level == 0 {
                    Node::Leaf(Arc::new([T::default(); WIDTH]))
                } else {
                    Node::Branch(Arc::new(empty_branch()))
                };
            }
            match node {
                Node::Leaf(leaf) => return Arc::make_mut(leaf),
                Node::Branch(children) => {
                    let shift = level * BITS;
                    node = &mut Arc::make_mut(children)[((index >> shift) & MASK) as usize];
                    level -= 1;
                }
                Node::Empty => unreachable!("just materialised"),
            }
        }
    }

    /// Grow by one entry holding `value`; returns its index.
    pub(crate) fn push(&mut self, value: T) -> u32 {
        let index = self.len;
        self.len += 1;
        if u64::from(self.len) > capacity(self.height) {
            let old = std::mem::replace(&mut self.root, Node::Empty);
            let mut children = empty_branch();
            children[0] = old;
            self.root = Node::Branch(Arc::new(children));
            self.height += 1;
        }
        self.set(index, value);
        index
    }

    /// Visit every materialised leaf in index order: `f(first_index, entries)`.
    /// Entries past `len` in the last leaf are cut off. Unvisited indices
    /// hold `T::default()`.
    pub(crate) fn for_each_leaf(&self, mut f: impl FnMut(u32, &[T])) {
        fn walk<T>(node: &Node<T>, level: u32, base: u32, len: u32, f: &mut impl FnMut(u32, &[T])) {
            match node {
                Node::Empty => {}
                Node::Leaf(leaf) => {
                    let n = (len - base).min(WIDTH as u32) as usize;
                    f(base, &leaf[..n]);
                }
                Node::Branch(children) => {
                    let step = (capacity(level - 1)) as u32;
                    for (i, child) in children.iter().enumerate() {
                        let child_base = base + i as u32 * step;
                        if child_base >= len {
                            break;
                        }
                        walk(child, level - 1, child_base, len, f);
                    }
                }
            }
        }
        walk(&self.root, self.height, 0, self.len, &mut f);
    }

    /// Visit every materialised leaf mutably, in index order. A leaf shared
    /// with a clone is copied only when `f` asks for it: `f` gets the
    /// entries read-only first and returns whether it wants to change them;
    /// if so it is called again with a private, mutable copy.
    #[cfg(test)] // Only the tests call this; the model changes leaves through `leaf_mut`.
    pub(crate) fn update_leaves(
        &mut self,
        mut wants: impl FnMut(u32, &[T]) -> bool,
        mut f: impl FnMut(u32, &mut [T]),
    ) {
        fn walk<T: Copy>(
            node: &mut Node<T>,
            level: u32,
            base: u32,
            len: u32,
            wants: &mut impl FnMut(u32, &[T]) -> bool,
            f: &mut impl FnMut(u32, &mut [T]),
        ) {
            match node {
                Node::Empty => {}
                Node::Leaf(leaf) => {
                    let n = (len - base).min(WIDTH as u32) as usize;
                    if wants(base, &leaf[..n]) {
                        f(base, &mut Arc::make_mut(leaf)[..n]);
                    }
                }
                Node::Branch(children) => {
                    let step = capacity(level - 1) as u32;
                    for (i, child) in Arc::make_mut(children).iter_mut().enumerate() {
                        let child_base = base + i as u32 * step;
                        if child_base >= len {
                            break;
                        }
                        walk(child, level - 1, child_base, len, wants, f);
                    }
                }
            }
        }
        walk(&mut self.root, self.height, 0, self.len, &mut wants, &mut f);
    }

    /// Call `f` with every index below the longer length at which `self`
    /// and `other` hold different entries, in index order. Subtrees the two
    /// share (a clone not written since) are skipped without being read, so
    /// comparing a vector with the one it was cloned from costs what the
    /// writes in between touched.
    pub(crate) fn diff(&self, other: &PVec<T>, mut f: impl FnMut(u32)) {
        let len = u64::from(self.len.max(other.len));
        if self.height != other.height {
            // Only a vector that grew past a power of 64 gets here.
            for i in 0..len as u32 {
                if self.get(i) != other.get(i) {
                    f(i);
                }
            }
            return;
        }
        fn walk<T: Copy + Default + PartialEq>(
            a: &Node<T>,
            b: &Node<T>,
            level: u32,
            base: u64,
            len: u64,
            f: &mut impl FnMut(u32),
        ) {
            let empty = Node::Empty;
            match (a, b) {
                (Node::Empty, Node::Empty) => {}
                (Node::Leaf(x), Node::Leaf(y)) if Arc::ptr_eq(x, y) => {}
                (Node::Branch(x), Node::Branch(y)) if Arc::ptr_eq(x, y) => {}
                _ if level == 0 => {
                    let zero = [T::default(); WIDTH];
                    let entries = |n: &Node<T>| match n {
                        Node::Leaf(leaf) => **leaf,
                        _ => zero,
                    };
                    let (x, y) = (entries(a), entries(b));
                    for i in 0..WIDTH {
                        let index = base + i as u64;
                        if index >= len {
                            break;
                        }
                        if x[i] != y[i] {
                            f(index as u32);
                        }
                    }
                }
                _ => {
                    let step = capacity(level - 1);
                    for i in 0..WIDTH {
                        let child_base = base + i as u64 * step;
                        if child_base >= len {
                            break;
                        }
                        let x = match a {
                            Node::Branch(children) => &children[i],
                            _ => &empty,
                        };
                        let y = match b {
                            Node::Branch(children) => &children[i],
                            _ => &empty,
                        };
                        walk(x, y, level - 1, child_base, len, f);
                    }
                }
            }
        }
        walk(&self.root, &other.root, self.height, 0, len, &mut f);
    }

    /// Every entry in order (defaults included).
    #[cfg(test)] // Only the tests call this, to compare a vector with a plain one.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        let mut out = vec![T::default(); self.len as usize];
        self.for_each_leaf(|base, entries| {
            out[base as usize..base as usize + entries.len()].copy_from_slice(entries);
        });
        out
    }
}

/// Entries a tree of this height holds.
fn capacity(height: u32) -> u64 {
    1u64 << (BITS * (height + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_finds_exactly_the_entries_that_differ() {
        let mut a: PVec<u32> = PVec::new(300_000);
        a.set(5, 1);
        a.set(200_000, 2);
        let mut b = a.clone();
        b.set(5, 0);
        b.set(70, 3);
        b.set(299_999, 4);
        let mut found = Vec::new();
        a.diff(&b, |i| found.push(i));
        assert_eq!(found, vec![5, 70, 299_999]);
        let mut grown = a.clone();
        for _ in 0..(262_144 * 2) {
            grown.push(9);
        }
        let mut count = 0;
        a.diff(&grown, |_| count += 1);
        assert_eq!(count, 262_144 * 2);
    }

    #[test]
    fn unset_entries_read_as_default() {
        let v: PVec<u32> = PVec::new(1000);
        assert_eq!(v.get(999), 0);
        assert_eq!(v.get(5000), 0);
    }

    #[test]
    fn a_write_to_a_clone_leaves_the_original_alone() {
        let mut a: PVec<u32> = PVec::new(10_000);
        for i in 0..10_000 {
            a.set(i, i + 1);
        }
        let b = a.clone();
        a.set(4321, 0);
        assert_eq!(a.get(4321), 0);
        assert_eq!(b.get(4321), 4322);
        assert_eq!(b.to_vec().iter().filter(|&&x| x == 0).count(), 0);
    }

    #[test]
    fn push_grows_the_tree() {
        let mut v: PVec<u32> = PVec::new(0);
        for i in 0..70_000 {
            assert_eq!(v.push(i), i);
        }
        assert_eq!(v.len(), 70_000);
        assert_eq!(v.get(69_999), 69_999);
        assert_eq!(v.get(64), 64);
    }

    #[test]
    fn update_leaves_copies_only_what_it_changes() {
        let mut a: PVec<u32> = PVec::new(256);
        a.set(0, 1);
        a.set(200, 2);
        let b = a.clone();
        a.update_leaves(
            |base, _| base == 192,
            |_, e| e.iter_mut().for_each(|x| *x += 10),
        );
        assert_eq!(a.get(200), 12);
        assert_eq!(a.get(0), 1);
        assert_eq!(b.get(200), 2);
    }

    #[test]
    fn for_each_leaf_cuts_the_last_leaf_at_len() {
        let mut a: PVec<u32> = PVec::new(70);
        a.set(69, 7);
        let mut seen = 0;
        a.for_each_leaf(|_, e| seen += e.len());
        assert_eq!(seen, 6);
    }
}
