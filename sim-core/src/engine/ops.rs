//! What each statement does to the world: the rules of fork, exec, exit,
//! wait and memory access, and the events they cause.

use super::narrate;
use crate::ids::Pid;
use crate::ipc::fd::{EndRef, FdTable};
use crate::ipc::socket::SockType;
use crate::mm::{self, Access, AddressSpace, Backing, MemEvent, Region};
use crate::proc::{BlockedCall, BlockedOn, LastOp, ProcState, WaitStatus};
use crate::profile::KernelProfile;
use crate::scenario::ast::{
    ExitStatus, Name, Op, OpResult, PageRange, Pos, Statement, StatementKind,
};
use crate::scenario::error::suggest;
use crate::scenario::{ErrorKind, ScenarioError};
use crate::sig::Signal;
use crate::signal::SigState;
use crate::world::World;
use serde::Serialize;
use std::sync::Arc;

/// Something that happened in a step, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A `process` statement: a new child of init.
    Started {
        pid: Pid,
        name: String,
    },
    Mapped {
        pid: Pid,
        region: String,
        pages: u32,
        shared: bool,
    },
    Unmapped {
        pid: Pid,
        region: String,
        freed: u32,
    },
    /// A fault or fault-around in `pid`.
    Mem {
        pid: Pid,
        mem: MemEvent,
    },
    /// fork: `copied` page-table entries were copied into the child.
    Forked {
        parent: Pid,
        child: Pid,
        name: String,
        copied: u64,
    },
    /// exec: the old address space was released.
    Exec {
        pid: Pid,
        program: String,
        freed: u32,
    },
    /// The process exited (became a zombie) and its memory was released.
    Exited {
        pid: Pid,
        status: ExitStatus,
        freed: u32,
    },
    /// An orphan was adopted.
    Reparented {
        pid: Pid,
        parent: Pid,
    },
    /// A zombie was reaped by `parent` (init reaps at once).
    Reaped {
        parent: Pid,
        child: Pid,
        status: ExitStatus,
    },
    /// The process entered a blocking call that cannot complete yet.
    Blocked {
        pid: Pid,
    },
    /// A blocked call completed.
    Woken {
        pid: Pid,
        result: OpResult,
    },
    /// The operation returned.
    Returned {
        pid: Pid,
        result: OpResult,
    },
    /// A pipe or socketpair was created; its ends got these fds.
    Opened {
        pid: Pid,
        end: String,
        fd: u32,
    },
    /// An fd was closed.
    Closed {
        pid: Pid,
        end: String,
        fd: u32,
    },
    /// Bytes moved into (`send`) or out of (`recv`) an end.
    Moved {
        pid: Pid,
        end: String,
        op: String,
        bytes: u64,
        queued: u64,
    },
    /// A signal was generated for `pid`; `fate` says what became of it.
    SignalSent {
        pid: Pid,
        signal: Signal,
        /// `private` (the thread's own queue: SIGPIPE from a write) or
        /// `shared` (the process's: kill, SIGCHLD).
        queue: crate::signal::Queue,
        fate: crate::signal::Fate,
    },
    /// A pending signal was delivered to `pid`.
    SignalDelivered {
        pid: Pid,
        signal: Signal,
        delivery: crate::signal::Delivery,
    },
    /// A handler whose frame was set up ran (back in user mode); `runs`
    /// counts this run.
    HandlerRan {
        pid: Pid,
        signal: Signal,
        runs: u64,
    },
    /// The process stopped (a stop signal) or continued (SIGCONT).
    Stopped {
        pid: Pid,
        signal: Signal,
    },
    Continued {
        pid: Pid,
    },
}

type Outcome = (Vec<Event>, String);

/// Apply one `process` or operation statement.
pub fn apply(
    world: &mut World,
    stmt: &Statement,
    step: u32,
    profile: &KernelProfile,
) -> Result<Outcome, ScenarioError> {
    match &stmt.kind {
        StatementKind::Process { name } => {
            unused_name(world, name).map_err(|kind| ScenarioError::new(name.pos, kind))?;
            let pid = world.spawn(
                name.as_str(),
                Pid::INIT,
                AddressSpace::default(),
                FdTable::new(),
                SigState::new(),
                stmt.pos.line,
            );
            Ok((
                vec![Event::Started {
                    pid,
                    name: name.text.clone(),
                }],
                format!("init starts {name}, pid {pid}: a process with an empty address space."),
            ))
        }
        StatementKind::Op { actor, op } => {
            let pid = actor_pid(world, actor)?;
            let mut cx = Cx {
                world,
                pid,
                step,
                profile,
                events: Vec::new(),
                pos: stmt.pos,
                restarts: std::collections::BTreeMap::new(),
            };
            let narration = cx
                .op(op)
                .map_err(|kind| ScenarioError::new(op_pos(op, &kind).unwrap_or(stmt.pos), kind))?;
            Ok((cx.events, narration))
        }
        StatementKind::Say { .. } | StatementKind::Expect { .. } => {
            unreachable!("the engine hands only process and operation statements to apply")
        }
    }
}

/// Where an error about `op` should point: at the name it is about, or
/// at the page or range when that is what is out of range.
fn op_pos(op: &Op, kind: &ErrorKind) -> Option<Pos> {
    Some(match op {
        Op::Read { range, .. } | Op::Write { range, .. }
            if matches!(kind, ErrorKind::PageOutOfRange { .. }) =>
        {
            range.pos
        }
        Op::Mmap { region, .. }
        | Op::Munmap { region }
        | Op::Read { region, .. }
        | Op::Write { region, .. } => region.pos,
        Op::Fork { child } => child.pos,
        Op::Wait { child } => child.as_ref()?.pos,
        Op::Pipe { pipe } | Op::Pipesize { pipe, .. } => pipe.pos,
        Op::Socketpair { pair, .. } => pair.pos,
        Op::Close { end }
        | Op::Send { end, .. }
        | Op::Recv { end, .. }
        | Op::Sndbuf { end, .. } => end.object().pos,
        Op::Kill { target, .. } => target.pos,
        Op::Exec { .. }
        | Op::Exit { .. }
        | Op::Signal { .. }
        | Op::Block { .. }
        | Op::Unblock { .. } => return None,
    })
}

fn unknown_process(world: &World, name: &Name) -> ErrorKind {
    ErrorKind::UnknownProcess {
        name: name.text.clone(),
        suggestion: suggest(name.as_str(), world.names()),
    }
}

/// The pid of a process that can act now.
fn actor_pid(world: &World, actor: &Name) -> Result<Pid, ScenarioError> {
    let at = |kind| ScenarioError::new(actor.pos, kind);
    let pid = world
        .pid_of(actor.as_str())
        .filter(|p| *p != Pid::INIT)
        .ok_or_else(|| at(unknown_process(world, actor)))?;
    let proc = world.proc(pid);
    match &proc.state {
        ProcState::Running => Ok(pid),
        ProcState::Blocked(call) => Err(at(ErrorKind::ProcessBlocked {
            process: actor.text.clone(),
            op: call.on.op().into(),
            since_step: call.since_step,
            since_line: call.pos.line,
        })),
        ProcState::Stopped { by, since_step, .. } => Err(at(ErrorKind::ProcessStopped {
            process: actor.text.clone(),
            signal: by.to_string(),
            since_step: *since_step,
        })),
        ProcState::Zombie { status } => Err(at(ErrorKind::ProcessZombie {
            process: actor.text.clone(),
            ended: narrate::ended(status.decode()),
            parent: world.name_of(proc.parent).to_string(),
        })),
        ProcState::Gone { status } => Err(at(ErrorKind::ProcessReaped {
            process: actor.text.clone(),
            ended: narrate::ended(status.decode()),
        })),
    }
}

/// Is `name` free for a new process, pipe or socketpair?
pub(super) fn unused_name(world: &World, name: &Name) -> Result<(), ErrorKind> {
    let first_line = if let Some(pid) = world.pid_of(name.as_str()) {
        Some(world.proc(pid).born_line)
    } else {
        world
            .object(name.as_str())
            .map(|_| world.object_line(name.as_str()))
    };
    match first_line {
        Some(first_line) => Err(ErrorKind::DuplicateName {
            name: name.text.clone(),
            first_line,
        }),
        None => Ok(()),
    }
}

/// What a `wait` can do now.
enum Waitable {
    /// No child it may wait for: ECHILD.
    Nothing,
    /// This zombie is reaped.
    Zombie(Pid, WaitStatus),
    /// These children still run: the wait sleeps.
    Running(Vec<Pid>),
}

/// The context of one operation.
pub(super) struct Cx<'a> {
    pub world: &'a mut World,
    /// The actor.
    pub pid: Pid,
    pub step: u32,
    pub profile: &'a KernelProfile,
    pub events: Vec<Event>,
    pub pos: Pos,
    /// Calls of processes continued in this step that start again once
    /// the process has taken its pending signals (a stopped call was
    /// interrupted with -ERESTARTSYS; get_signal goes on dequeuing after
    /// the stop, and the restart comes only as the process returns).
    pub restarts: std::collections::BTreeMap<Pid, BlockedCall>,
}

/// Bound on wake-up rounds in one step: each round completes or advances
/// at least one blocked call, and there are few processes; the bound only
/// guards against a model bug looping forever.
const MAX_SETTLE_ROUNDS: u32 = 10_000;

impl Cx<'_> {
    pub fn name(&self, pid: Pid) -> String {
        self.world.name_of(pid).to_string()
    }

    pub fn me(&self) -> String {
        self.name(self.pid)
    }

    /// Record that the actor's operation returned `result` after `faults`.
    pub fn returned(&mut self, faults: u64, result: OpResult) {
        let step = self.step;
        let proc = self.world.proc_mut(self.pid);
        proc.faults += faults;
        proc.last_op = Some(LastOp {
            step,
            faults,
            result: Some(result),
        });
        self.events.push(Event::Returned {
            pid: self.pid,
            result,
        });
    }

    /// The actor's call cannot complete yet: it sleeps in it.
    pub fn block(&mut self, on: BlockedOn) {
        let call = BlockedCall {
            on,
            since_step: self.step,
            pos: self.pos,
            queued: self.world.tick(),
        };
        let step = self.step;
        let p = self.world.proc_mut(self.pid);
        p.state = ProcState::Blocked(call);
        p.last_op = Some(LastOp {
            step,
            faults: 0,
            result: None,
        });
        self.events.push(Event::Blocked { pid: self.pid });
    }

    /// A blocked call of `pid` completes with `result`.
    pub fn wake(&mut self, pid: Pid, result: OpResult) {
        let p = self.world.proc_mut(pid);
        p.state = ProcState::Running;
        if let Some(last) = &mut p.last_op {
            last.result = Some(result);
        }
        self.events.push(Event::Woken { pid, result });
    }

    pub fn op(&mut self, op: &Op) -> Result<String, ErrorKind> {
        let mut story = match op {
            Op::Mmap {
                region,
                pages,
                shared,
            } => self.mmap(region, *pages, *shared)?,
            Op::Munmap { region } => self.munmap(region)?,
            Op::Read { region, range } => self.touch(region, *range, Access::Read)?,
            Op::Write { region, range } => self.touch(region, *range, Access::Write)?,
            Op::Fork { child } => self.fork(child)?,
            Op::Exec { program } => self.exec(program),
            Op::Exit { code } => self.exit(*code),
            Op::Wait { child } => self.wait(child.as_ref())?,
            Op::Pipe { pipe } => self.pipe(pipe)?,
            Op::Socketpair { pair, dgram } => self.socketpair(pair, *dgram)?,
            Op::Close { end } => self.close(end)?,
            Op::Send {
                end,
                payload,
                nonblock,
            } => self.send(end, payload.len(), *nonblock)?,
            Op::Recv { end, max, nonblock } => self.recv(end, *max, *nonblock)?,
            Op::Pipesize { pipe, bytes } => self.pipesize(pipe, *bytes)?,
            Op::Sndbuf { end, bytes } => self.sndbuf(end, *bytes)?,
            Op::Signal {
                signal,
                action,
                nocldwait,
            } => self.sigaction(*signal, *action, *nocldwait),
            Op::Block { signals } => self.sigprocmask(signals, true),
            Op::Unblock { signals } => self.sigprocmask(signals, false),
            Op::Kill { target, signal } => self.kill(target, *signal)?,
        };
        // Signals the actor's own call raised or unblocked are delivered as
        // the call returns; then every sleeper that this step made able to
        // continue does so.
        story.push_str(&self.take_signals(self.pid));
        story.push_str(&self.settle());
        // Anyone else this step left with a signal to take takes it now
        // (a parent told of a child's stop or continuation).
        // In pid order, only those that can have something to do (the
        // others' take_signals would do nothing), looked up afresh after
        // each, as one may leave another something to take.
        let mut cursor = Pid::INIT;
        while let Some(pid) = self.next_wanted(cursor) {
            story.push_str(&self.take_signals(pid));
            cursor = pid;
        }
        story.push_str(&self.settle());
        Ok(story)
    }

    /// The first process after `after`, in pid order, whose
    /// `take_signals` can do something: one the world says may (see
    /// `World::wanted_after`), or one with a call to start again.
    fn next_wanted(&mut self, after: Pid) -> Option<Pid> {
        use std::ops::Bound::{Excluded, Unbounded};
        let restart = self.restarts.range((Excluded(after), Unbounded)).next();
        let restart = restart.map(|(&pid, _)| pid);
        self.world
            .wanted_after(after)
            .into_iter()
            .chain(restart)
            .min()
    }

    /// Let every blocked call that can now make progress do so, until none
    /// can (a reader freeing space can let a writer go on, and so on).
    pub fn settle(&mut self) -> String {
        let mut story = String::new();
        for _ in 0..MAX_SETTLE_ROUNDS {
            let mut blocked: Vec<(Pid, (bool, i128))> = self
                .world
                .blocked_pids()
                .into_iter()
                .filter_map(|pid| match &self.world.proc(pid).state {
                    ProcState::Blocked(call) => Some((pid, self.wake_order(call))),
                    _ => None,
                })
                .collect();
            blocked.sort_by_key(|&(pid, key)| (key, pid));
            let mut progressed = false;
            for (pid, _) in blocked {
                if let Some(text) = self.try_complete(pid) {
                    story.push_str(&text);
                    story.push_str(&self.take_signals(pid));
                    progressed = true;
                }
            }
            if !progressed {
                return story;
            }
        }
        panic!("blocked calls kept making progress for {MAX_SETTLE_ROUNDS} rounds in one step: a wake-up loop in the model")
    }

    /// The order in which a wake-up reaches sleepers, as __wake_up_common
    /// walks a wait queue: non-exclusive sleepers first, newest first
    /// (prepare_to_wait and add_wait_queue add at the head; do_wait, a
    /// stream socket's unix_stream_data_wait, a send waiting for send-buffer
    /// space in sock_wait_for_wmem); then exclusive sleepers, oldest first
    /// (prepare_to_wait_exclusive adds at the tail, and each is woken in
    /// turn: pipe_read and pipe_write wait so, and pass the wake-up on while
    /// data or room is left; a datagram reader waits so in
    /// __skb_wait_for_more_packets). So of two readers asleep on one pipe
    /// the first to sleep reads first. Non-exclusive sleepers are all woken
    /// at once and the scheduler picks who runs first: usually the first
    /// woken, but not always, so a scenario that depends on it is a race.
    fn wake_order(&self, call: &BlockedCall) -> (bool, i128) {
        let exclusive = match call.on {
            BlockedOn::Wait { .. } => false,
            BlockedOn::Send { end, .. } => matches!(end, EndRef::Pipe(..)),
            BlockedOn::Recv { end, .. } => match end {
                EndRef::Pipe(..) => true,
                EndRef::Sock(id, _) => self.world.socks(id).kind() == SockType::Dgram,
            },
        };
        let queued = i128::from(call.queued);
        (exclusive, if exclusive { queued } else { -queued })
    }

    /// Advance `pid`'s blocked call if it can move; the narration of what
    /// happened, or None when it is still stuck exactly where it was.
    pub fn try_complete(&mut self, pid: Pid) -> Option<String> {
        let ProcState::Blocked(call) = self.world.proc(pid).state.clone() else {
            return None;
        };
        match call.on {
            BlockedOn::Wait { child } => self.try_wait(pid, child),
            BlockedOn::Send { end, len, so_far } => self.resume_send(pid, &call, end, len, so_far),
            BlockedOn::Recv { end, max } => self.resume_recv(pid, end, max),
        }
    }

    fn region_index(&self, region: &Name) -> Result<usize, ErrorKind> {
        let proc = self.world.proc(self.pid);
        proc.mm
            .region_index(region.as_str())
            .ok_or_else(|| ErrorKind::UnknownRegion {
                process: proc.name.to_string(),
                name: region.text.clone(),
                suggestion: suggest(region.as_str(), proc.mm.regions.iter().map(|r| &*r.name)),
            })
    }

    fn mmap(&mut self, region: &Name, pages: u32, shared: bool) -> Result<String, ErrorKind> {
        let proc = self.world.proc(self.pid);
        if proc.mm.region(region.as_str()).is_some() {
            let first_line = proc.mm.region(region.as_str()).map_or(0, |r| r.line);
            return Err(ErrorKind::DuplicateName {
                name: region.text.clone(),
                first_line,
            });
        }
        // do_mmap (mm/mmap.c) begins with `if (!len) return -EINVAL;`: a
        // mapping of no pages is refused, and no region is made.
        if pages == 0 {
            self.returned(0, OpResult::Error(crate::errno::Errno::EINVAL));
            return Ok(format!(
                "{} asks for a mapping {region} of 0 pages: mmap fails with EINVAL, because a mapping needs at least one page. No region {region} is made.",
                self.me()
            ));
        }
        let backing = if shared {
            Backing::Shared {
                shm: self.world.frames.new_shm(pages),
            }
        } else {
            Backing::Private { anon_vma: false }
        };
        let name: Arc<str> = Arc::from(region.as_str());
        let line = self.pos.line;
        self.world
            .proc_mut(self.pid)
            .mm
            .regions
            .push(Region::new(name, backing, pages, line));
        self.events.push(Event::Mapped {
            pid: self.pid,
            region: region.text.clone(),
            pages,
            shared,
        });
        self.returned(0, OpResult::Value(0));
        Ok(narrate::mmap(&self.me(), region.as_str(), pages, shared))
    }

    fn munmap(&mut self, region: &Name) -> Result<String, ErrorKind> {
        let index = self.region_index(region)?;
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let removed = proc.mm.regions.remove(index);
        let freed = mm::unmap_region(frames, removed);
        self.events.push(Event::Unmapped {
            pid: self.pid,
            region: region.text.clone(),
            freed,
        });
        self.returned(0, OpResult::Value(0));
        Ok(narrate::munmap(&self.me(), region.as_str(), freed))
    }

    fn touch(
        &mut self,
        region: &Name,
        range: PageRange,
        access: Access,
    ) -> Result<String, ErrorKind> {
        let index = self.region_index(region)?;
        let profile = self.profile;
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let pages = proc.mm.regions[index].pages();
        if range.end > pages || range.start >= range.end {
            return Err(ErrorKind::PageOutOfRange {
                region: region.text.clone(),
                page: u64::from(if range.start >= pages {
                    range.start
                } else {
                    range.end - 1
                }),
                pages,
            });
        }
        let mut mem = Vec::new();
        let faults = mm::touch(
            frames,
            &mut proc.mm,
            index,
            range.pages(),
            access,
            profile,
            &mut mem,
        );
        let me = self.me();
        let narration = narrate::touch(
            self.world,
            self.pid,
            &me,
            region.as_str(),
            range,
            access,
            &mem,
        );
        self.events
            .extend(mem.into_iter().map(|mem| Event::Mem { pid: self.pid, mem }));
        self.returned(faults, OpResult::Value(0));
        Ok(narration)
    }

    fn fork(&mut self, child: &Name) -> Result<String, ErrorKind> {
        unused_name(self.world, child)?;
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let (child_mm, copied) = mm::fork(frames, &mut proc.mm);
        let regions: Vec<(String, Backing)> = proc
            .mm
            .regions
            .iter()
            .map(|r| (r.name.to_string(), r.backing))
            .collect();
        // The child gets a copy of the fd table (each end gains a reference)
        // and of the dispositions and mask, with nothing pending.
        let fds = proc.fds.dup_all();
        let signals = proc.signals.fork_child();
        let ends: Vec<_> = fds.iter().map(|(_, end)| end).collect();
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
        self.events.push(Event::Forked {
            parent: self.pid,
            child: child_pid,
            name: child.text.clone(),
            copied,
        });
        self.returned(0, OpResult::Value(i64::from(child_pid.0)));
        let mut story = narrate::fork(&self.me(), child.as_str(), child_pid, copied, &regions);
        if !ends.is_empty() {
            let names: Vec<String> = ends.iter().map(|&e| self.world.end_name(e)).collect();
            story.push_str(&format!(
                " {child} inherits {}: each end now has one more open fd.",
                names.join(", ")
            ));
        }
        Ok(story)
    }

    fn exec(&mut self, program: &str) -> String {
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let old = std::mem::take(&mut proc.mm);
        let freed = mm::release(frames, old);
        proc.program = Arc::from(program);
        // flush_signal_handlers: handlers go back to SIG_DFL, SIG_IGN stays.
        proc.signals.exec();
        let keeps_fds = !proc.fds.is_empty();
        self.events.push(Event::Exec {
            pid: self.pid,
            program: program.to_string(),
            freed,
        });
        self.returned(0, OpResult::Value(0));
        let mut story = narrate::exec(&self.me(), program, freed);
        if keeps_fds {
            story.push_str(" Its open fds survive exec.");
        }
        story
    }

    fn exit(&mut self, code: i32) -> String {
        let status = WaitStatus::exited(code);
        let step = self.step;
        self.world.proc_mut(self.pid).last_op = Some(LastOp {
            step,
            faults: 0,
            result: None,
        });
        let mut story = narrate::exit_call(&self.me(), code, status.decode());
        story.push_str(&self.die(self.pid, status));
        story
    }

    /// `pid` dies with `status`: its memory is released, its fds closed,
    /// its children adopted by init; it becomes a zombie and its parent is
    /// told (kernel/exit.c do_exit, exit_notify).
    pub fn die(&mut self, pid: Pid, status: WaitStatus) -> String {
        // A call waiting to start again after a stop never does.
        self.restarts.remove(&pid);
        let mut story = String::new();
        let (proc, frames) = self.world.proc_and_frames(pid);
        let old = std::mem::take(&mut proc.mm);
        let freed = mm::release(frames, old);
        let closed = proc.fds.close_all();
        proc.state = ProcState::Zombie { status };
        let parent = proc.parent;
        for &end in &closed {
            self.world.release(end);
        }
        self.events.push(Event::Exited {
            pid,
            status: status.decode(),
            freed,
        });
        if freed > 0 {
            story.push_str(&format!(
                " Its memory is released: {}.",
                narrate::frames_freed(freed)
            ));
        }
        if !closed.is_empty() {
            let names: Vec<String> = closed.iter().map(|&e| self.world.end_name(e)).collect();
            story.push_str(&format!(" Its fds are closed: {}.", names.join(", ")));
        }
        // Orphans go to init (kernel/exit.c forget_original_parent), which
        // reaps zombies among them at once.
        let orphans = self.world.children(pid);
        if !orphans.is_empty() {
            let names: Vec<String> = orphans.iter().map(|&c| self.name(c)).collect();
            story.push_str(&format!(
                " {} adopted by init.",
                narrate::list_is_are(&names)
            ));
        }
        for orphan in orphans {
            self.world.proc_mut(orphan).parent = Pid::INIT;
            self.events.push(Event::Reparented {
                pid: orphan,
                parent: Pid::INIT,
            });
            if let ProcState::Zombie { status } = self.world.proc(orphan).state {
                story.push_str(&self.reap(Pid::INIT, orphan, status));
            }
        }
        story.push_str(&self.notify_parent(parent, pid, status));
        story
    }

    /// The parent learns of a child's death (do_notify_parent): init reaps
    /// at once; a parent whose SIGCHLD is SIG_IGN or has SA_NOCLDWAIT has
    /// the child reaped at once; otherwise it stays a zombie. SIGCHLD is
    /// generated (unless SIG_IGN), a parent asleep in wait is woken, and the
    /// parent takes its signals.
    fn notify_parent(&mut self, parent: Pid, child: Pid, status: WaitStatus) -> String {
        if parent == Pid::INIT {
            return self.reap(Pid::INIT, child, status);
        }
        let notice = self.world.proc_mut(parent).signals.notify_child_exit();
        let parent_name = self.name(parent);
        let child_name = self.name(child);
        let mut story = String::new();
        if let Some(generation) = notice.sigchld {
            story.push_str(&self.generated(parent, generation));
        } else {
            story.push_str(&format!(" {parent_name} ignores SIGCHLD, so none is sent."));
        }
        if notice.auto_reap {
            self.world.proc_mut(child).state = ProcState::Gone { status };
            self.events.push(Event::Reaped {
                parent: Pid::INIT,
                child,
                status: status.decode(),
            });
            story.push_str(&format!(
                " Because {parent_name} {}, the kernel reaps {child_name} at once: no zombie, and no status for wait to report.",
                if self.world.proc(parent).signals.disposition(Signal::SIGCHLD) == crate::signal::Disposition::Ignore { "set SIGCHLD to SIG_IGN" } else { "set SA_NOCLDWAIT on SIGCHLD" }
            ));
        } else if !matches!(self.world.proc(parent).state, ProcState::Blocked(_)) {
            story.push_str(&format!(
                " {child_name} is now a zombie until {parent_name} waits for it."
            ));
        }
        // A sleeping wait is woken first and returns; its signals are
        // delivered as it returns (do_wait finds the child before it looks
        // at signals).
        if let Some(text) = self.try_complete(parent) {
            story.push_str(&text);
        }
        story.push_str(&self.take_signals(parent));
        story
    }

    /// `parent` reaps the zombie `child`.
    pub fn reap(&mut self, parent: Pid, child: Pid, status: WaitStatus) -> String {
        self.world.proc_mut(child).state = ProcState::Gone { status };
        let decoded = status.decode();
        if parent != Pid::INIT {
            self.world.proc_mut(parent).last_reaped = Some(decoded);
        }
        self.events.push(Event::Reaped {
            parent,
            child,
            status: decoded,
        });
        if parent == Pid::INIT {
            format!(" init reaps {} at once.", self.name(child))
        } else {
            format!(
                " {} reaps {}, which {}.",
                self.name(parent),
                self.name(child),
                narrate::ended(decoded)
            )
        }
    }

    fn wait(&mut self, child: Option<&Name>) -> Result<String, ErrorKind> {
        let me = self.me();
        let wanted = match child {
            Some(name) => Some(
                self.world
                    .pid_of(name.as_str())
                    .filter(|p| *p != Pid::INIT)
                    .ok_or_else(|| unknown_process(self.world, name))?,
            ),
            None => None,
        };
        let children = match self.waitable(self.pid, wanted) {
            Waitable::Nothing => {
                self.returned(0, OpResult::Error(crate::errno::Errno::ECHILD));
                return Ok(narrate::wait_echild(&me, child.map(|c| c.as_str())));
            }
            Waitable::Zombie(c, status) => {
                self.returned(0, OpResult::Value(i64::from(c.0)));
                let mut story = format!(
                    "{me} calls wait{}.",
                    child.map(|c| format!(" for {c}")).unwrap_or_default()
                );
                story.push_str(&self.reap(self.pid, c, status));
                return Ok(story);
            }
            Waitable::Running(children) => children,
        };
        self.block(BlockedOn::Wait { child: wanted });
        let names: Vec<String> = children.iter().map(|&c| self.name(c)).collect();
        Ok(narrate::wait_blocks(&me, &names))
    }

    /// A wait (blocked, or just issued) looks for a child to reap: a zombie
    /// is reaped (the oldest first, as do_wait scans the children list), no
    /// child at all fails with ECHILD, running children keep it asleep.
    fn try_wait(&mut self, pid: Pid, wanted: Option<Pid>) -> Option<String> {
        match self.waitable(pid, wanted) {
            Waitable::Nothing => {
                self.wake(pid, OpResult::Error(crate::errno::Errno::ECHILD));
                Some(format!(
                    " {} has no child left that it could reap, so wait fails with ECHILD.",
                    self.name(pid)
                ))
            }
            Waitable::Zombie(c, status) => {
                self.wake(pid, OpResult::Value(i64::from(c.0)));
                Some(self.reap(pid, c, status))
            }
            Waitable::Running(_) => None,
        }
    }

    /// What a `wait` by `pid` for `wanted` (None: any child) finds: the
    /// oldest zombie among them (do_wait scans the children list in
    /// order), else the children still running, else nothing to wait for.
    fn waitable(&self, pid: Pid, wanted: Option<Pid>) -> Waitable {
        let children: Vec<Pid> = self
            .world
            .children(pid)
            .into_iter()
            .filter(|c| wanted.is_none_or(|w| w == *c))
            .collect();
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
