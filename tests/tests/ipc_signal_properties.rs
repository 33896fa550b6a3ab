//! Properties of the step engine on random scenarios that mix processes
//! (fork, exec, exit, wait), pipes and socketpairs (close, close-on-exec,
//! blocking and nonblocking send/recv, pipesize, sndbuf) and signals
//! (sigaction, block, unblock, kill):
//! - bytes are conserved in every queue after every step: what the step
//!   events say was sent into it equals what they say was received from it
//!   plus what it holds, until an end of it is released for good (then the
//!   kernel may drop what is left: a freed pipe, a purged socket), and even
//!   then no byte appears from nowhere;
//! - no fd stays open in a process that is a zombie or gone, and none that
//!   is close-on-exec in a process that just exec'd;
//! - every frame's map count equals the page-table entries that map it;
//! - the model never panics: a scenario error is a value, a panic a bug;
//! - the world's index of processes the end of a step must visit (asleep
//!   in a call, or with a signal or handler to take) is exact;
//! - the changes of a step found from its two worlds are the difference
//!   of their whole observations, and replaying them gives the one after.
//!
//! The scenarios come from `tests::gen::ipc_signals`, which writes each
//! line from the world the lines before it left.

use proptest::prelude::*;
use sim_core::engine::{Event, Sim};
use sim_core::ipc::end_name::{EndName, Which};
use sim_core::ipc::fd::EndRef;
use sim_core::ipc::pipe::PipeEnd;
use sim_core::proc::ProcState;
use sim_core::world::World;
use std::collections::BTreeMap;
use tests::gen::ipc_signals::{run, scenario, Choice};
use tests::props::changes_agree;

/// The queue a move on `end` works on, named by its receiving end: a pipe
/// has one queue (its read end); a send on `s.0` fills the queue `s.1`
/// reads, a recv on `s.0` drains the one `s.0` reads.
fn queue_of(end: &str, op: &str) -> String {
    let name = EndName::parse(end).expect("an event names an end as the language does");
    let which = match (name.which, op) {
        (Which::Pipe(_), _) => Which::Pipe(PipeEnd::Read),
        (Which::Sock(side), "send") => Which::Sock(side.peer()),
        (which, _) => which,
    };
    EndName::new(name.object, which).to_string()
}

/// Bytes held by the queue read at `end`, and whether both of its ends are
/// still open (only then may no byte be lost).
fn queue_state(w: &World, end: EndRef) -> (u64, bool) {
    match end {
        EndRef::Pipe(id, _) => {
            let pipe = w.pipe(id);
            (pipe.queued(), !pipe.is_unreferenced())
        }
        EndRef::Sock(id, side) => {
            let pair = w.socks(id);
            (
                pair.socket(side).queued_bytes(),
                !pair.socket(side).is_dead() && !pair.socket(side.peer()).is_dead(),
            )
        }
    }
}

#[derive(Default)]
struct Ledger {
    sent: u64,
    received: u64,
    /// An end was released for good: leftover bytes may have been dropped.
    may_drop: bool,
}

/// Run `text` and check every property after every step.
fn check_properties(text: &str) -> Result<(), TestCaseError> {
    let mut sim = Sim::from_source(text).expect("the generator writes only valid syntax");
    let mut ledgers: BTreeMap<String, Ledger> = BTreeMap::new();
    // A scenario error ends the run: it is a value, not a failure.
    while let Ok(Some(step)) = sim.step() {
        let events = step.events.clone();
        let index = sim.steps().len() as u32;
        let w = sim.world(index).expect("the world after a step is kept");
        for event in &events {
            if let Event::Exec { pid, .. } = event {
                let proc = w.proc(*pid);
                prop_assert!(
                    proc.state.is_dead()
                        || !proc.fds.iter_with_flags().any(|(_, _, cloexec)| cloexec),
                    "after step {index}, {} exec'd but holds a close-on-exec fd\n{text}",
                    proc.name
                );
            }
            if let Event::Moved { end, op, bytes, .. } = event {
                let ledger = ledgers.entry(queue_of(end, op)).or_default();
                match op.as_str() {
                    "send" => ledger.sent += bytes,
                    "recv" => ledger.received += bytes,
                    other => prop_assert!(false, "a move that is neither send nor recv: {other}"),
                }
            }
        }
        for (name, end) in w.ends() {
            if matches!(end, EndRef::Pipe(_, PipeEnd::Write)) {
                continue; // a pipe's one queue is counted at its read end
            }
            let (queued, open) = queue_state(w, end);
            let ledger = ledgers.entry(name.clone()).or_default();
            ledger.may_drop |= !open;
            prop_assert!(
                ledger.received + queued <= ledger.sent,
                "after step {index}, queue {name} holds {queued} and gave {} of only {} sent\n{text}",
                ledger.received,
                ledger.sent
            );
            prop_assert!(
                ledger.may_drop || ledger.received + queued == ledger.sent,
                "after step {index}, queue {name} lost bytes while open: sent {}, received {}, queued {queued}\n{text}",
                ledger.sent,
                ledger.received
            );
        }
        for proc in w.procs() {
            if matches!(
                proc.state,
                ProcState::Zombie { .. } | ProcState::Gone { .. }
            ) {
                prop_assert!(
                    proc.fds.is_empty(),
                    "after step {index}, {} is dead but holds {} fds\n{text}",
                    proc.name,
                    proc.fds.len()
                );
            }
        }
        if let Err(why) = w.check_frame_counts() {
            prop_assert!(false, "after step {index}: {why}\n{text}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_ipc_and_signal_scenarios_conserve_bytes_close_dead_fds_and_never_panic(
        choices in prop::collection::vec(any::<Choice>(), 1..60)
    ) {
        let text = scenario(&choices);
        check_properties(&text)?;
    }

    #[test]
    fn the_worlds_index_of_processes_with_something_to_do_is_exact_after_every_step(
        choices in prop::collection::vec(any::<Choice>(), 1..60)
    ) {
        let text = scenario(&choices);
        let sim = run(&text);
        for index in 0..=sim.steps().len() as u32 {
            let world = sim.world(index).expect("kept");
            prop_assert_eq!(world.check_attention(), Ok(()), "after step {}\n{}", index, text);
        }
    }

    #[test]
    fn changes_found_from_the_worlds_equal_the_diff_of_whole_observations(
        choices in prop::collection::vec(any::<Choice>(), 1..60)
    ) {
        let text = scenario(&choices);
        let sim = run(&text);
        if let Err(why) = changes_agree(&sim) {
            prop_assert!(false, "{}\n{}", why, text);
        }
    }
}

/// Scenarios that once broke a property, kept as plain tests.
#[test]
fn a_datagram_send_to_a_closed_peer_moves_no_bytes_into_its_own_queue() {
    let text = "\
process p0
p0: socketpair s dgram
p0: send s.1 100
p0: close s.1
p0: send s.0 10
";
    check_properties(text).expect("bytes are conserved");
    let mut sim = Sim::from_source(text).expect("valid");
    sim.run_to_end().expect("runs");
    let last = sim.steps().last().expect("a step");
    assert!(
        !last.events.iter().any(|e| matches!(e, Event::Moved { .. })),
        "{:?}",
        last.events
    );
}

#[test]
fn a_datagram_queued_behind_another_is_counted_as_moved() {
    let text = "\
process p0
p0: socketpair s dgram
p0: send s.0 100
p0: send s.0 200
";
    let mut sim = Sim::from_source(text).expect("valid");
    sim.run_to_end().expect("runs");
    let last = sim.steps().last().expect("a step");
    assert!(
        last.events
            .iter()
            .any(|e| matches!(e, Event::Moved { bytes: 200, .. })),
        "{:?}",
        last.events
    );
    check_properties(text).expect("bytes are conserved");
}
