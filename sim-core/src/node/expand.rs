//! A Node statement, expanded into the kernel steps node and libuv make
//! for it (NODE-FACTS, docs/scenario-language.md "Node statements"): each
//! a statement of the kernel language, built here as a value, with why
//! node makes it (`Why`, told by engine/narrate) and what it means to the
//! Node layer once it ran (`Effect`, applied by `NodeState::apply`).
//!
//! The expansion is planned from the world as the Node statement begins.
//! The steps after a child's death (libuv's SIGCHLD handler writing to its
//! signal pipe, the loop reading it, `waitpid(WNOHANG)`, the channel's end
//! of file and its close) are guarded: they run only if the child is dead
//! by then, so a `kill()` whose signal the child survives stops after the
//! `kill`. What the kernel language cannot say yet is told, not invented:
//! the child's dup2 of its channel onto fd 3 is the `cloexec ... off`
//! libuv makes when the fd is already in place.

use super::json;
use super::send_error::SendError;
use super::state::Effect;
use crate::ipc::end_name::Which;
use crate::ipc::pipe::PipeEnd;
use crate::ipc::socket::Side;
use crate::scenario::ast::{Action, End, Name, Op, Payload, Pos, Statement, StatementKind};
use crate::scenario::node_syntax::{NodeObject, NodeStmt, PROCESS_OBJECT};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::sig::Signal;
use crate::world::World;
use std::sync::Arc;

/// How many bytes node's channel reads at a time (libuv's 64 KiB read
/// buffer, uv__read's suggested size).
pub(crate) const CHANNEL_READ: u64 = 65536;
/// One message libuv's signal handler writes to the loop's signal pipe:
/// `uv__signal_msg_t`, a handle pointer and a signal number, 16 bytes on
/// 64-bit Linux (src/unix/signal.c).
pub(crate) const SIGNAL_MESSAGE: u64 = 16;
/// What the loop reads of its signal pipe at once: 32 messages
/// (uv__signal_event's buffer).
pub(crate) const SIGNAL_READ: u64 = 32 * SIGNAL_MESSAGE;
/// What uv_spawn reads of its error pipe: one int, the child's errno.
pub(crate) const ERROR_READ: u64 = 4;

/// Why node or libuv makes a kernel step of a Node statement's group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// `node NAME`: the process starts.
    StartNode,
    /// uv_loop_init makes the loop's signal pipe (for its SIGCHLD watcher).
    SignalPipe,
    /// uv_spawn makes the socketpair of the 'ipc' stdio slot.
    IpcSocketpair,
    /// uv_spawn's close-on-exec error pipe.
    ErrorPipe,
    /// The first spawn starts libuv's SIGCHLD watcher: its handler, with
    /// every signal in sa_mask and SA_RESTART.
    SigchldHandler,
    /// uv_spawn's fork().
    Fork,
    /// The child resets a signal its parent had changed to SIG_DFL
    /// (libuv resets 1 to 31, one call each; only these change anything).
    ResetSignal(Signal),
    /// The child empties the mask it inherited.
    EmptyMask,
    /// The child places its channel: libuv dup2s it onto fd 3 (dup2 is not
    /// in the language), and an fd already in place gets F_SETFD 0, which
    /// this is.
    PlaceChannel,
    /// The child execs node; its close-on-exec fds close, the error
    /// pipe's write end among them.
    ExecNode,
    /// The parent closes its copy of the error pipe's write end.
    CloseErrorWrite,
    /// The parent waits for the child's exec: EOF means it succeeded.
    ReadErrorPipe,
    /// The parent is done with the error pipe.
    CloseErrorRead,
    /// The parent closes the child's end of the channel.
    CloseChildEnd,
    /// The child's node makes its own loop's signal pipe.
    ChildSignalPipe,
    /// The child's node marks its channel fd close-on-exec
    /// (NODE_CHANNEL_FD is taken from the environment).
    ChannelCloexec,
    /// `send()`: one write of JSON.stringify(message) + '\n'.
    Send,
    /// The receiving loop reads the channel (up to 64 KiB).
    ReadChannel,
    /// `send()` threw, writing nothing.
    Threw(SendError),
    /// `send()` on a closed channel: node emits 'error'
    /// (ERR_IPC_CHANNEL_CLOSED) and writes nothing.
    ChannelClosed,
    /// `process.exit(code)`.
    Exit,
    /// `kill(signal)`.
    Kill,
    /// libuv's SIGCHLD handler (which ran as the child died) writes a
    /// message to the loop's signal pipe.
    HandlerWrites,
    /// The loop reads its signal pipe and runs the SIGCHLD watcher.
    LoopReadsSignal,
    /// The watcher's waitpid(pid, WNOHANG), for each child process.
    WaitChild,
    /// The parent's loop reads the channel's end of file.
    ReadEof,
    /// The parent closes the channel.
    CloseChannel,
    /// worker_threads and typed arrays (`node::worker`).
    Worker(super::worker::WorkerWhy),
}

/// When a planned step runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Guard {
    Always,
    /// Only if this process is dead (zombie or reaped) by then.
    Dead(Arc<str>),
}

/// One step of a Node statement's group.
#[derive(Clone, Debug)]
pub(crate) struct Planned {
    /// The kernel statement; None for a step that node takes alone (a
    /// `send()` that threw), which changes nothing in the kernel.
    pub stmt: Option<Statement>,
    pub why: Why,
    pub effect: Effect,
    pub guard: Guard,
}

/// The names the expansion gives the kernel objects of a node process
/// or a child: its loop's signal pipe, its channel, its error pipe.
pub(crate) fn signal_pipe(process: &str) -> String {
    format!("{process}-sig")
}
pub(crate) fn channel(child: &str) -> String {
    format!("{child}-ipc")
}
pub(crate) fn error_pipe(child: &str) -> String {
    format!("{child}-err")
}

/// Builds the planned steps, all at one position (the Node statement's).
pub(super) struct Plan {
    pos: Pos,
    steps: Vec<Planned>,
}

impl Plan {
    pub(super) fn name(&self, text: &str) -> Name {
        Name {
            text: text.to_string(),
            pos: self.pos,
        }
    }

    fn end(&self, object: &str, which: Which) -> End {
        End::new(self.name(object), which)
    }

    pub(super) fn op(&mut self, actor: &str, op: Op, why: Why, effect: Effect) -> &mut Planned {
        let stmt = Statement {
            pos: self.pos,
            kind: StatementKind::Op {
                actor: self.name(actor),
                op,
            },
        };
        self.steps.push(Planned {
            stmt: Some(stmt),
            why,
            effect,
            guard: Guard::Always,
        });
        self.steps.last_mut().expect("just pushed")
    }

    pub(super) fn alone(&mut self, why: Why) {
        self.alone_with(why, Effect::None);
    }

    /// A step node takes alone (no system call) with a Node effect.
    pub(super) fn alone_with(&mut self, why: Why, effect: Effect) {
        self.steps.push(Planned {
            stmt: None,
            why,
            effect,
            guard: Guard::Always,
        });
    }

    /// Where the Node statement is.
    pub(super) fn pos(&self) -> Pos {
        self.pos
    }
}

/// The group of kernel steps a `node NAME` or Node statement is, planned
/// on `world`; an error when the statement cannot run there (its actor
/// runs no node, it names no child object).
pub(crate) fn expand(world: &World, stmt: &Statement) -> Result<Vec<Planned>, ScenarioError> {
    let mut plan = Plan {
        pos: stmt.pos,
        steps: Vec::new(),
    };
    match &stmt.kind {
        StatementKind::NodeProcess { name } => {
            plan.steps.push(Planned {
                stmt: Some(Statement {
                    pos: stmt.pos,
                    kind: StatementKind::Process { name: name.clone() },
                }),
                why: Why::StartNode,
                effect: Effect::Boot {
                    process: name.text.as_str().into(),
                    signal_pipe: signal_pipe(&name.text).into(),
                },
                guard: Guard::Always,
            });
            let pipe = plan.name(&signal_pipe(&name.text));
            plan.op(
                &name.text,
                Op::Pipe {
                    pipe,
                    cloexec: true,
                },
                Why::SignalPipe,
                Effect::None,
            );
        }
        StatementKind::Node { actor, stmt: node } if super::worker::handles(world, actor, node) => {
            super::worker::expand(world, &mut plan, actor, node)?;
        }
        StatementKind::Node { actor, stmt: node } => {
            let proc = world.node().proc(&actor.text).ok_or_else(|| {
                ScenarioError::new(
                    actor.pos,
                    ErrorKind::NotNode {
                        process: actor.text.clone(),
                    },
                )
            })?;
            let watching = proc.watching_sigchld;
            match node {
                NodeStmt::Fork { child, .. } => fork(world, &mut plan, actor, child, watching),
                NodeStmt::Send { to, message } => send(world, &mut plan, actor, to, message)?,
                NodeStmt::Exit { code } => {
                    let code = NodeStmt::exit_code(code);
                    plan.op(&actor.text, Op::Exit { code }, Why::Exit, Effect::None);
                    after_death(world, &mut plan, &actor.text);
                }
                NodeStmt::Kill { child, signal } => {
                    child_object(world, actor, child)?;
                    let signal = NodeStmt::kill_signal(signal);
                    let target = child.clone();
                    plan.op(
                        &actor.text,
                        Op::Kill { target, signal },
                        Why::Kill,
                        Effect::None,
                    );
                    after_death(world, &mut plan, &child.text);
                }
                NodeStmt::Array { .. }
                | NodeStmt::Worker { .. }
                | NodeStmt::Store { .. }
                | NodeStmt::Load { .. }
                | NodeStmt::Post { .. } => {
                    unreachable!("worker::handles takes every worker statement")
                }
            }
        }
        _ => {}
    }
    Ok(plan.steps)
}

/// `const CHILD = child_process.fork(MODULE)` in `actor`.
fn fork(world: &World, plan: &mut Plan, actor: &Name, child: &Name, watching: bool) {
    let parent = actor.text.as_str();
    let c = child.text.as_str();
    let (ipc, err) = (channel(c), error_pipe(c));
    let pair = plan.name(&ipc);
    plan.op(
        parent,
        Op::Socketpair {
            pair,
            dgram: false,
            cloexec: true,
        },
        Why::IpcSocketpair,
        Effect::None,
    );
    let pipe = plan.name(&err);
    plan.op(
        parent,
        Op::Pipe {
            pipe,
            cloexec: true,
        },
        Why::ErrorPipe,
        Effect::None,
    );
    if !watching {
        plan.op(
            parent,
            Op::Signal {
                signal: Signal::SIGCHLD,
                action: Action::Handle,
                nocldwait: false,
                full_mask: true,
            },
            Why::SigchldHandler,
            Effect::WatchSigchld {
                process: parent.into(),
            },
        );
    }
    plan.op(
        parent,
        Op::Fork {
            child: child.clone(),
        },
        Why::Fork,
        Effect::Forked {
            parent: parent.into(),
            child: c.into(),
            channel: ipc.as_str().into(),
        },
    );
    let end = plan.end(&err, Which::Pipe(PipeEnd::Write));
    plan.op(
        parent,
        Op::Close { end },
        Why::CloseErrorWrite,
        Effect::None,
    );
    let end = plan.end(&err, Which::Pipe(PipeEnd::Read));
    plan.op(
        parent,
        Op::Recv {
            end,
            max: ERROR_READ,
            nonblock: false,
        },
        Why::ReadErrorPipe,
        Effect::None,
    );
    // The child starts with its parent's signal actions and mask (and
    // SIGCHLD's handler, if this fork installs it).
    let signals = world
        .pid_of(parent)
        .map(|pid| world.proc(pid).signals.clone());
    let mut changed: Vec<Signal> = signals
        .as_ref()
        .map(|s| s.dispositions().map(|(sig, _)| sig).collect())
        .unwrap_or_default();
    if !watching && !changed.contains(&Signal::SIGCHLD) {
        changed.push(Signal::SIGCHLD);
        changed.sort();
    }
    for signal in changed.into_iter().filter(|s| s.number() < 32) {
        plan.op(
            c,
            Op::Signal {
                signal,
                action: Action::Default,
                nocldwait: false,
                full_mask: false,
            },
            Why::ResetSignal(signal),
            Effect::None,
        );
    }
    let blocked: Vec<Signal> = signals
        .as_ref()
        .map(|s| s.blocked().iter().collect())
        .unwrap_or_default();
    if !blocked.is_empty() {
        plan.op(
            c,
            Op::Unblock { signals: blocked },
            Why::EmptyMask,
            Effect::None,
        );
    }
    let end = plan.end(&ipc, Which::Sock(Side::One));
    plan.op(
        c,
        Op::Cloexec { end, on: false },
        Why::PlaceChannel,
        Effect::None,
    );
    plan.op(
        c,
        Op::Exec {
            program: "node".into(),
        },
        Why::ExecNode,
        Effect::Execed {
            parent: parent.into(),
            child: c.into(),
            signal_pipe: signal_pipe(c).into(),
        },
    );
    let end = plan.end(&err, Which::Pipe(PipeEnd::Read));
    plan.op(parent, Op::Close { end }, Why::CloseErrorRead, Effect::None);
    let end = plan.end(&ipc, Which::Sock(Side::One));
    plan.op(parent, Op::Close { end }, Why::CloseChildEnd, Effect::None);
    let pipe = plan.name(&signal_pipe(c));
    plan.op(
        c,
        Op::Pipe {
            pipe,
            cloexec: true,
        },
        Why::ChildSignalPipe,
        Effect::None,
    );
    let end = plan.end(&ipc, Which::Sock(Side::One));
    plan.op(
        c,
        Op::Cloexec { end, on: true },
        Why::ChannelCloexec,
        Effect::None,
    );
}

/// The channel of `actor`'s child object `child`, or the error that it has
/// none.
fn child_object(world: &World, actor: &Name, child: &Name) -> Result<Arc<str>, ScenarioError> {
    let proc = world.node().proc(&actor.text);
    match proc.and_then(|p| p.children.get(child.text.as_str())) {
        Some(c) => Ok(c.channel.clone()),
        None => Err(ScenarioError::new(
            child.pos,
            ErrorKind::UnknownChildObject {
                process: actor.text.clone(),
                name: child.text.clone(),
                suggestion: crate::scenario::error::suggest(
                    &child.text,
                    proc.into_iter()
                        .flat_map(|p| p.children.keys().map(|k| &**k)),
                ),
            },
        )),
    }
}

/// `CHILD.send(VALUE)` or `process.send(VALUE)` in `actor`.
fn send(
    world: &World,
    plan: &mut Plan,
    actor: &Name,
    to: &NodeObject,
    message: &crate::scenario::node_syntax::NodeValue,
) -> Result<(), ScenarioError> {
    // The channel, the writer's side, the receiving process and the object
    // the message arrives on there.
    let (chan, side, receiver, object): (Arc<str>, Side, Option<String>, Arc<str>) = match to {
        NodeObject::Child { name } => {
            let chan = child_object(world, actor, name)?;
            (
                chan,
                Side::Zero,
                Some(name.text.clone()),
                PROCESS_OBJECT.into(),
            )
        }
        NodeObject::ParentPort => unreachable!("send() is never parsed on parentPort"),
        NodeObject::Process => {
            let proc = world.node().proc(&actor.text);
            let Some(chan) = proc.and_then(|p| p.parent_channel.clone()) else {
                return Err(ScenarioError::new(
                    actor.pos,
                    ErrorKind::NoParentChannel {
                        process: actor.text.clone(),
                    },
                ));
            };
            let parent = world
                .pid_of(&actor.text)
                .map(|pid| world.name_of(world.proc(pid).parent).to_string());
            (chan, Side::One, parent, actor.text.as_str().into())
        }
    };
    let connected = match to {
        NodeObject::Child { name } => world
            .node()
            .proc(&actor.text)
            .and_then(|p| p.children.get(name.text.as_str()))
            .is_some_and(|c| c.connected),
        NodeObject::Process | NodeObject::ParentPort => true,
    };
    let line = match json::stringify(&message.value) {
        Ok(line) => line,
        Err(e) => {
            plan.alone(Why::Threw(e));
            return Ok(());
        }
    };
    if !connected {
        plan.alone(Why::ChannelClosed);
        return Ok(());
    }
    let to_side = side.peer();
    let end = plan.end(&chan, Which::Sock(side));
    plan.op(
        &actor.text,
        Op::Send {
            end,
            payload: Payload::Text(line.clone()),
            nonblock: false,
        },
        Why::Send,
        Effect::Wrote {
            writer: actor.text.as_str().into(),
            channel: chan.clone(),
            to: to_side.index(),
            bytes: Arc::from(line.into_bytes()),
        },
    );
    // The message arrives only where node runs and the loop can read.
    let reads = receiver.as_deref().is_some_and(|r| {
        world.node().proc(r).is_some()
            && world
                .pid_of(r)
                .is_some_and(|pid| !world.proc(pid).state.is_dead())
    });
    if let (true, Some(receiver)) = (reads, receiver) {
        let end = plan.end(&chan, Which::Sock(to_side));
        plan.op(
            &receiver,
            Op::Recv {
                end,
                max: CHANNEL_READ,
                nonblock: false,
            },
            Why::ReadChannel,
            Effect::Read {
                process: receiver.as_str().into(),
                object,
                channel: chan,
                side: to_side.index(),
            },
        );
    }
    Ok(())
}

/// What the parent's loop does once `child` has died: its SIGCHLD
/// handler writes to the signal pipe; the loop reads the channel's end of
/// file ('disconnect'), then runs the SIGCHLD watcher ('exit', and
/// 'close' now that the channel is closed too). Each step runs only if
/// `child` is dead by then; none is planned when its parent runs no node
/// or holds no object for it.
fn after_death(world: &World, plan: &mut Plan, child: &str) {
    let Some(pid) = world.pid_of(child) else {
        return;
    };
    let parent_pid = world.proc(pid).parent;
    let parent = world.name_of(parent_pid).to_string();
    let Some(node) = world.node().proc(&parent) else {
        return;
    };
    let Some(object) = node.children.get(child) else {
        return;
    };
    if world.proc(parent_pid).state.is_dead() || !object.connected {
        return;
    }
    let first = plan.steps.len();
    let sig = node.signal_pipe.to_string();
    let end = plan.end(&sig, Which::Pipe(PipeEnd::Write));
    plan.op(
        &parent,
        Op::Send {
            end,
            payload: Payload::Bytes(SIGNAL_MESSAGE),
            nonblock: true,
        },
        Why::HandlerWrites,
        Effect::None,
    );
    // The channel's end of file comes first: the child's fds closed as it
    // died, before SIGCHLD was sent, and libuv runs its signal watcher
    // last in a poll round; so 'disconnect' comes before 'exit' (as node
    // 20 shows: spawn, disconnect, exit, close).
    let chan = object.channel.clone();
    let end = plan.end(&chan, Which::Sock(Side::Zero));
    plan.op(
        &parent,
        Op::Recv {
            end,
            max: CHANNEL_READ,
            nonblock: false,
        },
        Why::ReadEof,
        Effect::Read {
            process: parent.as_str().into(),
            object: child.into(),
            channel: chan.clone(),
            side: Side::Zero.index(),
        },
    );
    let end = plan.end(&chan, Which::Sock(Side::Zero));
    plan.op(
        &parent,
        Op::Close { end },
        Why::CloseChannel,
        Effect::Closed {
            parent: parent.as_str().into(),
            child: child.into(),
        },
    );
    let end = plan.end(&sig, Which::Pipe(PipeEnd::Read));
    plan.op(
        &parent,
        Op::Recv {
            end,
            max: SIGNAL_READ,
            nonblock: true,
        },
        Why::LoopReadsSignal,
        Effect::None,
    );
    // uv__wait_children: waitpid(pid, WNOHANG) for each child process
    // the loop still watches.
    let mut watched: Vec<_> = node
        .children
        .iter()
        .filter(|(_, c)| c.exit.is_none())
        .collect();
    watched.sort_by_key(|(_, c)| c.order);
    for (name, _) in watched {
        let target = plan.name(name);
        plan.op(
            &parent,
            Op::Wait {
                child: Some(target),
                nohang: true,
            },
            Why::WaitChild,
            Effect::Waited {
                parent: parent.as_str().into(),
                child: name.clone(),
            },
        );
    }
    for step in &mut plan.steps[first..] {
        step.guard = Guard::Dead(child.into());
    }
}
