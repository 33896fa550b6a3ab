//! The run the app shows: a scenario's `Sim`, stepped ahead in slices so
//! that a 100,000-step scenario never freezes the page, and shared by
//! every view through a cheap handle.

use sim_core::engine::Sim;
use sim_core::scenario::ScenarioError;
use std::cell::{Ref, RefCell};
use std::rc::Rc;

/// How many steps run between two looks at the clock.
pub const CLOCK_EVERY: u32 = 64;

/// A shared run and how far it has been computed. Two handles are equal
/// when they are the same run: the world after a step never changes once
/// computed, so a view of step N need not redraw because later steps were
/// computed (the controls get the count of steps separately).
#[derive(Clone)]
pub struct RunHandle {
    sim: Rc<RefCell<Sim>>,
    /// Tells runs apart: a new text is a new run.
    id: u64,
    /// Steps computed so far.
    ready: u32,
}

impl PartialEq for RunHandle {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl RunHandle {
    /// Parse `text` into a run with no step computed yet.
    pub fn parse(text: &str, id: u64) -> Result<RunHandle, ScenarioError> {
        Ok(RunHandle {
            sim: Rc::new(RefCell::new(Sim::from_source(text)?)),
            id,
            ready: 0,
        })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Steps computed so far (the scrubber's end while it computes).
    pub fn ready(&self) -> u32 {
        self.ready
    }

    /// The run, read-only (views borrow it while they draw).
    pub fn sim(&self) -> Ref<'_, Sim> {
        self.sim.borrow()
    }

    /// Whether every step is computed (or an error stopped the run).
    pub fn is_finished(&self) -> bool {
        self.sim.borrow().is_finished()
    }

    /// Run more steps, `CLOCK_EVERY` at a time, until the run ends or
    /// `enough()` says the slice is over (the app passes a clock, so the
    /// page draws between slices); returns the handle for the run as far
    /// as it now is. A scenario error stops the run: `sim().error()` says
    /// where and why, and the steps before it stay viewable.
    pub fn advance(&self, mut enough: impl FnMut() -> bool) -> RunHandle {
        {
            let mut sim = self.sim.borrow_mut();
            'slice: loop {
                for _ in 0..CLOCK_EVERY {
                    match sim.step() {
                        Ok(Some(_)) => {}
                        Ok(None) | Err(_) => break 'slice,
                    }
                }
                if enough() {
                    break;
                }
            }
        }
        RunHandle {
            sim: Rc::clone(&self.sim),
            id: self.id,
            ready: self.sim.borrow().steps().len() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_advances_in_slices_and_stops_at_its_end() {
        let run = RunHandle::parse("process p\np: mmap heap 2\np: write heap 0\n", 1).unwrap();
        assert_eq!(run.ready(), 0);
        let run2 = run.advance(|| true);
        assert_eq!(run2.ready(), 3);
        assert!(
            run2 == run,
            "the same run computed further draws the same steps"
        );
        assert!(run2.is_finished());
        let text = "process p\np: mmap heap 1\n".to_string() + &"p: write heap 0\n".repeat(200);
        let long = RunHandle::parse(&text, 2).unwrap();
        let mut slices = 0;
        let long = long.advance(|| {
            slices += 1;
            slices == 2
        });
        assert_eq!(
            long.ready(),
            2 * CLOCK_EVERY,
            "two slices of steps, then the clock said stop"
        );
        assert!(!long.is_finished());
        assert!(long.advance(|| false).is_finished());
    }

    #[test]
    fn a_run_time_error_stops_the_run_and_keeps_the_steps_before_it() {
        let run = RunHandle::parse("process p\np: write heap 0\n", 1)
            .unwrap()
            .advance(|| false);
        assert_eq!(run.ready(), 1);
        let sim = run.sim();
        let err = sim.error().expect("writing an unmapped region is an error");
        assert_eq!(err.pos.line, 2);
    }
}
