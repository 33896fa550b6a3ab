//! `wait`: what a wait finds (a zombie to reap, children still running, or
//! nothing to wait for), as kernel/exit.c do_wait decides it, at the call
//! and each time a sleeping wait is woken; and WNOHANG, which returns 0
//! where a wait would sleep.

use super::event::{Event, WaitFound};
use super::ops::{unknown_process, Cx};
use crate::errno::Errno;
use crate::ids::Pid;
use crate::proc::{BlockedOn, ProcState, WaitStatus};
use crate::scenario::ast::{Name, OpResult};
use crate::scenario::ErrorKind;

/// What a `wait` can do now.
enum Waitable {
    /// No child it may wait for: ECHILD.
    Nothing,
    /// This zombie is reaped.
    Zombie(Pid, WaitStatus),
    /// These children still run: the wait sleeps.
    Running(Vec<Pid>),
}

impl Cx<'_> {
    /// wait4(child or -1, WNOHANG if `nohang`).
    pub(super) fn wait(&mut self, child: Option<&Name>, nohang: bool) -> Result<(), ErrorKind> {
        let wanted = match child {
            Some(name) => Some(
                self.world
                    .pid_of(name.as_str())
                    .filter(|p| *p != Pid::INIT)
                    .ok_or_else(|| unknown_process(self.world, name))?,
            ),
            None => None,
        };
        match self.waitable(self.pid, wanted) {
            Waitable::Nothing => {
                self.events.push(Event::WaitCalled {
                    pid: self.pid,
                    child: wanted,
                    found: WaitFound::NoChild,
                    nohang,
                });
                self.returned(0, OpResult::Error(Errno::ECHILD));
            }
            Waitable::Zombie(c, status) => {
                self.events.push(Event::WaitCalled {
                    pid: self.pid,
                    child: wanted,
                    found: WaitFound::Zombie { child: c },
                    nohang,
                });
                self.returned(0, OpResult::Value(i64::from(c.0)));
                self.reap(self.pid, c, status);
            }
            Waitable::Running(children) => {
                self.events.push(Event::WaitCalled {
                    pid: self.pid,
                    child: wanted,
                    found: WaitFound::Running { children },
                    nohang,
                });
                if nohang {
                    // do_wait: with WNOHANG, children that exist but have
                    // not changed state leave `retval` 0 and it returns
                    // rather than sleeping.
                    self.returned(0, OpResult::Value(0));
                } else {
                    self.block(BlockedOn::Wait { child: wanted });
                }
            }
        }
        Ok(())
    }

    /// A wait (blocked, or just issued) looks for a child to reap: a zombie
    /// is reaped (the oldest first, as do_wait scans the children list), no
    /// child at all fails with ECHILD, running children keep it asleep.
    /// True when the wait returned.
    pub(super) fn try_wait(&mut self, pid: Pid, wanted: Option<Pid>) -> bool {
        match self.waitable(pid, wanted) {
            Waitable::Nothing => {
                self.wake(pid, OpResult::Error(Errno::ECHILD));
                self.events.push(Event::WaitFailed { pid });
                true
            }
            Waitable::Zombie(c, status) => {
                self.wake(pid, OpResult::Value(i64::from(c.0)));
                self.reap(pid, c, status);
                true
            }
            Waitable::Running(_) => false,
        }
    }

    /// What a `wait` by `pid` for `wanted` (None: any child) finds: the
    /// oldest zombie among them (do_wait scans the children list in
    /// order), else the children still running, else nothing to wait for.
    fn waitable(&self, pid: Pid, wanted: Option<Pid>) -> Waitable {
        let children: Vec<Pid> = match wanted {
            // One child asked for: only it is looked at (a parent of
            // thousands waits for one without scanning them all).
            Some(w) => {
                let child = self.world.proc(w);
                (child.parent == pid && !matches!(child.state, ProcState::Gone { .. }))
                    .then_some(w)
                    .into_iter()
                    .collect()
            }
            None => self.world.children(pid),
        };
        let zombie = children
            .iter()
            .find_map(|&c| match self.world.proc(c).state {
                ProcState::Zombie { status } => Some((c, status)),
                _ => None,
            });
        match zombie {
            Some((c, status)) => Waitable::Zombie(c, status),
            None if children.is_empty() => Waitable::Nothing,
            None => Waitable::Running(children),
        }
    }
}
