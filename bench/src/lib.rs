//! The scale benchmarks (`cargo xtask bench`): the scenario
//! generators live here, in the library, so that a test can parse what
//! they make; the `scale` binary (src/main.rs) measures them.

pub mod cases;
