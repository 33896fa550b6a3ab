//! The kernel side of `forkscope check`: the controller that starts one
//! worker per scenario process, sends it each operation, recognises an
//! operation that blocks, waits for the machine to settle after each step,
//! and observes it from /proc.
//!
//! Every process it starts is in one process group, led by an idle anchor
//! worker; `Drop` kills the group and reaps everything (the controller is a
//! child subreaper, so orphans come back to it). A signal handler does the
//! same kill on Ctrl-C. If the controller is killed outright, the anchor
//! gets its parent-death signal and kills the group itself. Workers never
//! change their group (not in fork, not in exec), and a scenario process
//! whose scenario parent dies is not killed: only the controller's death
//! ends the run.
//!
//! Files: this one (the run's processes, their start and their end), `ops`
//! (spawning and operations), `settle` (waiting for quiet after a step),
//! `observe` (reading the machine), `snapshot` (page tables and map
//! counts read consistently while the kernel migrates pages), `follow`
//! (frames followed through migration from one step to the next).

use super::probe::{self, KpageCount};
use super::proto::{self, Extra, Misbehave, Msg, Ready};
use super::worker::ANCHOR_DEATH_SIGNAL;
use sim_core::observe::{LastOpObs, Observation};
use sim_core::scenario::ast::{End, ExitStatus};
use sim_core::sig::Signal;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

mod follow;
mod observe;
mod ops;
mod settle;
pub mod snapshot;

/// The process group of the run in progress, for the Ctrl-C handler.
static RUN_PGID: AtomicI32 = AtomicI32::new(0);
/// Set by the Ctrl-C handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed during the check.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

extern "C" fn on_interrupt(_sig: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let pgid = RUN_PGID.load(Ordering::SeqCst);
    if pgid > 0 {
        // Safety: kill is async-signal-safe.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}

/// Become a child subreaper and kill the run's processes on SIGINT, SIGTERM
/// and SIGHUP. Called once, by `forkscope check`.
pub fn install_controller() {
    // Safety: prctl with plain arguments; the handler only stores and kills,
    // both async-signal-safe. No SA_RESTART, so waits return EINTR.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Why the kernel run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A step or the whole scenario took longer than its bound.
    Timeout(String),
    /// The run cannot go on (a worker vanished, a protocol error...).
    Broken(String),
    Interrupted,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout(s) => write!(f, "timed out: {s}"),
            Failure::Broken(s) => f.write_str(s),
            Failure::Interrupted => f.write_str("interrupted"),
        }
    }
}

type Res<T> = Result<T, Failure>;

fn broken<T>(s: impl Into<String>) -> Res<T> {
    Err(Failure::Broken(s.into()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Alive,
    Zombie,
    Gone,
}

/// An operation that has not returned yet: what its reply will mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Wait,
    Other,
}

struct KProc {
    pid: i32,
    ctrl: Option<OwnedFd>,
    life: Life,
    /// Region name -> (address, pages).
    regions: BTreeMap<String, (u64, u32)>,
    /// End key (`p.r`) -> fd in this process.
    fds: BTreeMap<String, i32>,
    /// The memfd of its program image's `Published` counters
    /// (worker.rs), readable even once the worker is dead.
    published: OwnedFd,
    /// Each open fd's FD_CLOEXEC as fdinfo last showed it. Only the
    /// process's own calls change its fds' flags (F_SETFD on the fd it
    /// names; pipe2 and socketpair on new numbers), so a flag is read again
    /// only for an fd not open at the last look or named by the process's
    /// `cloexec` or `close` since (observe.rs, ops.rs).
    cloexec_seen: RefCell<BTreeMap<i32, bool>>,
    last_op: Option<LastOpObs>,
    pending: Option<Pending>,
    last_reaped: Option<ExitStatus>,
    parent: String,
    /// The observation from before its last operation.
    /// Shared with `Kernel::last` (and other processes'), not copied per
    /// operation.
    before: Rc<Observation>,
    /// What the last completed operation handed back (fds, an address).
    extra: Extra,
    /// Handler runs as last read from the worker, kept once it is dead
    /// (a zombie's memory cannot be read, and its handlers ran no more).
    handled: BTreeMap<Signal, u64>,
}

/// A bound as a person writes it: "3 s", "0.5 s".
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Limits of one kernel run.
#[derive(Clone, Debug)]
pub struct Limits {
    pub step: Duration,
    pub scenario: Duration,
}

/// One scenario's processes on the real kernel.
pub struct Kernel {
    pgid: i32,
    me: i32,
    procs: BTreeMap<String, KProc>,
    by_pid: BTreeMap<i32, String>,
    cpu: Option<usize>,
    zero: Option<u64>,
    kpc: Option<KpageCount>,
    last: Rc<Observation>,
    /// The pages of `last` that gave no consistent reading (snapshot.rs).
    unsettled: snapshot::Unsettled,
    /// Frames followed through migration from step to step (follow.rs).
    frames: follow::Frames,
    /// Each process's minor faults at the last observation: one that took
    /// none since cannot have copied a page on write (follow.rs).
    faults_seen: BTreeMap<String, u64>,
    limits: Limits,
    deadline: Instant,
    /// Scenario name -> the model's pid, to report pids as the model does.
    model_pids: BTreeMap<String, i64>,
    /// Source line -> a deliberate misbehaviour (tests only).
    misbehave: BTreeMap<u32, Misbehave>,
    exe: std::path::PathBuf,
    /// /proc/PID/wchan names functions here, so it tells a process the
    /// kernel holds asleep from one merely in S (settle's module doc).
    wchan: bool,
}

/// The CPU workers are pinned to: the last one we may run on.
fn worker_cpu() -> Option<usize> {
    // Safety: a cpu_set_t is plain data; sched_getaffinity fills it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        (0..libc::CPU_SETSIZE as usize)
            .rev()
            .find(|&c| libc::CPU_ISSET(c, &set))
    }
}

fn seqpacket_pair() -> Res<(OwnedFd, OwnedFd)> {
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .or_else(|e| broken(format!("socketpair: {e}")))
}

thread_local! {
    /// The controller's receive buffer, `proto::recv`'s MAX_MSG bytes, kept:
    /// filling a fresh one for every message cost milliseconds of CPU a
    /// message in a debug build, which under load made long scenarios run
    /// into their wall-clock bound.
    static RECV_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Receive one message from a worker's channel (see `proto::recv`).
fn recv_msg(fd: &OwnedFd) -> nix::Result<Option<(Msg, Option<OwnedFd>)>> {
    RECV_BUF.with_borrow_mut(|buf| proto::recv::<Msg>(fd.as_fd(), buf))
}

/// Wait until `fd` is readable or `ms` pass; true when readable.
fn readable(fd: &OwnedFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // Safety: one pollfd we own.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n > 0 && p.revents != 0
}

fn end_is_socket(end: &End) -> bool {
    matches!(end, End::Socket { .. })
}

impl Kernel {
    /// Start a run: the anchor of the process group, the zero page's PFN.
    pub fn start(
        limits: Limits,
        model_pids: BTreeMap<String, i64>,
        misbehave: BTreeMap<u32, Misbehave>,
    ) -> Res<Kernel> {
        let exe = std::env::current_exe()
            .or_else(|e| broken(format!("cannot find forkscope itself: {e}")))?;
        let zero = probe::zero_pfn();
        let kpc = if zero.is_some() {
            KpageCount::open()
        } else {
            None
        };
        let mut k = Kernel {
            pgid: 0,
            me: std::process::id() as i32,
            procs: BTreeMap::new(),
            by_pid: BTreeMap::new(),
            cpu: worker_cpu(),
            zero,
            kpc,
            last: Rc::default(),
            unsettled: snapshot::Unsettled::new(),
            frames: follow::Frames::default(),
            faults_seen: BTreeMap::new(),
            deadline: Instant::now() + limits.scenario,
            limits,
            model_pids,
            misbehave,
            exe,
            wchan: probe::wchan_works(),
        };
        // The anchor leads the process group, so that the group outlives any
        // scenario process. If the controller dies without running Drop
        // (SIGKILL), the anchor's parent-death signal, ANCHOR_DEATH_SIGNAL,
        // makes it kill the whole group: the workers forked by workers have
        // no parent-death signal of their own (fork clears it), and one
        // asleep in a syscall never sees its control channel close. The
        // signal is blocked before it can fire, so it stays pending until the
        // anchor waits for it after exec. It is sent when the thread that
        // forked the anchor ends: this one, the only thread of `check`.
        let controller = k.me;
        let mut cmd = Command::new(&k.exe);
        cmd.args(["worker", "--anchor"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .process_group(0);
        // Safety: sigemptyset, sigaddset, sigprocmask, prctl and getppid are
        // async-signal-safe and allocate nothing; the error is built from a
        // number.
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, ANCHOR_DEATH_SIGNAL);
                libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                libc::prctl(libc::PR_SET_PDEATHSIG, ANCHOR_DEATH_SIGNAL, 0, 0, 0);
                // The controller died before the prctl: the signal will never
                // come, so do not start.
                if libc::getppid() != controller {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
        let anchor = cmd
            .spawn()
            .or_else(|e| broken(format!("cannot start a worker: {e}")))?;
        k.pgid = anchor.id() as i32;
        RUN_PGID.store(k.pgid, Ordering::SeqCst);
        Ok(k)
    }

    /// Frame numbers and map counts are visible (root).
    pub fn privileged(&self) -> bool {
        self.zero.is_some() && self.kpc.is_some()
    }

    fn check_time(&self) -> Res<()> {
        if interrupted() {
            return Err(Failure::Interrupted);
        }
        if Instant::now() > self.deadline {
            return Err(Failure::Timeout(format!(
                "the scenario took more than {} (--scenario-timeout SECONDS raises this bound)",
                seconds(self.limits.scenario)
            )));
        }
        Ok(())
    }

    /// A step that took longer than `--step-timeout`: `what` did not happen in time.
    fn step_timeout(&self, what: String) -> Failure {
        Failure::Timeout(format!(
            "{what} within {} (--step-timeout SECONDS raises this bound)",
            seconds(self.limits.step)
        ))
    }

    /// Receive one message on `fd` within the step bound, and the fd
    /// beside it, if any.
    fn recv_within(&self, fd: &OwnedFd, what: &str) -> Res<(Msg, Option<OwnedFd>)> {
        let until = Instant::now() + self.limits.step;
        loop {
            self.check_time()?;
            if readable(fd, 5) {
                return match recv_msg(fd) {
                    Ok(Some(got)) => Ok(got),
                    Ok(None) => broken(format!("{what}: the worker closed its channel")),
                    Err(e) => broken(format!("{what}: {e}")),
                };
            }
            if Instant::now() > until {
                return Err(self.step_timeout(format!("{what}: no answer")));
            }
        }
    }

    /// A worker's `Ready`, with the memfd of its published counters.
    fn ready_within(&self, fd: &OwnedFd, what: &str) -> Res<(Ready, OwnedFd)> {
        match self.recv_within(fd, what)? {
            (Msg::Ready(r), Some(published)) => Ok((r, published)),
            (Msg::Ready(_), None) => broken(format!("{what}: no counters came with Ready")),
            (Msg::Reply(r), _) => broken(format!("{what}: failed with errno {}", r.errno)),
        }
    }

    fn proc(&self, name: &str) -> Res<&KProc> {
        self.procs.get(name).map_or_else(
            || broken(format!("there is no process {name} on the kernel")),
            Ok,
        )
    }

    /// The fd of `end` in `actor`; -1 (which every syscall refuses with
    /// EBADF, as the model does) when `actor` does not hold it.
    fn fd_of(&self, actor: &str, end: &End) -> Res<i32> {
        let key = end.to_string();
        Ok(self.proc(actor)?.fds.get(&key).copied().unwrap_or(-1))
    }

    fn pid_of(&self, name: &str) -> Res<i32> {
        Ok(self.proc(name)?.pid)
    }

    /// The value the model would report for a pid the kernel returned.
    fn model_pid(&self, pid: i64) -> i64 {
        self.by_pid
            .get(&(pid as i32))
            .and_then(|n| self.model_pids.get(n))
            .copied()
            .unwrap_or(pid)
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        for p in self.procs.values_mut() {
            p.ctrl = None;
        }
        if self.pgid > 0 {
            // Safety: kill with plain numbers; the group is ours.
            unsafe { libc::kill(-self.pgid, libc::SIGKILL) };
        }
        // Reap until no child is left: orphans of killed workers come back
        // to us (subreaper) before their parents can be reaped.
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let mut status = 0;
            // Safety: waitpid writes a status into a local.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid < 0 || Instant::now() > until {
                break;
            }
            if pid == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        RUN_PGID.store(0, Ordering::SeqCst);
    }
}
