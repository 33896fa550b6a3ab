//! The node layer's facts as unit tests: the literal parser (values, key
//! order, errors with positions), json mode (number text, escapes, each
//! JSON.stringify rule, each throw, the reader) and advanced mode (V8's
//! bytes). Every expected byte and message was printed by node v20.20.2;
//! native/tests/node_values.rs checks a larger corpus against node itself.

mod advanced;
mod channel;
mod json;
mod literal;
mod max_buffer;
mod spawn;
mod spawn_ipc;
mod statements;
mod streams;
mod workers;

use super::{parse_value, JsValue};
use crate::scenario::ast::Pos;

/// The value of a literal that must parse.
fn v(text: &str) -> JsValue {
    parse_value(text, Pos { line: 1, col: 1 })
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
