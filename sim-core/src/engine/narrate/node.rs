//! The Node layer's sentences: why node or libuv makes each kernel step of
//! a Node statement's group (`why`), and the Node events a step emitted
//! (`events`), from which a group's own line is told (`group`). The kernel
//! step keeps its own narration beside these.

use crate::node::expand::{Why, CHANNEL_READ, SIGNAL_MESSAGE, SIGNAL_READ};
use crate::node::state::NodeEvent;
use crate::scenario::ast::{Statement, StatementKind};
use crate::scenario::node_syntax::{NodeObject, NodeStmt, PROCESS_OBJECT};
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
        Why::ReadChannel => format!(
            "{actor}'s loop reads the channel (up to {CHANNEL_READ} bytes) and splits what it read on newlines."
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
            } else if e.worker {
                format!("Worker {}", e.object)
            } else {
                format!("child object {}", e.object)
            };
            format!("In {}, {object} emits {}.", e.process, e.call())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a Node statement does, in a sentence, before its events.
pub(crate) fn what(stmt: &Statement) -> String {
    match &stmt.kind {
        StatementKind::NodeProcess { name } => format!(
            "{name} starts running node: a process, and its libuv loop's signal pipe."
        ),
        StatementKind::Node { actor, stmt } => match stmt {
            NodeStmt::Fork { child, module } => format!(
                "{actor} calls child_process.fork({}): libuv spawns {child}, a new node with an IPC channel to {actor}.",
                module.text
            ),
            NodeStmt::Send { to, message } => {
                let to = match to {
                    NodeObject::Child { name } => name.to_string(),
                    NodeObject::Process | NodeObject::ParentPort => format!("{actor}'s parent"),
                };
                match crate::node::json::stringify(&message.value) {
                    Ok(line) => format!(
                        "{actor} sends a message to {to} on the IPC channel: {}.",
                        count(line.len() as u64, "byte", "bytes")
                    ),
                    Err(e) => format!(
                        "{actor} calls send() for {to}, which throws {e}: nothing is written."
                    ),
                }
            }
            NodeStmt::Exit { code } => format!(
                "{actor} calls process.exit({}).",
                NodeStmt::exit_code(code)
            ),
            NodeStmt::Kill { child, signal } => format!(
                "{actor} kills {child} with {}.",
                NodeStmt::kill_signal(signal)
            ),
            NodeStmt::Array { .. }
            | NodeStmt::Worker { .. }
            | NodeStmt::Store { .. }
            | NodeStmt::Load { .. }
            | NodeStmt::Post { .. } => super::worker::what(&actor.text, stmt),
        },
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
