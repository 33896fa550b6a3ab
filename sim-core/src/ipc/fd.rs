//! A process's file descriptor table: fd numbers naming pipe ends and
//! sockets.
//!
//! Owns: the map from fd number to the object end it refers to, and Linux's
//! allocation rule (the lowest free number, fs/file.c alloc_fd), bounded by
//! RLIMIT_NOFILE. Deliberately not here: the open counts of the objects
//! (`Pipe::retain`, `SocketPair::retain`), which the engine adjusts when a
//! table is duplicated by fork or an fd is closed; stdio (fds 0, 1 and 2
//! are taken to be open on a terminal the model does not draw, so they are
//! never allocated and closing them is EBADF here); close-on-exec (no
//! scenario sets it: every fd survives exec); dup2 and fd passing.

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

/// One process's fd table (`struct files_struct`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdTable {
    fds: LiteMap<Fd, EndRef>,
}

impl FdTable {
    /// An empty table (stdio aside).
    pub(crate) fn new() -> FdTable {
        FdTable::default()
    }

    /// Install `end` at the lowest free fd number from 3 up (alloc_fd),
    /// or EMFILE when every number below `nofile` (RLIMIT_NOFILE) is taken.
    pub(crate) fn open(&mut self, end: EndRef, nofile: u32) -> Result<Fd, Errno> {
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
        self.fds.insert(Fd(candidate), end);
        Ok(Fd(candidate))
    }

    /// Install the two ends of a new pipe or socketpair at the two lowest
    /// free numbers, or neither: EMFILE, the table as it was, when fewer
    /// than two numbers below `nofile` are free. So does the kernel: it
    /// reserves both numbers (get_unused_fd_flags twice) before it
    /// installs either (fd_install), and a failed second reservation gives
    /// the first back (put_unused_fd): __do_pipe_flags in fs/pipe.c,
    /// __sys_socketpair in net/socket.c.
    pub(crate) fn open_pair(&mut self, ends: [EndRef; 2], nofile: u32) -> Result<[Fd; 2], Errno> {
        let first = self.open(ends[0], nofile)?;
        match self.open(ends[1], nofile) {
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
        self.fds.remove(&fd).ok_or(Errno::EBADF)
    }

    /// What `fd` refers to, or EBADF.
    pub fn get(&self, fd: Fd) -> Result<EndRef, Errno> {
        self.fds.get(&fd).copied().ok_or(Errno::EBADF)
    }

    /// The child's copy of the table at fork (dup_fd): the same numbers
    /// naming the same ends. The caller retains each end once more.
    pub(crate) fn dup_all(&self) -> FdTable {
        self.clone()
    }

    /// Every open fd with its end, in fd order.
    pub fn iter(&self) -> impl Iterator<Item = (Fd, EndRef)> + '_ {
        self.fds.iter().map(|(&fd, &end)| (fd, end))
    }

    /// The fds that refer to `end`, lowest first.
    pub fn fds_of(&self, end: EndRef) -> impl Iterator<Item = Fd> + '_ {
        self.fds
            .iter()
            .filter(move |(_, &e)| e == end)
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
            .map(|(_, end)| end)
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
