//! The built-in lessons: the `.scn` files of `lessons/` at the workspace
//! root, compiled in so that the CLI carries them (`all`, `find`). The web
//! app carries only their names and titles (`index`, `entry`) and fetches
//! the texts, served next to it.

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

/// A built-in lesson as a list shows it: its name and title, without its
/// text. The web app carries only these (`index`, `entry`) and fetches a
/// lesson's text when it opens it, so that the wasm does not grow with
/// every lesson; the CLI and the tests use `all` and `find`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LessonEntry {
    /// As `Lesson::name`.
    pub name: &'static str,
    /// The text of the lesson's `title` line (a test checks they agree).
    pub title: &'static str,
}

macro_rules! lessons {
    ($($name:literal => $title:literal),* $(,)?) => {
        static LESSONS: &[Lesson] =
            &[$(Lesson { name: $name, source: include_str!(concat!("../../lessons/", $name, ".scn")) },)*];
        static INDEX: &[LessonEntry] = &[$(LessonEntry { name: $name, title: $title },)*];
    };
}

lessons![
    "cow-after-fork" => "Copy-on-write after fork",
    "read-then-write" => "Read, then write, an untouched page",
    "fork-then-exec" => "fork, then exec: the sharing ends",
    "orphans" => "Orphans are adopted by init",
    "zombies-and-wait" => "Zombies and wait",
    "pipe-fills-up" => "A pipe fills up: 1-byte vs 100-byte writes",
    "pipe-buf-atomic-writes" => "PIPE_BUF: why small writes never interleave",
    "socketpair-buffer-fills" => "A socketpair's buffer fills long before its byte count says",
    "sigchld-coalesces" => "Ten children exit while SIGCHLD is blocked: one signal, ten zombies",
    "sigpipe" => "SIGPIPE when the reader is gone",
    "sigchld-ignored" => "SIG_IGN vs a zombie",
    "node-what-a-child-process-is" => "Node 1: what a child process is",
    "node-ipc-messages" => "Node 2: IPC, messages that are copies",
    "node-fork-is-a-new-node" => "Node 3: what fork() in Node really does",
    "node-exec-vs-spawn" => "Node 4: exec vs spawn",
    "node-cow-page-by-page" => "Node 5: copy-on-write, page by page",
    "node-ipc-channel-setup" => "Node 6: setting up the IPC channel",
    "node-one-send" => "Node 7: the life of one send(), byte by byte",
    "node-exit-to-close" => "Node 8: from exit() to SIGCHLD to 'exit' and 'close'",
    "node-fork-spawn-exec" => "Node 9: fork vs spawn vs exec, side by side",
    "node-shared-memory-vs-ipc" => "Node 10: shared memory vs IPC",
    "node-pros-and-cons" => "Node 11: pros and cons of a child process",
];

/// Every built-in lesson, in teaching order.
pub fn all() -> &'static [Lesson] {
    LESSONS
}

/// The lesson called `name`.
pub fn find(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

/// Every built-in lesson's name and title, in teaching order, without the
/// texts.
pub fn index() -> &'static [LessonEntry] {
    INDEX
}

/// The name and title of the lesson called `name`.
pub fn entry(name: &str) -> Option<&'static LessonEntry> {
    INDEX.iter().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_index_names_every_lesson_in_order_with_its_own_title() {
        let index: Vec<_> = super::index().iter().map(|e| (e.name, e.title)).collect();
        let lessons: Vec<_> = super::all().iter().map(|l| (l.name, l.title())).collect();
        assert_eq!(
            index, lessons,
            "lessons.rs's titles must be the files' title lines"
        );
    }
}
