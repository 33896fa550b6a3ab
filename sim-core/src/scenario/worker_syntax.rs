//! The worker_threads statements of a node process, as parsed and printed:
//! a typed array over a `SharedArrayBuffer` or an `ArrayBuffer`
//! (`const A = new Int32Array(new SharedArrayBuffer(8192))`,
//! `const B = new Uint8Array(4096)`), a `Worker`
//! (`const W = new Worker('./w.js', {workerData: A})`), a store or a load
//! of one element (`A[0] = 42`, `Atomics.store(A, 0, 42)`,
//! `Atomics.load(A, 0)`), and `postMessage` on a worker or on the
//! worker's `parentPort` (`W.postMessage({a: 1})`, `W.postMessage(B)`,
//! `W.postMessage(B, [B.buffer])`).
//!
//! Only the words are here; what each statement does to the machine (a
//! mapping, a thread, a page touched, a message copied or a buffer moved)
//! is `node::worker`'s business.

use super::ast::Name;
use super::error::{ErrorKind, ScenarioError};
use super::keyword::NodeWord;
use super::node_syntax::{Js, NodeObject, NodeStmt, NodeValue};
use crate::node::JsValue;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The word for a worker's own port to the thread that made it.
pub const PARENT_PORT_OBJECT: &str = "parentPort";

/// The typed arrays a scenario can make, each a view of one buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArrayKind {
    Uint8Array,
    Int32Array,
    Float64Array,
}

impl ArrayKind {
    /// Every kind, as JavaScript names it.
    pub const ALL: [ArrayKind; 3] = [
        ArrayKind::Uint8Array,
        ArrayKind::Int32Array,
        ArrayKind::Float64Array,
    ];

    /// The constructor's name.
    pub fn name(self) -> &'static str {
        match self {
            ArrayKind::Uint8Array => "Uint8Array",
            ArrayKind::Int32Array => "Int32Array",
            ArrayKind::Float64Array => "Float64Array",
        }
    }

    /// BYTES_PER_ELEMENT.
    pub fn element_bytes(self) -> u64 {
        match self {
            ArrayKind::Uint8Array => 1,
            ArrayKind::Int32Array => 4,
            ArrayKind::Float64Array => 8,
        }
    }

    /// What an element holds once `value` is stored in it (ToUint8,
    /// ToInt32, or the number itself).
    pub fn stored(self, value: f64) -> f64 {
        let integer = |modulo: f64| {
            if !value.is_finite() {
                return 0.0;
            }
            value.trunc().rem_euclid(modulo)
        };
        match self {
            ArrayKind::Uint8Array => integer(256.0),
            ArrayKind::Int32Array => {
                let n = integer(4_294_967_296.0);
                if n >= 2_147_483_648.0 {
                    n - 4_294_967_296.0
                } else {
                    n
                }
            }
            ArrayKind::Float64Array => value,
        }
    }

    fn from_name(word: &str) -> Option<ArrayKind> {
        ArrayKind::ALL.into_iter().find(|k| k.name() == word)
    }
}

/// What `postMessage` is given: a value written as a literal, or a typed
/// array the scenario made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "message")]
pub enum PostValue {
    Value { value: NodeValue },
    Array { name: Name },
}

impl fmt::Display for PostValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PostValue::Value { value } => f.write_str(&value.text),
            PostValue::Array { name } => name.fmt(f),
        }
    }
}

/// The largest buffer a scenario may make: 64 MiB (the model maps it).
pub const MAX_BUFFER_BYTES: u64 = 64 << 20;

/// After `const NAME = new`: a Worker or a typed array.
pub(super) fn new_object(js: &mut Js<'_>, name: Name) -> Result<NodeStmt, ScenarioError> {
    let what = "Worker, or a typed array: Uint8Array, Int32Array or Float64Array";
    let (class, class_pos) = js.ident(what)?;
    if class == "Worker" {
        js.eat("(")?;
        let module = js.value()?;
        if !matches!(module.value, JsValue::String(_)) {
            return Err(ScenarioError::new(
                module.pos,
                ErrorKind::Expected {
                    expected: "the module's path as a string, such as './w.js'".into(),
                    found: module.text.clone(),
                },
            ));
        }
        let mut data = None;
        if js.peek_is(",") {
            js.eat(",")?;
            js.eat("{")?;
            js.eat("workerData")?;
            js.eat(":")?;
            data = Some(js.name("a typed array's name")?);
            js.eat("}")?;
        }
        js.eat(")")?;
        return Ok(NodeStmt::Worker {
            worker: name,
            module,
            data,
        });
    }
    let Some(kind) = ArrayKind::from_name(&class) else {
        return Err(ScenarioError::new(
            class_pos,
            ErrorKind::Expected {
                expected: what.into(),
                found: format!("\"{class}\""),
            },
        ));
    };
    js.eat("(")?;
    let (bytes, shared) = if js.peek_is(NodeWord::New.keyword()) {
        js.eat(NodeWord::New.keyword())?;
        js.eat("SharedArrayBuffer")?;
        js.eat("(")?;
        let bytes = count(js, "a byte length", kind.element_bytes())?;
        js.eat(")")?;
        (bytes, true)
    } else {
        let length = count(js, "a length (a count of elements)", 1)?;
        (length * kind.element_bytes(), false)
    };
    js.eat(")")?;
    Ok(NodeStmt::Array {
        name,
        kind,
        bytes,
        shared,
    })
}

/// A whole number of at most 64 MiB: a length or a byte length, which
/// must be a multiple of `multiple` (a typed array's element size).
fn count(js: &mut Js<'_>, what: &str, multiple: u64) -> Result<u64, ScenarioError> {
    let value = js.value()?;
    let n = match value.value {
        JsValue::Number(n) if n.fract() == 0.0 && n >= 1.0 => n,
        _ => return Err(bad_number(&value, what)),
    };
    let too_big = n * multiple as f64 > MAX_BUFFER_BYTES as f64;
    if too_big || !(n as u64).is_multiple_of(multiple) {
        let what = if too_big {
            format!("{what} of at most {MAX_BUFFER_BYTES} bytes")
        } else {
            format!("{what} that is a multiple of {multiple}, the element's size")
        };
        return Err(bad_number(&value, &what));
    }
    Ok(n as u64)
}

fn bad_number(value: &NodeValue, what: &str) -> ScenarioError {
    ScenarioError::new(
        value.pos,
        ErrorKind::Expected {
            expected: what.into(),
            found: value.text.clone(),
        },
    )
}

/// An element's index: a whole number (JavaScript ignores a store past
/// the end, and so does the model).
fn index(js: &mut Js<'_>) -> Result<u64, ScenarioError> {
    let value = js.value()?;
    match value.value {
        JsValue::Number(n) if n.fract() == 0.0 && (0.0..=MAX_BUFFER_BYTES as f64).contains(&n) => {
            Ok(n as u64)
        }
        _ => Err(bad_number(&value, "an index: a whole number")),
    }
}

/// A number to store.
fn number(js: &mut Js<'_>) -> Result<NodeValue, ScenarioError> {
    let value = js.value()?;
    match value.value {
        JsValue::Number(_) => Ok(value),
        _ => Err(bad_number(&value, "a number to store")),
    }
}

/// After `NAME` when `[` follows: `NAME[I] = V`.
pub(super) fn store(js: &mut Js<'_>, array: Name) -> Result<NodeStmt, ScenarioError> {
    js.eat("[")?;
    let index = index(js)?;
    js.eat("]")?;
    js.eat("=")?;
    let value = number(js)?;
    Ok(NodeStmt::Store {
        array,
        index,
        value,
        atomics: false,
    })
}

/// After `Atomics`: `.store(A, I, V)` or `.load(A, I)`.
pub(super) fn atomics(js: &mut Js<'_>) -> Result<NodeStmt, ScenarioError> {
    js.eat(".")?;
    let (method, pos) = js.ident("store or load")?;
    let store = match method.as_str() {
        "store" => true,
        "load" => false,
        _ => {
            return Err(ScenarioError::new(
                pos,
                ErrorKind::Expected {
                    expected: "Atomics.store or Atomics.load".into(),
                    found: format!("\"{method}\""),
                },
            ))
        }
    };
    js.eat("(")?;
    let array = js.name("a typed array's name")?;
    js.eat(",")?;
    let index = index(js)?;
    let stmt = if store {
        js.eat(",")?;
        let value = number(js)?;
        NodeStmt::Store {
            array,
            index,
            value,
            atomics: true,
        }
    } else {
        NodeStmt::Load { array, index }
    };
    js.eat(")")?;
    Ok(stmt)
}

/// After `TARGET.postMessage`: `(VALUE)`, `(ARRAY)` or
/// `(ARRAY, [ARRAY.buffer])`.
pub(super) fn post(js: &mut Js<'_>, to: NodeObject) -> Result<NodeStmt, ScenarioError> {
    js.eat("(")?;
    js.skip_space();
    let starts_name = js.rest().starts_with(|c: char| c.is_ascii_lowercase())
        && !["true", "false", "null", "undefined", "new "]
            .iter()
            .any(|w| js.rest().starts_with(w));
    let message = if starts_name {
        PostValue::Array {
            name: js.name("a typed array's name")?,
        }
    } else {
        PostValue::Value { value: js.value()? }
    };
    let mut transfer = false;
    if js.peek_is(",") {
        js.eat(",")?;
        js.eat("[")?;
        let moved = js.name("the typed array whose buffer moves")?;
        match &message {
            PostValue::Array { name } if name.text == moved.text => {}
            _ => {
                return Err(ScenarioError::new(
                    moved.pos,
                    ErrorKind::Expected {
                        expected: "the buffer of the array posted (the model transfers only that)"
                            .into(),
                        found: format!("\"{moved}\""),
                    },
                ))
            }
        }
        js.eat(".buffer")?;
        js.eat("]")?;
        transfer = true;
    }
    js.eat(")")?;
    Ok(NodeStmt::Post {
        to,
        message,
        transfer,
    })
}

/// The worker statements' canonical text.
pub(super) fn fmt_stmt(stmt: &NodeStmt, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match stmt {
        NodeStmt::Array {
            name,
            kind,
            bytes,
            shared,
        } => {
            let kind = kind.name();
            if *shared {
                write!(
                    f,
                    "const {name} = new {kind}(new SharedArrayBuffer({bytes}))"
                )
            } else {
                let length = bytes / ArrayKind::from_name(kind).map_or(1, |k| k.element_bytes());
                write!(f, "const {name} = new {kind}({length})")
            }
        }
        NodeStmt::Worker {
            worker,
            module,
            data,
        } => match data {
            Some(data) => write!(
                f,
                "const {worker} = new Worker({}, {{workerData: {data}}})",
                module.text
            ),
            None => write!(f, "const {worker} = new Worker({})", module.text),
        },
        NodeStmt::Store {
            array,
            index,
            value,
            atomics,
        } => match atomics {
            true => write!(f, "Atomics.store({array}, {index}, {})", value.text),
            false => write!(f, "{array}[{index}] = {}", value.text),
        },
        NodeStmt::Load { array, index } => write!(f, "Atomics.load({array}, {index})"),
        NodeStmt::Post {
            to,
            message,
            transfer,
        } => match transfer {
            true => write!(f, "{to}.postMessage({message}, [{message}.buffer])"),
            false => write!(f, "{to}.postMessage({message})"),
        },
        _ => unreachable!("fmt_stmt is given worker statements only"),
    }
}
