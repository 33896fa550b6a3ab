//! Handles into the world's tables. Each is a small newtype of a fixed-width
//! integer, so that state means the same on wasm32 and x86_64 (no `usize`).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident($inner:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

handle!(
    /// A process id. Pid 1 is init; scenario processes start at 2.
    Pid(u32),
    ""
);
handle!(
    /// A physical frame. `FrameId::ZERO` is the shared zero page; real frames
    /// are numbered from 1 in allocation order and never reused, so that a
    /// narration's "F9" names one frame for the whole run.
    FrameId(u32),
    "F"
);
handle!(
    /// A shared anonymous memory object (what `mmap(MAP_SHARED|MAP_ANONYMOUS)`
    /// creates: a shmem file that holds the pages).
    ShmId(u32),
    "shm"
);
handle!(
    /// A pipe: one byte queue with a read end and a write end.
    PipeId(u32),
    "pipe"
);
handle!(
    /// A socketpair: two connected AF_UNIX sockets.
    SockPairId(u32),
    "sock"
);
handle!(
    /// A file descriptor number in one process's fd table.
    Fd(u32),
    "fd"
);

impl Pid {
    /// init, the ancestor of every scenario process and the reaper of orphans.
    pub const INIT: Pid = Pid(1);
}

impl FrameId {
    /// The shared zero page: mapped read-only by a read fault on an untouched
    /// private page; never counted, never freed.
    pub const ZERO: FrameId = FrameId(0);
}
