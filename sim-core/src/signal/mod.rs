//! Signals as one process sees them, following Linux's kernel/signal.c:
//! dispositions (SIG_DFL, SIG_IGN, a counting handler), the blocked mask,
//! the two pending queues, private and shared (standard signals coalesce
//! within one, real-time ones queue every instance), delivery order,
//! handler frames, default actions, what fork and exec do to all
//! of it, SIGCHLD and SIG_IGN / SA_NOCLDWAIT auto-reaping when a child
//! exits, and the wait status a death is reported with.
//!
//! - `set`: `SigSet`, the 64-bit `sigset_t`.
//! - `pending`: `SigPending`, one pending queue, and `Queue`, which one.
//! - `action`: the default-action tables, `Disposition`, `DefaultAction`,
//!   wait status encoding.
//! - `state`: `SigState`, the per-process state and its operations.
//!
//! Deliberately not here: process states (running, blocked, stopped,
//! zombie), wakeups, interrupting or restarting system calls, permission
//! checks and ESRCH for `kill`, init's immunity, process groups, and the
//! step engine that decides when a process takes its signals. Every
//! operation here is a pure function of the state and returns what the
//! kernel would do, for the process model to carry out.
//!
//! Numbers and names of signals are in `crate::sig`.

mod action;
mod pending;
mod set;
mod state;

pub use action::{default_action, DefaultAction, Disposition};
pub use pending::{Queue, SigPending};
pub use set::SigSet;
pub(crate) use state::Generation;
pub use state::{Delivery, Fate, IgnoredBy, SigState};

#[cfg(test)]
mod tests;
