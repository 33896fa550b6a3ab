//! libuv's uv_spawn, the steps `fork()` and `spawn()` share (node 20's
//! strace): the socketpairs of the 'pipe' and 'ipc' stdio slots, in slot
//! order; the SIGCHLD watcher on the first spawn; the error pipe; fork;
//! the child's signal resets and its fds placed on their slots; and, for a
//! node child (fork(), or spawn() of node with an 'ipc' slot), its exec of
//! node and the new node's first steps. Part of the expansion
//! (`expand.rs`), whose plan it adds to; `spawn.rs` plans a program's
//! exec.

use super::{channel, error_pipe, signal_pipe, stdio_pair, Effect, Plan, Why, ERROR_READ};
use crate::ipc::end_name::Which;
use crate::ipc::pipe::PipeEnd;
use crate::ipc::socket::Side;
use crate::scenario::ast::{Action, Name, Op};
use crate::scenario::node_syntax::Stdio;
use crate::sig::Signal;
use crate::world::World;

/// `const CHILD = child_process.fork(MODULE)` in `actor`: a spawn of node
/// whose one socketpair is the 'ipc' slot's.
pub(super) fn fork(
    world: &World,
    plan: &mut Plan,
    actor: &Name,
    child: &Name,
    watching: bool,
    advanced: bool,
) {
    let parent = actor.text.as_str();
    let c = child.text.as_str();
    let pairs = [Pair::Channel];
    socketpairs(plan, parent, c, &pairs);
    uv_spawn(
        world,
        plan,
        parent,
        child,
        watching,
        Effect::Forked {
            parent: parent.into(),
            child: c.into(),
            channel: Some(channel(c).into()),
            stdio: [Stdio::Inherit; 3],
            buffers: None,
            advanced,
        },
    );
    place(plan, c, &pairs);
    exec_node(plan, parent, c, &pairs, false);
}

/// A socketpair uv_spawn makes for a child: a 'pipe' stdio slot's (0 to
/// 2), or the 'ipc' slot's, the channel. They are made, placed and closed
/// in slot order (strace: socketpair for fds 0 to 3, dup2 onto 0 to 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::node) enum Pair {
    Stdio(u8),
    Channel,
}

impl Pair {
    fn object(self, child: &str) -> String {
        match self {
            Pair::Stdio(slot) => stdio_pair(child, usize::from(slot)),
            Pair::Channel => channel(child),
        }
    }
}

/// uv_spawn's socketpairs (AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC), before
/// the error pipe.
pub(in crate::node) fn socketpairs(plan: &mut Plan, parent: &str, child: &str, pairs: &[Pair]) {
    for &p in pairs {
        let pair = plan.name(&p.object(child));
        let why = match p {
            Pair::Stdio(slot) => Why::StdioSocketpair(slot),
            Pair::Channel => Why::IpcSocketpair,
        };
        plan.op(
            parent,
            Op::Socketpair {
                pair,
                dgram: false,
                cloexec: true,
            },
            why,
            Effect::None,
        );
    }
}

/// The child places each socket end on its slot before exec (dup2, not in
/// the language: the end is kept over exec under its own number).
pub(in crate::node) fn place(plan: &mut Plan, child: &str, pairs: &[Pair]) {
    for &p in pairs {
        let end = plan.end(&p.object(child), Which::Sock(Side::One));
        let why = match p {
            Pair::Stdio(slot) => Why::PlaceStdio(slot),
            Pair::Channel => Why::PlaceChannel,
        };
        plan.op(child, Op::Cloexec { end, on: false }, why, Effect::None);
    }
}

/// Once the child's exec has returned control, the parent closes the
/// child's socket ends.
pub(in crate::node) fn close_child_ends(
    plan: &mut Plan,
    parent: &str,
    child: &str,
    pairs: &[Pair],
) {
    for &p in pairs {
        let end = plan.end(&p.object(child), Which::Sock(Side::One));
        let why = match p {
            Pair::Stdio(slot) => Why::CloseChildStdio(slot),
            Pair::Channel => Why::CloseChildEnd,
        };
        plan.op(parent, Op::Close { end }, why, Effect::None);
    }
}

/// The child execs node (fork(), or spawn() of node with an 'ipc' slot):
/// 'spawn'; the parent closes the error pipe and the child's ends; the new
/// node marks its channel close-on-exec and makes its signal pipe.
/// `channel_on_stdio`: the channel is the child's fd 0, 1 or 2.
pub(in crate::node) fn exec_node(
    plan: &mut Plan,
    parent: &str,
    c: &str,
    pairs: &[Pair],
    channel_on_stdio: bool,
) {
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
            channel_on_stdio,
        },
    );
    let end = plan.end(&error_pipe(c), Which::Pipe(PipeEnd::Read));
    plan.op(parent, Op::Close { end }, Why::CloseErrorRead, Effect::None);
    close_child_ends(plan, parent, c, pairs);
    // The new node marks its channel fd close-on-exec early in its start,
    // before its loop makes its signal pipe (node 20's strace:
    // fcntl(3, F_SETFD, FD_CLOEXEC), then pipe2).
    let end = plan.end(&channel(c), Which::Sock(Side::One));
    plan.op(
        c,
        Op::Cloexec { end, on: true },
        Why::ChannelCloexec,
        Effect::None,
    );
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
}

/// What uv_spawn does for `fork()` and `spawn()` alike once the stdio
/// socketpairs are made: starts the SIGCHLD watcher on the first spawn
/// (uv_signal_start, whose rt_sigaction comes before the error pipe: node
/// 20's strace shows socketpair, rt_sigaction(SIGCHLD), pipe2, clone),
/// makes the close-on-exec error pipe, forks (`forked`, the child object's
/// effect), closes the pipe's write end and reads its read end, asleep
/// until the child's exec; then the child's setup (`child_setup`).
pub(in crate::node) fn uv_spawn(
    world: &World,
    plan: &mut Plan,
    parent: &str,
    child: &Name,
    watching: bool,
    forked: Effect,
) {
    let c = child.text.as_str();
    let err = error_pipe(c);
    // uv_spawn starts the SIGCHLD watcher (uv_signal_start, whose
    // rt_sigaction is made on the first spawn only) before it makes the
    // error pipe in uv__spawn_and_init_child (node 20's strace: socketpair,
    // rt_sigaction(SIGCHLD), pipe2, clone).
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
    plan.op(
        parent,
        Op::Fork {
            child: child.clone(),
        },
        Why::Fork,
        forked,
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
    child_setup(world, plan, parent, c, watching);
}

/// What libuv's child does before it places its stdio: it starts with
/// its parent's signal actions and mask (and SIGCHLD's handler, if this
/// spawn installs it), resets each changed signal to SIG_DFL and empties
/// the mask.
fn child_setup(world: &World, plan: &mut Plan, parent: &str, c: &str, watching: bool) {
    let signals = world
        .pid_of(parent)
        .map(|pid| world.proc(pid).signals.clone());
    let mut changed: Vec<Signal> = signals
        .as_ref()
        .map(|s| s.dispositions().map(|(sig, _)| sig).collect())
        .unwrap_or_default();
    if !watching && !changed.contains(&Signal::SIGCHLD) {
        changed.push(Signal::SIGCHLD);
        crate::sort::sort(&mut changed);
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
}
