//! A scenario's `thread`, replayed in the worker: a real thread of its
//! thread group, made by the same clone as pthread_create's, that sleeps
//! until the process ends. It is built to change nothing the controller
//! compares: it runs no Rust or libc code, touches no memory, and blocks
//! every signal, so the process's signals stay its first thread's (as in
//! the model) and a later fork inherits no lock it holds.

use super::bracket;
use super::proto::Reply;

/// `thread`: a new thread of this worker's thread group, as
/// pthread_create makes one (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|
/// CLONE_THREAD|CLONE_SYSVSEM), that only sleeps: it runs no Rust and no
/// libc code, touches no memory (not even its stack), and has every signal
/// blocked, so it holds no lock a later fork could inherit, takes no fault
/// the scenario did not ask for, and every signal sent to the process is
/// the first thread's to take, as in the model. It ends with the process
/// (exit_group) or at its exec (de_thread). Returns the tid, or -1 with
/// errno set, measured as any operation.
pub(super) fn thread() -> Reply {
    // Safety: sigset_t is plain data; sigfillset and pthread_sigmask
    // write only into these locals. The mask is blocked before clone so
    // that the new thread inherits it, and restored after.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let reply = bracket(|| {
        let tid = raw_thread();
        if tid < 0 {
            // Safety: errno is this thread's own.
            unsafe { *libc::__errno_location() = -tid };
            -1
        } else {
            i64::from(tid)
        }
    });
    // Safety: restores the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    reply
}

/// The stack pointer a sleeping thread is given: it never pushes, calls or
/// takes a signal frame, so it never writes here; the kernel only needs a
/// value for its rsp.
#[cfg(target_arch = "x86_64")]
static THREAD_STACK: [u64; 8] = [0; 8];

/// clone(2) of a thread that sleeps in pause() for good; the tid, or -errno.
#[cfg(target_arch = "x86_64")]
fn raw_thread() -> libc::pid_t {
    let flags = (libc::CLONE_VM
        | libc::CLONE_FS
        | libc::CLONE_FILES
        | libc::CLONE_SIGHAND
        | libc::CLONE_THREAD
        | libc::CLONE_SYSVSEM) as u64;
    let stack = THREAD_STACK.as_ptr_range().end as u64;
    let ret: i64;
    // Safety: the child of this clone shares our memory but runs only the
    // three instructions of the loop below, on a stack it never touches,
    // with every signal blocked (the caller's mask, inherited), until the
    // thread group ends. The parent only gets rax back; rcx and r11 are
    // clobbered by syscall, rdi and rsi are declared clobbered.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "3:",
            "mov eax, {pause}",
            "syscall",
            "jmp 3b",
            "2:",
            pause = const libc::SYS_pause,
            inout("rax") libc::SYS_clone => ret,
            inout("rdi") flags => _,
            inout("rsi") stack => _,
            in("rdx") 0u64,
            in("r10") 0u64,
            in("r8") 0u64,
            out("rcx") _,
            out("r11") _,
        );
    }
    ret as libc::pid_t
}

/// No raw thread off x86_64 (`check` refuses to start there).
#[cfg(not(target_arch = "x86_64"))]
fn raw_thread() -> libc::pid_t {
    -libc::ENOSYS
}
