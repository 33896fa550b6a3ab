//! What a statement does to the world: `apply` runs one `process` or
//! operation statement in a `Cx` (the context of one operation), whose
//! methods, spread over this module's siblings, are the rules: memory.rs
//! (mmap, munmap, touching pages), life.rs (fork, exec, exit, death),
//! wait.rs (wait and reaping), ipc.rs (pipes and sockets, fds and their
//! close-on-exec flag), signals.rs and
//! settle.rs (the wake-ups at the end of a step). Every rule only changes
//! the world and pushes `Event`s; narrate builds the sentences from them.

use super::event::Event;
use crate::ids::Pid;
use crate::ipc::fd::FdTable;
use crate::mm::{Access, AddressSpace};
use crate::proc::{BlockedCall, BlockedOn, LastOp, ProcState};
use crate::profile::KernelProfile;
use crate::scenario::ast::{Name, Op, OpResult, Pos, Statement, StatementKind};
use crate::scenario::error::suggest;
use crate::scenario::{ErrorKind, ScenarioError};
use crate::signal::SigState;
use crate::world::World;

/// Apply one `process` or operation statement.
pub(crate) fn apply(
    world: &mut World,
    stmt: &Statement,
    step: u32,
    profile: &KernelProfile,
    max_settle_rounds: u32,
) -> Result<Vec<Event>, ScenarioError> {
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
            Ok(vec![Event::Started {
                pid,
                name: name.text.clone(),
            }])
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
                restarts: litemap::LiteMap::new(),
                max_settle_rounds,
            };
            cx.op(op).map_err(|kind| {
                // A model bug is about the statement, not a name in it.
                let pos = match kind {
                    ErrorKind::ModelBug { .. } => stmt.pos,
                    _ => op_pos(op, &kind).unwrap_or(stmt.pos),
                };
                ScenarioError::new(pos, kind)
            })?;
            Ok(cx.events)
        }
        StatementKind::Say { .. }
        | StatementKind::Expect { .. }
        | StatementKind::NodeProcess { .. }
        | StatementKind::Node { .. } => {
            unreachable!("the engine hands only process and operation statements to apply (a Node statement's kernel steps are)")
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
        Op::Thread { thread } => thread.pos,
        Op::Wait { child, .. } => child.as_ref()?.pos,
        Op::Pipe { pipe, .. } | Op::Pipesize { pipe, .. } => pipe.pos,
        Op::Socketpair { pair, .. } => pair.pos,
        Op::Close { end }
        | Op::Cloexec { end, .. }
        | Op::Send { end, .. }
        | Op::Recv { end, .. }
        | Op::Sndbuf { end, .. } => end.object().pos,
        Op::Kill { target, .. } => target.pos,
        Op::Exec { .. }
        | Op::Exit { .. }
        | Op::Subreaper
        | Op::Signal { .. }
        | Op::Block { .. }
        | Op::Unblock { .. } => return None,
    })
}

pub(super) fn unknown_process(world: &World, name: &Name) -> ErrorKind {
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
            ended: super::narrate::ended(status.decode()),
            parent: world.name_of(proc.parent).to_string(),
        })),
        ProcState::Gone { status } => Err(at(ErrorKind::ProcessReaped {
            process: actor.text.clone(),
            ended: super::narrate::ended(status.decode()),
        })),
    }
}

/// Is `name` free for a new process, pipe or socketpair?
pub(super) fn unused_name(world: &World, name: &Name) -> Result<(), ErrorKind> {
    let first_line = if let Some(pid) = world.pid_of(name.as_str()) {
        Some(world.proc(pid).born_line)
    } else if let Some(line) = world.thread_line(name.as_str()) {
        Some(line)
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
    pub restarts: litemap::LiteMap<Pid, BlockedCall>,
    /// The bound on wake-up rounds in one step (`settle`).
    pub max_settle_rounds: u32,
}

impl Cx<'_> {
    /// Record that the actor's operation returned `result` after `faults`.
    pub(crate) fn returned(&mut self, faults: u64, result: OpResult) {
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
    pub(crate) fn block(&mut self, on: BlockedOn) {
        let on_op = on.op();
        let on_end = match on {
            BlockedOn::Send { end, .. } | BlockedOn::Recv { end, .. } => {
                Some(self.world.end_name(end))
            }
            BlockedOn::Wait { .. } => None,
        };
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
        self.events.push(Event::Blocked {
            pid: self.pid,
            call: on_op.into(),
            end: on_end,
        });
    }

    /// A blocked call of `pid` completes with `result`.
    pub(crate) fn wake(&mut self, pid: Pid, result: OpResult) {
        let p = self.world.proc_mut(pid);
        p.state = ProcState::Running;
        if let Some(last) = &mut p.last_op {
            last.result = Some(result);
        }
        self.events.push(Event::Woken { pid, result });
    }

    pub(crate) fn op(&mut self, op: &Op) -> Result<(), ErrorKind> {
        match op {
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
            Op::Thread { thread } => self.thread(thread)?,
            Op::Subreaper => self.subreaper(),
            Op::Exit { code } => self.exit(*code),
            Op::Wait { child, nohang } => self.wait(child.as_ref(), *nohang)?,
            Op::Pipe { pipe, cloexec } => self.pipe(pipe, *cloexec)?,
            Op::Socketpair {
                pair,
                dgram,
                cloexec,
            } => self.socketpair(pair, *dgram, *cloexec)?,
            Op::Close { end } => self.close(end)?,
            Op::Cloexec { end, on } => self.set_cloexec(end, *on)?,
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
                full_mask,
            } => self.sigaction(*signal, *action, *nocldwait, *full_mask),
            Op::Block { signals } => self.sigprocmask(signals, true),
            Op::Unblock { signals } => self.sigprocmask(signals, false),
            Op::Kill { target, signal } => self.kill(target, *signal)?,
        }
        // Signals the actor's own call raised or unblocked are delivered as
        // the call returns; then every sleeper that this step made able to
        // continue does so.
        self.take_signals(self.pid);
        self.settle()?;
        // Anyone else this step left with a signal to take takes it now
        // (a parent told of a child's stop or continuation).
        // In pid order, only those that can have something to do (the
        // others' take_signals would do nothing), looked up afresh after
        // each, as one may leave another something to take.
        let mut cursor = Pid::INIT;
        while let Some(pid) = self.next_wanted(cursor) {
            self.take_signals(pid);
            cursor = pid;
        }
        self.settle()?;
        Ok(())
    }

    /// The first process after `after`, in pid order, whose
    /// `take_signals` can do something: one the world says may (see
    /// `World::wanted_after`), or one with a call to start again.
    fn next_wanted(&mut self, after: Pid) -> Option<Pid> {
        let next = match self.restarts.find_index(&after) {
            Ok(at) => at + 1,
            Err(at) => at,
        };
        let restart = self.restarts.get_indexed(next).map(|(&pid, _)| pid);
        self.world
            .wanted_after(after)
            .into_iter()
            .chain(restart)
            .min()
    }
}
