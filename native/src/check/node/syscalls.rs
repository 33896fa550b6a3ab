//! The kernel steps each Node statement's group claims, against the
//! system calls node really made (`strace -f`), in order, process by
//! process.
//!
//! Each claimed step stands for some system calls (`TABLE`, the one place
//! that says which, documented in docs/check-node.md "Kernel steps"), with
//! the arguments the model knows: flags, sizes, a signal, the exact bytes
//! of a write, the pid of a child. Every step must be found in the real
//! trace of its process, in the model's order, inside the statement's
//! window; node makes many more calls (its own start, epoll, mmap, its
//! threads' work), which are not gaps. The model's fd numbers are its own,
//! so fds are not compared, except that the harness's control socket is
//! left out.
//!
//! A statement's window in a process: its calls after its answer to the
//! previous barrier (`{"synced":N}` on its control socket) up to its
//! answer to this statement's (or its end). What a process does before
//! the barrier is this statement's, since forkscope waits for every event
//! the model expects before it.
//!
//! The races, and how they are compared:
//! - Two processes: which of a parent and its child runs first after the
//!   fork, whether the parent's read of the error pipe starts before the
//!   child's exec, whether a receiver reads before the sender's next call.
//!   The scheduler decides, so steps are compared per process, never
//!   across processes (`by_process`).
//! - A signal handler against the loop: libuv's SIGCHLD handler writes to
//!   the signal pipe whenever SIGCHLD arrives, on any of the process's
//!   threads; the dying child closes its fds (the channel's end of file
//!   wakes the loop) before exit_notify sends SIGCHLD, so the loop may read
//!   the end of file and close the channel before or after the handler
//!   ran. A handler's step is matched among all the process's threads,
//!   in order with the handler's other steps only (`Strand::Handler`);
//!   the loop's steps are matched on the loop's thread (whose tid is the
//!   pid), in order (`Strand::Loop`).

use super::model::Claim;
use super::strace::{Call, Known};
use serde::Serialize;
use sim_core::scenario::ast::{Action, Op, Payload};
use std::collections::BTreeMap;

/// Which system calls stand for each kernel statement of a group, and
/// what of their arguments is compared. docs/check-node.md repeats it.
pub(super) const TABLE: &[(&str, &str, &str)] = &[
    ("node NAME (the process starts)", "execve", "returns 0"),
    ("socketpair P [dgram] [cloexec]", "socketpair", "SOCK_STREAM or SOCK_DGRAM; SOCK_CLOEXEC when cloexec"),
    ("pipe P [cloexec]", "pipe2, pipe", "O_CLOEXEC when cloexec"),
    ("signal SIG handle|ignore|default [mask all]", "rt_sigaction", "SIG; a new action (not a query): a handler with SA_RESTART, SIG_IGN or SIG_DFL; sa_mask ~[...] for mask all"),
    ("block / unblock", "rt_sigprocmask", "SIG_BLOCK, or SIG_UNBLOCK / SIG_SETMASK"),
    ("fork C", "clone, clone3, fork, vfork", "no CLONE_THREAD; returns C's pid"),
    ("exec PROGRAM", "execve", "a path ending in PROGRAM; returns 0"),
    ("close END", "close", "returns 0"),
    ("cloexec END on", "fcntl", "F_SETFD, FD_CLOEXEC"),
    ("cloexec END off", "fcntl, dup2, dup3", "F_SETFD, 0; or a dup2 (libuv places the channel on fd 3 with dup2, whose new fd is not close-on-exec)"),
    ("send END TEXT", "write, writev, sendmsg, sendto", "exactly TEXT's bytes moved"),
    ("send END N", "write, writev, sendmsg, sendto", "N bytes moved"),
    ("recv END MAX", "read, readv, recvmsg, recvfrom", "asks for MAX bytes (count, or iov_len)"),
    ("wait [C] [nohang]", "wait4, waitid", "C's pid; WNOHANG when nohang"),
    ("kill C SIG", "kill, tgkill", "C's pid; SIG"),
    ("exit CODE", "exit_group, exit", "CODE (mod 256)"),
    ("thread T", "clone, clone3", "CLONE_THREAD (a Worker's thread)"),
];

/// Which calls of a process a claimed step is looked for among.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Strand {
    /// The loop's thread (tid = pid), in order.
    Loop,
    /// A signal handler: any thread of the process, in order with the
    /// handler's other steps only.
    Handler,
}

/// The pids of the run's processes, by scenario name.
type Pids = BTreeMap<String, u32>;

/// The row of `TABLE` that says which system calls `op` stands for; None
/// for a statement no group claims (memory statements), which is not
/// compared.
fn row(op: &Op) -> Option<&'static (&'static str, &'static str, &'static str)> {
    let k = match op {
        Op::Socketpair { .. } => 1,
        Op::Pipe { .. } => 2,
        Op::Signal { .. } => 3,
        Op::Block { .. } | Op::Unblock { .. } => 4,
        Op::Fork { .. } => 5,
        Op::Exec { .. } => 6,
        Op::Close { .. } => 7,
        Op::Cloexec { on: true, .. } => 8,
        Op::Cloexec { on: false, .. } => 9,
        Op::Send {
            payload: Payload::Text(_),
            ..
        } => 10,
        Op::Send { .. } => 11,
        Op::Recv { .. } => 12,
        Op::Wait { .. } => 13,
        Op::Kill { .. } => 14,
        Op::Exit { .. } => 15,
        Op::Thread { .. } => 16,
        Op::Mmap { .. }
        | Op::Munmap { .. }
        | Op::Read { .. }
        | Op::Write { .. }
        | Op::Pipesize { .. }
        | Op::Subreaper
        | Op::Sndbuf { .. } => return None,
    };
    TABLE.get(k)
}

/// The system calls `op` stands for, as `TABLE` names them (`pipe2,
/// pipe`); empty for a statement that is not compared.
fn looked_for(op: &Op) -> &'static str {
    row(op).map_or("", |r| r.1)
}

/// Whether `call` is one of the system calls `op` stands for.
fn named(op: &Op, call: &Call) -> bool {
    looked_for(op).split(", ").any(|n| n == call.name)
}

/// The new action's field `key=VALUE` in an rt_sigaction's arguments.
fn field<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    let at = args.find(key)? + key.len();
    let rest = &args[at..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The count a read-like call asked for.
fn asked(call: &Call) -> Option<u64> {
    if let Some(v) = field(&call.args, "iov_len=") {
        return v.trim().parse().ok();
    }
    call.args.rsplit(',').next()?.trim().parse().ok()
}

/// Whether `call` is the step `op` claims (`TABLE`'s arguments).
fn fits(op: &Op, call: &Call, pids: &Pids) -> bool {
    if !named(op, call) {
        return false;
    }
    let pid_of = |name: &str| pids.get(name).map(|&p| i64::from(p));
    let args = call.args.as_str();
    match op {
        Op::Socketpair { dgram, cloexec, .. } => {
            args.contains(if *dgram { "SOCK_DGRAM" } else { "SOCK_STREAM" })
                && args.contains("SOCK_CLOEXEC") == *cloexec
        }
        Op::Pipe { cloexec, .. } => match call.name.as_str() {
            "pipe2" => args.contains("O_CLOEXEC") == *cloexec,
            _ => !cloexec,
        },
        Op::Signal {
            signal,
            action,
            full_mask,
            ..
        } => {
            let mut parts = args.splitn(2, ',');
            let (sig, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if sig.trim() != signal.to_string() || rest.trim_start().starts_with("NULL") {
                return false;
            }
            let handler = field(rest, "sa_handler=").unwrap_or("");
            let flags = field(rest, "sa_flags=").unwrap_or("");
            let mask_all = field(rest, "sa_mask=").is_some_and(|m| m.starts_with("~["));
            match action {
                Action::Default => handler == "SIG_DFL",
                Action::Ignore => handler == "SIG_IGN",
                Action::Handle => {
                    !matches!(handler, "SIG_DFL" | "SIG_IGN")
                        && flags.contains("SA_RESTART")
                        && mask_all == *full_mask
                }
            }
        }
        Op::Block { .. } => args.starts_with("SIG_BLOCK"),
        Op::Unblock { .. } => args.starts_with("SIG_UNBLOCK") || args.starts_with("SIG_SETMASK"),
        Op::Thread { .. } => args.contains("CLONE_THREAD"),
        Op::Fork { child } => {
            !args.contains("CLONE_THREAD")
                && pid_of(&child.text).is_none_or(|pid| call.value() == Some(pid))
        }
        Op::Exec { program } => {
            let path = super::strace::first_string(args);
            call.value() == Some(0) && path.ends_with(program.as_bytes())
        }
        Op::Close { .. } => call.value() == Some(0),
        Op::Cloexec { on: true, .. } => args.contains("F_SETFD, FD_CLOEXEC"),
        Op::Cloexec { on: false, .. } => match call.name.as_str() {
            "fcntl" => args.ends_with("F_SETFD, 0"),
            "dup3" => !args.contains("O_CLOEXEC"),
            _ => true,
        },
        Op::Send { payload, .. } => match (payload, call.written()) {
            (Payload::Text(text), Some(got)) => got == text.as_bytes(),
            (Payload::Bytes(n), Some(got)) => got.len() as u64 == *n,
            _ => false,
        },
        Op::Recv { max, .. } => asked(call) == Some(*max),
        Op::Wait { child, nohang } => {
            let pid_fits = match child {
                Some(c) => pid_of(&c.text).is_none_or(|pid| call.first_number() == Some(pid)),
                None => true,
            };
            pid_fits && args.contains("WNOHANG") == *nohang
        }
        Op::Kill { target, signal } => {
            let mut parts = args.split(',').map(str::trim);
            let (first, second) = (parts.next(), parts.next());
            let (pid, sig) = match call.name.as_str() {
                // tgkill(tgid, tid, sig)
                "tgkill" => (first, parts.next()),
                _ => (first, second),
            };
            let pid_fits =
                pid_of(&target.text).is_none_or(|p| pid.and_then(|x| x.parse().ok()) == Some(p));
            pid_fits && sig == Some(signal.to_string().as_str())
        }
        Op::Exit { code } => call
            .first_number()
            .is_some_and(|c| c & 0xff == i64::from(*code & 0xff)),
        _ => false,
    }
}

/// The first claimed step not found in node's calls, and what node did
/// there instead.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Missing {
    pub process: String,
    /// The kernel statement the model ran.
    pub step: String,
    /// The system calls it stands for.
    pub syscalls: String,
    /// The call the step before it (in that process and strand) matched.
    pub after: Option<String>,
    /// Up to three calls of those names that came after that, in its
    /// window (each as strace wrote it, cut at 160 characters).
    pub saw: Vec<String>,
}

/// One group's kernel steps against node's system calls.
#[derive(Clone, Debug, Serialize)]
pub(super) struct SyscallCheck {
    /// `agree` or `differ`.
    pub status: &'static str,
    /// How many claimed steps were compared (memory statements are not).
    pub steps: usize,
    /// How many were found, in order.
    pub found: usize,
    pub missing: Option<Missing>,
}

/// Every call of the run, each process's calls cut into windows.
pub(super) struct Traced {
    calls: Vec<Call>,
    /// By (pid, statement number): indexes into `calls`, in order.
    windows: BTreeMap<(u32, usize), Vec<usize>>,
    pids: Pids,
    /// Each thread's process (its thread group leader).
    tgid: BTreeMap<u32, u32>,
    /// The pids of spawned programs, which run no harness: each learned
    /// from the return value of the fork call its parent's `fork C` step
    /// matched. A program has no barriers, so its window is all its calls.
    programs: std::cell::RefCell<Pids>,
}

/// The `{"synced":N}` numbers a control write carries.
fn synced(bytes: &[u8]) -> Vec<usize> {
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .filter_map(|v| v["synced"].as_u64())
        .map(|n| n as usize)
        .collect()
}

/// Whether a call moves bytes on fd `fd` (so on the control socket, when
/// `fd` is its number).
fn io_on(call: &Call, fd: i64) -> bool {
    matches!(
        call.name.as_str(),
        "read" | "readv" | "recvmsg" | "recvfrom" | "write" | "writev" | "sendmsg" | "sendto"
    ) && call.first_number() == Some(fd)
}

impl Traced {
    /// Read strace's `text`; `runs` are the numbers of the statements run
    /// in node (a process's calls after its last barrier are the next
    /// one's: the statement it ended in).
    pub fn new(text: &str, known: &[Known], runs: &[usize]) -> Traced {
        let calls = super::strace::calls(text);
        let mut tgid: BTreeMap<u32, u32> = BTreeMap::new();
        for c in &calls {
            if !matches!(c.name.as_str(), "clone" | "clone3" | "fork" | "vfork") {
                continue;
            }
            let Some(new) = c.value().and_then(|v| u32::try_from(v).ok()) else {
                continue;
            };
            let leader = if c.args.contains("CLONE_THREAD") {
                tgid.get(&c.tid).copied().unwrap_or(c.tid)
            } else {
                new
            };
            tgid.insert(new, leader);
        }
        let mut windows: BTreeMap<(u32, usize), Vec<usize>> = BTreeMap::new();
        for k in known {
            let mut pending = Vec::new();
            let mut last = None;
            for (i, c) in calls.iter().enumerate() {
                if tgid.get(&c.tid).copied().unwrap_or(c.tid) != k.pid {
                    continue;
                }
                if c.tid == k.pid && io_on(c, k.control_fd) {
                    for n in c.written().map(|b| synced(&b)).unwrap_or_default() {
                        windows.entry((k.pid, n)).or_default().append(&mut pending);
                        last = Some(n);
                    }
                    continue;
                }
                pending.push(i);
            }
            // Calls after the last statement's barrier are still its own:
            // nothing runs after it, and its loop may go on with what it
            // set off (a failed exec's signal-pipe read can come after
            // the events forkscope waited for: a race with the barrier).
            let next = runs
                .iter()
                .find(|&&r| last.is_none_or(|l| r > l))
                .or_else(|| runs.last().filter(|&&r| Some(r) == last));
            if let Some(&n) = next {
                windows.entry((k.pid, n)).or_default().append(&mut pending);
            }
        }
        Traced {
            calls,
            windows,
            pids: known.iter().map(|k| (k.name.clone(), k.pid)).collect(),
            tgid,
            programs: Default::default(),
        }
    }

    /// The claimed `steps` of statement `n` against node's calls.
    pub fn check(&self, n: usize, steps: &[Claim]) -> SyscallCheck {
        let compared: Vec<&Claim> = steps.iter().filter(|c| row(&c.op).is_some()).collect();
        let mut found = 0;
        let mut missing = None;
        // Per process and strand: a race between two processes, or between
        // a handler and its loop, is never taken for a disagreement.
        let mut by_process: Vec<((String, Strand), Vec<&Claim>)> = Vec::new();
        for claim in &compared {
            let strand = if claim.in_handler {
                Strand::Handler
            } else {
                Strand::Loop
            };
            let key = (claim.process.clone(), strand);
            match by_process.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(claim),
                None => by_process.push((key, vec![claim])),
            }
        }
        for ((process, strand), claims) in &by_process {
            let program = self.programs.borrow().get(process).copied();
            let pid = self.pids.get(process).copied().or(program);
            let window: Vec<usize> = match (program, pid) {
                // A spawned program: every call of its process.
                (Some(p), _) if !self.pids.contains_key(process) => (0..self.calls.len())
                    .filter(|&i| self.process_of(self.calls[i].tid) == p)
                    .collect(),
                _ => pid
                    .and_then(|p| self.windows.get(&(p, n)))
                    .map(|w| {
                        w.iter()
                            .copied()
                            .filter(|&i| {
                                *strand == Strand::Handler || Some(self.calls[i].tid) == pid
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let (matched, gap) = self.embed(claims, &window);
            found += matched;
            if let (Some((k, after)), None) = (gap, &missing) {
                let claim = claims[k];
                let from = after.map_or(0, |a| a + 1);
                let saw = window[from.min(window.len())..]
                    .iter()
                    .map(|&i| &self.calls[i])
                    .filter(|c| named(&claim.op, c))
                    .take(3)
                    .map(shown)
                    .collect();
                missing = Some(Missing {
                    process: process.clone(),
                    step: claim.source.clone(),
                    syscalls: looked_for(&claim.op).to_string(),
                    after: after.map(|a| shown(&self.calls[window[a]])),
                    saw,
                });
            }
        }
        SyscallCheck {
            status: if missing.is_none() { "agree" } else { "differ" },
            steps: compared.len(),
            found,
            missing,
        }
    }

    /// The process `tid` belongs to.
    fn process_of(&self, tid: u32) -> u32 {
        self.tgid.get(&tid).copied().unwrap_or(tid)
    }

    /// A matched `fork C` of a child that runs no harness (a spawned
    /// program) names C's pid: the fork call's return value.
    fn learn_program(&self, op: &Op, call: &Call) {
        if let Op::Fork { child } = op {
            if self.pids.contains_key(&child.text) {
                return;
            }
            if let Some(pid) = call.value().and_then(|v| u32::try_from(v).ok()) {
                self.programs.borrow_mut().insert(child.text.clone(), pid);
            }
        }
    }

    /// Each claim found in `window`, in order, each the first fitting
    /// call after the one before (greedy is complete for a subsequence):
    /// how many were found, and the first not found with the window's
    /// place of the last found.
    fn embed(
        &self,
        claims: &[&Claim],
        window: &[usize],
    ) -> (usize, Option<(usize, Option<usize>)>) {
        let mut at = 0;
        let mut last = None;
        for (k, claim) in claims.iter().enumerate() {
            let hit = window[at..]
                .iter()
                .position(|&i| fits(&claim.op, &self.calls[i], &self.pids));
            match hit {
                Some(h) => {
                    last = Some(at + h);
                    at += h + 1;
                    self.learn_program(&claim.op, &self.calls[window[at - 1]]);
                }
                None => return (k, Some((k, last))),
            }
        }
        (claims.len(), None)
    }
}

/// A call as strace wrote it, cut at 160 characters.
fn shown(call: &Call) -> String {
    let text = call.text();
    match text.char_indices().nth(160) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// strace's `-e trace=` set: every name of `TABLE`, and the calls that
/// tell a thread from a process.
pub(super) const TRACE: &str = "trace=execve,socketpair,pipe2,pipe,rt_sigaction,rt_sigprocmask,\
clone,clone3,fork,vfork,close,fcntl,dup2,dup3,write,writev,sendmsg,sendto,read,readv,recvmsg,\
recvfrom,wait4,waitid,kill,tgkill,exit_group,exit";

#[cfg(test)]
mod tests {
    use super::*;

    /// A write as `strace -xx` prints it.
    fn write(tid: u32, fd: i64, bytes: &[u8]) -> String {
        let hex: String = bytes.iter().map(|b| format!("\\x{b:02x}")).collect();
        format!("{tid} write({fd}, \"{hex}\", {n}) = {n}\n", n = bytes.len())
    }

    /// A process's answer to barrier `n` on its control fd (19).
    fn synced(tid: u32, n: usize) -> String {
        write(tid, 19, format!("{{\"synced\":{n}}}\n").as_bytes())
    }

    /// Statement 2, a fork, as node 20 made it: main (100) and its loop
    /// thread, a worker thread (101) and the child (200). The child's
    /// pre-exec calls and the parent's read of the error pipe interleave.
    fn fork_trace() -> String {
        let mut t = String::new();
        t += &synced(100, 1);
        t += "100 socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [20, 21]) = 0\n";
        t += "100 rt_sigaction(SIGCHLD, {sa_handler=0x18b68a0, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f}, NULL, 8) = 0\n";
        t += "100 clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, exit_signal=0} => {parent_tid=[101]}, 88) = 101\n";
        t += "101 pipe2([5, 6], O_CLOEXEC) = 0\n";
        t += "100 pipe2([22, 23], O_CLOEXEC) = 0\n";
        t += "100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 200\n";
        t += "100 close(23) = 0\n";
        t += "100 read(22,  <unfinished ...>\n";
        t += "200 rt_sigaction(SIGCHLD, {sa_handler=SIG_DFL, sa_mask=[CHLD], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f}, {sa_handler=0x18b68a0, sa_mask=~[KILL STOP RTMIN RT_1], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f}, 8) = 0\n";
        t += "200 dup2(21, 3) = 3\n";
        t += "200 execve(\"\\x2f\\x75\\x73\\x72\\x2f\\x62\\x69\\x6e\\x2f\\x6e\\x6f\\x64\\x65\", [], 0x1 /* 37 vars */ <unfinished ...>\n";
        t += "100 <... read resumed>\"\", 4)          = 0\n";
        t += "100 close(22) = 0\n";
        t += "100 close(21) = 0\n";
        t += "200 <... execve resumed>)             = 0\n";
        t += "200 fcntl(3, F_SETFD, FD_CLOEXEC) = 0\n";
        t += "200 pipe2([15, 16], O_NONBLOCK|O_CLOEXEC) = 0\n";
        t += &synced(100, 2);
        t += &synced(200, 2);
        t
    }

    /// The claims of `lines`, kernel statements (`ACTOR: op`), as a group.
    fn claims(lines: &[&str]) -> Vec<Claim> {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let s = sim_core::scenario::parse(&text).expect("kernel statements parse");
        s.statements
            .iter()
            .map(|st| match &st.kind {
                sim_core::scenario::ast::StatementKind::Op { actor, op } => Claim {
                    process: actor.text.clone(),
                    in_handler: false,
                    op: op.clone(),
                    source: st.to_string(),
                },
                other => panic!("not an op: {other:?}"),
            })
            .collect()
    }

    fn known() -> Vec<Known> {
        ["main", "w"]
            .iter()
            .zip([100, 200])
            .map(|(name, pid)| Known {
                name: name.to_string(),
                pid,
                control_fd: 19,
            })
            .collect()
    }

    /// The model's fork group (node 20's order), process by process.
    const FORK: &[&str] = &[
        "main: socketpair w-ipc cloexec",
        "main: signal SIGCHLD handle mask all",
        "main: pipe w-err cloexec",
        "main: fork w",
        "main: close w-err.w",
        "main: recv w-err.r 4",
        "w: signal SIGCHLD default",
        "w: cloexec w-ipc.1 off",
        "w: exec node",
        "main: close w-err.r",
        "main: close w-ipc.1",
        "w: cloexec w-ipc.1 on",
        "w: pipe w-sig cloexec",
    ];

    #[test]
    fn a_fork_group_in_node_20s_order_agrees_with_its_system_calls() {
        let traced = Traced::new(&fork_trace(), &known(), &[1, 2, 3]);
        let got = traced.check(2, &claims(FORK));
        assert_eq!(got.status, "agree", "{got:?}");
        assert_eq!((got.steps, got.found), (FORK.len(), FORK.len()));
    }

    #[test]
    fn a_step_out_of_nodes_order_is_named_with_what_strace_saw_there() {
        // The model's old order: the error pipe before the SIGCHLD handler.
        let mut doctored = FORK.to_vec();
        doctored.swap(1, 2);
        let traced = Traced::new(&fork_trace(), &known(), &[1, 2, 3]);
        let got = traced.check(2, &claims(&doctored));
        assert_eq!(got.status, "differ");
        let missing = got.missing.expect("a step is missing");
        assert_eq!(missing.process, "main");
        assert_eq!(missing.step, "main: signal SIGCHLD handle mask all");
        assert_eq!(missing.syscalls, "rt_sigaction");
        assert_eq!(
            missing.after.as_deref(),
            Some("pipe2([22, 23], O_CLOEXEC) = 0")
        );
        // No rt_sigaction of main's loop thread after it (the child's is
        // another process's).
        assert_eq!(missing.saw, Vec::<String>::new());
    }

    #[test]
    fn a_step_is_looked_for_only_in_its_own_process_and_statement() {
        let traced = Traced::new(&fork_trace(), &known(), &[1, 2, 3]);
        // The child's execve is not main's.
        let got = traced.check(2, &claims(&["main: exec node"]));
        assert_eq!(got.status, "differ", "{got:?}");
        // Statement 3's window holds none of statement 2's calls.
        let got = traced.check(3, &claims(&["main: socketpair w-ipc cloexec"]));
        assert_eq!(got.status, "differ", "{got:?}");
        // A worker thread's pipe2 is not the loop's.
        let trace = fork_trace().replace("100 pipe2([22, 23]", "101 pipe2([22, 23]");
        let got = Traced::new(&trace, &known(), &[1, 2, 3]).check(2, &claims(FORK));
        assert_eq!(
            got.missing.map(|m| m.step),
            Some("main: pipe w-err cloexec".to_string())
        );
    }

    #[test]
    fn arguments_the_model_knows_are_compared() {
        let traced = Traced::new(&fork_trace(), &known(), &[1, 2, 3]);
        for wrong in [
            "main: socketpair w-ipc", // no SOCK_CLOEXEC
            "main: socketpair w-ipc dgram cloexec",
            "main: signal SIGCHLD handle", // sa_mask not full
            "main: signal SIGTERM handle mask all",
            "main: recv w-err.r 8", // read asks for 4
        ] {
            let got = traced.check(2, &claims(&[wrong]));
            assert_eq!(got.status, "differ", "{wrong}: {got:?}");
        }
    }

    /// Statement 4, `w: process.exit(0)`: the child's exit, and in main
    /// the handler's write on another thread after the loop's end of file.
    fn exit_trace(handler_first: bool) -> String {
        let handler = "101 write(16, \"\\x68\\xfc\\x66\\x05\\x00\\x00\\x00\\x00\\x11\\x00\\x00\\x00\\x00\\x00\\x00\\x00\", 16) = 16\n";
        let mut t = String::new();
        t += "100 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0} => {parent_tid=[101]}, 88) = 101\n";
        t += &synced(100, 3);
        t += &synced(200, 3);
        t += "200 exit_group(0)                     = ?\n";
        if handler_first {
            t += handler;
        }
        t += "100 recvmsg(20, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"\", iov_len=65536}], msg_iovlen=1, msg_controllen=0, msg_flags=MSG_CMSG_CLOEXEC}, MSG_CMSG_CLOEXEC) = 0\n";
        t += "100 close(20) = 0\n";
        if !handler_first {
            t += handler;
        }
        t += "100 read(15, \"\\x68\", 512) = 16\n";
        t += "100 wait4(200, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 200\n";
        t += &synced(100, 4);
        t
    }

    fn exit_claims() -> Vec<Claim> {
        let mut c = claims(&[
            "w: exit 0",
            "main: send main-sig.w 16 nonblock",
            "main: recv w-ipc.0 65536",
            "main: close w-ipc.0",
            "main: recv main-sig.r 512 nonblock",
            "main: wait w nohang",
        ]);
        c[1].in_handler = true;
        c
    }

    #[test]
    fn a_handlers_write_is_compared_apart_from_the_loops_calls() {
        for handler_first in [true, false] {
            let traced = Traced::new(&exit_trace(handler_first), &known(), &[3, 4]);
            let got = traced.check(4, &exit_claims());
            assert_eq!(got.status, "agree", "{handler_first}: {got:?}");
            assert_eq!(got.found, 6);
        }
        // The same write claimed as the loop's own is not found in order.
        let mut c = exit_claims();
        c[1].in_handler = false;
        let got = Traced::new(&exit_trace(false), &known(), &[3, 4]).check(4, &c);
        assert_eq!(got.status, "differ", "{got:?}");
    }

    #[test]
    fn a_wrong_exit_code_or_child_pid_differs() {
        let traced = Traced::new(&exit_trace(true), &known(), &[3, 4]);
        let got = traced.check(4, &claims(&["w: exit 7"]));
        assert_eq!(got.status, "differ");
        let mut k = known();
        k[1].pid = 201;
        let trace = exit_trace(true).replace("200 ", "201 ");
        let got = Traced::new(&trace, &k, &[3, 4]).check(4, &claims(&["main: wait w nohang"]));
        assert_eq!(got.status, "differ", "wait4(200) is not w's: {got:?}");
    }

    #[test]
    fn every_kernel_step_finds_its_own_row_of_the_table() {
        let rows = [
            ("main: socketpair s cloexec", "socketpair P"),
            ("main: pipe p", "pipe P"),
            ("main: signal SIGCHLD default", "signal SIG"),
            ("main: block SIGCHLD", "block"),
            ("main: fork w", "fork C"),
            ("main: exec node", "exec PROGRAM"),
            ("main: close p.r", "close END"),
            ("main: cloexec p.r on", "cloexec END on"),
            ("main: cloexec p.r off", "cloexec END off"),
            ("main: send p.w \"hi\"", "send END TEXT"),
            ("main: send p.w 16", "send END N"),
            ("main: recv p.r 4", "recv END MAX"),
            ("main: wait w nohang", "wait [C]"),
            ("main: kill w SIGTERM", "kill C SIG"),
            ("main: exit 3", "exit CODE"),
        ];
        for (line, head) in rows {
            let claim = &claims(&[line])[0];
            let r = row(&claim.op).expect("compared");
            assert!(r.0.starts_with(head), "{line}: {r:?}");
        }
        assert!(row(&claims(&["main: mmap heap 4"])[0].op).is_none());
    }

    #[test]
    fn strace_is_asked_for_every_call_the_table_names() {
        let traced: Vec<&str> = TRACE["trace=".len()..].split(',').collect();
        for (_, calls, _) in TABLE {
            for call in calls.split(", ") {
                assert!(traced.contains(&call), "{call} is not traced");
            }
        }
    }
}
