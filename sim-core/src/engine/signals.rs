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

use super::ops::{Cx, Event};
use crate::errno::Errno;
use crate::ids::Pid;
use crate::proc::{BlockedCall, BlockedOn, ProcState, WaitStatus};
use crate::scenario::ast::{Action, Name, OpResult};
use crate::scenario::error::suggest;
use crate::scenario::ErrorKind;
use crate::sig::Signal;
use crate::signal::{DefaultAction, Delivery, Fate, Generation, IgnoredBy, Queue};
use crate::words::{agree, list};

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
                agree(catchable.len() as u64, "it will", "they will")
            )
        } else {
            let pending: Vec<Signal> = catchable
                .iter()
                .copied()
                .filter(|s| self.world.proc(self.pid).signals.pending_count(*s) > 0)
                .collect();
            let mut s = format!("{me} unblocks {}.", list(catchable.iter().copied()));
            if !pending.is_empty() {
                // A standard signal pending twice is in both queues.
                let twice: Vec<Signal> = pending
                    .iter()
                    .copied()
                    .filter(|&s| {
                        !s.is_realtime() && self.world.proc(self.pid).signals.pending_count(s) == 2
                    })
                    .collect();
                s.push_str(&match (pending.as_slice(), twice.as_slice()) {
                    ([one], [_]) => format!(
                        " {one} was pending twice, once in {me}'s own (thread) queue and once in its process's shared queue, so both are delivered as sigprocmask returns."
                    ),
                    _ => format!(
                        " {} pending{}, so {} delivered as sigprocmask returns.",
                        list(pending.iter().copied())
                            + agree(pending.len() as u64, " was", " were"),
                        if twice.is_empty() {
                            String::new()
                        } else {
                            format!(" ({} twice: once in {me}'s own queue, once in the shared one)", list(twice.iter().copied()))
                        },
                        agree(pending.len() as u64, "it is", "they are")
                    ),
                });
            }
            s
        };
        if !fixed.is_empty() {
            story.push_str(&format!(
                " ({} cannot be blocked: the kernel leaves {} out of the mask.)",
                list(fixed.iter().copied()),
                agree(fixed.len() as u64, "it", "them")
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
            queue: g.queue,
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
                agree(g.flushed.len() as u64, "is", "are")
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
            Fate::Queued { .. } if blocked && self.world.proc(pid).signals.pending_count(sig) > 1 => format!(
                " {who} blocks {sig}, so it stays pending: {sig} is now pending twice, once in {who}'s own (thread) queue and once in its process's shared queue. Standard signals coalesce only within one queue."
            ),
            Fate::Queued { .. } if blocked && self.world.proc(pid).signals.frames().any(|f| f == sig) => format!(
                " {who} blocks {sig} until its {sig} handler, whose frame is set up, has run, so it stays pending."
            ),
            Fate::Queued { .. } if blocked => format!(" {who} blocks {sig}, so it stays pending."),
            Fate::Queued { .. } if !continues && matches!(self.world.proc(pid).state, ProcState::Stopped { .. }) => {
                format!(" {who} is stopped, so {sig} stays pending until it continues.")
            }
            Fate::Queued { .. } => String::new(),
            // Which queue is worth saying only when both are in play.
            Fate::AlreadyPending
                if g.queue == Queue::Shared
                    && self.world.proc(pid).signals.pending_count(sig) == 1 =>
            {
                format!(
                    " {sig} is already pending in {who}, so this one is lost: standard signals do not queue."
                )
            }
            Fate::AlreadyPending => format!(
                " {sig} is already pending in {}, so this one is lost: standard signals coalesce within one queue.",
                match g.queue {
                    Queue::Private => format!("{who}'s own (thread) queue"),
                    Queue::Shared => format!("{who}'s shared (process) queue"),
                }
            ),
            Fate::Ignored(IgnoredBy::SigIgn) => format!(" {who} ignores {sig} (SIG_IGN), so it is discarded."),
            Fate::Ignored(IgnoredBy::DefaultIgnore) => {
                format!(" {who} gets {sig} but does not catch it, and by default {sig} is ignored.")
            }
        });
        if g.wakes_stopped {
            if let ProcState::Stopped { call, returns, .. } = self.world.proc(pid).state.clone() {
                // The process runs again inside get_signal, which goes on
                // dequeuing; the call it was stopped in (interrupted with
                // -ERESTARTSYS) starts again only once nothing is left to
                // take (`take_signals`). SIGKILL wakes it only to die: the
                // call never runs again.
                let restarts = call.as_ref().map(|c| c.on.op());
                self.world.proc_mut(pid).state = ProcState::Running;
                if let Some(call) = call.filter(|_| sig != Signal::SIGKILL) {
                    self.restarts.insert(pid, call);
                }
                self.events.push(Event::Continued { pid });
                if sig == Signal::SIGKILL {
                    // It wakes only to die: no call restarts or returns.
                    story.push_str(&format!(" {who} was stopped: SIGKILL wakes it to die."));
                    return story;
                }
                story.push_str(&format!(" {who} was stopped: it continues"));
                if let Some(result) = returns {
                    // The call had ended before the stop: it returns now,
                    // and SIGCONT restarts nothing.
                    self.wake(pid, result);
                    story.push_str(&format!(
                        ", and the call it was in, which had ended with {result} before the stop, is not started again."
                    ));
                } else if let Some(op) = restarts {
                    let signals = &self.world.proc(pid).signals;
                    if signals.next_deliverable().is_some() || signals.frames().next().is_some() {
                        story.push_str(&format!(
                            ", and its {op} will start again once it has taken its pending signals."
                        ));
                    } else {
                        story.push_str(&format!(", and its {op} starts again."));
                    }
                } else {
                    story.push('.');
                }
                if sig == Signal::SIGCONT {
                    story.push_str(&self.notify_parent_stop_or_continue(pid));
                }
            }
        }
        story
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
                    // A signal it can take wakes it (signal_wake_up), and
                    // the call's own loop runs before it looks at the
                    // signal: a send may move more bytes first.
                    let waking = self.world.proc(pid).signals.next_deliverable();
                    if let Some(text) = waking.and_then(|sig| self.send_woken_by_signal(pid, sig)) {
                        story.push_str(&text);
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
                        story.push_str(&format!(
                            " {}'s {} handler runs ({}).",
                            self.name(pid),
                            run.signal,
                            if run.runs == 1 {
                                "for the first time".to_string()
                            } else {
                                format!("run {}", run.runs)
                            }
                        ));
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
                            if let Some(text) = self.restarted(pid) {
                                story.push_str(&text);
                            }
                            continue;
                        }
                        None => return story,
                    },
                }
            };
            self.events.push(Event::SignalDelivered {
                pid,
                signal: sig,
                delivery,
            });
            let who = self.name(pid);
            match delivery {
                Delivery::Handler => {
                    if let ProcState::Blocked(call) = state {
                        story.push_str(&self.interrupted(pid, &call, sig));
                    }
                }
                Delivery::Ignored => story.push_str(&format!(" {who} ignores {sig}.")),
                Delivery::Default { action } => {
                    match action {
                        DefaultAction::Terminate | DefaultAction::CoreDump => {
                            story.push_str(&format!(" {who} has no handler for {sig}, and its default action is to terminate: {who} dies"));
                            story.push_str(&self.unrun_handlers(pid, "before"));
                            self.forget_unseen_return(pid);
                            story.push_str(&self.die(pid, WaitStatus::signaled(sig)));
                            return story;
                        }
                        DefaultAction::Stop => {
                            story.push_str(&self.stop(pid, sig, state));
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

    /// The end of a sentence about `pid`'s death or stop: the handlers whose
    /// frames were set up in this return to user mode but have not run.
    /// A death abandons them (`when` = "before"); a stop leaves them for
    /// SIGCONT.
    fn unrun_handlers(&mut self, pid: Pid, when: &str) -> String {
        let frames: Vec<Signal> = self.world.proc(pid).signals.frames().collect();
        if frames.is_empty() {
            return ".".into();
        }
        let n = frames.len() as u64;
        let handlers = format!(
            "{} {}",
            list(frames.iter().copied()),
            agree(n, "handler", "handlers")
        );
        if when == "before" {
            self.world.proc_mut(pid).signals.abandon_frames();
            format!(
                " before its {handlers} ran: the kernel had set up {}, but the process never returned to user mode to run {}.",
                agree(n, "the frame", "their frames"),
                agree(n, "it", "them")
            )
        } else {
            format!(
                ", before its {handlers} ran: {} set up, and {} once {} continues.",
                agree(n, "the frame is", "their frames are"),
                agree(n, "the handler runs", "the handlers run"),
                self.name(pid)
            )
        }
    }

    /// `pid` takes a stop signal (do_signal_stop). A blocked write that had
    /// moved bytes has already ended: a pending signal makes pipe_write and
    /// unix_stream_sendmsg return the partial count, and the stop is taken
    /// on the way out, so SIGCONT restarts nothing. Any other blocked call
    /// was interrupted with -ERESTARTSYS and starts again after SIGCONT.
    fn stop(&mut self, pid: Pid, sig: Signal, state: ProcState) -> String {
        let who = self.name(pid);
        let mut story = String::new();
        let (call, mut returns) = match state {
            ProcState::Blocked(call) => match call.on {
                BlockedOn::Send { so_far, .. } if so_far > 0 => {
                    story.push_str(&format!(
                        " {sig} is pending, so {who}'s send, which had written {}, ends and returns {so_far} (a write that moved bytes returns them when a signal is pending);",
                        crate::words::bytes(so_far)
                    ));
                    (None, Some(OpResult::Value(so_far as i64)))
                }
                _ => (Some(call), None),
            },
            // Continued and stopped again before its call started again.
            _ => (self.restarts.remove(&pid), None),
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
        self.events.push(Event::Stopped { pid, signal: sig });
        story.push_str(&format!(" {sig} stops {who} until SIGCONT"));
        story.push_str(&self.unrun_handlers(pid, "while stopped"));
        story.push_str(&self.notify_parent_stop_or_continue(pid));
        story
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
    fn interrupted(&mut self, pid: Pid, call: &BlockedCall, sig: Signal) -> String {
        match call.on {
            BlockedOn::Send { so_far, .. } if so_far > 0 => {
                self.wake(pid, OpResult::Value(so_far as i64));
                format!(
                    " {sig} interrupts send, which had written {}: send returns {so_far}.",
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
                    " {sig} interrupts {}; the call restarts (SA_RESTART) once the handler returns.",
                    on.op()
                )
            }
        }
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
    fn notify_parent_stop_or_continue(&mut self, child: Pid) -> String {
        let parent = self.world.proc(child).parent;
        if parent == Pid::INIT {
            return String::new();
        }
        if self.world.proc(parent).signals.disposition(Signal::SIGCHLD)
            == crate::signal::Disposition::Ignore
        {
            return format!(
                " {} ignores SIGCHLD (SIG_IGN), so it is not told.",
                self.name(parent)
            );
        }
        let generation = self
            .world
            .proc_mut(parent)
            .signals
            .generate(Signal::SIGCHLD);
        self.generated(parent, generation)
    }
}
