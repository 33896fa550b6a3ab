//! A process's file descriptor table: fd numbers naming pipe ends and
//! sockets, each with its close-on-exec flag.
//!
//! Owns: the map from fd number to the object end it refers to and its
//! FD_CLOEXEC flag (the table's `close_on_exec` bitmap in
//! include/linux/fdtable.h), Linux's allocation rule (the lowest free
//! number, fs/file.c alloc_fd) bounded by RLIMIT_NOFILE, fork's copy of the
//! table with its flags (dup_fd), and which fds exec closes
//! (do_close_on_exec). Deliberately not here: the open counts of the
//! objects (`Pipe::retain`, `SocketPair::retain`), which the engine adjusts
//! when a table is duplicated by fork or an fd is closed, by `close`, exit
//! or exec, and what closing an end sets off; stdio (fds 0, 1 and 2 are
//! taken to be open on a terminal the model does not draw, so they are
//! never allocated and closing them is EBADF here); dup2 and fd passing.

use super::end_name::{EndName, Which};
use super::pipe::PipeEnd;
use super::socket::Side;
use crate::errno::Errno;
use crate::ids::{Fd, PipeId, SockPairId};
use litemap::LiteMap;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The first fd a scenario's objects get: 0, 1 and 2 are stdio.
pub(crate) const FIRST_FREE_FD: u32 = 3;

/// What an fd refers to: one end of a pipe or one socket of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EndRef {
    Pipe(PipeId, PipeEnd),
    Sock(SockPairId, Side),
}

impl fmt::Display for EndRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EndRef::Pipe(p, _) => EndName::new(p, self.which()).fmt(f),
            EndRef::Sock(s, _) => EndName::new(s, self.which()).fmt(f),
        }
    }
}

impl EndRef {
    /// Which end of its object this is.
    pub fn which(self) -> Which {
        match self {
            EndRef::Pipe(_, end) => Which::Pipe(end),
            EndRef::Sock(_, side) => Which::Sock(side),
        }
    }
}

/// One open fd: the end it refers to, and its FD_CLOEXEC flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Slot {
    end: EndRef,
    /// Closed by exec (O_CLOEXEC, SOCK_CLOEXEC, F_SETFD FD_CLOEXEC).
    cloexec: bool,
}

/// One process's fd table (`struct files_struct`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdTable {
    fds: LiteMap<Fd, Slot>,
}

impl FdTable {
    /// An empty table (stdio aside).
    pub(crate) fn new() -> FdTable {
        FdTable::default()
    }

    /// Install `end` at the lowest free fd number from 3 up (alloc_fd),
    /// with FD_CLOEXEC if `cloexec`, or EMFILE when every number below
    /// `nofile` (RLIMIT_NOFILE) is taken.
    pub(crate) fn open(&mut self, end: EndRef, nofile: u32, cloexec: bool) -> Result<Fd, Errno> {
        let mut candidate = FIRST_FREE_FD;
        // The map is ordered, so the first gap is the lowest free number.
        for &Fd(n) in self.fds.keys() {
            if n > candidate {
                break;
            }
            if n == candidate {
                candidate += 1;
            }
        }
        if candidate >= nofile {
            return Err(Errno::EMFILE);
        }
        self.fds.insert(Fd(candidate), Slot { end, cloexec });
        Ok(Fd(candidate))
    }

    /// Install the two ends of a new pipe or socketpair at the two lowest
    /// free numbers, or neither: EMFILE, the table as it was, when fewer
    /// than two numbers below `nofile` are free. So does the kernel: it
    /// reserves both numbers (get_unused_fd_flags twice) before it
    /// installs either (fd_install), and a failed second reservation gives
    /// the first back (put_unused_fd): __do_pipe_flags in fs/pipe.c,
    /// __sys_socketpair in net/socket.c. Both get FD_CLOEXEC if `cloexec`
    /// (O_CLOEXEC, SOCK_CLOEXEC: get_unused_fd_flags sets it on each).
    pub(crate) fn open_pair(
        &mut self,
        ends: [EndRef; 2],
        nofile: u32,
        cloexec: bool,
    ) -> Result<[Fd; 2], Errno> {
        let first = self.open(ends[0], nofile, cloexec)?;
        match self.open(ends[1], nofile, cloexec) {
            Ok(second) => Ok([first, second]),
            Err(e) => {
                self.fds.remove(&first);
                Err(e)
            }
        }
    }

    /// close(fd): forget it and answer what it referred to, so the caller
    /// can release that end; EBADF if it is not open.
    pub(crate) fn close(&mut self, fd: Fd) -> Result<EndRef, Errno> {
        self.fds.remove(&fd).map(|s| s.end).ok_or(Errno::EBADF)
    }

    /// What `fd` refers to, or EBADF.
    pub fn get(&self, fd: Fd) -> Result<EndRef, Errno> {
        self.fds.get(&fd).map(|s| s.end).ok_or(Errno::EBADF)
    }

    /// Whether `fd` has FD_CLOEXEC (fcntl F_GETFD), or EBADF.
    pub fn cloexec(&self, fd: Fd) -> Result<bool, Errno> {
        self.fds.get(&fd).map(|s| s.cloexec).ok_or(Errno::EBADF)
    }

    /// fcntl(fd, F_SETFD): set or clear FD_CLOEXEC (the bit of the
    /// table's close_on_exec bitmap, __set_close_on_exec), or EBADF.
    pub(crate) fn set_cloexec(&mut self, fd: Fd, on: bool) -> Result<(), Errno> {
        let slot = self.fds.get_mut(&fd).ok_or(Errno::EBADF)?;
        slot.cloexec = on;
        Ok(())
    }

    /// The child's copy of the table at fork (dup_fd): the same numbers
    /// naming the same ends, with the same FD_CLOEXEC flags (copy_fd_bitmaps
    /// copies close_on_exec with open_fds). The caller retains each end
    /// once more.
    pub(crate) fn dup_all(&self) -> FdTable {
        self.clone()
    }

    /// Every open fd with its end, in fd order.
    pub fn iter(&self) -> impl Iterator<Item = (Fd, EndRef)> + '_ {
        self.fds.iter().map(|(&fd, s)| (fd, s.end))
    }

    /// Every open fd with its end and whether it has FD_CLOEXEC, in fd
    /// order.
    pub fn iter_with_flags(&self) -> impl Iterator<Item = (Fd, EndRef, bool)> + '_ {
        self.fds.iter().map(|(&fd, s)| (fd, s.end, s.cloexec))
    }

    /// The fds that refer to `end`, lowest first.
    pub fn fds_of(&self, end: EndRef) -> impl Iterator<Item = Fd> + '_ {
        self.fds
            .iter()
            .filter(move |(_, s)| s.end == end)
            .map(|(&fd, _)| fd)
    }

    /// The lowest fd that refers to `end`.
    pub fn find(&self, end: EndRef) -> Option<Fd> {
        self.fds_of(end).next()
    }

    /// Close everything (exit): answers the ends in fd order, one per fd,
    /// for the caller to release.
    pub(crate) fn close_all(&mut self) -> Vec<EndRef> {
        std::mem::take(&mut self.fds)
            .into_tuple_vec()
            .into_iter()
            .map(|(_, s)| s.end)
            .collect()
    }

    /// The fds exec closes (do_close_on_exec, from begin_new_exec in
    /// fs/exec.c): those with FD_CLOEXEC, in fd order. The caller closes
    /// each as `close` does; the others stay open, flags and all.
    pub(crate) fn close_on_exec(&self) -> Vec<Fd> {
        self.fds
            .iter()
            .filter(|(_, s)| s.cloexec)
            .map(|(&fd, _)| fd)
            .collect()
    }

    /// How many numbers from 3 up to `nofile` less one are free.
    pub(crate) fn free_count(&self, nofile: u32) -> u32 {
        let below = self
            .fds
            .keys()
            .filter(|&&Fd(n)| (FIRST_FREE_FD..nofile).contains(&n))
            .count() as u32;
        nofile.saturating_sub(FIRST_FREE_FD).saturating_sub(below)
    }

    /// Open fds (stdio aside).
    pub fn len(&self) -> u32 {
        self.fds.len() as u32
    }

    /// Whether no descriptor is open.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }
}
