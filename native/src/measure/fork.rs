//! The cost of starting a child from parents of growing memory (lesson 11):
//! for each size, this process maps that much private anonymous memory,
//! writes every page, and times three ways to run a child to its end:
//!
//! - `fork_exit`: fork(), the child `_exit(0)`s, waitpid. fork copies the
//!   parent's page tables (every touched page's entry, write-protected in
//!   both), and the child's exit tears its copy down again;
//! - `fork_exec`: fork(), the child execve()s /bin/true, waitpid: what
//!   libuv's uv_spawn does for `child_process.spawn` and `fork`; exec drops
//!   the copied tables, but fork has already made them;
//! - `spawn`: posix_spawn(/bin/true), waitpid. glibc's posix_spawn is
//!   clone(CLONE_VM|CLONE_VFORK): the child borrows the parent's memory
//!   until it execs, so no page table is copied, whatever the parent holds.
//!
//! The three are run in turn, one run each, so that a change in the
//! machine's load while a size is measured falls on all three alike. The
//! memory is mapped with MADV_NOHUGEPAGE, so every 4 KiB page has its own
//! entry to copy, as a node heap's pages mostly do; the figures would grow
//! far less with 2 MiB pages.
//!
//! Safety rules (STYLE.md, the native crate): the whole measurement holds
//! `FORK_LOCK`; a fork child calls only `_exit` and `execve`, both
//! async-signal-safe, with everything they need prepared before the fork;
//! every child is reaped before the next run starts.

use super::machine::memory_available;
use super::spread::{Plan, Spread};
use serde::Serialize;
use std::ffi::CString;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Every fork this module makes happens under this lock, so that two
/// measurements in one process (as tests might start) never interleave
/// their children.
static FORK_LOCK: Mutex<()> = Mutex::new(());

/// What a size must leave free besides itself: the machine keeps working
/// while it is measured, and its page tables (2 MiB per GiB) need room.
const SPARE_BYTES: u64 = 256 << 20;

/// The program the exec and spawn children run: it does nothing, so the
/// figure is the starting and ending of a process.
const PROGRAM_CANDIDATES: [&str; 2] = ["/bin/true", "/usr/bin/true"];

/// The figures of one size.
#[derive(Clone, Debug, Serialize)]
pub struct SizeFigures {
    pub mib: u64,
    pub fork_exit: Spread,
    pub fork_exec: Spread,
    pub spawn: Spread,
    /// Each median against the same way's median at the smallest size
    /// measured in this run (`ratio_base_mib`).
    pub ratio: Ratios,
}

/// Medians as multiples of the base size's medians.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Ratios {
    pub fork_exit: f64,
    pub fork_exec: f64,
    pub spawn: f64,
}

/// A size that was not measured, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub mib: u64,
    pub reason: String,
}

/// Everything `measure fork` found.
#[derive(Clone, Debug, Serialize)]
pub struct ForkFigures {
    /// What the exec and spawn children run.
    pub program: String,
    pub page_size: u64,
    /// This process's resident memory before any size was mapped: every
    /// parent holds it besides its size.
    pub base_rss_kib: Option<u64>,
    /// The size the ratios are taken against (the smallest measured).
    pub ratio_base_mib: Option<u64>,
    pub sizes: Vec<SizeFigures>,
    pub skipped: Vec<Skipped>,
}

/// Measure every size of `sizes_mib` (in MiB) with `plan`'s runs.
pub fn measure(sizes_mib: &[u64], plan: Plan) -> Result<ForkFigures, String> {
    let _lock = FORK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let program = PROGRAM_CANDIDATES
        .iter()
        .find(|p| std::path::Path::new(p).is_file())
        .ok_or(
            "neither /bin/true nor /usr/bin/true exists: the exec and spawn children need one",
        )?;
    let child = Child::new(program);
    // Safety: sysconf reads a system value.
    let page_size = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let base_rss_kib = vm_rss_kib();
    let mut sizes = Vec::new();
    let mut skipped = Vec::new();
    for &mib in sizes_mib {
        let bytes = mib << 20;
        if let Some(available) = memory_available() {
            if bytes + SPARE_BYTES > available {
                skipped.push(Skipped {
                    mib,
                    reason: format!(
                        "{mib} MiB does not fit: it needs {} MiB more left free, and {} MiB is available",
                        SPARE_BYTES >> 20,
                        available >> 20
                    ),
                });
                continue;
            }
        }
        let region = match Region::touched(bytes as usize, page_size as usize) {
            Ok(region) => region,
            Err(reason) => {
                skipped.push(Skipped { mib, reason });
                continue;
            }
        };
        let [fork_exit, fork_exec, spawn] = time_in_turn(plan, &child)?;
        drop(region);
        sizes.push((mib, fork_exit, fork_exec, spawn));
    }
    let base = sizes.first().map(|s| (s.0, s.1, s.2, s.3));
    let sizes = sizes
        .into_iter()
        .map(|(mib, fork_exit, fork_exec, spawn)| {
            let (_, b_exit, b_exec, b_spawn) = base.expect("a size was measured");
            let r = |a: &Spread, b: &Spread| a.median_ns as f64 / b.median_ns.max(1) as f64;
            SizeFigures {
                mib,
                ratio: Ratios {
                    fork_exit: r(&fork_exit, &b_exit),
                    fork_exec: r(&fork_exec, &b_exec),
                    spawn: r(&spawn, &b_spawn),
                },
                fork_exit,
                fork_exec,
                spawn,
            }
        })
        .collect();
    Ok(ForkFigures {
        program: program.to_string(),
        page_size,
        base_rss_kib,
        ratio_base_mib: base.map(|b| b.0),
        sizes,
        skipped,
    })
}

/// One way of running a child to its end, timed.
type Way = fn(&Child) -> Result<Duration, String>;

/// The three ways, one run each in turn (after one untimed run each, which
/// pays for first-time costs such as loading /bin/true), until each has
/// what `plan` asks.
fn time_in_turn(plan: Plan, child: &Child) -> Result<[Spread; 3], String> {
    let ways: [Way; 3] = [fork_then_exit, fork_then_exec, spawn_program];
    let mut samples: [Vec<u64>; 3] = Default::default();
    let mut spent = [Duration::ZERO; 3];
    for way in ways {
        way(child)?;
    }
    loop {
        let mut ran = false;
        for (i, way) in ways.iter().enumerate() {
            if plan.wants_more(samples[i].len(), spent[i]) {
                let took = way(child)?;
                spent[i] += took;
                samples[i].push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
                ran = true;
            }
        }
        if !ran {
            break;
        }
    }
    let [a, b, c] = samples.map(|s| Spread::of(s).ok_or("a plan of no runs"));
    Ok([a?, b?, c?])
}

/// What a child is given, made before any fork: a child may not allocate.
struct Child {
    path: CString,
    argv: [*const libc::c_char; 2],
    envp: [*const libc::c_char; 1],
}

impl Child {
    fn new(program: &str) -> Child {
        let path = CString::new(program).expect("a program path without NUL");
        let argv = [path.as_ptr(), std::ptr::null()];
        Child {
            path,
            argv,
            envp: [std::ptr::null()],
        }
    }
}

fn fork_then_exit(_: &Child) -> Result<Duration, String> {
    let start = Instant::now();
    // Safety: this process is single-threaded while it measures (the ipc
    // part, which starts node, comes after), so the child inherits no lock
    // another thread held; it calls only _exit, which is async-signal-safe.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // Safety: see above.
        unsafe { libc::_exit(0) };
    }
    if pid < 0 {
        return Err(format!("fork failed: {}", std::io::Error::last_os_error()));
    }
    reap(pid, "fork + _exit")?;
    Ok(start.elapsed())
}

fn fork_then_exec(child: &Child) -> Result<Duration, String> {
    let start = Instant::now();
    // Safety: as in fork_then_exit; the child calls only execve and _exit
    // (both async-signal-safe), with the path, argv and envp made before
    // the fork and alive in the parent's memory it shares copy-on-write.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // Safety: see above.
        unsafe {
            libc::execve(
                child.path.as_ptr(),
                child.argv.as_ptr(),
                child.envp.as_ptr(),
            );
            libc::_exit(127);
        }
    }
    if pid < 0 {
        return Err(format!("fork failed: {}", std::io::Error::last_os_error()));
    }
    reap(pid, "fork + execve")?;
    Ok(start.elapsed())
}

fn spawn_program(child: &Child) -> Result<Duration, String> {
    let start = Instant::now();
    let mut pid: libc::pid_t = 0;
    // Safety: posix_spawn reads the NUL-terminated path and the
    // null-terminated argv and envp, all alive in `child`; no file actions
    // or attributes.
    let err = unsafe {
        libc::posix_spawn(
            &mut pid,
            child.path.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            child.argv.as_ptr() as *const *mut libc::c_char,
            child.envp.as_ptr() as *const *mut libc::c_char,
        )
    };
    if err != 0 {
        return Err(format!(
            "posix_spawn failed: {}",
            std::io::Error::from_raw_os_error(err)
        ));
    }
    reap(pid, "posix_spawn")?;
    Ok(start.elapsed())
}

/// Wait for `pid` and require that it exited 0 (`what` names the way in
/// the error: a child that failed did not measure what it claims).
fn reap(pid: libc::pid_t, what: &str) -> Result<(), String> {
    let mut status = 0;
    loop {
        // Safety: waitpid writes one int.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(format!("waitpid after {what} failed: {e}"));
        }
    }
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else if libc::WIFEXITED(status) {
        Err(format!(
            "the child of {what} exited {} (127: its exec failed)",
            libc::WEXITSTATUS(status)
        ))
    } else {
        Err(format!(
            "the child of {what} was killed by signal {}",
            libc::WTERMSIG(status)
        ))
    }
}

/// Private anonymous memory of this process, every page written, unmapped
/// on drop.
struct Region {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Region {
    fn touched(len: usize, page: usize) -> Result<Region, String> {
        // Safety: a fresh private mapping of our own; nothing else refers
        // to it, and it is only written inside its length.
        unsafe {
            let ptr = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if ptr == libc::MAP_FAILED {
                return Err(format!(
                    "{} MiB could not be mapped: {}",
                    len >> 20,
                    std::io::Error::last_os_error()
                ));
            }
            let region = Region { ptr, len };
            // Without it, an aligned 2 MiB stretch may be one huge page, one
            // entry to copy instead of 512. Failing (no THP) changes nothing.
            libc::madvise(ptr, len, libc::MADV_NOHUGEPAGE);
            let bytes = ptr.cast::<u8>();
            for offset in (0..len).step_by(page) {
                std::ptr::write_volatile(bytes.add(offset), 1);
            }
            Ok(region)
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // Safety: the mapping made in `touched`, unmapped once.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// VmRSS of /proc/self/status, in KiB.
fn vm_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
