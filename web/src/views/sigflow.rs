//! The step's signals as the Signals view shows them, worked out from the
//! step's events: flights from sender to receiver, each with its fates in
//! the order they happened (queued, coalesced, ignored, delivered, handler
//! ran, killed, stopped, reaped at once). The per-process signal state is
//! `sigcards`.

use sim_core::engine::{Event, KillTarget};
use sim_core::ids::Pid;
use sim_core::sig::Signal;
use sim_core::signal::{DefaultAction, Delivery, Fate, IgnoredBy, Queue};
use sim_core::world::World;

/// Flights drawn at most for one step.
pub const MAX_FLIGHTS: usize = 12;

/// What became of a signal, as a mark and words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FateKind {
    Queued,
    Coalesced,
    Ignored,
    Discarded,
    Delivered,
    Handler,
    Interrupted,
    Killed,
    Stopped,
    Continued,
    Nothing,
    Failed,
    Reaped,
}

impl FateKind {
    /// The CSS class suffix.
    pub fn class(self) -> &'static str {
        match self {
            FateKind::Queued => "queued",
            FateKind::Coalesced => "coalesced",
            FateKind::Ignored => "ignored",
            FateKind::Discarded => "discarded",
            FateKind::Delivered => "delivered",
            FateKind::Handler => "handler",
            FateKind::Interrupted => "interrupted",
            FateKind::Killed => "killed",
            FateKind::Stopped => "stopped",
            FateKind::Continued => "continued",
            FateKind::Nothing => "nothing",
            FateKind::Failed => "failed",
            FateKind::Reaped => "reaped",
        }
    }

    /// A one-glyph mark, so that no fate is told by colour alone.
    pub fn mark(self) -> &'static str {
        match self {
            FateKind::Queued => "+",
            FateKind::Coalesced => "=",
            FateKind::Ignored | FateKind::Discarded | FateKind::Nothing => "∅",
            FateKind::Delivered => "↓",
            FateKind::Handler => "ƒ",
            FateKind::Interrupted => "↯",
            FateKind::Killed => "✕",
            FateKind::Stopped => "■",
            FateKind::Continued => "▶",
            FateKind::Failed => "!",
            FateKind::Reaped => "◌",
        }
    }
}

/// One thing that happened to a signal in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FateLine {
    pub kind: FateKind,
    pub words: String,
}

/// A signal of this step, from its sender to its receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flight {
    /// Who sent it; None when it was already pending (delivered now).
    pub from: Option<String>,
    /// How it came: "kill", "child exited", "send with no reader".
    pub via: String,
    pub to: String,
    pub signal: Signal,
    pub fates: Vec<FateLine>,
    /// A delivery of it was seen (a later one is another instance).
    pub delivered: bool,
}

impl Flight {
    /// The flight in one sentence, for a screen reader.
    pub fn sentence(&self) -> String {
        let fates: Vec<&str> = self.fates.iter().map(|f| f.words.as_str()).collect();
        let head = match &self.from {
            Some(from) if *from == self.to => {
                format!("{} to itself: {} ({})", self.to, self.signal, self.via)
            }
            Some(from) => format!("{from} to {}: {} ({})", self.to, self.signal, self.via),
            None => format!("{} for {} ({})", self.signal, self.to, self.via),
        };
        if fates.is_empty() {
            format!("{head}.")
        } else {
            format!("{head}: {}.", fates.join("; "))
        }
    }
}

/// The step's signals as flights, at most `MAX_FLIGHTS`, and how many
/// more there were. `now` names the processes.
pub fn flights(now: &World, events: &[Event]) -> (Vec<Flight>, usize) {
    let name = |pid: Pid| now.name_of(pid).to_string();
    let mut out: Vec<Flight> = Vec::new();
    // The last child that exited, stopped or continued: the sender of the
    // SIGCHLD that follows.
    let mut subject: Option<(Pid, &'static str)> = None;
    // The flight a later event about (receiver, signal) belongs to.
    let find = |out: &[Flight], to: &str, sig: Signal| {
        out.iter().rposition(|f| f.to == to && f.signal == sig)
    };
    for event in events {
        match event {
            Event::Exited { pid, .. } => subject = Some((*pid, "child exited")),
            Event::Stopped { pid, signal, .. } => {
                let to = name(*pid);
                let fate = FateLine {
                    kind: FateKind::Stopped,
                    words: format!("{to} stops until SIGCONT"),
                };
                let at = find(&out, &to, *signal);
                attach(&mut out, at, &to, *signal, fate);
                subject = Some((*pid, "child stopped"));
            }
            Event::Continued { pid, by, .. } => {
                let to = name(*pid);
                let fate = FateLine {
                    kind: FateKind::Continued,
                    words: if *by == Signal::SIGKILL {
                        format!("{to} wakes from its stop, to die")
                    } else {
                        format!("{to} continues")
                    },
                };
                let at = find(&out, &to, *by);
                attach(&mut out, at, &to, *by, fate);
                subject = Some((*pid, "child continued"));
            }
            Event::KillCalled {
                pid,
                target,
                signal,
                found,
            } => {
                let to = name(*target);
                let fates = match found {
                    KillTarget::Alive => Vec::new(),
                    KillTarget::Zombie => vec![FateLine {
                        kind: FateKind::Nothing,
                        words: format!("{to} is a zombie: kill succeeds, nothing happens"),
                    }],
                    KillTarget::Reaped => vec![FateLine {
                        kind: FateKind::Failed,
                        words: format!("{to} was reaped: kill fails with ESRCH"),
                    }],
                };
                out.push(Flight {
                    from: Some(name(*pid)),
                    via: "kill".into(),
                    to,
                    signal: *signal,
                    fates,
                    delivered: false,
                });
            }
            Event::SignalSent {
                pid,
                signal,
                queue,
                fate,
                flushed,
                blocked,
                stopped,
                wakes_stopped,
                ..
            } => {
                let to = name(*pid);
                // A kill's flight waits for this; anything else is new.
                let open = out.last().is_some_and(|f| {
                    f.via == "kill" && f.to == to && f.signal == *signal && f.fates.is_empty()
                });
                if !open {
                    let (from, via) = if *signal == Signal::SIGCHLD {
                        match subject {
                            Some((child, via)) => (Some(name(child)), via.to_string()),
                            None => (None, "sent by the kernel".to_string()),
                        }
                    } else if *queue == Queue::Private {
                        (
                            Some(to.clone()),
                            "by the kernel, for its own write".to_string(),
                        )
                    } else {
                        (None, "sent by the kernel".to_string())
                    };
                    out.push(Flight {
                        from,
                        via,
                        to: to.clone(),
                        signal: *signal,
                        fates: Vec::new(),
                        delivered: false,
                    });
                }
                let flight = out.last_mut().expect("a flight was just found or made");
                if !flushed.is_empty() {
                    let names: Vec<String> = flushed.iter().map(|s| s.to_string()).collect();
                    flight.fates.push(FateLine {
                        kind: FateKind::Discarded,
                        words: format!("discards the pending {}", sim_core::words::list(names)),
                    });
                }
                let q = match queue {
                    Queue::Private => "the thread's own queue",
                    Queue::Shared => "the process's shared queue",
                };
                flight.fates.push(match fate {
                    Fate::Queued { instances } => FateLine {
                        kind: FateKind::Queued,
                        words: {
                            let mut w = format!("queued in {q}");
                            if *instances > 1 {
                                w.push_str(&format!(
                                    " ({instances} instances: real-time signals queue)"
                                ));
                            }
                            if *blocked {
                                w.push_str(&format!(": {to} blocks it, so it stays pending"));
                            } else if *stopped && !*wakes_stopped {
                                w.push_str(&format!(": {to} is stopped, so it waits"));
                            }
                            w
                        },
                    },
                    Fate::AlreadyPending => FateLine {
                        kind: FateKind::Coalesced,
                        words: format!(
                            "already pending in {q}: this one is lost (standard signals coalesce)"
                        ),
                    },
                    Fate::Ignored(IgnoredBy::SigIgn) => FateLine {
                        kind: FateKind::Ignored,
                        words: format!("discarded: {to} ignores it (SIG_IGN)"),
                    },
                    // SIGCONT's work is done as it is sent: that its
                    // default action then ignores it is noise.
                    Fate::Ignored(IgnoredBy::DefaultIgnore) if *stopped && *wakes_stopped => {
                        continue
                    }
                    Fate::Ignored(IgnoredBy::DefaultIgnore) => FateLine {
                        kind: FateKind::Ignored,
                        words: "discarded: its default action is to ignore it".to_string(),
                    },
                });
            }
            Event::ParentNotTold {
                parent,
                child,
                exit,
            } => out.push(Flight {
                from: Some(name(*child)),
                via: if *exit {
                    "child exited"
                } else {
                    "child stopped or continued"
                }
                .into(),
                to: name(*parent),
                signal: Signal::SIGCHLD,
                fates: vec![FateLine {
                    kind: FateKind::Nothing,
                    words: "never sent: the parent sets SIGCHLD to SIG_IGN".into(),
                }],
                delivered: false,
            }),
            Event::SignalDelivered {
                pid,
                signal,
                delivery,
            } => {
                let to = name(*pid);
                let fate = match delivery {
                    Delivery::Handler => FateLine {
                        kind: FateKind::Delivered,
                        words: "delivered: the handler's frame is set up".into(),
                    },
                    Delivery::Ignored => FateLine {
                        kind: FateKind::Ignored,
                        words: "delivered and ignored".into(),
                    },
                    Delivery::Default { action } => match action {
                        DefaultAction::Terminate | DefaultAction::CoreDump => FateLine {
                            kind: FateKind::Killed,
                            words: format!("delivered: no handler, the default action kills {to}"),
                        },
                        // The stop's own event says it.
                        DefaultAction::Stop => continue,
                        DefaultAction::Continue | DefaultAction::Ignore => FateLine {
                            kind: FateKind::Nothing,
                            words: "delivered: the default action does nothing".into(),
                        },
                    },
                };
                // A signal sent this step and not yet delivered, else one
                // pending from before.
                let at = out.iter().rposition(|f| {
                    f.to == to
                        && f.signal == *signal
                        && !f.delivered
                        && !f.fates.iter().any(|l| {
                            matches!(
                                l.kind,
                                FateKind::Ignored
                                    | FateKind::Nothing
                                    | FateKind::Failed
                                    | FateKind::Handler
                            )
                        })
                });
                let i = attach(&mut out, at, &to, *signal, fate);
                out[i].delivered = true;
            }
            Event::Interrupted {
                pid,
                signal,
                call,
                partial,
            } => {
                let to = name(*pid);
                let fate = FateLine {
                    kind: FateKind::Interrupted,
                    words: match partial {
                        Some(n) => format!(
                            "interrupts send, which returns the {} it had written",
                            sim_core::words::bytes(*n)
                        ),
                        None => format!("interrupts {call}, which restarts after the handler"),
                    },
                };
                let at = find(&out, &to, *signal);
                attach(&mut out, at, &to, *signal, fate);
            }
            Event::HandlerRan { pid, signal, runs } => {
                let to = name(*pid);
                let fate = FateLine {
                    kind: FateKind::Handler,
                    words: if *runs == 1 {
                        "the handler runs (for the first time)".to_string()
                    } else {
                        format!("the handler runs (run {runs})")
                    },
                };
                // The delivery that set up its frame, this step.
                let at = out.iter().rposition(|f| {
                    f.to == to
                        && f.signal == *signal
                        && f.delivered
                        && !f.fates.iter().any(|l| l.kind == FateKind::Handler)
                });
                attach(&mut out, at, &to, *signal, fate);
            }
            Event::Reaped {
                child,
                auto: Some(auto),
                ..
            } => {
                let (from, to) = (name(*child), name(auto.parent));
                let why = if auto.sig_ign {
                    "SIGCHLD is SIG_IGN"
                } else {
                    "SA_NOCLDWAIT"
                };
                if let Some(f) = out.iter_mut().rev().find(|f| {
                    f.signal == Signal::SIGCHLD && f.to == to && f.from.as_deref() == Some(&from)
                }) {
                    f.fates.push(FateLine {
                        kind: FateKind::Reaped,
                        words: format!("{from} is reaped at once, never a zombie ({why})"),
                    });
                }
            }
            _ => {}
        }
    }
    let more = out.len().saturating_sub(MAX_FLIGHTS);
    out.truncate(MAX_FLIGHTS);
    (out, more)
}

/// Add `fate` to the flight at `at`, or to a new flight of a signal that
/// was pending before the step (or whose frame was set up before it).
fn attach(
    out: &mut Vec<Flight>,
    at: Option<usize>,
    to: &str,
    signal: Signal,
    fate: FateLine,
) -> usize {
    match at {
        Some(i) => {
            out[i].fates.push(fate);
            i
        }
        None => {
            out.push(Flight {
                from: None,
                via: if fate.kind == FateKind::Handler {
                    "its frame was set up earlier".into()
                } else {
                    "was pending".into()
                },
                to: to.to_string(),
                signal,
                fates: vec![fate],
                delivered: false,
            });
            out.len() - 1
        }
    }
}
#[cfg(test)]
mod tests {
    use super::super::sigcards::{cards, Card, Cards, MAX_CARDS};
    use super::*;
    use sim_core::engine::Sim;

    fn run(text: &str) -> Sim {
        let mut sim = Sim::from_source(text).expect("the test scenario parses");
        sim.run_to_end().expect("the test scenario runs");
        sim
    }

    /// The step of line `line`.
    fn step_of(sim: &Sim, line: u32) -> u32 {
        sim.steps()
            .iter()
            .find(|s| s.pos.line == line)
            .expect("a step on that line")
            .index
    }

    fn flights_at(sim: &Sim, line: u32) -> Vec<Flight> {
        let step = step_of(sim, line);
        let (flights, more) = flights(
            sim.world(step).unwrap(),
            &sim.steps()[step as usize - 1].events,
        );
        assert_eq!(more, 0);
        flights
    }

    fn cards_at(sim: &Sim, line: u32) -> Cards {
        let step = step_of(sim, line);
        cards(sim.world(step).unwrap(), sim.world(step - 1))
    }

    fn fates(f: &Flight) -> Vec<(FateKind, &str)> {
        f.fates.iter().map(|l| (l.kind, l.words.as_str())).collect()
    }

    fn line(card: &Card, label: &str) -> Vec<(String, u64, bool)> {
        card.lines
            .iter()
            .find(|l| l.label == label)
            .map(|l| {
                l.chips
                    .iter()
                    .map(|c| (c.signal.to_string(), c.count, c.changed))
                    .collect()
            })
            .unwrap_or_default()
    }

    const COALESCE: &str = "process parent
parent: signal SIGCHLD handle
parent: block SIGCHLD
parent: fork c1
parent: fork c2
parent: fork c3
c1: exit 1
c2: exit 2
parent: unblock SIGCHLD
";

    #[test]
    fn a_sigchld_while_blocked_is_queued_and_the_next_one_coalesces() {
        let sim = run(COALESCE);
        let first = flights_at(&sim, 7);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].from.as_deref(), Some("c1"));
        assert_eq!(first[0].to, "parent");
        assert_eq!(first[0].via, "child exited");
        assert_eq!(
            fates(&first[0]),
            [(
                FateKind::Queued,
                "queued in the process's shared queue: parent blocks it, so it stays pending"
            )]
        );
        let second = flights_at(&sim, 8);
        assert_eq!(second[0].from.as_deref(), Some("c2"));
        assert_eq!(
            fates(&second[0]),
            [(
                FateKind::Coalesced,
                "already pending in the process's shared queue: this one is lost (standard signals coalesce)"
            )]
        );
        assert_eq!(
            second[0].sentence(),
            "c2 to parent: SIGCHLD (child exited): already pending in the process's shared queue: this one is lost (standard signals coalesce)."
        );
    }

    #[test]
    fn unblocking_delivers_the_pending_signal_and_its_handler_runs_once() {
        let sim = run(COALESCE);
        let f = flights_at(&sim, 9);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].from, None, "it was pending from before");
        assert_eq!(f[0].via, "was pending");
        assert_eq!(
            fates(&f[0]),
            [
                (
                    FateKind::Delivered,
                    "delivered: the handler's frame is set up"
                ),
                (FateKind::Handler, "the handler runs (for the first time)")
            ]
        );
    }

    #[test]
    fn a_card_shows_the_handler_the_mask_and_the_pending_signal_marking_what_is_new() {
        let sim = run(COALESCE);
        let cards = cards_at(&sim, 7);
        let parent = &cards.cards[0];
        assert_eq!(parent.names, ["parent"]);
        assert!(parent.changed);
        assert_eq!(line(parent, "handles"), [("SIGCHLD".into(), 1, false)]);
        assert_eq!(line(parent, "blocks"), [("SIGCHLD".into(), 1, false)]);
        assert_eq!(
            line(parent, "pending (process)"),
            [("SIGCHLD".into(), 1, true)]
        );
        assert_eq!(line(parent, "pending (thread)"), []);
        // The children inherited handler and mask: one card for the two
        // alive, c1 being dead; init is all default.
        let kids = &cards.cards[1];
        assert_eq!(kids.names, ["c2", "c3"]);
        assert_eq!(kids.count, 2);
        assert!(!kids.changed);
        assert_eq!(cards.plain, ["init"]);
        let after = cards_at(&sim, 9);
        assert_eq!(
            line(&after.cards[0], "handler ran"),
            [("SIGCHLD".into(), 1, true)]
        );
        assert_eq!(line(&after.cards[0], "pending (process)"), []);
    }

    #[test]
    fn a_write_with_no_reader_raises_sigpipe_for_the_writer_which_dies_of_it() {
        let sim = run("process p\np: pipe x\np: close x.r\np: send x.w 10\n");
        let f = flights_at(&sim, 4);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].from.as_deref(), Some("p"));
        assert_eq!(f[0].to, "p");
        assert_eq!(f[0].signal, Signal::SIGPIPE);
        assert_eq!(
            fates(&f[0]),
            [
                (FateKind::Queued, "queued in the thread's own queue"),
                (
                    FateKind::Killed,
                    "delivered: no handler, the default action kills p"
                )
            ]
        );
        assert_eq!(
            f[0].sentence(),
            "p to itself: SIGPIPE (by the kernel, for its own write): queued in the thread's own queue; delivered: no handler, the default action kills p."
        );
    }

    #[test]
    fn sigpipe_pending_in_both_queues_is_on_both_lines_of_the_card() {
        let sim = run(
            "process p\np: signal SIGPIPE handle\np: block SIGPIPE\np: pipe x\np: close x.r\np: send x.w 10\np: kill p SIGPIPE\np: kill p SIGPIPE\n",
        );
        let card = &cards_at(&sim, 7).cards[0];
        assert_eq!(
            line(card, "pending (thread)"),
            [("SIGPIPE".into(), 1, false)]
        );
        assert_eq!(
            line(card, "pending (process)"),
            [("SIGPIPE".into(), 1, true)]
        );
        let lost = flights_at(&sim, 8);
        assert_eq!(lost[0].via, "kill");
        assert_eq!(lost[0].from.as_deref(), Some("p"));
        assert_eq!(lost[0].fates[0].kind, FateKind::Coalesced);
    }

    #[test]
    fn a_parent_that_ignores_sigchld_is_never_sent_one() {
        let sim = run("process p\np: signal SIGCHLD ignore\np: fork c\nc: exit 0\n");
        let f = flights_at(&sim, 4);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].from.as_deref(), Some("c"));
        assert_eq!(f[0].to, "p");
        assert_eq!(
            fates(&f[0]),
            [
                (
                    FateKind::Nothing,
                    "never sent: the parent sets SIGCHLD to SIG_IGN"
                ),
                (
                    FateKind::Reaped,
                    "c is reaped at once, never a zombie (SIGCHLD is SIG_IGN)"
                )
            ]
        );
        let card = &cards_at(&sim, 4).cards[0];
        assert_eq!(line(card, "ignores"), [("SIGCHLD".into(), 1, false)]);
    }

    #[test]
    fn a_stop_and_a_continue_tell_the_parent_and_a_pending_fatal_signal_follows() {
        let sim = run(
            "process a\na: signal SIGCHLD handle\na: pipe p\na: fork b\nb: recv p.r 10\na: kill b SIGSTOP\na: block SIGCHLD\na: kill b SIGTERM\na: kill b SIGCONT\n",
        );
        let stop = flights_at(&sim, 6);
        assert_eq!(stop[0].via, "kill");
        assert_eq!(stop[0].signal, Signal::SIGSTOP);
        assert!(stop[0]
            .fates
            .iter()
            .any(|l| l.kind == FateKind::Stopped && l.words == "b stops until SIGCONT"));
        let chld = stop.iter().find(|f| f.signal == Signal::SIGCHLD).unwrap();
        assert_eq!(chld.from.as_deref(), Some("b"));
        assert_eq!(chld.via, "child stopped");
        assert!(chld.fates.iter().any(|l| l.kind == FateKind::Handler));
        let term = flights_at(&sim, 8);
        assert_eq!(
            fates(&term[0]),
            [(
                FateKind::Queued,
                "queued in the process's shared queue: b is stopped, so it waits"
            )]
        );
        let cont = flights_at(&sim, 9);
        let kinds: Vec<(Signal, Vec<FateKind>)> = cont
            .iter()
            .map(|f| (f.signal, f.fates.iter().map(|l| l.kind).collect()))
            .collect();
        assert!(
            kinds.contains(&(Signal::SIGTERM, vec![FateKind::Killed])),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|(s, k)| *s == Signal::SIGCONT && k.contains(&FateKind::Continued)),
            "{kinds:?}"
        );
    }

    #[test]
    fn kill_of_a_reaped_process_fails_with_esrch() {
        let sim = run("process p\np: fork c\nc: exit 0\np: wait c\np: kill c SIGTERM\n");
        let f = flights_at(&sim, 5);
        assert_eq!(
            fates(&f[0]),
            [(FateKind::Failed, "c was reaped: kill fails with ESRCH")]
        );
    }

    #[test]
    fn processes_with_only_default_signal_state_have_no_card() {
        let sim = run("process a\na: fork b\n");
        let cards = cards_at(&sim, 2);
        assert!(cards.cards.is_empty());
        assert_eq!(cards.plain, ["init", "a", "b"]);
        assert_eq!(cards.plain_count, 3);
    }

    #[test]
    fn many_processes_each_with_its_own_signal_state_are_capped() {
        // Child i has i instances of SIGRTMIN pending: no two alike.
        let mut text = String::from("process p\n");
        for i in 1..=60 {
            text.push_str(&format!("p: fork c{i}\nc{i}: block SIGRTMIN\n"));
            for _ in 0..i {
                text.push_str(&format!("c{i}: kill c{i} SIGRTMIN\n"));
            }
        }
        let sim = run(&text);
        let last = sim.steps().len() as u32;
        let cards = cards(sim.world(last).unwrap(), sim.world(last - 1));
        assert!(cards.cards.len() <= MAX_CARDS);
        assert_eq!(
            cards.cards.iter().map(|c| c.count).sum::<u32>() + cards.more,
            60
        );
        assert_eq!(cards.cards.len(), MAX_CARDS);
        assert_eq!(
            line(&cards.cards[3], "pending (process)"),
            [("SIGRTMIN".into(), 4, false)]
        );
    }
}
