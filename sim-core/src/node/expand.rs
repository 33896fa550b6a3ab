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
//!
//! `expand/close.rs` plans the steps that close a channel: `disconnect()`
//! from either side, and the end of file of a peer that died;
//! `expand/uv_spawn.rs` the steps of libuv's uv_spawn that fork() and
//! spawn() share.

use super::json;
use super::send_error::SendError;
use super::state::{ChildObject, Effect};
use crate::ipc::end_name::Which;
use crate::ipc::pipe::PipeEnd;
use crate::ipc::socket::Side;
use crate::scenario::ast::{End, Name, Op, Payload, Pos, Statement, StatementKind};
use crate::scenario::node_syntax::{NodeObject, NodeStmt, Stdio, PROCESS_OBJECT, STDIO_NAMES};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::sig::Signal;
use crate::world::World;
use std::sync::Arc;

mod close;
mod uv_spawn;
use close::{disconnect, orphaned, read_eof_and_close};
use uv_spawn::fork;
pub(super) use uv_spawn::{close_child_ends, exec_node, place, socketpairs, uv_spawn, Pair};

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
    ReadChannel { advanced: bool },
    /// `send()` threw, writing nothing.
    Threw(SendError),
    /// `send()` on a closed channel: node emits 'error'
    /// (ERR_IPC_CHANNEL_CLOSED) and writes nothing.
    ChannelClosed,
    /// `process.exit(code)`.
    Exit,
    /// A spawned program exits (a kernel `exit` of the scenario's).
    ProgramExits,
    /// A spawned program writes on its stdout or stderr (a kernel `send`
    /// of the scenario's).
    ProgramWrites,
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
    /// uv_spawn makes a socketpair for a 'pipe' stdio slot (0, 1 or 2).
    StdioSocketpair(u8),
    /// The child places a 'pipe' slot's socket end: libuv dup2()s it onto
    /// the slot's fd (no dup2 in the language: it stays open over exec
    /// under its own number).
    PlaceStdio(u8),
    /// The child execs the spawned program (execvp: no shell).
    ExecProgram { command: String, stdio: [Stdio; 3] },
    /// The parent closes the child's end of a 'pipe' slot.
    CloseChildStdio(u8),
    /// execvp finds no such program: the child writes -ENOENT to the
    /// error pipe.
    ExecFailed { command: String },
    /// uv_spawn reaps the child whose exec failed, with a blocking wait.
    ReapFailed,
    /// The child whose exec failed _exit(127)s.
    ExitFailed,
    /// node destroys the child's stdin stream: the parent closes its end.
    CloseStdin,
    /// The parent's loop reads a stdout (1) or stderr (2) stream.
    ReadOutput(u8),
    /// The parent closes a stdout or stderr stream at its end of file.
    CloseOutput(u8),
    /// exec's error handler destroys a failed child's stdout or stderr.
    DestroyOutput(u8),
    /// A read of stdout (1) or stderr (2) took exec's buffer past
    /// maxBuffer: node destroys both streams (the parent closes each).
    PastMaxBuffer(u8),
    /// ... and kills the child with SIGTERM.
    MaxBufferKill,
    /// The parent closes the channel.
    CloseChannel,
    /// `disconnect()`: the caller closes its end of the channel.
    Disconnect,
    /// `process.disconnect()` in a child whose channel is its fd 0, 1 or
    /// 2, or its loop's end of file there: libuv never closes those fds,
    /// so nothing is closed ('disconnect' all the same).
    KeepStdioChannel,
    /// `disconnect()` on a closed channel: node emits 'error'
    /// (ERR_IPC_DISCONNECTED) and closes nothing.
    AlreadyDisconnected,
    /// A child's loop reads its channel's end of file: its parent closed
    /// its end (`disconnect()`) or died.
    ReadParentEof,
    /// The child closes its end of the channel after that end of file.
    CloseParentChannel,
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
/// The socketpair of a spawned child's 'pipe' stdio slot: `c-stdout`.
pub(crate) fn stdio_pair(child: &str, slot: usize) -> String {
    format!("{child}-{}", STDIO_NAMES[slot])
}

/// Builds the planned steps, all at one position (the Node statement's).
pub(super) struct Plan {
    pos: Pos,
    pub(super) steps: Vec<Planned>,
}

impl Plan {
    pub(super) fn name(&self, text: &str) -> Name {
        Name {
            text: text.to_string(),
            pos: self.pos,
        }
    }

    pub(super) fn end(&self, object: &str, which: Which) -> End {
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
                NodeStmt::Fork { child, options, .. } => {
                    let advanced = NodeStmt::advanced(options);
                    fork(world, &mut plan, actor, child, watching, advanced)
                }
                NodeStmt::Spawn {
                    via,
                    child,
                    command,
                    options,
                    ..
                } => super::spawn::spawn(
                    world,
                    &mut plan,
                    actor,
                    child,
                    *via,
                    NodeStmt::command_of(command),
                    options,
                ),
                NodeStmt::Send { to, message, more } => {
                    let all: Vec<_> = std::iter::once(message).chain(more).collect();
                    send(world, &mut plan, actor, to, &all)?
                }
                NodeStmt::Exit { code } => {
                    let code = NodeStmt::exit_code(code);
                    plan.op(&actor.text, Op::Exit { code }, Why::Exit, Effect::None);
                    after_death(world, &mut plan, &actor.text, true);
                    orphaned(world, &mut plan, &actor.text);
                }
                NodeStmt::Disconnect { on } => disconnect(world, &mut plan, actor, on)?,
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
                    after_death(world, &mut plan, &child.text, true);
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
        StatementKind::Op {
            actor,
            op: op @ Op::Exit { .. },
        } if is_program_exit(world, stmt) => {
            plan.op(&actor.text, op.clone(), Why::ProgramExits, Effect::None);
            after_death(world, &mut plan, &actor.text, true);
        }
        StatementKind::Op {
            actor,
            op:
                op @ Op::Send {
                    end,
                    payload: Payload::Text(text),
                    ..
                },
        } if is_program_output(world, stmt) => {
            let channel: Arc<str> = end.object().text.as_str().into();
            plan.op(
                &actor.text,
                op.clone(),
                Why::ProgramWrites,
                Effect::Wrote {
                    writer: actor.text.as_str().into(),
                    channel,
                    to: Side::Zero.index(),
                    bytes: Arc::from(text.clone().into_bytes()),
                    advanced: None,
                },
            );
            let slot = match end.object().text == stdio_pair(&actor.text, 1) {
                true => 1,
                false => 2,
            };
            super::spawn::read_written(world, &mut plan, &actor.text, slot, text.len() as u64);
        }
        _ => {}
    }
    Ok(plan.steps)
}

/// Whether `stmt` is a spawned program's `send` of text on its own stdout
/// or stderr socketpair (side 1): its bytes are kept, for the parent's
/// stream and exec's callback (the kernel model moves counts only).
pub(crate) fn is_program_output(world: &World, stmt: &Statement) -> bool {
    let StatementKind::Op {
        actor,
        op:
            Op::Send {
                end,
                payload: Payload::Text(_),
                ..
            },
    } = &stmt.kind
    else {
        return false;
    };
    let own = [1, 2].map(|slot| stdio_pair(&actor.text, slot));
    let side_one = matches!(end, End::Socket { side: 1, .. });
    side_one
        && own.iter().any(|p| p == end.object().as_str())
        && spawned_program(world, &actor.text)
}

/// Whether `name` is a program spawned by a node process that holds its
/// child object, still running.
fn spawned_program(world: &World, name: &str) -> bool {
    let Some(pid) = world.pid_of(name) else {
        return false;
    };
    let parent = world.name_of(world.proc(pid).parent);
    world.node().proc(name).is_none()
        && world
            .node()
            .proc(parent)
            .and_then(|p| p.children.get(name))
            .is_some_and(|c| c.channel.is_none() && c.failed.is_none())
}

/// Whether `stmt` is the `exit` of a program spawned by a node process
/// that holds its child object: the parent's loop then follows it (its
/// SIGCHLD handler, the streams' ends of file, waitpid), as a group.
pub(crate) fn is_program_exit(world: &World, stmt: &Statement) -> bool {
    let StatementKind::Op {
        actor,
        op: Op::Exit { .. },
    } = &stmt.kind
    else {
        return false;
    };
    spawned_program(world, &actor.text)
}

/// The IPC channel of `actor`'s child object `child`, or the error that it
/// has none (a spawned program) or that there is no such object.
pub(super) fn child_channel(
    world: &World,
    actor: &Name,
    child: &Name,
) -> Result<Arc<str>, ScenarioError> {
    child_object(world, actor, child)?
        .channel
        .clone()
        .ok_or_else(|| {
            ScenarioError::new(
                child.pos,
                ErrorKind::NoChildChannel {
                    process: actor.text.clone(),
                    name: child.text.clone(),
                },
            )
        })
}

pub(super) fn child_object<'w>(
    world: &'w World,
    actor: &Name,
    child: &Name,
) -> Result<&'w ChildObject, ScenarioError> {
    let proc = world.node().proc(&actor.text);
    match proc.and_then(|p| p.children.get(child.text.as_str())) {
        Some(c) => Ok(c),
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
    messages: &[&crate::scenario::node_syntax::NodeValue],
) -> Result<(), ScenarioError> {
    // The channel, the writer's side, the receiving process and the object
    // the message arrives on there.
    let (chan, side, receiver, object): (Arc<str>, Side, Option<String>, Arc<str>) = match to {
        NodeObject::Child { name } => {
            let chan = child_channel(world, actor, name)?;
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
        NodeObject::Process => world
            .node()
            .proc(&actor.text)
            .is_some_and(|p| p.parent_connected),
        NodeObject::ParentPort => true,
    };
    let advanced = world.node().advanced(&chan);
    let to_side = side.peer();
    let mut waiting = world.node().unread(&chan, to_side.index()).len() as u64;
    let mut wrote = false;
    for message in messages {
        // What send() writes: a JSON line, or in advanced mode a frame (a
        // length and V8's bytes), which the kernel step moves as a count.
        let written = match advanced {
            false => json::stringify(&message.value)
                .map(|line| (Payload::Text(line.clone()), line.into_bytes(), None)),
            true => super::advanced::frame(&message.value).map(|frame| {
                let got = super::advanced::received(&message.value)
                    .map(|v| (json_text(&v), json::is_internal(&v)))
                    .unwrap_or_default();
                (Payload::Bytes(frame.len() as u64), frame, Some(got))
            }),
        };
        let (payload, bytes, got) = match written {
            Ok(w) => w,
            // A throw ends the statement: the sends after it never run.
            Err(e) => {
                plan.alone(Why::Threw(e));
                break;
            }
        };
        if !connected {
            // node's send() on a closed channel returns false and emits
            // 'error' (ERR_IPC_CHANNEL_CLOSED) on the object; it never
            // throws.
            let object = match to {
                NodeObject::Child { name } => name.text.as_str().into(),
                NodeObject::Process | NodeObject::ParentPort => PROCESS_OBJECT.into(),
            };
            plan.alone_with(
                Why::ChannelClosed,
                Effect::Error {
                    process: actor.text.as_str().into(),
                    object,
                    code: "ERR_IPC_CHANNEL_CLOSED",
                },
            );
            continue;
        }
        waiting += bytes.len() as u64;
        wrote = true;
        let end = plan.end(&chan, Which::Sock(side));
        plan.op(
            &actor.text,
            Op::Send {
                end,
                payload,
                nonblock: false,
            },
            Why::Send,
            Effect::Wrote {
                writer: actor.text.as_str().into(),
                channel: chan.clone(),
                to: to_side.index(),
                bytes: Arc::from(bytes),
                advanced: got,
            },
        );
    }
    if !wrote {
        return Ok(());
    }
    // The receiving loop reads 64 KiB at a time, whatever has arrived:
    // the sends of one tick are all there before it wakes (one read, a
    // 'message' each), and a message longer than 64 KiB takes several
    // reads and is one 'message' once its last byte has come.
    let reads = waiting.div_ceil(CHANNEL_READ);
    // The message arrives only where node runs and the loop can read.
    let listening = receiver.as_deref().is_some_and(|r| {
        world.node().proc(r).is_some()
            && world
                .pid_of(r)
                .is_some_and(|pid| !world.proc(pid).state.is_dead())
    });
    let Some(receiver) = receiver.filter(|_| listening) else {
        return Ok(());
    };
    for _ in 0..reads {
        let end = plan.end(&chan, Which::Sock(to_side));
        plan.op(
            &receiver,
            Op::Recv {
                end,
                max: CHANNEL_READ,
                nonblock: false,
            },
            Why::ReadChannel { advanced },
            Effect::Read {
                process: receiver.as_str().into(),
                object: object.clone(),
                channel: chan.clone(),
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
/// or holds no object for it. `outputs`: whether its stdout and stderr
/// are still open to read to their end (not when exec destroyed them past
/// maxBuffer).
pub(super) fn after_death(world: &World, plan: &mut Plan, child: &str, outputs: bool) {
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
    // A spawned child already reaped, or never spawned: libuv's loop no
    // longer reads anything of it. (A forked child whose channel was
    // disconnected still gets its 'exit'.)
    let gone = object.channel.is_none() && (object.exit.is_some() || object.failed.is_some());
    if world.proc(parent_pid).state.is_dead() || gone {
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
    // A channel already closed (a disconnect()) has no end of file to
    // read: the chain goes on to the SIGCHLD watcher.
    if let (true, Some(channel)) = (object.connected, &object.channel) {
        read_eof_and_close(plan, &parent, child, channel);
    }
    // So do the ends of file of its stdout and stderr (strace: read 0,
    // close, for each, before the signal pipe is read).
    if outputs {
        super::spawn::read_outputs_to_eof(plan, &parent, child, &object.stdio);
    }
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
        .filter(|(_, c)| c.exit.is_none() && c.failed.is_none())
        .collect();
    crate::sort::sort_by_key(&mut watched, |(_, c)| c.order);
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
    // The exit callback destroys stdin before it emits 'exit' (strace:
    // the close after wait4), so 'close' can follow it.
    super::spawn::close_stdin(plan, &parent, child, &object.stdio);
    for step in &mut plan.steps[first..] {
        step.guard = Guard::Dead(child.into());
    }
}

/// A received value as its 'message' listener's argument is compared:
/// JSON text (what JSON.stringify gives of it), or the error it throws in
/// parentheses (an advanced-mode BigInt).
fn json_text(value: &super::JsValue) -> String {
    match json::stringify(value) {
        Ok(line) => line.trim_end_matches('\n').to_string(),
        Err(e) => format!("({e})"),
    }
}
