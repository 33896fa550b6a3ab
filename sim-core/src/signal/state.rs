//! `SigState`: one process's signal state and the kernel rules that change
//! it (kernel/signal.c unless said otherwise).
//!
//! Owns dispositions, the SIGCHLD SA_NOCLDWAIT flag, the blocked mask, the
//! pending set and handler run counts. It does not know whether the process
//! runs, sleeps, is stopped or dead, does not wake anyone and does not
//! interrupt system calls: every operation returns a value saying what the
//! kernel would do, and the step engine applies it to the process model.

use super::action::{
    default_action, is_default_ignored, is_kernel_only, is_legacy, is_stop_signal, DefaultAction,
    Disposition, KERNEL_ONLY, KERNEL_STOP, SYNCHRONOUS,
};
use super::set::SigSet;
use crate::errno::Errno;
use crate::scenario::ast::Action;
use crate::sig::Signal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One process's signal state. Cloning it is cheap (two words, a flag and
/// three small maps), as the time-travelling `Sim` clones every state.
///
/// A new process (the scenario's first one) starts with every signal at
/// SIG_DFL, nothing blocked, nothing pending.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigState {
    /// Signals whose disposition is not `Default`; absent means SIG_DFL.
    /// SIGKILL and SIGSTOP never appear (do_sigaction refuses them).
    actions: BTreeMap<Signal, Disposition>,
    /// SA_NOCLDWAIT on SIGCHLD's sigaction: children are reaped at exit
    /// instead of becoming zombies (do_notify_parent). The flag is kept for
    /// SIGCHLD only, the one signal whose flag the kernel consults.
    nocldwait: bool,
    /// The blocked mask. Never holds SIGKILL or SIGSTOP (sys_rt_sigprocmask
    /// removes them before sigprocmask sees the set).
    blocked: SigSet,
    /// Pending standard signals (1..=31): one bit each, so a second instance
    /// sent while one is pending is lost (legacy_queue).
    pending: SigSet,
    /// Pending real-time signals: instances per signal. Every instance is
    /// kept, as the kernel's sigqueue list keeps one entry per send. The
    /// model's instances carry no siginfo, so instances of one signal are
    /// interchangeable and the kernel's FIFO order among them reduces to a
    /// count; across signals the lowest number goes first (next_signal), so
    /// arrival order never matters either. No entry holds 0.
    rt_pending: BTreeMap<Signal, u32>,
    /// How many times this process's handler ran, per signal. Starts empty
    /// in a fork child; kept across exec (the count is the process's
    /// history, even though exec uninstalls the handler).
    handled: BTreeMap<Signal, u64>,
}

/// Why a generated signal was thrown away at once (sig_ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredBy {
    /// The disposition is SIG_IGN.
    SigIgn,
    /// The disposition is SIG_DFL and the default action is to ignore
    /// (SIGCHLD, SIGURG, SIGWINCH, SIGCONT: sig_kernel_ignore).
    DefaultIgnore,
}

/// What became of a generated signal (the TRACE_SIGNAL_* results of
/// __send_signal_locked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "fate")]
pub enum Fate {
    /// Added to the pending set. `instances` is how many of this signal are
    /// now pending: always 1 for a standard signal, 1.. for a real-time one.
    Queued { instances: u32 },
    /// A standard signal that was already pending: this instance is lost
    /// ("already pending, so this one is lost"; legacy_queue).
    AlreadyPending,
    /// Discarded because ignored and not blocked (sig_ignored: a blocked
    /// signal is never discarded here, since the disposition may change
    /// before it is unblocked).
    Ignored(IgnoredBy),
}

/// Everything generating one signal did to the target's signal state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Generation {
    pub signal: Signal,
    pub fate: Fate,
    /// Pending signals that prepare_signal discarded first, whatever the new
    /// signal's own fate: a stop signal discards a pending SIGCONT, and
    /// SIGCONT discards every pending stop signal.
    pub flushed: SigSet,
    /// The process must leave the stopped state now, if it is stopped: true
    /// for SIGCONT even when SIGCONT is blocked or ignored (prepare_signal
    /// wakes __TASK_STOPPED), and for SIGKILL, which wakes a stopped process
    /// so it can die (signal_wake_up with TASK_WAKEKILL from complete_signal).
    pub wakes_stopped: bool,
}

/// What delivering one pending instance made the process do (get_signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "delivery")]
pub enum Delivery {
    /// The handler ran; `runs` counts this run. The kernel blocks the signal
    /// while its handler runs and sigreturn restores the mask; the model
    /// runs a handler in one step, so the mask is unchanged afterwards.
    Handler { runs: u64 },
    /// SIG_IGN at delivery time: nothing happens. (Rare: installing SIG_IGN
    /// already discards pending instances.)
    Ignored,
    /// SIG_DFL: the kernel carries out the default action.
    Default { action: DefaultAction },
}

/// The result of `set_action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionChange {
    /// The disposition before the change (sigaction's `oldact`).
    pub previous: Disposition,
    /// Pending instances of the signal that the change discarded: POSIX
    /// 3.3.1.3 as do_sigaction implements it.
    pub discarded: u32,
}

/// What the kernel does about a parent when one of its children exits
/// (do_notify_parent, kernel/signal.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChildExitNotice {
    /// The child is reaped at once instead of becoming a zombie: the
    /// parent's SIGCHLD is SIG_IGN or has SA_NOCLDWAIT. A `wait` that finds
    /// no other child then fails with ECHILD (still woken, __wake_up_parent).
    pub auto_reap: bool,
    /// SIGCHLD's generation in the parent, or `None` when none was sent:
    /// only a SIG_IGN SIGCHLD suppresses it. With SA_NOCLDWAIT it is still
    /// sent ("we do (if you don't want it, just use SIG_IGN instead)"), and
    /// then meets the parent's disposition and mask like any SIGCHLD.
    pub sigchld: Option<Generation>,
}

impl SigState {
    /// A fresh state: all SIG_DFL, nothing blocked or pending.
    pub fn new() -> SigState {
        SigState::default()
    }

    // ----- sigaction ----------------------------------------------------

    /// `sigaction(sig, action)` with SA_NOCLDWAIT if `nocldwait` (kept for
    /// SIGCHLD only; the kernel stores the flag for any signal but consults
    /// it for SIGCHLD alone). `Handle` installs a counting handler with
    /// SA_RESTART.
    ///
    /// EINVAL for SIGKILL and SIGSTOP (do_sigaction: `act &&
    /// sig_kernel_only(sig)`). When the new disposition ignores the signal
    /// (SIG_IGN, or SIG_DFL for a default-ignore signal) every pending
    /// instance is discarded, blocked or not (do_sigaction's
    /// flush_sigqueue_mask).
    pub fn set_action(
        &mut self,
        sig: Signal,
        action: Action,
        nocldwait: bool,
    ) -> Result<ActionChange, Errno> {
        if is_kernel_only(sig) {
            return Err(Errno::EINVAL);
        }
        let previous = self.disposition(sig);
        let new = Disposition::from(action);
        if new == Disposition::Default {
            self.actions.remove(&sig);
        } else {
            self.actions.insert(sig, new);
        }
        if sig == Signal::SIGCHLD {
            self.nocldwait = nocldwait;
        }
        let discarded = if self.handler_ignores(sig) {
            self.discard(SigSet::EMPTY.with(sig))
        } else {
            0
        };
        Ok(ActionChange {
            previous,
            discarded,
        })
    }

    // ----- sigprocmask --------------------------------------------------

    /// `sigprocmask(SIG_BLOCK, sigs)`. SIGKILL and SIGSTOP are silently left
    /// out (sys_rt_sigprocmask: `sigdelsetmask(&new_set,
    /// sigmask(SIGKILL)|sigmask(SIGSTOP))`).
    pub fn block(&mut self, sigs: &[Signal]) {
        self.set_blocked(self.blocked.union(SigSet::from_signals(sigs)));
    }

    /// `sigprocmask(SIG_UNBLOCK, sigs)`. Signals pending among them become
    /// deliverable; see `next_deliverable`.
    pub fn unblock(&mut self, sigs: &[Signal]) {
        self.set_blocked(self.blocked.difference(SigSet::from_signals(sigs)));
    }

    /// `sigprocmask(SIG_SETMASK, mask)`, without SIGKILL and SIGSTOP.
    pub fn set_blocked(&mut self, mask: SigSet) {
        self.blocked = mask.difference(KERNEL_ONLY);
    }

    // ----- generation ---------------------------------------------------

    /// A signal is sent to this process (`kill`, or the kernel's own
    /// SIGCHLD): __send_signal_locked.
    ///
    /// 1. prepare_signal: a stop signal discards pending SIGCONT; SIGCONT
    ///    discards pending stop signals and resumes a stopped process, both
    ///    regardless of blocking, ignoring or handling.
    /// 2. sig_ignored: unless blocked, a signal whose disposition ignores it
    ///    (SIG_IGN, or SIG_DFL with a default-ignore signal) is discarded.
    /// 3. legacy_queue: a standard signal already pending is lost.
    /// 4. Otherwise it is queued: a standard signal sets its bit, a real-time
    ///    one adds an instance.
    ///
    /// Not modelled: RLIMIT_SIGPENDING (a real-time signal sent by `kill`
    /// beyond it still sets the pending bit but adds no instance; the model
    /// has no limit other than u32 saturation) and init's immunity
    /// (SIGNAL_UNKILLABLE), which belongs to the process model.
    pub fn generate(&mut self, sig: Signal) -> Generation {
        // prepare_signal: job-control side effects come first.
        let flush = if is_stop_signal(sig) {
            SigSet::EMPTY.with(Signal::SIGCONT)
        } else if sig == Signal::SIGCONT {
            KERNEL_STOP
        } else {
            SigSet::EMPTY
        };
        let flushed = self.pending_set().intersection(flush);
        self.discard(flushed);
        let wakes_stopped = sig == Signal::SIGCONT || sig == Signal::SIGKILL;

        let fate = if let Some(by) = self.ignored_at_generation(sig) {
            Fate::Ignored(by)
        } else if is_legacy(sig) {
            if self.pending.contains(sig) {
                Fate::AlreadyPending
            } else {
                self.pending.insert(sig);
                Fate::Queued { instances: 1 }
            }
        } else {
            let n = self.rt_pending.entry(sig).or_insert(0);
            *n = n.saturating_add(1);
            Fate::Queued { instances: *n }
        };
        Generation {
            signal: sig,
            fate,
            flushed,
            wakes_stopped,
        }
    }

    /// sig_ignored: `None` when the signal must be queued.
    fn ignored_at_generation(&self, sig: Signal) -> Option<IgnoredBy> {
        // "Blocked signals are never ignored, since the signal handler may
        // change by the time it is unblocked."
        if self.blocked.contains(sig) {
            return None;
        }
        match self.disposition(sig) {
            Disposition::Ignore => Some(IgnoredBy::SigIgn),
            Disposition::Default if is_default_ignored(sig) => Some(IgnoredBy::DefaultIgnore),
            _ => None,
        }
    }

    /// sig_handler_ignored: SIG_IGN, or SIG_DFL whose default is to ignore.
    fn handler_ignores(&self, sig: Signal) -> bool {
        match self.disposition(sig) {
            Disposition::Ignore => true,
            Disposition::Default => is_default_ignored(sig),
            Disposition::Handler => false,
        }
    }

    /// Removes every pending instance of the signals in `set`
    /// (flush_sigqueue_mask); returns how many instances went.
    fn discard(&mut self, set: SigSet) -> u32 {
        let mut gone = self.pending.intersection(set).len();
        self.pending = self.pending.difference(set);
        self.rt_pending.retain(|&sig, n| {
            let keep = !set.contains(sig);
            if !keep {
                gone = gone.saturating_add(*n);
            }
            keep
        });
        gone
    }

    // ----- delivery -----------------------------------------------------

    /// The signal the kernel would dequeue next, if any: pending and not
    /// blocked; a synchronous signal (SIGSEGV, SIGBUS, SIGILL, SIGTRAP,
    /// SIGFPE, SIGSYS) before any other, otherwise the lowest number
    /// (next_signal; on x86_64 all 64 signals sit in its "first word").
    ///
    /// The caller decides when the process takes signals (on its way back to
    /// user mode) and that a stopped process takes none until woken.
    pub fn next_deliverable(&self) -> Option<Signal> {
        let ready = self.pending_set().difference(self.blocked);
        let sync = ready.intersection(SYNCHRONOUS);
        if sync.is_empty() { ready } else { sync }.lowest()
    }

    /// Dequeues one instance of `sig` and says what the process does with it
    /// (get_signal). A real-time signal with several instances stays pending
    /// with one fewer (collect_signal). `None`, changing nothing, when `sig`
    /// is not pending or is blocked: the kernel would not dequeue it.
    pub fn deliver(&mut self, sig: Signal) -> Option<Delivery> {
        if self.blocked.contains(sig) || !self.dequeue(sig) {
            return None;
        }
        Some(match self.disposition(sig) {
            Disposition::Ignore => Delivery::Ignored,
            Disposition::Handler => {
                let runs = self.handled.entry(sig).or_insert(0);
                *runs = runs.saturating_add(1);
                Delivery::Handler { runs: *runs }
            }
            Disposition::Default => Delivery::Default {
                action: default_action(sig),
            },
        })
    }

    /// `next_deliverable` then `deliver`: one round of get_signal's loop.
    pub fn deliver_next(&mut self) -> Option<(Signal, Delivery)> {
        let sig = self.next_deliverable()?;
        self.deliver(sig).map(|d| (sig, d))
    }

    /// Takes one instance of `sig` off the pending set; false if none.
    fn dequeue(&mut self, sig: Signal) -> bool {
        if is_legacy(sig) {
            let was = self.pending.contains(sig);
            self.pending.remove(sig);
            return was;
        }
        match self.rt_pending.get_mut(&sig) {
            Some(n) if *n > 1 => {
                *n -= 1;
                true
            }
            Some(n) => {
                // Only a deserialised state can hold a 0 here; it is no
                // instance.
                let was = *n == 1;
                self.rt_pending.remove(&sig);
                was
            }
            None => false,
        }
    }

    // ----- fork, exec, child exit ----------------------------------------

    /// The state of a child this process forks (copy_process): dispositions
    /// and SA_NOCLDWAIT copied (copy_sighand), the mask copied with the task
    /// struct, the pending set empty (init_sigpending), handler counts at 0.
    pub fn fork_child(&self) -> SigState {
        SigState {
            actions: self.actions.clone(),
            nocldwait: self.nocldwait,
            blocked: self.blocked,
            pending: SigSet::EMPTY,
            rt_pending: BTreeMap::new(),
            handled: BTreeMap::new(),
        }
    }

    /// What exec does (flush_signal_handlers(t, 0) from begin_new_exec in
    /// fs/exec.c): handlers reset to SIG_DFL, SIG_IGN stays, every sa_flags
    /// cleared (so SA_NOCLDWAIT goes); the mask and pending signals are
    /// kept. A pending signal whose handler was reset meets its default
    /// action when delivered.
    pub fn exec(&mut self) {
        self.actions.retain(|_, d| *d == Disposition::Ignore);
        self.nocldwait = false;
    }

    /// Whether a child of this process is reaped at exit rather than left a
    /// zombie (do_notify_parent: SIGCHLD at SIG_IGN or with SA_NOCLDWAIT).
    pub fn child_exit_auto_reaps(&self) -> bool {
        self.disposition(Signal::SIGCHLD) == Disposition::Ignore || self.nocldwait
    }

    /// One of this process's children exited (do_notify_parent, for a child
    /// that is not traced and whose exit signal is SIGCHLD): decides
    /// auto-reaping and generates SIGCHLD here unless SIGCHLD is SIG_IGN.
    pub fn notify_child_exit(&mut self) -> ChildExitNotice {
        let ignored = self.disposition(Signal::SIGCHLD) == Disposition::Ignore;
        ChildExitNotice {
            auto_reap: self.child_exit_auto_reaps(),
            sigchld: (!ignored).then(|| self.generate(Signal::SIGCHLD)),
        }
    }

    // ----- queries for visualisation --------------------------------------

    /// The disposition of `sig` (SIG_DFL unless set).
    pub fn disposition(&self, sig: Signal) -> Disposition {
        self.actions.get(&sig).copied().unwrap_or_default()
    }

    /// Signals whose disposition is not SIG_DFL, in number order.
    pub fn dispositions(&self) -> impl Iterator<Item = (Signal, Disposition)> + '_ {
        self.actions
            .iter()
            .map(|(&s, &d)| (s, d))
            .filter(|&(_, d)| d != Disposition::Default)
    }

    /// SA_NOCLDWAIT on SIGCHLD.
    pub fn nocldwait(&self) -> bool {
        self.nocldwait
    }

    /// The blocked mask.
    pub fn blocked(&self) -> SigSet {
        self.blocked
    }

    /// Every signal with at least one pending instance (what sigpending(2)
    /// reports, before it intersects with the mask).
    pub fn pending_set(&self) -> SigSet {
        self.rt_pending
            .iter()
            .filter(|&(_, &n)| n > 0)
            .map(|(&s, _)| s)
            .fold(self.pending, SigSet::with)
    }

    /// Pending instances of `sig`: 0 or 1 for a standard signal.
    pub fn pending_count(&self, sig: Signal) -> u32 {
        if is_legacy(sig) {
            u32::from(self.pending.contains(sig))
        } else {
            self.rt_pending.get(&sig).copied().unwrap_or(0)
        }
    }

    /// Pending signals with their instance counts, in number order.
    pub fn pending(&self) -> impl Iterator<Item = (Signal, u32)> + '_ {
        self.pending_set()
            .iter()
            .map(|s| (s, self.pending_count(s)))
    }

    /// How many times this process's handler for `sig` has run.
    pub fn handled(&self, sig: Signal) -> u64 {
        self.handled.get(&sig).copied().unwrap_or(0)
    }

    /// Handler run counts, for every signal whose handler has run.
    pub fn handled_counts(&self) -> &BTreeMap<Signal, u64> {
        &self.handled
    }
}
