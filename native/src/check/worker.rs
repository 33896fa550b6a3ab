//! The worker: one real process per scenario process, obeying the
//! controller over its control socket (fd `nofile::ctrl_fd()`). Each operation is the
//! real syscall, bracketed by getrusage so that its minor faults, and only
//! its own, are measured.
//!
//! The worker is single-threaded, and it forks itself: the child of a `fork`
//! continues this same loop on a control socket the controller passed along
//! with the command. An `exec` re-executes this binary in worker mode, which
//! keeps the scenario's fds, signal mask, ignored signals and pending
//! signals as execve does (SIGPIPE's are carried over by hand, as Rust's
//! runtime start-up would discard them). Handler counts start at 0 in the
//! new image, as in the model.
//!
//! What it does not do: decide anything. It resolves no names; the
//! controller sends fds and pids.

mod thread;

use super::nofile::{self, under_scenario_limit};
use super::proto::{self, Cmd, Disposition, Extra, Misbehave, Msg, Ready, Reply, Request};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::process::ExitCode;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::Duration;

/// Bytes in a page (the model's too: x86_64).
pub const PAGE: usize = 4096;
/// Regions are aligned so that fault-around (64 KiB blocks) is predictable.
const REGION_ALIGN: usize = 65536;
/// MADV_POPULATE_READ / _WRITE (include/uapi/asm-generic/mman-common.h).
const MADV_POPULATE_READ: i32 = 22;
const MADV_POPULATE_WRITE: i32 = 23;

/// What the controller reads of a worker: a page of a memfd that the
/// worker maps shared and hands the controller beside its `Ready`, so that
/// the controller reads it while the worker is blocked in the kernel, and
/// after it died (a handler that ran just before a fatal signal was taken
/// still counts). Each program image has its own: a fork child maps a new
/// one over the inherited mapping, and exec drops the mapping with the
/// rest of the address space.
#[repr(C)]
pub struct Published {
    /// Runs of the counting handler, by signal number.
    pub handled: [AtomicU64; 65],
    /// ru_minflt just before the current operation.
    pub pre_op_minflt: AtomicU64,
}

/// Words in `Published`.
pub const PUBLISHED_WORDS: usize = 66;

/// Where this image's `Published` is mapped; null until `publish`.
static PUBLISHED: AtomicPtr<Published> = AtomicPtr::new(std::ptr::null_mut());

/// This image's `Published`, once mapped.
fn published() -> Option<&'static Published> {
    // Safety: the pointer is null or a page mapped by `publish`, which is
    // never unmapped while the image runs (a fork child maps its own page
    // over it, at the same address); an all-zero page is a valid Published.
    unsafe { PUBLISHED.load(Ordering::Relaxed).as_ref() }
}

/// Map a fresh, zeroed `Published` page from a new memfd (over the old
/// mapping, in a fork child, so that the pointer stays the same), and
/// answer the memfd for `Ready` to hand over. The page is touched here, so
/// that no counter's write ever faults in a scenario operation.
fn publish() -> Option<OwnedFd> {
    // Safety: memfd_create, ftruncate and mmap with plain arguments; the
    // new fd is ours. MAP_FIXED replaces only our own earlier Published page.
    unsafe {
        let fd = libc::memfd_create(c"forkscope-published".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return None;
        }
        let fd = OwnedFd::from_raw_fd(fd);
        if libc::ftruncate(fd.as_raw_fd(), PAGE as libc::off_t) != 0 {
            return None;
        }
        let old = PUBLISHED.load(Ordering::Relaxed);
        let fixed = if old.is_null() { 0 } else { libc::MAP_FIXED };
        let p = libc::mmap(
            old.cast(),
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | fixed,
            fd.as_raw_fd(),
            0,
        );
        if p == libc::MAP_FAILED {
            return None;
        }
        std::ptr::write_volatile(p.cast::<u64>(), 0);
        PUBLISHED.store(p.cast(), Ordering::Relaxed);
        Some(fd)
    }
}

/// The handler `signal SIG handle` installs: it only counts (an atomic add
/// is async-signal-safe).
extern "C" fn count_run(sig: libc::c_int) {
    if let Some(slot) = published().and_then(|p| p.handled.get(sig as usize)) {
        slot.fetch_add(1, Ordering::Relaxed);
    }
}

/// The worker's command-line options (after `forkscope worker`).
#[derive(clap::Args, Debug, Default)]
pub struct WorkerArgs {
    /// Only lead the process group of a run: sleep until killed.
    #[arg(long)]
    pub anchor: bool,
    /// Pin this process (and so its descendants) to this CPU.
    #[arg(long)]
    pub cpu: Option<usize>,
    /// This image was started by a scenario `exec` (not by the controller):
    /// signals ignored before the execve stay ignored.
    #[arg(long)]
    pub after_exec: bool,
    /// SIGPIPE was ignored before exec (Rust's runtime ignores it anyway,
    /// so the fact must be carried across; see `reset_signals`).
    #[arg(long)]
    pub sigpipe_ignored: bool,
    /// SIGPIPE was pending (blocked) in the thread's private queue before
    /// exec. Rust's runtime sets SIGPIPE to SIG_IGN as the new image
    /// starts, and do_sigaction then discards it from both queues; exec
    /// itself keeps pending signals, so the worker raises it again.
    #[arg(long)]
    pub sigpipe_pending_private: bool,
    /// The same for the process's shared queue.
    #[arg(long)]
    pub sigpipe_pending_shared: bool,
}

struct Region {
    addr: usize,
    len: usize,
}

struct Worker {
    regions: BTreeMap<String, Region>,
    buf: Vec<u8>,
    /// A MAP_SHARED page for the rusage `raw_fork` takes after the fork: a
    /// shared page is not write-protected by fork, so writing it costs no fault.
    scratch: *mut libc::rusage,
}

fn ctrl() -> BorrowedFd<'static> {
    // Safety: the control socket is opened before the worker starts (by the
    // controller's spawn or inherited over fork/exec) and is never closed
    // while it runs.
    unsafe { BorrowedFd::borrow_raw(nofile::ctrl_fd()) }
}

fn minflt() -> u64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // Safety: getrusage writes one rusage into memory we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    // Safety: zero-initialised and filled by getrusage.
    unsafe { ru.assume_init() }.ru_minflt as u64
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Run `op` between two getrusage calls; it returns the syscall's value
/// (-1 with errno set on failure).
#[inline(always)]
fn bracket(op: impl FnOnce() -> i64) -> Reply {
    let before = minflt();
    note_pre_op_minflt(before);
    let ret = op();
    let err = if ret < 0 { errno() } else { 0 };
    let after = minflt();
    Reply {
        ret,
        errno: err,
        faults: after - before,
        extra: Extra::None,
    }
}

/// Publish ru_minflt before an operation, for a blocked one's faults.
fn note_pre_op_minflt(minflt: u64) {
    if let Some(p) = published() {
        p.pre_op_minflt.store(minflt, Ordering::Relaxed);
    }
}

fn plain(ret: i64) -> Reply {
    let err = if ret < 0 { errno() } else { 0 };
    Reply {
        ret,
        errno: err,
        faults: 0,
        extra: Extra::None,
    }
}

/// Fault in the worker's own code, data and stack, so that the worker's own
/// work never counts as a scenario operation's faults (after start and
/// after every fork, when the data pages are copy-on-write).
fn prefault(regions: &BTreeMap<String, Region>) {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        let mut words = line.split_whitespace();
        let (Some(range), Some(perms)) = (words.next(), words.next()) else {
            continue;
        };
        let name = line.split_whitespace().nth(5).unwrap_or("");
        if name.starts_with("[v") {
            continue; // [vvar], [vdso], [vsyscall]: not ordinary memory
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        else {
            continue;
        };
        let ours = regions
            .values()
            .any(|r| start < r.addr + r.len + PAGE && r.addr - PAGE < end);
        if ours || perms.starts_with("---") || perms.ends_with('s') {
            continue;
        }
        let advice = if perms.as_bytes()[1] == b'w' {
            MADV_POPULATE_WRITE
        } else {
            MADV_POPULATE_READ
        };
        // Safety: populating page tables of an existing mapping of our own
        // changes no memory contents; errors (special mappings) are harmless.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, advice) };
    }
}

/// The CPU the worker pins itself to.
fn pin(cpu: usize) {
    // Safety: a cpu_set_t is plain data; sched_setaffinity reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn sigset(sigs: &[i32]) -> libc::sigset_t {
    // Safety: sigemptyset/sigaddset initialise and fill a set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in sigs {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// CAP_SYS_RESOURCE (include/uapi/linux/capability.h).
const CAP_SYS_RESOURCE: u32 = 24;
/// _LINUX_CAPABILITY_VERSION_3 (include/uapi/linux/capability.h).
const CAP_VERSION_3: u32 = 0x2008_0522;

/// Scenario processes are unprivileged as the model sees them: without
/// CAP_SYS_RESOURCE, F_SETPIPE_SZ above pipe-max-size fails with EPERM
/// (pipe_set_size in fs/pipe.c). Dropped from the bounding set (so no exec
/// regains it) and from the effective and permitted sets. Frames are read
/// by the controller, which keeps its privileges.
fn drop_sys_resource() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    let bit = 1u32 << CAP_SYS_RESOURCE;
    // Safety: prctl with plain numbers; capget/capset read and write one
    // header and two data structs of our own (the v3 layout).
    unsafe {
        libc::prctl(
            libc::PR_CAPBSET_DROP,
            CAP_SYS_RESOURCE as libc::c_ulong,
            0,
            0,
            0,
        );
        if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) != 0 {
            return;
        }
        if (data[0].effective | data[0].permitted) & bit == 0 {
            return;
        }
        data[0].effective &= !bit;
        data[0].permitted &= !bit;
        data[0].inheritable &= !bit;
        libc::syscall(libc::SYS_capset, &mut header, data.as_ptr());
    }
}

/// Whether SIGPIPE is pending in this thread's private queue and in the
/// process's shared queue: /proc/self/status shows them as SigPnd
/// (task->pending) and ShdPnd (signal->shared_pending), in hex.
fn sigpipe_pending() -> (bool, bool) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bit = 1u64 << (libc::SIGPIPE - 1);
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .is_some_and(|mask| mask & bit != 0)
    };
    (field("SigPnd:"), field("ShdPnd:"))
}

/// Raise SIGPIPE again where it was pending before exec (see
/// `WorkerArgs::sigpipe_pending_private`). It is still blocked (exec keeps
/// the mask), so it stays pending whatever the disposition: a write to a
/// pipe with no reader queues it privately (send_sig), a kill of ourselves
/// in the shared queue.
fn restore_pending_sigpipe(private: bool, shared: bool) {
    if private {
        let mut fds = [0; 2];
        // Safety: pipe2 writes two fds into a local array; we close both.
        unsafe {
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) == 0 {
                libc::close(fds[0]);
                libc::write(fds[1], b"x".as_ptr().cast(), 1);
                libc::close(fds[1]);
            }
        }
    }
    if shared {
        // Safety: kill takes plain numbers.
        unsafe { libc::kill(libc::getpid(), libc::SIGPIPE) };
    }
}

fn sigpipe_ignored() -> bool {
    // Safety: querying (null new action) the current disposition of SIGPIPE.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old);
        old.sa_sigaction == libc::SIG_IGN
    }
}

/// The highest signal number, `_NSIG` (arch/x86/include/asm/signal.h).
const NSIG: libc::c_int = 64;

/// Give every signal the disposition a freshly exec'd C program has.
///
/// Whatever the Rust runtime did at start-up must not reach the scenario:
/// it installs SIGSEGV and SIGBUS handlers (stack-overflow detection, with
/// which a `kill c SIGSEGV` would leave `c` alive) and ignores SIGPIPE.
/// A worker started by the controller also drops what the controller was
/// started with (an ignored SIGHUP under nohup, SIGINT and SIGQUIT in a
/// background job, a blocked signal): every signal 1..=64 back to SIG_DFL
/// and an empty mask. After a scenario `exec`, execve kept the ignored
/// signals and the mask (flush_signal_handlers in kernel/signal.c resets
/// only handlers), so only the handlers are reset (after exec they can
/// only be the runtime's) and SIGPIPE is ignored only if it was before.
/// sigaction refuses SIGKILL, SIGSTOP and the two signals glibc keeps for
/// itself (32 and 33): those stay as they are, as in any C program.
fn reset_signals(after_exec: bool, sigpipe_was_ignored: bool) {
    for sig in 1..=NSIG {
        // Safety: querying (null new action) a disposition into a local.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // Safety: as above.
        if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } != 0 {
            continue; // a signal sigaction refuses
        }
        let ignore = if sig == libc::SIGPIPE {
            after_exec && sigpipe_was_ignored
        } else {
            after_exec && old.sa_sigaction == libc::SIG_IGN
        };
        // Safety: a zeroed sigaction with an empty mask and SIG_DFL or
        // SIG_IGN is a valid action.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_sigaction = if ignore { libc::SIG_IGN } else { libc::SIG_DFL };
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    if !after_exec {
        let empty = sigset(&[]);
        // Safety: sigprocmask reads a set we own.
        unsafe { libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut()) };
    }
}

/// The anchor's parent-death signal: catchable, unlike SIGKILL, so that the
/// anchor can pass the controller's death on to the whole group.
pub const ANCHOR_DEATH_SIGNAL: libc::c_int = libc::SIGTERM;

/// `forkscope worker --anchor`: lead the run's process group, and sleep
/// until the controller kills the group or dies (ANCHOR_DEATH_SIGNAL, blocked
/// by the controller before exec so that it waits here, pending, if it came
/// early); then kill the group, itself included.
fn anchor() -> ! {
    let set = sigset(&[ANCHOR_DEATH_SIGNAL]);
    loop {
        // Safety: blocking (again) and waiting for one signal of a set we own.
        let sig = unsafe {
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            libc::sigwaitinfo(&set, std::ptr::null_mut())
        };
        if sig == ANCHOR_DEATH_SIGNAL {
            // Safety: kill with plain numbers; group 0 is the anchor's own,
            // the run's.
            unsafe { libc::kill(0, libc::SIGKILL) };
        }
    }
}

/// `forkscope worker`: start, report ready, obey until told to exit.
pub fn run(opts: WorkerArgs) -> ExitCode {
    if opts.anchor {
        anchor();
    }
    let tunables_ok =
        std::env::var("GLIBC_TUNABLES").is_ok_and(|v| v.contains("glibc.pthread.rseq=0"));
    if !tunables_ok {
        // glibc registered rseq already; only a fresh image can start without it.
        let args: Vec<CString> = std::env::args()
            .map(|a| CString::new(a).unwrap_or_default())
            .collect();
        std::env::set_var("GLIBC_TUNABLES", "glibc.pthread.rseq=0");
        let err = nix::unistd::execv(c"/proc/self/exe", &args);
        eprintln!("forkscope worker: cannot re-execute itself: {err:?}");
        return ExitCode::from(2);
    }
    drop_sys_resource();
    // Handler counts start at zero in the new image, as in the model: they
    // count runs of the image's own handlers (exec uninstalls them).
    reset_signals(opts.after_exec, opts.sigpipe_ignored);
    if let Some(cpu) = opts.cpu {
        pin(cpu);
    }
    restore_pending_sigpipe(opts.sigpipe_pending_private, opts.sigpipe_pending_shared);
    // Safety: a fresh shared anonymous page of our own, touched once so it is present.
    let scratch = unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return ExitCode::from(2);
        }
        std::ptr::write_volatile(p as *mut u8, 0);
        p as *mut libc::rusage
    };
    let mut worker = Worker {
        regions: BTreeMap::new(),
        buf: Vec::with_capacity(1 << 16),
        scratch,
    };
    worker.buf.resize(1 << 16, 0);
    prefault(&worker.regions);
    worker.ready();
    worker.serve()
}

impl Worker {
    /// Map this image's `Published` and say `Ready` with its memfd beside
    /// it (then closed here: the mapping keeps it alive).
    fn ready(&self) {
        let Some(published) = publish() else { quit() };
        let ready = Msg::Ready(Ready {
            pid: std::process::id() as i32,
        });
        if proto::send(ctrl(), &ready, Some(published.as_raw_fd())).is_err() {
            quit();
        }
    }

    fn serve(&mut self) -> ! {
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            let got = proto::recv::<Request>(ctrl(), &mut buf);
            self.buf = buf;
            let Ok(Some((req, fd))) = got else { quit() };
            match req.misbehave {
                Some(Misbehave::Hang) => loop {
                    std::hint::spin_loop();
                },
                Some(Misbehave::Crash) => {
                    // Safety: killing ourselves; nothing to clean up.
                    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
                }
                Some(Misbehave::Skip) => {
                    if proto::send(ctrl(), &Msg::Reply(plain(0)), None).is_err() {
                        quit();
                    }
                    continue;
                }
                Some(Misbehave::Linger) | None => {}
            }
            let reply = match req.cmd {
                Cmd::Fork => match fd {
                    Some(fd) => self.fork(fd.into_raw_fd()),
                    None => Reply {
                        ret: -1,
                        errno: libc::EINVAL,
                        faults: 0,
                        extra: Extra::None,
                    },
                },
                cmd => self.op(cmd),
            };
            if req.misbehave == Some(Misbehave::Linger) {
                linger();
            }
            if proto::send(ctrl(), &Msg::Reply(reply), None).is_err() {
                quit();
            }
        }
    }

    fn op(&mut self, cmd: Cmd) -> Reply {
        match cmd {
            Cmd::Mmap {
                name,
                pages,
                shared,
            } => self.mmap(name, pages, shared),
            Cmd::Munmap { name } => match self.regions.remove(&name) {
                Some(r) => bracket(|| {
                    // Safety: unmapping our own region and its two guard pages.
                    unsafe {
                        libc::munmap((r.addr - PAGE) as *mut libc::c_void, r.len + 2 * PAGE) as i64
                    }
                }),
                None => bad(),
            },
            Cmd::Read { name, start, end } | Cmd::Write { name, start, end }
                if !self.covers(&name, start, end) =>
            {
                let _ = (name, start, end);
                bad()
            }
            Cmd::Read { name, start, end } => {
                let base = self.regions[&name].addr;
                bracket(|| {
                    for p in start as usize..end as usize {
                        // Safety: the page lies inside our own mapping (checked by covers()).
                        unsafe { std::ptr::read_volatile((base + p * PAGE) as *const u8) };
                    }
                    0
                })
            }
            Cmd::Write { name, start, end } => {
                let base = self.regions[&name].addr;
                bracket(|| {
                    for p in start as usize..end as usize {
                        // Safety: the page lies inside our own writable mapping.
                        unsafe { std::ptr::write_volatile((base + p * PAGE) as *mut u8, 1) };
                    }
                    0
                })
            }
            Cmd::Fork => bad(),
            Cmd::Exec => self.exec(),
            Cmd::Thread => thread::thread(),
            // Safety: prctl with PR_SET_CHILD_SUBREAPER reads no memory.
            Cmd::Subreaper => {
                bracket(|| unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } as i64)
            }
            Cmd::Exit { code } => {
                // Safety: _exit ends the process at once, as the scenario asks.
                unsafe { libc::_exit(code) }
            }
            Cmd::Wait { pid, nohang } => {
                let mut status = 0;
                let flags = if nohang { libc::WNOHANG } else { 0 };
                // Safety: waitpid writes the status into a local.
                let mut r = bracket(|| unsafe { libc::waitpid(pid, &mut status, flags) } as i64);
                // 0 (WNOHANG, no child changed state) reaped nothing.
                if r.errno == 0 && r.ret > 0 {
                    r.extra = Extra::Waited(status);
                }
                r
            }
            // pipe and socketpair are the scenario's only calls that
            // allocate fds: they run under the model's RLIMIT_NOFILE
            // (see `nofile`). A failed one hands back no fds: the kernel
            // installs both or neither (__do_pipe_flags, __sys_socketpair).
            Cmd::Pipe { cloexec } => {
                let mut fds = [0; 2];
                let flags = if cloexec { libc::O_CLOEXEC } else { 0 };
                let mut r = under_scenario_limit(|| {
                    // Safety: pipe2 writes two fds into a local array.
                    bracket(|| unsafe { libc::pipe2(fds.as_mut_ptr(), flags) } as i64)
                });
                if r.errno == 0 {
                    r.extra = Extra::Fds(fds[0], fds[1]);
                }
                r
            }
            Cmd::Socketpair { dgram, cloexec } => {
                let kind = if dgram {
                    libc::SOCK_DGRAM
                } else {
                    libc::SOCK_STREAM
                } | if cloexec { libc::SOCK_CLOEXEC } else { 0 };
                let mut fds = [0; 2];
                let mut r = under_scenario_limit(|| {
                    // Safety: socketpair writes two fds into a local array.
                    bracket(
                        || unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) }
                            as i64,
                    )
                });
                if r.errno == 0 {
                    r.extra = Extra::Fds(fds[0], fds[1]);
                }
                r
            }
            // Safety: closing a scenario fd the controller named.
            Cmd::Close { fd } => bracket(|| unsafe { libc::close(fd) } as i64),
            Cmd::Cloexec { fd, on } => {
                let flag = if on { libc::FD_CLOEXEC } else { 0 };
                // Safety: F_SETFD on a scenario fd the controller named.
                bracket(|| unsafe { libc::fcntl(fd, libc::F_SETFD, flag) } as i64)
            }
            Cmd::Send {
                fd,
                len,
                text,
                nonblock,
                socket,
            } => {
                let Some(data) = IoBuffer::for_send(len, text.as_deref()) else {
                    return plain(-1);
                };
                let count = len as usize;
                let restore = (nonblock && !socket).then(|| set_nonblock(fd));
                let flags = if nonblock { libc::MSG_DONTWAIT } else { 0 };
                let r = bracket(|| {
                    // Safety: the kernel reads at most MAX_RW_COUNT bytes of
                    // the `count` it is given, and `data` maps that much,
                    // already present.
                    unsafe {
                        if socket {
                            libc::send(fd, data.addr.cast(), count, flags) as i64
                        } else {
                            libc::write(fd, data.addr.cast(), count) as i64
                        }
                    }
                });
                if let Some(Some(old)) = restore {
                    restore_flags(fd, old);
                }
                r
            }
            Cmd::Recv {
                fd,
                max,
                nonblock,
                socket,
            } => {
                let Some(data) = IoBuffer::for_recv(max) else {
                    return plain(-1);
                };
                let restore = (nonblock && !socket).then(|| set_nonblock(fd));
                let flags = if nonblock { libc::MSG_DONTWAIT } else { 0 };
                let r = bracket(|| {
                    // Safety: the kernel writes at most MAX_RW_COUNT bytes,
                    // and `data` maps that much, writable.
                    unsafe {
                        if socket {
                            libc::recv(fd, data.addr.cast(), max as usize, flags) as i64
                        } else {
                            libc::read(fd, data.addr.cast(), max as usize) as i64
                        }
                    }
                });
                if let Some(Some(old)) = restore {
                    restore_flags(fd, old);
                }
                r
            }
            Cmd::Pipesize { fd, bytes } => {
                // Safety: F_SETPIPE_SZ takes an int.
                bracket(|| unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, bytes) } as i64)
            }
            Cmd::Sndbuf { fd, bytes } => {
                bracket(|| {
                    // Safety: SO_SNDBUF reads one int from a local.
                    unsafe {
                        libc::setsockopt(
                            fd,
                            libc::SOL_SOCKET,
                            libc::SO_SNDBUF,
                            (&bytes as *const libc::c_int).cast(),
                            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                        ) as i64
                    }
                })
            }
            Cmd::Signal {
                sig,
                action,
                nocldwait,
                full_mask,
            } => {
                // Safety: a zeroed sigaction is valid; we fill handler, mask and flags.
                let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
                sa.sa_sigaction = match action {
                    Disposition::Handle => count_run as extern "C" fn(libc::c_int) as usize,
                    Disposition::Ignore => libc::SIG_IGN,
                    Disposition::Default => libc::SIG_DFL,
                };
                sa.sa_flags = libc::SA_RESTART | if nocldwait { libc::SA_NOCLDWAIT } else { 0 };
                // Safety: sa_mask is part of sa, which we own. sigfillset
                // is glibc's, as libuv calls it: every signal but the two
                // it keeps for its threads.
                unsafe {
                    if full_mask {
                        libc::sigfillset(&mut sa.sa_mask);
                    } else {
                        libc::sigemptyset(&mut sa.sa_mask);
                    }
                }
                // Safety: installs a handler that only does an atomic add.
                bracket(|| unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } as i64)
            }
            Cmd::Block { sigs } | Cmd::Unblock { sigs } if sigs.is_empty() => plain(0),
            Cmd::Block { sigs } => {
                let set = sigset(&sigs);
                // Safety: sigprocmask reads a set we own.
                bracket(
                    || unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) }
                        as i64,
                )
            }
            Cmd::Unblock { sigs } => {
                let set = sigset(&sigs);
                // Safety: as above; pending signals are delivered on return.
                bracket(|| unsafe {
                    libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut())
                } as i64)
            }
            // Safety: kill takes plain numbers.
            Cmd::Kill { pid, sig } => bracket(|| unsafe { libc::kill(pid, sig) } as i64),
        }
    }

    fn covers(&self, name: &str, start: u32, end: u32) -> bool {
        self.regions
            .get(name)
            .is_some_and(|r| start <= end && end as usize * PAGE <= r.len)
    }

    /// A region is its own VMA: 64 KiB aligned, an inaccessible guard page on
    /// each side, no huge pages; so the kernel cannot merge it with anything.
    fn mmap(&mut self, name: String, pages: u32, shared: bool) -> Reply {
        let len = pages as usize * PAGE;
        let span = len + 2 * REGION_ALIGN + 2 * PAGE;
        // Safety: a fresh PROT_NONE reservation; nothing else uses it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                span,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return plain(-1);
        }
        let base = base as usize;
        let addr = (base + PAGE).next_multiple_of(REGION_ALIGN);
        let kind = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        let mut placed = 0usize;
        let mut reply = bracket(|| {
            // Safety: MAP_FIXED over the middle of our own reservation.
            let p = unsafe {
                libc::mmap(
                    addr as *mut libc::c_void,
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    kind | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                -1
            } else {
                placed = p as usize;
                0
            }
        });
        if reply.errno != 0 {
            // mmap of 0 pages fails with EINVAL (the real call, with length
            // 0): give the reservation back, so no trace of it is left.
            // Safety: unmapping our own reservation, which nothing uses.
            unsafe { libc::munmap(base as *mut libc::c_void, span) };
            return reply;
        }
        // Safety: trimming our own reservation down to one guard page each side,
        // and advising only our new region.
        unsafe {
            libc::madvise(placed as *mut libc::c_void, len, libc::MADV_NOHUGEPAGE);
            let low_guard = placed - PAGE;
            if low_guard > base {
                libc::munmap(base as *mut libc::c_void, low_guard - base);
            }
            let high_end = placed + len + PAGE;
            if base + span > high_end {
                libc::munmap(high_end as *mut libc::c_void, base + span - high_end);
            }
        }
        reply.extra = Extra::Addr(placed as u64);
        self.regions.insert(name, Region { addr: placed, len });
        reply
    }

    fn fork(&mut self, child_ctrl: i32) -> Reply {
        let before = minflt();
        note_pre_op_minflt(before);
        let pid = raw_fork(self.scratch);
        if pid == 0 {
            // Safety: dup2/close of fds we own; the child's channel replaces
            // the parent's. The soft limit is the worker's own here (above
            // ctrl_fd), so dup2 may place it there (see `nofile`).
            unsafe {
                libc::dup2(child_ctrl, nofile::ctrl_fd());
                libc::close(child_ctrl);
            }
            // `ready` maps the child's own Published over the parent's,
            // its counters at 0.
            prefault(&self.regions);
            self.ready();
            self.serve();
        }
        let err = if pid < 0 { -pid } else { 0 };
        // Safety: raw_fork's parent side filled the scratch rusage.
        let after = unsafe { (*self.scratch).ru_minflt } as u64;
        // Safety: the child's end is the child's now.
        unsafe { libc::close(child_ctrl) };
        prefault(&self.regions);
        Reply {
            ret: if pid < 0 { -1 } else { i64::from(pid) },
            errno: err,
            faults: after - before,
            extra: Extra::None,
        }
    }

    fn exec(&mut self) -> Reply {
        let mut args = vec![c"forkscope".to_owned(), c"worker".to_owned()];
        if sigpipe_ignored() {
            args.push(c"--sigpipe-ignored".to_owned());
        }
        let (private, shared) = sigpipe_pending();
        if private {
            args.push(c"--sigpipe-pending-private".to_owned());
        }
        if shared {
            args.push(c"--sigpipe-pending-shared".to_owned());
        }
        args.push(c"--after-exec".to_owned());
        let before = minflt();
        note_pre_op_minflt(before);
        let err = nix::unistd::execv(c"/proc/self/exe", &args).unwrap_err();
        Reply {
            ret: -1,
            errno: err as i32,
            faults: 0,
            extra: Extra::None,
        }
    }
}

/// fork as the bare clone syscall, with the parent's getrusage issued
/// straight after it in the same asm block, into `scratch`.
///
/// Why: after fork every private page is copy-on-write, the stack included.
/// glibc's fork() writes lock words in the parent after the syscall, and any
/// Rust code writes the stack; either would add a copy fault to the parent's
/// count that the scenario never asked for. Between the two syscalls here
/// nothing touches memory but the kernel writing `scratch`, a shared page.
/// Returns the child's pid (0 in the child), or -errno.
///
/// The asm is x86_64's syscall convention (number and result in rax,
/// arguments in rdi, rsi, rdx, r10, r8; rcx and r11 clobbered) and its
/// clone argument order, so it exists only there: elsewhere `check`
/// refuses to start (`unsupported`), and `forkscope run` needs none of it.
#[cfg(target_arch = "x86_64")]
fn raw_fork(scratch: *mut libc::rusage) -> libc::pid_t {
    let ret: i64;
    // Safety: clone(SIGCHLD) with no new stack is fork. The worker is
    // single-threaded, so the child inherits no lock held by another thread
    // and may go on running ordinary code; it never uses the thread id glibc
    // cached in its TCB (no raise, no pthread_kill). In the parent, the asm
    // only issues getrusage(RUSAGE_SELF, scratch) and restores rax; rdi, rsi,
    // rcx, r11 and r12 are declared clobbered.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jle 2f",
            "mov r12, rax",
            "mov eax, {getrusage}",
            "xor edi, edi",
            "mov rsi, r13",
            "syscall",
            "mov rax, r12",
            "2:",
            getrusage = const libc::SYS_getrusage,
            inout("rax") libc::SYS_clone => ret,
            inout("rdi") libc::SIGCHLD as u64 => _,
            inout("rsi") 0u64 => _,
            in("rdx") 0u64,
            in("r10") 0u64,
            in("r8") 0u64,
            in("r13") scratch,
            out("r12") _,
            out("rcx") _,
            out("r11") _,
        );
    }
    ret as libc::pid_t
}

/// No raw fork off x86_64: `check` refuses to start there (`unsupported`),
/// so no worker is ever asked to fork; ENOSYS if one were.
#[cfg(not(target_arch = "x86_64"))]
fn raw_fork(_scratch: *mut libc::rusage) -> libc::pid_t {
    -libc::ENOSYS
}

/// Why this machine cannot replay scenarios, if it cannot: a worker's fork
/// is the raw syscall of `raw_fork`, written for x86_64 only.
pub fn unsupported() -> Option<String> {
    if cfg!(target_arch = "x86_64") {
        None
    } else {
        Some(format!(
            "forkscope check replays fork with a raw syscall only on x86_64; this is {}",
            std::env::consts::ARCH
        ))
    }
}

/// MAX_RW_COUNT (include/linux/fs.h), from the model's profile: the most
/// one read, write, send or recv moves, whatever count it is given.
fn max_rw_count() -> usize {
    sim_core::profile::KernelProfile::default().max_rw_count() as usize
}

/// Where send and recv buffers are mapped: low, so that the buffer plus
/// any count the language allows (2^46) stays inside the user address
/// space and access_ok never fails.
const IO_BUFFER_AT: usize = 1 << 32;

/// The buffer of one send or recv. A count may be far larger than what
/// the kernel will move (at most MAX_RW_COUNT, and never more than a pipe
/// or socket buffer holds), so the mapping is MAP_NORESERVE and only what
/// can be touched is made present, before the call: the call itself must
/// take no fault, since the model counts none.
struct IoBuffer {
    addr: *mut u8,
    len: usize,
}

impl IoBuffer {
    fn map(count: u64) -> Option<IoBuffer> {
        let len = (count as usize)
            .clamp(1, max_rw_count())
            .next_multiple_of(PAGE);
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        // Safety: a fresh anonymous mapping; FIXED_NOREPLACE never replaces
        // anything, and without it the kernel picks a free place.
        let addr = unsafe {
            let p = libc::mmap(
                IO_BUFFER_AT as *mut libc::c_void,
                len,
                prot,
                flags | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                libc::mmap(std::ptr::null_mut(), len, prot, flags, -1, 0)
            } else {
                p
            }
        };
        (addr != libc::MAP_FAILED).then_some(IoBuffer {
            addr: addr.cast(),
            len,
        })
    }

    /// A send's bytes: the text, or as many zero bytes as the kernel may
    /// read, mapped onto the shared zero page (no memory behind them).
    fn for_send(count: u64, text: Option<&str>) -> Option<IoBuffer> {
        let buf = IoBuffer::map(count)?;
        match text {
            // Safety: the text fits: the buffer is at least `count` =
            // text.len() bytes (text sends are short), writable, ours.
            Some(t) => unsafe {
                std::ptr::copy_nonoverlapping(t.as_ptr(), buf.addr, t.len().min(buf.len))
            },
            // Safety: populating our own mapping's page tables, read-only.
            None => unsafe {
                libc::madvise(buf.addr.cast(), buf.len, MADV_POPULATE_READ);
            },
        }
        Some(buf)
    }

    /// A recv's buffer: written pages are made present up to what one
    /// call can receive (a pipe's or a socket's buffer at most).
    fn for_recv(max: u64) -> Option<IoBuffer> {
        let buf = IoBuffer::map(max)?;
        let present = buf.len.min(most_one_read_returns());
        // Safety: populating our own writable mapping.
        unsafe { libc::madvise(buf.addr.cast(), present, MADV_POPULATE_WRITE) };
        Some(buf)
    }
}

impl Drop for IoBuffer {
    fn drop(&mut self) {
        // Safety: unmapping our own buffer; no pointer into it outlives it.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

/// The most bytes one read of a pipe or socket can return here: a pipe
/// holds at most pipe-max-size (the workers lack CAP_SYS_RESOURCE); a
/// socket's queue at most its peer's SO_SNDBUF (twice wmem_max) plus the
/// skb admitted last (half of it again); a page more for rounding. Read
/// once per worker image (a fork inherits it), not at every recv.
fn most_one_read_returns() -> usize {
    static MOST: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MOST.get_or_init(|| {
        let sysctl = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| t.trim().parse::<usize>().ok())
        };
        // Unreadable sysctls: the model's own figures.
        let profile = sim_core::profile::KernelProfile::default();
        let pipe_max =
            sysctl("/proc/sys/fs/pipe-max-size").unwrap_or(profile.pipe_max_size as usize);
        let wmem_max = sysctl("/proc/sys/net/core/wmem_max").unwrap_or(profile.wmem_max as usize);
        pipe_max.max(3 * wmem_max) + PAGE
    })
}

fn bad() -> Reply {
    Reply {
        ret: -1,
        errno: libc::EINVAL,
        faults: 0,
        extra: Extra::None,
    }
}

fn set_nonblock(fd: i32) -> Option<i32> {
    // Safety: F_GETFL/F_SETFL on an fd; restored after the operation.
    unsafe {
        let old = libc::fcntl(fd, libc::F_GETFL);
        if old < 0 {
            return None;
        }
        libc::fcntl(fd, libc::F_SETFL, old | libc::O_NONBLOCK);
        Some(old)
    }
}

fn restore_flags(fd: i32, old: i32) {
    // Safety: restores the flags read before the operation.
    unsafe { libc::fcntl(fd, libc::F_SETFL, old) };
}

/// The controller is gone or the channel broke: leave at once.
/// How long `Misbehave::Linger` keeps a reply back.
const LINGER: Duration = Duration::from_millis(100);

/// Sleep uninterruptibly for `LINGER` (Misbehave::Linger): a vfork-style
/// clone (CLONE_VM | CLONE_VFORK) keeps us in D, killable, until the child,
/// which naps for `LINGER`, exits (wait_for_vfork_done). The child has no
/// exit signal, so no `wait` of the scenario's sees it; we reap it here.
fn linger() {
    extern "C" fn nap(_: *mut libc::c_void) -> libc::c_int {
        std::thread::sleep(LINGER);
        // Safety: _exit ends the child at once; it shares our memory, so
        // it must not run any exit handler of ours.
        unsafe { libc::_exit(0) }
    }
    let mut stack = vec![0u8; 64 << 10];
    // Safety: the child runs `nap` on `stack` (its top, 16-byte aligned),
    // which outlives it: CLONE_VFORK returns only once the child is gone.
    unsafe {
        let top = stack.as_mut_ptr().add(stack.len()) as usize & !15;
        let pid = libc::clone(
            nap,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK,
            std::ptr::null_mut(),
        );
        if pid > 0 {
            libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL);
        }
    }
}

fn quit() -> ! {
    // Safety: _exit ends the process; there is nothing to flush.
    unsafe { libc::_exit(0) }
}
