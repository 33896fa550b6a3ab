//! A pipe as Linux keeps it: a ring of page slots (fs/pipe.c).
//!
//! Owns: the occupied slots in ring order (each a page holding `len` unread
//! bytes starting at `offset`), the ring's usable size (`max_usage`), and
//! the number of open file references to each end. Reads and writes follow
//! pipe_read and pipe_write line by line, so the pipe facts (tests/scenarios/facts/pipe-*.scn)
//! (16 slots, 100-byte writes filling 4000 bytes of a page, PIPE_BUF
//! atomicity, a slot freed only when fully read) come out of the algorithm
//! rather than being special-cased.
//!
//! Deliberately not here: the bytes themselves (only counts matter to the
//! model), packet mode (O_DIRECT), splice/tee, FIFOs opened by name, the
//! per-user pipe page quota (pipe-user-pages-soft/hard: a scenario opens a
//! handful of pipes, far below 16384 pages), and who sleeps: see the
//! blocking protocol in the parent module.

use super::{Progress, WriteOutcome};
use crate::errno::Errno;
use crate::profile::KernelProfile;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One occupied slot of the ring: `struct pipe_buffer`'s offset and len.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Bytes of the page already consumed by readers (`buf->offset`).
    pub offset: u32,
    /// Unread bytes, starting at `offset` (`buf->len`).
    pub len: u32,
}

/// Which end of a pipe an open file refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PipeEnd {
    Read,
    Write,
}

/// A pipe: `struct pipe_inode_info` reduced to what decides behaviour.
///
/// Invariant: every slot in `slots` has `len > 0` (pipe_read releases a
/// slot the moment its len reaches 0, and pipe_write never queues an empty
/// one because a write of 0 bytes returns before touching the ring).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipe {
    /// Occupied slots, oldest (the reader's `tail`) first.
    slots: VecDeque<Slot>,
    /// `pipe->max_usage`: how many slots may be occupied at once.
    max_usage: u32,
    /// `pipe->readers`: open files on the read end, across all processes.
    readers: u32,
    /// `pipe->writers`: open files on the write end, across all processes.
    writers: u32,
}

impl Pipe {
    /// A new pipe as pipe(2) makes it: one reader, one writer, an empty
    /// ring of PIPE_DEF_BUFFERS slots. alloc_pipe_info clamps that to
    /// pipe-max-size for a caller without CAP_SYS_RESOURCE; the model's
    /// processes are unprivileged.
    pub(crate) fn new(k: &KernelProfile) -> Pipe {
        let page = u64::from(k.page_size.max(1));
        let mut bufs = k.pipe_def_buffers.max(1);
        if u64::from(bufs) * page > u64::from(k.pipe_max_size) {
            bufs = ((u64::from(k.pipe_max_size) / page) as u32).max(1);
        }
        Pipe {
            slots: VecDeque::new(),
            max_usage: bufs,
            readers: 1,
            writers: 1,
        }
    }

    /// Open files on the read end.
    pub fn readers(&self) -> u32 {
        self.readers
    }

    /// Open files on the write end.
    pub fn writers(&self) -> u32 {
        self.writers
    }

    /// One more open file refers to `end` (fork duplicates every fd).
    pub(crate) fn retain(&mut self, end: PipeEnd) {
        match end {
            PipeEnd::Read => self.readers = self.readers.saturating_add(1),
            PipeEnd::Write => self.writers = self.writers.saturating_add(1),
        }
    }

    /// An open file on `end` was closed (pipe_release). The last writer
    /// gone makes readers see EOF; the last reader gone makes writers get
    /// EPIPE; the engine wakes whoever sleeps (see `can_resume_*`). When
    /// the last file of either end is gone, put_pipe_info frees the pipe
    /// with every page still in it: its unread bytes are lost.
    pub(crate) fn release(&mut self, end: PipeEnd) {
        match end {
            PipeEnd::Read => self.readers = self.readers.saturating_sub(1),
            PipeEnd::Write => self.writers = self.writers.saturating_sub(1),
        }
        if self.is_unreferenced() {
            self.slots.clear();
        }
    }

    /// No open file refers to either end: the pipe can be dropped.
    pub fn is_unreferenced(&self) -> bool {
        self.readers == 0 && self.writers == 0
    }

    /// The occupied slots in ring order, oldest first (for drawing).
    pub fn slots(&self) -> impl ExactSizeIterator<Item = Slot> + '_ {
        self.slots.iter().copied()
    }

    /// Slots in use (`pipe_occupancy(head, tail)`).
    pub fn slots_in_use(&self) -> u32 {
        self.slots.len() as u32
    }

    /// Slots the ring may hold (`max_usage`): 16 for a new pipe.
    pub fn capacity_slots(&self) -> u32 {
        self.max_usage
    }

    /// F_GETPIPE_SZ: `max_usage * PAGE_SIZE`.
    pub fn size_bytes(&self, k: &KernelProfile) -> u64 {
        u64::from(self.max_usage) * u64::from(k.page_size)
    }

    /// FIONREAD: the unread bytes of every slot (pipe_ioctl).
    pub fn queued(&self) -> u64 {
        self.slots.iter().map(|s| u64::from(s.len)).sum()
    }

    /// `pipe_full()`: every usable slot is occupied, however few bytes
    /// each holds.
    pub fn is_full(&self) -> bool {
        self.slots_in_use() >= self.max_usage
    }

    /// write(2) on the write end: pipe_write from the top.
    ///
    /// A write first tries to merge its leading `len % PAGE_SIZE` bytes
    /// into the last slot, and only if they fit there whole; then it fills
    /// fresh slots a page at a time. A write of at most PIPE_BUF therefore
    /// either merges whole or takes one fresh slot whole: atomic. A
    /// nonblocking write stops at a full ring (partial, or EAGAIN if it
    /// wrote nothing); a blocking one sleeps there.
    pub(crate) fn write(&mut self, k: &KernelProfile, len: u64, nonblock: bool) -> WriteOutcome {
        // "Null write succeeds", before even the readers check.
        if len == 0 {
            return WriteOutcome::quiet(Progress::Done(0));
        }
        let len = len.min(k.max_rw_count());
        if self.readers == 0 {
            return WriteOutcome::with_sigpipe(Progress::Failed(Errno::EPIPE));
        }
        let page = u64::from(k.page_size.max(1));
        let mut written = 0;
        // chars = total_len & (PAGE_SIZE-1): the part that is not whole
        // pages, merged only when not empty and it fits after the last
        // slot's data (offset + len counts bytes already read, too).
        let chars = len % page;
        if chars != 0 {
            if let Some(last) = self.slots.back_mut() {
                let end = u64::from(last.offset) + u64::from(last.len);
                if end + chars <= page {
                    last.len += chars as u32;
                    written = chars;
                    if written == len {
                        return WriteOutcome::quiet(Progress::Done(written));
                    }
                }
            }
        }
        self.write_loop(k, len, written, nonblock)
    }

    /// Would a writer sleeping in pipe_write be woken and make progress?
    /// `pipe_writable()`: a slot is free, or no reader is left (EPIPE).
    pub(crate) fn can_resume_write(&self) -> bool {
        !self.is_full() || self.readers == 0
    }

    /// Continue a blocking write that slept after moving `so_far` of `len`
    /// bytes: pipe_write's loop after `wait_event`, which does not retry
    /// the merge. Changes nothing while `can_resume_write` is false.
    pub(crate) fn resume_write(
        &mut self,
        k: &KernelProfile,
        len: u64,
        so_far: u64,
    ) -> WriteOutcome {
        let len = len.min(k.max_rw_count());
        if so_far >= len {
            return WriteOutcome::quiet(Progress::Done(len));
        }
        if !self.can_resume_write() {
            return WriteOutcome::quiet(Progress::Blocked { so_far });
        }
        self.write_loop(k, len, so_far, false)
    }

    /// pipe_write's `for (;;)` loop: whole pages into fresh slots.
    fn write_loop(
        &mut self,
        k: &KernelProfile,
        len: u64,
        mut written: u64,
        nonblock: bool,
    ) -> WriteOutcome {
        let page = u64::from(k.page_size.max(1));
        loop {
            if self.readers == 0 {
                // SIGPIPE even when some bytes went in; those are returned.
                let progress = if written > 0 {
                    Progress::Done(written)
                } else {
                    Progress::Failed(Errno::EPIPE)
                };
                return WriteOutcome::with_sigpipe(progress);
            }
            if !self.is_full() {
                let copied = (len - written).min(page);
                self.slots.push_back(Slot {
                    offset: 0,
                    len: copied as u32,
                });
                written += copied;
                if written == len {
                    return WriteOutcome::quiet(Progress::Done(written));
                }
                continue;
            }
            if nonblock {
                let progress = if written > 0 {
                    Progress::Done(written)
                } else {
                    Progress::Failed(Errno::EAGAIN)
                };
                return WriteOutcome::quiet(progress);
            }
            return WriteOutcome::quiet(Progress::Blocked { so_far: written });
        }
    }

    /// read(2) on the read end: pipe_read.
    ///
    /// Takes bytes from the oldest slots, across slots, up to `len`; a slot
    /// is released only once fully read. With nothing queued it answers 0
    /// (EOF) if no writer is left, EAGAIN if nonblocking, else it sleeps
    /// (`Blocked { so_far: 0 }`; a read sleeps only before moving anything,
    /// so resuming is calling `read` again once `can_resume_read` holds).
    pub(crate) fn read(&mut self, k: &KernelProfile, len: u64, nonblock: bool) -> Progress {
        // "Null read succeeds."
        if len == 0 {
            return Progress::Done(0);
        }
        let mut want = len.min(k.max_rw_count());
        let mut got = 0;
        while want > 0 {
            let Some(front) = self.slots.front_mut() else {
                break;
            };
            let chars = u64::from(front.len).min(want);
            front.offset += chars as u32;
            front.len -= chars as u32;
            if front.len == 0 {
                self.slots.pop_front();
            }
            got += chars;
            want -= chars;
        }
        if got > 0 || self.writers == 0 {
            return Progress::Done(got);
        }
        if nonblock {
            return Progress::Failed(Errno::EAGAIN);
        }
        Progress::Blocked { so_far: 0 }
    }

    /// Would a reader sleeping in pipe_read be woken and return?
    /// `pipe_readable()`: data is queued, or no writer is left (EOF).
    pub(crate) fn can_resume_read(&self) -> bool {
        !self.slots.is_empty() || self.writers == 0
    }

    /// fcntl(F_SETPIPE_SZ, arg): pipe_set_size. Answers the new size in
    /// bytes (`max_usage * PAGE_SIZE`).
    ///
    /// `arg` is truncated to `unsigned int` as fs/fcntl.c does. The size is
    /// rounded up to a power-of-two number of pages (round_pipe_size; 0
    /// becomes one page); above 2^31 it is EINVAL. Growing beyond
    /// pipe-max-size without CAP_SYS_RESOURCE is EPERM; shrinking below the
    /// slots in use (not bytes) is EBUSY (pipe_resize_ring).
    pub(crate) fn set_size(
        &mut self,
        k: &KernelProfile,
        arg: u64,
        cap_sys_resource: bool,
    ) -> Result<u64, Errno> {
        let page = u64::from(k.page_size.max(1));
        let size = round_pipe_size(u64::from(arg as u32), page);
        let nr_slots = size / page;
        if nr_slots == 0 {
            return Err(Errno::EINVAL);
        }
        let nr_slots = u32::try_from(nr_slots).map_err(|_| Errno::EINVAL)?;
        if nr_slots > self.max_usage && size > u64::from(k.pipe_max_size) && !cap_sys_resource {
            return Err(Errno::EPERM);
        }
        if nr_slots < self.slots_in_use() {
            return Err(Errno::EBUSY);
        }
        self.max_usage = nr_slots;
        Ok(u64::from(nr_slots) * page)
    }
}

/// round_pipe_size (fs/pipe.c): 0 for sizes above 2^31 (an error), at least
/// one page, otherwise the next power of two.
pub(crate) fn round_pipe_size(size: u64, page_size: u64) -> u64 {
    if size > 1 << 31 {
        return 0;
    }
    if size < page_size {
        return page_size;
    }
    size.next_power_of_two()
}
