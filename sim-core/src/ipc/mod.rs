//! Pipes and AF_UNIX socketpairs: byte queues and their accounting, and the
//! per-process fd tables that name their ends.
//!
//! Owns: the pure data structures (`Pipe`, `SocketPair`, `FdTable`) and the
//! Linux algorithms that decide how many bytes a read or write moves, when
//! it must sleep, and which errno it returns. Deliberately not here: which
//! process is blocked, waking it, raising SIGPIPE, restarting a call after a
//! signal. Those belong to the step engine, which drives these structures
//! through the blocking protocol below.
//!
//! # Blocking protocol
//!
//! A read or write is started with `write`/`send`/`read`/`recv` and answers
//! a [`Progress`]. `Blocked { so_far }` means the kernel would put the caller
//! to sleep inside the call having already moved `so_far` bytes (only
//! blocking writes of more than fits can have moved some). The engine parks
//! the process and, after any later step, asks `can_resume_*`: that mirrors
//! the kernel's wake-up condition (pipe_writable, unix_write_space, ...).
//! When it holds, the engine calls `resume_*` with `so_far`, which continues
//! the kernel's loop where it slept (a resumed pipe write does not retry the
//! merge into the last slot, exactly as pipe_write does not). Resuming while
//! the condition does not hold changes nothing and answers the same
//! `Blocked`, so calling it speculatively is harmless.
//!
//! A signal that interrupts a sleeper is the engine's business: the call
//! returns `so_far` if it is non-zero, otherwise EINTR (or restarts from
//! the top, with SA_RESTART: a fresh `write`/`send`).

pub mod end_name;
pub mod fd;
pub mod pipe;
pub mod socket;

use crate::errno::Errno;
use serde::{Deserialize, Serialize};

/// Where a read or write call stands (events carry it, so it is public).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Progress {
    /// The call returns this count: bytes moved. For a read, 0 is end of
    /// file; a write may be partial (nonblocking, or cut short by EPIPE).
    Done(u64),
    /// The call sleeps, having moved `so_far` bytes. Left by `can_resume_*`
    /// turning true (then `resume_*`), or by a signal.
    Blocked {
        /// Bytes already moved before the caller went to sleep.
        so_far: u64,
    },
    /// The call returns -1 with this errno, having moved nothing.
    Failed(Errno),
}

/// What a write or send did: its progress, and whether the kernel also sent
/// SIGPIPE to the caller (pipe_write and unix_stream_sendmsg call
/// `send_sig(SIGPIPE, current, 0)` themselves; the engine delivers it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriteOutcome {
    pub(crate) progress: Progress,
    pub(crate) sigpipe: bool,
}

impl WriteOutcome {
    fn quiet(progress: Progress) -> WriteOutcome {
        WriteOutcome {
            progress,
            sigpipe: false,
        }
    }

    fn with_sigpipe(progress: Progress) -> WriteOutcome {
        WriteOutcome {
            progress,
            sigpipe: true,
        }
    }
}

#[cfg(test)]
mod tests;
