//! A process's life cycle: fork, exec, exit, and death (by exit or by a
//! signal), with what death does to its children and its parent
//! (kernel/fork.c, fs/exec.c, kernel/exit.c).

use super::event::{AutoReap, Event, ForkedRegion, RegionFork};
use super::ops::{unused_name, Cx};
use crate::ids::Pid;
use crate::mm::{self, Backing};
use crate::proc::{LastOp, ProcState, WaitStatus};
use crate::scenario::ast::{Name, OpResult};
use crate::scenario::ErrorKind;
use crate::sig::Signal;
use std::sync::Arc;

impl Cx<'_> {
    pub(super) fn fork(&mut self, child: &Name) -> Result<(), ErrorKind> {
        unused_name(self.world, child)?;
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let (child_mm, copied) = mm::fork(frames, &mut proc.mm);
        // What fork did with each region: copy_page_range copies the
        // entries of a private region only once it has an anon_vma (it was
        // written); a shared one the child faults in itself.
        let regions: Vec<ForkedRegion> = proc
            .mm
            .regions
            .iter()
            .map(|r| ForkedRegion {
                region: r.name.to_string(),
                fork: match r.backing {
                    Backing::Private { anon_vma: true } => RegionFork::Copied,
                    Backing::Private { anon_vma: false } => RegionFork::NeverWritten,
                    Backing::Shared { .. } => RegionFork::Shared,
                },
            })
            .collect();
        // The child gets a copy of the fd table (each end gains a reference)
        // and of the dispositions and mask, with nothing pending.
        // The fds keep their close-on-exec flags (dup_fd).
        let fds = proc.fds.dup_all();
        let signals = proc.signals.fork_child();
        let ends: Vec<_> = fds.iter().map(|(_, end)| end).collect();
        let cloexec: Vec<_> = fds
            .iter_with_flags()
            .filter(|&(_, _, c)| c)
            .map(|(_, end, _)| end)
            .collect();
        for &end in &ends {
            self.world.retain(end);
        }
        let child_pid = self.world.spawn(
            child.as_str(),
            self.pid,
            child_mm,
            fds,
            signals,
            self.pos.line,
        );
        // The child returns 0 from fork; its fault counter starts at 0.
        let step = self.step;
        self.world.proc_mut(child_pid).last_op = Some(LastOp {
            step,
            faults: 0,
            result: Some(OpResult::Value(0)),
        });
        let inherited = ends.iter().map(|&e| self.world.end_name(e)).collect();
        let cloexec = cloexec.iter().map(|&e| self.world.end_name(e)).collect();
        self.events.push(Event::Forked {
            parent: self.pid,
            child: child_pid,
            name: child.text.clone(),
            copied,
            regions,
            inherited,
            cloexec,
        });
        self.returned(0, OpResult::Value(i64::from(child_pid.0)));
        Ok(())
    }

    /// prctl(PR_SET_CHILD_SUBREAPER, 1): the actor adopts the orphans of
    /// its descendants from now on (kernel/sys.c); exec keeps it, a fork
    /// child does not have it.
    pub(super) fn subreaper(&mut self) {
        self.world.proc_mut(self.pid).subreaper = true;
        self.events.push(Event::Subreaper { pid: self.pid });
        self.returned(0, OpResult::Value(0));
    }

    /// Who adopts the children of `pid` as it dies (kernel/exit.c
    /// find_new_reaper): its nearest ancestor that is a subreaper and
    /// still alive, else init.
    fn new_reaper(&self, pid: Pid) -> Pid {
        let mut cursor = self.world.proc(pid).parent;
        while cursor != Pid::INIT {
            let p = self.world.proc(cursor);
            let alive = !matches!(p.state, ProcState::Zombie { .. } | ProcState::Gone { .. });
            if p.subreaper && alive {
                return cursor;
            }
            cursor = p.parent;
        }
        Pid::INIT
    }

    /// clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...),
    /// as pthread_create makes it: a new task in the same thread group.
    /// copy_process shares the mm (the same page tables, so nothing is
    /// copied and no frame changes hands), the fd table and the signal
    /// handlers; the new task gets a tid but the process keeps its pid.
    pub(super) fn thread(&mut self, thread: &Name) -> Result<(), ErrorKind> {
        unused_name(self.world, thread)?;
        let line = self.pos.line;
        let tid = self.world.new_thread(self.pid, thread.as_str(), line);
        let proc = self.world.proc(self.pid);
        self.events.push(Event::ThreadMade {
            pid: self.pid,
            tid,
            name: thread.text.clone(),
            regions: proc.mm.regions.len() as u32,
            fds: proc.fds.len(),
        });
        self.returned(0, OpResult::Value(i64::from(tid.0)));
        Ok(())
    }

    /// execve, in begin_new_exec's order: the old address space goes
    /// (exec_mmap), the close-on-exec fds are closed (do_close_on_exec),
    /// and the handlers are reset (flush_signal_handlers). What a closed
    /// end's last reference going sets off (a reader's end of file, a
    /// writer's EPIPE) happens as after `close`, at the end of the step.
    pub(super) fn exec(&mut self, program: &str) {
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let old = std::mem::take(&mut proc.mm);
        let freed = mm::release(frames, old);
        // de_thread: the other threads are killed before the new image.
        proc.threads.clear();
        proc.program = Arc::from(program);
        let cloexec = proc.fds.close_on_exec();
        // flush_signal_handlers: handlers go back to SIG_DFL, SIG_IGN stays.
        proc.signals.exec();
        let keeps_fds = proc.fds.len() as usize > cloexec.len();
        self.events.push(Event::Exec {
            pid: self.pid,
            program: program.to_string(),
            freed,
            keeps_fds,
            cloexec_closed: cloexec.len() as u32,
        });
        for fd in cloexec {
            self.close_fd(self.pid, fd, true);
        }
        self.returned(0, OpResult::Value(0));
    }

    pub(super) fn exit(&mut self, code: i32) {
        let status = WaitStatus::exited(code);
        let step = self.step;
        self.world.proc_mut(self.pid).last_op = Some(LastOp {
            step,
            faults: 0,
            result: None,
        });
        self.die(self.pid, status, Some(code), Vec::new());
    }

    /// `pid` dies with `status` (`code`: the code it gave `exit`, None when
    /// a signal killed it; `unrun`: handlers whose frames it never ran):
    /// its memory is released, its fds closed, its children adopted by
    /// its nearest subreaper ancestor or init; it becomes a zombie and its
    /// parent is told (kernel/exit.c do_exit, exit_notify).
    pub(crate) fn die(
        &mut self,
        pid: Pid,
        status: WaitStatus,
        code: Option<i32>,
        unrun: Vec<Signal>,
    ) {
        // A call waiting to start again after a stop never does.
        self.restarts.remove(&pid);
        let (proc, frames) = self.world.proc_and_frames(pid);
        let old = std::mem::take(&mut proc.mm);
        let freed = mm::release(frames, old);
        // exit_group (or a fatal signal) ends every thread with it.
        proc.threads.clear();
        let closed = proc.fds.close_all();
        proc.state = ProcState::Zombie { status };
        let parent = proc.parent;
        for &end in &closed {
            self.world.release(end);
        }
        // Orphans go to the new reaper (kernel/exit.c
        // forget_original_parent); a zombie among them is its new
        // parent's to reap, told as a death is (reparent_leader): init
        // reaps it at once.
        let orphans = self.world.children(pid);
        let reaper = self.new_reaper(pid);
        self.events.push(Event::Exited {
            pid,
            status: status.decode(),
            freed,
            code,
            unrun,
            closed: closed.iter().map(|&e| self.world.end_name(e)).collect(),
            orphans: orphans.clone(),
            reaper,
        });
        for orphan in orphans {
            self.world.proc_mut(orphan).parent = reaper;
            self.events.push(Event::Reparented {
                pid: orphan,
                parent: reaper,
            });
            if let ProcState::Zombie { status } = self.world.proc(orphan).state {
                self.notify_parent(reaper, orphan, status);
            }
        }
        self.notify_parent(parent, pid, status);
    }

    /// The parent learns of a child's death (do_notify_parent): init reaps
    /// at once; a parent whose SIGCHLD is SIG_IGN or has SA_NOCLDWAIT has
    /// the child reaped at once; otherwise it stays a zombie. SIGCHLD is
    /// generated (unless SIG_IGN), a parent asleep in wait is woken, and the
    /// parent takes its signals.
    fn notify_parent(&mut self, parent: Pid, child: Pid, status: WaitStatus) {
        if parent == Pid::INIT {
            self.reap(Pid::INIT, child, status);
            return;
        }
        let notice = self.world.proc_mut(parent).signals.notify_child_exit();
        if let Some(generation) = notice.sigchld {
            self.generated(parent, generation);
        } else {
            self.events.push(Event::ParentNotTold {
                parent,
                child,
                exit: true,
            });
        }
        if notice.auto_reap {
            self.world.proc_mut(child).state = ProcState::Gone { status };
            let sig_ign = self.world.proc(parent).signals.disposition(Signal::SIGCHLD)
                == crate::signal::Disposition::Ignore;
            self.events.push(Event::Reaped {
                parent: Pid::INIT,
                child,
                status: status.decode(),
                auto: Some(AutoReap { parent, sig_ign }),
            });
        } else {
            let parent_asleep = matches!(self.world.proc(parent).state, ProcState::Blocked(_));
            self.events.push(Event::Zombie {
                pid: child,
                parent,
                parent_asleep,
            });
        }
        // A sleeping wait is woken first and returns; its signals are
        // delivered as it returns (do_wait finds the child before it looks
        // at signals).
        self.try_complete(parent);
        self.take_signals(parent);
    }

    /// `parent` reaps the zombie `child`.
    pub(crate) fn reap(&mut self, parent: Pid, child: Pid, status: WaitStatus) {
        self.world.proc_mut(child).state = ProcState::Gone { status };
        let decoded = status.decode();
        if parent != Pid::INIT {
            self.world.proc_mut(parent).last_reaped = Some(decoded);
        }
        self.events.push(Event::Reaped {
            parent,
            child,
            status: decoded,
            auto: None,
        });
    }
}
