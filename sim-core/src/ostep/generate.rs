//! fork.py's random actions: per action one `random()` against the fork
//! share, then one `random()` to pick a process from the list of those
//! alive (in the order they were made), the root's exits drawn and
//! thrown away without counting. fork.py's `randint(lo, hi)` is
//! `int(lo + random() * (hi - lo + 1))`.
//!
//! fork.py removes an exiting process from its list by a scan; here the
//! list is a Fenwick tree over the slots in order of birth, so picking
//! the k-th live process and removing one are O(log n).

use super::model::Stop;
use super::mt::PyRandom;
use super::names::{generated_name, Id, Names};

/// One action of a list, generated or read from `-A`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `p+c`: p forks c.
    Fork(Id, Id),
    /// `p-`: p exits.
    Exit(Id),
}

/// Which slots hold a live process, with counts to find the k-th.
struct Live {
    /// Fenwick tree over the slots (1-based inside).
    sums: Vec<u32>,
    alive: Vec<bool>,
    /// The name in each slot.
    ids: Vec<Id>,
    count: usize,
}

impl Live {
    fn new() -> Self {
        Live {
            sums: vec![0; 2],
            alive: Vec::new(),
            ids: Vec::new(),
            count: 0,
        }
    }

    fn add(&mut self, slot: usize, delta: i32) {
        let mut i = slot + 1;
        while i < self.sums.len() {
            self.sums[i] = self.sums[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    fn push(&mut self, id: Id) {
        let slot = self.ids.len();
        self.ids.push(id);
        self.alive.push(true);
        if slot + 1 >= self.sums.len() {
            self.rebuild((slot + 1) * 2 + 1);
        } else {
            self.add(slot, 1);
        }
        self.count += 1;
    }

    /// Makes a bigger Fenwick tree from the live flags, in O(n).
    fn rebuild(&mut self, size: usize) {
        self.sums = vec![0; size];
        for (slot, alive) in self.alive.iter().enumerate() {
            self.sums[slot + 1] += u32::from(*alive);
        }
        for i in 1..size {
            let up = i + (i & i.wrapping_neg());
            if up < size {
                self.sums[up] += self.sums[i];
            }
        }
    }

    /// The slot of the k-th live process (from 0).
    fn kth(&self, k: usize) -> usize {
        let mut pos = 0;
        let mut left = k as u32;
        let mut step = (self.sums.len() - 1).next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next < self.sums.len() && self.sums[next] <= left {
                pos = next;
                left -= self.sums[next];
            }
            step /= 2;
        }
        pos
    }

    fn remove(&mut self, slot: usize) {
        self.alive[slot] = false;
        self.add(slot, -1);
        self.count -= 1;
    }
}

/// fork.py's `random_choice`: an index drawn as its `randint(0, n - 1)`.
fn choice(rng: &mut PyRandom, n: usize) -> usize {
    // As fork.py computes it: 0 + random() * n, truncated.
    (0.0 + rng.random() * n as f64) as usize
}

/// `max_actions` actions as fork.py draws them (with `rng` seeded or not
/// as fork.py's was), naming the new processes into `names` after the
/// root, which is `names`' id `root`.
pub(super) fn generate(
    rng: &mut PyRandom,
    fork_percentage: f64,
    max_actions: u64,
    root: Id,
    names: &mut Names,
) -> Result<Vec<Action>, Stop> {
    let mut actions = Vec::new();
    if max_actions == 0 {
        return Ok(actions);
    }
    if fork_percentage.is_nan() {
        // No draw is below NaN, so every action is an exit, and the first
        // draw finds the root alone, which cannot exit, again and again.
        return Err(Stop::NeverEnds(
            "with -f nan every action is an exit, and only the root is alive".into(),
        ));
    }
    let mut live = Live::new();
    live.push(root);
    let mut made: u64 = 0;
    while (actions.len() as u64) < max_actions {
        if rng.random() < fork_percentage {
            let parent = live.ids[live.kth(choice(rng, live.count))];
            made += 1;
            let child = names.push_new(generated_name(made));
            actions.push(Action::Fork(parent, child));
            live.push(child);
        } else {
            let slot = live.kth(choice(rng, live.count));
            let id = live.ids[slot];
            if id == root {
                continue;
            }
            live.remove(slot);
            actions.push(Action::Exit(id));
        }
    }
    Ok(actions)
}
