//! Reading a worker from outside, without disturbing it: /proc/PID/stat and
//! status, /proc/PID/pagemap with /proc/kpagecount, its published counters
//! (the memfd it handed over), its open fds and their close-on-exec flags
//! (/proc/PID/fd and fdinfo), and FIONREAD / SIOCOUTQ on a copy of one of
//! its fds (pidfd_getfd; the copy shares the open file, so it changes no
//! pipe's reader or writer count, and is closed at once).

use super::worker::{PAGE, PUBLISHED_WORDS};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;

/// The kernel's release, as `uname -r` prints it (/proc/sys/kernel/osrelease,
/// which is utsname's release field), or None if it cannot be read.
pub fn kernel_release() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// What /proc/PID/stat says of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// R, S, D, Z, T, X...
    pub state: char,
    pub ppid: i32,
    pub session: i32,
    pub minflt: u64,
    /// num_threads: the threads of its thread group.
    pub threads: u32,
}

pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parse the fields after the command name, which may hold spaces and ')'.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields from 3 (state): state ppid pgrp session tty tpgid flags minflt
    // cminflt majflt cmajflt utime stime cutime cstime priority nice
    // num_threads ... (proc(5)).
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        session: f.get(3)?.parse().ok()?,
        minflt: f.get(7)?.parse().ok()?,
        threads: f.get(17)?.parse().ok()?,
    })
}

/// What /proc/PID/status says of a process's signals and switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Signals pending, thread or process wide (SigPnd | ShdPnd).
    pub pending: u64,
    /// SigBlk.
    pub blocked: u64,
    /// voluntary_ctxt_switches + nonvoluntary_ctxt_switches: how many times
    /// it left a CPU. It grows every time the process runs and stops
    /// running again, so an equal count seen twice, asleep both times,
    /// means it did not run in between.
    pub switches: u64,
}

/// The state letter (as /proc/PID/stat shows it: both come from
/// get_task_state) and the `Status` of `pid`, from one read of
/// /proc/PID/status.
pub fn state_and_status(pid: i32) -> Option<(char, Status)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((parse_state(&text)?, parse_status(&text)))
}

/// The letter of the "State:" line ("State:\tS (sleeping)").
fn parse_state(text: &str) -> Option<char> {
    let line = text.lines().find_map(|l| l.strip_prefix("State:"))?;
    line.trim_start().chars().next()
}

pub fn parse_status(text: &str) -> Status {
    let mut s = Status {
        pending: 0,
        blocked: 0,
        switches: 0,
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let hex = || u64::from_str_radix(value, 16).unwrap_or(0);
        match key {
            "SigPnd" | "ShdPnd" => s.pending |= hex(),
            "SigBlk" => s.blocked = hex(),
            "voluntary_ctxt_switches" | "nonvoluntary_ctxt_switches" => {
                s.switches += value.parse::<u64>().unwrap_or(0)
            }
            _ => {}
        }
    }
    s
}

/// Whether the kernel holds `pid` asleep off every run queue, from
/// /proc/PID/wchan: get_wchan (kernel/sched/core.c) names the function a
/// task sleeps in only when, under its pi_lock, its state is not running
/// or waking and it is not on a run queue; otherwise the file says "0".
///
/// The state letter of /proc/PID/stat cannot tell this: a task sets
/// TASK_INTERRUPTIBLE *before* it checks whether it must sleep
/// (do_wait, pipe_read, prepare_to_wait), so it shows S while it runs
/// that check, and keeps S if it is preempted there, runnable. Only
/// schedule() takes it off the run queue, and a wake-up (try_to_wake_up,
/// under the same pi_lock) puts it back before the waker goes on.
/// `None`: the file cannot be read (the process is gone).
pub fn off_cpu(pid: i32) -> Option<bool> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/wchan")).ok()?;
    Some(wchan_names_a_function(&text))
}

fn wchan_names_a_function(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && t != "0"
}

/// Whether /proc/PID/wchan names functions on this machine: it needs
/// CONFIG_KALLSYMS (lookup_symbol_name) and a /proc that shows it. Found
/// once, on a thread of our own parked on a channel: asleep, so its wchan
/// must name a function within a second if the file can.
pub fn wchan_works() -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| {
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            // Safety: gettid has no arguments and cannot fail.
            let _ = tid_tx.send(unsafe { libc::gettid() });
            let _ = go_rx.recv();
        });
        let works = tid_rx.recv().is_ok_and(|tid| {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
            loop {
                let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/wchan"));
                if text.is_ok_and(|t| wchan_names_a_function(&t)) {
                    break true;
                }
                if std::time::Instant::now() > until {
                    break false;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let _ = go_tx.send(());
        let _ = sleeper.join();
        works
    })
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

/// Read a worker's `Published` block from the memfd it handed over (the
/// page it maps shared), whether the worker runs, sleeps or is dead.
pub fn published(memfd: &OwnedFd) -> Option<[u64; PUBLISHED_WORDS]> {
    let mut bytes = [0u8; PUBLISHED_WORDS * 8];
    // Safety: pread writes at most `bytes.len()` bytes into our buffer.
    let n = unsafe { libc::pread(memfd.as_raw_fd(), bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != bytes.len() as isize {
        return None;
    }
    let mut words = [0u64; PUBLISHED_WORDS];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_ne_bytes(chunk.try_into().expect("chunks of 8 bytes"));
    }
    Some(words)
}

/// The fd numbers process `pid` has open (/proc/PID/fd), in order; None
/// when it cannot be read (the process is gone).
pub fn open_fds(pid: i32) -> Option<Vec<i32>> {
    let mut fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort_unstable();
    Some(fds)
}

/// O_CLOEXEC as fdinfo's `flags` show it (octal 02000000,
/// include/uapi/asm-generic/fcntl.h): seq_show in fs/proc/fd.c adds it to
/// the file's flags when the fd has FD_CLOEXEC.
const O_CLOEXEC_BIT: u64 = 0o2_000_000;

/// Whether fd `fd` of process `pid` has FD_CLOEXEC (/proc/PID/fdinfo/FD's
/// `flags`); None when it cannot be read (closed, or the process gone).
pub fn cloexec(pid: i32, fd: i32) -> Option<bool> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    parse_fdinfo_cloexec(&text)
}

/// The close-on-exec bit of an fdinfo text's `flags:` line (octal).
pub fn parse_fdinfo_cloexec(text: &str) -> Option<bool> {
    let flags = text
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 8).ok())?;
    Some(flags & O_CLOEXEC_BIT != 0)
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
    fn status_adds_both_kinds_of_switches_and_ors_both_pending_sets() {
        let s = parse_status(
            "Name:\tforkscope\nSigQ:\t0/1\nSigPnd:\t0000000000000001\n\
             ShdPnd:\t0000000000010000\nSigBlk:\t0000000000000100\n\
             voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t3\n",
        );
        assert_eq!(
            s,
            Status {
                pending: 0x10001,
                blocked: 0x100,
                switches: 10
            }
        );
    }

    #[test]
    fn fdinfo_flags_are_octal_and_carry_o_cloexec_for_a_close_on_exec_fd() {
        let text = |flags: &str| format!("pos:\t0\nflags:\t{flags}\nmnt_id:\t15\nino:\t1\n");
        assert_eq!(parse_fdinfo_cloexec(&text("02000000")), Some(true));
        assert_eq!(parse_fdinfo_cloexec(&text("02000002")), Some(true));
        assert_eq!(parse_fdinfo_cloexec(&text("01")), Some(false));
        assert_eq!(parse_fdinfo_cloexec("pos:\t0\n"), None);
    }

    #[test]
    fn this_process_sees_its_own_pipes_close_on_exec_flag_in_fdinfo() {
        let me = std::process::id() as i32;
        let mut fds = [0; 2];
        // Safety: pipe2 writes two fds into a local array; both are closed below.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // Safety: F_SETFD on our own fd.
        unsafe { libc::fcntl(fds[1], libc::F_SETFD, 0) };
        let open = open_fds(me).expect("our own fds are readable");
        assert!(open.contains(&fds[0]) && open.contains(&fds[1]));
        assert_eq!(cloexec(me, fds[0]), Some(true));
        assert_eq!(cloexec(me, fds[1]), Some(false));
        // Safety: closing the two fds made above.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }

    #[test]
    fn a_wchan_of_zero_means_running_or_on_a_run_queue() {
        assert!(!wchan_names_a_function("0"));
        assert!(!wchan_names_a_function(""));
        assert!(wchan_names_a_function("do_wait"));
    }

    #[test]
    fn a_sleeping_process_is_off_cpu_and_a_spinning_one_is_not() {
        // The replay's honest settling needs it (it falls back to state
        // letters without it): the machines it is tested on must have it.
        assert!(wchan_works(), "/proc/PID/wchan names no functions here");
        let mut asleep = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut busy = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while off_cpu(asleep.id() as i32) != Some(true) {
            assert!(std::time::Instant::now() < until, "sleep never slept");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let busy_seen: Vec<_> = (0..20).map(|_| off_cpu(busy.id() as i32)).collect();
        let _ = (asleep.kill(), busy.kill(), asleep.wait(), busy.wait());
        assert!(busy_seen.iter().all(|s| *s == Some(false)), "{busy_seen:?}");
    }

    #[test]
    fn stat_parses_a_command_name_with_spaces_and_parens() {
        let s = parse_stat(
            "42 (a b) c) S 1 42 42 0 -1 4194560 123 0 0 0 0 0 0 0 20 0 3 0 2216488 3133440 414",
        )
        .unwrap();
        assert_eq!(
            s,
            Stat {
                state: 'S',
                ppid: 1,
                session: 42,
                minflt: 123,
                threads: 3,
            }
        );
    }
}
