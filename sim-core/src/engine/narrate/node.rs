//! The Node layer's sentences: why node or libuv makes each kernel step of
//! a Node statement's group (`why`), and the Node events a step emitted
//! (`events`), from which a group's own line is told (`group`). The kernel
//! step keeps its own narration beside these.

use crate::node::expand::{Why, CHANNEL_READ, SIGNAL_MESSAGE, SIGNAL_READ};
use crate::node::state::NodeEvent;
use crate::scenario::ast::{Statement, StatementKind};
use crate::scenario::keyword::NodeEventName;
use crate::scenario::node_syntax::{
    NodeObject, NodeStmt, Stdio, Via, PROCESS_OBJECT, SHELL, STDIO_NAMES,
};
use crate::words::count;

/// Why node or libuv made this kernel step, in a sentence; `actor` is the
/// process that makes it.
pub(crate) fn why(why: &Why, actor: &str) -> String {
    match why {
        Why::StartNode => format!("{actor} starts running node."),
        Why::SignalPipe => format!(
            "libuv's loop in {actor} makes its signal pipe (uv_loop_init, for its SIGCHLD watcher): its signal handlers only write to it, and the loop reads it."
        ),
        Why::IpcSocketpair => format!(
            "libuv's uv_spawn in {actor} makes a socketpair for the child's 'ipc' stdio slot: the channel."
        ),
        Why::ErrorPipe => "uv_spawn makes a close-on-exec pipe to learn whether the child's exec works: an exec closes its write end, a failure writes the errno to it.".to_string(),
        Why::SigchldHandler => format!(
            "The first spawn starts libuv's SIGCHLD watcher in {actor}: a handler with every signal in its sa_mask and SA_RESTART, as libuv installs every handler."
        ),
        Why::Fork => "uv_spawn forks: the child runs only libuv's setup code, never the parent's JavaScript.".to_string(),
        Why::ResetSignal(sig) => format!(
            "The child resets {sig}, which its parent had changed, to SIG_DFL (libuv resets signals 1 to 31, one call each; the others are already SIG_DFL)."
        ),
        Why::EmptyMask => "The child unblocks what it inherited blocked: libuv empties the signal mask before exec.".to_string(),
        Why::PlaceChannel => "The child places its channel for node: libuv dup2()s it onto fd 3, which the model's language has no call for yet; it clears close-on-exec, as libuv's fcntl(F_SETFD, 0) does for an fd already in place, so the channel survives exec.".to_string(),
        Why::ExecNode => format!(
            "{actor} execs node (the module path goes in argv): a fresh node starts from main(). exec closes the close-on-exec fds, the error pipe's write end among them."
        ),
        Why::CloseErrorWrite => format!(
            "{actor} closes its copy of the error pipe's write end, so that only the child's exec can close the last one."
        ),
        Why::ReadErrorPipe => format!(
            "uv_spawn in {actor} reads the error pipe and waits there until the child's exec closes it (end of file) or fails (4 bytes of errno)."
        ),
        Why::CloseErrorRead => "uv_spawn closes the error pipe.".to_string(),
        Why::CloseChildEnd => format!(
            "{actor} closes the child's end of the channel: the child holds it now."
        ),
        Why::ChildSignalPipe => format!(
            "The new node's loop in {actor} makes its own signal pipe."
        ),
        Why::ChannelCloexec => format!(
            "node in {actor} takes NODE_CHANNEL_FD from its environment and marks the channel fd close-on-exec."
        ),
        Why::Send => "send() writes JSON.stringify(message) and a newline, in one write.".to_string(),
        Why::ReadChannel { advanced: false } => format!(
            "{actor}'s loop reads the channel (up to {CHANNEL_READ} bytes) and splits what it read on newlines."
        ),
        Why::ReadChannel { advanced: true } => format!(
            "{actor}'s loop reads the channel (up to {CHANNEL_READ} bytes) and splits what it read into frames, each by its 4-byte length (serialization: 'advanced')."
        ),
        Why::Threw(e) => format!("send() throws {e}; nothing is written."),
        Why::ChannelClosed => "The channel is closed: send() emits 'error' (ERR_IPC_CHANNEL_CLOSED) and writes nothing.".to_string(),
        Why::Exit => format!("process.exit() in {actor}: the process exits."),
        Why::Kill => format!("kill() in {actor} sends the signal; the child object's killed becomes true."),
        Why::HandlerWrites => format!(
            "libuv's SIGCHLD handler, which ran in {actor} as the child died, writes a {SIGNAL_MESSAGE}-byte message to the loop's signal pipe (shown as its own step)."
        ),
        Why::LoopReadsSignal => format!(
            "{actor}'s loop reads its signal pipe (up to {SIGNAL_READ} bytes) and runs the SIGCHLD watcher."
        ),
        Why::WaitChild => format!(
            "The watcher calls waitpid(pid, WNOHANG) for each child process of {actor}'s loop."
        ),
        Why::ReadEof => format!(
            "{actor}'s loop reads the channel: the child's end is closed, so it reads end of file."
        ),
        Why::CloseChannel => format!("{actor} closes its end of the channel."),
        Why::Disconnect => format!(
            "disconnect() in {actor} closes its end of the channel; node emits 'disconnect' on the next tick."
        ),
        Why::KeepStdioChannel => format!(
            "{actor}'s channel is one of its fds 0 to 2, which libuv never closes (uv__stream_close): node emits 'disconnect' and closes nothing, so its parent reads end of file only when {actor} dies (node 20, measured)."
        ),
        Why::AlreadyDisconnected => "The channel is closed already: disconnect() emits 'error' (ERR_IPC_DISCONNECTED) and closes nothing.".to_string(),
        Why::ReadParentEof => format!(
            "{actor}'s loop reads the channel: its parent's end is closed (it disconnected or died), so it reads end of file."
        ),
        Why::CloseParentChannel => format!(
            "{actor} closes its end of the channel to its parent."
        ),
        Why::ProgramWrites => format!(
            "{actor}, a program spawned by node, writes: the scenario says what, since the model does not run the program."
        ),
        Why::ProgramExits => format!(
            "{actor}, a program spawned by node, exits: the scenario says when, since the model does not run the program."
        ),
        Why::StdioSocketpair(slot) => format!(
            "libuv's uv_spawn in {actor} makes a socketpair for the child's 'pipe' stdio slot {slot} ({}): on Linux libuv uses socketpair(AF_UNIX, SOCK_STREAM), not pipe(2), for every 'pipe' slot (strace, node 20).",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::PlaceStdio(slot) => format!(
            "The child places its {} for the program: libuv dup2()s the socket's end onto fd {slot}, which the model's language has no call for; it clears close-on-exec instead, so the same socket end survives exec under its own fd number.",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::ExecProgram { command, stdio } => {
            let kept: Vec<String> = stdio
                .iter()
                .enumerate()
                .filter(|(_, s)| **s != Stdio::Pipe)
                .map(|(slot, s)| match s {
                    Stdio::Inherit => format!("fd {slot} is the parent's own ('inherit': fcntl(F_SETFD, 0))"),
                    _ => format!("fd {slot} is /dev/null ('ignore': close, then open)"),
                })
                .collect();
            let kept = match kept.is_empty() {
                true => String::new(),
                false => format!(" Before it, {}; the model holds neither.", kept.join(" and ")),
            };
            format!(
                "{actor} execs {command} (execvp, no shell: libuv tries each PATH directory). exec closes the close-on-exec fds, the error pipe's write end among them.{kept}"
            )
        }
        Why::CloseChildStdio(slot) => format!(
            "{actor} closes the child's end of its {} socketpair: the child holds it now.",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::ExecFailed { command } => format!(
            "execvp finds no {command} in any PATH directory (ENOENT): the child writes the errno, -2 (the 4 bytes feffffff), to the error pipe; this wakes the parent's read."
        ),
        Why::ReapFailed => format!(
            "uv_spawn in {actor} read an errno, not end of file: it reaps the child at once with a blocking waitpid (wait4(pid, 0), not WNOHANG) and returns the error."
        ),
        Why::ExitFailed => format!(
            "{actor} _exit(127)s, as libuv's child does when its exec failed: the parent's waitpid returns it, and SIGCHLD runs libuv's handler."
        ),
        Why::CloseStdin => format!(
            "node destroys the child's stdin stream: {actor} closes its end of it."
        ),
        Why::ReadOutput(slot) => format!(
            "{actor}'s loop reads the child's {} (up to {CHANNEL_READ} bytes): what is queued, or end of file.",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::DestroyOutput(slot) => format!(
            "The spawn failed, and exec's error handler destroys the child's {} without reading it: {actor} closes it.",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::PastMaxBuffer(slot) => format!(
            "exec's 'data' listener in {actor} holds more than maxBuffer bytes of the child's {}: it keeps the first maxBuffer and destroys stdout and stderr, closing each (node 20, measured).",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::MaxBufferKill => format!(
            "...and {actor} kills the child with SIGTERM (child.killed becomes true); the callback will get RangeError ERR_CHILD_PROCESS_STDIO_MAXBUFFER, only code and cmd set (node 20, measured). A program that exits by itself races this kill."
        ),
        Why::CloseOutput(slot) => format!(
            "{actor} closes the child's {} at its end of file.",
            STDIO_NAMES[usize::from(*slot)]
        ),
        Why::Worker(why) => super::worker::why(why, actor),
    }
}

/// The events a step emitted, in a sentence each: "In main, w emits
/// 'exit' (0, null)."
pub(crate) fn events(events: &[NodeEvent]) -> String {
    events
        .iter()
        .map(|e| {
            let object = if &*e.object == PROCESS_OBJECT {
                "process".to_string()
            } else if &*e.object == crate::scenario::worker_syntax::PARENT_PORT_OBJECT {
                "parentPort".to_string()
            } else if crate::node::state::stream_object(&e.object).is_some() {
                e.object.to_string()
            } else if e.worker {
                format!("Worker {}", e.object)
            } else {
                format!("child object {}", e.object)
            };
            if e.event == NodeEventName::Callback {
                // Not an event: exec's callback, told as one for the expects.
                return format!(
                    "In {}, the callback of {} is called with ({}).",
                    e.process,
                    e.object,
                    e.args.join(", ")
                );
            }
            format!("In {}, {object} emits {}.", e.process, e.call())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// ", N bytes of each at most" when exec's or execFile's options give a
/// maxBuffer (the 1 MiB default goes unsaid).
fn at_most(options: &Option<Box<crate::scenario::node_syntax::NodeValue>>) -> String {
    match options {
        Some(_) => format!(", {} bytes of each at most", NodeStmt::max_buffer(options)),
        None => String::new(),
    }
}

/// What a Node statement does, in a sentence, before its events; `world`
/// is the world it starts on (a channel's serialization).
pub(crate) fn what(world: &crate::world::World, stmt: &Statement) -> String {
    match &stmt.kind {
        StatementKind::NodeProcess { name } => {
            format!("{name} starts running node: a process, and its libuv loop's signal pipe.")
        }
        StatementKind::Node { actor, stmt } => match stmt {
            NodeStmt::Fork {
                child,
                module,
                options,
            } => {
                let how = match NodeStmt::advanced(options) {
                    true => " whose messages are V8-serialized, each after its 4-byte length (serialization: 'advanced')",
                    false => "",
                };
                let options = options
                    .as_ref()
                    .map_or_else(String::new, |o| format!(", {}", o.text));
                format!(
                    "{actor} calls child_process.fork({}{options}): libuv spawns {child}, a new node with an IPC channel to {actor}{how}.",
                    module.text
                )
            }
            NodeStmt::Spawn {
                via: Via::Exec,
                child,
                command,
                options,
                ..
            } => format!(
                "{actor} calls child_process.exec({}{}): libuv spawns {child} to exec {SHELL} -c with that command line; node buffers its stdout and stderr for the callback{}.",
                command.text,
                options.as_ref().map_or_else(String::new, |o| format!(", {}", o.text)),
                at_most(options),
            ),
            // "to exec": the exec may fail (ENOENT), which the events say.
            NodeStmt::Spawn { via, child, command, args, options } => format!(
                "{actor} calls child_process.{}({}): libuv spawns {child} to exec {} with no shell and {}{}.",
                via.function(),
                [Some(command), args.as_deref(), options.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(|v| v.text.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                NodeStmt::command_of(command),
                match NodeStmt::ipc_slot(options) {
                    Some(fd) => format!("an IPC channel on fd {fd}"),
                    None => "no IPC channel".to_string(),
                },
                match via.buffers() {
                    true => format!("; node buffers its stdout and stderr for the callback{}", at_most(options)),
                    false => String::new(),
                }
            ),
            NodeStmt::Send { to, message, more } => {
                let channel = match to {
                    NodeObject::Child { name } => world
                        .node()
                        .proc(&actor.text)
                        .and_then(|p| p.children.get(name.text.as_str()))
                        .and_then(|c| c.channel.clone()),
                    NodeObject::Process | NodeObject::ParentPort => world
                        .node()
                        .proc(&actor.text)
                        .and_then(|p| p.parent_channel.clone()),
                };
                let advanced = channel.is_some_and(|c| world.node().advanced(&c));
                let to = match to {
                    NodeObject::Child { name } => name.to_string(),
                    NodeObject::Process | NodeObject::ParentPort => format!("{actor}'s parent"),
                };
                let written = |v: &crate::node::JsValue| match advanced {
                    true => crate::node::advanced::frame(v),
                    false => crate::node::json::stringify(v).map(String::into_bytes),
                };
                if !more.is_empty() {
                    let sizes: Vec<String> = std::iter::once(message)
                        .chain(more)
                        .map(|m| match written(&m.value) {
                            Ok(bytes) => count(bytes.len() as u64, "byte", "bytes"),
                            Err(e) => format!("a throw ({e})"),
                        })
                        .collect();
                    return format!(
                        "{actor} calls send() {} times for {to} in one tick, before {to}'s loop can read: {}.",
                        sizes.len(),
                        crate::words::list(&sizes)
                    );
                }
                match written(&message.value) {
                    Ok(bytes) => format!(
                        "{actor} sends a message to {to} on the IPC channel: {}.",
                        count(bytes.len() as u64, "byte", "bytes")
                    ),
                    Err(e) => format!(
                        "{actor} calls send() for {to}, which throws {e}: nothing is written."
                    ),
                }
            }
            NodeStmt::Exit { code } => {
                format!("{actor} calls process.exit({}).", NodeStmt::exit_code(code))
            }
            NodeStmt::Kill { child, signal } => format!(
                "{actor} kills {child} with {}.",
                NodeStmt::kill_signal(signal)
            ),
            NodeStmt::Disconnect { on } => match on {
                NodeObject::Child { name } => {
                    format!("{actor} calls {name}.disconnect(): it closes its IPC channel to {name}.")
                }
                NodeObject::Process | NodeObject::ParentPort => format!(
                    "{actor} calls process.disconnect(): it closes its IPC channel to its parent."
                ),
            },
            NodeStmt::Array { .. }
            | NodeStmt::Worker { .. }
            | NodeStmt::Store { .. }
            | NodeStmt::Load { .. }
            | NodeStmt::Post { .. } => super::worker::what(&actor.text, stmt),
        },
        StatementKind::Op {
            actor,
            op: crate::scenario::ast::Op::Send { .. },
        } => format!("{actor}, a spawned program, writes on its output."),
        StatementKind::Op { actor, .. } => format!(
            "{actor}, a spawned program, exits; its parent's loop follows."
        ),
        _ => String::new(),
    }
}

/// A group's line: what its statement does (`what`), then its Node
/// events told, or that it emitted none.
pub(crate) fn group<'a>(what: &str, all: impl IntoIterator<Item = &'a NodeEvent>) -> String {
    let all: Vec<NodeEvent> = all.into_iter().cloned().collect();
    let told = if all.is_empty() {
        "No Node event is emitted.".to_string()
    } else {
        events(&all)
    };
    if what.is_empty() {
        told
    } else {
        format!("{what} {told}")
    }
}
