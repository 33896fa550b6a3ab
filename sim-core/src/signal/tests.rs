//! The signal facts (tests/scenarios/facts/signal-*.scn) and the
//! kernel/signal.c rules behind them, checked on one process's `SigState`.

use crate::engine::Sim;
use crate::errno::Errno;
use crate::proc::WaitStatus;
use crate::scenario::ast::OpResult;
use crate::scenario::ast::{Action, ExitStatus};
use crate::sig::Signal;
use crate::signal::state::HandlerRun;
use crate::signal::{
    default_action, DefaultAction, Delivery, Disposition, Fate, IgnoredBy, Queue, SigSet, SigState,
};
use proptest::prelude::*;

fn sig(name: &str) -> Signal {
    name.parse().expect("a signal name this test spells right")
}

/// A process with a counting handler for `s`.
fn handling(s: Signal) -> SigState {
    let mut st = SigState::new();
    st.set_action(s, Action::Handle, false, false).unwrap();
    st
}

/// One return to user mode and what follows it: delivers everything
/// deliverable, then runs the newest frame's handler (whose sigreturn may
/// make more deliverable), until nothing is left or a default action that
/// ends the loop (death, stop) is met; returns the deliveries, in order.
fn drain(st: &mut SigState) -> Vec<(Signal, Delivery)> {
    let mut out = Vec::new();
    loop {
        match st.deliver_next() {
            Some((s, d)) => {
                out.push((s, d));
                if let Delivery::Default { action } = d {
                    if action.is_fatal() || action == DefaultAction::Stop {
                        return out;
                    }
                }
            }
            None => {
                if st.run_handler().is_none() {
                    return out;
                }
            }
        }
    }
}

/// Runs a scenario in the model to its end; every expect must hold.
fn run_holds(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).expect("the scenario parses");
    sim.run_to_end().expect("the scenario runs");
    let failed: Vec<String> = sim
        .failed_expects()
        .map(|e| format!("line {}: {} -- {:?}", e.pos.line, e.text, e.verdict))
        .collect();
    assert!(failed.is_empty(), "failed expects: {failed:#?}");
    sim
}

// ----- facts: coalescing and queueing ---------------------------

#[test]
fn ten_sigchld_while_blocked_coalesce_into_one() {
    let mut parent = handling(Signal::SIGCHLD);
    parent.block(&[Signal::SIGCHLD]);
    let fates: Vec<Fate> = (0..10)
        .map(|_| parent.notify_child_exit().sigchld.unwrap().fate)
        .collect();
    assert_eq!(fates[0], Fate::Queued { instances: 1 });
    assert!(fates[1..].iter().all(|f| *f == Fate::AlreadyPending));
    assert_eq!(parent.pending_count(Signal::SIGCHLD), 1);
    assert_eq!(parent.next_deliverable(), None);

    parent.unblock(&[Signal::SIGCHLD]);
    assert_eq!(
        drain(&mut parent),
        vec![(Signal::SIGCHLD, Delivery::Handler)]
    );
    assert_eq!(parent.handled(Signal::SIGCHLD), 1);
}

#[test]
fn five_sigrtmin_while_blocked_run_the_handler_five_times() {
    let mut p = handling(Signal::SIGRTMIN);
    p.block(&[Signal::SIGRTMIN]);
    for n in 1..=5 {
        assert_eq!(
            p.generate(Signal::SIGRTMIN).fate,
            Fate::Queued { instances: n }
        );
    }
    assert_eq!(p.pending().collect::<Vec<_>>(), vec![(Signal::SIGRTMIN, 5)]);
    p.unblock(&[Signal::SIGRTMIN]);
    let runs: Vec<Delivery> = drain(&mut p).into_iter().map(|(_, d)| d).collect();
    assert_eq!(runs, vec![Delivery::Handler; 5]);
    assert_eq!(p.handled(Signal::SIGRTMIN), 5);
    assert_eq!(p.pending_set(), SigSet::EMPTY);
}

#[test]
fn a_real_time_signal_leaves_one_fewer_instance_per_delivery() {
    let mut p = handling(Signal::SIGRTMAX);
    p.block(&[Signal::SIGRTMAX]);
    p.generate(Signal::SIGRTMAX);
    p.generate(Signal::SIGRTMAX);
    p.unblock(&[Signal::SIGRTMAX]);
    assert_eq!(p.deliver(Signal::SIGRTMAX), Some(Delivery::Handler));
    assert_eq!(p.pending_count(Signal::SIGRTMAX), 1);
}

// ----- facts: auto-reaping ----------------------------------------

#[test]
fn a_parent_with_default_sigchld_leaves_a_zombie_and_discards_the_sigchld() {
    let mut parent = SigState::new();
    let notice = parent.notify_child_exit();
    assert!(!notice.auto_reap);
    // SIGCHLD's default is to ignore: sent, but discarded at generation.
    assert_eq!(
        notice.sigchld.unwrap().fate,
        Fate::Ignored(IgnoredBy::DefaultIgnore)
    );
    assert_eq!(parent.pending_count(Signal::SIGCHLD), 0);
}

#[test]
fn a_parent_ignoring_sigchld_auto_reaps_and_gets_no_sigchld() {
    let mut parent = SigState::new();
    parent
        .set_action(Signal::SIGCHLD, Action::Ignore, false, false)
        .unwrap();
    parent.block(&[Signal::SIGCHLD]);
    let notice = parent.notify_child_exit();
    assert!(notice.auto_reap);
    assert_eq!(
        notice.sigchld, None,
        "do_notify_parent sends nothing under SIG_IGN"
    );
    assert_eq!(parent.pending_count(Signal::SIGCHLD), 0);
}

#[test]
fn a_parent_with_nocldwait_auto_reaps_and_still_gets_sigchld() {
    let mut parent = SigState::new();
    parent
        .set_action(Signal::SIGCHLD, Action::Handle, true, false)
        .unwrap();
    assert!(parent.child_exit_auto_reaps());
    let notice = parent.notify_child_exit();
    assert!(notice.auto_reap);
    assert_eq!(notice.sigchld.unwrap().fate, Fate::Queued { instances: 1 });
    assert_eq!(
        drain(&mut parent),
        vec![(Signal::SIGCHLD, Delivery::Handler)]
    );
}

#[test]
fn nocldwait_under_sig_dfl_auto_reaps_and_queues_sigchld_only_while_blocked() {
    let mut parent = SigState::new();
    parent
        .set_action(Signal::SIGCHLD, Action::Default, true, false)
        .unwrap();
    let notice = parent.notify_child_exit();
    assert!(notice.auto_reap);
    assert_eq!(
        notice.sigchld.unwrap().fate,
        Fate::Ignored(IgnoredBy::DefaultIgnore)
    );

    parent.block(&[Signal::SIGCHLD]);
    assert_eq!(
        parent.notify_child_exit().sigchld.unwrap().fate,
        Fate::Queued { instances: 1 }
    );
}

#[test]
fn nocldwait_on_another_signal_does_not_auto_reap() {
    let mut parent = SigState::new();
    parent
        .set_action(Signal::SIGUSR1, Action::Handle, true, false)
        .unwrap();
    assert!(!parent.notify_child_exit().auto_reap);
}

// ----- facts: wait status -----------------------------------------

#[test]
fn exit_3_reports_exited_3_with_raw_0x0300() {
    assert_eq!(WaitStatus::exited(3).decode(), ExitStatus::Exited(3));
    assert_eq!(WaitStatus::exited(3), WaitStatus(0x0300));
}

#[test]
fn exit_300_reports_44() {
    assert_eq!(WaitStatus::exited(300).decode(), ExitStatus::Exited(44));
    assert_eq!(WaitStatus::exited(-1).decode(), ExitStatus::Exited(255));
}

#[test]
fn death_by_sigterm_reports_signaled_sigterm_with_raw_0x000f() {
    let mut p = SigState::new();
    p.generate(Signal::SIGTERM);
    assert_eq!(
        p.deliver_next(),
        Some((
            Signal::SIGTERM,
            Delivery::Default {
                action: DefaultAction::Terminate
            }
        ))
    );
    let status = ExitStatus::Signaled(Signal::SIGTERM);
    assert_eq!(WaitStatus::from(status), WaitStatus(0x000f));
    assert_eq!(WaitStatus(0x000f).try_decode(), Some(status));
}

#[test]
fn a_core_dumping_signal_reports_no_core_bit_as_rlimit_core_is_zero() {
    assert_eq!(default_action(Signal::SIGSEGV), DefaultAction::CoreDump);
    assert_eq!(WaitStatus::signaled(Signal::SIGSEGV), WaitStatus(11));
    // A real status with the core bit still decodes to the signal.
    assert_eq!(
        WaitStatus(11 | 0x80).try_decode(),
        Some(ExitStatus::Signaled(Signal::SIGSEGV))
    );
}

#[test]
fn stopped_and_continued_statuses_decode_to_nothing() {
    assert_eq!(WaitStatus(0x137f).try_decode(), None);
    assert_eq!(WaitStatus(0xffff).try_decode(), None);
}

#[test]
fn every_exit_code_round_trips_through_the_raw_status() {
    for code in 0..=255u8 {
        let s = ExitStatus::Exited(code);
        assert_eq!(WaitStatus::from(s).try_decode(), Some(s));
    }
    for s in Signal::all() {
        let st = ExitStatus::Signaled(s);
        assert_eq!(WaitStatus::from(st).try_decode(), Some(st));
    }
}

// ----- default actions ------------------------------------------------------

#[test]
fn default_actions_follow_the_kernel_tables() {
    let cases = [
        ("SIGHUP", DefaultAction::Terminate),
        ("SIGINT", DefaultAction::Terminate),
        ("SIGQUIT", DefaultAction::CoreDump),
        ("SIGABRT", DefaultAction::CoreDump),
        ("SIGKILL", DefaultAction::Terminate),
        ("SIGPIPE", DefaultAction::Terminate),
        ("SIGCHLD", DefaultAction::Ignore),
        ("SIGCONT", DefaultAction::Continue),
        ("SIGSTOP", DefaultAction::Stop),
        ("SIGTSTP", DefaultAction::Stop),
        ("SIGTTIN", DefaultAction::Stop),
        ("SIGTTOU", DefaultAction::Stop),
        ("SIGURG", DefaultAction::Ignore),
        ("SIGWINCH", DefaultAction::Ignore),
        ("SIGXCPU", DefaultAction::CoreDump),
        ("SIGXFSZ", DefaultAction::CoreDump),
        ("SIGSYS", DefaultAction::CoreDump),
        ("SIGSTKFLT", DefaultAction::Terminate),
        ("SIGPWR", DefaultAction::Terminate),
        ("SIGRTMIN", DefaultAction::Terminate),
        ("SIGRTMAX", DefaultAction::Terminate),
    ];
    for (name, action) in cases {
        assert_eq!(default_action(sig(name)), action, "{name}");
    }
}

// ----- delivery order -------------------------------------------------------

#[test]
fn lower_numbered_signals_are_delivered_first() {
    let mut p = SigState::new();
    for s in ["SIGUSR2", "SIGRTMIN", "SIGUSR1", "SIGHUP"] {
        p.set_action(sig(s), Action::Handle, false, false).unwrap();
    }
    p.block(&[
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGHUP,
        Signal::SIGRTMIN,
    ]);
    for s in ["SIGRTMIN", "SIGUSR2", "SIGUSR1", "SIGHUP"] {
        p.generate(sig(s));
    }
    p.unblock(&[
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGHUP,
        Signal::SIGRTMIN,
    ]);
    let order: Vec<Signal> = drain(&mut p).into_iter().map(|(s, _)| s).collect();
    assert_eq!(order, ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGRTMIN"].map(sig));
}

#[test]
fn synchronous_signals_are_delivered_before_lower_numbered_ones() {
    let mut p = SigState::new();
    for s in ["SIGHUP", "SIGINT", "SIGSEGV", "SIGSYS"] {
        p.set_action(sig(s), Action::Handle, false, false).unwrap();
    }
    let all = ["SIGSYS", "SIGSEGV", "SIGINT", "SIGHUP"].map(sig);
    p.block(&all);
    for s in all {
        p.generate(s);
    }
    p.unblock(&all);
    let order: Vec<Signal> = drain(&mut p).into_iter().map(|(s, _)| s).collect();
    assert_eq!(order, ["SIGSEGV", "SIGSYS", "SIGHUP", "SIGINT"].map(sig));
}

#[test]
fn a_blocked_signal_stays_pending_and_is_not_delivered() {
    let mut p = handling(Signal::SIGUSR1);
    p.block(&[Signal::SIGUSR1]);
    p.generate(Signal::SIGUSR1);
    assert_eq!(p.next_deliverable(), None);
    assert_eq!(p.deliver(Signal::SIGUSR1), None);
    assert_eq!(p.pending_count(Signal::SIGUSR1), 1);
}

#[test]
fn delivering_a_signal_that_is_not_pending_changes_nothing() {
    let mut p = handling(Signal::SIGUSR1);
    let before = p.clone();
    assert_eq!(p.deliver(Signal::SIGUSR1), None);
    assert_eq!(p, before);
}

// ----- SIGKILL and SIGSTOP --------------------------------------------------

#[test]
fn sigkill_and_sigstop_cannot_be_caught_or_ignored() {
    let mut p = SigState::new();
    for s in [Signal::SIGKILL, Signal::SIGSTOP] {
        for a in [Action::Handle, Action::Ignore, Action::Default] {
            assert_eq!(p.set_action(s, a, false, false), Err(Errno::EINVAL));
        }
        assert_eq!(p.disposition(s), Disposition::Default);
    }
}

#[test]
fn sigkill_and_sigstop_cannot_be_blocked() {
    let mut p = SigState::new();
    p.block(&[Signal::SIGKILL, Signal::SIGSTOP, Signal::SIGTERM]);
    assert_eq!(p.blocked(), SigSet::from_signals(&[Signal::SIGTERM]));
    p.set_blocked(SigSet::from_bits(u64::MAX));
    assert!(!p.blocked().contains(Signal::SIGKILL));
    assert!(!p.blocked().contains(Signal::SIGSTOP));

    p.generate(Signal::SIGKILL);
    assert_eq!(
        p.deliver_next(),
        Some((
            Signal::SIGKILL,
            Delivery::Default {
                action: DefaultAction::Terminate
            }
        ))
    );
    p.generate(Signal::SIGSTOP);
    assert_eq!(
        p.deliver_next(),
        Some((
            Signal::SIGSTOP,
            Delivery::Default {
                action: DefaultAction::Stop
            }
        ))
    );
}

#[test]
fn sigkill_and_sigcont_wake_a_stopped_process() {
    let mut p = SigState::new();
    assert!(p.generate(Signal::SIGKILL).wakes_stopped);
    assert!(!p.generate(Signal::SIGTERM).wakes_stopped);
    p.set_action(Signal::SIGCONT, Action::Ignore, false, false)
        .unwrap();
    let cont = p.generate(Signal::SIGCONT);
    assert!(cont.wakes_stopped, "SIGCONT resumes even when ignored");
    assert_eq!(cont.fate, Fate::Ignored(IgnoredBy::SigIgn));
}

#[test]
fn sigcont_discards_pending_stop_signals_and_a_stop_signal_discards_sigcont() {
    let mut p = SigState::new();
    let stops = ["SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"].map(sig);
    p.block(&stops);
    p.block(&[Signal::SIGCONT]);
    for s in stops {
        p.generate(s);
    }
    // SIGSTOP can't be blocked: it is pending but deliverable.
    assert_eq!(p.pending_set(), SigSet::from_signals(&stops));
    let cont = p.generate(Signal::SIGCONT);
    assert_eq!(cont.flushed, SigSet::from_signals(&stops));
    assert_eq!(p.pending_set(), SigSet::from_signals(&[Signal::SIGCONT]));

    let tstp = p.generate(Signal::SIGTSTP);
    assert_eq!(tstp.flushed, SigSet::from_signals(&[Signal::SIGCONT]));
    assert_eq!(p.pending_set(), SigSet::from_signals(&[Signal::SIGTSTP]));
}

#[test]
fn sigcont_under_sig_dfl_is_discarded_unless_blocked() {
    let mut p = SigState::new();
    assert_eq!(
        p.generate(Signal::SIGCONT).fate,
        Fate::Ignored(IgnoredBy::DefaultIgnore)
    );
    p.block(&[Signal::SIGCONT]);
    p.generate(Signal::SIGCONT);
    p.unblock(&[Signal::SIGCONT]);
    assert_eq!(
        p.deliver_next(),
        Some((
            Signal::SIGCONT,
            Delivery::Default {
                action: DefaultAction::Continue
            }
        ))
    );
}

// ----- ignoring -------------------------------------------------------------

#[test]
fn an_ignored_unblocked_signal_is_discarded_at_generation() {
    let mut p = SigState::new();
    p.set_action(Signal::SIGTERM, Action::Ignore, false, false)
        .unwrap();
    assert_eq!(
        p.generate(Signal::SIGTERM).fate,
        Fate::Ignored(IgnoredBy::SigIgn)
    );
    assert_eq!(p.pending_set(), SigSet::EMPTY);
}

#[test]
fn default_ignore_signals_are_discarded_at_generation() {
    let mut p = SigState::new();
    for s in ["SIGCHLD", "SIGURG", "SIGWINCH"].map(sig) {
        assert_eq!(
            p.generate(s).fate,
            Fate::Ignored(IgnoredBy::DefaultIgnore),
            "{s}"
        );
    }
    assert_eq!(p.pending_set(), SigSet::EMPTY);
}

#[test]
fn a_blocked_ignored_signal_is_queued_since_the_disposition_may_change() {
    let mut p = SigState::new();
    p.set_action(Signal::SIGUSR1, Action::Ignore, false, false)
        .unwrap();
    p.block(&[Signal::SIGUSR1]);
    assert_eq!(
        p.generate(Signal::SIGUSR1).fate,
        Fate::Queued { instances: 1 }
    );
    p.set_action(Signal::SIGUSR1, Action::Handle, false, false)
        .unwrap();
    p.unblock(&[Signal::SIGUSR1]);
    assert_eq!(p.deliver_next(), Some((Signal::SIGUSR1, Delivery::Handler)));
}

#[test]
fn setting_sig_ign_discards_a_pending_signal() {
    let mut p = handling(Signal::SIGUSR1);
    p.block(&[Signal::SIGUSR1, Signal::SIGRTMIN]);
    p.generate(Signal::SIGUSR1);
    let change = p
        .set_action(Signal::SIGUSR1, Action::Ignore, false, false)
        .unwrap();
    assert_eq!(change.previous, Disposition::Handler);
    assert_eq!(change.discarded, 1);
    assert_eq!(p.pending_count(Signal::SIGUSR1), 0);

    for _ in 0..3 {
        p.generate(Signal::SIGRTMIN);
    }
    let change = p
        .set_action(Signal::SIGRTMIN, Action::Ignore, false, false)
        .unwrap();
    assert_eq!(change.discarded, 3);
    assert_eq!(p.pending_set(), SigSet::EMPTY);
}

#[test]
fn setting_sig_dfl_discards_a_pending_default_ignore_signal_only() {
    let mut p = handling(Signal::SIGCHLD);
    p.set_action(Signal::SIGTERM, Action::Handle, false, false)
        .unwrap();
    p.block(&[Signal::SIGCHLD, Signal::SIGTERM]);
    p.generate(Signal::SIGCHLD);
    p.generate(Signal::SIGTERM);
    assert_eq!(
        p.set_action(Signal::SIGCHLD, Action::Default, false, false)
            .unwrap()
            .discarded,
        1
    );
    assert_eq!(
        p.set_action(Signal::SIGTERM, Action::Default, false, false)
            .unwrap()
            .discarded,
        0
    );
    assert_eq!(p.pending_set(), SigSet::from_signals(&[Signal::SIGTERM]));
}

// ----- fork and exec --------------------------------------------------------

#[test]
fn a_fork_child_starts_with_empty_pending_and_zero_counts() {
    let mut parent = handling(Signal::SIGUSR1);
    parent
        .set_action(Signal::SIGCHLD, Action::Ignore, true, false)
        .unwrap();
    parent.generate(Signal::SIGUSR1);
    parent.deliver_next();
    parent.run_handler();
    parent.block(&[Signal::SIGUSR1]);
    parent.generate(Signal::SIGUSR1);

    let child = parent.fork_child();
    assert_eq!(child.pending_set(), SigSet::EMPTY);
    assert_eq!(child.handled(Signal::SIGUSR1), 0);
    assert_eq!(child.blocked(), parent.blocked());
    assert_eq!(child.disposition(Signal::SIGUSR1), Disposition::Handler);
    assert_eq!(child.disposition(Signal::SIGCHLD), Disposition::Ignore);
    assert!(child.nocldwait());
    // The parent keeps its own.
    assert_eq!(parent.handled(Signal::SIGUSR1), 1);
    assert_eq!(parent.pending_count(Signal::SIGUSR1), 1);
}

#[test]
fn exec_resets_handlers_but_keeps_ignore_mask_and_pending() {
    let mut p = handling(Signal::SIGTERM);
    p.set_action(Signal::SIGINT, Action::Ignore, false, false)
        .unwrap();
    p.set_action(Signal::SIGCHLD, Action::Handle, true, false)
        .unwrap();
    p.block(&[Signal::SIGTERM]);
    p.generate(Signal::SIGTERM);

    p.exec();
    assert_eq!(p.disposition(Signal::SIGTERM), Disposition::Default);
    assert_eq!(p.disposition(Signal::SIGCHLD), Disposition::Default);
    assert_eq!(p.disposition(Signal::SIGINT), Disposition::Ignore);
    assert!(!p.nocldwait(), "exec clears every sa_flags");
    assert_eq!(p.blocked(), SigSet::from_signals(&[Signal::SIGTERM]));
    assert_eq!(p.pending_count(Signal::SIGTERM), 1);

    // The pending SIGTERM now meets its default action.
    p.unblock(&[Signal::SIGTERM]);
    assert_eq!(
        p.deliver_next(),
        Some((
            Signal::SIGTERM,
            Delivery::Default {
                action: DefaultAction::Terminate
            }
        ))
    );
}

#[test]
fn sigchld_ignored_survives_exec_and_keeps_auto_reaping() {
    let mut p = SigState::new();
    p.set_action(Signal::SIGCHLD, Action::Ignore, false, false)
        .unwrap();
    p.exec();
    assert!(p.child_exit_auto_reaps());
}

// ----- serialisation ----------------------------------------------------------

#[test]
fn a_state_round_trips_through_json() {
    let mut p = handling(Signal::SIGCHLD);
    p.block(&[Signal::SIGRTMIN]);
    p.generate(Signal::SIGRTMIN);
    p.generate(Signal::SIGRTMIN);
    p.generate(Signal::SIGCHLD);
    p.deliver_next();
    let json = serde_json::to_string(&p).unwrap();
    let back: SigState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
}

// ----- two pending queues (private and shared) --------------------------------

#[test]
fn a_standard_signal_can_be_pending_once_in_each_queue() {
    let mut p = handling(Signal::SIGPIPE);
    p.block(&[Signal::SIGPIPE]);
    // A write's SIGPIPE (send_sig, PIDTYPE_PID) and a kill (PIDTYPE_TGID).
    let write = p.generate_to(Signal::SIGPIPE, Queue::Private);
    assert_eq!(write.queue, Queue::Private);
    assert_eq!(write.fate, Fate::Queued { instances: 1 });
    assert_eq!(
        p.generate(Signal::SIGPIPE).fate,
        Fate::Queued { instances: 1 }
    );
    assert_eq!(p.generate(Signal::SIGPIPE).fate, Fate::AlreadyPending);
    assert_eq!(
        p.generate_to(Signal::SIGPIPE, Queue::Private).fate,
        Fate::AlreadyPending
    );
    assert_eq!(p.pending_count(Signal::SIGPIPE), 2);
    assert_eq!(p.pending_queue(Queue::Private).count(Signal::SIGPIPE), 1);
    assert_eq!(p.pending_queue(Queue::Shared).count(Signal::SIGPIPE), 1);
    p.unblock(&[Signal::SIGPIPE]);
    assert_eq!(drain(&mut p).len(), 2);
    assert_eq!(p.handled(Signal::SIGPIPE), 2);
    assert_eq!(p.pending_set(), SigSet::EMPTY);
}

#[test]
fn the_private_queue_is_drained_before_the_shared_one() {
    let mut p = handling(Signal::SIGUSR1);
    p.set_action(Signal::SIGUSR2, Action::Handle, false, false)
        .unwrap();
    p.block(&[Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGSEGV]);
    p.generate(Signal::SIGUSR1);
    p.generate(Signal::SIGSEGV);
    p.generate_to(Signal::SIGUSR2, Queue::Private);
    p.unblock(&[Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGSEGV]);
    // SIGUSR2 (12) is private: it goes before the shared SIGUSR1 (10) and
    // even before the shared synchronous SIGSEGV.
    assert_eq!(p.next_deliverable(), Some(Signal::SIGUSR2));
    assert_eq!(p.deliver_next(), Some((Signal::SIGUSR2, Delivery::Handler)));
    // Within the shared queue, next_signal's order: synchronous first.
    assert_eq!(p.next_deliverable(), Some(Signal::SIGSEGV));
}

#[test]
fn sig_ign_and_the_stop_and_continue_flushes_empty_both_queues() {
    let mut p = handling(Signal::SIGPIPE);
    p.block(&[Signal::SIGPIPE, Signal::SIGCONT, Signal::SIGTSTP]);
    p.generate_to(Signal::SIGPIPE, Queue::Private);
    p.generate(Signal::SIGPIPE);
    let change = p
        .set_action(Signal::SIGPIPE, Action::Ignore, false, false)
        .unwrap();
    assert_eq!(change.discarded, 2);
    assert_eq!(p.pending_count(Signal::SIGPIPE), 0);

    p.generate_to(Signal::SIGCONT, Queue::Private);
    p.generate(Signal::SIGCONT);
    let stop = p.generate(Signal::SIGTSTP);
    assert_eq!(stop.flushed, SigSet::from_signals(&[Signal::SIGCONT]));
    assert_eq!(p.pending_count(Signal::SIGCONT), 0);
    p.generate_to(Signal::SIGTSTP, Queue::Private);
    assert_eq!(p.pending_count(Signal::SIGTSTP), 2);
    p.generate(Signal::SIGCONT);
    assert_eq!(p.pending_count(Signal::SIGTSTP), 0);
}

#[test]
fn fork_starts_both_queues_empty_and_exec_keeps_both() {
    let mut p = SigState::new();
    p.block(&[Signal::SIGPIPE]);
    p.generate_to(Signal::SIGPIPE, Queue::Private);
    p.generate(Signal::SIGPIPE);
    let child = p.fork_child();
    assert_eq!(child.pending_queue(Queue::Private).set(), SigSet::EMPTY);
    assert_eq!(child.pending_queue(Queue::Shared).set(), SigSet::EMPTY);
    p.exec();
    assert_eq!(p.pending_queue(Queue::Private).count(Signal::SIGPIPE), 1);
    assert_eq!(p.pending_queue(Queue::Shared).count(Signal::SIGPIPE), 1);
}

#[test]
fn a_write_raises_sigpipe_privately_so_a_kill_does_not_coalesce_with_it() {
    let sim = run_holds(
        "process p
p: signal SIGPIPE handle
p: block SIGPIPE
p: pipe x
p: close x.r
p: send x.w 10
p: kill p SIGPIPE
p: unblock SIGPIPE
expect p handled SIGPIPE 2
",
    );
    let narration = &sim.steps()[6].narration;
    assert!(
        narration.contains("SIGPIPE is now pending twice"),
        "{narration}"
    );
}

// ----- stop notices --------------------------------------------------------------

#[test]
fn a_parent_ignoring_sigchld_gets_no_stop_notice_even_while_blocking_it() {
    let sim = run_holds(
        "process a
a: signal SIGCHLD ignore
a: block SIGCHLD
a: fork b
a: kill b SIGSTOP
a: kill b SIGCONT
a: signal SIGCHLD handle
a: unblock SIGCHLD
expect a handled SIGCHLD 0
",
    );
    let world = sim.current();
    let a = world.pid_of("a").unwrap();
    assert_eq!(world.proc(a).signals.pending_set(), SigSet::EMPTY);
}

// ----- a stop ends a write that moved bytes --------------------------------------

#[test]
fn sigstop_ends_a_blocking_write_that_moved_bytes_and_sigcont_restarts_nothing() {
    let sim = run_holds(
        "process w
w: pipe x
w: fork r
w: send x.w 61440 nonblock
w: send x.w 8192
r: kill w SIGSTOP
expect w state stopped
r: recv x.r 65536
expect x.r queued 0
r: kill w SIGCONT
expect w state running
expect w result 4096
",
    );
    // While stopped, the program has not seen the return value yet.
    let stopped = sim.world(6).unwrap();
    let w = stopped.pid_of("w").unwrap();
    assert_eq!(stopped.proc(w).last_op.as_ref().unwrap().result, None);
    let last = sim.current().proc(w).last_op.clone().unwrap();
    assert_eq!(last.result, Some(OpResult::Value(4096)));
}

#[test]
fn sigstop_on_a_write_that_moved_nothing_restarts_it_after_sigcont() {
    run_holds(
        "process w
w: pipe x
w: fork r
w: send x.w 65536 nonblock
w: send x.w 100
r: kill w SIGSTOP
r: kill w SIGCONT
expect w state blocked
r: recv x.r 4096
expect w state running
expect w result 100
",
    );
}

// ----- one return to user mode: frames ---------------------------------------------

#[test]
fn a_handler_frame_blocks_its_signal_and_counts_only_when_the_handler_runs() {
    let mut p = handling(Signal::SIGUSR1);
    p.generate(Signal::SIGUSR1);
    assert_eq!(p.deliver_next(), Some((Signal::SIGUSR1, Delivery::Handler)));
    assert_eq!(p.handled(Signal::SIGUSR1), 0);
    assert!(p.blocked().contains(Signal::SIGUSR1));
    assert_eq!(p.frames().collect::<Vec<_>>(), vec![Signal::SIGUSR1]);
    assert_eq!(
        p.run_handler(),
        Some(HandlerRun {
            signal: Signal::SIGUSR1,
            runs: 1
        })
    );
    assert_eq!(p.blocked(), SigSet::EMPTY, "sigreturn restores the mask");
    assert_eq!(p.run_handler(), None);
}

#[test]
fn a_fatal_signal_pending_with_a_handled_one_kills_before_the_handler_runs() {
    let mut p = handling(Signal::SIGUSR1);
    p.block(&[Signal::SIGUSR1, Signal::SIGTERM]);
    p.generate(Signal::SIGUSR1);
    p.generate(Signal::SIGTERM);
    p.unblock(&[Signal::SIGUSR1, Signal::SIGTERM]);
    assert_eq!(
        drain(&mut p),
        vec![
            (Signal::SIGUSR1, Delivery::Handler),
            (
                Signal::SIGTERM,
                Delivery::Default {
                    action: DefaultAction::Terminate
                }
            )
        ]
    );
    assert_eq!(p.abandon_frames(), vec![Signal::SIGUSR1]);
    assert_eq!(p.handled(Signal::SIGUSR1), 0);

    let sim = run_holds(
        "process a
a: fork b
b: signal SIGUSR1 handle
b: block SIGUSR1 SIGTERM
b: kill b SIGUSR1
b: kill b SIGTERM
b: unblock SIGUSR1 SIGTERM
expect b handled SIGUSR1 0
a: wait b
expect a status signaled SIGTERM
",
    );
    let narration = &sim.steps()[6].narration;
    assert!(
        narration.contains("b dies before its SIGUSR1 handler ran"),
        "{narration}"
    );
}

#[test]
fn a_full_mask_handler_holds_a_pending_fatal_signal_off_until_it_returns() {
    let mut p = SigState::new();
    p.set_action(Signal::SIGUSR1, Action::Handle, false, true)
        .unwrap();
    p.block(&[Signal::SIGUSR1, Signal::SIGTERM]);
    p.generate(Signal::SIGUSR1);
    p.generate(Signal::SIGTERM);
    p.unblock(&[Signal::SIGUSR1, Signal::SIGTERM]);
    assert_eq!(p.deliver_next(), Some((Signal::SIGUSR1, Delivery::Handler)));
    // signal_setup_done: every signal blocked but SIGKILL and SIGSTOP,
    // which set_current_blocked leaves out.
    assert!(p.blocked().contains(Signal::SIGTERM));
    assert!(!p.blocked().contains(Signal::SIGKILL));
    assert!(!p.blocked().contains(Signal::SIGSTOP));
    assert_eq!(p.next_deliverable(), None, "SIGTERM waits");
    assert_eq!(
        p.run_handler(),
        Some(HandlerRun {
            signal: Signal::SIGUSR1,
            runs: 1
        })
    );
    assert_eq!(p.blocked(), SigSet::EMPTY, "sigreturn restores the mask");
    assert_eq!(
        p.deliver_next(),
        Some((
            Signal::SIGTERM,
            Delivery::Default {
                action: DefaultAction::Terminate
            }
        ))
    );

    let sim = run_holds(
        "process a
a: fork b
b: signal SIGUSR1 handle mask all
b: block SIGUSR1 SIGTERM
b: kill b SIGUSR1
b: kill b SIGTERM
b: unblock SIGUSR1 SIGTERM
expect b handled SIGUSR1 1
a: wait b
expect a status signaled SIGTERM
",
    );
    let narration = &sim.steps()[6].narration;
    assert!(
        narration.contains("so the pending SIGTERM waits until it returns. b's SIGUSR1 handler runs (for the first time). b has no handler for SIGTERM"),
        "{narration}"
    );
}

#[test]
fn sigkill_is_not_held_off_by_a_full_mask_and_kills_before_the_handler_runs() {
    let mut p = SigState::new();
    p.set_action(Signal::SIGUSR1, Action::Handle, false, true)
        .unwrap();
    p.block(&[Signal::SIGUSR1]);
    p.generate(Signal::SIGUSR1);
    p.unblock(&[Signal::SIGUSR1]);
    assert_eq!(p.deliver_next(), Some((Signal::SIGUSR1, Delivery::Handler)));
    p.generate(Signal::SIGKILL);
    assert_eq!(p.next_deliverable(), Some(Signal::SIGKILL));
}

#[test]
fn the_full_mask_belongs_to_the_handler_fork_copies_it_and_exec_or_another_action_drops_it() {
    let mut p = SigState::new();
    p.set_action(Signal::SIGCHLD, Action::Handle, false, true)
        .unwrap();
    assert_eq!(
        p.sa_mask(Signal::SIGCHLD),
        SigSet::from_bits(!(1 << 31 | 1 << 32))
    );
    assert_eq!(p.sa_mask(Signal::SIGUSR1), SigSet::EMPTY);
    let child = p.fork_child();
    assert_eq!(child.sa_mask(Signal::SIGCHLD), p.sa_mask(Signal::SIGCHLD));
    let mut execd = p.clone();
    execd.exec();
    assert_eq!(execd.sa_mask(Signal::SIGCHLD), SigSet::EMPTY);
    // Only a handler keeps a mask: `mask all` with SIG_IGN is not a
    // handler's (the parser takes it only after `handle`).
    p.set_action(Signal::SIGCHLD, Action::Ignore, false, true)
        .unwrap();
    assert_eq!(p.sa_mask(Signal::SIGCHLD), SigSet::EMPTY);
    p.set_action(Signal::SIGCHLD, Action::Handle, false, false)
        .unwrap();
    assert_eq!(p.sa_mask(Signal::SIGCHLD), SigSet::EMPTY);
}

#[test]
fn two_handled_signals_pending_together_stack_frames_and_the_newer_runs_first() {
    let mut p = handling(Signal::SIGUSR1);
    p.set_action(Signal::SIGUSR2, Action::Handle, false, false)
        .unwrap();
    p.block(&[Signal::SIGUSR1, Signal::SIGUSR2]);
    p.generate(Signal::SIGUSR2);
    p.generate(Signal::SIGUSR1);
    p.unblock(&[Signal::SIGUSR1, Signal::SIGUSR2]);
    assert_eq!(p.deliver_next().map(|(s, _)| s), Some(Signal::SIGUSR1));
    assert_eq!(p.deliver_next().map(|(s, _)| s), Some(Signal::SIGUSR2));
    assert_eq!(p.deliver_next(), None);
    assert_eq!(p.run_handler().map(|r| r.signal), Some(Signal::SIGUSR2));
    assert_eq!(p.run_handler().map(|r| r.signal), Some(Signal::SIGUSR1));
    assert_eq!(p.blocked(), SigSet::EMPTY);
}

#[test]
fn a_stop_taken_after_a_frame_leaves_the_handler_unrun_until_sigcont() {
    let sim = run_holds(
        "process a
a: fork b
b: signal SIGUSR1 handle
b: block SIGUSR1 SIGTSTP
b: kill b SIGUSR1
b: kill b SIGTSTP
b: unblock SIGUSR1 SIGTSTP
expect b state stopped
expect b handled SIGUSR1 0
a: kill b SIGCONT
expect b handled SIGUSR1 1
",
    );
    let world = sim.world(7).unwrap();
    let b = world.pid_of("b").unwrap();
    assert_eq!(
        world.proc(b).signals.frames().collect::<Vec<_>>(),
        vec![Signal::SIGUSR1]
    );
}

#[test]
fn a_pending_sigkill_goes_before_lower_numbered_signals() {
    let mut p = SigState::new();
    // Pending while stopped (a stopped process takes none but SIGKILL).
    p.generate(Signal::SIGHUP);
    p.generate_to(Signal::SIGPIPE, Queue::Private);
    p.generate(Signal::SIGKILL);
    assert_eq!(p.next_deliverable(), Some(Signal::SIGKILL));
    run_holds(
        "process a
a: fork b
a: kill b SIGSTOP
a: kill b SIGHUP
a: kill b SIGKILL
a: wait b
expect a status signaled SIGKILL
",
    );
}

#[test]
fn sigkill_wakes_a_stopped_reader_only_to_die_so_it_reads_nothing() {
    run_holds(
        "process a
a: pipe x
a: fork b
b: recv x.r 10
a: kill b SIGSTOP
a: send x.w 5
a: kill b SIGKILL
expect b state zombie
expect x.r queued 5
",
    );
}

#[test]
fn a_continued_process_takes_its_signals_before_its_call_starts_again() {
    run_holds(
        "process top
top: fork a
a: fork b
a: fork d
a: wait b
d: kill a SIGSTOP
b: exit 7
d: kill a SIGUSR2
d: kill a SIGCONT
expect a state zombie
expect b state gone
",
    );
    // Without a fatal signal pending, the wait starts again and reaps.
    run_holds(
        "process a
a: fork b
a: fork d
a: wait b
d: kill a SIGSTOP
b: exit 7
d: kill a SIGCONT
expect a state running
expect a status exited 7
",
    );
}

// ----- exec and handler counts ---------------------------------------------------

#[test]
fn exec_starts_handler_counts_from_zero() {
    let mut p = handling(Signal::SIGUSR1);
    p.generate(Signal::SIGUSR1);
    drain(&mut p);
    assert_eq!(p.handled(Signal::SIGUSR1), 1);
    p.exec();
    assert_eq!(p.handled(Signal::SIGUSR1), 0);
    assert!(p.handled_counts().is_empty());
}

// ----- names -------------------------------------------------------------------------

#[test]
fn sigpoll_and_sigio_name_signal_29_which_prints_as_sigio() {
    assert_eq!(sig("SIGPOLL"), sig("SIGIO"));
    assert_eq!(sig("SIGPOLL").number(), 29);
    assert_eq!(sig("SIGPOLL").to_string(), "SIGIO");
    run_holds(
        "process p
p: signal SIGPOLL handle
p: kill p SIGIO
expect p handled SIGPOLL 1
",
    );
}

// ----- random operation sequences ---------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    SetAction(Signal, Action, bool, bool),
    Block(Vec<Signal>),
    Unblock(Vec<Signal>),
    Generate(Signal),
    GenerateForThread(Signal),
    Deliver(Signal),
    RunHandler,
    DeliverNext,
    ChildExit,
    Fork,
    Exec,
}

fn any_signal() -> impl Strategy<Value = Signal> {
    prop::sample::select(Signal::all().collect::<Vec<_>>())
}

fn any_action() -> impl Strategy<Value = Action> {
    prop::sample::select(vec![Action::Handle, Action::Ignore, Action::Default])
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any_signal(), any_action(), any::<bool>(), any::<bool>())
            .prop_map(|(s, a, n, m)| Op::SetAction(s, a, n, m)),
        prop::collection::vec(any_signal(), 0..4).prop_map(Op::Block),
        prop::collection::vec(any_signal(), 0..4).prop_map(Op::Unblock),
        any_signal().prop_map(Op::Generate),
        any_signal().prop_map(Op::GenerateForThread),
        any_signal().prop_map(Op::Deliver),
        Just(Op::RunHandler),
        Just(Op::DeliverNext),
        Just(Op::ChildExit),
        Just(Op::Fork),
        Just(Op::Exec),
    ]
}

proptest! {
    #[test]
    fn random_operations_never_panic_and_keep_the_invariants(ops in prop::collection::vec(any_op(), 0..200)) {
        let mut p = SigState::new();
        for op in ops {
            match op {
                Op::SetAction(s, a, n, m) => {
                    let r = p.set_action(s, a, n, m);
                    prop_assert_eq!(r.is_err(), s.is_uncatchable());
                }
                Op::Block(v) => p.block(&v),
                Op::Unblock(v) => p.unblock(&v),
                Op::Generate(s) => {
                    let before = p.pending_queue(Queue::Shared).count(s);
                    let g = p.generate(s);
                    if g.fate == Fate::AlreadyPending {
                        prop_assert!(!s.is_realtime() && before == 1);
                    }
                }
                Op::Deliver(s) => {
                    if let Some(Delivery::Handler) = p.deliver(s) {
                        prop_assert!(p.blocked().contains(s), "a handler's signal is blocked until it returns");
                        prop_assert_eq!(p.frames().last(), Some(s));
                    }
                }
                Op::GenerateForThread(s) => {
                    let before = p.pending_queue(Queue::Private).count(s);
                    let g = p.generate_to(s, Queue::Private);
                    if g.fate == Fate::AlreadyPending {
                        prop_assert!(!s.is_realtime() && before == 1);
                    }
                }
                Op::RunHandler => {
                    let top = p.frames().last();
                    let before = top.map(|s| p.handled(s));
                    let run = p.run_handler();
                    prop_assert_eq!(run.map(|r| r.signal), top);
                    if let (Some(run), Some(before)) = (run, before) {
                        prop_assert_eq!(run.runs, before + 1);
                        prop_assert_eq!(run.runs, p.handled(run.signal));
                    }
                }
                Op::DeliverNext => {
                    let next = p.next_deliverable();
                    prop_assert_eq!(p.deliver_next().map(|(s, _)| s), next);
                }
                Op::ChildExit => { p.notify_child_exit(); }
                Op::Fork => {
                    let child = p.fork_child();
                    prop_assert_eq!(child.pending_set(), SigSet::EMPTY);
                    prop_assert!(child.handled_counts().is_empty());
                    prop_assert_eq!(child.frames().count(), 0);
                    p = child;
                }
                Op::Exec => {
                    p.exec();
                    prop_assert!(p.handled_counts().is_empty());
                }
            }
            for s in Signal::all() {
                if !s.is_realtime() {
                    for q in [Queue::Private, Queue::Shared] {
                        let n = p.pending_queue(q).count(s);
                        prop_assert!(n <= 1, "{} pending {} times in the {:?} queue", s, n, q);
                    }
                }
                if s.is_uncatchable() {
                    prop_assert!(!p.blocked().contains(s));
                    prop_assert_eq!(p.disposition(s), Disposition::Default);
                }
            }
            if let Some(s) = p.next_deliverable() {
                prop_assert!(p.pending_count(s) >= 1 && !p.blocked().contains(s));
            }
        }
    }
}

// ----- a signal wakes a sleeping send, which goes round its loop first ------------

#[test]
fn a_handled_signal_lets_a_half_drained_sender_queue_one_more_skb_and_return() {
    let sim = run_holds(
        "process c
c: signal SIGUSR1 handle
c: socketpair s
c: fork r
c: send s.0 300000
r: recv s.1 70000
expect c state blocked
r: kill c SIGUSR1
expect c state running
expect c result 255808
expect s.1 queued 185808
expect c handled SIGUSR1 1
",
    );
    let story = &sim.steps().last().unwrap().narration;
    assert!(
        story.contains("one more skb, of 36544 bytes") && story.contains("send ends with 255808"),
        "{story}"
    );
}

#[test]
fn a_fatal_signal_lets_a_sender_fill_a_raised_sndbuf_and_kills_it_as_the_call_ends() {
    run_holds(
        "process p
p: socketpair s
p: fork c
c: send s.0 300000
p: sndbuf s.0 212992
expect c state blocked
p: kill c SIGTERM
expect c state zombie
expect s.1 queued 300000
p: wait c
expect p status signaled SIGTERM
",
    );
}

#[test]
fn a_signal_lets_a_sender_that_had_moved_nothing_return_what_it_sends_then() {
    run_holds(
        "process p
p: socketpair s
p: fork r
p: signal SIGUSR1 handle
p: send s.0 300000 nonblock
p: send s.0 50000
r: recv s.1 70000
expect p state blocked
r: kill p SIGUSR1
expect p result 36544
expect p handled SIGUSR1 1
",
    );
}

#[test]
fn a_signal_that_finds_the_buffer_still_full_interrupts_the_send_as_before() {
    run_holds(
        "process p
p: socketpair s
p: fork r
p: signal SIGUSR1 handle
p: send s.0 300000 nonblock
p: send s.0 50000
r: kill p SIGUSR1
expect p handled SIGUSR1 1
expect p state blocked
expect s.1 queued 219264
r: recv s.1 300000
expect p result 50000
",
    );
}

#[test]
fn sigstop_lets_a_sender_fill_a_raised_sndbuf_and_sigcont_returns_the_whole_count() {
    let sim = run_holds(
        "process p
p: socketpair s
p: fork r
p: send s.0 300000
r: sndbuf s.0 212992
r: kill p SIGSTOP
expect p state stopped
expect s.1 queued 300000
r: kill p SIGCONT
expect p state running
expect p result 300000
",
    );
    // Stopped, the program has not seen the count yet.
    let stopped = sim.world(6).unwrap();
    let p = stopped.pid_of("p").unwrap();
    assert_eq!(stopped.proc(p).last_op.as_ref().unwrap().result, None);
}

#[test]
fn a_send_restarted_after_sigcont_sends_below_sndbuf_without_a_wake_up() {
    run_holds(
        "process p
p: socketpair s
p: fork r
p: send s.0 300000 nonblock
p: send s.0 50000
r: kill p SIGSTOP
r: recv s.1 70000
expect p state stopped
r: kill p SIGCONT
expect p state blocked
expect s.1 queued 185808
r: recv s.1 200000
expect p result 50000
",
    );
}

#[test]
fn a_pipe_writer_woken_by_a_signal_with_the_pipe_full_returns_its_partial_count() {
    // Reading less than a page frees no slot: the pipe stays full, so
    // pipe_write reaches its signal test at once.
    run_holds(
        "process p
p: pipe x
p: fork r
p: signal SIGUSR1 handle
p: send x.w 100000
r: recv x.r 4000
expect p state blocked
r: kill p SIGUSR1
expect p result 65536
expect x.r queued 61536
",
    );
}
