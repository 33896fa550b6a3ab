//! Settling: waiting after each step until every process is quiet, and
//! reaping, as init does, the controller's dead children.
//!
//! "Asleep" is what the kernel says, not what a state letter suggests. A
//! task shows S from the moment it sets TASK_INTERRUPTIBLE, which it does
//! *before* it checks whether it must sleep (do_wait, pipe_read,
//! prepare_to_wait): a parent woken in wait by its child's exit shows S
//! while it rescans its children, and keeps S for as long as it is
//! preempted there, runnable, which under load is long. So a process is
//! asleep only when the kernel holds it off every run queue
//! (`probe::off_cpu`, /proc/PID/wchan), in S, T or t; D is a sleep on the
//! way somewhere (a page read, a lock), never a place a scenario waits.
//! Where wchan names nothing (a kernel without kallsyms: it always reads
//! 0), the state letter is all there is, and the two passes below are the
//! only guard.
//!
//! And quiet is a stretch of time, not an instant: one pass reads the
//! processes one after another, so a process seen asleep early in a pass
//! may be woken by one that ran later in it. The machine is quiet when two
//! passes in a row find every process asleep with the same count of
//! context switches (`probe::Status::switches`): a count that did not grow
//! means that process did not run between its two sightings, so there was
//! a moment, between the passes, when no process ran and all were asleep,
//! with nothing to deliver and no reply unread.
//!
//! A dying child shows Z (exit_notify sets EXIT_ZOMBIE) before it wakes its
//! parent, all under tasklist_lock held for writing. Every pass starts with
//! `reap_orphans`, whose waitpid takes tasklist_lock for reading
//! (__do_wait), so it waits for an exit_notify under way: what a zombie
//! seen before the pass was going to wake is awake, on a run queue, before
//! the pass looks at anyone.

use super::{readable, recv_msg, Kernel, Life, Res};
use crate::check::probe;
use crate::check::proto::Msg;
use sim_core::scenario::ast::INIT_NAME;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A process the kernel holds asleep, as one look saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Asleep {
    /// The state letter: S, T or t.
    pub state: char,
    pub status: probe::Status,
}

impl Kernel {
    /// `pid` if the kernel holds it asleep now: off every run queue (when
    /// /proc/PID/wchan can say so; see the module doc), then in S, T or t
    /// with its status, both from one read of /proc/PID/status made last,
    /// so that an unchanged switch count in two looks covers the time from
    /// the first look's count to the second look's wchan.
    pub(super) fn asleep(&self, pid: i32) -> Option<Asleep> {
        if self.wchan && probe::off_cpu(pid) != Some(true) {
            return None;
        }
        let (state, status) = probe::state_and_status(pid)?;
        matches!(state, 'S' | 'T' | 't').then_some(Asleep { state, status })
    }

    /// Wait until every process is quiet: no deliverable signal pending,
    /// nobody running, every death settled into a zombie (or reaped by the
    /// controller, as init reaps), every completed operation collected;
    /// and so for two passes in a row in which nobody ran (module doc).
    pub fn settle(&mut self) -> Res<()> {
        let until = Instant::now() + self.limits.step;
        // The switch counts of the sleepers in the last pass, if it was quiet.
        let mut last_quiet: Option<BTreeMap<String, u64>> = None;
        loop {
            self.check_time()?;
            let mut quiet = true;
            let mut sleepers = BTreeMap::new();
            self.reap_orphans();
            let names: Vec<String> = self.procs.keys().cloned().collect();
            for name in names {
                let p = &self.procs[&name];
                if p.life == Life::Gone {
                    continue;
                }
                if let (Some(kind), Some(ctrl)) = (p.pending, p.ctrl.as_ref()) {
                    if readable(ctrl, 0) {
                        match recv_msg(ctrl) {
                            Ok(Some((Msg::Reply(r), _))) => self.complete(&name, r, kind),
                            // The channel closed: the worker died in its
                            // operation (killed by a signal); it never returns.
                            Ok(None) | Err(_) => {
                                let p = self.procs.get_mut(&name).expect("listed");
                                p.ctrl = None;
                                p.pending = None;
                            }
                            Ok(Some((Msg::Ready(_), _))) => {}
                        }
                        quiet = false;
                        continue;
                    }
                }
                let pid = p.pid;
                let alive = p.life == Life::Alive;
                match probe::stat(pid) {
                    None => {
                        let p = self.procs.get_mut(&name).expect("listed");
                        p.life = Life::Gone;
                        p.ctrl = None;
                        quiet = false;
                    }
                    Some(s) if s.state == 'Z' || s.state == 'X' => {
                        let p = self.procs.get_mut(&name).expect("listed");
                        if p.life == Life::Alive {
                            p.life = Life::Zombie;
                            p.ctrl = None;
                            p.regions.clear();
                            p.fds.clear();
                            p.pending = None;
                            // It died during this pass: what it woke may
                            // have been looked at already.
                            quiet = false;
                        }
                        if s.ppid == self.me {
                            quiet = false; // the controller reaps it next round
                        }
                    }
                    Some(_) if !alive => {}
                    Some(_) => match self.asleep(pid) {
                        None => quiet = false,
                        Some(a) => {
                            // Stopped: signals other than SIGKILL and SIGCONT
                            // stay pending until it continues, so pending ones
                            // are quiet.
                            if a.state != 'T' && a.status.pending & !a.status.blocked != 0 {
                                quiet = false;
                            }
                            // Asleep now, but it may have replied between the
                            // poll above and these looks: look again.
                            let p = &self.procs[&name];
                            if let (Some(_), Some(ctrl)) = (p.pending, p.ctrl.as_ref()) {
                                if readable(ctrl, 0) {
                                    quiet = false;
                                }
                            }
                            sleepers.insert(name, a.status.switches);
                        }
                    },
                }
            }
            if quiet && last_quiet.as_ref() == Some(&sleepers) {
                return Ok(());
            }
            last_quiet = quiet.then_some(sleepers);
            if Instant::now() > until {
                return Err(self.step_timeout("the processes did not settle".into()));
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// Reap the controller's zombie children: init reaps at once.
    fn reap_orphans(&mut self) {
        loop {
            let mut status = 0;
            // Safety: waitpid writes a status into a local.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            if let Some(name) = self.by_pid.get(&pid).cloned() {
                if let Some(p) = self.procs.get_mut(&name) {
                    p.life = Life::Gone;
                    p.ctrl = None;
                    p.regions.clear();
                    p.fds.clear();
                    // Only init's children are the controller's to reap: a
                    // zombie whose parent died was reparented first.
                    p.parent = INIT_NAME.to_string();
                }
            }
        }
    }
}
