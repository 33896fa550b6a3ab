//! Processes: identity, family links, life-cycle states and wait statuses.
//!
//! Owns what `ps` would show of a process and its exit status. Memory, fds
//! and signal state hang off a `Process` but are run by their own modules.

use crate::ids::Pid;
use crate::ipc::fd::{EndRef, FdTable};
use crate::mm::AddressSpace;
use crate::scenario::ast::{ExitStatus, OpResult, Pos};
use crate::scenario::OpKind;
use crate::sig::Signal;
use crate::signal::SigState;
use serde::Serialize;
use std::sync::Arc;

/// A raw wait status as the kernel encodes it (kernel/exit.c): an exit code
/// is `(code & 0xff) << 8`, death by a signal is the signal's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WaitStatus(pub i32);

impl WaitStatus {
    /// `exit(code)`: only the low 8 bits survive, so exit(300) reports 44.
    pub fn exited(code: i32) -> WaitStatus {
        WaitStatus((code & 0xff) << 8)
    }

    /// Killed by `sig`. The core-dump bit (0x80) is never set: the model
    /// assumes RLIMIT_CORE = 0, as on the machines it is checked against.
    pub fn signaled(sig: Signal) -> WaitStatus {
        WaitStatus(i32::from(sig.number()))
    }

    /// WIFEXITED / WEXITSTATUS / WIFSIGNALED / WTERMSIG, as glibc's
    /// bits/waitstatus.h decodes them (the core bit ignored). `None` for a
    /// stopped or continued status, or a signal a scenario cannot name.
    pub fn try_decode(self) -> Option<ExitStatus> {
        match self.0 & 0x7f {
            0 => Some(ExitStatus::Exited(((self.0 >> 8) & 0xff) as u8)),
            0x7f => None,
            n => Signal::from_number(n as u8).map(ExitStatus::Signaled),
        }
    }

    /// The status of a process that died (what `wait` reports of it).
    pub fn decode(self) -> ExitStatus {
        self.try_decode()
            .expect("a wait status of a dead process is an exit or a death by a nameable signal")
    }
}

impl From<ExitStatus> for WaitStatus {
    fn from(status: ExitStatus) -> WaitStatus {
        match status {
            ExitStatus::Exited(code) => WaitStatus(i32::from(code) << 8),
            ExitStatus::Signaled(sig) => WaitStatus::signaled(sig),
        }
    }
}

/// What a blocked process is waiting for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "on")]
pub enum BlockedOn {
    /// `wait` for a child (`None`: any child) that is still running.
    Wait { child: Option<Pid> },
    /// A blocking `send` of `len` bytes on `end` that has moved `so_far`.
    Send { end: EndRef, len: u64, so_far: u64 },
    /// A blocking `recv` of up to `max` bytes on `end`.
    Recv { end: EndRef, max: u64 },
}

impl BlockedOn {
    /// The operation the process is blocked in.
    pub fn kind(&self) -> OpKind {
        match self {
            BlockedOn::Wait { .. } => OpKind::Wait,
            BlockedOn::Send { .. } => OpKind::Send,
            BlockedOn::Recv { .. } => OpKind::Recv,
        }
    }

    /// The operation's keyword.
    pub fn op(&self) -> &'static str {
        self.kind().keyword()
    }
}

/// A call in progress: what it waits for, since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockedCall {
    /// What it waits for.
    pub on: BlockedOn,
    /// The step that issued it.
    pub since_step: u32,
    /// Where the statement that issued it is.
    pub pos: Pos,
    /// When it last went to sleep on its wait queue (a `World::tick`): the
    /// order in which the kernel's wake-ups reach sleepers (see
    /// `Cx::settle`). A call goes to the back again each time it sleeps
    /// anew: after a handler restarted it, after SIGCONT, after a partial
    /// write.
    #[serde(skip)]
    pub queued: u64,
}

/// A process's life-cycle state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ProcState {
    /// Between operations (idle in an interruptible sleep, from the kernel's
    /// point of view). Entered at creation and when a blocked call returns.
    Running,
    /// Inside a call that cannot complete yet. Entered by `wait` on a
    /// running child or a blocking send/recv; left when another step makes
    /// progress possible (or a signal kills it).
    Blocked(BlockedCall),
    /// Stopped by a stop signal until SIGCONT or SIGKILL. A call it was
    /// blocked in that had moved nothing is kept, and restarts when it
    /// continues (-ERESTARTSYS, restarted as no handler ran).
    Stopped {
        /// The stop signal.
        by: Signal,
        /// The step that stopped it.
        since_step: u32,
        /// The call it was blocked in, if any, to restart on SIGCONT.
        call: Option<BlockedCall>,
        /// What the call it was in returns when it continues, if the call
        /// ended before the stop was taken: a write that had moved bytes
        /// returns the partial count when a signal is pending (pipe_write,
        /// unix_stream_sendmsg), and the stop comes after. The program sees
        /// the value only once it runs again.
        returns: Option<OpResult>,
    },
    /// Exited, not yet reaped. Left when the parent waits (or is init).
    Zombie { status: WaitStatus },
    /// Reaped: only its name and history remain.
    Gone { status: WaitStatus },
}

impl ProcState {
    /// The state as the scenario language names it (`expect a state ...`).
    pub fn name(&self) -> crate::scenario::ast::StateName {
        use crate::scenario::ast::StateName;
        match self {
            ProcState::Running => StateName::Running,
            ProcState::Blocked { .. } => StateName::Blocked,
            ProcState::Stopped { .. } => StateName::Stopped,
            ProcState::Zombie { .. } => StateName::Zombie,
            ProcState::Gone { .. } => StateName::Gone,
        }
    }

    /// Has the process exited (zombie or gone)?
    pub fn is_dead(&self) -> bool {
        matches!(self, ProcState::Zombie { .. } | ProcState::Gone { .. })
    }
}

/// The last operation a process issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastOp {
    /// The step that issued it (1-based).
    pub step: u32,
    /// Minor faults it took.
    pub faults: u64,
    /// Its return value, once it has returned.
    pub result: Option<OpResult>,
}

/// A thread of a process besides its first (whose tid is the pid): what
/// `thread NAME` made with clone(CLONE_VM|CLONE_THREAD|...). It has no
/// memory, fds or signal handlers of its own: it runs in its process's
/// (kernel/fork.c copy_process shares mm, files, fs and sighand).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// Its thread id: from the pid numbers, as the kernel gives it.
    pub tid: Pid,
    /// Its name in the scenario.
    pub name: Arc<str>,
}

/// One process (or init).
#[derive(Clone, Debug)]
pub struct Process {
    /// Its pid; init is 1.
    pub pid: Pid,
    /// Its name in the scenario.
    pub name: Arc<str>,
    /// Its parent (init for an orphan, and for init itself).
    pub parent: Pid,
    /// Running, blocked in a call, stopped, a zombie, or gone.
    pub state: ProcState,
    /// The program it runs: the scenario's own, until `exec`.
    pub program: Arc<str>,
    /// Its memory: regions and page tables.
    pub mm: AddressSpace,
    /// Its open file descriptors.
    pub fds: FdTable,
    /// Its signal mask, pending queues, handlers and handler frames.
    pub signals: SigState,
    /// The line of the statement that created it (for "already used" errors).
    pub born_line: u32,
    /// Minor faults over its whole life (what getrusage's ru_minflt counts).
    pub faults: u64,
    /// The last operation it carried out.
    pub last_op: Option<LastOp>,
    /// How the last child it reaped ended.
    pub last_reaped: Option<ExitStatus>,
    /// Its threads besides the first, in the order they were made; they
    /// end with it (exit_group), and exec ends them (de_thread); a fork
    /// child has only the thread that forked.
    pub threads: Vec<Thread>,
    /// prctl(PR_SET_CHILD_SUBREAPER, 1): it adopts the orphans of its
    /// descendants (the nearest living one does), instead of init. Kept
    /// across exec; a fork child does not have it (kernel/exit.c
    /// find_new_reaper, kernel/sys.c).
    pub subreaper: bool,
}

impl Process {
    /// Whether this is init, pid 1, the root of the process tree.
    pub fn is_init(&self) -> bool {
        self.pid == Pid::INIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_keep_only_their_low_eight_bits() {
        assert_eq!(WaitStatus::exited(3).0, 0x0300);
        assert_eq!(WaitStatus::exited(300).decode(), ExitStatus::Exited(44));
        assert_eq!(WaitStatus::exited(-1).decode(), ExitStatus::Exited(255));
    }

    #[test]
    fn death_by_a_signal_is_its_number_without_a_core_bit() {
        let status = WaitStatus::signaled(Signal::SIGTERM);
        assert_eq!(status.0, 0x000f);
        assert_eq!(status.decode(), ExitStatus::Signaled(Signal::SIGTERM));
    }
}
