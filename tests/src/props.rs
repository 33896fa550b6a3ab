//! Properties that more than one family of random scenarios must hold.

use sim_core::changes::Changes;
use sim_core::engine::Sim;

/// Each step's changes, found from the two worlds (`Sim::changes`), equal
/// the difference of the two whole observations, and replaying them on
/// the observation before gives the observation after. `Err` says at which
/// step and how they differ.
pub fn changes_agree(sim: &Sim) -> Result<(), String> {
    // Each step's observation after is the next one's before: observe once.
    let mut before = sim.observe(0).expect("every step's world is kept");
    for index in 1..=sim.steps().len() as u32 {
        let after = sim.observe(index).expect("every step's world is kept");
        let full = Changes::between(&before, &after);
        let found = sim.changes(index).expect("a step that ran has changes");
        if found != full {
            return Err(format!(
                "step {index}: found from the worlds {found:?}, but the observations differ by {full:?}"
            ));
        }
        let mut replayed = before;
        full.replay(&mut replayed);
        if replayed != after {
            return Err(format!(
                "step {index}: replaying its changes gives {replayed:?}, not {after:?}"
            ));
        }
        before = after;
    }
    Ok(())
}
