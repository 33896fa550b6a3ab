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

use super::probe::{self, KpageCount};
use super::proto::{self, Cmd, Disposition, Extra, Misbehave, Msg, Ready, Reply, Request, CTRL_FD};
use super::worker::ANCHOR_DEATH_SIGNAL;
use sim_core::errno::Errno;
use sim_core::observe::{LastOpObs, Observation, PageObs, ProcObs};
use sim_core::proc::WaitStatus;
use sim_core::scenario::ast::{
    Action, End, ExitStatus, Op, OpResult, Payload, StateName, INIT_NAME,
};
use sim_core::sig::Signal;
use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The process group of the run in progress, for the Ctrl-C handler.
static RUN_PGID: AtomicI32 = AtomicI32::new(0);
/// Set by the Ctrl-C handler.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

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
    published: u64,
    last_op: Option<LastOpObs>,
    pending: Option<Pending>,
    last_reaped: Option<ExitStatus>,
    parent: String,
    /// The observation from before its last operation.
    before: Observation,
    /// What the last completed operation handed back (fds, an address).
    extra: Extra,
    /// Handler runs as last read from the worker, kept once it is dead
    /// (a zombie's memory cannot be read, and its handlers ran no more).
    handled: BTreeMap<Signal, u64>,
}

/// Limits of one kernel run.
#[derive(Clone, Debug)]
pub struct Limits {
    pub step: Duration,
    pub scenario: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            step: Duration::from_secs(3),
            scenario: Duration::from_secs(20),
        }
    }
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
    last: Observation,
    limits: Limits,
    deadline: Instant,
    /// Scenario name -> the model's pid, to report pids as the model does.
    model_pids: BTreeMap<String, i64>,
    /// Source line -> a deliberate misbehaviour (tests only).
    misbehave: BTreeMap<u32, Misbehave>,
    exe: std::path::PathBuf,
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
            last: Observation::default(),
            deadline: Instant::now() + limits.scenario,
            limits,
            model_pids,
            misbehave,
            exe,
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
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Failure::Interrupted);
        }
        if Instant::now() > self.deadline {
            return Err(Failure::Timeout(format!(
                "the scenario took more than {} s",
                self.limits.scenario.as_secs()
            )));
        }
        Ok(())
    }

    /// Receive one message on `fd` within the step bound.
    fn recv_within(&self, fd: &OwnedFd, what: &str) -> Res<Msg> {
        let until = Instant::now() + self.limits.step;
        loop {
            self.check_time()?;
            if readable(fd, 5) {
                let mut buf = Vec::new();
                return match proto::recv::<Msg>(fd.as_fd(), &mut buf) {
                    Ok(Some((msg, _))) => Ok(msg),
                    Ok(None) => broken(format!("{what}: the worker closed its channel")),
                    Err(e) => broken(format!("{what}: {e}")),
                };
            }
            if Instant::now() > until {
                return Err(Failure::Timeout(format!(
                    "{what}: no answer within {} s",
                    self.limits.step.as_secs()
                )));
            }
        }
    }

    fn ready_within(&self, fd: &OwnedFd, what: &str) -> Res<Ready> {
        match self.recv_within(fd, what)? {
            Msg::Ready(r) => Ok(r),
            Msg::Reply(r) => broken(format!("{what}: failed with errno {}", r.errno)),
        }
    }

    /// `process NAME`: a new worker, child of the controller (init).
    pub fn spawn(&mut self, name: &str) -> Res<()> {
        let (ours, theirs) = seqpacket_pair()?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("worker");
        if let Some(cpu) = self.cpu {
            cmd.args(["--cpu", &cpu.to_string()]);
        }
        cmd.env("GLIBC_TUNABLES", "glibc.pthread.rseq=0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .process_group(self.pgid);
        let theirs_raw = theirs.as_raw_fd();
        // Safety: dup2 and prctl are async-signal-safe and allocate nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(theirs_raw, CTRL_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .or_else(|e| broken(format!("cannot start a worker: {e}")))?;
        drop(theirs);
        let pid = child.id() as i32;
        // Registered before it is ready, so that a failure still reaps it.
        self.by_pid.insert(pid, name.to_string());
        let ready = self.ready_within(&ours, &format!("starting {name}"))?;
        self.procs.insert(
            name.to_string(),
            KProc {
                pid,
                ctrl: Some(ours),
                life: Life::Alive,
                regions: BTreeMap::new(),
                fds: BTreeMap::new(),
                published: ready.published,
                last_op: None,
                pending: None,
                last_reaped: None,
                parent: INIT_NAME.to_string(),
                before: self.last.clone(),
                extra: Extra::None,
                handled: BTreeMap::new(),
            },
        );
        Ok(())
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

    fn translate(&self, actor: &str, op: &Op) -> Res<Cmd> {
        let sig = |s: &Signal| i32::from(s.number());
        Ok(match op {
            Op::Mmap {
                region,
                pages,
                shared,
            } => Cmd::Mmap {
                name: region.text.clone(),
                pages: *pages,
                shared: *shared,
            },
            Op::Munmap { region } => Cmd::Munmap {
                name: region.text.clone(),
            },
            Op::Read { region, range } => Cmd::Read {
                name: region.text.clone(),
                start: range.start,
                end: range.end,
            },
            Op::Write { region, range } => Cmd::Write {
                name: region.text.clone(),
                start: range.start,
                end: range.end,
            },
            Op::Fork { .. } => Cmd::Fork,
            Op::Exec { .. } => Cmd::Exec,
            Op::Exit { code } => Cmd::Exit { code: *code },
            Op::Wait { child } => Cmd::Wait {
                pid: match child {
                    Some(c) => self.pid_of(c.as_str())?,
                    None => -1,
                },
            },
            Op::Pipe { .. } => Cmd::Pipe,
            Op::Socketpair { dgram, .. } => Cmd::Socketpair { dgram: *dgram },
            Op::Close { end } => Cmd::Close {
                fd: self.fd_of(actor, end)?,
            },
            Op::Send {
                end,
                payload,
                nonblock,
            } => Cmd::Send {
                fd: self.fd_of(actor, end)?,
                len: payload.len(),
                text: match payload {
                    Payload::Text(t) => Some(t.clone()),
                    Payload::Bytes(_) => None,
                },
                nonblock: *nonblock,
                socket: end_is_socket(end),
            },
            Op::Recv { end, max, nonblock } => Cmd::Recv {
                fd: self.fd_of(actor, end)?,
                max: *max,
                nonblock: *nonblock,
                socket: end_is_socket(end),
            },
            Op::Pipesize { pipe, bytes } => {
                let w = End::PipeWrite { pipe: pipe.clone() };
                let r = End::PipeRead { pipe: pipe.clone() };
                let fd = Some(self.fd_of(actor, &w)?)
                    .filter(|&fd| fd >= 0)
                    .map_or_else(|| self.fd_of(actor, &r), Ok)?;
                Cmd::Pipesize { fd, bytes: *bytes }
            }
            Op::Sndbuf { end, bytes } => Cmd::Sndbuf {
                fd: self.fd_of(actor, end)?,
                bytes: *bytes,
            },
            Op::Signal {
                signal,
                action,
                nocldwait,
            } => Cmd::Signal {
                sig: sig(signal),
                action: match action {
                    Action::Handle => Disposition::Handle,
                    Action::Ignore => Disposition::Ignore,
                    Action::Default => Disposition::Default,
                },
                nocldwait: *nocldwait,
            },
            Op::Block { signals } => Cmd::Block {
                sigs: signals.iter().map(sig).collect(),
            },
            Op::Unblock { signals } => Cmd::Unblock {
                sigs: signals.iter().map(sig).collect(),
            },
            Op::Kill { target, signal } => Cmd::Kill {
                pid: self.pid_of(target.as_str())?,
                sig: sig(signal),
            },
        })
    }

    /// Do `op` as `actor`, as step `step` from source line `line`, and let
    /// the machine settle.
    pub fn op(&mut self, step: u32, line: u32, actor: &str, op: &Op) -> Res<()> {
        self.check_time()?;
        let p = self.proc(actor)?;
        if p.life != Life::Alive {
            return broken(format!("{actor} is not alive on the kernel"));
        }
        if p.pending.is_some() {
            return broken(format!("{actor} is still blocked on the kernel"));
        }
        let cmd = self.translate(actor, op)?;
        let before = self.last.clone();
        let misbehave = self.misbehave.get(&line).copied();
        let p = self.procs.get_mut(actor).expect("checked above");
        p.before = before;
        p.last_op = Some(LastOpObs {
            step,
            faults: 0,
            result: None,
        });
        let ctrl = p.ctrl.as_ref().expect("a live worker has its channel");
        let child_pair = if matches!(op, Op::Fork { .. }) {
            Some(seqpacket_pair()?)
        } else {
            None
        };
        let req = Request { cmd, misbehave };
        proto::send(
            ctrl.as_fd(),
            &req,
            child_pair.as_ref().map(|(_, theirs)| theirs.as_raw_fd()),
        )
        .or_else(|e| broken(format!("line {line}: cannot reach {actor}: {e}")))?;
        match op {
            Op::Fork { child } => {
                let (ours, theirs) = child_pair.expect("made above");
                drop(theirs);
                self.finish_fork(step, line, actor, child.as_str(), ours)?;
            }
            Op::Exec { .. } => self.finish_exec(step, line, actor)?,
            Op::Exit { .. } => self.finish_exit(line, actor)?,
            Op::Wait { .. } => self.await_reply(line, actor, Pending::Wait, false)?,
            // kill and unblock cannot sleep: if they leave their process
            // stopped, they succeeded (it stopped itself) and returned 0
            // before the stop signal was taken on the way out.
            Op::Kill { .. } | Op::Unblock { .. } => {
                self.await_reply(line, actor, Pending::Other, true)?
            }
            _ => self.await_reply(line, actor, Pending::Other, false)?,
        }
        let p = self.procs.get_mut(actor).expect("actor");
        let extra = std::mem::replace(&mut p.extra, Extra::None);
        match (op, extra) {
            (Op::Mmap { region, pages, .. }, Extra::Addr(addr)) => {
                p.regions.insert(region.text.clone(), (addr, *pages));
            }
            (Op::Pipe { pipe }, Extra::Fds(r, w)) => {
                p.fds.insert(format!("{pipe}.r"), r);
                p.fds.insert(format!("{pipe}.w"), w);
            }
            (Op::Socketpair { pair, .. }, Extra::Fds(a, b)) => {
                p.fds.insert(format!("{pair}.0"), a);
                p.fds.insert(format!("{pair}.1"), b);
            }
            (Op::Close { end }, _) => {
                p.fds.remove(&end.to_string());
            }
            (Op::Munmap { region }, _) => {
                p.regions.remove(region.as_str());
            }
            _ => {}
        }
        Ok(())
    }

    /// Record a completed operation's reply.
    fn complete(&mut self, actor: &str, reply: Reply, kind: Pending) {
        let mut reaped = None;
        let result = if reply.errno != 0 {
            match Errno::from_number(reply.errno) {
                Some(e) => OpResult::Error(e),
                None => OpResult::Value(-i64::from(reply.errno)),
            }
        } else if kind == Pending::Wait {
            reaped = Some(reply.ret as i32);
            OpResult::Value(self.model_pid(reply.ret))
        } else {
            OpResult::Value(reply.ret)
        };
        let p = self
            .procs
            .get_mut(actor)
            .expect("a completing process exists");
        p.pending = None;
        if let Some(last) = &mut p.last_op {
            last.faults = reply.faults;
            last.result = Some(result);
        }
        if let Extra::Waited(raw) = reply.extra {
            // The model's one decoder; waitpid without WUNTRACED reports only
            // exits and deaths, and a death by a signal a scenario cannot
            // name stays unknown (shown as a difference) rather than a panic.
            p.last_reaped = WaitStatus(raw).try_decode();
        }
        p.extra = reply.extra;
        if let Some(pid) = reaped {
            if let Some(name) = self.by_pid.get(&pid).cloned() {
                if let Some(c) = self.procs.get_mut(&name) {
                    c.life = Life::Gone;
                    c.ctrl = None;
                }
            }
        }
    }

    /// Wait for `actor`'s reply; if instead it sleeps in the kernel with no
    /// reply, its operation is blocked and completes in a later step.
    fn await_reply(
        &mut self,
        line: u32,
        actor: &str,
        kind: Pending,
        zero_if_stopped: bool,
    ) -> Res<()> {
        let until = Instant::now() + self.limits.step;
        let pid = self.pid_of(actor)?;
        let mut sleeping_seen = 0;
        loop {
            self.check_time()?;
            let ctrl = self
                .proc(actor)?
                .ctrl
                .as_ref()
                .expect("a live worker has its channel");
            if readable(ctrl, 1) {
                let mut buf = Vec::new();
                match proto::recv::<Msg>(ctrl.as_fd(), &mut buf) {
                    Ok(Some((Msg::Reply(r), _))) => {
                        self.complete(actor, r, kind);
                        return Ok(());
                    }
                    Ok(Some((Msg::Ready(_), _))) => {
                        return broken(format!("line {line}: {actor} answered out of turn"))
                    }
                    // The worker died in its operation (SIGPIPE, a signal...).
                    Ok(None) | Err(_) => return Ok(()),
                }
            }
            match probe::stat(pid).map(|s| s.state) {
                None | Some('Z') | Some('X') => return Ok(()),
                Some('S') | Some('T') | Some('t') => {
                    // Sleeping with no reply queued: blocked (checked twice).
                    if !readable(ctrl, 0) {
                        sleeping_seen += 1;
                        if sleeping_seen >= 2 {
                            let p = self.procs.get_mut(actor).expect("actor");
                            p.pending = Some(kind);
                            let stopped = probe::stat(pid).is_some_and(|s| s.state == 'T');
                            if let (true, true, Some(last)) =
                                (zero_if_stopped, stopped, p.last_op.as_mut())
                            {
                                last.result = Some(OpResult::Value(0));
                            }
                            return Ok(());
                        }
                    }
                }
                _ => sleeping_seen = 0,
            }
            if Instant::now() > until {
                return Err(Failure::Timeout(format!(
                    "line {line}: {actor}'s operation neither completed nor blocked within {} s",
                    self.limits.step.as_secs()
                )));
            }
        }
    }

    fn finish_fork(
        &mut self,
        step: u32,
        line: u32,
        actor: &str,
        child: &str,
        ours: OwnedFd,
    ) -> Res<()> {
        let ctrl = self.proc(actor)?.ctrl.as_ref().expect("live");
        let reply = match self.recv_within(ctrl, &format!("line {line}: fork"))? {
            Msg::Reply(r) => r,
            Msg::Ready(_) => return broken(format!("line {line}: {actor} answered out of turn")),
        };
        if reply.errno != 0 {
            self.complete(actor, reply, Pending::Other);
            return Ok(());
        }
        let pid = reply.ret as i32;
        self.by_pid.insert(pid, child.to_string());
        let ready = self.ready_within(&ours, &format!("line {line}: the child of fork"))?;
        let parent = self.proc(actor)?;
        let kid = KProc {
            pid,
            ctrl: Some(ours),
            life: Life::Alive,
            regions: parent.regions.clone(),
            fds: parent.fds.clone(),
            published: ready.published,
            last_op: Some(LastOpObs {
                step,
                faults: 0,
                result: Some(OpResult::Value(0)),
            }),
            pending: None,
            last_reaped: None,
            parent: actor.to_string(),
            before: self.last.clone(),
            extra: Extra::None,
            handled: BTreeMap::new(),
        };
        self.procs.insert(child.to_string(), kid);
        let faults = reply.faults;
        let value = self.model_pid(i64::from(pid));
        let p = self.procs.get_mut(actor).expect("actor");
        p.last_op = Some(LastOpObs {
            step,
            faults,
            result: Some(OpResult::Value(value)),
        });
        Ok(())
    }

    fn finish_exec(&mut self, step: u32, line: u32, actor: &str) -> Res<()> {
        let ctrl = self.proc(actor)?.ctrl.as_ref().expect("live");
        match self.recv_within(ctrl, &format!("line {line}: exec"))? {
            Msg::Ready(ready) => {
                let p = self.procs.get_mut(actor).expect("actor");
                p.regions.clear();
                p.published = ready.published;
                // The new image's own start-up faults are not the operation's:
                // like the model, count none.
                p.last_op = Some(LastOpObs {
                    step,
                    faults: 0,
                    result: Some(OpResult::Value(0)),
                });
            }
            Msg::Reply(r) => self.complete(actor, r, Pending::Other),
        }
        Ok(())
    }

    fn finish_exit(&mut self, line: u32, actor: &str) -> Res<()> {
        let pid = self.pid_of(actor)?;
        let until = Instant::now() + self.limits.step;
        loop {
            self.check_time()?;
            match probe::stat(pid).map(|s| s.state) {
                None | Some('Z') | Some('X') => break,
                _ if Instant::now() > until => {
                    return Err(Failure::Timeout(format!(
                        "line {line}: {actor} did not exit"
                    )));
                }
                _ => std::thread::sleep(Duration::from_micros(100)),
            }
        }
        let p = self.procs.get_mut(actor).expect("actor");
        p.life = Life::Zombie;
        p.ctrl = None;
        p.regions.clear();
        p.fds.clear();
        Ok(())
    }

    /// Wait until every process is quiet: no deliverable signal pending,
    /// nobody running, every death settled into a zombie (or reaped by the
    /// controller, as init reaps), every completed operation collected.
    pub fn settle(&mut self) -> Res<()> {
        let until = Instant::now() + self.limits.step;
        loop {
            self.check_time()?;
            let mut quiet = true;
            self.reap_orphans();
            let names: Vec<String> = self.procs.keys().cloned().collect();
            for name in names {
                let p = &self.procs[&name];
                if p.life == Life::Gone {
                    continue;
                }
                if let (Some(kind), Some(ctrl)) = (p.pending, p.ctrl.as_ref()) {
                    if readable(ctrl, 0) {
                        let mut buf = Vec::new();
                        match proto::recv::<Msg>(ctrl.as_fd(), &mut buf) {
                            Ok(Some((Msg::Reply(r), _))) => self.complete(&name, r, kind),
                            // The channel closed: the worker died in its
                            // operation (killed by a signal); it never returns.
                            Ok(None) | Err(_) => {
                                let p = self.procs.get_mut(&name).expect("listed");
                                p.ctrl = None;
                                p.pending = None;
                            }
                            Ok(Some((Msg::Ready(_), _))) => {}
                        }
                        quiet = false;
                        continue;
                    }
                }
                let pid = p.pid;
                match probe::stat(pid) {
                    None => {
                        let p = self.procs.get_mut(&name).expect("listed");
                        p.life = Life::Gone;
                        p.ctrl = None;
                    }
                    Some(s) if s.state == 'Z' || s.state == 'X' => {
                        let p = self.procs.get_mut(&name).expect("listed");
                        if p.life == Life::Alive {
                            p.life = Life::Zombie;
                            p.ctrl = None;
                            p.regions.clear();
                            p.fds.clear();
                            p.pending = None;
                        }
                        if s.ppid == self.me {
                            quiet = false; // the controller reaps it next round
                        }
                    }
                    Some(s) if s.state == 'R' => quiet = false,
                    // Stopped: signals other than SIGKILL and SIGCONT stay
                    // pending until it continues, so pending ones are quiet.
                    Some(s) if s.state == 'T' => {}
                    Some(_) => {
                        if let Some((pending, blocked)) = probe::signals(pid) {
                            if pending & !blocked != 0 {
                                quiet = false;
                            }
                        }
                        // Asleep now, but it may have replied between the poll
                        // above and the stat: look again.
                        let p = &self.procs[&name];
                        if let (Some(_), Some(ctrl)) = (p.pending, p.ctrl.as_ref()) {
                            if readable(ctrl, 0) {
                                quiet = false;
                            }
                        }
                    }
                }
            }
            if quiet {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(Failure::Timeout(format!(
                    "the processes did not settle within {} s",
                    self.limits.step.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// Reap the controller's zombie children: init reaps at once.
    fn reap_orphans(&mut self) {
        loop {
            let mut status = 0;
            // Safety: waitpid writes a status into a local.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            if let Some(name) = self.by_pid.get(&pid).cloned() {
                if let Some(p) = self.procs.get_mut(&name) {
                    p.life = Life::Gone;
                    p.ctrl = None;
                    p.regions.clear();
                    p.fds.clear();
                    // Only init's children are the controller's to reap: a
                    // zombie whose parent died was reparented first.
                    p.parent = INIT_NAME.to_string();
                }
            }
        }
    }

    /// The parent's name as a scenario says it.
    fn parent_name(&self, ppid: i32) -> String {
        if ppid == self.me || ppid <= 1 {
            INIT_NAME.to_string()
        } else {
            self.by_pid
                .get(&ppid)
                .cloned()
                .unwrap_or_else(|| INIT_NAME.to_string())
        }
    }

    fn observe_pages(&self, pid: i32, addr: u64, pages: u32) -> Vec<PageObs> {
        let entries = probe::pagemap(pid, addr, pages as usize).unwrap_or_default();
        entries
            .iter()
            .map(|e| {
                if !e.present() {
                    PageObs::Absent
                } else if let (Some(zero), Some(kpc)) = (self.zero, &self.kpc) {
                    if e.pfn() == zero {
                        PageObs::Zero
                    } else {
                        PageObs::Frame {
                            frame: e.pfn(),
                            users: kpc.users(e.pfn()).unwrap_or(0) as u32,
                        }
                    }
                } else {
                    // Without privilege: no PFN; the exclusive bit says 1 user or more.
                    PageObs::Frame {
                        frame: 0,
                        users: if e.exclusive() { 1 } else { 2 },
                    }
                }
            })
            .collect()
    }

    /// The machine as it is now.
    pub fn observe(&mut self) -> Observation {
        let mut obs = Observation::default();
        let names: Vec<String> = self.procs.keys().cloned().collect();
        for name in &names {
            let p = &self.procs[name];
            let stat = if p.life == Life::Gone {
                None
            } else {
                probe::stat(p.pid)
            };
            let parent = match stat {
                Some(s) => self.parent_name(s.ppid),
                None => p.parent.clone(),
            };
            let state = match p.life {
                Life::Gone => StateName::Gone,
                Life::Zombie => StateName::Zombie,
                // /proc state T: stopped by a stop signal (not 't', traced).
                Life::Alive if stat.is_some_and(|s| s.state == 'T') => StateName::Stopped,
                Life::Alive if p.pending.is_some() => StateName::Blocked,
                Life::Alive => StateName::Running,
            };
            let regions = if p.life == Life::Alive {
                p.regions
                    .iter()
                    .map(|(r, (addr, pages))| (r.clone(), self.observe_pages(p.pid, *addr, *pages)))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let words = if p.life == Life::Alive {
                probe::published(p.pid, p.published)
            } else {
                None
            };
            let mut last_op = p.last_op.clone();
            if let (Some(last), Some(_), Some(w), Some(s)) = (&mut last_op, p.pending, &words, stat)
            {
                last.faults = s.minflt.saturating_sub(w[65]);
            }
            let handled: BTreeMap<Signal, u64> = match words {
                Some(w) => (1..65u8)
                    .filter(|&n| w[n as usize] > 0)
                    .filter_map(|n| Signal::from_number(n).map(|s| (s, w[n as usize])))
                    .collect(),
                None => p.handled.clone(),
            };
            obs.processes.insert(
                name.clone(),
                ProcObs {
                    state,
                    parent: parent.clone(),
                    regions,
                    last_op,
                    handled: handled.clone(),
                    last_reaped: p.last_reaped,
                },
            );
            let p = self.procs.get_mut(name).expect("listed");
            p.parent = parent;
            p.handled = handled;
        }
        let mut ends: BTreeMap<String, (i32, i32)> = BTreeMap::new();
        for p in self.procs.values().filter(|p| p.life == Life::Alive) {
            for (key, fd) in &p.fds {
                ends.entry(key.clone()).or_insert((p.pid, *fd));
            }
        }
        for (key, (pid, fd)) in ends {
            let Some(n) = probe::fionread(pid, fd).filter(|&n| n > 0) else {
                continue;
            };
            // FIONREAD on either end of a pipe counts the same buffers
            // (pipe_ioctl), so an end nobody holds any more is seen through
            // the other. A socket's count is its own receive queue, purged
            // when its last fd is closed (unix_release_sock).
            let pipe = key
                .strip_suffix(".r")
                .or_else(|| key.strip_suffix(".w"))
                .map(str::to_string);
            if let Some(pipe) = pipe {
                obs.queued.insert(format!("{pipe}.r"), n);
                obs.queued.insert(format!("{pipe}.w"), n);
            } else {
                obs.queued.insert(key, n);
            }
        }
        self.last = obs.clone();
        obs
    }

    /// The observation from before `process`'s last operation.
    pub fn before_last_op(&self, process: &str) -> Option<&Observation> {
        self.procs.get(process).map(|p| &p.before)
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
