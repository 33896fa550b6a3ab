//! The signal operations of a step (sigaction, sigprocmask, kill) and the
//! moment signals take effect, following the rule in ARCHITECTURE.md:
//! between operations a scenario process is idle in an interruptible
//! sleep, so a signal it does not block is handled in the very step that
//! sent it; a blocked one waits until `unblock`; a process asleep in send,
//! recv or wait is interrupted, runs its handler, and the call restarts
//! (SA_RESTART) — unless it had already moved bytes, then it returns them.
//! A sleeping send that the signal wakes first goes round its own loop,
//! which tests for room before it tests for signals, so it may move more
//! bytes (or all of them) before the signal is taken.
//!
//! Signals pending together are taken in one return to user mode
//! (exit_to_user_mode_loop in kernel/entry/common.c calls
//! arch_do_signal_or_restart until nothing deliverable is left): each
//! handled one gets a frame, and the handlers run only after the loop,
//! newest frame first; a fatal signal met in the loop kills the process
//! before any of them ran, and a stop signal leaves them for SIGCONT.

use super::event::{Event, KillTarget};
use super::ops::Cx;
use crate::errno::Errno;
use crate::ids::Pid;
use crate::proc::{BlockedCall, BlockedOn, ProcState, WaitStatus};
use crate::scenario::ast::{Action, Name, OpResult};
use crate::scenario::error::suggest;
use crate::scenario::ErrorKind;
use crate::sig::Signal;
use crate::signal::{DefaultAction, Delivery, Generation};

impl Cx<'_> {
    pub(super) fn sigaction(
        &mut self,
        sig: Signal,
        action: Action,
        nocldwait: bool,
        full_mask: bool,
    ) {
        let change = self
            .world
            .proc_mut(self.pid)
            .signals
            .set_action(sig, action, nocldwait, full_mask);
        let result = change.map(|_| ());
        self.events.push(Event::ActionSet {
            pid: self.pid,
            signal: sig,
            action,
            nocldwait,
            full_mask,
            result,
            discarded: change.map_or(0, |c| c.discarded),
        });
        self.returned(
            0,
            match result {
                Ok(()) => OpResult::Value(0),
                Err(e) => OpResult::Error(e),
            },
        );
    }

    pub(super) fn sigprocmask(&mut self, signals: &[Signal], block: bool) {
        let (catchable, fixed): (Vec<Signal>, Vec<Signal>) =
            signals.iter().partition(|s| !s.is_uncatchable());
        let signals_state = &mut self.world.proc_mut(self.pid).signals;
        if block {
            signals_state.block(signals);
        } else {
            signals_state.unblock(signals);
        }
        self.returned(0, OpResult::Value(0));
        let state = &self.world.proc(self.pid).signals;
        // What unblocking makes deliverable as sigprocmask returns; a
        // standard signal pending twice is in both queues.
        let pending: Vec<Signal> = if block {
            Vec::new()
        } else {
            catchable
                .iter()
                .copied()
                .filter(|s| state.pending_count(*s) > 0)
                .collect()
        };
        let twice = pending
            .iter()
            .copied()
            .filter(|&s| !s.is_realtime() && state.pending_count(s) == 2)
            .collect();
        self.events.push(Event::MaskChanged {
            pid: self.pid,
            block,
            signals: catchable,
            fixed,
            pending,
            twice,
        });
    }

    pub(super) fn kill(&mut self, target: &Name, sig: Signal) -> Result<(), ErrorKind> {
        let pid = self
            .world
            .pid_of(target.as_str())
            .ok_or_else(|| ErrorKind::UnknownProcess {
                name: target.text.clone(),
                suggestion: suggest(target.as_str(), self.world.names()),
            })?;
        if pid == Pid::INIT {
            // The parser refuses `kill init`; a scenario built another way
            // gets the same error.
            return Err(ErrorKind::NotAScenarioProcess {
                consequence: "a scenario may not signal it".into(),
            });
        }
        let (found, result) = match self.world.proc(pid).state {
            ProcState::Gone { .. } => (KillTarget::Reaped, OpResult::Error(Errno::ESRCH)),
            ProcState::Zombie { .. } => (KillTarget::Zombie, OpResult::Value(0)),
            _ => (KillTarget::Alive, OpResult::Value(0)),
        };
        self.events.push(Event::KillCalled {
            pid: self.pid,
            target: pid,
            signal: sig,
            found,
        });
        self.returned(0, result);
        if found != KillTarget::Alive {
            return Ok(());
        }
        let generation = self.world.proc_mut(pid).signals.generate(sig);
        self.generated(pid, generation);
        if pid != self.pid {
            self.take_signals(pid);
        }
        Ok(())
    }

    /// Record what became of a signal just generated in `pid`, and carry
    /// out what generation itself does (SIGCONT and SIGKILL resume a
    /// stopped process). Delivery is `take_signals`'s job.
    pub(super) fn generated(&mut self, pid: Pid, g: Generation) {
        let sig = g.signal;
        let proc = self.world.proc(pid);
        self.events.push(Event::SignalSent {
            pid,
            signal: sig,
            queue: g.queue,
            fate: g.fate,
            flushed: g.flushed.iter().collect(),
            blocked: proc.signals.blocked().contains(sig),
            pending: proc.signals.pending_count(sig),
            in_handler: proc.signals.frames().any(|f| f == sig),
            stopped: matches!(proc.state, ProcState::Stopped { .. }),
            wakes_stopped: g.wakes_stopped,
        });
        if g.wakes_stopped {
            if let ProcState::Stopped { call, returns, .. } = self.world.proc(pid).state.clone() {
                // The process runs again inside get_signal, which goes on
                // dequeuing; the call it was stopped in (interrupted with
                // -ERESTARTSYS) starts again only once nothing is left to
                // take (`take_signals`). SIGKILL wakes it only to die: the
                // call never runs again.
                let restarts = call.as_ref().map(|c| c.on.op().to_string());
                self.world.proc_mut(pid).state = ProcState::Running;
                if let Some(call) = call.filter(|_| sig != Signal::SIGKILL) {
                    self.restarts.insert(pid, call);
                }
                let signals = &self.world.proc(pid).signals;
                let signals_first =
                    signals.next_deliverable().is_some() || signals.frames().next().is_some();
                self.events.push(Event::Continued {
                    pid,
                    by: sig,
                    returns,
                    restarts,
                    signals_first,
                });
                if sig == Signal::SIGKILL {
                    // It wakes only to die: no call restarts or returns.
                    return;
                }
                if let Some(result) = returns {
                    // The call had ended before the stop: it returns now,
                    // and SIGCONT restarts nothing.
                    self.wake(pid, result);
                }
                if sig == Signal::SIGCONT {
                    self.notify_parent_stop_or_continue(pid);
                }
            }
        }
    }

    /// Deliver every signal `pid` can take now, in the kernel's order. A
    /// sleeping call that can complete does so first.
    ///
    /// This is one return to user mode (exit_to_user_mode_loop): get_signal
    /// is asked again and again while something is deliverable. A handled
    /// signal gets a frame and is blocked until its handler returns
    /// (signal_delivered); only when nothing is left does the process reach
    /// user mode, where the newest frame's handler runs; its sigreturn
    /// restores the mask, which may make more deliverable, and so on. A
    /// fatal signal met first kills the process with its handlers unrun; a
    /// stop signal stops it with them waiting.
    pub(super) fn take_signals(&mut self, pid: Pid) {
        loop {
            let state = self.world.proc(pid).state.clone();
            match state {
                ProcState::Zombie { .. } | ProcState::Gone { .. } | ProcState::Stopped { .. } => {
                    return
                }
                ProcState::Blocked(_) => {
                    if self.try_complete(pid) {
                        continue;
                    }
                    // A signal it can take wakes it (signal_wake_up), and
                    // the call's own loop runs before it looks at the
                    // signal: a send may move more bytes first.
                    let waking = self.world.proc(pid).signals.next_deliverable();
                    if waking.is_some_and(|sig| self.send_woken_by_signal(pid, sig)) {
                        continue;
                    }
                }
                ProcState::Running => {}
            }
            // (Looked at before `proc_mut`, which copies a process shared
            // with the previous step's world.)
            let signals = &self.world.proc(pid).signals;
            let (deliverable, frames) = (
                signals.next_deliverable().is_some(),
                signals.frames().next().is_some(),
            );
            // What could be taken now, to tell which of it a handler's
            // full sa_mask holds off.
            let pending_before = signals.pending_set().difference(signals.blocked());
            let delivered = deliverable
                .then(|| self.world.proc_mut(pid).signals.deliver_next())
                .flatten();
            let Some((sig, delivery)) = delivered else {
                // Back in user mode: the newest frame's handler runs; with
                // none left, a call interrupted by a stop starts again.
                let ran = frames
                    .then(|| self.world.proc_mut(pid).signals.run_handler())
                    .flatten();
                match ran {
                    Some(run) => {
                        self.events.push(Event::HandlerRan {
                            pid,
                            signal: run.signal,
                            runs: run.runs,
                        });
                        continue;
                    }
                    None => match self.restarts.remove(&pid) {
                        Some(call) => {
                            // It starts again from the top, and sleeps
                            // again (at the back of its queue) unless that
                            // first try goes through.
                            self.world.proc_mut(pid).state = ProcState::Blocked(BlockedCall {
                                queued: self.world.tick(),
                                ..call
                            });
                            self.restarted(pid);
                            continue;
                        }
                        None => return,
                    },
                }
            };
            self.events.push(Event::SignalDelivered {
                pid,
                signal: sig,
                delivery,
            });
            match delivery {
                Delivery::Handler => {
                    if let ProcState::Blocked(call) = state {
                        self.interrupted(pid, &call, sig);
                    }
                    self.held_off(pid, sig, pending_before);
                }
                Delivery::Ignored => {}
                Delivery::Default { action } => match action {
                    DefaultAction::Terminate | DefaultAction::CoreDump => {
                        // It dies before its pending handlers ran: the
                        // kernel had set up their frames, but the process
                        // never returns to user mode to run them.
                        let unrun: Vec<Signal> = self.world.proc(pid).signals.frames().collect();
                        if !unrun.is_empty() {
                            self.world.proc_mut(pid).signals.abandon_frames();
                        }
                        self.forget_unseen_return(pid);
                        self.die(pid, WaitStatus::signaled(sig), None, unrun);
                        return;
                    }
                    DefaultAction::Stop => {
                        self.stop(pid, sig, state);
                        return;
                    }
                    DefaultAction::Continue | DefaultAction::Ignore => {}
                },
            }
        }
    }

    /// The frame of `sig`'s handler was just set up: if its sa_mask is
    /// full, the signals that were pending and deliverable (`could`, `sig`
    /// aside) are now blocked until it returns, and wait; a fatal one
    /// kills the process only after the handler ran.
    fn held_off(&mut self, pid: Pid, sig: Signal, could: crate::signal::SigSet) {
        let signals = &self.world.proc(pid).signals;
        if signals.sa_mask(sig).is_empty() {
            return;
        }
        let held: Vec<Signal> = could
            .without(sig)
            .iter()
            .filter(|&s| signals.blocked().contains(s) && signals.pending_count(s) > 0)
            .collect();
        if !held.is_empty() {
            self.events.push(Event::HeldOff {
                pid,
                signal: sig,
                held,
            });
        }
    }

    /// `pid` takes a stop signal (do_signal_stop). A blocked write that had
    /// moved bytes has already ended: a pending signal makes pipe_write and
    /// unix_stream_sendmsg return the partial count, and the stop is taken
    /// on the way out, so SIGCONT restarts nothing. Any other blocked call
    /// was interrupted with -ERESTARTSYS and starts again after SIGCONT.
    fn stop(&mut self, pid: Pid, sig: Signal, state: ProcState) {
        let (call, mut returns, partial) = match state {
            ProcState::Blocked(call) => match call.on {
                BlockedOn::Send { so_far, .. } if so_far > 0 => {
                    (None, Some(OpResult::Value(so_far as i64)), Some(so_far))
                }
                _ => (Some(call), None, None),
            },
            // Continued and stopped again before its call started again.
            _ => (self.restarts.remove(&pid), None, None),
        };
        // A call that completed in this step but has not reached the
        // program yet (it was woken now) returns only after SIGCONT.
        let woken_now = self
            .events
            .iter()
            .any(|e| matches!(e, Event::Woken { pid: p, .. } if *p == pid));
        if returns.is_none() && call.is_none() && woken_now {
            if let Some(last) = &mut self.world.proc_mut(pid).last_op {
                returns = last.result.take();
            }
        }
        let since_step = self.step;
        self.world.proc_mut(pid).state = ProcState::Stopped {
            by: sig,
            since_step,
            call,
            returns,
        };
        // Handlers whose frames are set up run once it continues.
        let unrun = self.world.proc(pid).signals.frames().collect();
        self.events.push(Event::Stopped {
            pid,
            signal: sig,
            partial,
            unrun,
        });
        self.notify_parent_stop_or_continue(pid);
    }

    /// `pid` is killed by a signal delivered on its way back to user space.
    /// A call that completed in this step (issued now, like a write that
    /// raised SIGPIPE or a kill of itself, or woken now) never returns to
    /// the program: the kernel computed its result, but nobody sees it.
    fn forget_unseen_return(&mut self, pid: Pid) {
        let step = self.step;
        let woken_now = self
            .events
            .iter()
            .any(|e| matches!(e, Event::Woken { pid: p, .. } if *p == pid));
        if let Some(last) = &mut self.world.proc_mut(pid).last_op {
            if last.step == step || woken_now {
                last.result = None;
            }
        }
    }

    /// A handled signal interrupted `pid`'s call: with SA_RESTART the call
    /// starts again once the handler returns, except a write that had moved
    /// bytes, which returns them (pipe_write and unix_stream_sendmsg return
    /// the partial count). A send has already gone round its loop by now
    /// (`send_woken_by_signal`): if that moved bytes, it returned and is
    /// not here.
    fn interrupted(&mut self, pid: Pid, call: &BlockedCall, sig: Signal) {
        let partial = match call.on {
            BlockedOn::Send { so_far, .. } if so_far > 0 => {
                self.wake(pid, OpResult::Value(so_far as i64));
                Some(so_far)
            }
            _ => {
                // The restarted call sleeps again, at the back of its queue.
                let tick = self.world.tick();
                if let ProcState::Blocked(c) = &mut self.world.proc_mut(pid).state {
                    c.queued = tick;
                }
                None
            }
        };
        self.events.push(Event::Interrupted {
            pid,
            signal: sig,
            call: call.on.op().into(),
            partial,
        });
    }

    /// A child stopped or continued: the parent gets SIGCHLD
    /// (do_notify_parent_cldstop; the model has no SA_NOCLDSTOP), unless
    /// its SIGCHLD action is SIG_IGN: do_notify_parent_cldstop tests the
    /// handler itself, not sig_ignored, so a parent that blocks SIGCHLD gets
    /// nothing queued either. (It still wakes the parent's wait, which,
    /// without WUNTRACED, goes back to sleep.) The
    /// parent takes it at the end of the step, after the child has taken
    /// its own signals: a continued child sends the notice from get_signal
    /// just before it dequeues what is pending, so a fatal signal waiting
    /// there kills it first, and its exit's SIGCHLD coalesces with this one.
    fn notify_parent_stop_or_continue(&mut self, child: Pid) {
        let parent = self.world.proc(child).parent;
        if parent == Pid::INIT {
            return;
        }
        if self.world.proc(parent).signals.disposition(Signal::SIGCHLD)
            == crate::signal::Disposition::Ignore
        {
            self.events.push(Event::ParentNotTold {
                parent,
                child,
                exit: false,
            });
            return;
        }
        let generation = self
            .world
            .proc_mut(parent)
            .signals
            .generate(Signal::SIGCHLD);
        self.generated(parent, generation);
    }
}
