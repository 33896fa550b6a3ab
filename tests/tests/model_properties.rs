//! Properties of the model on random valid scenarios of
//! process/mmap/munmap/read/write/fork/exec/exit/wait:
//! - after every step each frame's map count equals the number of
//!   page-table entries that map it;
//! - once every process is gone, no frame but the zero page is left;
//! - time travel is exact: the world kept for step i, looked at after the
//!   whole run, is the world seen right after step i ran;
//! - the changes of a step found from its two worlds are the difference
//!   of their whole observations, and replaying them gives the one after.
//!
//! The scenarios come from `tests::gen::processes`, a shadow of the
//! process rules, so every one is a scenario the model must run without a
//! scenario error.

use proptest::prelude::*;
use sim_core::engine::Sim;
use sim_core::observe::Observation;
use sim_core::proc::ProcState;
use std::fmt::Write as _;
use tests::gen::processes::scenario;
use tests::props::changes_agree;

/// A look at everything a step leaves behind.
#[derive(Debug, PartialEq)]
struct Seen {
    observation: Observation,
    live_frames: u32,
}

fn seen(sim: &Sim, index: u32) -> Seen {
    let world = sim.world(index).expect("every step's world is kept");
    Seen {
        observation: world.observe(),
        live_frames: world.frames().live(),
    }
}

/// Run `text` step by step, checking the frame counts after each step, and
/// return the sim and what was seen after each step (index 0: the start).
fn run_checked(text: &str) -> Result<(Sim, Vec<Seen>), TestCaseError> {
    let mut sim = Sim::from_source(text).map_err(|e| {
        TestCaseError::fail(format!("a generated scenario does not parse: {e}\n{text}"))
    })?;
    let mut seen_then = vec![seen(&sim, 0)];
    loop {
        match sim.step() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                return Err(TestCaseError::fail(format!(
                    "a valid scenario stopped with an error: {e}\n{text}"
                )))
            }
        }
        let index = sim.steps().len() as u32;
        let world = sim.world(index).expect("the world after a step is kept");
        if let Err(why) = world.check_frame_counts() {
            return Err(TestCaseError::fail(format!(
                "after step {index}: {why}\n{text}"
            )));
        }
        seen_then.push(seen(&sim, index));
    }
    Ok((sim, seen_then))
}

fn actions() -> impl Strategy<Value = Vec<[u8; 5]>> {
    prop::collection::vec(any::<[u8; 5]>(), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frame_counts_match_the_page_tables_after_every_step(actions in actions()) {
        let text = scenario(&actions);
        run_checked(&text)?;
    }

    #[test]
    fn no_frame_is_left_once_every_process_is_gone(actions in actions()) {
        let text = scenario(&actions);
        let (sim, _) = run_checked(&text)?;
        let world = sim.current();
        for proc in world.procs().filter(|p| !p.is_init()) {
            prop_assert!(
                matches!(proc.state, ProcState::Gone { .. }),
                "{} is {:?}, not gone\n{}", proc.name, proc.state, text
            );
        }
        prop_assert_eq!(world.frames().live(), 0, "frames leak\n{}", text);
        prop_assert_eq!(world.frames().shm_count(), 0, "shmem objects leak\n{}", text);
    }

    #[test]
    fn time_travel_shows_each_step_exactly_as_it_was(actions in actions()) {
        let text = scenario(&actions);
        let (sim, seen_then) = run_checked(&text)?;
        prop_assert_eq!(seen_then.len(), sim.steps().len() + 1);
        for (index, then) in seen_then.iter().enumerate() {
            let now = seen(&sim, index as u32);
            prop_assert_eq!(&now, then, "step {} looks different later\n{}", index, text);
        }
        prop_assert!(sim.world(seen_then.len() as u32).is_none());
    }
}

#[test]
fn the_generator_writes_every_kind_of_operation() {
    // A fixed walk through the action space, so that a change to the
    // generator that stops producing some operation is noticed.
    let actions: Vec<[u8; 5]> = (0..2000u32)
        .map(|i| {
            let x = i.wrapping_mul(2_654_435_761);
            [
                (i % 17) as u8,
                (x >> 3) as u8,
                (x >> 11) as u8,
                (x >> 19) as u8,
                (x >> 27) as u8,
            ]
        })
        .collect();
    let text = scenario(&actions);
    let mut missing = String::new();
    for op in [
        "process ",
        ": mmap ",
        " shared",
        ": munmap ",
        ": read ",
        ": write ",
        ": fork ",
        ": exec ",
        ": exit ",
        ": wait",
    ] {
        if !text.contains(op) {
            let _ = write!(missing, " {op:?}");
        }
    }
    assert!(missing.is_empty(), "never generated:{missing}\n{text}");
    let (sim, _) = run_checked(&text).expect("the long walk runs cleanly");
    assert_eq!(sim.current().frames().live(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn changes_found_from_the_worlds_equal_the_diff_of_whole_observations(actions in actions()) {
        let text = scenario(&actions);
        let (sim, _) = run_checked(&text)?;
        if let Err(why) = changes_agree(&sim) {
            prop_assert!(false, "{}\n{}", why, text);
        }
    }
}
