//! The control protocol between the controller (`forkscope check`) and its
//! workers: one SOCK_SEQPACKET socketpair per worker, one JSON message per
//! packet, and at most one file descriptor passed beside a message (the
//! control socket of a child about to be forked).
//!
//! The worker's end always sits at fd `nofile::ctrl_fd()`, the first
//! number above every fd a scenario can create, and is not close-on-exec so
//! that it survives `exec`.

use serde::{Deserialize, Serialize};
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};

/// Largest control message (a `send` of a quoted string is the largest).
const MAX_MSG: usize = 1 << 20;

/// What a `signal` operation installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disposition {
    Handle,
    Ignore,
    Default,
}

/// One operation for a worker to do, with fds and pids already resolved by
/// the controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmd {
    Mmap {
        name: String,
        pages: u32,
        shared: bool,
    },
    Munmap {
        name: String,
    },
    Read {
        name: String,
        start: u32,
        end: u32,
    },
    Write {
        name: String,
        start: u32,
        end: u32,
    },
    /// The message carries the child's control socket.
    Fork,
    Exec,
    /// A new thread in the worker's thread group (clone with CLONE_VM,
    /// CLONE_THREAD...), which sleeps for good with every signal blocked.
    Thread,
    /// prctl(PR_SET_CHILD_SUBREAPER, 1).
    Subreaper,
    Exit {
        code: i32,
    },
    /// `pid` -1 waits for any child; `nohang` is WNOHANG.
    Wait {
        pid: i32,
        nohang: bool,
    },
    /// pipe2, with O_CLOEXEC if `cloexec`.
    Pipe {
        cloexec: bool,
    },
    /// socketpair, with SOCK_CLOEXEC if `cloexec`.
    Socketpair {
        dgram: bool,
        cloexec: bool,
    },
    Close {
        fd: i32,
    },
    /// fcntl(F_SETFD) with FD_CLOEXEC if `on`, else 0.
    Cloexec {
        fd: i32,
        on: bool,
    },
    Send {
        fd: i32,
        len: u64,
        text: Option<String>,
        nonblock: bool,
        socket: bool,
    },
    Recv {
        fd: i32,
        max: u64,
        nonblock: bool,
        socket: bool,
    },
    /// fcntl(F_SETPIPE_SZ) with the scenario's C int, as it is.
    Pipesize {
        fd: i32,
        bytes: i32,
    },
    /// setsockopt(SO_SNDBUF) with the scenario's C int, as it is.
    Sndbuf {
        fd: i32,
        bytes: i32,
    },
    /// sigaction; `full_mask`: the handler's sa_mask is sigfillset.
    Signal {
        sig: i32,
        action: Disposition,
        nocldwait: bool,
        full_mask: bool,
    },
    Block {
        sigs: Vec<i32>,
    },
    Unblock {
        sigs: Vec<i32>,
    },
    Kill {
        pid: i32,
        sig: i32,
    },
}

/// A deliberate misbehaviour, for the robustness tests only
/// (FORKSCOPE_TEST_HANG_LINE / _CRASH_LINE / _SKIP_LINE / _LINGER_LINE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Misbehave {
    /// Spin forever instead of doing the operation.
    Hang,
    /// Die (SIGKILL) instead of doing the operation.
    Crash,
    /// Reply that the operation succeeded (0, no faults) without doing it:
    /// a difference injected on purpose.
    Skip,
    /// Do the operation, then sleep uninterruptibly (D) for a while before
    /// replying, as a worker does that faults its code back in from disk:
    /// the controller must wait for it, not take it for blocked.
    Linger,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub cmd: Cmd,
    pub misbehave: Option<Misbehave>,
}

/// What an operation handed back beside its return value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Extra {
    None,
    /// Where `mmap` placed the region.
    Addr(u64),
    /// The two fds of a new pipe (read, write) or socketpair.
    Fds(i32, i32),
    /// The raw wait status of the child `wait` reaped.
    Waited(i32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The return value when `errno` is 0.
    pub ret: i64,
    pub errno: i32,
    /// Minor faults between the two getrusage calls around the syscall.
    pub faults: u64,
    pub extra: Extra,
}

/// A worker's first message, after start, fork or exec. Beside it comes
/// the memfd that holds the image's `Published` block (handler counters),
/// which the controller keeps and reads, even once the worker is dead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    pub pid: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    Ready(Ready),
    Reply(Reply),
}

/// Send one message, with an fd beside it if given.
pub fn send<T: Serialize>(sock: BorrowedFd<'_>, msg: &T, fd: Option<RawFd>) -> nix::Result<()> {
    let bytes = serde_json::to_vec(msg).expect("a protocol message always serialises");
    let iov = [IoSlice::new(&bytes)];
    let fds;
    let cmsgs: &[ControlMessage<'_>] = match fd {
        Some(f) => {
            fds = [f];
            &[ControlMessage::ScmRights(&fds)]
        }
        None => &[],
    };
    loop {
        match sendmsg::<()>(sock.as_raw_fd(), &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => return Ok(()),
        }
    }
}

/// Receive one message and the fd beside it, if any. `Ok(None)` when the
/// other side closed the channel.
pub fn recv<T: for<'de> Deserialize<'de>>(
    sock: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
) -> nix::Result<Option<(T, Option<OwnedFd>)>> {
    buf.resize(MAX_MSG, 0);
    let mut cmsg = nix::cmsg_space!([RawFd; 1]);
    let (len, fd) = loop {
        let mut iov = [IoSliceMut::new(&mut buf[..])];
        match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(r) => {
                let mut fd = None;
                for c in r.cmsgs()? {
                    if let ControlMessageOwned::ScmRights(fds) = c {
                        for f in fds {
                            // Safety: SCM_RIGHTS just installed this fd in our table; nothing else owns it.
                            let owned = unsafe { OwnedFd::from_raw_fd(f) };
                            fd.get_or_insert(owned);
                        }
                    }
                }
                break (r.bytes, fd);
            }
        }
    };
    if len == 0 {
        return Ok(None);
    }
    let msg = serde_json::from_slice(&buf[..len]).map_err(|_| nix::errno::Errno::EPROTO)?;
    Ok(Some((msg, fd)))
}
