//! `SigState`: one process's signal state and the kernel rules that change
//! it (kernel/signal.c unless said otherwise).
//!
//! Owns dispositions, the SIGCHLD SA_NOCLDWAIT flag, the blocked mask, the
//! two pending queues (`pending`), the handler frames set up but not yet
//! run, and handler run counts. It does not know whether the process
//! runs, sleeps, is stopped or dead, does not wake anyone and does not
//! interrupt system calls: every operation returns a value saying what the
//! kernel would do, and the step engine applies it to the process model.

use super::action::{
    default_action, is_default_ignored, is_kernel_only, is_stop_signal, DefaultAction, Disposition,
    KERNEL_ONLY, KERNEL_STOP, SIGFILLSET,
};
use super::pending::{Queue, SigPending};
use super::set::SigSet;
use crate::errno::Errno;
use crate::scenario::ast::Action;
use crate::sig::Signal;
use litemap::LiteMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One process's signal state. Cloning it is cheap (a word, a flag, small
/// maps and a short stack), as the time-travelling `Sim` clones every
/// state.
///
/// A new process (the scenario's first one) starts with every signal at
/// SIG_DFL, nothing blocked, nothing pending.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigState {
    /// Signals whose disposition is not `Default`; absent means SIG_DFL.
    /// SIGKILL and SIGSTOP never appear (do_sigaction refuses them).
    actions: LiteMap<Signal, Disposition>,
    /// SA_NOCLDWAIT on SIGCHLD's sigaction: children are reaped at exit
    /// instead of becoming zombies (do_notify_parent). The flag is kept for
    /// SIGCHLD only, the one signal whose flag the kernel consults.
    nocldwait: bool,
    /// The signals whose handler was installed with a full sa_mask
    /// (sigfillset, `mask all`, as libuv installs every handler): while it
    /// runs, every signal but SIGKILL and SIGSTOP is blocked. The others'
    /// sa_mask is empty. Only handlers are in it.
    full_mask: SigSet,
    /// The blocked mask. Never holds SIGKILL or SIGSTOP (sys_rt_sigprocmask
    /// removes them before sigprocmask sees the set).
    blocked: SigSet,
    /// The thread's private pending queue (`task->pending`): signals the
    /// kernel raised for this thread (SIGPIPE from a write).
    private: SigPending,
    /// The process's shared pending queue (`signal->shared_pending`):
    /// `kill` and SIGCHLD.
    shared: SigPending,
    /// Handler frames set up on the user stack but whose handlers have not
    /// run yet, oldest first. get_signal hands a handled signal to
    /// handle_signal, which builds the frame; the handler runs only once the
    /// process is back in user mode, after exit_to_user_mode_loop found
    /// nothing more to deliver, and the newest frame's handler runs first.
    /// A fatal signal taken in the same loop kills the process before any
    /// of them ran; a stop signal leaves them waiting for SIGCONT.
    frames: Vec<Frame>,
    /// How many times a handler of the current program image ran, per
    /// signal: runs that happened, not frames set up. Starts empty in a
    /// fork child, and again at exec: a handler belongs to the program
    /// image, and exec replaces it (flush_signal_handlers).
    handled: BTreeMap<Signal, u64>,
}

/// A handler's frame on the user stack (x86's setup_rt_frame): the signal
/// it is for, and the mask sigreturn restores when the handler returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Frame {
    pub(crate) signal: Signal,
    /// The blocked mask before signal_delivered added the signal and the
    /// handler's sa_mask to it.
    pub(crate) restore: SigSet,
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
    /// Added to the pending queue it was sent to. `instances` is how many
    /// of this signal that queue now holds: always 1 for a standard signal,
    /// 1.. for a real-time one.
    Queued { instances: u32 },
    /// A standard signal that was already pending in the same queue: this
    /// instance is lost (legacy_queue).
    AlreadyPending,
    /// Discarded because ignored and not blocked (sig_ignored: a blocked
    /// signal is never discarded here, since the disposition may change
    /// before it is unblocked).
    Ignored(IgnoredBy),
}

/// Everything generating one signal did to the target's signal state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Generation {
    pub signal: Signal,
    /// The pending queue it was sent to (and queued in, or found already
    /// pending in).
    pub(crate) queue: Queue,
    pub(crate) fate: Fate,
    /// Pending signals that prepare_signal discarded first, whatever the new
    /// signal's own fate: a stop signal discards a pending SIGCONT, and
    /// SIGCONT discards every pending stop signal.
    pub(crate) flushed: SigSet,
    /// The process must leave the stopped state now, if it is stopped: true
    /// for SIGCONT even when SIGCONT is blocked or ignored (prepare_signal
    /// wakes __TASK_STOPPED), and for SIGKILL, which wakes a stopped process
    /// so it can die (signal_wake_up with TASK_WAKEKILL from complete_signal).
    pub(crate) wakes_stopped: bool,
}

/// What delivering one pending instance made the process do (get_signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "delivery")]
pub enum Delivery {
    /// The handler's frame was set up (handle_signal), and signal_delivered
    /// blocked the signal and the handler's sa_mask (empty, or every
    /// signal) until the handler returns (no SA_NODEFER). The handler has
    /// not run yet: `run_handler` runs it, once nothing more is
    /// deliverable.
    Handler,
    /// SIG_IGN at delivery time: nothing happens. (Rare: installing SIG_IGN
    /// already discards pending instances.)
    Ignored,
    /// SIG_DFL: the kernel carries out the default action.
    Default { action: DefaultAction },
}

/// The result of `set_action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ActionChange {
    /// The disposition before the change (sigaction's `oldact`).
    pub(crate) previous: Disposition,
    /// Pending instances of the signal that the change discarded: POSIX
    /// 3.3.1.3 as do_sigaction implements it.
    pub(crate) discarded: u32,
}

/// A handler that ran (`run_handler`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HandlerRun {
    pub signal: Signal,
    /// Runs of this signal's handler so far, this one included.
    pub(crate) runs: u64,
}

/// What the kernel does about a parent when one of its children exits
/// (do_notify_parent, kernel/signal.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChildExitNotice {
    /// The child is reaped at once instead of becoming a zombie: the
    /// parent's SIGCHLD is SIG_IGN or has SA_NOCLDWAIT. A `wait` that finds
    /// no other child then fails with ECHILD (still woken, __wake_up_parent).
    pub(crate) auto_reap: bool,
    /// SIGCHLD's generation in the parent, or `None` when none was sent:
    /// only a SIG_IGN SIGCHLD suppresses it. With SA_NOCLDWAIT it is still
    /// sent ("we do (if you don't want it, just use SIG_IGN instead)"), and
    /// then meets the parent's disposition and mask like any SIGCHLD.
    pub(crate) sigchld: Option<Generation>,
}

impl SigState {
    /// A fresh state: all SIG_DFL, nothing blocked or pending.
    pub(crate) fn new() -> SigState {
        SigState::default()
    }

    // ----- sigaction ----------------------------------------------------

    /// `sigaction(sig, action)` with SA_NOCLDWAIT if `nocldwait` (kept for
    /// SIGCHLD only; the kernel stores the flag for any signal but consults
    /// it for SIGCHLD alone). `Handle` installs a counting handler with
    /// SA_RESTART, and with every signal in its sa_mask if `full_mask`
    /// (the kernel stores any action's sa_mask, but only a handler's is
    /// ever used).
    ///
    /// EINVAL for SIGKILL and SIGSTOP (do_sigaction: `act &&
    /// sig_kernel_only(sig)`). When the new disposition ignores the signal
    /// (SIG_IGN, or SIG_DFL for a default-ignore signal) every pending
    /// instance is discarded, blocked or not (do_sigaction's
    /// flush_sigqueue_mask).
    pub(crate) fn set_action(
        &mut self,
        sig: Signal,
        action: Action,
        nocldwait: bool,
        full_mask: bool,
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
        self.full_mask = if full_mask && new == Disposition::Handler {
            self.full_mask.with(sig)
        } else {
            self.full_mask.without(sig)
        };
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
    pub(crate) fn block(&mut self, sigs: &[Signal]) {
        self.set_blocked(self.blocked.union(SigSet::from_signals(sigs)));
    }

    /// `sigprocmask(SIG_UNBLOCK, sigs)`. Signals pending among them become
    /// deliverable; see `next_deliverable`.
    pub(crate) fn unblock(&mut self, sigs: &[Signal]) {
        self.set_blocked(self.blocked.difference(SigSet::from_signals(sigs)));
    }

    /// `sigprocmask(SIG_SETMASK, mask)`, without SIGKILL and SIGSTOP.
    pub(crate) fn set_blocked(&mut self, mask: SigSet) {
        self.blocked = mask.difference(KERNEL_ONLY);
    }

    // ----- generation ---------------------------------------------------

    /// A signal is sent to this process (`kill`, or the kernel's own
    /// SIGCHLD): `generate_to` the shared queue.
    pub(crate) fn generate(&mut self, sig: Signal) -> Generation {
        self.generate_to(sig, Queue::Shared)
    }

    /// A signal is sent to this process's `queue` (__send_signal_locked).
    /// The private queue is for signals the kernel raises for the thread
    /// itself (send_sig, PIDTYPE_PID: SIGPIPE); see `pending::Queue`.
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
    pub(crate) fn generate_to(&mut self, sig: Signal, queue: Queue) -> Generation {
        // prepare_signal: job-control side effects come first.
        let flush = if is_stop_signal(sig) {
            SigSet::EMPTY.with(Signal::SIGCONT)
        } else if sig == Signal::SIGCONT {
            KERNEL_STOP
        } else {
            SigSet::EMPTY
        };
        // Both queues are flushed (prepare_signal: the shared one, then
        // every thread's own).
        let flushed = self.pending_set().intersection(flush);
        self.discard(flushed);
        let wakes_stopped = sig == Signal::SIGCONT || sig == Signal::SIGKILL;

        let fate = if let Some(by) = self.ignored_at_generation(sig) {
            Fate::Ignored(by)
        } else {
            self.queue_mut(queue).queue(sig)
        };
        Generation {
            signal: sig,
            queue,
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

    /// Removes every pending instance of the signals in `set` from both
    /// queues (flush_sigqueue_mask on the shared queue and on the thread's
    /// own, as do_sigaction and prepare_signal do); returns how many
    /// instances went.
    fn discard(&mut self, set: SigSet) -> u32 {
        self.private
            .discard(set)
            .saturating_add(self.shared.discard(set))
    }

    fn queue_mut(&mut self, queue: Queue) -> &mut SigPending {
        match queue {
            Queue::Private => &mut self.private,
            Queue::Shared => &mut self.shared,
        }
    }

    // ----- delivery -----------------------------------------------------

    /// The signal the kernel would dequeue next, if any (dequeue_signal):
    /// a pending SIGKILL first (see `next_in`), then the thread's private
    /// queue, then the shared one; within each, next_signal's order (a
    /// synchronous signal first, then the lowest number) among the signals
    /// not blocked.
    ///
    /// The caller decides when the process takes signals (on its way back to
    /// user mode) and that a stopped process takes none until woken.
    pub(crate) fn next_deliverable(&self) -> Option<Signal> {
        self.next_in().map(|(_, sig)| sig)
    }

    /// `next_deliverable` and the queue it comes from.
    fn next_in(&self) -> Option<(Queue, Signal)> {
        // A pending SIGKILL goes before everything: complete_signal starts
        // the group exit as soon as it is sent (sig_fatal, and wants_signal
        // is true for SIGKILL even in a stopped task), and get_signal checks
        // for that ("Has this task already been marked for death?") before
        // it dequeues anything. So a stopped process with other signals
        // pending dies of SIGKILL.
        if self.shared.count(Signal::SIGKILL) > 0 {
            return Some((Queue::Shared, Signal::SIGKILL));
        }
        if self.private.count(Signal::SIGKILL) > 0 {
            return Some((Queue::Private, Signal::SIGKILL));
        }
        self.private
            .next(self.blocked)
            .map(|s| (Queue::Private, s))
            .or_else(|| self.shared.next(self.blocked).map(|s| (Queue::Shared, s)))
    }

    /// Dequeues one instance of `sig` (from the private queue if it is
    /// pending there, as dequeue_signal looks there first, else from the
    /// shared one) and says what the process does with it (get_signal). A
    /// handled signal gets a frame (see `Delivery::Handler`). `None`,
    /// changing nothing, when `sig` is not pending or is blocked: the
    /// kernel would not dequeue it.
    #[cfg(test)] // Only the tests call this: the engine takes signals with `deliver_next`.
    pub(crate) fn deliver(&mut self, sig: Signal) -> Option<Delivery> {
        if self.blocked.contains(sig) {
            return None;
        }
        let queue = if self.private.count(sig) > 0 {
            Queue::Private
        } else {
            Queue::Shared
        };
        self.take(queue, sig)
    }

    /// `next_deliverable` then `deliver`: one round of get_signal's loop.
    pub(crate) fn deliver_next(&mut self) -> Option<(Signal, Delivery)> {
        let (queue, sig) = self.next_in()?;
        self.take(queue, sig).map(|d| (sig, d))
    }

    fn take(&mut self, queue: Queue, sig: Signal) -> Option<Delivery> {
        if !self.queue_mut(queue).dequeue(sig) {
            return None;
        }
        Some(match self.disposition(sig) {
            Disposition::Ignore => Delivery::Ignored,
            Disposition::Handler => {
                // signal_delivered -> signal_setup_done: block the
                // handler's sa_mask (empty, or every signal) and, without
                // SA_NODEFER, the signal itself until sigreturn;
                // set_current_blocked leaves SIGKILL and SIGSTOP out.
                self.frames.push(Frame {
                    signal: sig,
                    restore: self.blocked,
                });
                let mask = self.sa_mask(sig);
                self.set_blocked(self.blocked.union(mask).with(sig));
                Delivery::Handler
            }
            Disposition::Default => Delivery::Default {
                action: default_action(sig),
            },
        })
    }

    /// The process is back in user mode with nothing left to deliver: the
    /// newest frame's handler runs and returns, and sigreturn restores the
    /// mask the frame saved (which may make another pending signal
    /// deliverable: the caller asks `deliver_next` again). `None` when no
    /// frame is waiting.
    pub(crate) fn run_handler(&mut self) -> Option<HandlerRun> {
        let frame = self.frames.pop()?;
        self.blocked = frame.restore;
        let runs = self.handled.entry(frame.signal).or_insert(0);
        *runs = runs.saturating_add(1);
        Some(HandlerRun {
            signal: frame.signal,
            runs: *runs,
        })
    }

    /// The process dies: the frames it had set up are never returned to,
    /// so their handlers never run. Returns their signals, oldest first.
    pub(crate) fn abandon_frames(&mut self) -> Vec<Signal> {
        let gone = self.frames.iter().map(|f| f.signal).collect();
        if let Some(first) = self.frames.first() {
            self.blocked = first.restore;
        }
        self.frames.clear();
        gone
    }

    /// The signals whose handler frames are set up but have not run yet,
    /// oldest first (the newest runs first).
    pub fn frames(&self) -> impl Iterator<Item = Signal> + '_ {
        self.frames.iter().map(|f| f.signal)
    }

    // ----- fork, exec, child exit ----------------------------------------

    /// The state of a child this process forks (copy_process): dispositions
    /// and SA_NOCLDWAIT copied (copy_sighand), the mask copied with the task
    /// struct, both pending queues empty (init_sigpending on the task's and
    /// on the new signal_struct's), no frames, handler counts at 0.
    pub(crate) fn fork_child(&self) -> SigState {
        SigState {
            actions: self.actions.clone(),
            nocldwait: self.nocldwait,
            full_mask: self.full_mask,
            blocked: self.blocked,
            private: SigPending::default(),
            shared: SigPending::default(),
            frames: Vec::new(),
            handled: BTreeMap::new(),
        }
    }

    /// What exec does (flush_signal_handlers(t, 0) from begin_new_exec in
    /// fs/exec.c): handlers reset to SIG_DFL, SIG_IGN stays, every sa_flags
    /// cleared (so SA_NOCLDWAIT goes) and every sa_mask emptied; the mask
    /// and both pending queues are kept. A pending signal whose handler was
    /// reset meets its default action when delivered. Handler counts start
    /// again from zero: they count runs of the image's handlers, and the
    /// new image has none.
    pub(crate) fn exec(&mut self) {
        self.actions.retain(|_, d| *d == Disposition::Ignore);
        self.nocldwait = false;
        self.full_mask = SigSet::EMPTY;
        self.handled.clear();
        self.frames.clear();
    }

    /// Whether a child of this process is reaped at exit rather than left a
    /// zombie (do_notify_parent: SIGCHLD at SIG_IGN or with SA_NOCLDWAIT).
    pub(crate) fn child_exit_auto_reaps(&self) -> bool {
        self.disposition(Signal::SIGCHLD) == Disposition::Ignore || self.nocldwait
    }

    /// One of this process's children exited (do_notify_parent, for a child
    /// that is not traced and whose exit signal is SIGCHLD): decides
    /// auto-reaping and generates SIGCHLD here unless SIGCHLD is SIG_IGN.
    pub(crate) fn notify_child_exit(&mut self) -> ChildExitNotice {
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

    /// The sa_mask of `sig`'s action: every signal (sigfillset) for a
    /// handler installed with `mask all`, else none.
    pub fn sa_mask(&self, sig: Signal) -> SigSet {
        if self.full_mask.contains(sig) {
            SIGFILLSET
        } else {
            SigSet::EMPTY
        }
    }

    /// The blocked mask.
    pub fn blocked(&self) -> SigSet {
        self.blocked
    }

    /// Every signal with at least one pending instance in either queue
    /// (what sigpending(2) reports, before it intersects with the mask).
    pub fn pending_set(&self) -> SigSet {
        self.private.set().union(self.shared.set())
    }

    /// Pending instances of `sig`, both queues together: 0, 1 or 2 for a
    /// standard signal (once in each queue).
    pub fn pending_count(&self, sig: Signal) -> u32 {
        self.private
            .count(sig)
            .saturating_add(self.shared.count(sig))
    }

    /// Pending signals with their instance counts (both queues together),
    /// in number order.
    pub fn pending(&self) -> impl Iterator<Item = (Signal, u32)> + '_ {
        self.pending_set()
            .iter()
            .map(|s| (s, self.pending_count(s)))
    }

    /// One pending queue: the thread's private one or the shared one.
    pub fn pending_queue(&self, queue: Queue) -> &SigPending {
        match queue {
            Queue::Private => &self.private,
            Queue::Shared => &self.shared,
        }
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
