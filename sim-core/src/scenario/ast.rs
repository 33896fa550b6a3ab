//! The parsed form of a scenario (language v1). Parsing and
//! printing live beside it; nothing here knows how a statement runs.
//!
//! Every statement keeps its source position, so that any error, in the
//! parser, the model or the native replay, can name a line and column.

use super::keyword::{NodeEventName, StatusWord};
pub use super::node_syntax::{NodeObject, NodeStmt, NodeValue};
use crate::errno::Errno;
use crate::ipc::end_name::{EndName, Which};
use crate::ipc::pipe::PipeEnd;
use crate::ipc::socket::Side;
use crate::sig::Signal;
use serde::{Deserialize, Serialize};

/// A 1-based position in the scenario text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A name from the source (`[a-z][a-z0-9_-]*`) with where it was written.
/// Two names are equal when their text is; the position is not compared.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Name {
    pub text: String,
    pub pos: Pos,
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for Name {}

impl Name {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A whole scenario: its title and its statements in source order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub title: Option<String>,
    pub statements: Vec<Statement>,
}

/// One line of a scenario that is not blank or only a comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Where the statement starts (its first word).
    pub pos: Pos,
    pub kind: StatementKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "statement")]
/// What a statement is: a new process, an operation of an actor, a narration
/// line or an expect.
pub enum StatementKind {
    // `title TEXT` is not a statement: the title lives in `Scenario::title`,
    // so that a scenario has at most one.
    /// `process NAME`: a new process, child of init.
    Process { name: Name },
    /// `ACTOR: op args`
    Op { actor: Name, op: Op },
    /// `say TEXT`: narration for the step before it.
    Say { text: String },
    /// `expect ...`: checked after the step before it.
    Expect { expect: Expect },
    /// `node NAME`: a new process running `node NAME.js`, child of init.
    NodeProcess { name: Name },
    /// `ACTOR: JAVASCRIPT`: a Node statement, run as the group of kernel
    /// steps it expands into (`node::expand`).
    Node { actor: Name, stmt: NodeStmt },
}

/// Pages `start..end` (half-open); `read R 3` is `3..4`. Keeps where it
/// was written, so that a page out of its region's range is pointed at;
/// two ranges are equal when their pages are (the position is not
/// compared, as a `Name`'s is not).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct PageRange {
    pub start: u32,
    pub end: u32,
    pub pos: Pos,
}

impl PartialEq for PageRange {
    fn eq(&self, other: &Self) -> bool {
        (self.start, self.end) == (other.start, other.end)
    }
}
impl Eq for PageRange {}

impl PageRange {
    /// Pages `start..end`, written at `pos`.
    pub fn new(start: u32, end: u32, pos: Pos) -> PageRange {
        PageRange { start, end, pos }
    }

    /// The one page `page`, written at `pos`.
    pub fn single(page: u32, pos: Pos) -> PageRange {
        PageRange::new(page, page + 1, pos)
    }

    /// How many pages the range holds.
    pub fn len(&self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range holds no page.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The page indices of the range, as a Rust range.
    pub fn pages(&self) -> std::ops::Range<u32> {
        self.start..self.end
    }
}

/// One end of a pipe or socketpair: `P.r`, `P.w`, `S.0`, `S.1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "end")]
pub enum End {
    PipeRead { pipe: Name },
    PipeWrite { pipe: Name },
    Socket { pair: Name, side: u8 },
}

impl End {
    /// The end `which` of the object named `object`.
    pub fn new(object: Name, which: Which) -> End {
        match which {
            Which::Pipe(PipeEnd::Read) => End::PipeRead { pipe: object },
            Which::Pipe(PipeEnd::Write) => End::PipeWrite { pipe: object },
            Which::Sock(side) => End::Socket {
                pair: object,
                side: side.index() as u8,
            },
        }
    }

    /// The pipe or socketpair this end belongs to.
    pub fn object(&self) -> &Name {
        match self {
            End::PipeRead { pipe } | End::PipeWrite { pipe } => pipe,
            End::Socket { pair, .. } => pair,
        }
    }

    /// Which end of its object this is.
    pub fn which(&self) -> Which {
        match self {
            End::PipeRead { .. } => Which::Pipe(PipeEnd::Read),
            End::PipeWrite { .. } => Which::Pipe(PipeEnd::Write),
            End::Socket { side: 0, .. } => Which::Sock(Side::Zero),
            End::Socket { .. } => Which::Sock(Side::One),
        }
    }
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        EndName::new(self.object(), self.which()).fmt(f)
    }
}

/// What a `send` writes: N bytes, or the bytes of a quoted string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Bytes(u64),
    Text(String),
}

impl Payload {
    /// How many bytes the payload is.
    pub fn len(&self) -> u64 {
        match self {
            Payload::Bytes(n) => *n,
            Payload::Text(s) => s.len() as u64,
        }
    }

    /// Whether the payload has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The action `signal SIG ...` installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A handler that counts its runs (installed with SA_RESTART).
    Handle,
    /// SIG_IGN
    Ignore,
    /// SIG_DFL
    Default,
}

/// An operation, done by one process (the `ACTOR: op args` lines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Op {
    Mmap {
        region: Name,
        pages: u32,
        shared: bool,
    },
    Munmap {
        region: Name,
    },
    Read {
        region: Name,
        range: PageRange,
    },
    Write {
        region: Name,
        range: PageRange,
    },
    Fork {
        child: Name,
    },
    Exec {
        program: String,
    },
    /// clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...):
    /// a new thread of the actor's process, named `thread`.
    Thread {
        thread: Name,
    },
    /// prctl(PR_SET_CHILD_SUBREAPER, 1): the actor adopts its
    /// descendants' orphans.
    Subreaper,
    Exit {
        code: i32,
    },
    /// wait4; `nohang` is WNOHANG: 0 at once instead of sleeping.
    Wait {
        child: Option<Name>,
        nohang: bool,
    },
    /// pipe2; `cloexec` is O_CLOEXEC on both ends.
    Pipe {
        pipe: Name,
        cloexec: bool,
    },
    /// socketpair; `cloexec` is SOCK_CLOEXEC on both sockets.
    Socketpair {
        pair: Name,
        dgram: bool,
        cloexec: bool,
    },
    Close {
        end: End,
    },
    /// fcntl(F_SETFD): FD_CLOEXEC set (`on`) or cleared on the actor's fd
    /// of `end`.
    Cloexec {
        end: End,
        on: bool,
    },
    Send {
        end: End,
        payload: Payload,
        nonblock: bool,
    },
    Recv {
        end: End,
        max: u64,
        nonblock: bool,
    },
    /// fcntl(F_SETPIPE_SZ) with a C int.
    Pipesize {
        pipe: Name,
        bytes: i32,
    },
    /// setsockopt(SO_SNDBUF) with a C int.
    Sndbuf {
        end: End,
        bytes: i32,
    },
    /// sigaction; `full_mask` (`mask all`) is a handler's sa_mask filled
    /// with every signal (sigfillset), as libuv installs its handlers.
    Signal {
        signal: Signal,
        action: Action,
        nocldwait: bool,
        full_mask: bool,
    },
    Block {
        signals: Vec<Signal>,
    },
    Unblock {
        signals: Vec<Signal>,
    },
    Kill {
        target: Name,
        signal: Signal,
    },
}

/// What an `expect P R[I] ...` says of one page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "is")]
pub enum PageCheck {
    /// The same frame as `other`'s page at the same region and index.
    Shared { other: Name },
    /// Mapped, and its frame has one user.
    Private,
    /// Not present.
    Absent,
    /// Maps the shared zero page.
    Zero,
    /// Same frame as before the process's last operation.
    FrameSame,
    /// Another frame than before the process's last operation.
    FrameNew,
}

/// The process state an expect can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    Running,
    Blocked,
    /// Stopped by a stop signal until SIGCONT (an addition to v1).
    Stopped,
    Zombie,
    Gone,
}

impl StateName {
    /// The state's word (see `keyword.rs`).
    pub fn as_str(self) -> &'static str {
        self.keyword()
    }
}

/// What `expect P fd END ...` says of the fd a process holds for an end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FdState {
    /// Held, FD_CLOEXEC clear: it survives exec.
    Open,
    /// Held, FD_CLOEXEC set: exec closes it.
    Cloexec,
    /// Not held.
    Closed,
}

/// An operation's return value: a number, or an errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpResult {
    Value(i64),
    Error(Errno),
}

impl std::fmt::Display for OpResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpResult::Value(v) => write!(f, "{v}"),
            OpResult::Error(e) => write!(f, "{e}"),
        }
    }
}

/// How a reaped child ended, as `wait` decodes its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// WIFEXITED; the value is WEXITSTATUS (0..=255).
    Exited(u8),
    /// WIFSIGNALED; WTERMSIG.
    Signaled(Signal),
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitStatus::Exited(c) => write!(f, "{} {c}", StatusWord::Exited),
            ExitStatus::Signaled(s) => write!(f, "{} {s}", StatusWord::Signaled),
        }
    }
}

/// `init` or a scenario process, as `expect P parent Q` names it.
pub const INIT_NAME: &str = "init";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "expect")]
/// What an `expect` statement asserts about the state after a step.
pub enum Expect {
    Page {
        process: Name,
        region: Name,
        page: u32,
        check: PageCheck,
    },
    Faults {
        process: Name,
        count: u64,
    },
    Result {
        process: Name,
        result: OpResult,
    },
    State {
        process: Name,
        state: StateName,
    },
    /// `parent` is `init` or a process name.
    Parent {
        process: Name,
        parent: Name,
    },
    Queued {
        end: End,
        bytes: u64,
    },
    /// `P handled SIG N`: P's handler for SIG has run N times since P's
    /// program image started (since fork, or since its last `exec`, which
    /// uninstalls handlers and starts the count again at 0). A handler
    /// counts when it has run, not when the kernel set up its frame: a
    /// process killed or stopped in the same return to user mode has not
    /// run it (see ARCHITECTURE.md, "When a signal takes effect").
    Handled {
        process: Name,
        signal: Signal,
        count: u64,
    },
    Status {
        process: Name,
        status: ExitStatus,
    },
    /// `P fd END open|cloexec|closed`: whether P holds an fd for END, and
    /// with FD_CLOEXEC or not.
    Fd {
        process: Name,
        end: End,
        state: FdState,
    },
    /// `P event OBJ NAME [ARGS]`: OBJ (a child object of node process P,
    /// or P's own `process`) has emitted NAME, with these arguments when
    /// they are given (compared as JSON text).
    Event {
        process: Name,
        object: NodeObject,
        event: NodeEventName,
        args: Vec<NodeValue>,
    },
    /// `P events OBJ NAME...`: the names of every event OBJ has emitted,
    /// exactly these, in this order.
    Events {
        process: Name,
        object: NodeObject,
        events: Vec<NodeEventName>,
    },
    /// `P value ARRAY[I] V` or `P value ARRAY.byteLength N`: what
    /// JavaScript in P (a node process or a worker thread) reads of its
    /// typed array ARRAY: `undefined` past the end or once detached.
    Value {
        process: Name,
        array: Name,
        read: ValueRead,
        value: NodeValue,
    },
}

/// What `expect P value ...` reads of a typed array.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "read")]
pub enum ValueRead {
    /// `ARRAY[I]`.
    Element { index: u64 },
    /// `ARRAY.byteLength`.
    ByteLength,
}

impl Expect {
    /// The process the expect is about: whose page, faults, result, state,
    /// parent, handler count or reaped child it judges, and whose last
    /// operation `frame same|new` looks from, or whose fds `fd` looks at.
    /// None for `queued`, which is about an end.
    pub fn subject(&self) -> Option<&Name> {
        match self {
            Expect::Page { process, .. }
            | Expect::Faults { process, .. }
            | Expect::Result { process, .. }
            | Expect::State { process, .. }
            | Expect::Parent { process, .. }
            | Expect::Handled { process, .. }
            | Expect::Status { process, .. }
            | Expect::Fd { process, .. }
            | Expect::Event { process, .. }
            | Expect::Events { process, .. }
            | Expect::Value { process, .. } => Some(process),
            Expect::Queued { .. } => None,
        }
    }

    /// Every process the expect names, its subject first: also the other
    /// process of `shared` and the parent of `parent` (which may be
    /// `init`). Each must exist when the expect is judged, and observing
    /// them is enough to judge it.
    pub fn processes(&self) -> Vec<&Name> {
        let other = match self {
            Expect::Page {
                check: PageCheck::Shared { other },
                ..
            } => Some(other),
            Expect::Parent { parent, .. } => Some(parent),
            _ => None,
        };
        self.subject().into_iter().chain(other).collect()
    }

    /// The end an `expect END queued ...` or `expect P fd END ...` names,
    /// whose pipe or socketpair must exist when the expect is judged.
    pub fn end(&self) -> Option<&End> {
        match self {
            Expect::Queued { end, .. } | Expect::Fd { end, .. } => Some(end),
            _ => None,
        }
    }

    /// Whether the expect is about Node events, which the model's Node
    /// layer judges (the kernel has no such thing to observe).
    pub fn is_node(&self) -> bool {
        matches!(
            self,
            Expect::Event { .. } | Expect::Events { .. } | Expect::Value { .. }
        )
    }

    /// The region and page index an `expect P R[I] ...` is about.
    pub fn page(&self) -> Option<(&Name, u32)> {
        match self {
            Expect::Page { region, page, .. } => Some((region, *page)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expects(text: &str) -> Vec<Expect> {
        crate::scenario::parse(text)
            .expect("valid")
            .statements
            .into_iter()
            .filter_map(|s| match s.kind {
                StatementKind::Expect { expect } => Some(expect),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_expect_names_its_subject_first_then_the_other_processes_it_needs() {
        let text = "process a\na: pipe p\n\
                    expect a heap[2] shared b\nexpect a parent init\nexpect a state running\n\
                    expect p.r queued 0\n";
        let named: Vec<(Option<String>, Vec<String>, Option<u32>)> = expects(text)
            .iter()
            .map(|e| {
                (
                    e.subject().map(|n| n.text.clone()),
                    e.processes().iter().map(|n| n.text.clone()).collect(),
                    e.page().map(|(_, page)| page),
                )
            })
            .collect();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            named,
            vec![
                (Some("a".into()), s(&["a", "b"]), Some(2)),
                (Some("a".into()), s(&["a", "init"]), None),
                (Some("a".into()), s(&["a"]), None),
                (None, s(&[]), None),
            ]
        );
    }
}
