//! The story of signals: sigaction and sigprocmask, kill, what became of a
//! signal sent (its fate), its delivery, the handlers that ran, and stops
//! and continuations.

use super::Teller;
use crate::engine::event::{Event, KillTarget};
use crate::scenario::ast::{Action, OpResult};
use crate::sig::Signal;
use crate::signal::{DefaultAction, Delivery, Fate, IgnoredBy, Queue};
use crate::words::{agree, list};

impl Teller<'_> {
    pub(super) fn signals(&self, event: &Event) -> String {
        match event {
            Event::ActionSet {
                pid,
                signal: sig,
                action,
                nocldwait,
                full_mask,
                result,
                discarded,
            } => {
                let me = self.name(*pid);
                let sig = *sig;
                if let Err(e) = result {
                    return format!("{me} tries to change {sig}'s action, but {sig} can be neither caught nor ignored: sigaction fails with {e}.");
                }
                let mut story = match action {
                    Action::Handle => format!("{me} installs a handler for {sig} (with SA_RESTART, as libuv does: a call the handler interrupts is restarted)."),
                    Action::Ignore if sig == Signal::SIGCHLD => format!("{me} sets SIGCHLD to SIG_IGN: its children will be reaped by the kernel as they die, never becoming zombies, and wait will find none."),
                    Action::Ignore => format!("{me} ignores {sig} (SIG_IGN): it will be discarded when sent."),
                    Action::Default => format!("{me} restores {sig}'s default action (SIG_DFL)."),
                };
                if *full_mask && *action == Action::Handle {
                    story.push_str(" Its sa_mask holds every signal (sigfillset, as libuv's handlers have): while it runs, every other signal is blocked, and waits until it returns.");
                }
                if *nocldwait && sig == Signal::SIGCHLD {
                    story.push_str(" With SA_NOCLDWAIT, children are reaped at once when they die; SIGCHLD is still sent.");
                }
                if *discarded > 0 {
                    story.push_str(&format!(" The pending {sig} is discarded with it."));
                }
                story
            }
            Event::MaskChanged {
                pid,
                block,
                signals,
                fixed,
                pending,
                twice,
            } => mask_changed(self.name(*pid), *block, signals, fixed, pending, twice),
            Event::KillCalled {
                pid,
                target,
                signal: sig,
                found,
            } => {
                let me = self.name(*pid);
                let target_name = self.name(*target);
                match found {
                    KillTarget::Reaped => format!("{me} sends {sig} to {target_name}, but {target_name} has been reaped: kill fails with ESRCH."),
                    KillTarget::Zombie => format!("{me} sends {sig} to {target_name}. kill succeeds, but {target_name} is a zombie: it is already dead and takes no signals."),
                    KillTarget::Alive if target == pid => format!("{me} sends {sig} to itself."),
                    KillTarget::Alive => format!("{me} sends {sig} to {target_name}."),
                }
            }
            Event::SignalSent { .. } => self.sent(event),
            Event::SignalDelivered {
                pid,
                signal: sig,
                delivery,
            } => {
                let who = self.name(*pid);
                match delivery {
                    // An interrupted call tells its own part.
                    Delivery::Handler => String::new(),
                    Delivery::Ignored => format!(" {who} ignores {sig}."),
                    Delivery::Default { action } => match action {
                        // The death's event ends the sentence.
                        DefaultAction::Terminate | DefaultAction::CoreDump => format!(" {who} has no handler for {sig}, and its default action is to terminate: {who} dies"),
                        DefaultAction::Stop => String::new(),
                        DefaultAction::Continue | DefaultAction::Ignore => format!(" {sig} reaches {who}, whose default action for it is to do nothing."),
                    },
                }
            }
            Event::Interrupted {
                signal: sig,
                call,
                partial,
                ..
            } => match partial {
                Some(n) => format!(
                    " {sig} interrupts send, which had written {}: send returns {n}.",
                    crate::words::bytes(*n)
                ),
                None => format!(
                    " {sig} interrupts {call}; the call restarts (SA_RESTART) once the handler returns."
                ),
            },
            Event::HeldOff { pid, signal, held } => {
                let n = held.len() as u64;
                format!(
                    " {}'s {signal} handler blocks every signal while it runs (its sa_mask is full), so the pending {} {} until it returns.",
                    self.name(*pid),
                    list(held.iter().copied()),
                    agree(n, "waits", "wait")
                )
            }
            Event::HandlerRan {
                pid,
                signal,
                runs,
            } => format!(
                " {}'s {} handler runs ({}).",
                self.name(*pid),
                signal,
                if *runs == 1 {
                    "for the first time".to_string()
                } else {
                    format!("run {runs}")
                }
            ),
            Event::Stopped {
                pid,
                signal: sig,
                partial,
                unrun,
            } => {
                let who = self.name(*pid);
                let mut story = String::new();
                if let Some(n) = partial {
                    story.push_str(&format!(
                        " {sig} is pending, so {who}'s send, which had written {}, ends and returns {n} (a write that moved bytes returns them when a signal is pending);",
                        crate::words::bytes(*n)
                    ));
                }
                story.push_str(&format!(" {sig} stops {who} until SIGCONT"));
                if unrun.is_empty() {
                    story.push('.');
                } else {
                    let n = unrun.len() as u64;
                    story.push_str(&format!(
                        ", before its {} {} ran: {} set up, and {} once {who} continues.",
                        list(unrun.iter().copied()),
                        agree(n, "handler", "handlers"),
                        agree(n, "the frame is", "their frames are"),
                        agree(n, "the handler runs", "the handlers run"),
                    ));
                }
                story
            }
            Event::Continued {
                pid,
                by,
                returns,
                restarts,
                signals_first,
            } => continued(self.name(*pid), *by, *returns, restarts.as_deref(), *signals_first),
            _ => String::new(),
        }
    }

    /// What became of a signal just generated.
    fn sent(&self, event: &Event) -> String {
        let Event::SignalSent {
            pid,
            signal: sig,
            queue,
            fate,
            flushed,
            blocked,
            pending,
            in_handler,
            stopped,
            wakes_stopped,
        } = event
        else {
            return String::new();
        };
        let (sig, blocked) = (*sig, *blocked);
        let who = self.name(*pid);
        let mut story = String::new();
        if !flushed.is_empty() {
            story.push_str(&format!(
                " The pending {} {} discarded.",
                list(flushed.iter()),
                agree(flushed.len() as u64, "is", "are")
            ));
        }
        let continues = *wakes_stopped && *stopped;
        story.push_str(&match fate {
            // SIGCONT's work is done at generation: what its disposition
            // then does with it is noise.
            Fate::Ignored(IgnoredBy::DefaultIgnore) if continues => String::new(),
            Fate::Queued { instances } if blocked && sig.is_realtime() => format!(
                " {who} blocks {sig}, so it stays pending: {instances} queued (real-time signals queue every instance)."
            ),
            Fate::Queued { .. } if blocked && *pending > 1 => format!(
                " {who} blocks {sig}, so it stays pending: {sig} is now pending twice, once in {who}'s own (thread) queue and once in its process's shared queue. Standard signals coalesce only within one queue."
            ),
            Fate::Queued { .. } if blocked && *in_handler => format!(
                " {who} blocks {sig} until its {sig} handler, whose frame is set up, has run, so it stays pending."
            ),
            Fate::Queued { .. } if blocked => format!(" {who} blocks {sig}, so it stays pending."),
            Fate::Queued { .. } if !continues && *stopped => {
                format!(" {who} is stopped, so {sig} stays pending until it continues.")
            }
            Fate::Queued { .. } => String::new(),
            // Which queue is worth saying only when both are in play.
            Fate::AlreadyPending if *queue == Queue::Shared && *pending == 1 => format!(
                " {sig} is already pending in {who}, so this one is lost: standard signals do not queue."
            ),
            Fate::AlreadyPending => format!(
                " {sig} is already pending in {}, so this one is lost: standard signals coalesce within one queue.",
                match queue {
                    Queue::Private => format!("{who}'s own (thread) queue"),
                    Queue::Shared => format!("{who}'s shared (process) queue"),
                }
            ),
            Fate::Ignored(IgnoredBy::SigIgn) => format!(" {who} ignores {sig} (SIG_IGN), so it is discarded."),
            Fate::Ignored(IgnoredBy::DefaultIgnore) => {
                format!(" {who} gets {sig} but does not catch it, and by default {sig} is ignored.")
            }
        });
        story
    }
}

fn mask_changed(
    me: &str,
    block: bool,
    catchable: &[Signal],
    fixed: &[Signal],
    pending: &[Signal],
    twice: &[Signal],
) -> String {
    let mut story = if block {
        format!(
            "{me} blocks {}: sent to it now, {} wait pending until unblocked.",
            list(catchable.iter().copied()),
            agree(catchable.len() as u64, "it will", "they will")
        )
    } else {
        let mut s = format!("{me} unblocks {}.", list(catchable.iter().copied()));
        if !pending.is_empty() {
            s.push_str(&match (pending, twice) {
                ([one], [_]) => format!(
                    " {one} was pending twice, once in {me}'s own (thread) queue and once in its process's shared queue, so both are delivered as sigprocmask returns."
                ),
                _ => format!(
                    " {} pending{}, so {} delivered as sigprocmask returns.",
                    list(pending.iter().copied()) + agree(pending.len() as u64, " was", " were"),
                    if twice.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({} twice: once in {me}'s own queue, once in the shared one)",
                            list(twice.iter().copied())
                        )
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

/// A stopped process goes on: why, and what becomes of its call.
fn continued(
    who: &str,
    by: Signal,
    returns: Option<OpResult>,
    restarts: Option<&str>,
    signals_first: bool,
) -> String {
    if by == Signal::SIGKILL {
        // It wakes only to die: no call restarts or returns.
        return format!(" {who} was stopped: SIGKILL wakes it to die.");
    }
    let mut story = format!(" {who} was stopped: it continues");
    if let Some(result) = returns {
        story.push_str(&format!(
            ", and the call it was in, which had ended with {result} before the stop, is not started again."
        ));
    } else if let Some(op) = restarts {
        if signals_first {
            story.push_str(&format!(
                ", and its {op} will start again once it has taken its pending signals."
            ));
        } else {
            story.push_str(&format!(", and its {op} starts again."));
        }
    } else {
        story.push('.');
    }
    story
}
