//! fork.py's process tree, kept as fork.py keeps it and changed as fork.py
//! changes it, down to what its Python does with an odd action list: a
//! name forked twice is listed twice, forking a live name again empties
//! its child list, an exited name's entries hold -1, and the Python
//! errors that follow (a TypeError, a ValueError, a recursion too deep)
//! end the run where fork.py's would end.
//!
//! fork.py scans lists (`in`, `remove`) at every action; here each child
//! list is a linked list of entries, and each name knows its live entries,
//! so an action costs what it moves, not the size of the tree.

use super::names::Id;

/// Where fork.py's run ends early: the Python exception it dies of (a
/// traceback on stderr, status 1), or a loop it never leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// An uncaught Python exception, named as Python names it, with what
    /// raised it.
    Exception { kind: &'static str, detail: String },
    /// fork.py would run forever here (and so would its memory use).
    NeverEnds(String),
}

impl std::fmt::Display for Stop {
    /// "fork.py stops here: Python raises KeyError: 'x'" (not Debug's
    /// text: the web build prints no Debug).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Exception { kind, detail } => {
                write!(f, "fork.py stops here: Python raises {kind}: {detail}")
            }
            Stop::NeverEnds(why) => write!(f, "fork.py never ends here ({why})"),
        }
    }
}

/// What fork.py keeps of one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Not in the dictionary.
    Missing,
    /// An entry (a child list, or a parent's number).
    Live,
    /// The -1 that fork.py leaves for an exited process.
    Dead,
}

const NONE: u32 = u32::MAX;

/// One entry of a child list.
#[derive(Clone, Copy)]
struct Entry {
    child: Id,
    owner: Id,
    prev: u32,
    next: u32,
}

/// A child list: its first and last entries.
#[derive(Clone, Copy)]
struct List {
    state: Slot,
    head: u32,
    tail: u32,
    len: u32,
}

impl List {
    const MISSING: List = List {
        state: Slot::Missing,
        head: NONE,
        tail: NONE,
        len: 0,
    };
}

/// fork.py's `Forker` state: `process_list` (as counts: only membership
/// is ever asked), `children` and `parents`.
#[derive(Clone)]
pub struct Tree {
    pub(crate) root: Id,
    count: Vec<u32>,
    lists: Vec<List>,
    parent: Vec<(Slot, Id)>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Each name's live entries, oldest first.
    occurrences: Vec<Vec<u32>>,
}

impl Tree {
    /// The tree of the root process alone.
    pub fn new(root: Id) -> Self {
        let mut tree = Tree {
            root,
            count: Vec::new(),
            lists: Vec::new(),
            parent: Vec::new(),
            entries: Vec::new(),
            free: Vec::new(),
            occurrences: Vec::new(),
        };
        tree.grow(root);
        tree.count[root as usize] = 1;
        tree.reset(root, Slot::Live);
        tree
    }

    fn grow(&mut self, id: Id) {
        let need = id as usize + 1;
        if self.count.len() < need {
            self.count.resize(need, 0);
            self.lists.resize(need, List::MISSING);
            self.parent.resize(need, (Slot::Missing, 0));
            self.occurrences.resize(need, Vec::new());
        }
    }

    /// Whether `id` is in fork.py's process list.
    pub fn is_listed(&self, id: Id) -> bool {
        self.count.get(id as usize).is_some_and(|n| *n > 0)
    }

    /// The state of `id`'s child list.
    pub(crate) fn list_state(&self, id: Id) -> Slot {
        self.lists
            .get(id as usize)
            .map_or(Slot::Missing, |l| l.state)
    }

    /// The length of a live child list.
    pub fn child_count(&self, id: Id) -> usize {
        self.lists[id as usize].len as usize
    }

    /// The children of `id` in order (none unless its list is live).
    pub fn children(&self, id: Id) -> Children<'_> {
        let head = self.lists.get(id as usize).map_or(NONE, |l| l.head);
        Children {
            tree: self,
            at: head,
        }
    }

    /// The parent fork.py holds for `id`, when it holds a live one.
    pub fn parent_of(&self, id: Id) -> Option<Id> {
        match self.parent.get(id as usize) {
            Some((Slot::Live, p)) => Some(*p),
            _ => None,
        }
    }

    /// `children[id] = []` (or `= -1`): its entries go.
    fn reset(&mut self, id: Id, state: Slot) {
        let mut at = self.lists[id as usize].head;
        while at != NONE {
            let entry = self.entries[at as usize];
            let occ = &mut self.occurrences[entry.child as usize];
            if let Some(i) = occ.iter().position(|e| *e == at) {
                occ.remove(i);
            }
            self.free.push(at);
            at = entry.next;
        }
        self.lists[id as usize] = List {
            state,
            head: NONE,
            tail: NONE,
            len: 0,
        };
    }

    /// `children[owner].append(child)`, on a live list.
    fn append(&mut self, owner: Id, child: Id) {
        let list = self.lists[owner as usize];
        let entry = Entry {
            child,
            owner,
            prev: list.tail,
            next: NONE,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.entries[at as usize] = entry;
                at
            }
            None => {
                self.entries.push(entry);
                u32::try_from(self.entries.len() - 1).expect("fewer than 2^32 entries")
            }
        };
        if list.tail == NONE {
            self.lists[owner as usize].head = at;
        } else {
            self.entries[list.tail as usize].next = at;
        }
        let list = &mut self.lists[owner as usize];
        list.tail = at;
        list.len += 1;
        // Entries are only appended, so the newest of a name's entries is
        // the last of them in any list: each name's stay in list order.
        self.occurrences[child as usize].push(at);
    }

    /// `children[owner].remove(child)`: the first entry of `child` in the
    /// live list of `owner`; false when there is none (a ValueError).
    fn remove(&mut self, owner: Id, child: Id) -> bool {
        let occ = &self.occurrences[child as usize];
        let Some(first) = occ
            .iter()
            .copied()
            .find(|e| self.entries[*e as usize].owner == owner)
        else {
            return false;
        };
        let entry = self.entries[first as usize];
        if entry.prev == NONE {
            self.lists[owner as usize].head = entry.next;
        } else {
            self.entries[entry.prev as usize].next = entry.next;
        }
        if entry.next == NONE {
            self.lists[owner as usize].tail = entry.prev;
        } else {
            self.entries[entry.next as usize].prev = entry.prev;
        }
        self.lists[owner as usize].len -= 1;
        let occ = &mut self.occurrences[child as usize];
        occ.retain(|e| *e != first);
        self.free.push(first);
        true
    }

    /// `p forks c` (fork.py's `do_fork`): `c` joins the process list with
    /// an empty child list, at the end of `p`'s.
    pub fn fork(&mut self, p: Id, c: Id) -> Result<(), Stop> {
        self.grow(p.max(c));
        self.count[c as usize] += 1;
        self.reset(c, Slot::Live);
        match self.lists[p as usize].state {
            Slot::Live => self.append(p, c),
            Slot::Dead => {
                return Err(type_error(
                    "'int' object has no attribute 'append'",
                    "AttributeError",
                ))
            }
            Slot::Missing => return Err(key_error()),
        }
        self.parent[c as usize] = (Slot::Live, p);
        Ok(())
    }

    /// `p EXITS` (fork.py's `do_exit`, after its root check): `p` leaves
    /// the process list; its children go to its parent (`local`), or its
    /// whole subtree, flattened, to the root.
    pub fn exit(&mut self, p: Id, local: bool) -> Result<(), Stop> {
        let (parent_state, exit_parent) = self.parent[p as usize];
        if parent_state == Slot::Missing {
            return Err(key_error());
        }
        self.count[p as usize] -= 1;
        if local {
            match self.lists[p as usize].state {
                Slot::Live => {}
                Slot::Dead => return Err(type_error("'int' object is not iterable", "TypeError")),
                Slot::Missing => return Err(key_error()),
            }
            let orphans: Vec<Id> = self.children(p).collect();
            if !orphans.is_empty() {
                if parent_state == Slot::Dead {
                    return Err(key_error());
                }
                if exit_parent == p {
                    return Err(Stop::NeverEnds(format!(
                        "process {p} is its own parent, so its child list grows as it is walked"
                    )));
                }
                match self.lists[exit_parent as usize].state {
                    Slot::Live => {}
                    Slot::Dead => {
                        return Err(type_error(
                            "'int' object has no attribute 'append'",
                            "AttributeError",
                        ))
                    }
                    Slot::Missing => return Err(key_error()),
                }
            }
            for orphan in orphans {
                self.parent[orphan as usize] = (Slot::Live, exit_parent);
                self.append(exit_parent, orphan);
            }
        } else {
            let descendants = self.collect(p)?;
            for d in descendants.into_iter().skip(1) {
                self.reset(d, Slot::Live);
                self.parent[d as usize] = (Slot::Live, self.root);
                self.append(self.root, d);
            }
        }
        if parent_state == Slot::Dead {
            return Err(key_error());
        }
        match self.lists[exit_parent as usize].state {
            Slot::Live => {}
            Slot::Dead => {
                return Err(type_error(
                    "'int' object has no attribute 'remove'",
                    "AttributeError",
                ))
            }
            Slot::Missing => return Err(key_error()),
        }
        if !self.remove(exit_parent, p) {
            return Err(type_error("list.remove(x): x not in list", "ValueError"));
        }
        self.reset(p, Slot::Dead);
        self.parent[p as usize] = (Slot::Dead, 0);
        Ok(())
    }

    /// Linux's exit of `p`, reaped at once by its parent: its children,
    /// each with its own subtree, go to `reaper` (after the reaper's own,
    /// in their order: forget_original_parent's list_splice_tail), and
    /// `p` leaves its parent's list. For trees of distinct live names.
    pub fn exit_to_reaper(&mut self, p: Id, reaper: Id) {
        let orphans: Vec<Id> = self.children(p).collect();
        for orphan in orphans {
            self.parent[orphan as usize] = (Slot::Live, reaper);
            self.append(reaper, orphan);
        }
        if let Some(parent) = self.parent_of(p) {
            self.remove(parent, p);
        }
        self.count[p as usize] -= 1;
        self.reset(p, Slot::Dead);
        self.parent[p as usize] = (Slot::Dead, 0);
    }

    /// fork.py's `collect_children`: `p` and its subtree, in preorder;
    /// Python's recursion ends 996 calls deep (Python 3.11, fork.py's
    /// frames above it), and at a -1 child list.
    fn collect(&self, p: Id) -> Result<Vec<Id>, Stop> {
        /// The deepest node below `p` fork.py's recursion reaches.
        const DEEPEST: usize = 995;
        let mut out = Vec::new();
        let mut stack: Vec<(Id, usize)> = vec![(p, 0)];
        // Depth-first with an explicit stack, in the order of the
        // recursion: a node, then each child's subtree in list order.
        while let Some((node, depth)) = stack.pop() {
            if depth > DEEPEST {
                return Err(recursion_error("in comparison"));
            }
            out.push(node);
            match self.list_state(node) {
                Slot::Live => {}
                Slot::Dead => return Err(type_error("'int' object is not iterable", "TypeError")),
                Slot::Missing => return Err(key_error()),
            }
            let kids: Vec<Id> = self.children(node).collect();
            for kid in kids.into_iter().rev() {
                stack.push((kid, depth + 1));
            }
        }
        Ok(out)
    }
}

/// The children of one list, in order.
pub struct Children<'a> {
    tree: &'a Tree,
    at: u32,
}

impl Iterator for Children<'_> {
    type Item = Id;

    fn next(&mut self) -> Option<Id> {
        if self.at == NONE {
            return None;
        }
        let entry = self.tree.entries[self.at as usize];
        self.at = entry.next;
        Some(entry.child)
    }
}

fn type_error(detail: &str, kind: &'static str) -> Stop {
    Stop::Exception {
        kind,
        detail: detail.into(),
    }
}

fn key_error() -> Stop {
    Stop::Exception {
        kind: "KeyError",
        detail: "-1".into(),
    }
}

pub(crate) fn recursion_error(what: &str) -> Stop {
    Stop::Exception {
        kind: "RecursionError",
        detail: format!("maximum recursion depth exceeded {what}"),
    }
}
