//! Errors in a scenario, found while parsing it or while running it. Each
//! names a line and column and says, in a learner's words, what is wrong.

use super::ast::Pos;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A scenario error: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{pos}: {kind}")]
pub struct ScenarioError {
    pub pos: Pos,
    pub kind: ErrorKind,
}

impl ScenarioError {
    pub fn new(pos: Pos, kind: ErrorKind) -> ScenarioError {
        ScenarioError { pos, kind }
    }
}

/// Formats ` did you mean "x"?` when there is a suggestion.
struct Suggest<'a>(&'a Option<String>);

impl fmt::Display for Suggest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "; did you mean \"{s}\"?"),
            None => Ok(()),
        }
    }
}

/// A word from the scenario as an error quotes it: whole when short, else
/// its first `Cut::KEEP` characters and "…", so that a word as long as a
/// 100 KB line does not make a 100 KB message. (The caret excerpt under the
/// message shows where the word is.)
pub struct Cut<'a>(pub &'a str);

impl Cut<'_> {
    pub const KEEP: usize = 40;
}

impl fmt::Display for Cut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(Cut::KEEP) {
            Some((end, _)) => write!(f, "{}…", &self.0[..end]),
            None => f.write_str(self.0),
        }
    }
}

/// A reserved signal as `ReservedSignal` names it: "signal 32" when the word
/// is its number, else the word and the number ("SIGRTMAX-31 (signal 33)").
struct Reserved<'a>(&'a str, u8);

impl fmt::Display for Reserved<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let upper = self.0.to_ascii_uppercase();
        let digits = upper.strip_prefix("SIG").unwrap_or(&upper);
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            write!(f, "signal {}", self.1)
        } else {
            write!(f, "{} (signal {})", Cut(self.0), self.1)
        }
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min()
        .map(|(_, c)| c.to_string())
}

/// Why a scenario is wrong. The first group is found by the parser; the rest
/// while the scenario runs (in the model, or on the kernel).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "error")]
pub enum ErrorKind {
    // --- reading the text ---
    #[error("this is not UTF-8 text: byte 0x{byte:02X} cannot begin or continue a character; a scenario is a UTF-8 text file (is this a binary file?)")]
    NotUtf8 { byte: u8 },
    #[error("this is not UTF-8 text: it holds a NUL byte (0x00), as binary files do; a scenario is a UTF-8 text file")]
    NulByte,
    #[error("the scenario has no statements to run: start with \"process NAME\"")]
    NoStatements,

    // --- parsing ---
    #[error("unknown statement \"{}\"{}", Cut(word), Suggest(suggestion))]
    UnknownStatement {
        word: String,
        suggestion: Option<String>,
    },
    #[error("unknown operation \"{}\"{}", Cut(word), Suggest(suggestion))]
    UnknownOperation {
        word: String,
        suggestion: Option<String>,
    },
    #[error("unknown signal \"{}\"{}", Cut(word), Suggest(suggestion))]
    UnknownSignal {
        word: String,
        suggestion: Option<String>,
    },
    #[error("{} is reserved: glibc keeps signals 32 and 33 for its threads, so a program's real-time signals run from SIGRTMIN = 34 to SIGRTMAX = 64", Reserved(word, *number))]
    ReservedSignal { word: String, number: u8 },
    #[error("\"{}\" is not a name: names start with a lowercase letter, then lowercase letters, digits, '_' or '-'", Cut(word))]
    BadName { word: String },
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    #[error("bad page range {start}..{end}: the end must be greater than the start")]
    BadRange { start: u64, end: u64 },
    #[error("{what} is too large (at most {max})")]
    TooLarge { what: String, max: u64 },
    #[error("{what} is out of range: it must be from {min} to {max}")]
    OutOfRange { what: String, min: i64, max: i64 },
    #[error("unterminated string: a closing '\"' is missing")]
    UnterminatedString,
    #[error("a scenario has one title, and it was already given on line {first_line}")]
    DuplicateTitle { first_line: u32 },
    #[error(
        "\"{}\" is reserved: it names pid 1, the init process; pick another name",
        Cut(word)
    )]
    ReservedName { word: String },
    #[error("unknown errno \"{}\"{}", Cut(word), Suggest(suggestion))]
    UnknownErrno {
        word: String,
        suggestion: Option<String>,
    },
    #[error("init (pid 1) is the machine's own process, not a scenario process, so {consequence}")]
    NotAScenarioProcess { consequence: String },
    #[error(
        "\"{}\" is not something expect can check (R[I], {}){}",
        Cut(word),
        crate::words::alternatives(super::keyword::CheckWord::keywords()),
        Suggest(suggestion)
    )]
    UnknownExpect {
        word: String,
        suggestion: Option<String>,
    },

    #[error("bad JavaScript value: {why}")]
    BadValue { why: String },
    #[error("{event} takes {} (as node passes them), not {given}", crate::words::count(*arity as u64, "argument", "arguments"))]
    EventArity {
        event: String,
        arity: usize,
        given: usize,
    },

    // --- running ---
    #[error("{process} is not a node process: only a process started with \"node NAME\" (or forked by child_process.fork) runs JavaScript")]
    NotNode { process: String },
    #[error("{process} has no child object named \"{}\"{}: a child object is made by \"const {} = child_process.fork(...)\" or spawn(...)", Cut(name), Suggest(suggestion), Cut(name))]
    UnknownChildObject {
        process: String,
        name: String,
        suggestion: Option<String>,
    },
    #[error("{process}'s child object {name} has no IPC channel: spawn() without an 'ipc' stdio slot gives it no send() (child_process.fork does)")]
    NoChildChannel { process: String, name: String },
    #[error("{process} has no typed array named \"{}\"{}: one is made by \"const {} = new Int32Array(...)\", or arrives by workerData or postMessage", Cut(name), Suggest(suggestion), Cut(name))]
    UnknownArray {
        process: String,
        name: String,
        suggestion: Option<String>,
    },
    #[error("{process} has no Worker named \"{}\"{}: a Worker is made by \"const {} = new Worker(...)\"", Cut(name), Suggest(suggestion), Cut(name))]
    UnknownWorker {
        process: String,
        name: String,
        suggestion: Option<String>,
    },
    #[error("{process} is not a worker thread: parentPort exists only in a thread made by new Worker(...)")]
    NoParentPort { process: String },
    #[error("{thread} is a thread of {process}: {what} is not modelled for a worker thread yet")]
    NotInWorker {
        thread: String,
        process: String,
        what: String,
    },
    #[error("postMessage in the model carries plain values (null, booleans, numbers, strings, arrays and objects of them) or a typed array; structured clone's others (undefined, BigInt, Map, Set, Date...) are not modelled yet")]
    PostValueNotModelled,
    #[error("{process} has no IPC channel to a parent: only a process made by child_process.fork has process.send")]
    NoParentChannel { process: String },
    #[error("no process is named \"{}\"{}", Cut(name), Suggest(suggestion))]
    UnknownProcess {
        name: String,
        suggestion: Option<String>,
    },
    #[error(
        "{process} has no region named \"{}\"{}",
        Cut(name),
        Suggest(suggestion)
    )]
    UnknownRegion {
        process: String,
        name: String,
        suggestion: Option<String>,
    },
    #[error(
        "no pipe or socketpair is named \"{}\"{}",
        Cut(name),
        Suggest(suggestion)
    )]
    UnknownObject {
        name: String,
        suggestion: Option<String>,
    },
    #[error(
        "\"{}\" is {}, not {}",
        Cut(name),
        crate::words::a(actual),
        crate::words::a(expected)
    )]
    WrongKind {
        name: String,
        expected: String,
        actual: String,
    },
    #[error("page {page} is out of range: {region} has {} (0..{pages})", crate::words::count(*pages, "page", "pages"))]
    PageOutOfRange {
        region: String,
        page: u64,
        pages: u32,
    },
    #[error("{process} does not hold {end}: it was never given it, or it was closed")]
    EndNotHeld { process: String, end: String },
    #[error(
        "\"{}\" is already used (line {first_line}); pick another name",
        Cut(name)
    )]
    DuplicateName { name: String, first_line: u32 },
    /// `ended` is how it ended: "exited with status 0", "was killed by
    /// SIGKILL".
    #[error(
        "{process} {ended} and is a zombie until {parent} waits for it, so it can do nothing more"
    )]
    ProcessZombie {
        process: String,
        ended: String,
        parent: String,
    },
    #[error("{process} {ended} and was reaped: it is gone, so it can do nothing more")]
    ProcessReaped { process: String, ended: String },
    #[error("{process} is blocked in \"{op}\" since step {since_step} (line {since_line}); another process must wake it first")]
    ProcessBlocked {
        process: String,
        op: String,
        since_step: u32,
        since_line: u32,
    },
    #[error("{process} is stopped by {signal} since step {since_step}; only SIGCONT (or SIGKILL) from another process lets it go on")]
    ProcessStopped {
        process: String,
        signal: String,
        since_step: u32,
    },
    #[error("{what} comes before any process; start with \"process NAME\"")]
    NoProcessYet { what: String },
    #[error("{process} has no child named \"{child}\"")]
    NotAChild { process: String, child: String },
    #[error("\"{what}\" is not supported yet")]
    NotSupportedYet { what: String },
    #[error("expect failed: {expected}, but {found}")]
    ExpectFailed { expected: String, found: String },
    /// The engine's wake-ups went round `rounds` times in one step without
    /// coming to rest: a bug in Forkscope's model, not in the scenario.
    #[error("a bug in Forkscope's model: in step {step} (line {line}), blocked calls kept waking each other for {rounds} rounds; the steps before it are right, and this one is not the scenario's fault (please report it with the scenario)")]
    ModelBug { step: u32, line: u32, rounds: u32 },
}
