//! Reading a worker from outside, without disturbing it: /proc/PID/stat and
//! status, /proc/PID/pagemap with /proc/kpagecount, its published counters
//! (process_vm_readv), and FIONREAD / SIOCOUTQ on a copy of one of its fds
//! (pidfd_getfd; the copy shares the open file, so it changes no pipe's
//! reader or writer count, and is closed at once).

use super::worker::{PAGE, PUBLISHED_WORDS};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;

/// What /proc/PID/stat says of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// R, S, D, Z, T, X...
    pub state: char,
    pub ppid: i32,
    pub session: i32,
    pub minflt: u64,
}

pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parse the fields after the command name, which may hold spaces and ')'.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields from 3 (state): state ppid pgrp session tty tpgid flags minflt ...
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        session: f.get(3)?.parse().ok()?,
        minflt: f.get(7)?.parse().ok()?,
    })
}

/// Signals pending (thread or process wide) and blocked, from /proc/PID/status.
pub fn signals(pid: i32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut pending = 0;
    let mut blocked = 0;
    for line in text.lines() {
        let hex = |l: &str| {
            u64::from_str_radix(l.split_whitespace().nth(1).unwrap_or("0"), 16).unwrap_or(0)
        };
        if line.starts_with("SigPnd:") || line.starts_with("ShdPnd:") {
            pending |= hex(line);
        } else if line.starts_with("SigBlk:") {
            blocked = hex(line);
        }
    }
    Some((pending, blocked))
}

/// One pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageEntry(pub u64);

impl PageEntry {
    pub fn present(self) -> bool {
        self.0 >> 63 & 1 == 1
    }
    /// Bit 56: the page is mapped by this process only.
    pub fn exclusive(self) -> bool {
        self.0 >> 56 & 1 == 1
    }
    /// Bits 0-54; zero without CAP_SYS_ADMIN.
    pub fn pfn(self) -> u64 {
        self.0 & ((1 << 55) - 1)
    }
}

/// The pagemap entries of `pages` pages from `addr` in process `pid`, in
/// one pread.
pub fn pagemap(pid: i32, addr: u64, pages: usize) -> std::io::Result<Vec<PageEntry>> {
    let file = File::open(format!("/proc/{pid}/pagemap"))?;
    let mut buf = vec![0u8; pages * 8];
    file.read_exact_at(&mut buf, addr / PAGE as u64 * 8)?;
    Ok(buf
        .chunks_exact(8)
        .map(|c| PageEntry(u64::from_le_bytes(c.try_into().expect("8 bytes"))))
        .collect())
}

/// Entries of /proc/kpagecount one read may span (64 KiB of u64s).
const KPAGECOUNT_BATCH: u64 = 8192;
/// The widest gap between two wanted frames that one read spans: reading
/// a few unwanted entries costs less than another syscall, reading the
/// counts of all of memory (frames scattered far apart) costs more.
const KPAGECOUNT_GAP: u64 = 16;

/// /proc/kpagecount, opened once (root only).
pub struct KpageCount(File);

impl KpageCount {
    pub fn open() -> Option<KpageCount> {
        File::open("/proc/kpagecount").ok().map(KpageCount)
    }

    /// How many page tables map each frame of `pfns`, in the order given
    /// (0 for a frame that cannot be read). Frames are read in batches: one
    /// pread covers a run of wanted frames (sorted) no more than
    /// `KPAGECOUNT_GAP` apart and `KPAGECOUNT_BATCH` long, so the frames of
    /// a big region, mostly allocated together, take a few reads instead of
    /// one each.
    pub fn users_of(&self, pfns: &[u64]) -> Vec<u64> {
        let mut wanted: Vec<u64> = pfns.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut counts: Vec<u64> = Vec::with_capacity(wanted.len());
        let mut buf = Vec::new();
        let mut i = 0;
        while i < wanted.len() {
            let first = wanted[i];
            let mut j = i + 1;
            while j < wanted.len()
                && wanted[j] - first < KPAGECOUNT_BATCH
                && wanted[j] - wanted[j - 1] <= KPAGECOUNT_GAP
            {
                j += 1;
            }
            let span = (wanted[j - 1] - first + 1) as usize;
            buf.resize(span * 8, 0);
            let read = self.0.read_exact_at(&mut buf, first * 8).is_ok();
            for &pfn in &wanted[i..j] {
                let at = (pfn - first) as usize * 8;
                counts.push(if read {
                    u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
                } else {
                    0
                });
            }
            i = j;
        }
        pfns.iter()
            .map(|pfn| counts[wanted.binary_search(pfn).expect("wanted holds every pfn")])
            .collect()
    }
}

/// The PFN of the shared zero page: what a read fault maps into a fresh
/// private page. `None` without the privilege to see PFNs.
pub fn zero_pfn() -> Option<u64> {
    // Safety: a fresh private page of our own, read once and unmapped.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return None;
        }
        std::ptr::read_volatile(p as *const u8);
        let entry = pagemap(std::process::id() as i32, p as u64, 1)
            .ok()
            .and_then(|v| v.first().copied());
        libc::munmap(p, PAGE);
        entry
            .filter(|e| e.present() && e.pfn() != 0)
            .map(PageEntry::pfn)
    }
}

/// Read a worker's `Published` block.
pub fn published(pid: i32, addr: u64) -> Option<[u64; PUBLISHED_WORDS]> {
    let mut words = [0u64; PUBLISHED_WORDS];
    let local = libc::iovec {
        iov_base: words.as_mut_ptr().cast(),
        iov_len: PUBLISHED_WORDS * 8,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: PUBLISHED_WORDS * 8,
    };
    // Safety: the local iovec covers `words`; the remote one is only read.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    (n == (PUBLISHED_WORDS * 8) as isize).then_some(words)
}

/// A copy of fd `fd` of process `pid`, closed when dropped.
pub fn borrow_fd(pid: i32, fd: i32) -> Option<OwnedFd> {
    // Safety: pidfd_open and pidfd_getfd return new fds that we own, or -1.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
        if pidfd < 0 {
            return None;
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
        let copy = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0);
        (copy >= 0).then(|| OwnedFd::from_raw_fd(copy as i32))
    }
}

/// FIONREAD on fd `fd` of process `pid`: bytes waiting to be read there.
pub fn fionread(pid: i32, fd: i32) -> Option<u64> {
    let copy = borrow_fd(pid, fd)?;
    ioctl_int(copy.as_raw_fd(), libc::FIONREAD)
}

fn ioctl_int(fd: i32, req: libc::Ioctl) -> Option<u64> {
    let mut n: libc::c_int = 0;
    // Safety: these ioctls write one int.
    let r = unsafe { libc::ioctl(fd, req, &mut n) };
    (r == 0).then_some(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parses_a_command_name_with_spaces_and_parens() {
        let s = parse_stat("42 (a b) c) S 1 42 42 0 -1 4194560 123 0 0 0").unwrap();
        assert_eq!(
            s,
            Stat {
                state: 'S',
                ppid: 1,
                session: 42,
                minflt: 123
            }
        );
    }
}
