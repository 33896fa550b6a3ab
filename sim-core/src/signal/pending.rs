//! `SigPending`: one queue of pending signals, the kernel's `struct
//! sigpending` (include/linux/signal_types.h), and which of a process's two
//! queues a signal goes to.
//!
//! A thread has two: its own (`task->pending`, the private set) and its
//! thread group's (`signal->shared_pending`, the shared set).
//! __send_signal_locked picks one by the pid type it is sent for:
//! `PIDTYPE_PID` (send_sig, as pipe_write and unix_stream_sendmsg raise
//! SIGPIPE) queues privately, anything else (`kill`, and the SIGCHLD the
//! kernel sends a parent through __group_send_sig_info / PIDTYPE_TGID)
//! queues in the shared set. Standard signals coalesce within one queue
//! only (legacy_queue looks at the queue it is given), so one signal can be
//! pending twice, once in each.
//!
//! Owns the bits and instance counts of one queue; the rules about when to
//! queue, discard or dequeue live in `state`.

use super::action::{is_legacy, SYNCHRONOUS};
use super::set::SigSet;
use super::state::Fate;
use crate::sig::Signal;
use litemap::LiteMap;
use serde::{Deserialize, Serialize};

/// Which of a process's two pending queues (__send_signal_locked: `pending
/// = (type != PIDTYPE_PID) ? &t->signal->shared_pending : &t->pending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// The thread's own queue: signals the kernel raises for the calling
    /// thread (SIGPIPE from a write: send_sig, PIDTYPE_PID). Dequeued first.
    Private,
    /// The process's queue: `kill` (PIDTYPE_TGID) and the SIGCHLD a parent
    /// is sent (__group_send_sig_info).
    Shared,
}

/// One pending queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigPending {
    /// Pending standard signals (1..=31): one bit each, so a second
    /// instance sent to this queue while one is pending is lost
    /// (legacy_queue).
    standard: SigSet,
    /// Pending real-time signals: instances per signal. Every instance is
    /// kept, as the kernel's sigqueue list keeps one entry per send. The
    /// model's instances carry no siginfo, so instances of one signal are
    /// interchangeable and the kernel's FIFO order among them reduces to a
    /// count; across signals the lowest number goes first (next_signal), so
    /// arrival order never matters either. No entry holds 0.
    realtime: LiteMap<Signal, u32>,
}

impl SigPending {
    /// Every signal with at least one instance here.
    pub fn set(&self) -> SigSet {
        self.realtime
            .iter()
            .filter(|&(_, &n)| n > 0)
            .map(|(&s, _)| s)
            .fold(self.standard, SigSet::with)
    }

    /// Instances of `sig` here: 0 or 1 for a standard signal.
    pub fn count(&self, sig: Signal) -> u32 {
        if is_legacy(sig) {
            u32::from(self.standard.contains(sig))
        } else {
            self.realtime.get(&sig).copied().unwrap_or(0)
        }
    }

    /// Queue one instance (legacy_queue, then __sigqueue_alloc and
    /// sigaddset): a standard signal already here is lost.
    pub(super) fn queue(&mut self, sig: Signal) -> Fate {
        if is_legacy(sig) {
            if self.standard.contains(sig) {
                Fate::AlreadyPending
            } else {
                self.standard.insert(sig);
                Fate::Queued { instances: 1 }
            }
        } else {
            let n = self.realtime.entry(sig).or_insert(0);
            *n = n.saturating_add(1);
            Fate::Queued { instances: *n }
        }
    }

    /// Removes every instance of the signals in `set` (flush_sigqueue_mask);
    /// returns how many went.
    pub(super) fn discard(&mut self, set: SigSet) -> u32 {
        let mut gone = self.standard.intersection(set).len();
        self.standard = self.standard.difference(set);
        self.realtime.retain(|&sig, n| {
            let keep = !set.contains(sig);
            if !keep {
                gone = gone.saturating_add(*n);
            }
            keep
        });
        gone
    }

    /// next_signal over this queue: among the signals here and not in
    /// `blocked`, a synchronous one (SIGSEGV, SIGBUS, SIGILL, SIGTRAP,
    /// SIGFPE, SIGSYS) before any other, otherwise the lowest number (on
    /// x86_64 all 64 signals sit in its "first word").
    pub(crate) fn next(&self, blocked: SigSet) -> Option<Signal> {
        let ready = self.set().difference(blocked);
        let sync = ready.intersection(SYNCHRONOUS);
        if sync.is_empty() { ready } else { sync }.lowest()
    }

    /// Takes one instance of `sig` off this queue (collect_signal: a
    /// real-time signal with several instances stays with one fewer); false
    /// if none.
    pub(super) fn dequeue(&mut self, sig: Signal) -> bool {
        if is_legacy(sig) {
            let was = self.standard.contains(sig);
            self.standard.remove(sig);
            return was;
        }
        match self.realtime.get_mut(&sig) {
            Some(n) if *n > 1 => {
                *n -= 1;
                true
            }
            Some(n) => {
                // Only a deserialised state can hold a 0 here; it is no
                // instance.
                let was = *n == 1;
                self.realtime.remove(&sig);
                was
            }
            None => false,
        }
    }
}
