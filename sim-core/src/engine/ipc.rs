//! The pipe and socketpair operations of a step: creating, closing, moving
//! bytes, resizing, and resuming calls that slept. The byte rules are
//! `ipc::pipe` and `ipc::socket`; this file applies them to processes and
//! records, in its events, the figures of each queue the story needs.

use super::event::{Call, EndKind, Event, NoFds, QueueFigures, Refusal};
use super::ops::{unused_name, Cx};
use crate::errno::Errno;
use crate::ids::Pid;
use crate::ipc::fd::EndRef;
use crate::ipc::pipe::{Pipe, PipeEnd};
use crate::ipc::socket::{Side, SockType, SocketPair};
use crate::ipc::{Progress, WriteOutcome};
use crate::proc::{BlockedCall, BlockedOn, ProcState};
use crate::scenario::ast::{End, Name, OpResult};
use crate::scenario::error::suggest;
use crate::scenario::ErrorKind;
use crate::sig::Signal;
use crate::signal::Queue;
use crate::world::Object;

impl Cx<'_> {
    /// The object end a scenario names, checked against the object's kind.
    fn resolve(&self, end: &End) -> Result<EndRef, ErrorKind> {
        let name = end.object();
        let object = self
            .world
            .object(name.as_str())
            .ok_or_else(|| ErrorKind::UnknownObject {
                name: name.text.clone(),
                suggestion: suggest(name.as_str(), self.world.object_names()),
            })?;
        match (object, end) {
            (Object::Pipe(id), End::PipeRead { .. }) => Ok(EndRef::Pipe(id, PipeEnd::Read)),
            (Object::Pipe(id), End::PipeWrite { .. }) => Ok(EndRef::Pipe(id, PipeEnd::Write)),
            (Object::Socks(id), End::Socket { side, .. }) => Ok(EndRef::Sock(
                id,
                if *side == 0 { Side::Zero } else { Side::One },
            )),
            (Object::Pipe(_), End::Socket { .. }) => Err(ErrorKind::WrongKind {
                name: name.text.clone(),
                expected: "socketpair (whose ends are .0 and .1)".into(),
                actual: "pipe (whose ends are .r and .w)".into(),
            }),
            (Object::Socks(_), _) => Err(ErrorKind::WrongKind {
                name: name.text.clone(),
                expected: "pipe (whose ends are .r and .w)".into(),
                actual: "socketpair (whose ends are .0 and .1)".into(),
            }),
        }
    }

    /// The actor's fd for `end`, if it holds one.
    fn fd_of(&self, end: EndRef) -> Option<u32> {
        self.world.proc(self.pid).fds.find(end).map(|fd| fd.0)
    }

    /// Give the actor fds for both ends of a new pipe or socketpair, or
    /// none: the kernel reserves both numbers before it installs either
    /// (get_unused_fd_flags twice, then fd_install: __do_pipe_flags in
    /// fs/pipe.c, __sys_socketpair in net/socket.c), so EMFILE leaves the
    /// table as it was. The new object is then released at once, as the
    /// kernel's fput of both files (or sock_release) frees it: it keeps its
    /// name, and no one holds an end of it.
    fn open_ends(&mut self, ends: [EndRef; 2], cloexec: bool) -> Result<[u32; 2], NoFds> {
        let nofile = self.profile.nofile;
        // A new pipe or socket starts with one reference per end: the fds
        // installed here.
        let fds = &mut self.world.proc_mut(self.pid).fds;
        match fds.open_pair(ends, nofile, cloexec) {
            Ok(fds) => {
                for (end, fd) in ends.into_iter().zip(fds) {
                    let name = self.world.end_name(end);
                    self.events.push(Event::Opened {
                        pid: self.pid,
                        end: name,
                        fd: fd.0,
                    });
                }
                Ok(fds.map(|fd| fd.0))
            }
            Err(errno) => {
                for end in ends {
                    self.world.release(end);
                }
                Err(NoFds {
                    errno,
                    free: self.world.proc(self.pid).fds.free_count(nofile),
                    nofile,
                })
            }
        }
    }

    /// pipe2(fds, O_CLOEXEC if `cloexec`).
    pub(super) fn pipe(&mut self, pipe: &Name, cloexec: bool) -> Result<(), ErrorKind> {
        unused_name(self.world, pipe)?;
        let id = self
            .world
            .new_pipe(pipe.as_str(), Pipe::new(self.profile), self.pos.line);
        let ends = [
            EndRef::Pipe(id, PipeEnd::Read),
            EndRef::Pipe(id, PipeEnd::Write),
        ];
        let result = self.open_ends(ends, cloexec);
        self.events.push(Event::PipeMade {
            pid: self.pid,
            pipe: pipe.text.clone(),
            result,
            slots: self.world.pipe(id).capacity_slots(),
            bytes: self.world.pipe(id).size_bytes(self.profile),
            cloexec,
        });
        self.returned(
            0,
            result.map_or_else(|no| OpResult::Error(no.errno), |_| OpResult::Value(0)),
        );
        Ok(())
    }

    /// socketpair(AF_UNIX, SOCK_STREAM or SOCK_DGRAM, with SOCK_CLOEXEC if
    /// `cloexec`).
    pub(super) fn socketpair(
        &mut self,
        pair: &Name,
        dgram: bool,
        cloexec: bool,
    ) -> Result<(), ErrorKind> {
        unused_name(self.world, pair)?;
        let kind = if dgram {
            SockType::Dgram
        } else {
            SockType::Stream
        };
        let id = self.world.new_socks(
            pair.as_str(),
            SocketPair::new(self.profile, kind),
            self.pos.line,
        );
        let ends = [EndRef::Sock(id, Side::Zero), EndRef::Sock(id, Side::One)];
        let result = self.open_ends(ends, cloexec);
        self.events.push(Event::SocketpairMade {
            pid: self.pid,
            pair: pair.text.clone(),
            dgram,
            result,
            sndbuf: self.world.socks(id).socket(Side::Zero).sndbuf(),
            cloexec,
        });
        self.returned(
            0,
            result.map_or_else(|no| OpResult::Error(no.errno), |_| OpResult::Value(0)),
        );
        Ok(())
    }

    pub(super) fn close(&mut self, end: &End) -> Result<(), ErrorKind> {
        let end_ref = self.resolve(end)?;
        let Some(fd) = self.fd_of(end_ref) else {
            self.refused(Call::Close, end.to_string(), Refusal::NotHeld);
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(());
        };
        self.close_fd(self.pid, crate::ids::Fd(fd), false);
        self.returned(0, OpResult::Value(0));
        Ok(())
    }

    /// `pid` closes `fd` (by `close`, or, `exec` set, because exec closes
    /// it): the end loses a reference, and what follows from its last one
    /// going (readers see end of file, writers EPIPE, a peer end of file)
    /// is `settle`'s, at the end of the step, as after any close.
    pub(super) fn close_fd(&mut self, pid: Pid, fd: crate::ids::Fd, exec: bool) {
        let end_ref = self
            .world
            .proc_mut(pid)
            .fds
            .close(fd)
            .expect("the fd to close is in the table");
        self.world.release(end_ref);
        let kind = match end_ref {
            EndRef::Pipe(_, PipeEnd::Read) => EndKind::PipeRead,
            EndRef::Pipe(_, PipeEnd::Write) => EndKind::PipeWrite,
            EndRef::Sock(id, _) if self.world.socks(id).kind() == SockType::Dgram => EndKind::Dgram,
            EndRef::Sock(..) => EndKind::Stream,
        };
        self.events.push(Event::Closed {
            pid,
            end: self.world.end_name(end_ref),
            fd: fd.0,
            left: self.open_count(end_ref),
            kind,
            exec,
        });
    }

    /// fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0) on the actor's fd of `end`
    /// (do_fcntl: F_SETFD sets or clears the fd's close_on_exec bit and
    /// returns 0; EBADF for an fd not open).
    pub(super) fn set_cloexec(&mut self, end: &End, on: bool) -> Result<(), ErrorKind> {
        let end_ref = self.resolve(end)?;
        let Some(fd) = self.fd_of(end_ref) else {
            self.refused(Call::Cloexec, end.to_string(), Refusal::NotHeld);
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(());
        };
        let fds = &mut self.world.proc_mut(self.pid).fds;
        let fd_id = crate::ids::Fd(fd);
        let was = fds.cloexec(fd_id).expect("the fd was just found");
        fds.set_cloexec(fd_id, on)
            .expect("the fd was just found in the table");
        self.events.push(Event::CloexecSet {
            pid: self.pid,
            end: end.to_string(),
            fd,
            on,
            was,
        });
        self.returned(0, OpResult::Value(0));
        Ok(())
    }

    /// A call on `target` failed before doing anything.
    fn refused(&mut self, call: Call, target: String, why: Refusal) {
        self.events.push(Event::Refused {
            pid: self.pid,
            call,
            target,
            why,
        });
    }

    /// Open fds on `end`, across all processes.
    fn open_count(&self, end: EndRef) -> u32 {
        match end {
            EndRef::Pipe(id, PipeEnd::Read) => self.world.pipe(id).readers(),
            EndRef::Pipe(id, PipeEnd::Write) => self.world.pipe(id).writers(),
            EndRef::Sock(id, side) => self.world.socks(id).socket(side).files(),
        }
    }

    pub(super) fn send(&mut self, end: &End, len: u64, nonblock: bool) -> Result<(), ErrorKind> {
        let end_ref = self.resolve(end)?;
        if self.fd_of(end_ref).is_none() || matches!(end_ref, EndRef::Pipe(_, PipeEnd::Read)) {
            let why = if self.fd_of(end_ref).is_none() {
                Refusal::NotHeld
            } else {
                Refusal::WrongEnd
            };
            self.refused(Call::Send, end.to_string(), why);
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(());
        }
        let before = self.snapshot(end_ref);
        let outcome = match end_ref {
            EndRef::Pipe(id, _) => self.world.pipe_mut(id).write(self.profile, len, nonblock),
            EndRef::Sock(id, side) => {
                self.world
                    .socks_mut(id)
                    .send(self.profile, side, len, nonblock)
            }
        };
        self.events.push(Event::SendCalled {
            pid: self.pid,
            end: end.to_string(),
            len,
            nonblock,
            progress: outcome.progress,
            sigpipe: outcome.sigpipe,
            before,
            after: self.snapshot(end_ref),
        });
        match outcome.progress {
            Progress::Done(n) => self.returned(0, OpResult::Value(n as i64)),
            Progress::Failed(e) => self.returned(0, OpResult::Error(e)),
            Progress::Blocked { so_far } => self.block(BlockedOn::Send {
                end: end_ref,
                len,
                so_far,
            }),
        }
        self.sent(self.pid, end_ref, &before, outcome.sigpipe);
        Ok(())
    }

    pub(super) fn recv(&mut self, end: &End, max: u64, nonblock: bool) -> Result<(), ErrorKind> {
        let end_ref = self.resolve(end)?;
        if self.fd_of(end_ref).is_none() || matches!(end_ref, EndRef::Pipe(_, PipeEnd::Write)) {
            let why = if self.fd_of(end_ref).is_none() {
                Refusal::NotHeld
            } else {
                Refusal::WrongEnd
            };
            self.refused(Call::Recv, end.to_string(), why);
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(());
        }
        let before = self.snapshot(end_ref);
        let progress = self.do_recv(end_ref, max, nonblock);
        self.events.push(Event::RecvCalled {
            pid: self.pid,
            end: end.to_string(),
            max,
            nonblock,
            progress,
            before,
            after: self.snapshot(end_ref),
        });
        match progress {
            Progress::Done(n) => self.returned(0, OpResult::Value(n as i64)),
            Progress::Failed(e) => self.returned(0, OpResult::Error(e)),
            Progress::Blocked { .. } => self.block(BlockedOn::Recv { end: end_ref, max }),
        }
        self.moved(self.pid, end_ref, "recv", &before);
        Ok(())
    }

    fn do_recv(&mut self, end: EndRef, max: u64, nonblock: bool) -> Progress {
        match end {
            EndRef::Pipe(id, _) => self.world.pipe_mut(id).read(self.profile, max, nonblock),
            EndRef::Sock(id, side) => {
                self.world
                    .socks_mut(id)
                    .recv(self.profile, side, max, nonblock)
            }
        }
    }

    /// A sleeping send tries to go on.
    pub(super) fn resume_send(
        &mut self,
        pid: Pid,
        call: &BlockedCall,
        end: EndRef,
        len: u64,
        so_far: u64,
    ) -> bool {
        // A socket's wake-up by arriving data is used up by resume_send's
        // look, so sockets always go through it; a pipe is only asked.
        if let EndRef::Pipe(id, _) = end {
            if !self.world.pipe(id).can_resume_write() {
                return false;
            }
        }
        let before = self.snapshot(end);
        let outcome: WriteOutcome = match end {
            EndRef::Pipe(id, _) => self
                .world
                .pipe_mut(id)
                .resume_write(self.profile, len, so_far),
            EndRef::Sock(id, side) => {
                self.world
                    .socks_mut(id)
                    .resume_send(self.profile, side, len, so_far)
            }
        };
        self.went_on(pid, call, &before, outcome)
    }

    /// A sleeping send went on (woken, or started again after SIGCONT) and
    /// ended as `outcome`: it sleeps again having moved more, or returns.
    /// False when it moved nothing and sleeps on.
    fn went_on(
        &mut self,
        pid: Pid,
        call: &BlockedCall,
        before: &QueueFigures,
        outcome: WriteOutcome,
    ) -> bool {
        let BlockedOn::Send { end, len, so_far } = call.on else {
            return false;
        };
        match outcome.progress {
            Progress::Blocked { so_far: now } if now == so_far && !outcome.sigpipe => return false,
            Progress::Blocked { so_far: now } => {
                // It wrote what fit and sleeps again, at the back of the
                // queue (pipe_write's loop waits anew).
                let tick = self.world.tick();
                if let ProcState::Blocked(c) = &mut self.world.proc_mut(pid).state {
                    c.on = BlockedOn::Send {
                        end,
                        len,
                        so_far: now,
                    };
                    c.queued = tick;
                }
            }
            Progress::Done(n) => self.wake(pid, OpResult::Value(n as i64)),
            Progress::Failed(e) => self.wake(pid, OpResult::Error(e)),
        }
        self.events.push(Event::SendWentOn {
            pid,
            end: self.world.end_name(end),
            len,
            was: so_far,
            since_line: call.pos.line,
            progress: outcome.progress,
            sigpipe: outcome.sigpipe,
            restart: None,
        });
        self.sent(pid, end, before, outcome.sigpipe);
        true
    }

    /// `sig` woke `pid`, asleep in send, and the send goes round its loop
    /// before it looks at the signal. A socket sender is in
    /// sock_alloc_send_pskb, which admits an skb while `sk_wmem_alloc <
    /// sk_sndbuf` before it tests `signal_pending` (see
    /// `SocketPair::send_when_signalled`); a pipe writer leaves
    /// wait_event_interruptible_exclusive, which tests pipe_writable before
    /// the signal, and pipe_write's loop writes while a slot is free before
    /// its own `signal_pending` test. Where it would sleep again it sees the
    /// signal: the call returns what it moved. None when it moved nothing
    /// now: then the signal interrupts the call as it stands.
    pub(super) fn send_woken_by_signal(&mut self, pid: Pid, sig: Signal) -> bool {
        let ProcState::Blocked(call) = self.world.proc(pid).state.clone() else {
            return false;
        };
        let BlockedOn::Send { end, len, so_far } = call.on else {
            return false;
        };
        let before = self.snapshot(end);
        let outcome = match end {
            // A writer asleep on a pipe with a free slot was woken already
            // (every slot freed wakes one), so this moves nothing in
            // practice; it is the same loop.
            EndRef::Pipe(id, _) => self
                .world
                .pipe_mut(id)
                .resume_write(self.profile, len, so_far),
            EndRef::Sock(id, side) => {
                self.world
                    .socks_mut(id)
                    .send_when_signalled(self.profile, side, len, so_far)
            }
        };
        match outcome.progress {
            Progress::Blocked { so_far: now } if now == so_far && !outcome.sigpipe => return false,
            // It reaches the signal test where it would sleep again:
            // `sent ? : err` (pipe_write: `ret`).
            Progress::Blocked { so_far: now } => self.wake(pid, OpResult::Value(now as i64)),
            // Done short: its loop stopped on an error (no reader left,
            // sk_err), and `sent ? : err` returns what it had moved.
            Progress::Done(n) => self.wake(pid, OpResult::Value(n as i64)),
            Progress::Failed(e) => self.wake(pid, OpResult::Error(e)),
        }
        let dgram =
            matches!(end, EndRef::Sock(id, _) if self.world.socks(id).kind() == SockType::Dgram);
        self.events.push(Event::SendSignalled {
            pid,
            end: self.world.end_name(end),
            signal: sig,
            len,
            was: so_far,
            dgram,
            progress: outcome.progress,
            sigpipe: outcome.sigpipe,
            before,
            after: self.snapshot(end),
        });
        self.sent(pid, end, &before, outcome.sigpipe);
        true
    }

    /// `pid`'s call, interrupted with -ERESTARTSYS by a stop, starts again
    /// after SIGCONT. A send on a socket starts from the top of
    /// unix_stream_sendmsg / unix_dgram_sendmsg: its skb is sized afresh and
    /// admitted while `sk_wmem_alloc < sk_sndbuf`, a test a sleeper's
    /// wake-up rule does not make, so bytes a reader freed while it was
    /// stopped may let it send at once (`SocketPair::restart_send`). A
    /// pipe write, a recv or a wait starts again with the very test that
    /// would wake it, which `settle` makes.
    pub(super) fn restarted(&mut self, pid: Pid) {
        let ProcState::Blocked(call) = self.world.proc(pid).state.clone() else {
            return;
        };
        let BlockedOn::Send {
            end: end @ EndRef::Sock(id, side),
            len,
            so_far: 0,
        } = call.on
        else {
            return;
        };
        let before = self.snapshot(end);
        let outcome = self
            .world
            .socks_mut(id)
            .restart_send(self.profile, side, len);
        let queued = self.snapshot(end).outgoing > before.outgoing;
        let from = self.events.len();
        if self.went_on(pid, &call, &before, outcome) && queued {
            // Admitted at once (a sleeper would have waited for a reader
            // to free more): its event says what it found.
            if let Some(Event::SendWentOn { restart, .. }) = self.events.get_mut(from) {
                *restart = Some((before.charged, before.sndbuf));
            }
        }
    }

    /// A sleeping recv tries again.
    pub(super) fn resume_recv(&mut self, pid: Pid, end: EndRef, max: u64) -> bool {
        let can = match end {
            EndRef::Pipe(id, _) => self.world.pipe(id).can_resume_read(),
            EndRef::Sock(id, side) => self.world.socks(id).can_resume_recv(side),
        };
        if !can {
            return false;
        }
        let before = self.snapshot(end);
        let progress = self.do_recv(end, max, false);
        let (result, empty_datagram) = match progress {
            Progress::Blocked { .. } => return false,
            Progress::Done(0) => (OpResult::Value(0), self.snapshot(end).skbs < before.skbs),
            Progress::Done(n) => (OpResult::Value(n as i64), false),
            Progress::Failed(e) => (OpResult::Error(e), false),
        };
        self.wake(pid, result);
        self.events.push(Event::RecvWoken {
            pid,
            end: self.world.end_name(end),
            progress,
            empty_datagram,
        });
        self.moved(pid, end, "recv", &before);
        true
    }

    /// fcntl(fd, F_SETPIPE_SZ, size) with a C int: do_fcntl hands pipe_fcntl
    /// `(unsigned int)arg`, so a negative size reaches round_pipe_size as a
    /// value of 2^31 or more: EINVAL, except INT_MIN, which is exactly 2^31
    /// (a valid power of two, above pipe-max-size: EPERM).
    pub(super) fn pipesize(&mut self, pipe: &Name, size: i32) -> Result<(), ErrorKind> {
        let id = match self.world.object(pipe.as_str()) {
            Some(Object::Pipe(id)) => id,
            Some(Object::Socks(_)) => {
                return Err(ErrorKind::WrongKind {
                    name: pipe.text.clone(),
                    expected: "pipe".into(),
                    actual: "socketpair".into(),
                })
            }
            None => {
                return Err(ErrorKind::UnknownObject {
                    name: pipe.text.clone(),
                    suggestion: suggest(pipe.as_str(), self.world.object_names()),
                })
            }
        };
        let held = self
            .fd_of(EndRef::Pipe(id, PipeEnd::Read))
            .or(self.fd_of(EndRef::Pipe(id, PipeEnd::Write)));
        if held.is_none() {
            self.refused(Call::Pipesize, pipe.text.clone(), Refusal::NotHeld);
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(());
        }
        let old = self.world.pipe(id).size_bytes(self.profile);
        // Scenario processes run without CAP_SYS_RESOURCE, like any
        // unprivileged Node.js program.
        let arg = u64::from(size as u32);
        let result = self.world.pipe_mut(id).set_size(self.profile, arg, false);
        let pipe_now = self.world.pipe(id);
        self.events.push(Event::PipeSized {
            pid: self.pid,
            pipe: pipe.text.clone(),
            asked: size,
            old,
            result,
            slots: match result {
                Ok(_) => pipe_now.capacity_slots(),
                Err(_) => pipe_now.slots_in_use(),
            },
            max: self.profile.pipe_max_size,
        });
        self.returned(
            0,
            result.map_or_else(OpResult::Error, |new| OpResult::Value(new as i64)),
        );
        if result.is_ok() {
            self.wake_first_writer(id);
        }
        Ok(())
    }

    /// pipe_resize_ring ends with `wake_up_interruptible(&pipe->wr_wait)`,
    /// whatever the new size: one exclusive sleeper, the writer at the
    /// head of the queue, is woken (and taken off the queue by
    /// autoremove_wake_function). If the pipe is still full it finds
    /// pipe_writable false and prepare_to_wait_event puts it back at the
    /// tail, so the others move up; if there is room now, `settle` lets it
    /// write, and pipe_write's wake_next_writer passes the wake-up on while
    /// room is left. Readers (rd_wait) are not woken.
    fn wake_first_writer(&mut self, id: crate::ids::PipeId) {
        // Only the sleepers are looked at (the world's index of them).
        let first = self
            .world
            .blocked_pids()
            .into_iter()
            .filter_map(|pid| match &self.world.proc(pid).state {
                ProcState::Blocked(call) => match call.on {
                    BlockedOn::Send {
                        end: EndRef::Pipe(pipe, PipeEnd::Write),
                        ..
                    } if pipe == id => Some((call.queued, pid)),
                    _ => None,
                },
                _ => None,
            })
            .min();
        let Some((_, pid)) = first else {
            return;
        };
        if self.world.pipe(id).can_resume_write() {
            return;
        }
        let tick = self.world.tick();
        if let ProcState::Blocked(call) = &mut self.world.proc_mut(pid).state {
            call.queued = tick;
        }
        self.events.push(Event::WriterRequeued {
            pid,
            end: self.world.end_name(EndRef::Pipe(id, PipeEnd::Write)),
        });
    }

    /// setsockopt(SO_SNDBUF) with a C int; see `SocketPair::set_sndbuf`.
    pub(super) fn sndbuf(&mut self, end: &End, size: i32) -> Result<(), ErrorKind> {
        let end_ref = self.resolve(end)?;
        let EndRef::Sock(id, side) = end_ref else {
            self.refused(Call::Sndbuf, end.to_string(), Refusal::NotSocket);
            self.returned(0, OpResult::Error(Errno::ENOTSOCK));
            return Ok(());
        };
        if self.fd_of(end_ref).is_none() {
            self.refused(Call::Sndbuf, end.to_string(), Refusal::NotHeld);
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(());
        }
        let result = self
            .world
            .socks_mut(id)
            .set_sndbuf(self.profile, side, size);
        // A sender asleep on the end is woken if the socket now counts as
        // writable (unix_write_space).
        let sender_asleep = self.world.blocked_pids().into_iter().any(|pid| {
            matches!(&self.world.proc(pid).state, ProcState::Blocked(call)
                if matches!(call.on, BlockedOn::Send { end: e, .. } if e == end_ref))
        });
        let pair = self.world.socks(id);
        let wakes = (result.is_ok() && sender_asleep && pair.writable(side))
            .then(|| pair.socket(side).wmem_alloc());
        self.events.push(Event::SndbufSet {
            pid: self.pid,
            end: end.to_string(),
            asked: size,
            result,
            wmem_max: self.profile.wmem_max,
            floor: self.profile.sock_min_sndbuf,
            wakes,
        });
        self.returned(
            0,
            result.map_or_else(OpResult::Error, |_| OpResult::Value(0)),
        );
        Ok(())
    }

    /// The figures of an end's queue now, for the events.
    fn snapshot(&self, end: EndRef) -> QueueFigures {
        match end {
            EndRef::Pipe(id, _) => {
                let p = self.world.pipe(id);
                QueueFigures {
                    queued: p.queued(),
                    outgoing: p.queued(),
                    incoming: p.queued(),
                    inq: p.queued(),
                    slots: p.slots_in_use(),
                    capacity: p.capacity_slots(),
                    last_free: p.slots().last().map(|s| {
                        u64::from(self.profile.page_size)
                            .saturating_sub(u64::from(s.offset) + u64::from(s.len))
                    }),
                    slot_size: u64::from(self.profile.page_size),
                    ..QueueFigures::default()
                }
            }
            EndRef::Sock(id, side) => {
                let pair = self.world.socks(id);
                // Every byte of each queue, not FIONREAD (which counts
                // only the first datagram), so that a move of a datagram
                // behind another one is seen and counted.
                let outgoing = pair.socket(side.peer()).queued_bytes();
                let incoming = pair.socket(side).queued_bytes();
                let peer = pair.socket(side.peer());
                QueueFigures {
                    queued: outgoing + incoming,
                    outgoing,
                    incoming,
                    inq: pair.inq(side),
                    charged: pair.socket(side).wmem_alloc(),
                    sndbuf: u64::from(pair.socket(side).sndbuf()),
                    peer_charged: peer.wmem_alloc(),
                    peer_sndbuf: u64::from(peer.sndbuf()),
                    skbs: pair.socket(side).queue().len() + peer.queue().len(),
                    ..QueueFigures::default()
                }
            }
        }
    }

    /// A send by `pid` on `end` has ended or gone on: record what it moved
    /// since `before`, and the SIGPIPE it raised, if any.
    fn sent(&mut self, pid: Pid, end: EndRef, before: &QueueFigures, sigpipe: bool) {
        self.moved(pid, end, "send", before);
        if !sigpipe {
            return;
        }
        // send_sig: for the writing thread (PIDTYPE_PID), so SIGPIPE goes
        // to its private queue.
        let generation = self
            .world
            .proc_mut(pid)
            .signals
            .generate_to(Signal::SIGPIPE, Queue::Private);
        self.generated(pid, generation);
    }

    fn moved(&mut self, pid: Pid, end: EndRef, op: &str, before: &QueueFigures) {
        let after = self.snapshot(end);
        // Only the queue the call works on: a datagram send to a closed
        // peer also drops the sender's own unread datagrams, and that is
        // no move.
        let (was, now) = if op == "send" {
            (before.outgoing, after.outgoing)
        } else {
            (before.incoming, after.incoming)
        };
        if now != was {
            let name = self.world.end_name(end);
            let queued = match end {
                EndRef::Pipe(id, _) => self.world.pipe(id).queued(),
                EndRef::Sock(id, side) => {
                    let pair = self.world.socks(id);
                    if op == "send" {
                        pair.inq(side.peer())
                    } else {
                        pair.inq(side)
                    }
                }
            };
            self.events.push(Event::Moved {
                pid,
                end: name,
                op: op.into(),
                bytes: was.abs_diff(now),
                queued,
            });
        }
    }
}
