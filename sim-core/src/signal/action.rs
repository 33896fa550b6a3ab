//! What a signal does when nobody catches it, and how a death is reported to
//! `wait`: the kernel's default-action tables (include/linux/signal.h) and
//! wait status encoding (kernel/exit.c).
//!
//! Owns the tables and the encoding; it holds no per-process state (that is
//! `state::SigState`) and does not decide who reaps whom (the process model).

use super::set::{bit, SigSet};
use crate::scenario::ast::Action;
use crate::sig::Signal;
use serde::{Deserialize, Serialize};

// Signal numbers that `sig.rs` names no constant for
// (include/uapi/asm-generic/signal.h, x86_64).
const SIGURG: u8 = 23;
const SIGXCPU: u8 = 24;
const SIGXFSZ: u8 = 25;
const SIGWINCH: u8 = 28;

/// The kernel's own SIGRTMIN (include/uapi/asm-generic/signal.h). The
/// `sig_kernel_*` tables and `legacy_queue` test `sig < SIGRTMIN` against this
/// value, not glibc's 34: signals 32 and 33 queue like real-time ones.
pub(crate) const KERNEL_SIGRTMIN: u8 = 32;

/// SIG_KERNEL_ONLY_MASK (include/linux/signal.h): SIGKILL and SIGSTOP, which
/// can be neither caught, ignored nor blocked.
pub(crate) const KERNEL_ONLY: SigSet = SigSet::from_bits(bit(9) | bit(19));

/// What glibc's sigfillset puts in a set: every signal 1 to 64 but 32 and
/// 33 (SIGCANCEL and SIGSETXID, which it keeps for its threads). libuv
/// fills its handlers' sa_mask with it (uv__signal_register_handler).
pub(crate) const SIGFILLSET: SigSet = SigSet::from_bits(!(bit(32) | bit(33)));

/// SIG_KERNEL_STOP_MASK (include/linux/signal.h): SIGSTOP, SIGTSTP, SIGTTIN,
/// SIGTTOU.
pub(crate) const KERNEL_STOP: SigSet = SigSet::from_bits(bit(19) | bit(20) | bit(21) | bit(22));

/// SIG_KERNEL_COREDUMP_MASK (include/linux/signal.h; x86 has no SIGEMT).
pub(crate) const KERNEL_COREDUMP: SigSet = SigSet::from_bits(
    bit(3) // SIGQUIT
        | bit(4) // SIGILL
        | bit(5) // SIGTRAP
        | bit(6) // SIGABRT
        | bit(8) // SIGFPE
        | bit(11) // SIGSEGV
        | bit(7) // SIGBUS
        | bit(31) // SIGSYS
        | bit(SIGXCPU)
        | bit(SIGXFSZ),
);

/// SIG_KERNEL_IGNORE_MASK (include/linux/signal.h): SIGCONT, SIGCHLD,
/// SIGWINCH, SIGURG. Under SIG_DFL these are discarded at generation unless
/// blocked (sig_handler_ignored in kernel/signal.c).
pub(crate) const KERNEL_IGNORE: SigSet =
    SigSet::from_bits(bit(18) | bit(17) | bit(SIGWINCH) | bit(SIGURG));

/// SYNCHRONOUS_MASK (kernel/signal.c, above next_signal): signals a faulting
/// instruction raises; they are dequeued before any other pending signal so
/// that the handler's frame points at the faulting instruction.
pub(crate) const SYNCHRONOUS: SigSet =
    SigSet::from_bits(bit(11) | bit(7) | bit(4) | bit(5) | bit(8) | bit(31));

/// `sig < SIGRTMIN && T(sig, mask)`, the shape of every `sig_kernel_*` macro.
fn in_kernel_mask(sig: Signal, mask: SigSet) -> bool {
    sig.number() < KERNEL_SIGRTMIN && mask.contains(sig)
}

/// `sig_kernel_only` (include/linux/signal.h).
pub(crate) fn is_kernel_only(sig: Signal) -> bool {
    in_kernel_mask(sig, KERNEL_ONLY)
}

/// `sig_kernel_stop` (include/linux/signal.h).
pub(crate) fn is_stop_signal(sig: Signal) -> bool {
    in_kernel_mask(sig, KERNEL_STOP)
}

/// `sig_kernel_ignore` (include/linux/signal.h).
pub(crate) fn is_default_ignored(sig: Signal) -> bool {
    in_kernel_mask(sig, KERNEL_IGNORE)
}

/// `sig_kernel_coredump` (include/linux/signal.h).
pub(crate) fn is_coredump_signal(sig: Signal) -> bool {
    in_kernel_mask(sig, KERNEL_COREDUMP)
}

/// Standard signals coalesce (`legacy_queue` in kernel/signal.c tests
/// `sig < SIGRTMIN` with the kernel's SIGRTMIN, 32).
pub(crate) fn is_legacy(sig: Signal) -> bool {
    sig.number() < KERNEL_SIGRTMIN
}

/// What a process has installed for one signal (`sa_handler`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// SIG_DFL: the signal's `DefaultAction` applies. Every signal starts
    /// here; a handler returns here at exec (flush_signal_handlers).
    #[default]
    Default,
    /// SIG_IGN: discarded when generated unless blocked, and discarded from
    /// the pending set when installed (do_sigaction). Survives exec and fork.
    Ignore,
    /// A user handler that counts its runs. Installed with SA_RESTART, as
    /// libuv's uv__signal_register_handler does, so a slow system call it
    /// interrupts is restarted rather than failing with EINTR; applying that
    /// is the step engine's business. Reset to `Default` at exec.
    Handler,
}

impl From<Action> for Disposition {
    fn from(action: Action) -> Disposition {
        match action {
            Action::Handle => Disposition::Handler,
            Action::Ignore => Disposition::Ignore,
            Action::Default => Disposition::Default,
        }
    }
}

/// What the kernel does with a signal delivered under SIG_DFL (the tables
/// get_signal consults in kernel/signal.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultAction {
    /// The process dies; `wait` reports "signaled SIG" (do_group_exit).
    Terminate,
    /// The process dies "with core" (sig_kernel_coredump). The model assumes
    /// RLIMIT_CORE = 0, so no core is written and the status has no 0x80
    /// bit (WCOREFLAG, set by coredump_finish): `wait` reports it exactly
    /// like `Terminate`. On the real kernel, a core_pattern that is a pipe
    /// (systemd-coredump, apport) makes do_coredump ignore RLIMIT_CORE
    /// (fs/coredump.c), and only a non-dumpable process leaves no core.
    CoreDump,
    /// The process stops (do_signal_stop) until SIGCONT or SIGKILL. The
    /// kernel drops SIGTSTP/SIGTTIN/SIGTTOU in an orphaned process group; the
    /// model has no process groups and always stops.
    Stop,
    /// SIGCONT. The resumption already happened when SIGCONT was generated
    /// (prepare_signal), whatever its disposition or mask; at delivery there
    /// is nothing left to do (SIGCONT is in SIG_KERNEL_IGNORE_MASK).
    Continue,
    /// Nothing happens (SIGCHLD, SIGURG, SIGWINCH).
    Ignore,
}

impl DefaultAction {
    /// Whether the process dies of it.
    pub fn is_fatal(self) -> bool {
        matches!(self, DefaultAction::Terminate | DefaultAction::CoreDump)
    }
}

/// The default action of any signal. Real-time signals, and every standard
/// signal outside the stop, coredump and ignore masks, terminate (get_signal
/// in kernel/signal.c falls through to do_group_exit).
pub fn default_action(sig: Signal) -> DefaultAction {
    if sig == Signal::SIGCONT {
        DefaultAction::Continue
    } else if is_default_ignored(sig) {
        DefaultAction::Ignore
    } else if is_stop_signal(sig) {
        DefaultAction::Stop
    } else if is_coredump_signal(sig) {
        DefaultAction::CoreDump
    } else {
        DefaultAction::Terminate
    }
}
