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
    /// `const CHILD = child_process.fork(MODULE)`: CHILD names the child
    /// object and the child process.
    Fork { child: Name, module: NodeValue },
    /// `CHILD.send(VALUE)` or `process.send(VALUE)`.
    Send { to: NodeObject, message: NodeValue },
    /// `process.exit(CODE)`; `process.exit()` is code 0.
    Exit { code: Option<NodeValue> },
    /// `CHILD.kill()` (SIGTERM) or `CHILD.kill(SIGNAL)`.
    Kill {
        child: Name,
        signal: Option<NodeValue>,
    },
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

impl NodeStmt {
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
            NodeStmt::Fork { child, module } => write!(
                f,
                "{} {child} = child_process.fork({})",
                NodeWord::Const,
                module.text
            ),
            NodeStmt::Send { to, message } => write!(f, "{to}.send({})", message.text),
            NodeStmt::Exit { code } => match code {
                Some(code) => write!(f, "process.exit({})", code.text),
                None => write!(f, "process.exit()"),
            },
            NodeStmt::Kill { child, signal } => match signal {
                Some(signal) => write!(f, "{child}.kill({})", signal.text),
                None => write!(f, "{child}.kill()"),
            },
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
    at: usize,
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
    let what = "a Node statement: const, process.send, process.exit, a child's send or kill, an array's store, Atomics, or postMessage";
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
        js.eat("child_process.fork")?;
        let module = js.argument(false)?.expect("a required argument is given");
        if !matches!(module.value, JsValue::String(_)) {
            return Err(ScenarioError::new(
                module.pos,
                ErrorKind::Expected {
                    expected: "the module's path as a string, such as './worker.js'".into(),
                    found: module.text.clone(),
                },
            ));
        }
        NodeStmt::Fork { child, module }
    } else if first == "Atomics" {
        worker_syntax::atomics(&mut js)?
    } else if js.peek_is("[") {
        worker_syntax::store(&mut js, child_name(first, first_pos)?)?
    } else {
        js.eat(".")?;
        let (method, method_pos) = js.ident("a method: send, exit, kill or postMessage")?;
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
                let to = if on_process {
                    NodeObject::Process
                } else {
                    NodeObject::Child {
                        name: child_name(first, first_pos)?,
                    }
                };
                js.eat("(")?;
                // `send()` is node's ERR_MISSING_ARGS, a value the run
                // reports as what send threw.
                let message = if js.peek_is(")") {
                    NodeValue {
                        text: String::new(),
                        pos: js.pos(),
                        value: JsValue::Undefined,
                    }
                } else {
                    js.value()?
                };
                js.eat(")")?;
                NodeStmt::Send { to, message }
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
            _ => {
                let offered = if on_process {
                    "process.send or process.exit"
                } else {
                    "send or kill"
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
