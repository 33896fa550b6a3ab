//! The fd numbers of a scenario's processes on the kernel: the same room as
//! in the model.
//!
//! The model gives a process fds 0, 1 and 2 (stdio), and its pipes and
//! sockets the lowest free numbers from 3 up to its RLIMIT_NOFILE soft
//! limit less one (`KernelProfile::nofile`, 1024): get_unused_fd_flags is
//! alloc_fd(0, rlimit(RLIMIT_NOFILE)) in fs/file.c, which fails with EMFILE
//! when no number below the limit is free. A worker must have exactly that
//! room for the scenario, whatever the shell that started `check` had:
//!
//! - its control socket sits at fd `ctrl_fd()` = the model's limit, the
//!   first number a scenario fd can never take;
//! - every other fd the controller's process had (a shell may pass an fd
//!   without close-on-exec) is closed when the worker is exec'd
//!   (`isolate`), so it starts with 0, 1, 2 and its control socket only;
//! - the scenario's calls that allocate fds (`pipe`, `socketpair`) run
//!   with the soft limit at the model's (`under_scenario_limit`). The rest
//!   of the worker runs at the hard limit, above every scenario number: the
//!   fd a fork receives for its child's control socket, dup2 onto
//!   `ctrl_fd()` (dup2 fails with EBADF at or above the soft limit), the
//!   dynamic loader's opens after a scenario `exec`. None of those is a
//!   scenario call, and each leaves no fd below the limit behind.
//!
//! So the worker's scenario fds get the numbers the model gives, and the
//! 511th pipe of a process fails with EMFILE on both sides.

use std::os::fd::RawFd;
use std::sync::OnceLock;

/// The model's RLIMIT_NOFILE (`KernelProfile::nofile`, the profile `check`
/// runs the model with).
pub fn scenario_nofile() -> u32 {
    static NOFILE: OnceLock<u32> = OnceLock::new();
    *NOFILE.get_or_init(|| sim_core::profile::KernelProfile::default().nofile)
}

/// The fd number of a worker's control socket: the model's RLIMIT_NOFILE,
/// the first number no scenario fd can take.
pub fn ctrl_fd() -> RawFd {
    scenario_nofile() as RawFd
}

/// The hard limit a run needs: the control socket at `ctrl_fd()` and, when
/// every scenario number is taken, the fd a fork receives just above it.
fn hard_needed() -> u64 {
    u64::from(scenario_nofile()) + 2
}

fn get() -> libc::rlimit {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // Safety: getrlimit writes one rlimit we own.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
    r
}

fn set(r: &libc::rlimit) -> bool {
    // Safety: setrlimit reads one rlimit we own.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, r) == 0 }
}

/// For the controller, once: make the soft limit the hard one (workers
/// inherit it), raising the hard limit to `hard_needed()` if it is lower
/// and we may (CAP_SYS_RESOURCE). Err says why a run cannot have the
/// model's fd room.
pub fn make_room() -> Result<(), String> {
    let mut r = get();
    let needed = hard_needed();
    if r.rlim_max < needed {
        r.rlim_max = needed;
    }
    r.rlim_cur = r.rlim_max;
    if set(&r) {
        return Ok(());
    }
    let now = get();
    Err(format!(
        "forkscope check needs RLIMIT_NOFILE's hard limit at {needed} or more, and it is {} (`ulimit -Hn`): \
         a scenario's processes may open fds up to {} as the model's do, and each worker keeps its \
         control socket above them. Raise it (`ulimit -Hn {needed}` as root) and run again.",
        now.rlim_max,
        scenario_nofile() - 1
    ))
}

/// For the controller's child about to exec a worker (after `fork`, so
/// async-signal-safe: two syscalls): every fd but stdio and the control
/// socket is marked close-on-exec.
pub fn isolate(ctrl: RawFd) {
    let ctrl = ctrl as libc::c_uint;
    // Safety: close_range with CLOSE_RANGE_CLOEXEC only sets flags on fds
    // of this process; it allocates nothing.
    unsafe {
        libc::close_range(3, ctrl - 1, libc::CLOSE_RANGE_CLOEXEC as libc::c_int);
        libc::close_range(
            ctrl + 1,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
        );
    }
}

/// For the worker: run a scenario call that allocates fds with the soft
/// limit at the model's, then put the limit back.
pub fn under_scenario_limit<T>(call: impl FnOnce() -> T) -> T {
    let own = get();
    let scenario = libc::rlimit {
        rlim_cur: u64::from(scenario_nofile()).min(own.rlim_max),
        rlim_max: own.rlim_max,
    };
    set(&scenario);
    let out = call();
    set(&own);
    out
}
