//! placeholder
use super::{Options, Outcome, PyRandom, Sink};
/// placeholder
pub fn run(options: &Options, rng: &mut PyRandom, out: &mut dyn Sink) -> Outcome {
    super::run(options, rng, out)
}
