//! The built-in lessons: the `.scn` files of `lessons/` at the workspace
//! root, compiled in so that the CLI and the web app carry them.

/// One built-in lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// Its file name without `.scn`; what `forkscope run NAME` takes.
    pub name: &'static str,
    /// The scenario text.
    pub source: &'static str,
}

impl Lesson {
    /// The text of its `title` line.
    pub fn title(&self) -> &'static str {
        self.source
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("title "))
            .map_or(self.name, str::trim)
    }
}

macro_rules! lessons {
    ($($name:literal),* $(,)?) => {
        &[$(Lesson { name: $name, source: include_str!(concat!("../../lessons/", $name, ".scn")) },)*]
    };
}

static LESSONS: &[Lesson] = lessons![
    "cow-after-fork",
    "read-then-write",
    "fork-then-exec",
    "orphans",
    "zombies-and-wait",
    "pipe-fills-up",
    "pipe-buf-atomic-writes",
    "socketpair-buffer-fills",
    "sigchld-coalesces",
    "sigpipe",
    "sigchld-ignored",
    "node-what-a-child-process-is",
    "node-ipc-messages",
    "node-fork-is-a-new-node",
    "node-ipc-channel-setup",
    "node-one-send",
    "node-exit-to-close",
    "node-shared-memory-vs-ipc",
    "node-pros-and-cons",
];

/// Every built-in lesson, in teaching order.
pub fn all() -> &'static [Lesson] {
    LESSONS
}

/// The lesson called `name`.
pub fn find(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}
