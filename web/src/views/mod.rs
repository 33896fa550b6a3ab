//! The views of the machine at one step, each drawn from the model's world
//! after the step and from the step's events and changes.

mod bits;
pub mod kernel;
pub mod log;
pub mod memory;
pub mod memory_layout;
pub mod narration;
pub mod node;
pub mod proctree;
pub mod queue_layout;
pub mod queues;
pub mod sigcards;
pub mod sigflow;
pub mod signals;
pub mod strace;
pub mod tree;

use crate::session::RunHandle;
use yew::prelude::*;

/// What every view draws from: the run, and the step shown (0: before the
/// first step). A view redraws only when one of them changes.
#[derive(Properties, PartialEq, Clone)]
pub struct ViewProps {
    pub run: RunHandle,
    pub step: u32,
}
