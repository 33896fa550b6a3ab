//! The signal operations of a step (sigaction, sigprocmask, kill) and the
//! moment signals take effect, following the rule in ARCHITECTURE.md:
//! between operations a scenario process is idle in an interruptible
//! sleep, so a signal it does not block is handled in the very step that
//! sent it; a blocked one waits until `unblock`; a process asleep in send,
//! recv or wait is interrupted, runs its handler, and the call restarts
//! (SA_RESTART) — unless it had already moved bytes, then it returns them.

use super::ops::{Cx, Event};
use crate::errno::Errno;
use crate::ids::Pid;
use crate::proc::{BlockedCall, BlockedOn, ProcState, WaitStatus};
use crate::scenario::ast::{Action, Name, OpResult};
use crate::scenario::error::suggest;
use crate::scenario::ErrorKind;
use crate::sig::Signal;
use crate::signal::{DefaultAction, Delivery, Fate, Generation, IgnoredBy};

fn list(signals: impl IntoIterator<Item = Signal>) -> String {
    let names: Vec<String> = signals.into_iter().map(|s| s.to_string()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Cx<'_> {
    pub(super) fn sigaction(&mut self, sig: Signal, action: Action, nocldwait: bool) -> String {
        let me = self.me();
        match self
            .world
            .proc_mut(self.pid)
            .signals
            .set_action(sig, action, nocldwait)
        {
            Err(e) => {
                self.returned(0, OpResult::Error(e));
                format!("{me} tries to change {sig}'s action, but {sig} can be neither caught nor ignored: sigaction fails with {e}.")
            }
            Ok(change) => {
                self.returned(0, OpResult::Value(0));
                let mut story = match action {
                    Action::Handle => format!("{me} installs a handler for {sig} (with SA_RESTART, as libuv does: a call the handler interrupts is restarted)."),
                    Action::Ignore if sig == Signal::SIGCHLD => format!("{me} sets SIGCHLD to SIG_IGN: its children will be reaped by the kernel as they die, never becoming zombies, and wait will find none."),
                    Action::Ignore => format!("{me} ignores {sig} (SIG_IGN): it will be discarded when sent."),
                    Action::Default => format!("{me} restores {sig}'s default action (SIG_DFL)."),
                };
                if nocldwait && sig == Signal::SIGCHLD {
                    story.push_str(" With SA_NOCLDWAIT, children are reaped at once when they die; SIGCHLD is still sent.");
                }
                if change.discarded > 0 {
                    story.push_str(&format!(" The pending {sig} is discarded with it."));
                }
                story
            }
        }
    }

    pub(super) fn sigprocmask(&mut self, signals: &[Signal], block: bool) -> String {
        let me = self.me();
        let (catchable, fixed): (Vec<Signal>, Vec<Signal>) =
            signals.iter().partition(|s| !s.is_uncatchable());
        let signals_state = &mut self.world.proc_mut(self.pid).signals;
        if block {
            signals_state.block(signals);
        } else {
            signals_state.unblock(signals);
        }
        self.returned(0, OpResult::Value(0));
        let mut story = if block {
            format!(
                "{me} blocks {}: sent to it now, {} wait pending until unblocked.",
                list(catchable.iter().copied()),
                if catchable.len() == 1 {
                    "it will"
                } else {
                    "they will"
                }
            )
        } else {
            let pending: Vec<Signal> = catchable
                .iter()
                .copied()
                .filter(|s| self.world.proc(self.pid).signals.pending_count(*s) > 0)
                .collect();
            let mut s = format!("{me} unblocks {}.", list(catchable.iter().copied()));
            if !pending.is_empty() {
                s.push_str(&format!(
                    " {} pending, so {} delivered as sigprocmask returns.",
                    list(pending.iter().copied())
                        + if pending.len() == 1 { " was" } else { " were" },
                    if pending.len() == 1 {
                        "it is"
                    } else {
                        "they are"
                    }
                ));
            }
            s
        };
        if !fixed.is_empty() {
            story.push_str(&format!(
                " ({} cannot be blocked: the kernel leaves {} out of the mask.)",
                list(fixed.iter().copied()),
                if fixed.len() == 1 { "it" } else { "them" }
            ));
        }
        story
    }

    pub(super) fn kill(&mut self, target: &Name, sig: Signal) -> Result<String, ErrorKind> {
        let me = self.me();
        let pid = self
            .world
            .pid_of(target.as_str())
            .ok_or_else(|| ErrorKind::UnknownProcess {
                name: target.text.clone(),
                suggestion: suggest(target.as_str(), self.world.names()),
            })?;
        if pid == Pid::INIT {
            return Err(ErrorKind::WrongKind {
                name: target.text.clone(),
                expected: "scenario process".into(),
                actual: "the machine's init, which a scenario may not signal".into(),
            });
        }
        match self.world.proc(pid).state {
            ProcState::Gone { .. } => {
                self.returned(0, OpResult::Error(Errno::ESRCH));
                return Ok(format!("{me} sends {sig} to {target}, but {target} has been reaped: kill fails with ESRCH."));
            }
            ProcState::Zombie { .. } => {
                self.returned(0, OpResult::Value(0));
                return Ok(format!("{me} sends {sig} to {target}. kill succeeds, but {target} is a zombie: it is already dead and takes no signals."));
            }
            _ => {}
        }
        self.returned(0, OpResult::Value(0));
        let generation = self.world.proc_mut(pid).signals.generate(sig);
        let mut story = if pid == self.pid {
            format!("{me} sends {sig} to itself.")
        } else {
            format!("{me} sends {sig} to {target}.")
        };
        story.push_str(&self.generated(pid, generation));
        if pid != self.pid {
            story.push_str(&self.take_signals(pid));
        }
        Ok(story)
    }

    /// Tell what became of a signal just generated in `pid`, and carry out
    /// what generation itself does (SIGCONT and SIGKILL resume a stopped
    /// process). Delivery is `take_signals`'s job.
    pub(super) fn generated(&mut self, pid: Pid, g: Generation) -> String {
        self.events.push(Event::SignalSent {
            pid,
            signal: g.signal,
            fate: g.fate,
        });
        let who = self.name(pid);
        let sig = g.signal;
        let blocked = self.world.proc(pid).signals.blocked().contains(sig);
        let mut story = String::new();
        if !g.flushed.is_empty() {
            story.push_str(&format!(
                " The pending {} {} discarded.",
                list(g.flushed.iter()),
                if g.flushed.len() == 1 { "is" } else { "are" }
            ));
        }
        let continues =
            g.wakes_stopped && matches!(self.world.proc(pid).state, ProcState::Stopped { .. });
        story.push_str(&match g.fate {
            // SIGCONT's work is done at generation: what its disposition
            // then does with it is noise.
            Fate::Ignored(IgnoredBy::DefaultIgnore) if continues => String::new(),
            Fate::Queued { instances } if blocked && sig.is_realtime() => format!(
                " {who} blocks {sig}, so it stays pending: {instances} queued (real-time signals queue every instance)."
            ),
            Fate::Queued { .. } if blocked => format!(" {who} blocks {sig}, so it stays pending."),
            Fate::Queued { .. } => String::new(),
            Fate::AlreadyPending => format!(
                " {sig} is already pending in {who}, so this one is lost: standard signals do not queue."
            ),
            Fate::Ignored(IgnoredBy::SigIgn) => format!(" {who} ignores {sig} (SIG_IGN), so it is discarded."),
            Fate::Ignored(IgnoredBy::DefaultIgnore) => {
                format!(" {who} gets {sig} but does not catch it, and by default {sig} is ignored.")
            }
        });
        if g.wakes_stopped {
            if let ProcState::Stopped { call, .. } = self.world.proc(pid).state.clone() {
                // The call restarts (get_signal stopped it with
                // -ERESTARTSYS) and sleeps again, at the back of its queue.
                self.world.proc_mut(pid).state = match call {
                    Some(call) => ProcState::Blocked(BlockedCall {
                        queued: self.world.tick(),
                        ..call
                    }),
                    None => ProcState::Running,
                };
                self.events.push(Event::Continued { pid });
                story.push_str(&format!(" {who} was stopped: it continues."));
                if sig == Signal::SIGCONT {
                    story.push_str(&self.notify_parent_stop_or_continue(pid));
                }
            }
        }
        story
    }

    /// Deliver every signal `pid` can take now, in the kernel's order. A
    /// sleeping call that can complete does so first.
    pub(super) fn take_signals(&mut self, pid: Pid) -> String {
        let mut story = String::new();
        loop {
            let state = self.world.proc(pid).state.clone();
            match state {
                ProcState::Zombie { .. } | ProcState::Gone { .. } | ProcState::Stopped { .. } => {
                    return story
                }
                ProcState::Blocked(_) => {
                    if let Some(text) = self.try_complete(pid) {
                        story.push_str(&text);
                        continue;
                    }
                }
                ProcState::Running => {}
            }
            let Some((sig, delivery)) = self.world.proc_mut(pid).signals.deliver_next() else {
                return story;
            };
            self.events.push(Event::SignalDelivered {
                pid,
                signal: sig,
                delivery,
            });
            let who = self.name(pid);
            match delivery {
                Delivery::Handler { runs } => {
                    story.push_str(&format!(
                        " {who}'s {sig} handler runs ({}).",
                        if runs == 1 {
                            "for the first time".to_string()
                        } else {
                            format!("run {runs}")
                        }
                    ));
                    if let ProcState::Blocked(call) = state {
                        story.push_str(&self.interrupted(pid, &call));
                    }
                }
                Delivery::Ignored => story.push_str(&format!(" {who} ignores {sig}.")),
                Delivery::Default { action } => {
                    match action {
                        DefaultAction::Terminate | DefaultAction::CoreDump => {
                            story.push_str(&format!(" {who} has no handler for {sig}, and its default action is to terminate: {who} dies."));
                            self.forget_unseen_return(pid);
                            story.push_str(&self.die(pid, WaitStatus::signaled(sig)));
                            return story;
                        }
                        DefaultAction::Stop => {
                            let call = match state {
                                ProcState::Blocked(call) => Some(call),
                                _ => None,
                            };
                            let since_step = self.step;
                            self.world.proc_mut(pid).state = ProcState::Stopped {
                                by: sig,
                                since_step,
                                call,
                            };
                            self.events.push(Event::Stopped { pid, signal: sig });
                            story.push_str(&format!(" {sig} stops {who} until SIGCONT."));
                            story.push_str(&self.notify_parent_stop_or_continue(pid));
                            return story;
                        }
                        DefaultAction::Continue | DefaultAction::Ignore => {
                            story.push_str(&format!(" {sig} reaches {who}, whose default action for it is to do nothing."));
                        }
                    }
                }
            }
        }
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

    /// A handler ran while `pid` slept in a call: with SA_RESTART the call
    /// starts again, except a write that had moved bytes, which returns
    /// them (pipe_write and unix_stream_sendmsg return the partial count).
    fn interrupted(&mut self, pid: Pid, call: &BlockedCall) -> String {
        match call.on {
            BlockedOn::Send { so_far, .. } if so_far > 0 => {
                self.wake(pid, OpResult::Value(so_far as i64));
                format!(
                    " It interrupted send, which had written {}: send returns {so_far}.",
                    crate::words::bytes(so_far)
                )
            }
            ref on => {
                // The restarted call sleeps again, at the back of its queue.
                let tick = self.world.tick();
                if let ProcState::Blocked(c) = &mut self.world.proc_mut(pid).state {
                    c.queued = tick;
                }
                format!(
                    " It interrupted {}; the call restarts (SA_RESTART).",
                    on.op()
                )
            }
        }
    }

    /// A child stopped or continued: the parent gets SIGCHLD
    /// (do_notify_parent_cldstop; the model has no SA_NOCLDSTOP). The
    /// parent takes it at the end of the step, after the child has taken
    /// its own signals: a continued child sends the notice from get_signal
    /// just before it dequeues what is pending, so a fatal signal waiting
    /// there kills it first, and its exit's SIGCHLD coalesces with this one.
    fn notify_parent_stop_or_continue(&mut self, child: Pid) -> String {
        let parent = self.world.proc(child).parent;
        if parent == Pid::INIT {
            return String::new();
        }
        let generation = self
            .world
            .proc_mut(parent)
            .signals
            .generate(Signal::SIGCHLD);
        self.generated(parent, generation)
    }
}
