//! The story of pipes and socketpairs: making them, closing ends, each
//! send and recv with the figures of its queue before and after, the
//! sleepers that go on, and the sizes set by F_SETPIPE_SZ and SO_SNDBUF.

use super::Teller;
use crate::engine::event::{Call, EndKind, Event, NoFds, QueueFigures, Refusal};
use crate::errno::Errno;
use crate::ipc::end_name::{EndName, Which};
use crate::ipc::Progress;
use crate::words::{bytes, capitalized, count};

/// Which kind of object an end is on, for the sentences that differ.
#[derive(Clone, Copy)]
enum End {
    Pipe,
    Sock,
}

/// Is `end` (`p.w`, `s.0`, as `World::end_name` spells it) an end of a
/// pipe? Its suffix says.
fn is_pipe(end: &str) -> bool {
    EndName::parse(end).is_some_and(|e| matches!(e.which, Which::Pipe(_)))
}

impl Teller<'_> {
    pub(super) fn ipc(&self, event: &Event) -> String {
        match event {
            Event::PipeMade {
                pid,
                pipe,
                result,
                slots,
                bytes,
                cloexec,
            } => {
                let me = self.name(*pid);
                match result {
                    Ok([r, w]) => format!(
                        "{me} creates pipe {pipe}: fd {r} is its read end {pipe}.r, fd {w} its write end {pipe}.w. It holds {} ({} KiB).{}",
                        count(*slots, "page slot", "page slots"),
                        bytes / 1024,
                        both_cloexec(*cloexec, "O_CLOEXEC")
                    ),
                    Err(no) => no_fds(me, "pipe", no),
                }
            }
            Event::SocketpairMade {
                pid,
                pair,
                dgram,
                result,
                sndbuf,
                cloexec,
            } => {
                let me = self.name(*pid);
                match result {
                    Ok([a, b]) => format!(
                        "{me} creates a {} AF_UNIX socketpair {pair}: fd {a} is {pair}.0, fd {b} is {pair}.1. What one end sends, the other receives; each may have {sndbuf} bytes of buffers in flight (SO_SNDBUF), counted by their true size, not their payload.{}",
                        if *dgram { "datagram" } else { "stream" },
                        both_cloexec(*cloexec, "SOCK_CLOEXEC")
                    ),
                    Err(no) => no_fds(me, "socketpair", no),
                }
            }
            Event::Refused {
                pid,
                call,
                target,
                why,
            } => {
                let me = self.name(*pid);
                match (call, why) {
                    (Call::Close, _) => format!("{me} does not hold {target} (it closed it, or never had it): close fails with EBADF."),
                    (Call::Cloexec, _) => format!("{me} does not hold {target}: fcntl F_SETFD fails with EBADF."),
                    (Call::Send, Refusal::WrongEnd) => format!("{me} cannot write to a read end like {target}: send fails with EBADF."),
                    (Call::Send, _) => format!("{me} does not hold {target}: send fails with EBADF."),
                    (Call::Recv, Refusal::WrongEnd) => format!("{me} cannot read from a write end like {target}: recv fails with EBADF."),
                    (Call::Recv, _) => format!("{me} does not hold {target}: recv fails with EBADF."),
                    (Call::Pipesize, _) => format!("{me} holds no end of {target}: F_SETPIPE_SZ fails with EBADF."),
                    (Call::Sndbuf, Refusal::NotSocket) => format!("{target} is a pipe end, not a socket: SO_SNDBUF fails with ENOTSOCK."),
                    (Call::Sndbuf, _) => format!("{me} does not hold {target}: setsockopt fails with EBADF."),
                }
            }
            Event::Closed {
                pid,
                end,
                fd,
                left,
                kind,
                exec,
            } => {
                let me = self.name(*pid);
                // Closed by exec: the exec's sentence came first.
                let mut story = if *exec {
                    format!(" {end} (fd {fd}) is closed.")
                } else {
                    format!("{me} closes {end} (fd {fd}).")
                };
                story.push_str(&match (kind, left) {
                    (EndKind::PipeWrite, 0) => {
                        " That was the last write end: readers will now see end of file once the pipe is empty.".to_string()
                    }
                    (EndKind::PipeRead, 0) => {
                        " That was the last read end: a write now fails with EPIPE and raises SIGPIPE.".to_string()
                    }
                    (EndKind::Dgram, 0) => format!(
                        " That was the last fd of {end}: the socket is released. Its peer's next send fails with ECONNREFUSED, the ones after with ENOTCONN."
                    ),
                    (EndKind::Stream, 0) => format!(
                        " That was the last fd of {end}: the socket is released. Its peer reads end of file once its queue is empty, and its writes fail with EPIPE."
                    ),
                    (_, n) => format!(" {} still open elsewhere.", if *n == 1 { "1 fd of it is".into() } else { format!("{n} fds of it are") }),
                });
                story
            }
            Event::CloexecSet {
                pid,
                end,
                fd,
                on,
                was,
            } => {
                let me = self.name(*pid);
                match (on, was) {
                    (true, false) => format!("{me} sets close-on-exec on {end} (fd {fd}; fcntl F_SETFD, FD_CLOEXEC): exec will close it."),
                    (true, true) => format!("{me} sets close-on-exec on {end} (fd {fd}; fcntl F_SETFD, FD_CLOEXEC), which it had already: exec will close it."),
                    (false, true) => format!("{me} clears close-on-exec on {end} (fd {fd}; fcntl F_SETFD, 0): it will survive exec."),
                    (false, false) => format!("{me} clears close-on-exec on {end} (fd {fd}; fcntl F_SETFD, 0), which was clear already: it survives exec."),
                }
            }
            Event::SendCalled {
                pid,
                end,
                len,
                nonblock,
                progress,
                sigpipe,
                before,
                after,
            } => format!(
                "{} sends {} on {end}{}: {}",
                self.name(*pid),
                bytes(*len),
                if *nonblock { " (nonblocking)" } else { "" },
                describe_write(is_pipe(end), before, after, *len, *progress, *sigpipe)
            ),
            Event::RecvCalled {
                pid,
                end,
                max,
                nonblock,
                progress,
                before,
                after,
            } => format!(
                "{} receives up to {} on {end}{}: {}",
                self.name(*pid),
                bytes(*max),
                if *nonblock { " (nonblocking)" } else { "" },
                describe_read(is_pipe(end), *max, before, after, *progress)
            ),
            Event::SendWentOn {
                pid,
                end,
                len,
                was,
                since_line,
                progress,
                sigpipe,
                restart,
            } => {
                let who = self.name(*pid);
                let mut story = match restart {
                    Some((charged, sndbuf)) => format!(
                        " Starting again, the send finds its buffers charged {charged} of SO_SNDBUF {sndbuf}, below it, so sock_alloc_send_pskb admits an skb at once (a sleeper would have waited for a reader to free more)."
                    ),
                    None => String::new(),
                };
                story.push_str(&match *progress {
                    Progress::Blocked { so_far: now } => format!(
                        " {who}'s blocked send on {end} goes on: {} more in ({now} of {len} so far), then it sleeps again.",
                        bytes(now - was)
                    ),
                    Progress::Done(n) if n >= *len => format!(
                        " {who}, blocked since line {since_line} in send on {end}, can go on: it writes the rest and send returns {n}."
                    ),
                    Progress::Done(n) => format!(
                        " {who}, blocked since line {since_line} in send on {end}, finds no reader left: send returns the {} it had written{}.",
                        bytes(n),
                        sigpipe_clause(*sigpipe)
                    ),
                    Progress::Failed(e) => format!(
                        " {who}'s blocked send on {end} fails with {e}: {}{}.",
                        e.describe(),
                        sigpipe_clause(*sigpipe)
                    ),
                });
                story
            }
            Event::SendSignalled { .. } => self.send_signalled(event),
            Event::RecvWoken {
                pid,
                end,
                progress,
                empty_datagram,
            } => {
                let who = self.name(*pid);
                match progress {
                    Progress::Done(0) if *empty_datagram => format!(" {who} was blocked in recv on {end}: it wakes and receives an empty datagram (0 bytes)."),
                    Progress::Done(0) => format!(" {who} was blocked in recv on {end}: no writer is left, so it wakes with end of file (0)."),
                    Progress::Done(n) => format!(
                        " {who} was blocked in recv on {end}: it wakes and receives {}.",
                        bytes(*n)
                    ),
                    Progress::Failed(e) => format!(" {who}'s blocked recv on {end} fails with {e}."),
                    Progress::Blocked { .. } => String::new(),
                }
            }
            Event::PipeSized {
                pid,
                pipe,
                asked,
                old,
                result,
                slots,
                max,
            } => pipe_sized(self.name(*pid), pipe, *asked, *old, *result, *slots, *max),
            Event::WriterRequeued { pid, end } => {
                let who = self.name(*pid);
                format!(
                    " The resize wakes the first writer asleep on {end}, {who}; the pipe is still full, so {who} sleeps again, now at the back of the writers' queue."
                )
            }
            Event::SndbufSet {
                pid,
                end,
                asked,
                result,
                wmem_max,
                floor,
                wakes,
            } => {
                let me = self.name(*pid);
                let size = *asked;
                match result {
                    Ok(stored) => {
                        let how = if size < 0 {
                            format!(
                                "it compares the value as an unsigned number ({}), which is above wmem_max, so it takes wmem_max ({wmem_max}) and doubles it",
                                size as u32
                            )
                        } else {
                            format!(
                                "it doubles the value to allow for buffer overhead (capped by wmem_max, with a floor of {floor})"
                            )
                        };
                        let mut story = format!(
                            "{me} sets SO_SNDBUF on {end} to {size}. The kernel stores {stored}: {how}."
                        );
                        if let Some(charge) = wakes {
                            story.push_str(&format!(
                                " The socket now counts as writable, 4 x (its charge {charge} + 1) = {} being at most SO_SNDBUF, so unix_write_space wakes the sender asleep on {end}.",
                                4 * (charge + 1)
                            ));
                        }
                        story
                    }
                    Err(e) => format!("{me} sets SO_SNDBUF on {end}: it fails with {e}."),
                }
            }
            _ => String::new(),
        }
    }

    /// A signal woke a sleeping send, which went round its loop first.
    fn send_signalled(&self, event: &Event) -> String {
        let Event::SendSignalled {
            pid,
            end,
            signal: sig,
            len,
            was: so_far,
            dgram,
            progress,
            sigpipe,
            before,
            after,
        } = event
        else {
            return String::new();
        };
        let (len, so_far) = (*len, *so_far);
        let who = self.name(*pid);
        let pipe = is_pipe(end);
        let room = if pipe {
            "finds a free slot in the pipe (pipe_write tests for room before it tests for signals)"
                .to_string()
        } else {
            format!(
                "finds its buffers charged {} of SO_SNDBUF {}, below it: sock_alloc_send_pskb tests the charge before it tests for signals",
                before.charged, before.sndbuf
            )
        };
        match *progress {
            Progress::Blocked { so_far: now } => {
                let more = now - so_far;
                let what = match (pipe, after.skbs.saturating_sub(before.skbs)) {
                    (false, 1) => format!("one more skb, of {}", bytes(more)),
                    (false, skbs) => format!("{skbs} more skbs, {}", bytes(more)),
                    (true, _) => format!("{} more", bytes(more)),
                };
                format!(
                    " {who}'s send on {end}, woken by {sig}, {room}. So it queues {what}, and only where it would sleep again does it see {sig} pending: send ends with {now}."
                )
            }
            Progress::Done(n) if n >= len => {
                let what = if *dgram {
                    format!("its {}-byte datagram goes out", n)
                } else if so_far == 0 {
                    format!("it queues all {}", bytes(n))
                } else {
                    format!("it queues the remaining {}", bytes(n - so_far))
                };
                format!(
                    " {who}'s send on {end}, woken by {sig}, {room}. So {what}, and send ends with {n}, {sig} still pending."
                )
            }
            Progress::Done(n) => format!(
                " {who}'s send on {end}, woken by {sig}, stops short: send returns the {} it had written{}.",
                bytes(n),
                sigpipe_clause(*sigpipe)
            ),
            Progress::Failed(e) => format!(
                " {who}'s send on {end}, woken by {sig}, fails with {e}: {}{}.",
                e.describe(),
                sigpipe_clause(*sigpipe)
            ),
        }
    }
}

/// A pipe or socketpair that got no fds: how many the actor had free
/// against the two the call needs.
/// What a new pipe's or socketpair's `flag` means, when it was given.
fn both_cloexec(cloexec: bool, flag: &str) -> String {
    if cloexec {
        format!(" Both fds are close-on-exec ({flag}): an exec by a process that holds them closes them.")
    } else {
        String::new()
    }
}

fn no_fds(me: &str, call: &str, no: &NoFds) -> String {
    let free = match no.free {
        0 => "no fd free".to_string(),
        1 => "only 1 fd free".to_string(),
        n => format!("{n} fds free"),
    };
    format!(
        "{me} has {free} below its limit of {} (RLIMIT_NOFILE), and {call} needs 2: it fails with {} and opens neither end.",
        no.nofile, no.errno
    )
}

/// A byte count a syscall takes as a C int (negative ones included).
fn int_bytes(n: i32) -> String {
    match u64::try_from(n) {
        Ok(n) => bytes(n),
        Err(_) => format!("{n} bytes"),
    }
}

/// F_SETPIPE_SZ with a C int: do_fcntl hands pipe_fcntl `(unsigned
/// int)arg`, so a negative size reads as 2^31 or more.
fn pipe_sized(
    me: &str,
    pipe: &str,
    size: i32,
    old: u64,
    result: Result<u64, Errno>,
    slots: u32,
    max: u32,
) -> String {
    let arg = u64::from(size as u32);
    match result {
        Ok(new) => format!(
            "{me} sets {pipe}'s size to {} (F_SETPIPE_SZ). The kernel rounds it to a power-of-two number of pages: {new} bytes, {} (it was {old}).",
            int_bytes(size),
            count(slots, "slot", "slots")
        ),
        Err(e) => {
            let why = match e {
                Errno::EBUSY => format!(
                    "the pipe holds data in {}, more than the new size has",
                    count(slots, "slot", "slots")
                ),
                Errno::EPERM => format!(
                    "{}that is above pipe-max-size ({max} bytes), which only a process with CAP_SYS_RESOURCE may exceed",
                    if size < 0 { format!("the kernel reads the size as an unsigned int ({arg}), and ") } else { String::new() },
                ),
                Errno::EINVAL if size < 0 => format!(
                    "the kernel reads the size as an unsigned int ({arg}), and no pipe is larger than 2^31 bytes"
                ),
                Errno::EINVAL => "no pipe is larger than 2^31 bytes".to_string(),
                _ => e.describe().to_string(),
            };
            format!("{me} asks for a {size}-byte pipe {pipe}: F_SETPIPE_SZ fails with {e}, because {why}.")
        }
    }
}

fn describe_write(
    pipe: bool,
    before: &QueueFigures,
    after: &QueueFigures,
    len: u64,
    progress: Progress,
    sigpipe: bool,
) -> String {
    match (if pipe { End::Pipe } else { End::Sock }, progress) {
            (_, Progress::Failed(Errno::EPIPE)) if sigpipe => {
                "no reader is left, so the write fails with EPIPE and the kernel sends SIGPIPE to the writer.".into()
            }
            (_, Progress::Failed(Errno::EPIPE)) => "no reader is left, so the write fails with EPIPE.".into(),
            (End::Pipe, Progress::Failed(Errno::EAGAIN)) => {
                let page = before.slot_size;
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
            (End::Sock, Progress::Failed(Errno::EAGAIN)) => format!(
                "the sender's buffers in flight are charged {} of its {}-byte SO_SNDBUF, so a nonblocking send fails with EAGAIN (the payload queued is only {}).",
                before.charged,
                before.sndbuf,
                bytes(before.outgoing)
            ),
            (_, Progress::Failed(e)) => format!("it fails with {e} ({}).", e.describe()),
            (End::Pipe, Progress::Done(n)) => {
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
            (End::Sock, Progress::Done(n)) => {
                let partial = if n < len { format!("only {} go in; the nonblocking send returns {n}. ", bytes(n)) } else { String::new() };
                let the = if partial.is_empty() { "the" } else { "The" };
                format!(
                    "{partial}{the} buffers are charged {} bytes of true size (payload plus sk_buff overhead, rounded to the allocation): now {} of SO_SNDBUF {} in flight.",
                    after.charged.saturating_sub(before.charged),
                    after.charged,
                    after.sndbuf
                )
            }
            (End::Pipe, Progress::Blocked { so_far }) => format!(
                "{}the pipe is full ({} of {}), so the writer sleeps until a reader frees a whole slot.",
                if so_far > 0 { format!("{} fit, then ", bytes(so_far)) } else { String::new() },
                after.slots,
                count(after.capacity, "slot", "slots")
            ),
            (End::Sock, Progress::Blocked { so_far }) => format!(
                "{}the send buffer is full ({} of {} bytes charged), so the sender sleeps until the reader drains it.",
                if so_far > 0 { format!("{} go in, then ", bytes(so_far)) } else { String::new() },
                after.charged,
                after.sndbuf
            ),
        }
}

fn describe_read(
    pipe: bool,
    max: u64,
    before: &QueueFigures,
    after: &QueueFigures,
    progress: Progress,
) -> String {
    match (if pipe { End::Pipe } else { End::Sock }, progress) {
        (_, Progress::Done(0)) if max == 0 => "a read of 0 bytes returns 0 at once.".into(),
        (End::Sock, Progress::Done(0)) if after.skbs < before.skbs => {
            "it gets an empty datagram: recv returns 0.".into()
        }
        (_, Progress::Done(0)) => {
            "nothing is queued and no writer is left: recv returns 0, end of file.".into()
        }
        (End::Pipe, Progress::Done(n)) => {
            let freed = before.slots.saturating_sub(after.slots);
            format!(
                "it gets {}. {}; {} left queued.",
                bytes(n),
                match freed {
                    0 => "No slot is freed: a slot is freed only once it has been read entirely"
                        .to_string(),
                    1 => "1 slot is read entirely and freed".to_string(),
                    k => format!("{k} slots are read entirely and freed"),
                },
                bytes(after.queued)
            )
        }
        (End::Sock, Progress::Done(n)) => format!(
            "it gets {}; {} left queued. The sender's charge drops to {} of {}.",
            bytes(n),
            bytes(after.inq),
            after.peer_charged,
            after.peer_sndbuf
        ),
        (_, Progress::Failed(Errno::EAGAIN)) => {
            "nothing is queued and a nonblocking read never waits: it fails with EAGAIN.".into()
        }
        (_, Progress::Failed(e)) => format!("it fails with {e} ({}).", e.describe()),
        (_, Progress::Blocked { .. }) => {
            "nothing is queued yet, so the reader sleeps until data arrives.".into()
        }
    }
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
