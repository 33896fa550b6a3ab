//! The narration: where a step is told. `step` builds every sentence of a
//! step from its events (which carry every figure as it was when it
//! happened) and the worlds before and after the step (names, and what
//! does not change within a step). The operations in engine/ write no
//! prose; a sentence changes here, or nowhere.
//!
//! Each event tells its own part, in order, each part but the first
//! starting with a space; events that only record a fact the sentences
//! around them already tell (an fd opened, a call returned) say nothing.
//! memory.rs tells of memory, fork and exec; life.rs of exit, wait and
//! reaping; ipc.rs of pipes and sockets; signals.rs of signals.

mod ipc;
mod life;
mod memory;
pub(crate) mod node;
mod signals;
mod worker;

use super::event::Event;
use crate::ids::Pid;
use crate::scenario::ast::ExitStatus;
use crate::words::{agree, count, short_list};
use crate::world::World;

/// The narration of one step: its events told in order.
pub(crate) fn step(events: &[Event], before: &World, after: &World) -> String {
    let tell = Teller { before, after };
    let mut story = String::new();
    for (i, event) in events.iter().enumerate() {
        story.push_str(&tell.event(event, &events[i + 1..]));
    }
    story
}

/// The worlds a step's story is told from.
pub(super) struct Teller<'a> {
    /// Before the step: what a touched region was.
    pub before: &'a World,
    /// After the step: names of processes and objects, and who else maps a
    /// frame after a copy-on-write fault.
    pub after: &'a World,
}

impl Teller<'_> {
    /// A process's name.
    pub(crate) fn name(&self, pid: Pid) -> &str {
        self.after.name_of(pid)
    }

    /// The part of the story `event` tells; `rest` are the events after it.
    fn event(&self, event: &Event, rest: &[Event]) -> String {
        match event {
            Event::Started { pid, name } => {
                format!("init starts {name}, pid {pid}: a process with an empty address space.")
            }
            Event::Mapped { .. }
            | Event::MapRefused { .. }
            | Event::Unmapped { .. }
            | Event::Touched { .. }
            | Event::Forked { .. }
            | Event::Exec { .. }
            | Event::ThreadMade { .. } => self.memory(event, rest),
            Event::Subreaper { pid } => format!(
                "{} calls prctl(PR_SET_CHILD_SUBREAPER, 1): from now on, when one of its descendants dies, the nearest living subreaper above it adopts the orphans, not init.",
                self.name(*pid)
            ),
            Event::Exited { .. }
            | Event::Zombie { .. }
            | Event::Reaped { .. }
            | Event::ParentNotTold { .. }
            | Event::WaitCalled { .. }
            | Event::WaitFailed { .. } => self.life(event),
            Event::PipeMade { .. }
            | Event::SocketpairMade { .. }
            | Event::Refused { .. }
            | Event::Closed { .. }
            | Event::CloexecSet { .. }
            | Event::SendCalled { .. }
            | Event::RecvCalled { .. }
            | Event::SendWentOn { .. }
            | Event::SendSignalled { .. }
            | Event::RecvWoken { .. }
            | Event::PipeSized { .. }
            | Event::WriterRequeued { .. }
            | Event::SndbufSet { .. } => self.ipc(event),
            Event::ActionSet { .. }
            | Event::MaskChanged { .. }
            | Event::KillCalled { .. }
            | Event::SignalSent { .. }
            | Event::SignalDelivered { .. }
            | Event::Interrupted { .. }
            | Event::HeldOff { .. }
            | Event::HandlerRan { .. }
            | Event::Stopped { .. }
            | Event::Continued { .. } => self.signals(event),
            // Told by the events around them: a fault by its `touched`, an
            // adoption by the death, a sleep or a wake-up by the call's own
            // event, a return by the operation's.
            Event::Mem { .. }
            | Event::Reparented { .. }
            | Event::Blocked { .. }
            | Event::Woken { .. }
            | Event::Returned { .. }
            | Event::Opened { .. }
            | Event::Moved { .. } => String::new(),
        }
    }
}

/// How a process ended, after "which" or "it has".
pub(crate) fn ended(status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(code) => format!("exited with status {code}"),
        ExitStatus::Signaled(sig) => format!("was killed by {sig}"),
    }
}

fn frames_freed(n: u32) -> String {
    format!(
        "{} {} freed",
        count(n, "frame", "frames"),
        agree(n, "is", "are")
    )
}

fn list_is_are(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    format!(
        "{} {}",
        short_list(names, names.len()),
        agree(names.len() as u64, "is", "are")
    )
}
