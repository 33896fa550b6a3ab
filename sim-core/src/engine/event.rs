//! The events of a step: what the operations did, in the order they did
//! it, with every figure the narration needs (engine/narrate builds the
//! sentences from them; the JSON trace carries them, docs/trace-json.md).
//!
//! An event records a fact at the moment it happened: a figure that a later
//! part of the step changes (a queue's fill, a mask, a pending count) is
//! copied into the event, so the story never has to guess it from the world
//! after the step.

use crate::errno::Errno;
use crate::ids::Pid;
use crate::ipc::Progress;
use crate::mm::{Access, MemEvent};
use crate::scenario::ast::{Action, ExitStatus, OpResult};
use crate::sig::Signal;
use serde::Serialize;

/// Something that happened in a step, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A `process` statement: a new child of init.
    Started { pid: Pid, name: String },
    Mapped {
        pid: Pid,
        region: String,
        pages: u32,
        shared: bool,
    },
    /// mmap was refused with `errno` (a mapping of 0 pages: EINVAL), and no
    /// region was made.
    MapRefused {
        pid: Pid,
        region: String,
        errno: Errno,
    },
    Unmapped {
        pid: Pid,
        region: String,
        freed: u32,
    },
    /// A `read` or `write` of pages `from..to` of `region`; the `mem`
    /// events after it say what each fault did.
    Touched {
        pid: Pid,
        region: String,
        from: u32,
        to: u32,
        access: Access,
    },
    /// A fault or fault-around in `pid`.
    Mem { pid: Pid, mem: MemEvent },
    /// fork: `copied` page-table entries were copied into the child.
    Forked {
        parent: Pid,
        child: Pid,
        name: String,
        copied: u64,
        /// Each region of the parent, and what fork did with its entries.
        regions: Vec<ForkedRegion>,
        /// The ends the child's fd table got a copy of.
        inherited: Vec<String>,
        /// Those of them whose fd is close-on-exec (the flag is copied).
        cloexec: Vec<String>,
    },
    /// exec: the old address space was released; the fds with FD_CLOEXEC
    /// are closed (a `closed` event each, with `exec` set, follows).
    Exec {
        pid: Pid,
        program: String,
        freed: u32,
        /// The process still holds fds, which survive exec.
        keeps_fds: bool,
        /// How many fds exec closed because they were close-on-exec.
        cloexec_closed: u32,
    },
    /// `thread NAME`: a new thread `tid` of process `pid`, sharing its
    /// address space (`regions` regions), its `fds` fds and its handlers.
    ThreadMade {
        pid: Pid,
        tid: Pid,
        name: String,
        regions: u32,
        fds: u32,
    },
    /// The process exited (became a zombie) and its memory was released.
    Exited {
        pid: Pid,
        status: ExitStatus,
        freed: u32,
        /// The code given to `exit`; None when a signal killed it.
        code: Option<i32>,
        /// Handlers whose frames were set up but which never ran.
        unrun: Vec<Signal>,
        /// The ends its fds held, closed now.
        closed: Vec<String>,
        /// Its children, adopted by `reaper` (a `reparented` event each).
        orphans: Vec<Pid>,
        /// Who adopts them: its nearest living ancestor that is a
        /// subreaper, else init.
        reaper: Pid,
    },
    /// `subreaper`: prctl(PR_SET_CHILD_SUBREAPER, 1) by `pid`.
    Subreaper { pid: Pid },
    /// An orphan was adopted.
    Reparented { pid: Pid, parent: Pid },
    /// A dead child stays a zombie until `parent` waits for it.
    Zombie {
        pid: Pid,
        parent: Pid,
        /// The parent is asleep in a call (a wait about to reap it).
        parent_asleep: bool,
    },
    /// A zombie was reaped by `parent` (init reaps at once).
    Reaped {
        parent: Pid,
        child: Pid,
        status: ExitStatus,
        /// Reaped by the kernel as the child died, because its parent
        /// asked for it (`parent` is then init).
        auto: Option<AutoReap>,
    },
    /// A dead, stopped or continued child's parent is not told, because
    /// it sets SIGCHLD to SIG_IGN.
    ParentNotTold {
        parent: Pid,
        child: Pid,
        /// The child died (else it stopped or continued).
        exit: bool,
    },
    /// `wait` was called; `found` is what it found at once. With
    /// `nohang` (WNOHANG), children still running make it return 0 at once
    /// instead of sleeping.
    WaitCalled {
        pid: Pid,
        child: Option<Pid>,
        found: WaitFound,
        nohang: bool,
    },
    /// A sleeping wait found no child left it could reap: ECHILD.
    WaitFailed { pid: Pid },
    /// The process entered a blocking call (`wait`, `send`, `recv`) that
    /// cannot complete yet; `end` is the end a send or recv sleeps on.
    Blocked {
        pid: Pid,
        call: String,
        end: Option<String>,
    },
    /// A blocked call completed.
    Woken { pid: Pid, result: OpResult },
    /// The operation returned.
    Returned { pid: Pid, result: OpResult },
    /// A pipe was made; `result` holds its read and write fds, or why the
    /// actor got neither.
    PipeMade {
        pid: Pid,
        pipe: String,
        result: Result<[u32; 2], NoFds>,
        slots: u32,
        bytes: u64,
        /// O_CLOEXEC: both fds are close-on-exec.
        cloexec: bool,
    },
    /// A socketpair was made; `result` holds the fds of ends 0 and 1, or
    /// why the actor got neither.
    SocketpairMade {
        pid: Pid,
        pair: String,
        dgram: bool,
        result: Result<[u32; 2], NoFds>,
        sndbuf: u32,
        /// SOCK_CLOEXEC: both fds are close-on-exec.
        cloexec: bool,
    },
    /// A pipe or socketpair was created; its ends got these fds.
    Opened { pid: Pid, end: String, fd: u32 },
    /// A call on an end failed before doing anything: the caller holds no
    /// fd for it, or the end is of the wrong kind.
    Refused {
        pid: Pid,
        call: Call,
        /// The end (or, for `pipesize`, the pipe) named.
        target: String,
        why: Refusal,
    },
    /// An fd was closed: by `close`, or by exec (`exec`: it was
    /// close-on-exec).
    Closed {
        pid: Pid,
        end: String,
        fd: u32,
        /// fds still open on the end, in every process.
        left: u32,
        /// The end's kind.
        kind: EndKind,
        exec: bool,
    },
    /// fcntl(F_SETFD): the fd's FD_CLOEXEC is now `on` (it was `was`).
    CloexecSet {
        pid: Pid,
        end: String,
        fd: u32,
        on: bool,
        was: bool,
    },
    /// A `send` was called and ended as `progress` (Blocked: it sleeps).
    SendCalled {
        pid: Pid,
        end: String,
        len: u64,
        nonblock: bool,
        progress: Progress,
        sigpipe: bool,
        before: QueueFigures,
        after: QueueFigures,
    },
    /// A `recv` was called and ended as `progress`.
    RecvCalled {
        pid: Pid,
        end: String,
        max: u64,
        nonblock: bool,
        progress: Progress,
        before: QueueFigures,
        after: QueueFigures,
    },
    /// A sleeping send went on (woken, or started again after SIGCONT):
    /// it had moved `was` of `len` bytes, and now stands at `progress`.
    SendWentOn {
        pid: Pid,
        end: String,
        len: u64,
        was: u64,
        /// The line of the send.
        since_line: u32,
        progress: Progress,
        sigpipe: bool,
        /// Started again after SIGCONT and admitted at once: the charge
        /// and SO_SNDBUF it found.
        restart: Option<(u64, u64)>,
    },
    /// A signal woke a sleeping send, which went round its loop first.
    SendSignalled {
        pid: Pid,
        end: String,
        signal: Signal,
        len: u64,
        was: u64,
        dgram: bool,
        progress: Progress,
        sigpipe: bool,
        before: QueueFigures,
        after: QueueFigures,
    },
    /// A sleeping recv was woken and returned.
    RecvWoken {
        pid: Pid,
        end: String,
        progress: Progress,
        /// It took an empty datagram.
        empty_datagram: bool,
    },
    /// F_SETPIPE_SZ: `result` is the new size in bytes.
    PipeSized {
        pid: Pid,
        pipe: String,
        asked: i32,
        old: u64,
        result: Result<u64, Errno>,
        /// Slots now (success) or in use (EBUSY).
        slots: u32,
        /// pipe-max-size.
        max: u32,
    },
    /// A pipe resize woke the first writer asleep on it, which found the
    /// pipe still full and slept again at the back of the queue.
    WriterRequeued { pid: Pid, end: String },
    /// SO_SNDBUF: `result` is the value the kernel stored.
    SndbufSet {
        pid: Pid,
        end: String,
        asked: i32,
        result: Result<u32, Errno>,
        wmem_max: u32,
        floor: u32,
        /// A sender asleep on the end is woken: its charge.
        wakes: Option<u64>,
    },
    /// Bytes moved into (`send`) or out of (`recv`) an end.
    Moved {
        pid: Pid,
        end: String,
        op: String,
        bytes: u64,
        queued: u64,
    },
    /// sigaction: `result` is Err when the signal cannot be caught or
    /// ignored; `discarded` pending instances went with the change;
    /// `full_mask`: the handler's sa_mask holds every signal.
    ActionSet {
        pid: Pid,
        signal: Signal,
        action: Action,
        nocldwait: bool,
        full_mask: bool,
        result: Result<(), Errno>,
        discarded: u32,
    },
    /// sigprocmask: `signals` were blocked or unblocked; `fixed` could not
    /// be; `pending` were pending as it returned (`twice`: in both queues).
    MaskChanged {
        pid: Pid,
        block: bool,
        signals: Vec<Signal>,
        fixed: Vec<Signal>,
        pending: Vec<Signal>,
        twice: Vec<Signal>,
    },
    /// `kill` was called; `target` was as `found` says.
    KillCalled {
        pid: Pid,
        target: Pid,
        signal: Signal,
        found: KillTarget,
    },
    /// A signal was generated for `pid`; `fate` says what became of it.
    SignalSent {
        pid: Pid,
        signal: Signal,
        /// `private` (the thread's own queue: SIGPIPE from a write) or
        /// `shared` (the process's: kill, SIGCHLD).
        queue: crate::signal::Queue,
        fate: crate::signal::Fate,
        /// Pending signals it discarded (a stop signal and SIGCONT discard
        /// each other).
        flushed: Vec<Signal>,
        /// The target blocks the signal.
        blocked: bool,
        /// Instances of it now pending in both queues.
        pending: u32,
        /// The target has a frame set up for it whose handler has not run.
        in_handler: bool,
        /// The target was stopped.
        stopped: bool,
        /// It makes a stopped target go on (SIGCONT, SIGKILL).
        wakes_stopped: bool,
    },
    /// A pending signal was delivered to `pid`.
    SignalDelivered {
        pid: Pid,
        signal: Signal,
        delivery: crate::signal::Delivery,
    },
    /// A handled signal interrupted `pid`'s sleeping `call`: it restarts
    /// once the handler returns, or returns `partial` bytes it had moved.
    Interrupted {
        pid: Pid,
        signal: Signal,
        call: String,
        partial: Option<u64>,
    },
    /// The frame of `signal`'s handler, whose sa_mask holds every signal,
    /// was set up: the `held` signals, pending and deliverable a moment
    /// ago, are blocked until the handler returns.
    HeldOff {
        pid: Pid,
        signal: Signal,
        held: Vec<Signal>,
    },
    /// A handler whose frame was set up ran (back in user mode); `runs`
    /// counts this run.
    HandlerRan { pid: Pid, signal: Signal, runs: u64 },
    /// The process stopped (a stop signal) or continued (SIGCONT).
    Stopped {
        pid: Pid,
        signal: Signal,
        /// A send that had moved this many bytes ended with them.
        partial: Option<u64>,
        /// Handlers whose frames are set up, left to run after SIGCONT.
        unrun: Vec<Signal>,
    },
    Continued {
        pid: Pid,
        /// The signal that made it go on (SIGCONT, or SIGKILL to die).
        by: Signal,
        /// The call it was stopped in had ended with this before the stop.
        returns: Option<OpResult>,
        /// The call it was stopped in, which starts again.
        restarts: Option<String>,
        /// It has signals to take before that call starts again.
        signals_first: bool,
    },
}

/// What fork did with one region of the parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForkedRegion {
    pub region: String,
    pub fork: RegionFork,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionFork {
    /// Private and written: its entries were copied, write-protected.
    Copied,
    /// Private and never written (no anon_vma): nothing copied.
    NeverWritten,
    /// Shared: the child faults in the same frames.
    Shared,
}

/// Why the kernel reaped a child at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AutoReap {
    /// The child's parent, which asked for it.
    pub parent: Pid,
    /// true: SIGCHLD is SIG_IGN; false: SA_NOCLDWAIT.
    pub sig_ign: bool,
}

/// What a `wait` found when called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "found")]
pub enum WaitFound {
    /// No child it may wait for: ECHILD.
    NoChild,
    /// A zombie, reaped now.
    Zombie { child: Pid },
    /// These children still run: the wait sleeps.
    Running { children: Vec<Pid> },
}

/// What `kill` found its target to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KillTarget {
    Alive,
    /// Dead, not yet reaped: kill succeeds and nothing happens.
    Zombie,
    /// Reaped: ESRCH.
    Reaped,
}

/// Why a new pipe or socketpair got no fds: fewer than two numbers were
/// free below the actor's RLIMIT_NOFILE, so the call failed with `errno`
/// (EMFILE) and opened neither end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NoFds {
    pub errno: Errno,
    /// Numbers from 3 up that were free below `nofile` (0 or 1).
    pub free: u32,
    /// The soft limit RLIMIT_NOFILE: every fd number is below it.
    pub nofile: u32,
}

/// A call on an end, for `Refused`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    Close,
    Cloexec,
    Send,
    Recv,
    Pipesize,
    Sndbuf,
}

/// Why a call on an end was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The caller holds no fd for it: EBADF.
    NotHeld,
    /// A send on a read end or a recv on a write end: EBADF.
    WrongEnd,
    /// SO_SNDBUF on a pipe end: ENOTSOCK.
    NotSocket,
}

/// The kind of an end, for what closing its last fd means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndKind {
    PipeRead,
    PipeWrite,
    Stream,
    Dgram,
}

/// The figures of the queue an end works on, at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueFigures {
    /// Unread bytes (a pipe's; a socketpair's in both directions).
    pub queued: u64,
    /// Unread bytes in the queue a send on this end fills.
    pub outgoing: u64,
    /// Unread bytes in the queue a recv on this end drains.
    pub incoming: u64,
    /// FIONREAD at this end (for a datagram socket, the first datagram).
    pub inq: u64,
    /// Pipe slots in use, and the pipe's capacity in slots.
    pub slots: u32,
    pub capacity: u32,
    /// Bytes free after the last pipe slot's data.
    pub last_free: Option<u64>,
    /// A pipe slot's size (the page size); 0 for a socket.
    pub slot_size: u64,
    /// This end's truesize charge as a sender, and its SO_SNDBUF.
    pub charged: u64,
    pub sndbuf: u64,
    /// The peer's charge and SO_SNDBUF (what a recv here frees).
    pub peer_charged: u64,
    pub peer_sndbuf: u64,
    /// Buffers queued in both directions (sockets), to see an empty
    /// datagram go.
    pub skbs: usize,
}
