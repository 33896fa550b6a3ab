//! What Node.js does with a value on a `child_process` IPC channel, byte for
//! byte as node 20 does it: the values a scenario can send (`value`, read
//! from JavaScript literal syntax by `literal`), the newline-delimited JSON
//! of the default `serialization: 'json'` (`json`, with the channel's
//! reader), and the length-prefixed V8 serializer frames of
//! `serialization: 'advanced'` (`advanced`, with `v8_numbers`, which
//! numbers V8 holds as small integers and which as heap numbers).
//! `send_error` is what `send()` throws, in both modes.
//!
//! Pure: no IO, no clock. The facts were measured on node v20.20.2 and are
//! checked against it by native/tests/node_values.rs.

pub mod advanced;
pub mod bigint;
pub mod date;
pub(crate) mod expand;
pub mod json;
pub mod literal;
mod literal_error;
mod literal_text;
pub mod number_text;
pub mod send_error;
pub(crate) mod spawn;
pub mod state;
pub mod v8_numbers;
pub mod value;
pub(crate) mod worker;
pub mod worker_state;

pub use json::is_internal;
pub use literal::{parse_value, parse_value_prefix, LiteralError, LiteralErrorKind};
pub use send_error::SendError;
pub use value::JsValue;

#[cfg(test)]
mod tests;
