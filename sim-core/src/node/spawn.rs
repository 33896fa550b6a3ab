//! `child_process.spawn(COMMAND, ARGS, {stdio})` expanded into the kernel
//! steps libuv makes for it, as measured with `strace -f` on node 20.20
//! here (its facts are in the comments below and in
//! docs/scenario-language.md "Node statements"); and the stdio streams'
//! part of the chain after a spawned child dies.
//!
//! What the model cannot know it does not invent: it does not run the
//! program, so a spawned child is a plain process that the scenario drives
//! with kernel statements (what it writes, when it exits); whether the
//! command exists is decided by a short list of the programs every Linux
//! has (`program_exists`), since the model searches no PATH. What the
//! kernel language cannot say (dup2, opening /dev/null) is told, not
//! invented: a 'pipe' slot's socket end is kept over exec by `cloexec ...
//! off` under its own fd number, the same socket the child's fd 0, 1 or 2
//! would be.

use super::expand::{
    channel, close_child_ends, error_pipe, exec_node, place, signal_pipe, socketpairs, stdio_pair,
    Pair, Plan, Why, CHANNEL_READ, ERROR_READ, SIGNAL_MESSAGE, SIGNAL_READ,
};
use super::state::Effect;
use crate::ipc::end_name::Which;
use crate::ipc::pipe::PipeEnd;
use crate::ipc::socket::Side;
use crate::scenario::ast::{Name, Op, Payload};
use crate::scenario::node_syntax::{NodeStmt, NodeValue, Stdio, Via, SHELL};
use crate::world::World;

/// The programs the model takes to be on PATH: POSIX utilities every
/// Linux has, and node. Any other command is missing (ENOENT), as
/// `forkscope check --node` then sees on the real machine.
const ON_PATH: [&str; 12] = [
    "sh", "echo", "cat", "true", "false", "ls", "sleep", "yes", "head", "printf", "env", "node",
];

/// Whether `command` is node (by name, or under /bin or /usr/bin): a
/// spawn with an 'ipc' slot runs only node here.
pub(crate) fn is_node(command: &str) -> bool {
    program_exists(command) && command.rsplit('/').next() == Some("node")
}

/// The directories a command may be named in by its full path.
const BIN_DIRS: [&str; 2] = ["/bin/", "/usr/bin/"];

/// Whether the model takes `command` to exist: a name in `ON_PATH`, or
/// such a name under /bin or /usr/bin.
pub(crate) fn program_exists(command: &str) -> bool {
    let name = BIN_DIRS
        .iter()
        .find_map(|dir| command.strip_prefix(dir))
        .unwrap_or(command);
    (name == command || !name.contains('/')) && ON_PATH.contains(&name)
}

/// The errno uv_spawn reads from the error pipe when execvp finds no such
/// program: -ENOENT, the 4 bytes `feffffff` (strace).
const ENOENT: i32 = -2;
/// The status libuv's child exits with when its exec failed (_exit(127)).
const EXEC_FAILED_STATUS: i32 = 127;

/// `const CHILD = child_process.spawn(COMMAND, ..., OPTIONS)` in `actor`
/// (or exec or execFile: `via`): OPTIONS' stdio, or maxBuffer.
pub(super) fn spawn(
    world: &World,
    plan: &mut Plan,
    actor: &Name,
    child: &Name,
    via: Via,
    command: &str,
    options: &Option<Box<NodeValue>>,
) {
    let stdio = NodeStmt::stdio(options);
    // Whether an earlier spawn of this parent installed libuv's handler.
    let watching = world
        .node()
        .proc(&actor.text)
        .is_some_and(|p| p.watching_sigchld);
    // exec runs `/bin/sh -c COMMAND`; exec and execFile pipe all three
    // slots, whose output they buffer for the callback.
    let (command, stdio) = match via {
        Via::Spawn => (command, stdio),
        Via::Exec => (SHELL, [Stdio::Pipe; 3]),
        Via::ExecFile => (command, [Stdio::Pipe; 3]),
    };
    let parent = actor.text.as_str();
    let c = child.text.as_str();
    let piped: Vec<usize> = (0..3).filter(|&slot| stdio[slot] == Stdio::Pipe).collect();
    // An 'ipc' slot (spawn of node only) makes the child a node with a
    // channel, as fork()'s; its socketpair comes in slot order with the
    // 'pipe' slots' (strace: socketpair for fds 0, 1, 2, then 3).
    let ipc = match via {
        Via::Spawn => NodeStmt::ipc_slot(options),
        Via::Exec | Via::ExecFile => None,
    };
    let pairs: Vec<Pair> = (0..4u8)
        .filter_map(
            |slot| match (Some(slot) == ipc, piped.contains(&usize::from(slot))) {
                (true, _) => Some(Pair::Channel),
                (false, true) => Some(Pair::Stdio(slot)),
                (false, false) => None,
            },
        )
        .collect();
    socketpairs(plan, parent, c, &pairs);
    super::expand::uv_spawn(
        world,
        plan,
        parent,
        child,
        watching,
        Effect::Forked {
            parent: parent.into(),
            child: c.into(),
            channel: ipc.map(|_| channel(c).into()),
            stdio,
            buffers: via.buffers().then(|| NodeStmt::max_buffer(options)),
            advanced: false,
        },
    );
    // The child dup2()s each socket end onto its slot (strace: dup2(20, 0)),
    // keeps an inherited fd (fcntl(F_SETFD, 0)) and opens /dev/null for
    // 'ignore', all before execvp: even a failing exec has done this.
    place(plan, c, &pairs);
    if let Some(slot) = ipc {
        exec_node(plan, parent, c, &pairs, slot < 3);
        return;
    }
    if program_exists(command) {
        plan.op(
            c,
            Op::Exec {
                program: command.into(),
            },
            Why::ExecProgram {
                command: command.into(),
                stdio,
            },
            Effect::ProgramExeced {
                parent: parent.into(),
                child: c.into(),
            },
        );
        let end = plan.end(&error_pipe(c), Which::Pipe(PipeEnd::Read));
        plan.op(parent, Op::Close { end }, Why::CloseErrorRead, Effect::None);
        close_child_ends(plan, parent, c, &pairs);
    } else {
        failed_exec(world, plan, parent, c, command, &piped, via.buffers());
    }
}

/// execvp finds no `command`: the child writes -ENOENT to the error pipe
/// and _exit(127)s; uv_spawn reads the errno and reaps the child at once
/// with a blocking wait4(pid, 0); the SIGCHLD handler still writes its
/// message. Then the parent closes the error pipe and the child's socket
/// ends, destroys stdin, emits 'error', reads stdout and stderr to end of
/// file, and emits 'close' with (-2, null): no 'spawn', no 'exit'.
fn failed_exec(
    world: &World,
    plan: &mut Plan,
    parent: &str,
    c: &str,
    command: &str,
    piped: &[usize],
    buffers: bool,
) {
    let err = error_pipe(c);
    let end = plan.end(&err, Which::Pipe(PipeEnd::Write));
    plan.op(
        c,
        Op::Send {
            end,
            payload: Payload::Bytes(ERROR_READ),
            nonblock: false,
        },
        Why::ExecFailed {
            command: command.into(),
        },
        Effect::None,
    );
    let target = plan.name(c);
    plan.op(
        parent,
        Op::Wait {
            child: Some(target),
            nohang: false,
        },
        Why::ReapFailed,
        Effect::None,
    );
    plan.op(
        c,
        Op::Exit {
            code: EXEC_FAILED_STATUS,
        },
        Why::ExitFailed,
        Effect::None,
    );
    // The handler is libuv's whenever this spawn or an earlier one
    // installed it; the loop's signal pipe is the parent's.
    let sig = world
        .node()
        .proc(parent)
        .map(|p| p.signal_pipe.to_string())
        .unwrap_or_else(|| signal_pipe(parent));
    let end = plan.end(&sig, Which::Pipe(PipeEnd::Write));
    plan.op(
        parent,
        Op::Send {
            end,
            payload: Payload::Bytes(SIGNAL_MESSAGE),
            nonblock: true,
        },
        Why::HandlerWrites,
        Effect::None,
    );
    let end = plan.end(&err, Which::Pipe(PipeEnd::Read));
    plan.op(parent, Op::Close { end }, Why::CloseErrorRead, Effect::None);
    for &slot in piped {
        let end = plan.end(&stdio_pair(c, slot), Which::Sock(Side::One));
        plan.op(
            parent,
            Op::Close { end },
            Why::CloseChildStdio(slot as u8),
            Effect::None,
        );
    }
    // 'error' comes once uv_spawn returned and stdin is destroyed (strace:
    // its write after these closes): on the stdin close, or on the last
    // close when no stdin is piped.
    let stdin = piped.contains(&0);
    if stdin {
        let end = plan.end(&stdio_pair(c, 0), Which::Sock(Side::Zero));
        plan.op(parent, Op::Close { end }, Why::CloseStdin, Effect::None);
    }
    if let Some(last) = plan.steps.last_mut() {
        last.effect = Effect::SpawnFailed {
            parent: parent.into(),
            child: c.into(),
            errno: ENOENT,
            code: "ENOENT",
            stdin_closed: stdin,
        };
    }
    let stdio = [0, 1, 2].map(|slot| match piped.contains(&slot) {
        true => Stdio::Pipe,
        false => Stdio::Inherit,
    });
    if buffers {
        // exec's and execFile's error handler destroys stdout and stderr
        // without reading them (node's child_process.js errorhandler;
        // strace shows no read).
        for slot in [1u8, 2] {
            close_output(plan, parent, c, slot, Why::DestroyOutput(slot));
        }
    } else {
        // A failed spawn's streams hold nothing: each reads end of file.
        read_outputs_to_eof(plan, parent, c, &stdio);
    }
    // The loop reads the handler's message; no waitpid follows, since a
    // failed spawn never joined the loop's process queue (strace).
    let end = plan.end(&sig, Which::Pipe(PipeEnd::Read));
    plan.op(
        parent,
        Op::Recv {
            end,
            max: SIGNAL_READ,
            nonblock: true,
        },
        Why::LoopReadsSignal,
        Effect::None,
    );
}

/// The parent's loop reads the child's stdout and stderr streams ('pipe'
/// slots; libuv reads up to 64 KiB) before its signal watcher runs, and
/// closes each at its end of file ('end' on a spawn's stream). What is
/// still queued comes in the same read: libuv takes a short read with
/// POLLHUP for the end (strace, node 20: read(21, "hi\n"), close(21)).
pub(super) fn read_outputs_to_eof(plan: &mut Plan, parent: &str, child: &str, stdio: &[Stdio; 3]) {
    for slot in [1u8, 2] {
        if stdio[usize::from(slot)] == Stdio::Pipe {
            read_output(plan, parent, child, slot);
            close_output(plan, parent, child, slot, Why::CloseOutput(slot));
        }
    }
}

/// A spawned program wrote `written` bytes on its stdout or stderr
/// (`slot`). A spawn()'s stream is read as it comes: the parent's loop
/// reads what is queued, 64 KiB at a time, and the stream emits 'data'
/// with each chunk (the model's streams have a 'data' listener, as
/// `forkscope check --node`'s harness has). On the kernel, writes that
/// come before the loop reads are one read (a race with the scheduler:
/// scenarios that check --node holds to node have one write per stream
/// between the loop's turns, and a program that waits after writing, so
/// that its end of file is a read of its own). exec's and execFile's
/// output is read past maxBuffer only (`past_max_buffer`).
pub(super) fn read_written(world: &World, plan: &mut Plan, child: &str, slot: u8, written: u64) {
    let Some(pid) = world.pid_of(child) else {
        return;
    };
    let parent_pid = world.proc(pid).parent;
    let parent = world.name_of(parent_pid).to_string();
    let object = world
        .node()
        .proc(&parent)
        .and_then(|p| p.children.get(child));
    if world.proc(parent_pid).state.is_dead() || object.is_none() {
        return;
    }
    if object.is_some_and(|c| c.output.is_some()) {
        return past_max_buffer(world, plan, child, slot, written);
    }
    let pair = stdio_pair(child, usize::from(slot));
    let queued = world.node().unread(&pair, 0).len() as u64 + written;
    for _ in 0..queued.div_ceil(CHANNEL_READ) {
        read_output(plan, &parent, child, slot);
    }
}

/// The parent's loop reads a child's stdout (1) or stderr (2), up to 64
/// KiB.
fn read_output(plan: &mut Plan, parent: &str, child: &str, slot: u8) {
    let pair = stdio_pair(child, usize::from(slot));
    let end = plan.end(&pair, Which::Sock(Side::Zero));
    plan.op(
        parent,
        Op::Recv {
            end,
            max: CHANNEL_READ,
            nonblock: false,
        },
        Why::ReadOutput(slot),
        Effect::ReadOutput {
            parent: parent.into(),
            child: child.into(),
            channel: pair.as_str().into(),
            slot,
        },
    );
}

/// A program spawned by exec or execFile wrote `written` bytes on its
/// stdout or stderr (`slot`): if node now holds more than maxBuffer of
/// that stream, its exec kills the child (lib/child_process.js, exec's
/// kill()): the parent's loop reads what is queued (the other stream's
/// bytes first, which node read as they came), keeps the first maxBuffer
/// bytes, destroys stdout and stderr and sends SIGTERM; the child's death
/// follows as any child's does, with no stream left to read.
///
/// Below maxBuffer nothing is planned: the model reads a program's output
/// at its death (`read_outputs_to_eof`), since on the kernel how many
/// reads node makes is a race (a read may take two writes at once, and
/// one that finds the writer gone ends the stream with no read of end of
/// file), and the reads claimed at the death are found in every order.
/// Past maxBuffer the race is gone only if the program is still alive
/// when SIGTERM comes: one that writes and exits by itself races the
/// kill (node 20 once gave 'exit' (1, null) for exec('yes', {maxBuffer:
/// 4})), so a scenario has it wait after its write (`read x` in its shell
/// line: node keeps its stdin open).
fn past_max_buffer(world: &World, plan: &mut Plan, child: &str, slot: u8, written: u64) {
    let Some(pid) = world.pid_of(child) else {
        return;
    };
    let parent_pid = world.proc(pid).parent;
    if world.proc(parent_pid).state.is_dead() {
        return;
    }
    let parent = world.name_of(parent_pid).to_string();
    let object = world
        .node()
        .proc(&parent)
        .and_then(|p| p.children.get(child));
    let Some(out) = object.and_then(|c| c.output.as_ref()) else {
        return;
    };
    // What a stream has queued (with this write) and node holds of it.
    let queued = |stream: u8| {
        let unread = world
            .node()
            .unread(&stdio_pair(child, usize::from(stream)), 0)
            .len() as u64;
        unread + if stream == slot { written } else { 0 }
    };
    let held = |stream: u8| out.bytes[usize::from(stream) - 1].len() as u64;
    if out.exceeded.is_some() || held(slot) + queued(slot) <= out.max {
        return;
    }
    // The loop reads 64 KiB at a time; the stream past maxBuffer only
    // until node holds more than maxBuffer.
    for stream in [3 - slot, slot] {
        let mut read = 0;
        while read < queued(stream) && (stream != slot || held(slot) + read <= out.max) {
            read_output(plan, &parent, child, stream);
            read += CHANNEL_READ.min(queued(stream) - read);
        }
    }
    for stream in [1u8, 2] {
        close_output(plan, &parent, child, stream, Why::PastMaxBuffer(slot));
    }
    let target = plan.name(child);
    plan.op(
        &parent,
        Op::Kill {
            target,
            signal: crate::sig::Signal::SIGTERM,
        },
        Why::MaxBufferKill,
        Effect::None,
    );
    super::expand::after_death(world, plan, child, false);
}

fn close_output(plan: &mut Plan, parent: &str, child: &str, slot: u8, why: Why) {
    let end = plan.end(
        &stdio_pair(child, usize::from(slot)),
        Which::Sock(Side::Zero),
    );
    plan.op(
        parent,
        Op::Close { end },
        why,
        Effect::StreamClosed {
            parent: parent.into(),
            child: child.into(),
        },
    );
}

/// After 'exit' is due, node destroys the child's stdin stream (a 'pipe'
/// slot 0): the parent closes its end.
pub(super) fn close_stdin(plan: &mut Plan, parent: &str, child: &str, stdio: &[Stdio; 3]) {
    if stdio[0] == Stdio::Pipe {
        let end = plan.end(&stdio_pair(child, 0), Which::Sock(Side::Zero));
        plan.op(
            parent,
            Op::Close { end },
            Why::CloseStdin,
            Effect::StreamClosed {
                parent: parent.into(),
                child: child.into(),
            },
        );
    }
}
