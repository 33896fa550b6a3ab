//! The pipe and socketpair operations of a step: creating, closing, moving
//! bytes, resizing, and resuming calls that slept. The byte rules are
//! `ipc::pipe` and `ipc::socket`; this file applies them to processes and
//! tells the story.

use super::ops::{unused_name, Cx, Event};
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
use crate::words::count;
use crate::world::Object;

/// A byte count a syscall takes as a C int (negative ones included).
fn int_bytes(n: i32) -> String {
    match u64::try_from(n) {
        Ok(n) => bytes(n),
        Err(_) => format!("{n} bytes"),
    }
}

fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

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

    fn open_end(&mut self, end: EndRef) -> Result<u32, Errno> {
        let nofile = self.profile.nofile;
        // A new pipe or socket starts with one reference per end: the fd
        // installed here.
        let fd = self.world.proc_mut(self.pid).fds.open(end, nofile)?;
        let name = self.world.end_name(end);
        self.events.push(Event::Opened {
            pid: self.pid,
            end: name,
            fd: fd.0,
        });
        Ok(fd.0)
    }

    pub(super) fn pipe(&mut self, pipe: &Name) -> Result<String, ErrorKind> {
        unused_name(self.world, pipe)?;
        let id = self
            .world
            .new_pipe(pipe.as_str(), Pipe::new(self.profile), self.pos.line);
        let me = self.me();
        let r = self.open_end(EndRef::Pipe(id, PipeEnd::Read));
        let w = self.open_end(EndRef::Pipe(id, PipeEnd::Write));
        match (r, w) {
            (Ok(r), Ok(w)) => {
                self.returned(0, OpResult::Value(0));
                let size = self.world.pipe(id).size_bytes(self.profile);
                Ok(format!(
                    "{me} creates pipe {pipe}: fd {r} is its read end {pipe}.r, fd {w} its write end {pipe}.w. It holds {} ({} KiB).",
                    count(self.world.pipe(id).capacity_slots(), "page slot", "page slots"),
                    size / 1024
                ))
            }
            (Err(e), _) | (_, Err(e)) => {
                self.returned(0, OpResult::Error(e));
                Ok(format!("{me} has no free fd left: pipe fails with {e}."))
            }
        }
    }

    pub(super) fn socketpair(&mut self, pair: &Name, dgram: bool) -> Result<String, ErrorKind> {
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
        let me = self.me();
        let a = self.open_end(EndRef::Sock(id, Side::Zero));
        let b = self.open_end(EndRef::Sock(id, Side::One));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                self.returned(0, OpResult::Value(0));
                let sndbuf = self.world.socks(id).socket(Side::Zero).sndbuf();
                Ok(format!(
                    "{me} creates a {} AF_UNIX socketpair {pair}: fd {a} is {pair}.0, fd {b} is {pair}.1. What one end sends, the other receives; each may have {sndbuf} bytes of buffers in flight (SO_SNDBUF), counted by their true size, not their payload.",
                    if dgram { "datagram" } else { "stream" },
                ))
            }
            (Err(e), _) | (_, Err(e)) => {
                self.returned(0, OpResult::Error(e));
                Ok(format!(
                    "{me} has no free fd left: socketpair fails with {e}."
                ))
            }
        }
    }

    pub(super) fn close(&mut self, end: &End) -> Result<String, ErrorKind> {
        let end_ref = self.resolve(end)?;
        let me = self.me();
        let Some(fd) = self.fd_of(end_ref) else {
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(format!(
                "{me} does not hold {end} (it closed it, or never had it): close fails with EBADF."
            ));
        };
        self.world
            .proc_mut(self.pid)
            .fds
            .close(crate::ids::Fd(fd))
            .expect("the fd was just found in the table");
        self.world.release(end_ref);
        self.events.push(Event::Closed {
            pid: self.pid,
            end: end.to_string(),
            fd,
        });
        self.returned(0, OpResult::Value(0));
        let left = self.open_count(end_ref);
        let mut story = format!("{me} closes {end} (fd {fd}).");
        story.push_str(&match (end_ref, left) {
            (EndRef::Pipe(_, PipeEnd::Write), 0) => {
                " That was the last write end: readers will now see end of file once the pipe is empty.".to_string()
            }
            (EndRef::Pipe(_, PipeEnd::Read), 0) => {
                " That was the last read end: a write now fails with EPIPE and raises SIGPIPE.".to_string()
            }
            (EndRef::Sock(id, _), 0) if self.world.socks(id).kind() == SockType::Dgram => format!(
                " That was the last fd of {end}: the socket is released. Its peer's next send fails with ECONNREFUSED, the ones after with ENOTCONN."
            ),
            (EndRef::Sock(..), 0) => format!(
                " That was the last fd of {end}: the socket is released. Its peer reads end of file once its queue is empty, and its writes fail with EPIPE."
            ),
            (_, n) => format!(" {} still open elsewhere.", if n == 1 { "1 fd of it is".into() } else { format!("{n} fds of it are") }),
        });
        Ok(story)
    }

    /// Open fds on `end`, across all processes.
    fn open_count(&self, end: EndRef) -> u32 {
        match end {
            EndRef::Pipe(id, PipeEnd::Read) => self.world.pipe(id).readers(),
            EndRef::Pipe(id, PipeEnd::Write) => self.world.pipe(id).writers(),
            EndRef::Sock(id, side) => self.world.socks(id).socket(side).files(),
        }
    }

    pub(super) fn send(
        &mut self,
        end: &End,
        len: u64,
        nonblock: bool,
    ) -> Result<String, ErrorKind> {
        let end_ref = self.resolve(end)?;
        let me = self.me();
        if self.fd_of(end_ref).is_none() || end_ref == EndRef::Pipe(pipe_id(end_ref), PipeEnd::Read)
        {
            self.returned(0, OpResult::Error(Errno::EBADF));
            let why = if self.fd_of(end_ref).is_none() {
                "does not hold"
            } else {
                "cannot write to a read end like"
            };
            return Ok(format!("{me} {why} {end}: send fails with EBADF."));
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
        let mut story = format!(
            "{me} sends {} on {end}{}: ",
            bytes(len),
            if nonblock { " (nonblocking)" } else { "" }
        );
        story.push_str(&self.describe_write(end_ref, &before, len, outcome));
        match outcome.progress {
            Progress::Done(n) => self.returned(0, OpResult::Value(n as i64)),
            Progress::Failed(e) => self.returned(0, OpResult::Error(e)),
            Progress::Blocked { so_far } => self.block(BlockedOn::Send {
                end: end_ref,
                len,
                so_far,
            }),
        }
        story.push_str(&self.sent(self.pid, end_ref, &before, outcome.sigpipe));
        Ok(story)
    }

    pub(super) fn recv(
        &mut self,
        end: &End,
        max: u64,
        nonblock: bool,
    ) -> Result<String, ErrorKind> {
        let end_ref = self.resolve(end)?;
        let me = self.me();
        if self.fd_of(end_ref).is_none()
            || end_ref == EndRef::Pipe(pipe_id(end_ref), PipeEnd::Write)
        {
            self.returned(0, OpResult::Error(Errno::EBADF));
            let why = if self.fd_of(end_ref).is_none() {
                "does not hold"
            } else {
                "cannot read from a write end like"
            };
            return Ok(format!("{me} {why} {end}: recv fails with EBADF."));
        }
        let before = self.snapshot(end_ref);
        let progress = self.do_recv(end_ref, max, nonblock);
        let mut story = format!(
            "{me} receives up to {} on {end}{}: ",
            bytes(max),
            if nonblock { " (nonblocking)" } else { "" }
        );
        story.push_str(&self.describe_read(end_ref, max, &before, progress));
        match progress {
            Progress::Done(n) => self.returned(0, OpResult::Value(n as i64)),
            Progress::Failed(e) => self.returned(0, OpResult::Error(e)),
            Progress::Blocked { .. } => self.block(BlockedOn::Recv { end: end_ref, max }),
        }
        self.moved(self.pid, end_ref, "recv", &before);
        Ok(story)
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
    ) -> Option<String> {
        // A socket's wake-up by arriving data is used up by resume_send's
        // look, so sockets always go through it; a pipe is only asked.
        if let EndRef::Pipe(id, _) = end {
            if !self.world.pipe(id).can_resume_write() {
                return None;
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
    /// None when it moved nothing and sleeps on.
    fn went_on(
        &mut self,
        pid: Pid,
        call: &BlockedCall,
        before: &QueueState,
        outcome: WriteOutcome,
    ) -> Option<String> {
        let BlockedOn::Send { end, len, so_far } = call.on else {
            return None;
        };
        let who = self.name(pid);
        let name = self.world.end_name(end);
        let story = match outcome.progress {
            Progress::Blocked { so_far: now } if now == so_far && !outcome.sigpipe => return None,
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
                format!(
                    " {who}'s blocked send on {name} goes on: {} more in ({now} of {len} so far), then it sleeps again.",
                    bytes(now - so_far)
                )
            }
            Progress::Done(n) if n >= len => {
                self.wake(pid, OpResult::Value(n as i64));
                format!(
                    " {who}, blocked since line {} in send on {name}, can go on: it writes the rest and send returns {n}.",
                    call.pos.line
                )
            }
            Progress::Done(n) => {
                self.wake(pid, OpResult::Value(n as i64));
                format!(
                    " {who}, blocked since line {} in send on {name}, finds no reader left: send returns the {} it had written{}.",
                    call.pos.line,
                    bytes(n),
                    sigpipe_clause(outcome.sigpipe)
                )
            }
            Progress::Failed(e) => {
                self.wake(pid, OpResult::Error(e));
                format!(
                    " {who}'s blocked send on {name} fails with {e}: {}{}.",
                    e.describe(),
                    sigpipe_clause(outcome.sigpipe)
                )
            }
        };
        let mut story = story;
        story.push_str(&self.sent(pid, end, before, outcome.sigpipe));
        Some(story)
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
    pub(super) fn send_woken_by_signal(&mut self, pid: Pid, sig: Signal) -> Option<String> {
        let ProcState::Blocked(call) = self.world.proc(pid).state.clone() else {
            return None;
        };
        let BlockedOn::Send { end, len, so_far } = call.on else {
            return None;
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
        let who = self.name(pid);
        let name = self.world.end_name(end);
        let after = self.snapshot(end);
        let room = match end {
            EndRef::Pipe(..) => "finds a free slot in the pipe (pipe_write tests for room before it tests for signals)".to_string(),
            EndRef::Sock(..) => format!(
                "finds its buffers charged {} of SO_SNDBUF {}, below it: sock_alloc_send_pskb tests the charge before it tests for signals",
                before.charged, before.sndbuf
            ),
        };
        let story = match outcome.progress {
            Progress::Blocked { so_far: now } if now == so_far && !outcome.sigpipe => return None,
            Progress::Blocked { so_far: now } => {
                // It reaches the signal test where it would sleep again:
                // `sent ? : err` (pipe_write: `ret`).
                self.wake(pid, OpResult::Value(now as i64));
                let more = now - so_far;
                let what = match (end, after.skbs.saturating_sub(before.skbs)) {
                    (EndRef::Sock(..), 1) => format!("one more skb, of {}", bytes(more)),
                    (EndRef::Sock(..), skbs) => format!("{skbs} more skbs, {}", bytes(more)),
                    (EndRef::Pipe(..), _) => format!("{} more", bytes(more)),
                };
                format!(
                    " {who}'s send on {name}, woken by {sig}, {room}. So it queues {what}, and only where it would sleep again does it see {sig} pending: send ends with {now}."
                )
            }
            Progress::Done(n) if n >= len => {
                self.wake(pid, OpResult::Value(n as i64));
                let what = match end {
                    EndRef::Sock(id, _) if self.world.socks(id).kind() == SockType::Dgram => {
                        format!("its {}-byte datagram goes out", n)
                    }
                    _ if so_far == 0 => format!("it queues all {}", bytes(n)),
                    _ => format!("it queues the remaining {}", bytes(n - so_far)),
                };
                format!(
                    " {who}'s send on {name}, woken by {sig}, {room}. So {what}, and send ends with {n}, {sig} still pending."
                )
            }
            Progress::Done(n) => {
                self.wake(pid, OpResult::Value(n as i64));
                // Its loop stopped on an error (no reader left, sk_err):
                // `sent ? : err` returns what it had moved.
                format!(
                    " {who}'s send on {name}, woken by {sig}, stops short: send returns the {} it had written{}.",
                    bytes(n),
                    sigpipe_clause(outcome.sigpipe)
                )
            }
            Progress::Failed(e) => {
                self.wake(pid, OpResult::Error(e));
                format!(
                    " {who}'s send on {name}, woken by {sig}, fails with {e}: {}{}.",
                    e.describe(),
                    sigpipe_clause(outcome.sigpipe)
                )
            }
        };
        let mut story = story;
        story.push_str(&self.sent(pid, end, &before, outcome.sigpipe));
        Some(story)
    }

    /// `pid`'s call, interrupted with -ERESTARTSYS by a stop, starts again
    /// after SIGCONT. A send on a socket starts from the top of
    /// unix_stream_sendmsg / unix_dgram_sendmsg: its skb is sized afresh and
    /// admitted while `sk_wmem_alloc < sk_sndbuf`, a test a sleeper's
    /// wake-up rule does not make, so bytes a reader freed while it was
    /// stopped may let it send at once (`SocketPair::restart_send`). A
    /// pipe write, a recv or a wait starts again with the very test that
    /// would wake it, which `settle` makes. The story of what it did, or
    /// None when it only sleeps again.
    pub(super) fn restarted(&mut self, pid: Pid) -> Option<String> {
        let ProcState::Blocked(call) = self.world.proc(pid).state.clone() else {
            return None;
        };
        let BlockedOn::Send {
            end: end @ EndRef::Sock(id, side),
            len,
            so_far: 0,
        } = call.on
        else {
            return None;
        };
        let before = self.snapshot(end);
        let outcome = self
            .world
            .socks_mut(id)
            .restart_send(self.profile, side, len);
        let queued = self.snapshot(end).outgoing > before.outgoing;
        let story = self.went_on(pid, &call, &before, outcome)?;
        if !queued {
            return Some(story);
        }
        Some(format!(
            " Starting again, the send finds its buffers charged {} of SO_SNDBUF {}, below it, so sock_alloc_send_pskb admits an skb at once (a sleeper would have waited for a reader to free more).{story}",
            before.charged, before.sndbuf
        ))
    }

    /// A sleeping recv tries again.
    pub(super) fn resume_recv(&mut self, pid: Pid, end: EndRef, max: u64) -> Option<String> {
        let can = match end {
            EndRef::Pipe(id, _) => self.world.pipe(id).can_resume_read(),
            EndRef::Sock(id, side) => self.world.socks(id).can_resume_recv(side),
        };
        if !can {
            return None;
        }
        let before = self.snapshot(end);
        let progress = self.do_recv(end, max, false);
        let who = self.name(pid);
        let name = self.world.end_name(end);
        let story = match progress {
            Progress::Blocked { .. } => return None,
            Progress::Done(0) if self.snapshot(end).skbs < before.skbs => {
                self.wake(pid, OpResult::Value(0));
                format!(" {who} was blocked in recv on {name}: it wakes and receives an empty datagram (0 bytes).")
            }
            Progress::Done(0) => {
                self.wake(pid, OpResult::Value(0));
                format!(" {who} was blocked in recv on {name}: no writer is left, so it wakes with end of file (0).")
            }
            Progress::Done(n) => {
                self.wake(pid, OpResult::Value(n as i64));
                format!(
                    " {who} was blocked in recv on {name}: it wakes and receives {}.",
                    bytes(n)
                )
            }
            Progress::Failed(e) => {
                self.wake(pid, OpResult::Error(e));
                format!(" {who}'s blocked recv on {name} fails with {e}.")
            }
        };
        self.moved(pid, end, "recv", &before);
        Some(story)
    }

    /// fcntl(fd, F_SETPIPE_SZ, size) with a C int: do_fcntl hands pipe_fcntl
    /// `(unsigned int)arg`, so a negative size reaches round_pipe_size as a
    /// value of 2^31 or more: EINVAL, except INT_MIN, which is exactly 2^31
    /// (a valid power of two, above pipe-max-size: EPERM).
    pub(super) fn pipesize(&mut self, pipe: &Name, size: i32) -> Result<String, ErrorKind> {
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
        let me = self.me();
        let held = self
            .fd_of(EndRef::Pipe(id, PipeEnd::Read))
            .or(self.fd_of(EndRef::Pipe(id, PipeEnd::Write)));
        if held.is_none() {
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(format!(
                "{me} holds no end of {pipe}: F_SETPIPE_SZ fails with EBADF."
            ));
        }
        let old = self.world.pipe(id).size_bytes(self.profile);
        // Scenario processes run without CAP_SYS_RESOURCE, like any
        // unprivileged Node.js program.
        let arg = u64::from(size as u32);
        match self.world.pipe_mut(id).set_size(self.profile, arg, false) {
            Ok(new) => {
                self.returned(0, OpResult::Value(new as i64));
                let slots = self.world.pipe(id).capacity_slots();
                let mut story = format!(
                    "{me} sets {pipe}'s size to {} (F_SETPIPE_SZ). The kernel rounds it to a power-of-two number of pages: {new} bytes, {} (it was {old}).",
                    int_bytes(size),
                    count(slots, "slot", "slots")
                );
                story.push_str(&self.wake_first_writer(id));
                Ok(story)
            }
            Err(e) => {
                self.returned(0, OpResult::Error(e));
                let why = match e {
                    Errno::EBUSY => format!(
                        "the pipe holds data in {}, more than the new size has",
                        count(self.world.pipe(id).slots_in_use(), "slot", "slots")
                    ),
                    Errno::EPERM => format!(
                        "{}that is above pipe-max-size ({} bytes), which only a process with CAP_SYS_RESOURCE may exceed",
                        if size < 0 { format!("the kernel reads the size as an unsigned int ({arg}), and ") } else { String::new() },
                        self.profile.pipe_max_size
                    ),
                    Errno::EINVAL if size < 0 => format!(
                        "the kernel reads the size as an unsigned int ({arg}), and no pipe is larger than 2^31 bytes"
                    ),
                    Errno::EINVAL => "no pipe is larger than 2^31 bytes".to_string(),
                    _ => e.describe().to_string(),
                };
                Ok(format!("{me} asks for a {size}-byte pipe {pipe}: F_SETPIPE_SZ fails with {e}, because {why}."))
            }
        }
    }

    /// pipe_resize_ring ends with `wake_up_interruptible(&pipe->wr_wait)`,
    /// whatever the new size: one exclusive sleeper, the writer at the
    /// head of the queue, is woken (and taken off the queue by
    /// autoremove_wake_function). If the pipe is still full it finds
    /// pipe_writable false and prepare_to_wait_event puts it back at the
    /// tail, so the others move up; if there is room now, `settle` lets it
    /// write, and pipe_write's wake_next_writer passes the wake-up on while
    /// room is left. Readers (rd_wait) are not woken.
    fn wake_first_writer(&mut self, id: crate::ids::PipeId) -> String {
        let first = self
            .world
            .procs()
            .filter_map(|p| match &p.state {
                ProcState::Blocked(call) => match call.on {
                    BlockedOn::Send {
                        end: EndRef::Pipe(pipe, PipeEnd::Write),
                        ..
                    } if pipe == id => Some((call.queued, p.pid)),
                    _ => None,
                },
                _ => None,
            })
            .min();
        let Some((_, pid)) = first else {
            return String::new();
        };
        if self.world.pipe(id).can_resume_write() {
            return String::new();
        }
        let tick = self.world.tick();
        if let ProcState::Blocked(call) = &mut self.world.proc_mut(pid).state {
            call.queued = tick;
        }
        let who = self.name(pid);
        let name = self.world.end_name(EndRef::Pipe(id, PipeEnd::Write));
        format!(
            " The resize wakes the first writer asleep on {name}, {who}; the pipe is still full, so {who} sleeps again, now at the back of the writers' queue."
        )
    }

    /// setsockopt(SO_SNDBUF) with a C int; see `SocketPair::set_sndbuf`.
    pub(super) fn sndbuf(&mut self, end: &End, size: i32) -> Result<String, ErrorKind> {
        let end_ref = self.resolve(end)?;
        let me = self.me();
        let EndRef::Sock(id, side) = end_ref else {
            self.returned(0, OpResult::Error(Errno::ENOTSOCK));
            return Ok(format!(
                "{end} is a pipe end, not a socket: SO_SNDBUF fails with ENOTSOCK."
            ));
        };
        if self.fd_of(end_ref).is_none() {
            self.returned(0, OpResult::Error(Errno::EBADF));
            return Ok(format!(
                "{me} does not hold {end}: setsockopt fails with EBADF."
            ));
        }
        match self
            .world
            .socks_mut(id)
            .set_sndbuf(self.profile, side, size)
        {
            Ok(stored) => {
                self.returned(0, OpResult::Value(0));
                let k = self.profile;
                let how = if size < 0 {
                    format!(
                        "it compares the value as an unsigned number ({}), which is above wmem_max, so it takes wmem_max ({}) and doubles it",
                        size as u32, k.wmem_max
                    )
                } else {
                    format!(
                        "it doubles the value to allow for buffer overhead (capped by wmem_max, with a floor of {})",
                        k.sock_min_sndbuf
                    )
                };
                let mut story = format!(
                    "{me} sets SO_SNDBUF on {end} to {size}. The kernel stores {stored}: {how}."
                );
                let sender_asleep = self.world.procs().any(|p| {
                    matches!(&p.state, ProcState::Blocked(call)
                        if matches!(call.on, BlockedOn::Send { end: e, .. } if e == end_ref))
                });
                let pair = self.world.socks(id);
                if sender_asleep && pair.writable(side) {
                    let charge = pair.socket(side).wmem_alloc();
                    story.push_str(&format!(
                        " The socket now counts as writable, 4 x (its charge {charge} + 1) = {} being at most SO_SNDBUF, so unix_write_space wakes the sender asleep on {end}.",
                        4 * (charge + 1)
                    ));
                }
                Ok(story)
            }
            Err(e) => {
                self.returned(0, OpResult::Error(e));
                Ok(format!("{me} sets SO_SNDBUF on {end}: it fails with {e}."))
            }
        }
    }

    /// The state of an end's queue before a move, for the narration.
    fn snapshot(&self, end: EndRef) -> QueueState {
        match end {
            EndRef::Pipe(id, _) => {
                let p = self.world.pipe(id);
                QueueState {
                    queued: p.queued(),
                    outgoing: p.queued(),
                    incoming: p.queued(),
                    slots: p.slots_in_use(),
                    capacity: p.capacity_slots(),
                    last_free: p.slots().last().map(|s| {
                        u64::from(self.profile.page_size)
                            .saturating_sub(u64::from(s.offset) + u64::from(s.len))
                    }),
                    charged: 0,
                    sndbuf: 0,
                    skbs: 0,
                }
            }
            EndRef::Sock(id, side) => {
                let pair = self.world.socks(id);
                // Every byte of each queue, not FIONREAD (which counts
                // only the first datagram), so that a move of a datagram
                // behind another one is seen and counted.
                let outgoing = pair.socket(side.peer()).queued_bytes();
                let incoming = pair.socket(side).queued_bytes();
                QueueState {
                    queued: outgoing + incoming,
                    outgoing,
                    incoming,
                    slots: 0,
                    capacity: 0,
                    last_free: None,
                    charged: pair.socket(side).wmem_alloc(),
                    sndbuf: u64::from(pair.socket(side).sndbuf()),
                    skbs: pair.socket(side).queue().len() + pair.socket(side.peer()).queue().len(),
                }
            }
        }
    }

    /// A send by `pid` on `end` has ended or gone on: record what it moved
    /// since `before`, and the SIGPIPE it raised, if any. The story of
    /// that signal, or nothing.
    fn sent(&mut self, pid: Pid, end: EndRef, before: &QueueState, sigpipe: bool) -> String {
        self.moved(pid, end, "send", before);
        if !sigpipe {
            return String::new();
        }
        // send_sig: for the writing thread (PIDTYPE_PID), so SIGPIPE goes
        // to its private queue.
        let generation = self
            .world
            .proc_mut(pid)
            .signals
            .generate_to(Signal::SIGPIPE, Queue::Private);
        self.generated(pid, generation)
    }

    fn moved(&mut self, pid: Pid, end: EndRef, op: &str, before: &QueueState) {
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

    fn describe_write(
        &self,
        end: EndRef,
        before: &QueueState,
        len: u64,
        outcome: WriteOutcome,
    ) -> String {
        let after = self.snapshot(end);
        match (end, outcome.progress) {
            (_, Progress::Failed(Errno::EPIPE)) if outcome.sigpipe => {
                "no reader is left, so the write fails with EPIPE and the kernel sends SIGPIPE to the writer.".into()
            }
            (_, Progress::Failed(Errno::EPIPE)) => "no reader is left, so the write fails with EPIPE.".into(),
            (EndRef::Pipe(..), Progress::Failed(Errno::EAGAIN)) => {
                let page = u64::from(self.profile.page_size);
                let hint = match before.last_free {
                    Some(free) if !len.is_multiple_of(page) && free > 0 && free < len % page => format!(
                        " The last slot still has {} free, but a write merges into it only if its leading part fits there whole.",
                        bytes(free)
                    ),
                    _ => String::new(),
                };
                let full = match before.capacity {
                    1 => "its only slot is in use".to_string(),
                    n => format!("all {n} slots are in use"),
                };
                format!(
                    "{full} ({} queued) and a nonblocking write never waits: it fails with EAGAIN.{hint}",
                    bytes(before.queued)
                )
            }
            (EndRef::Sock(..), Progress::Failed(Errno::EAGAIN)) => format!(
                "the sender's buffers in flight are charged {} of its {}-byte SO_SNDBUF, so a nonblocking send fails with EAGAIN (the payload queued is only {}).",
                before.charged,
                before.sndbuf,
                bytes(before.outgoing)
            ),
            (_, Progress::Failed(e)) => format!("it fails with {e} ({}).", e.describe()),
            (EndRef::Pipe(..), Progress::Done(n)) => {
                let fresh = after.slots.saturating_sub(before.slots);
                let partial = if n < len { format!("only {} fit; the nonblocking write returns {n}. ", bytes(n)) } else { String::new() };
                let how = match fresh {
                    0 => "they merge into the last page slot".to_string(),
                    1 => "they go into a fresh page slot".to_string(),
                    k => format!("they fill {k} fresh page slots"),
                };
                let how = if partial.is_empty() { how } else { capitalized(&how) };
                format!(
                    "{partial}{how}. {} of {} in use, {} queued.",
                    after.slots,
                    count(after.capacity, "slot", "slots"),
                    bytes(after.queued)
                )
            }
            (EndRef::Sock(..), Progress::Done(n)) => {
                let partial = if n < len { format!("only {} go in; the nonblocking send returns {n}. ", bytes(n)) } else { String::new() };
                let the = if partial.is_empty() { "the" } else { "The" };
                format!(
                    "{partial}{the} buffers are charged {} bytes of true size (payload plus sk_buff overhead, rounded to the allocation): now {} of SO_SNDBUF {} in flight.",
                    after.charged.saturating_sub(before.charged),
                    after.charged,
                    after.sndbuf
                )
            }
            (EndRef::Pipe(..), Progress::Blocked { so_far }) => format!(
                "{}the pipe is full ({} of {}), so the writer sleeps until a reader frees a whole slot.",
                if so_far > 0 { format!("{} fit, then ", bytes(so_far)) } else { String::new() },
                after.slots,
                count(after.capacity, "slot", "slots")
            ),
            (EndRef::Sock(..), Progress::Blocked { so_far }) => format!(
                "{}the send buffer is full ({} of {} bytes charged), so the sender sleeps until the reader drains it.",
                if so_far > 0 { format!("{} go in, then ", bytes(so_far)) } else { String::new() },
                after.charged,
                after.sndbuf
            ),
        }
    }

    fn describe_read(
        &self,
        end: EndRef,
        max: u64,
        before: &QueueState,
        progress: Progress,
    ) -> String {
        let after = self.snapshot(end);
        match (end, progress) {
            (_, Progress::Done(0)) if max == 0 => "a read of 0 bytes returns 0 at once.".into(),
            (EndRef::Sock(..), Progress::Done(0)) if after.skbs < before.skbs => {
                "it gets an empty datagram: recv returns 0.".into()
            }
            (_, Progress::Done(0)) => {
                "nothing is queued and no writer is left: recv returns 0, end of file.".into()
            }
            (EndRef::Pipe(..), Progress::Done(n)) => {
                let freed = before.slots.saturating_sub(after.slots);
                format!(
                    "it gets {}. {}; {} left queued.",
                    bytes(n),
                    match freed {
                        0 =>
                            "No slot is freed: a slot is freed only once it has been read entirely"
                                .to_string(),
                        1 => "1 slot is read entirely and freed".to_string(),
                        k => format!("{k} slots are read entirely and freed"),
                    },
                    bytes(after.queued)
                )
            }
            (EndRef::Sock(id, side), Progress::Done(n)) => {
                let pair = self.world.socks(id);
                let peer = pair.socket(side.peer());
                format!(
                    "it gets {}; {} left queued. The sender's charge drops to {} of {}.",
                    bytes(n),
                    bytes(pair.inq(side)),
                    peer.wmem_alloc(),
                    peer.sndbuf()
                )
            }
            (_, Progress::Failed(Errno::EAGAIN)) => {
                "nothing is queued and a nonblocking read never waits: it fails with EAGAIN.".into()
            }
            (_, Progress::Failed(e)) => format!("it fails with {e} ({}).", e.describe()),
            (_, Progress::Blocked { .. }) => {
                "nothing is queued yet, so the reader sleeps until data arrives.".into()
            }
        }
    }
}

/// `text` with its first letter in upper case, to follow a sentence.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn pipe_id(end: EndRef) -> crate::ids::PipeId {
    match end {
        EndRef::Pipe(id, _) => id,
        EndRef::Sock(..) => crate::ids::PipeId(u32::MAX),
    }
}

/// A queue's figures before an operation.
struct QueueState {
    queued: u64,
    /// Unread bytes in the queue a send on this end fills.
    outgoing: u64,
    /// Unread bytes in the queue a recv on this end drains.
    incoming: u64,
    slots: u32,
    capacity: u32,
    /// Bytes free after the last slot's data.
    last_free: Option<u64>,
    /// Sender's truesize charge (sockets).
    charged: u64,
    /// Buffers queued in both directions (sockets), to see an empty
    /// datagram go.
    skbs: usize,
    sndbuf: u64,
}

/// How a sentence about a send that failed or stopped short ends: with the
/// SIGPIPE the kernel sends the writer, when it does.
fn sigpipe_clause(sigpipe: bool) -> &'static str {
    if sigpipe {
        ", and the kernel sends it SIGPIPE"
    } else {
        ""
    }
}
