//! Which processes the end of a step has to look at, kept up to date as
//! the step goes, so that the end-of-step signal pass and the wake-ups
//! (`Cx::op`, `Cx::settle`) visit those and not every process.
//!
//! A process needs attention when taking its signals could do something:
//! it is asleep in a call (the call may now complete, or a signal wake
//! it), it has a signal it can take now, or a handler frame waits to run.
//! A running process with none of these returns from `take_signals`
//! untouched, and a stopped or dead one takes nothing. Every change to a
//! process goes through `World::proc_mut` (or `proc_and_frames`, or
//! `spawn`), which marks it touched; the sets are brought up to date from
//! the touched processes before each question, so they are exact then.
//!
//! The same index keeps each process's children that are not yet reaped,
//! so that `exit` (its orphans) and `wait` (its zombies) look at the
//! children of one process, not at every process.

use crate::ids::Pid;
use crate::proc::{ProcState, Process};
use crate::table::Table;

/// The index. Cloned with the world: the sets share structure, and the
/// touched list is empty between steps but for the last few processes a
/// step touched after its last question (harmless: they are looked at
/// again).
#[derive(Clone, Debug, Default)]
pub(crate) struct Attention {
    /// Processes that may have something to do at the end of a step.
    wanted: Table<Pid, ()>,
    /// Processes asleep in a call (a subset of `wanted`).
    blocked: Table<Pid, ()>,
    /// Parent -> its children that are not reaped, as last brought up to
    /// date.
    children: Table<Pid, Table<Pid, ()>>,
    /// Child -> the parent under which `children` holds it.
    filed_under: Table<Pid, Pid>,
    /// Processes changed since the sets were last brought up to date.
    touched: Vec<Pid>,
}

impl Attention {
    pub(crate) fn touch(&mut self, pid: Pid) {
        if self.touched.last() != Some(&pid) {
            self.touched.push(pid);
        }
    }

    /// Bring the sets up to date for the processes touched since the last
    /// call; `proc` looks a process up.
    pub(crate) fn refresh<'a>(&mut self, proc: impl Fn(Pid) -> &'a Process) {
        for pid in std::mem::take(&mut self.touched) {
            let p = proc(pid);
            let blocked = matches!(p.state, ProcState::Blocked(_));
            let wanted = blocked
                || (matches!(p.state, ProcState::Running)
                    && (p.signals.next_deliverable().is_some()
                        || p.signals.frames().next().is_some()));
            self.blocked.set(pid, blocked);
            self.wanted.set(pid, wanted);
            let parent = (!matches!(p.state, ProcState::Gone { .. })).then_some(p.parent);
            if self.filed_under.get(&pid).copied() != parent {
                if let Some(old) = self.filed_under.remove(&pid) {
                    if let Some(kids) = self.children.get_mut(&old) {
                        kids.set(pid, false);
                    }
                }
                if let Some(new) = parent {
                    self.children
                        .get_or_insert_with(new, Table::default)
                        .set(pid, true);
                    self.filed_under.insert(pid, new);
                }
            }
        }
    }

    /// The children of `parent` that are not reaped, in pid order, exact
    /// even before the next refresh: the processes touched since then are
    /// looked at as they are now.
    pub(crate) fn children_of<'a>(
        &self,
        parent: Pid,
        proc: impl Fn(Pid) -> &'a Process,
    ) -> Vec<Pid> {
        // A clone of the indexed set shares its nodes; only the touched
        // processes' edits copy any.
        let mut kids = self.children.get(&parent).cloned().unwrap_or_default();
        for &pid in &self.touched {
            let p = proc(pid);
            kids.set(
                pid,
                p.parent == parent && !matches!(p.state, ProcState::Gone { .. }),
            );
        }
        kids.keys().collect()
    }

    /// The first process after `after`, in pid order, that may have
    /// something to do.
    pub(crate) fn wanted_after(&self, after: Pid) -> Option<Pid> {
        self.wanted.key_after(after)
    }

    /// Processes asleep in a call, in pid order.
    pub(crate) fn blocked(&self) -> impl Iterator<Item = Pid> + '_ {
        self.blocked.keys()
    }
}
