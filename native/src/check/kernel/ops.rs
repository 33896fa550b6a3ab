//! Spawning processes and doing their operations: translating a scenario
//! operation into a worker command, sending it, and telling an operation
//! that completed from one that blocks.

use super::{
    broken, end_is_socket, readable, recv_msg, seqpacket_pair, KProc, Kernel, Life, Pending, Res,
};
use crate::check::nofile;
use crate::check::probe;
use crate::check::proto::{self, Cmd, Disposition, Extra, Msg, Reply, Request};
use sim_core::errno::Errno;
use sim_core::ipc::end_name::{EndName, Which};
use sim_core::observe::LastOpObs;
use sim_core::proc::WaitStatus;
use sim_core::scenario::ast::{Action, End, Op, OpResult, Payload, INIT_NAME};
use sim_core::sig::Signal;
use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

impl Kernel {
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
        let ctrl_fd = nofile::ctrl_fd();
        // Safety: dup2, close_range and prctl are async-signal-safe and
        // allocate nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(theirs_raw, ctrl_fd) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                nofile::isolate(ctrl_fd);
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
        let (_, published) = self.ready_within(&ours, &format!("starting {name}"))?;
        self.procs.insert(
            name.to_string(),
            KProc {
                pid,
                ctrl: Some(ours),
                life: Life::Alive,
                regions: BTreeMap::new(),
                fds: BTreeMap::new(),
                published,
                cloexec_seen: Default::default(),
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
            Op::Thread { .. } => Cmd::Thread,
            Op::Subreaper => Cmd::Subreaper,
            Op::Exit { code } => Cmd::Exit { code: *code },
            Op::Wait { child, nohang } => Cmd::Wait {
                pid: match child {
                    Some(c) => self.pid_of(c.as_str())?,
                    None => -1,
                },
                nohang: *nohang,
            },
            Op::Pipe { cloexec, .. } => Cmd::Pipe { cloexec: *cloexec },
            Op::Socketpair { dgram, cloexec, .. } => Cmd::Socketpair {
                dgram: *dgram,
                cloexec: *cloexec,
            },
            Op::Close { end } => Cmd::Close {
                fd: self.fd_of(actor, end)?,
            },
            Op::Cloexec { end, on } => Cmd::Cloexec {
                fd: self.fd_of(actor, end)?,
                on: *on,
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
                full_mask,
            } => Cmd::Signal {
                sig: sig(signal),
                action: match action {
                    Action::Handle => Disposition::Handle,
                    Action::Ignore => Disposition::Ignore,
                    Action::Default => Disposition::Default,
                },
                nocldwait: *nocldwait,
                full_mask: *full_mask,
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
        // The ends an exec will close: those whose fd has FD_CLOEXEC now,
        // as the kernel shows it (do_close_on_exec closes exactly these;
        // the worker changes no fd between this look and its execve).
        let closing: Vec<String> = if matches!(op, Op::Exec { .. }) {
            let p = self.proc(actor)?;
            p.fds
                .iter()
                .filter(|(_, &fd)| probe::cloexec(p.pid, fd) == Some(true))
                .map(|(end, _)| end.clone())
                .collect()
        } else {
            Vec::new()
        };
        let before = self.last.clone();
        let misbehave = self.misbehave.get(&line).copied();
        let p = self.procs.get_mut(actor).expect("checked above");
        p.before = before;
        // F_SETFD changes the flag of the fd it names, and close frees its
        // number; a pipe or socketpair takes numbers that were not open at
        // the last look, exec only closes. So that fd's flag is read again.
        if let Cmd::Cloexec { fd, .. } | Cmd::Close { fd } = &cmd {
            p.cloexec_seen.get_mut().remove(fd);
        }
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
            Op::Exec { .. } => self.finish_exec(step, line, actor, &closing)?,
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
            (Op::Pipe { pipe, .. }, Extra::Fds(r, w)) => {
                for (which, fd) in Which::PIPE.into_iter().zip([r, w]) {
                    p.fds.insert(EndName::new(pipe, which).to_string(), fd);
                }
            }
            (Op::Socketpair { pair, .. }, Extra::Fds(a, b)) => {
                for (which, fd) in Which::SOCKETPAIR.into_iter().zip([a, b]) {
                    p.fds.insert(EndName::new(pair, which).to_string(), fd);
                }
            }
            (Op::Close { end }, _) => {
                p.fds.remove(&end.to_string());
            }
            (Op::Munmap { region }, _) => {
                p.regions.remove(region.as_str());
            }
            (Op::Thread { thread }, _) => {
                // clone returns the new thread's tid: told in the model's
                // numbering, as a wait's pid is (`model_pid`).
                let tid = p.last_op.as_ref().and_then(|l| l.result);
                if let (Some(OpResult::Value(real)), Some(&model)) =
                    (tid, self.model_pids.get(thread.as_str()))
                {
                    if real > 0 {
                        if let Some(last) = &mut p.last_op {
                            last.result = Some(OpResult::Value(model));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Record a completed operation's reply.
    pub(super) fn complete(&mut self, actor: &str, reply: Reply, kind: Pending) {
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
        // A failed call hands back nothing: a failed pipe or socketpair
        // opened no fd, so its ends stay unheld (and closing one is EBADF).
        p.extra = if reply.errno == 0 {
            reply.extra
        } else {
            Extra::None
        };
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
        // The first look that found it asleep: blocked when a second look
        // finds it asleep with the same switch count, so that it did not
        // run in between (it may have been asleep in the look before it
        // even took the operation, or be about to check whether it must
        // sleep: see settle's module doc).
        let mut asleep_seen = None;
        loop {
            self.check_time()?;
            let ctrl = self
                .proc(actor)?
                .ctrl
                .as_ref()
                .expect("a live worker has its channel");
            if readable(ctrl, 1) {
                match recv_msg(ctrl) {
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
            if matches!(
                probe::stat(pid).map(|s| s.state),
                None | Some('Z') | Some('X')
            ) {
                return Ok(());
            }
            match self.asleep(pid) {
                // Asleep with no reply queued, twice, not having run between.
                Some(a) if !readable(ctrl, 0) => {
                    if asleep_seen.is_some_and(|first: super::settle::Asleep| {
                        first.status.switches == a.status.switches
                    }) {
                        let p = self.procs.get_mut(actor).expect("actor");
                        p.pending = Some(kind);
                        if let (true, 'T', Some(last)) =
                            (zero_if_stopped, a.state, p.last_op.as_mut())
                        {
                            last.result = Some(OpResult::Value(0));
                        }
                        return Ok(());
                    }
                    asleep_seen = Some(a);
                }
                _ => asleep_seen = None,
            }
            if Instant::now() > until {
                return Err(self.step_timeout(format!(
                    "line {line}: {actor}'s operation neither completed nor blocked"
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
        let reply = match self.recv_within(ctrl, &format!("line {line}: fork"))?.0 {
            Msg::Reply(r) => r,
            Msg::Ready(_) => return broken(format!("line {line}: {actor} answered out of turn")),
        };
        if reply.errno != 0 {
            self.complete(actor, reply, Pending::Other);
            return Ok(());
        }
        let pid = reply.ret as i32;
        self.by_pid.insert(pid, child.to_string());
        let (_, published) =
            self.ready_within(&ours, &format!("line {line}: the child of fork"))?;
        let parent = self.proc(actor)?;
        let kid = KProc {
            pid,
            ctrl: Some(ours),
            life: Life::Alive,
            regions: parent.regions.clone(),
            fds: parent.fds.clone(),
            published,
            cloexec_seen: Default::default(),
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

    /// An exec's `Ready`: the new image runs, without the ends in
    /// `closing` (close-on-exec), which the controller forgets.
    fn finish_exec(&mut self, step: u32, line: u32, actor: &str, closing: &[String]) -> Res<()> {
        let ctrl = self.proc(actor)?.ctrl.as_ref().expect("live");
        match self.recv_within(ctrl, &format!("line {line}: exec"))? {
            (Msg::Ready(_), None) => {
                return broken(format!("line {line}: exec: no counters came with Ready"))
            }
            (Msg::Ready(_), Some(published)) => {
                let p = self.procs.get_mut(actor).expect("actor");
                for end in closing {
                    p.fds.remove(end);
                }
                p.regions.clear();
                p.published = published;
                // The new image's own start-up faults are not the operation's:
                // like the model, count none.
                p.last_op = Some(LastOpObs {
                    step,
                    faults: 0,
                    result: Some(OpResult::Value(0)),
                });
            }
            (Msg::Reply(r), _) => self.complete(actor, r, Pending::Other),
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
                    return Err(self.step_timeout(format!("line {line}: {actor} did not exit")));
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
}
