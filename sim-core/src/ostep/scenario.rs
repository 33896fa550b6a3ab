//! placeholder
use super::{Options, PyRandom};
/// placeholder
pub fn scenario(_options: &Options, _rng: &mut PyRandom) -> Result<String, String> {
    Err("not yet".into())
}
