//! Every word the scenario language gives a meaning, written once: the
//! statement words, the operation keywords, the words of `expect`, the
//! actions, states and flags, and the units of a byte count. The parser
//! reads these tables, the printer writes from them, and whatever else
//! names an operation (`Op::keyword`, `BlockedOn::op`) does it through
//! [`OpKind`]. [`all`] lists every word, which is how a test
//! (native/tests/language_reference.rs) checks that
//! docs/scenario-language.md documents every word the parser accepts.

use super::ast::{Action, FdState, Op, StateName, INIT_NAME};
use std::fmt;

/// `impl` of a keyword table for a fieldless enum: each variant's word,
/// every variant in order (`ALL`), and the variant a word names.
macro_rules! keywords {
    ($Type:ident { $($Variant:ident => $text:literal,)* }) => {
        impl $Type {
            /// Every variant, in the order the reference lists them.
            pub const ALL: &'static [$Type] = &[$($Type::$Variant,)*];

            /// Every variant with its word.
            pub const WORDS: &'static [(&'static str, $Type)] = &[$(($text, $Type::$Variant),)*];

            /// Every word, in the order of `ALL`.
            pub const KEYWORDS: &'static [&'static str] = &[$($text,)*];

            /// The word as a scenario writes it.
            pub fn keyword(self) -> &'static str {
                match self {
                    $($Type::$Variant => $text,)*
                }
            }

            /// The variant `word` names, if it names one.
            pub fn from_keyword(word: &str) -> Option<$Type> {
                match word {
                    $($text => Some($Type::$Variant),)*
                    _ => None,
                }
            }

            /// Every word of this table, in order.
            pub fn keywords() -> impl Iterator<Item = &'static str> {
                Self::KEYWORDS.iter().copied()
            }
        }

        impl fmt::Display for $Type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.keyword())
            }
        }
    };
}

/// The words that begin a line, besides `ACTOR:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatementWord {
    Title,
    Process,
    Say,
    Expect,
    /// `node NAME`: a process running node.
    Node,
}

keywords!(StatementWord {
    Title => "title",
    Process => "process",
    Say => "say",
    Expect => "expect",
    Node => "node",
});

/// Which operation an `ACTOR: KEYWORD ...` line is: the one name of an
/// operation, for the parser, the printer, narration and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    Mmap,
    Munmap,
    Read,
    Write,
    Fork,
    Exec,
    /// `thread NAME`: clone a thread (worker_threads' Worker).
    Thread,
    /// `subreaper`: prctl(PR_SET_CHILD_SUBREAPER, 1).
    Subreaper,
    Exit,
    Wait,
    Pipe,
    Pipesize,
    Socketpair,
    Close,
    Cloexec,
    Send,
    Recv,
    Sndbuf,
    Signal,
    Block,
    Unblock,
    Kill,
}

keywords!(OpKind {
    Mmap => "mmap",
    Munmap => "munmap",
    Read => "read",
    Write => "write",
    Fork => "fork",
    Exec => "exec",
    Thread => "thread",
    Subreaper => "subreaper",
    Exit => "exit",
    Wait => "wait",
    Pipe => "pipe",
    Pipesize => "pipesize",
    Socketpair => "socketpair",
    Close => "close",
    Cloexec => "cloexec",
    Send => "send",
    Recv => "recv",
    Sndbuf => "sndbuf",
    Signal => "signal",
    Block => "block",
    Unblock => "unblock",
    Kill => "kill",
});

impl OpKind {
    /// The optional words the operation's line may end with, in the
    /// order the printer writes them (the parser takes them in any
    /// order, each at most once). `signal` takes `mask all` only after
    /// `handle` (`Flag::Mask`).
    pub fn flags(self) -> &'static [Flag] {
        match self {
            OpKind::Mmap => &[Flag::Shared],
            OpKind::Pipe => &[Flag::Cloexec],
            OpKind::Socketpair => &[Flag::Dgram, Flag::Cloexec],
            OpKind::Send | OpKind::Recv => &[Flag::Nonblock],
            OpKind::Wait => &[Flag::Nohang],
            OpKind::Signal => &[Flag::Mask, Flag::Nocldwait],
            OpKind::Munmap
            | OpKind::Read
            | OpKind::Write
            | OpKind::Fork
            | OpKind::Exec
            | OpKind::Thread
            | OpKind::Subreaper
            | OpKind::Exit
            | OpKind::Pipesize
            | OpKind::Close
            | OpKind::Cloexec
            | OpKind::Sndbuf
            | OpKind::Block
            | OpKind::Unblock
            | OpKind::Kill => &[],
        }
    }
}

impl Op {
    /// Which operation this is.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Mmap { .. } => OpKind::Mmap,
            Op::Munmap { .. } => OpKind::Munmap,
            Op::Read { .. } => OpKind::Read,
            Op::Write { .. } => OpKind::Write,
            Op::Fork { .. } => OpKind::Fork,
            Op::Exec { .. } => OpKind::Exec,
            Op::Thread { .. } => OpKind::Thread,
            Op::Subreaper => OpKind::Subreaper,
            Op::Exit { .. } => OpKind::Exit,
            Op::Wait { .. } => OpKind::Wait,
            Op::Pipe { .. } => OpKind::Pipe,
            Op::Pipesize { .. } => OpKind::Pipesize,
            Op::Socketpair { .. } => OpKind::Socketpair,
            Op::Close { .. } => OpKind::Close,
            Op::Cloexec { .. } => OpKind::Cloexec,
            Op::Send { .. } => OpKind::Send,
            Op::Recv { .. } => OpKind::Recv,
            Op::Sndbuf { .. } => OpKind::Sndbuf,
            Op::Signal { .. } => OpKind::Signal,
            Op::Block { .. } => OpKind::Block,
            Op::Unblock { .. } => OpKind::Unblock,
            Op::Kill { .. } => OpKind::Kill,
        }
    }

    /// The operation's keyword, as written in a scenario.
    pub fn keyword(&self) -> &'static str {
        self.kind().keyword()
    }
}

/// What `expect P WORD ...` checks of a process (a page, `P R[I] ...`, has
/// no word of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckWord {
    Faults,
    Result,
    State,
    Parent,
    Handled,
    Status,
    Fd,
    /// `expect P event OBJ NAME [ARGS]`: a Node event OBJ emitted in P.
    Event,
    /// `expect P events OBJ NAME...`: every Node event OBJ emitted, in order.
    Events,
    /// `expect P value ARRAY[I] V` or `expect P value ARRAY.byteLength N`:
    /// what JavaScript in P reads of a typed array.
    Value,
}

keywords!(CheckWord {
    Faults => "faults",
    Result => "result",
    State => "state",
    Parent => "parent",
    Handled => "handled",
    Status => "status",
    Fd => "fd",
    Event => "event",
    Events => "events",
    Value => "value",
});

/// The Node events an expect can name: what a child object emits in its
/// parent (lib/internal/child_process.js), and what `process` emits in a
/// child for its channel.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeEventName {
    Spawn,
    Message,
    Exit,
    Disconnect,
    Close,
    /// A send on a closed channel, a disconnect() of one (node emits it
    /// with the Error; the model and `check --node` keep its code), a
    /// spawn that failed (ENOENT), or a kill() that could not be sent.
    Error,
    /// A message whose `cmd` starts with `NODE_`: node's own, never
    /// 'message'.
    InternalMessage,
    /// Not an event: exec's and execFile's callback, called with (error,
    /// stdout, stderr) between 'exit' and 'close'.
    Callback,
    /// A Worker object's: its thread started running JavaScript.
    Online,
    /// A spawned child's stdout or stderr stream (`CHILD.stdout`): one
    /// read of the parent's loop, the chunk as a string.
    Data,
    /// ... and its end of file.
    End,
}

keywords!(NodeEventName {
    Spawn => "spawn",
    Message => "message",
    Exit => "exit",
    Disconnect => "disconnect",
    Close => "close",
    Error => "error",
    InternalMessage => "internalMessage",
    Callback => "callback",
    Online => "online",
    Data => "data",
    End => "end",
});

impl NodeEventName {
    /// How many arguments node passes its listeners (a message's
    /// sendHandle, always undefined here, aside).
    pub fn arity(self) -> usize {
        match self {
            NodeEventName::Spawn
            | NodeEventName::Disconnect
            | NodeEventName::Online
            | NodeEventName::End => 0,
            NodeEventName::Message
            | NodeEventName::Error
            | NodeEventName::InternalMessage
            | NodeEventName::Data => 1,
            NodeEventName::Exit | NodeEventName::Close => 2,
            NodeEventName::Callback => 3,
        }
    }
}

/// The JavaScript word of a Node statement that is also a word of the
/// scenario's syntax lines (the rest, `child_process.fork(...)`,
/// `W.send(...)`, are written with dots and parentheses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeWord {
    Const,
    /// `const A = new Int32Array(...)`, `new Worker(...)`.
    New,
}

keywords!(NodeWord {
    Const => "const",
    New => "new",
});

/// What `expect END WORD N` checks of a pipe or socket end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndCheckWord {
    Queued,
}

keywords!(EndCheckWord {
    Queued => "queued",
});

/// What `expect P R[I] WORD` says of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PageWord {
    Shared,
    Private,
    Absent,
    Zero,
    Frame,
}

keywords!(PageWord {
    Shared => "shared",
    Private => "private",
    Absent => "absent",
    Zero => "zero",
    Frame => "frame",
});

/// The word after `frame`: is the page's frame the one it had before the
/// process's last operation?
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrameWord {
    Same,
    New,
}

keywords!(FrameWord {
    Same => "same",
    New => "new",
});

/// How `expect P status WORD ...` says a reaped child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusWord {
    Exited,
    Signaled,
}

keywords!(StatusWord {
    Exited => "exited",
    Signaled => "signaled",
});

/// The optional words that may end an operation's line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// `mmap R N shared`: MAP_SHARED.
    Shared,
    /// `socketpair S dgram`: SOCK_DGRAM.
    Dgram,
    /// `pipe P cloexec`, `socketpair S cloexec`: O_CLOEXEC, SOCK_CLOEXEC.
    Cloexec,
    /// `send`/`recv ... nonblock`: MSG_DONTWAIT.
    Nonblock,
    /// `wait [C] nohang`: WNOHANG.
    Nohang,
    /// `signal SIG handle mask all`: the handler's sa_mask holds every
    /// signal (a `MaskWord` follows).
    Mask,
    /// `signal SIGCHLD ... nocldwait`: SA_NOCLDWAIT.
    Nocldwait,
}

keywords!(Flag {
    Shared => "shared",
    Dgram => "dgram",
    Cloexec => "cloexec",
    Nonblock => "nonblock",
    Nohang => "nohang",
    Mask => "mask",
    Nocldwait => "nocldwait",
});

/// The word after `mask`: which signals a handler's sa_mask holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MaskWord {
    /// Every signal (sigfillset), as libuv's handlers have.
    All,
}

keywords!(MaskWord {
    All => "all",
});

/// The word after `cloexec END`: set FD_CLOEXEC or clear it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Switch {
    On,
    Off,
}

keywords!(Switch {
    On => "on",
    Off => "off",
});

keywords!(FdState {
    Open => "open",
    Cloexec => "cloexec",
    Closed => "closed",
});

keywords!(Action {
    Handle => "handle",
    Ignore => "ignore",
    Default => "default",
});

keywords!(StateName {
    Running => "running",
    Blocked => "blocked",
    Stopped => "stopped",
    Zombie => "zombie",
    Gone => "gone",
});

/// The units a byte count may end with, and what each multiplies it by:
/// powers of 1024, each with a short and an IEC name. Whole-word suffixes,
/// tried in this order (`KiB` before `K`), and case-sensitive.
pub const BYTE_UNITS: [(&str, u64); 6] = [
    ("KiB", 1 << 10),
    ("K", 1 << 10),
    ("MiB", 1 << 20),
    ("M", 1 << 20),
    ("GiB", 1 << 30),
    ("G", 1 << 30),
];

/// The part of the language a keyword belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Statement,
    Operation,
    Check,
    EndCheck,
    Page,
    Frame,
    Status,
    Flag,
    /// The word after `mask`.
    Mask,
    /// The word after `cloexec END`.
    Switch,
    Action,
    State,
    /// The word after `expect P fd END`.
    FdState,
    /// `init`: the one name no line declares, which `parent` may name.
    ReservedName,
    /// A Node event's name, after `expect P event(s) OBJ`.
    NodeEvent,
    /// `const`, which begins a Node statement.
    Node,
}

/// One word the parser accepts, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Keyword {
    pub word: &'static str,
    pub role: Role,
}

/// Every word the parser gives a meaning (signal and errno names, which
/// have tables of their own in `sig` and `errno`, aside), by role. A word
/// may come twice under two roles (`shared`: a flag of `mmap` and a page
/// check).
pub fn all() -> Vec<Keyword> {
    let groups: [(Role, &[&'static str]); 16] = [
        (Role::Statement, StatementWord::KEYWORDS),
        (Role::Operation, OpKind::KEYWORDS),
        (Role::Check, CheckWord::KEYWORDS),
        (Role::EndCheck, EndCheckWord::KEYWORDS),
        (Role::Page, PageWord::KEYWORDS),
        (Role::Frame, FrameWord::KEYWORDS),
        (Role::Status, StatusWord::KEYWORDS),
        (Role::Flag, Flag::KEYWORDS),
        (Role::Mask, MaskWord::KEYWORDS),
        (Role::Switch, Switch::KEYWORDS),
        (Role::Action, Action::KEYWORDS),
        (Role::State, StateName::KEYWORDS),
        (Role::FdState, FdState::KEYWORDS),
        (Role::ReservedName, &[INIT_NAME]),
        (Role::NodeEvent, NodeEventName::KEYWORDS),
        (Role::Node, NodeWord::KEYWORDS),
    ];
    groups
        .into_iter()
        .flat_map(|(role, words)| words.iter().map(move |&word| Keyword { word, role }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_its_variant() {
        for kind in OpKind::ALL {
            assert_eq!(OpKind::from_keyword(kind.keyword()), Some(*kind));
        }
        for state in StateName::ALL {
            assert_eq!(StateName::from_keyword(state.keyword()), Some(*state));
        }
        assert_eq!(OpKind::from_keyword("mmap2"), None);
    }

    #[test]
    fn no_word_means_two_things_in_one_place() {
        // Words of one role are distinct; so are the words that may begin
        // a line and the operations (a line's first word decides which).
        let all = all();
        for k in &all {
            let same = all.iter().filter(|o| o.word == k.word && o.role == k.role);
            assert_eq!(same.count(), 1, "{k:?}");
        }
        for s in StatementWord::keywords() {
            assert!(OpKind::from_keyword(s).is_none(), "{s}");
        }
    }

    #[test]
    fn a_tables_words_are_offered_as_a_sentence_offers_them() {
        use crate::words::alternatives;
        assert_eq!(alternatives(FrameWord::keywords()), "same or new");
        assert_eq!(
            alternatives(Action::keywords()),
            "handle, ignore or default"
        );
    }
}
