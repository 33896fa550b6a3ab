//! The generator of the differential test: random scenarios, drawn line by
//! line from a seed, that the model runs to their end.
//!
//! Every rule of what a random scenario is made of lives in this module:
//! - the kinds of line and their weights (`KINDS`), each drawn by one
//!   function that looks at the world the lines before it left in the model
//!   (only a running process acts; it names its own regions and fds, known
//!   processes and objects);
//! - the episodes that string lines together (`Planned`, episodes.rs): a call that
//!   sleeps and the step that wakes it, a stop with signals sent while
//!   stopped and the SIGCONT, several signals made pending at once and
//!   then unblocked, a write that raises SIGPIPE, an exec with handlers,
//!   SIG_IGN, a mask and pending signals, libuv's spawn (a close-on-exec
//!   pipe whose reader sleeps until the child's exec closes the last
//!   writer, then SIGCHLD and `wait nohang`);
//! - the races the kernel's scheduler decides, which are never drawn
//!   (`socket_race`, `racy`).
//!
//! A line the parser or the model rejects is dropped and another one is
//! drawn (so a number a parser of today refuses costs a draw, not a run).

use sim_core::engine::Sim;
use sim_core::ipc::end_name::{EndName, Which};
use sim_core::ipc::fd::EndRef;
use sim_core::ipc::pipe::PipeEnd;
use sim_core::ipc::socket::{Side, SockType};
use sim_core::proc::{BlockedOn, ProcState, Process};
use sim_core::sig::Signal;
use sim_core::signal::Disposition;
use sim_core::world::World;
use std::collections::{BTreeSet, VecDeque};

mod episodes;

const MAX_PROCS: usize = 6;
const MAX_OBJECTS: usize = 4;
const MAX_REGIONS: usize = 3;
/// send and recv sizes: a byte, a small message, a page, a little more,
/// more than a pipe holds (65536) and more than a socket's default sndbuf
/// allows (212992, /proc/sys/net/core/wmem_default).
const SIZES: [u64; 6] = [1, 100, 4096, 5000, 70_000, 300_000];
/// F_SETPIPE_SZ sizes: below a page (rounds up to one), the default 65536,
/// and 1 MiB (/proc/sys/fs/pipe-max-size).
const PIPE_SIZES: [i64; 6] = [1, 4096, 8192, 16_384, 65_536, 1 << 20];
/// SO_SNDBUF values: below the floor (SOCK_MIN_SNDBUF), a page, and the
/// default 212992.
const SNDBUFS: [i64; 4] = [1, 4096, 100_000, 212_992];
/// Sizes beyond 1 GiB, and negative ones: F_SETPIPE_SZ and SO_SNDBUF
/// take a C int, which fcntl(2) reads as an unsigned int (pipe_fcntl) and
/// setsockopt(2) as a signed one (a negative SO_SNDBUF is wmem_max), so
/// these probe the kernel's clamping and sign rules. (A number beyond an
/// int the parser refuses, and is not drawn.)
const HUGE: [i64; 5] = [
    (1 << 30) + 1,
    2_000_000_000,
    i32::MAX as i64,
    -1,
    i32::MIN as i64,
];
/// Every signal a line may name.
const SIGNALS: [&str; 13] = [
    "SIGTERM",
    "SIGUSR1",
    "SIGUSR2",
    "SIGHUP",
    "SIGCHLD",
    "SIGSTOP",
    "SIGCONT",
    "SIGKILL",
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGPIPE",
    "SIGINT",
];
/// Signals that can be caught, blocked and left pending: standard ones
/// (which coalesce) and real-time ones (which queue).
const CATCHABLE: [&str; 9] = [
    "SIGTERM",
    "SIGUSR1",
    "SIGUSR2",
    "SIGCHLD",
    "SIGPIPE",
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGINT",
];

/// What a scenario is mostly about: half its lines come from its focus.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Memory,
    Ipc,
    Signals,
}

/// A kind of line (or of episode) the generator draws.
#[derive(Clone, Copy)]
enum Kind {
    Mmap,
    Read,
    Write,
    Munmap,
    Fork,
    Exit,
    Wait,
    Exec,
    /// `thread T`: a thread of the process (clone with CLONE_THREAD),
    /// which the fork, exec and exit drawn around it must treat as such.
    Thread,
    /// `subreaper`: the process adopts its descendants' orphans, which
    /// the exits and waits drawn after it must find with it.
    Subreaper,
    Pipe,
    Socketpair,
    Close,
    /// `cloexec END on|off` (fcntl F_SETFD).
    Cloexec,
    Send,
    Recv,
    Resize,
    Disposition,
    Mask,
    Kill,
    /// The step that wakes a sleeper (a writer for a reader, a reader or a
    /// resize for a writer, an exit for a `wait`).
    Wake,
    /// A call that sleeps, then (through `Wake`) the step that wakes it.
    Sleep,
    /// SIGSTOP, signals sent while stopped, SIGCONT.
    Stop,
    /// Several signals blocked, made pending (by `kill`, by a process to
    /// itself, by a write) and unblocked.
    Pending,
    /// A write that raises SIGPIPE (a pipe or socket with no reader).
    Sigpipe,
    /// exec with handlers, SIG_IGN, a mask and pending signals.
    ExecSignals,
    /// libuv's spawn: a close-on-exec pipe, fork, the parent asleep
    /// reading it until the child's exec closes the last write end; then
    /// the child's exit, SIGCHLD to a full-mask handler, `wait nohang`.
    Spawn,
}

/// The kinds, their weights and groups: the mix of a random scenario.
const KINDS: [(Kind, usize, Group); 27] = [
    (Kind::Mmap, 5, Group::Memory),
    (Kind::Read, 5, Group::Memory),
    (Kind::Write, 6, Group::Memory),
    (Kind::Munmap, 3, Group::Memory),
    (Kind::Fork, 3, Group::Memory),
    (Kind::Exit, 2, Group::Signals),
    (Kind::Wait, 2, Group::Signals),
    (Kind::Exec, 1, Group::Memory),
    (Kind::Thread, 1, Group::Memory),
    (Kind::Subreaper, 1, Group::Signals),
    (Kind::Pipe, 1, Group::Ipc),
    (Kind::Socketpair, 1, Group::Ipc),
    (Kind::Close, 2, Group::Ipc),
    (Kind::Cloexec, 2, Group::Ipc),
    (Kind::Send, 3, Group::Ipc),
    (Kind::Recv, 3, Group::Ipc),
    (Kind::Resize, 4, Group::Ipc),
    (Kind::Disposition, 2, Group::Signals),
    (Kind::Mask, 2, Group::Signals),
    (Kind::Kill, 3, Group::Signals),
    (Kind::Wake, 10, Group::Ipc),
    (Kind::Sleep, 10, Group::Ipc),
    (Kind::Stop, 7, Group::Signals),
    (Kind::Pending, 5, Group::Signals),
    (Kind::Sigpipe, 6, Group::Signals),
    (Kind::ExecSignals, 5, Group::Signals),
    (Kind::Spawn, 4, Group::Ipc),
];

/// xorshift64*: small, deterministic, good enough to pick operations.
struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Mix the seed so that neighbouring seeds start far apart.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// A line of an episode, drawn when its turn comes.
enum Planned {
    /// This line, if its actor is still running then.
    Line(String),
    /// Whatever wakes a sleeper then (`Gen::wake`).
    Wake,
}

/// The state of one scenario's drawing.
struct Gen {
    rng: Rng,
    focus: Option<Group>,
    /// Makes new names unique (regions, objects, children).
    n: usize,
    plan: VecDeque<Planned>,
}

/// The scenario of `seed`: `process p0` and then 15..60 operations, each
/// one the model runs without a scenario error.
pub fn scenario(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let want = 15 + rng.below(46);
    let focus = match rng.below(4) {
        0 => Some(Group::Memory),
        1 => Some(Group::Ipc),
        2 => Some(Group::Signals),
        _ => None,
    };
    let mut gen = Gen {
        rng,
        focus,
        n: 0,
        plan: VecDeque::new(),
    };
    let mut text = format!("title random scenario {seed}\nprocess p0\n");
    let mut sim = run(&text).expect("the header parses");
    let (mut lines, mut draws) = (0, 0);
    while lines < want && draws < want * 4 {
        draws += 1;
        let Some(line) = gen.next_line(sim.current()) else {
            break;
        };
        let longer = format!("{text}{line}\n");
        let Some(tried) = run(&longer) else {
            continue;
        };
        if tried.error().is_none() && !racy(sim.current(), tried.current(), &line) {
            text = longer;
            sim = tried;
            lines += 1;
        }
    }
    text
}

/// Run `text` in the model to its end or its first scenario error; None
/// if it does not parse.
fn run(text: &str) -> Option<Sim> {
    let mut sim = Sim::from_source(text).ok()?;
    while let Ok(Some(_)) = sim.step() {}
    Some(sim)
}

/// Does the step from `before` to `after` (the line `line`) hang on a race
/// the kernel's scheduler decides?
///
/// A stopped child that SIGCONT continues sends its parent SIGCHLD
/// (CLD_CONTINUED) as it runs again, and then dequeues its pending
/// signals; if one kills it, its death sends a second SIGCHLD. The model
/// has them coalesce (the child runs on between the two), but on the
/// kernel the parent's wake-up can preempt the child between the two
/// notices, and a parent that handles SIGCHLD unblocked then runs its
/// handler twice (ARCHITECTURE.md, "When a signal takes effect"). With
/// SIGCHLD blocked, ignored or default in the parent, the count is the
/// same either way, so only that case is left out.
fn racy(before: &World, after: &World, line: &str) -> bool {
    if !line.ends_with(" SIGCONT") {
        return false;
    }
    before.procs().any(|child| {
        if !matches!(child.state, ProcState::Stopped { .. }) {
            return false;
        }
        let parent = before.proc(child.parent);
        after.proc(child.pid).state.is_dead()
            && !parent.is_init()
            && parent.signals.disposition(Signal::SIGCHLD) == Disposition::Handler
            && !parent.signals.blocked().contains(Signal::SIGCHLD)
    })
}

/// Would a blocking `op` on the socket `end` race with a call already
/// asleep (or stopped) there? A socket wakes its non-exclusive sleepers all
/// at once (a stream reader in unix_stream_data_wait, any sender in
/// sock_wait_for_wmem), and which of them runs first is the scheduler's
/// choice (ARCHITECTURE.md, "Who wakes first"). Datagram readers sleep
/// exclusively and take turns in the order they slept, as pipe sleepers
/// and `wait` do, so two of them are no race.
fn socket_race(w: &World, end: EndRef, op: &str) -> bool {
    let EndRef::Sock(id, side) = end else {
        return false;
    };
    let dgram = w.socks(id).kind() == SockType::Dgram;
    w.procs().any(|p| match call_of(p).map(|c| &c.on) {
        Some(BlockedOn::Recv {
            end: EndRef::Sock(i, s),
            ..
        }) if *i == id && *s == side => !(dgram && op == "recv"),
        Some(BlockedOn::Send {
            end: EndRef::Sock(i, s),
            ..
        }) => *i == id && *s == side,
        _ => false,
    })
}

/// The call a process is asleep in, or was when it stopped.
fn call_of(p: &Process) -> Option<&sim_core::proc::BlockedCall> {
    match &p.state {
        ProcState::Blocked(call) => Some(call),
        ProcState::Stopped { call, .. } => call.as_ref(),
        _ => None,
    }
}

/// Processes that can act now (not init, running between operations).
fn running(w: &World) -> Vec<&Process> {
    w.procs()
        .filter(|p| !p.is_init() && matches!(p.state, ProcState::Running))
        .collect()
}

/// Processes that are alive (not init, not a zombie or gone).
fn alive(w: &World) -> Vec<&Process> {
    w.procs()
        .filter(|p| !p.is_init() && !p.state.is_dead())
        .collect()
}

/// The distinct ends `p` holds an fd to.
fn ends_of(p: &Process) -> Vec<EndRef> {
    p.fds
        .iter()
        .map(|(_, end)| end)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The end a send on `end` puts bytes into the reach of, and a recv on
/// `end` takes them from: a pipe's other end, a socket's peer.
fn other_end(end: EndRef) -> EndRef {
    match end {
        EndRef::Pipe(id, PipeEnd::Read) => EndRef::Pipe(id, PipeEnd::Write),
        EndRef::Pipe(id, PipeEnd::Write) => EndRef::Pipe(id, PipeEnd::Read),
        EndRef::Sock(id, side) => EndRef::Sock(id, side.peer()),
    }
}

/// Running processes that hold `end`.
fn holders(w: &World, end: EndRef) -> Vec<&Process> {
    running(w)
        .into_iter()
        .filter(|p| p.fds.find(end).is_some())
        .collect()
}

/// The name of the pipe or socketpair of `end`.
fn object_of(w: &World, end: EndRef) -> String {
    let name = w.end_name(end);
    let end = EndName::parse(&name).expect("the world names its ends as the language does");
    end.object.to_string()
}

/// The ends of a new object, named before the world has it.
const READ: Which = Which::Pipe(PipeEnd::Read);
const WRITE: Which = Which::Pipe(PipeEnd::Write);
const SOCK0: Which = Which::Sock(Side::Zero);
const SOCK1: Which = Which::Sock(Side::One);

/// The end `which` of the object named `object`, as a line writes it.
fn end(object: &str, which: Which) -> String {
    EndName::new(object, which).to_string()
}

impl Gen {
    fn fresh(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    /// The next line for the world `w`, or None when no process can act.
    fn next_line(&mut self, w: &World) -> Option<String> {
        while let Some(planned) = self.plan.pop_front() {
            let line = match planned {
                Planned::Line(line) => {
                    let actor = line.split(':').next().expect("a line has an actor");
                    running(w).iter().any(|p| &*p.name == actor).then_some(line)
                }
                Planned::Wake => self.wake(w),
            };
            if line.is_some() {
                return line;
            }
        }
        if running(w).is_empty() {
            return None;
        }
        for _ in 0..20 {
            let kind = self.kind();
            if let Some(line) = self.draw(kind, w) {
                return Some(line);
            }
        }
        let me = &running(w)[0].name;
        Some(format!("{me}: signal SIGUSR1 handle"))
    }

    /// A kind, by weight; the scenario's focus weighs four times as much.
    fn kind(&mut self) -> Kind {
        let weight = |&(_, w, group): &(Kind, usize, Group)| {
            if Some(group) == self.focus {
                w * 4
            } else {
                w
            }
        };
        let total: usize = KINDS.iter().map(weight).sum();
        let mut at = self.rng.below(total);
        for entry in &KINDS {
            if at < weight(entry) {
                return entry.0;
            }
            at -= weight(entry);
        }
        unreachable!("`at` is below the sum of the weights")
    }

    /// A running process to act, chosen at random.
    fn actor<'w>(&mut self, w: &'w World) -> Option<&'w Process> {
        let actors = running(w);
        (!actors.is_empty()).then(|| *self.rng.pick(&actors))
    }

    /// A line of `kind`, or None if the world offers none now. An
    /// episode returns its first line and plans the others.
    fn draw(&mut self, kind: Kind, w: &World) -> Option<String> {
        let me = self.actor(w)?;
        let episode = match kind {
            Kind::Wake => return self.wake(w),
            Kind::Sleep => self.sleep(w, me),
            Kind::Stop => self.stop(w, me),
            Kind::Pending => self.pending(w, me),
            Kind::Sigpipe => self.sigpipe(w, me),
            Kind::ExecSignals => self.exec_signals(w, me),
            Kind::Spawn => self.spawn(w, me),
            _ => return self.single(kind, w, me),
        };
        let mut lines = episode?.into_iter();
        let first = lines.next()?;
        self.plan.extend(lines);
        match first {
            Planned::Line(line) => Some(line),
            Planned::Wake => self.wake(w),
        }
    }

    /// A line of a kind that is one line.
    fn single(&mut self, kind: Kind, w: &World, me: &Process) -> Option<String> {
        let name = &*me.name;
        let regions: Vec<(&str, u32)> = me
            .mm
            .regions
            .iter()
            .map(|r| (&*r.name, r.pages()))
            .collect();
        let procs = alive(w);
        let objects = w.object_names().count();
        let ends = ends_of(me);
        let n = self.fresh();
        let rng = &mut self.rng;
        let op = match kind {
            Kind::Mmap if regions.len() < MAX_REGIONS => format!(
                "mmap m{n} {}{}",
                // mmap(2) of 0 bytes fails EINVAL (do_mmap).
                if rng.one_in(3) { 0 } else { 1 + rng.below(20) },
                if rng.one_in(3) { " shared" } else { "" }
            ),
            Kind::Read | Kind::Write | Kind::Munmap if !regions.is_empty() => {
                let (r, pages) = *rng.pick(&regions);
                match kind {
                    Kind::Read => format!("read {r} {}", range(rng, pages)),
                    Kind::Write => format!("write {r} {}", range(rng, pages)),
                    _ => format!("munmap {r}"),
                }
            }
            Kind::Fork if procs.len() < MAX_PROCS => format!("fork c{n}"),
            // p0 mostly stays to the end, so that the run goes on.
            Kind::Exit if name != "p0" || rng.one_in(8) => format!("exit {}", rng.below(4)),
            Kind::Wait => {
                let children = w.children(me.pid);
                let nohang = if rng.one_in(3) { " nohang" } else { "" };
                if children.is_empty() || rng.one_in(3) {
                    format!("wait{nohang}")
                } else {
                    format!("wait {}{nohang}", w.name_of(*rng.pick(&children)))
                }
            }
            Kind::Exec => "exec node".to_string(),
            Kind::Thread => format!("thread t{n}"),
            Kind::Subreaper => "subreaper".to_string(),
            Kind::Pipe if objects < MAX_OBJECTS => format!("pipe o{n}{}", cloexec(rng)),
            Kind::Socketpair if objects < MAX_OBJECTS => format!(
                "socketpair o{n}{}{}",
                if rng.one_in(2) { " dgram" } else { "" },
                cloexec(rng)
            ),
            Kind::Close if !ends.is_empty() => format!("close {}", w.end_name(*rng.pick(&ends))),
            Kind::Cloexec if !ends.is_empty() => format!(
                "cloexec {} {}",
                w.end_name(*rng.pick(&ends)),
                rng.pick(&["on", "on", "off"])
            ),
            Kind::Send | Kind::Recv if !ends.is_empty() => {
                let (op, wrong_end) = match kind {
                    Kind::Send => ("send", PipeEnd::Read),
                    _ => ("recv", PipeEnd::Write),
                };
                // Now and then the wrong end of a pipe, for EBADF.
                let wrong = rng.one_in(10);
                let usable: Vec<EndRef> = ends
                    .iter()
                    .copied()
                    .filter(|e| wrong || !matches!(e, EndRef::Pipe(_, pe) if *pe == wrong_end))
                    .collect();
                if usable.is_empty() {
                    return None;
                }
                let end = *rng.pick(&usable);
                let size = *rng.pick(&SIZES);
                return Some(self.io(w, name, op, end, size));
            }
            Kind::Resize if !ends.is_empty() => {
                // Mostly where a sleeper waits, when there is one.
                let waited: Vec<EndRef> = ends
                    .iter()
                    .copied()
                    .filter(|e| has_sleeper(w, *e))
                    .collect();
                let end = if !waited.is_empty() && !rng.one_in(3) {
                    *rng.pick(&waited)
                } else {
                    *rng.pick(&ends)
                };
                return Some(self.resize(w, name, end));
            }
            Kind::Disposition => {
                let sig = *rng.pick(&SIGNALS);
                let action = *rng.pick(&["handle", "ignore", "default"]);
                format!(
                    "signal {sig} {action}{}{}",
                    if action == "handle" { mask(rng) } else { "" },
                    if sig == "SIGCHLD" && rng.one_in(3) {
                        " nocldwait"
                    } else {
                        ""
                    }
                )
            }
            Kind::Mask => {
                let blocked = me.signals.blocked();
                if !blocked.is_empty() && rng.one_in(2) {
                    format!("unblock {}", signal_list(blocked.iter()))
                } else {
                    let count = 1 + rng.below(3);
                    let sigs = some_signals(rng, &SIGNALS, count);
                    let verb = if rng.one_in(2) { "block" } else { "unblock" };
                    format!("{verb} {}", sigs.join(" "))
                }
            }
            Kind::Kill => {
                let stopped: Vec<&Process> = procs
                    .iter()
                    .copied()
                    .filter(|p| matches!(p.state, ProcState::Stopped { .. }))
                    .collect();
                if !stopped.is_empty() && rng.one_in(2) {
                    let target = &rng.pick(&stopped).name;
                    let sig = rng.pick(&[
                        "SIGCONT", "SIGCONT", "SIGKILL", "SIGTERM", "SIGUSR1", "SIGRTMIN",
                    ]);
                    format!("kill {target} {sig}")
                } else {
                    let masked: Vec<&Process> = procs
                        .iter()
                        .copied()
                        .filter(|p| !p.signals.blocked().is_empty())
                        .collect();
                    let target = if rng.one_in(5) {
                        name
                    } else if !masked.is_empty() && rng.one_in(2) {
                        &*rng.pick(&masked).name
                    } else {
                        &*rng.pick(&procs).name
                    };
                    if target == "p0" && !rng.one_in(6) {
                        format!("kill p0 {}", rng.pick(&["SIGCHLD", "SIGCONT"]))
                    } else {
                        format!("kill {target} {}", rng.pick(&SIGNALS))
                    }
                }
            }
            _ => return None,
        };
        Some(format!("{name}: {op}"))
    }

    /// `actor: send|recv END SIZE [nonblock]`, blocking half the time,
    /// but never where it would race with a sleeper (`socket_race`).
    fn io(&mut self, w: &World, actor: &str, op: &str, end: EndRef, size: u64) -> String {
        let nonblock = self.rng.one_in(2) || socket_race(w, end, op);
        format!(
            "{actor}: {op} {} {size}{}",
            w.end_name(end),
            if nonblock { " nonblock" } else { "" }
        )
    }

    /// `actor: pipesize` or `sndbuf` on `end`'s object: larger, smaller,
    /// the same size, or one beyond 1 GiB or negative (`HUGE`).
    fn resize(&mut self, w: &World, actor: &str, end: EndRef) -> String {
        let rng = &mut self.rng;
        match end {
            EndRef::Pipe(id, _) => {
                // 4096: the page size; a pipe's size is its slots' pages.
                let same = i64::from(w.pipe(id).capacity_slots()) * 4096;
                let size = match rng.below(6) {
                    0 => same,
                    1 => *rng.pick(&HUGE),
                    _ => *rng.pick(&PIPE_SIZES),
                };
                format!("{actor}: pipesize {} {size}", object_of(w, end))
            }
            EndRef::Sock(id, side) => {
                // SO_SNDBUF stores double what it is given.
                let same = i64::from(w.socks(id).socket(side).sndbuf()) / 2;
                let size = match rng.below(6) {
                    0 => same,
                    1 => *rng.pick(&HUGE),
                    _ => *rng.pick(&SNDBUFS),
                };
                format!("{actor}: sndbuf {} {size}", w.end_name(end))
            }
        }
    }
}

/// Is some process asleep, or stopped, in a call on `end`'s object?
fn has_sleeper(w: &World, end: EndRef) -> bool {
    let same_object = |e: &EndRef| match (e, end) {
        (EndRef::Pipe(a, _), EndRef::Pipe(b, _)) => *a == b,
        (EndRef::Sock(a, _), EndRef::Sock(b, _)) => *a == b,
        _ => false,
    };
    w.procs().any(|p| match call_of(p).map(|c| &c.on) {
        Some(BlockedOn::Send { end, .. } | BlockedOn::Recv { end, .. }) => same_object(end),
        _ => false,
    })
}

/// `count` distinct names from `from`, in the order drawn.
fn some_signals(rng: &mut Rng, from: &[&'static str], count: usize) -> Vec<&'static str> {
    let mut sigs: Vec<&'static str> = Vec::new();
    while sigs.len() < count.min(from.len()) {
        let sig = *rng.pick(from);
        if !sigs.contains(&sig) {
            sigs.push(sig);
        }
    }
    sigs
}

/// Signals as a scenario writes them, separated by spaces.
fn signal_list(sigs: impl Iterator<Item = Signal>) -> String {
    sigs.map(|s| s.to_string()).collect::<Vec<_>>().join(" ")
}

/// ` cloexec` one time in three: a pipe or socketpair made with
/// O_CLOEXEC or SOCK_CLOEXEC.
fn cloexec(rng: &mut Rng) -> &'static str {
    if rng.one_in(3) {
        " cloexec"
    } else {
        ""
    }
}

/// ` mask all` half the time: a handler with a full sa_mask, as libuv's.
fn mask(rng: &mut Rng) -> &'static str {
    if rng.one_in(2) {
        " mask all"
    } else {
        ""
    }
}

/// A page range of a region of `pages` pages: one page or `i..j`.
fn range(rng: &mut Rng, pages: u32) -> String {
    if pages == 0 {
        return "0".to_string();
    }
    let i = rng.below(pages as usize) as u32;
    if rng.one_in(3) {
        return i.to_string();
    }
    let j = i + 1 + rng.below((pages - i) as usize) as u32;
    format!("{i}..{j}")
}
