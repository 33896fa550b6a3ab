//! The Node statements of a scenario, in the form they are parsed to and
//! printed from: `ACTOR: const W = child_process.fork('./w.js')`,
//! `ACTOR: W.send(VALUE)`, `ACTOR: process.send(VALUE)`,
//! `ACTOR: process.exit(CODE)`, `ACTOR: W.kill([SIGNAL])`, and the words of
//! `expect P event OBJ NAME [ARGS]` and `expect P events OBJ NAME...`.
//!
//! A Node statement is JavaScript, not words: it is read from the line's
//! raw text (quotes in either style, spaces anywhere JavaScript allows
//! them), with the values by node's own literal parser
//! (`node::literal`), whose errors keep their line and column. What a
//! statement does (the kernel steps it expands into) is `node::expand`'s
//! business, not this module's.

use super::ast::{Name, Pos};
use super::error::{ErrorKind, ScenarioError};
use super::keyword::NodeWord;
use super::lex::is_name;
use super::worker_syntax::{self, ArrayKind, PostValue, PARENT_PORT_OBJECT};
use crate::node::{parse_value_prefix, JsValue};
use crate::sig::Signal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A JavaScript value as the scenario wrote it: its text (printed back as
/// written) and the value read from it. Two are equal when their texts are.
#[derive(Clone, Debug)]
pub struct NodeValue {
    pub text: String,
    pub pos: Pos,
    pub value: JsValue,
}

impl PartialEq for NodeValue {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for NodeValue {}

impl Serialize for NodeValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.text, &self.pos).serialize(s)
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NodeValue, D::Error> {
        let (text, pos) = <(String, Pos)>::deserialize(d)?;
        let value = crate::node::parse_value(&text, pos).map_err(serde::de::Error::custom)?;
        Ok(NodeValue { text, pos, value })
    }
}

/// The object of a Node event: a child object (the variable `fork`
/// returned), or the child's own `process`, whose channel leads to its
/// parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "object")]
pub enum NodeObject {
    Child {
        name: Name,
    },
    Process,
    /// A worker's `parentPort` (worker_threads), its port to the thread
    /// that made it.
    ParentPort,
}

/// The word for a child's own `process` object.
pub const PROCESS_OBJECT: &str = "process";

impl fmt::Display for NodeObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeObject::Child { name } => name.fmt(f),
            NodeObject::Process => f.write_str(PROCESS_OBJECT),
            NodeObject::ParentPort => f.write_str(PARENT_PORT_OBJECT),
        }
    }
}

/// A statement of the JavaScript a node process runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "node")]
pub enum NodeStmt {
    /// `const CHILD = child_process.fork(MODULE[, OPTIONS])`: CHILD names
    /// the child object and the child process; OPTIONS is
    /// `{serialization: 'json'}` or `{serialization: 'advanced'}`.
    Fork {
        child: Name,
        module: NodeValue,
        options: Option<NodeValue>,
    },
    /// `const CHILD = child_process.spawn(COMMAND[, ARGS][, OPTIONS])`:
    /// CHILD names the child object and the child process, which runs
    /// COMMAND (no shell). ARGS is an array of strings; OPTIONS an object
    /// whose only property read is `stdio` (spawn) or `maxBuffer` (exec,
    /// execFile).
    Spawn {
        /// Which function: spawn, exec (a shell command line) or execFile.
        via: Via,
        child: Name,
        command: NodeValue,
        /// Boxed, as the options: a statement stays small.
        args: Option<Box<NodeValue>>,
        options: Option<Box<NodeValue>>,
    },
    /// `CHILD.send(VALUE)` or `process.send(VALUE)`; `more` are further
    /// sends to the same object in the same statement
    /// (`w.send(1); w.send(2)`), made in one tick before the other side's
    /// loop reads.
    Send {
        to: NodeObject,
        message: NodeValue,
        more: Vec<NodeValue>,
    },
    /// `process.exit(CODE)`; `process.exit()` is code 0.
    Exit { code: Option<NodeValue> },
    /// `CHILD.kill()` (SIGTERM) or `CHILD.kill(SIGNAL)`.
    Kill {
        child: Name,
        signal: Option<NodeValue>,
    },
    /// `CHILD.disconnect()` or `process.disconnect()`: close the channel.
    Disconnect { on: NodeObject },
    /// `const NAME = new KIND(new SharedArrayBuffer(BYTES))` (`shared`) or
    /// `const NAME = new KIND(LENGTH)` (an ArrayBuffer of its own).
    Array {
        name: Name,
        kind: ArrayKind,
        bytes: u64,
        shared: bool,
    },
    /// `const W = new Worker(MODULE[, {workerData: ARRAY}])`: W names the
    /// Worker object and its thread.
    Worker {
        worker: Name,
        module: NodeValue,
        data: Option<Name>,
    },
    /// `ARRAY[I] = V` or `Atomics.store(ARRAY, I, V)` (`atomics`).
    Store {
        array: Name,
        index: u64,
        value: NodeValue,
        atomics: bool,
    },
    /// `Atomics.load(ARRAY, I)`.
    Load { array: Name, index: u64 },
    /// `W.postMessage(MESSAGE)` or `parentPort.postMessage(MESSAGE)`, with
    /// `[ARRAY.buffer]` as the transfer list when `transfer`.
    Post {
        to: NodeObject,
        message: PostValue,
        transfer: bool,
    },
}

/// What one of a spawned child's stdio slots (0, 1, 2) is
/// (`options.stdio`, node's default `'pipe'` for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// A socketpair between parent and child (libuv's uv_socketpair, not a
    /// pipe, on Linux): the parent holds side 0, the child side 1 on the
    /// slot's fd.
    Pipe,
    /// The parent's own fd of that number, kept by the child.
    Inherit,
    /// /dev/null, opened by the child.
    Ignore,
    /// The IPC channel, in this slot instead of a stream (`'ipc'`: at most
    /// one, in any slot; NODE_CHANNEL_FD is its number). A 4th slot, fd 3,
    /// can only be the channel: `NodeStmt::ipc_slot` says where it is.
    Ipc,
}

impl Stdio {
    /// Its word in `stdio`.
    pub fn word(self) -> &'static str {
        match self {
            Stdio::Pipe => "pipe",
            Stdio::Inherit => "inherit",
            Stdio::Ignore => "ignore",
            Stdio::Ipc => "ipc",
        }
    }

    pub(super) fn from_word(word: &str) -> Option<Stdio> {
        [Stdio::Pipe, Stdio::Inherit, Stdio::Ignore, Stdio::Ipc]
            .into_iter()
            .find(|s| s.word() == word)
    }
}

/// The child_process function that made a spawned child: `spawn`
/// streams; `exec` (`/bin/sh -c COMMAND`) and `execFile` (no shell) buffer
/// stdout and stderr and call back with (error, stdout, stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Spawn,
    Exec,
    ExecFile,
}

impl Via {
    /// Its name in `child_process.NAME(...)`.
    pub fn function(self) -> &'static str {
        match self {
            Via::Spawn => "spawn",
            Via::Exec => "exec",
            Via::ExecFile => "execFile",
        }
    }

    /// Whether the parent buffers the output and calls back.
    pub fn buffers(self) -> bool {
        self != Via::Spawn
    }
}

/// The program `exec` runs its command line with.
pub const SHELL: &str = "/bin/sh";

/// exec's and execFile's default maxBuffer: 1024 * 1024 bytes
/// (lib/child_process.js, `MAX_BUFFER`).
pub const DEFAULT_MAX_BUFFER: u64 = 1024 * 1024;

/// The names of the stdio slots, as node names a child object's streams.
pub const STDIO_NAMES: [&str; 3] = ["stdin", "stdout", "stderr"];

impl NodeStmt {
    /// Whether fork's options ask for `serialization: 'advanced'`.
    pub fn advanced(options: &Option<NodeValue>) -> bool {
        options
            .as_ref()
            .is_some_and(|o| serialization_of(&o.value) == Some("advanced"))
    }

    /// The stdio slots of a spawn's options (parsed and checked already):
    /// `'pipe'` for each slot not given.
    pub fn stdio(options: &Option<Box<NodeValue>>) -> [Stdio; 3] {
        let mut slots = [Stdio::Pipe; 3];
        match stdio_of(options) {
            Some(JsValue::String(word)) => {
                slots = [Stdio::from_word(word).unwrap_or(Stdio::Pipe); 3];
            }
            Some(JsValue::Array(items)) => {
                for (slot, item) in slots.iter_mut().zip(items) {
                    if let JsValue::String(word) = item {
                        *slot = Stdio::from_word(word).unwrap_or(Stdio::Pipe);
                    }
                }
            }
            _ => {}
        }
        slots
    }

    /// exec's or execFile's maxBuffer (parsed and checked already): past
    /// it node kills the child. 1 MiB when not given.
    pub fn max_buffer(options: &Option<Box<NodeValue>>) -> u64 {
        let given = match options.as_ref().map(|o| &o.value) {
            Some(JsValue::Object(o)) => o
                .entries()
                .find(|(k, _)| *k == "maxBuffer")
                .and_then(|(_, v)| super::spawn_syntax::max_buffer_of(v)),
            _ => None,
        };
        given.unwrap_or(DEFAULT_MAX_BUFFER)
    }

    /// The slot of a spawn's 'ipc' stdio entry (0 to 3), if it has one:
    /// the child is then a node with a channel, as fork()'s is.
    pub fn ipc_slot(options: &Option<Box<NodeValue>>) -> Option<u8> {
        match stdio_of(options) {
            Some(JsValue::Array(items)) => items
                .iter()
                .position(|i| matches!(i, JsValue::String(s) if s == "ipc"))
                .map(|at| at as u8),
            _ => None,
        }
    }

    /// A spawn's command, as written in its string.
    pub fn command_of(command: &NodeValue) -> &str {
        match &command.value {
            JsValue::String(s) => s,
            _ => "",
        }
    }

    /// The exit code `process.exit(...)` passes: an integer (node takes
    /// it mod 256 when the process ends), 0 when none is given.
    pub fn exit_code(code: &Option<NodeValue>) -> i32 {
        match code.as_ref().map(|c| &c.value) {
            Some(JsValue::Number(n)) => *n as i32,
            _ => 0,
        }
    }

    /// The signal `kill(...)` sends: SIGTERM when none is given.
    pub fn kill_signal(signal: &Option<NodeValue>) -> Signal {
        signal
            .as_ref()
            .and_then(|s| signal_of(&s.value))
            .unwrap_or(Signal::SIGTERM)
    }
}

/// The `stdio` entry of a spawn's options.
fn stdio_of(options: &Option<Box<NodeValue>>) -> Option<&JsValue> {
    match options.as_ref().map(|o| &o.value) {
        Some(JsValue::Object(o)) => o.entries().find(|(k, _)| *k == "stdio").map(|(_, v)| v),
        _ => None,
    }
}

/// The serialization fork's options name, when they are exactly
/// `{serialization: 'json'|'advanced'}` (the one option the language
/// reads).
fn serialization_of(options: &JsValue) -> Option<&'static str> {
    let JsValue::Object(o) = options else {
        return None;
    };
    let mut entries = o.entries();
    let (key, value) = entries.next()?;
    if entries.next().is_some() || key != "serialization" {
        return None;
    }
    match value {
        JsValue::String(s) if s == "json" => Some("json"),
        JsValue::String(s) if s == "advanced" => Some("advanced"),
        _ => None,
    }
}

/// The signal a `kill()` argument names: 'SIGKILL' or a number.
fn signal_of(value: &JsValue) -> Option<Signal> {
    match value {
        JsValue::String(s) if s.starts_with("SIG") => s.parse().ok(),
        JsValue::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= 64.0 => {
            Signal::from_number(*n as u8)
        }
        _ => None,
    }
}

impl fmt::Display for NodeStmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeStmt::Fork {
                child,
                module,
                options,
            } => {
                write!(
                    f,
                    "{} {child} = child_process.fork({}",
                    NodeWord::Const,
                    module.text
                )?;
                if let Some(o) = options {
                    write!(f, ", {}", o.text)?;
                }
                f.write_str(")")
            }
            NodeStmt::Spawn {
                via,
                child,
                command,
                args,
                options,
            } => {
                write!(
                    f,
                    "{} {child} = child_process.{}({}",
                    NodeWord::Const,
                    via.function(),
                    command.text
                )?;
                for value in [args, options].into_iter().flatten() {
                    write!(f, ", {}", value.text)?;
                }
                f.write_str(")")
            }
            NodeStmt::Send { to, message, more } => {
                write!(f, "{to}.send({})", message.text)?;
                for m in more {
                    write!(f, "; {to}.send({})", m.text)?;
                }
                Ok(())
            }
            NodeStmt::Exit { code } => match code {
                Some(code) => write!(f, "process.exit({})", code.text),
                None => write!(f, "process.exit()"),
            },
            NodeStmt::Kill { child, signal } => match signal {
                Some(signal) => write!(f, "{child}.kill({})", signal.text),
                None => write!(f, "{child}.kill()"),
            },
            NodeStmt::Disconnect { on } => write!(f, "{on}.disconnect()"),
            NodeStmt::Array { .. }
            | NodeStmt::Worker { .. }
            | NodeStmt::Store { .. }
            | NodeStmt::Load { .. }
            | NodeStmt::Post { .. } => worker_syntax::fmt_stmt(self, f),
        }
    }
}

/// Whether the first word after `ACTOR:` begins a Node statement: `const`,
/// or a word with a `.`, a `(` or a `[` in it (`w.send(...)`,
/// `process.exit(0)`, `sab[0]`), which no operation of the kernel language
/// has.
pub(super) fn starts_node_statement(word: &str) -> bool {
    word == NodeWord::Const.keyword()
        || word.contains('.')
        || word.contains('(')
        || word.contains('[')
}

/// A cursor over the raw text of one line, from a byte offset on, that
/// knows the column of every byte.
pub(super) struct Js<'a> {
    line: &'a str,
    number: u32,
    pub(super) at: usize,
}

impl<'a> Js<'a> {
    pub(super) fn pos(&self) -> Pos {
        Pos {
            line: self.number,
            col: self.line[..self.at].chars().count() as u32 + 1,
        }
    }

    pub(super) fn skip_space(&mut self) {
        let rest = &self.line[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.line[self.at..]
    }

    /// What is here, as an error's "found ...".
    fn found(&self) -> String {
        let rest = self.rest();
        match rest.chars().next() {
            None => "the end of the line".into(),
            Some(_) if rest.starts_with('#') => "a comment".into(),
            Some(_) => {
                let word: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(20)
                    .collect();
                format!("\"{word}\"")
            }
        }
    }

    fn expected(&self, what: &str) -> ScenarioError {
        ScenarioError::new(
            self.pos(),
            ErrorKind::Expected {
                expected: what.into(),
                found: self.found(),
            },
        )
    }

    /// `text` here (after spaces), or an error that expects it.
    pub(super) fn eat(&mut self, text: &str) -> Result<(), ScenarioError> {
        self.skip_space();
        if self.rest().starts_with(text) {
            self.at += text.len();
            Ok(())
        } else {
            Err(self.expected(&format!("\"{text}\"")))
        }
    }

    pub(super) fn peek_is(&mut self, text: &str) -> bool {
        self.skip_space();
        self.rest().starts_with(text)
    }

    /// An identifier (`[A-Za-z_$][A-Za-z0-9_$]*`) with its position.
    pub(super) fn ident(&mut self, what: &str) -> Result<(String, Pos), ScenarioError> {
        self.skip_space();
        let pos = self.pos();
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|(i, c)| {
                !(c.is_ascii_alphanumeric() || *c == '_' || *c == '$' || (*c == '-' && *i > 0))
            })
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.expected(what));
        }
        self.at += len;
        Ok((rest[..len].to_string(), pos))
    }

    /// A JavaScript identifier that is also a scenario name: the child's
    /// variable names its process.
    pub(super) fn name(&mut self, what: &str) -> Result<Name, ScenarioError> {
        let (text, pos) = self.ident(what)?;
        if !is_name(&text) {
            return Err(ScenarioError::new(pos, ErrorKind::BadName { word: text }));
        }
        if text == super::ast::INIT_NAME {
            return Err(ScenarioError::new(
                pos,
                ErrorKind::ReservedName { word: text },
            ));
        }
        Ok(Name { text, pos })
    }

    /// One JavaScript value literal.
    pub(super) fn value(&mut self) -> Result<NodeValue, ScenarioError> {
        self.skip_space();
        let pos = self.pos();
        let (value, len) = parse_value_prefix(self.rest(), pos).map_err(literal_error)?;
        let text = self.rest()[..len].trim_end().to_string();
        self.at += len;
        Ok(NodeValue { text, pos, value })
    }

    /// A `send`'s `(VALUE)`; `send()` is node's ERR_MISSING_ARGS, a value
    /// the run reports as what send threw.
    fn send_argument(&mut self) -> Result<NodeValue, ScenarioError> {
        self.eat("(")?;
        let message = if self.peek_is(")") {
            NodeValue {
                text: String::new(),
                pos: self.pos(),
                value: JsValue::Undefined,
            }
        } else {
            self.value()?
        };
        self.eat(")")?;
        Ok(message)
    }

    /// `(VALUE)`, or `()` when `optional`.
    fn argument(&mut self, optional: bool) -> Result<Option<NodeValue>, ScenarioError> {
        self.eat("(")?;
        if optional && self.peek_is(")") {
            self.at += 1;
            return Ok(None);
        }
        let value = self.value()?;
        self.eat(")")?;
        Ok(Some(value))
    }

    /// The end of the statement: an optional `;`, then nothing but a
    /// comment.
    fn finish(&mut self) -> Result<(), ScenarioError> {
        if self.peek_is(";") {
            self.at += 1;
        }
        self.skip_space();
        if self.rest().is_empty() || self.rest().starts_with('#') {
            Ok(())
        } else {
            Err(self.expected("the end of the statement"))
        }
    }
}

/// A literal error as a scenario error, at its own line and column.
fn literal_error(e: crate::node::LiteralError) -> ScenarioError {
    ScenarioError::new(
        e.pos,
        ErrorKind::BadValue {
            why: e.kind.to_string(),
        },
    )
}

/// The Node statement on `line` (line number `number`) from byte `start`.
pub(super) fn parse_statement(
    line: &str,
    number: u32,
    start: usize,
) -> Result<NodeStmt, ScenarioError> {
    let mut js = Js {
        line,
        number,
        at: start,
    };
    let what = "a Node statement: const, process.send, process.exit, process.disconnect, a child's send, kill or disconnect, an array's store, Atomics, or postMessage";
    let (first, first_pos) = js.ident(what)?;
    let stmt = if first == NodeWord::Const.keyword() {
        let child = js.name("the variable's name (a scenario name: lowercase)")?;
        js.eat("=")?;
        if js.peek_is(&format!("{} ", NodeWord::New)) {
            js.eat(NodeWord::New.keyword())?;
            let stmt = worker_syntax::new_object(&mut js, child)?;
            js.finish()?;
            return Ok(stmt);
        }
        js.eat("child_process.")?;
        let (function, function_pos) = js.ident("fork, spawn, exec or execFile")?;
        match function.as_str() {
            "spawn" => super::spawn_syntax::spawn(&mut js, child, Via::Spawn)?,
            "exec" => super::spawn_syntax::spawn(&mut js, child, Via::Exec)?,
            "execFile" => super::spawn_syntax::spawn(&mut js, child, Via::ExecFile)?,
            "fork" => {
                js.eat("(")?;
                let module = js.value()?;
                let options = if js.peek_is(",") {
                    js.at += 1;
                    let o = js.value()?;
                    if serialization_of(&o.value).is_none() {
                        return Err(ScenarioError::new(
                        o.pos,
                        ErrorKind::Expected {
                            expected:
                                "fork's options: {serialization: 'json'} or {serialization: 'advanced'}"
                                    .into(),
                            found: o.text.clone(),
                        },
                    ));
                    }
                    Some(o)
                } else {
                    None
                };
                js.eat(")")?;
                if !matches!(module.value, JsValue::String(_)) {
                    return Err(ScenarioError::new(
                        module.pos,
                        ErrorKind::Expected {
                            expected: "the module's path as a string, such as './worker.js'".into(),
                            found: module.text.clone(),
                        },
                    ));
                }
                NodeStmt::Fork {
                    child,
                    module,
                    options,
                }
            }
            _ => {
                return Err(ScenarioError::new(
                    function_pos,
                    ErrorKind::Expected {
                        expected: "child_process.fork, spawn, exec or execFile".into(),
                        found: format!("\"{function}\""),
                    },
                ))
            }
        }
    } else if first == "Atomics" {
        worker_syntax::atomics(&mut js)?
    } else if js.peek_is("[") {
        worker_syntax::store(&mut js, child_name(first, first_pos)?)?
    } else {
        js.eat(".")?;
        let (method, method_pos) =
            js.ident("a method: send, exit, kill, disconnect or postMessage")?;
        let on_process = first == PROCESS_OBJECT;
        match (method.as_str(), on_process) {
            ("postMessage", false) => {
                let to = if first == PARENT_PORT_OBJECT {
                    NodeObject::ParentPort
                } else {
                    NodeObject::Child {
                        name: child_name(first, first_pos)?,
                    }
                };
                worker_syntax::post(&mut js, to)?
            }
            ("send", _) => {
                // `; TO.send(V)` again: more sends in the same tick.
                let again = format!("{first}.send");
                let to = if on_process {
                    NodeObject::Process
                } else {
                    NodeObject::Child {
                        name: child_name(first, first_pos)?,
                    }
                };
                let message = js.send_argument()?;
                let mut more = Vec::new();
                while js.peek_is(";") && js.rest()[1..].trim_start().starts_with(&again) {
                    js.at += 1;
                    js.eat(&again)?;
                    more.push(js.send_argument()?);
                }
                NodeStmt::Send { to, message, more }
            }
            ("exit", true) => {
                let code = js.argument(true)?;
                if let Some(c) = &code {
                    let integer = matches!(c.value, JsValue::Number(n)
                        if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX));
                    if !integer {
                        return Err(ScenarioError::new(
                            c.pos,
                            ErrorKind::Expected {
                                expected: "an exit code, an integer".into(),
                                found: c.text.clone(),
                            },
                        ));
                    }
                }
                NodeStmt::Exit { code }
            }
            ("kill", false) => {
                let child = child_name(first, first_pos)?;
                let signal = js.argument(true)?;
                if let Some(s) = &signal {
                    if signal_of(&s.value).is_none() {
                        return Err(ScenarioError::new(
                            s.pos,
                            ErrorKind::Expected {
                                expected: "a signal such as 'SIGKILL' or 9".into(),
                                found: s.text.clone(),
                            },
                        ));
                    }
                }
                NodeStmt::Kill { child, signal }
            }
            ("disconnect", _) => {
                let on = if on_process {
                    NodeObject::Process
                } else {
                    NodeObject::Child {
                        name: child_name(first, first_pos)?,
                    }
                };
                js.eat("(")?;
                js.eat(")")?;
                NodeStmt::Disconnect { on }
            }
            _ => {
                let offered = if on_process {
                    "process.send, process.exit or process.disconnect"
                } else {
                    "send, kill or disconnect"
                };
                return Err(ScenarioError::new(
                    method_pos,
                    ErrorKind::Expected {
                        expected: offered.into(),
                        found: format!("\"{method}\""),
                    },
                ));
            }
        }
    };
    js.finish()?;
    Ok(stmt)
}

/// The child object a method is called on, which names a process.
fn child_name(text: String, pos: Pos) -> Result<Name, ScenarioError> {
    if !is_name(&text) {
        return Err(ScenarioError::new(pos, ErrorKind::BadName { word: text }));
    }
    Ok(Name { text, pos })
}

/// The arguments of `expect P event OBJ NAME ARGS...`: JavaScript values
/// from byte `start` of `line` to its end or its comment.
pub(super) fn parse_values(
    line: &str,
    number: u32,
    start: usize,
) -> Result<Vec<NodeValue>, ScenarioError> {
    let mut js = Js {
        line,
        number,
        at: start,
    };
    let mut values = Vec::new();
    loop {
        js.skip_space();
        if js.rest().is_empty() || js.rest().starts_with('#') {
            return Ok(values);
        }
        values.push(js.value()?);
    }
}
