//! The random scenario generators of the tests, all in one place. Each
//! writes scenario text that the model runs without a scenario error, and
//! draws the same scenario from the same input:
//! - `processes`: processes and memory only, ending with every process
//!   gone (tests/tests/model_properties.rs);
//! - `ipc_signals`: processes, pipes, socketpairs and signals, one line
//!   at a time from the world so far (tests/tests/ipc_signal_properties.rs);
//! - `differential`: everything the language has, from a seed, leaving
//!   out the races the kernel's scheduler decides, for the replay on the
//!   kernel (native/tests/differential).
//!
//! The first two draw from proptest's values (so a failure shrinks), the
//! third from a seed (so a disagreement is named by its seed).

pub mod differential;
pub mod ipc_signals;
pub mod processes;
