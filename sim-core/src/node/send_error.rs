//! What `subprocess.send(message)` (and `process.send`) throws, at once and
//! having written nothing: the `name`, `code` and `message` real node 20
//! gives, in both serialization modes.
//!
//! Node checks the message's type itself first (lib/internal/
//! child_process.js, `target._send`): `undefined` is ERR_MISSING_ARGS, and
//! a BigInt, Symbol or function is ERR_INVALID_ARG_TYPE, in either mode
//! (a top-level BigInt is refused even by the advanced serializer, which
//! could write it). What gets past that check can still fail in the
//! serializer: JSON.stringify's TypeErrors (a BigInt, a cycle), or V8's
//! DataCloneError for a function or Symbol inside the message, which node
//! throws as a plain `Error`.

use super::value::JsValue;
use std::fmt;
use thiserror::Error;

/// Why `send()` threw.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SendError {
    /// `send(undefined)`: node's ERR_MISSING_ARGS.
    MissingMessage,
    /// A top-level BigInt, Symbol or function: node's ERR_INVALID_ARG_TYPE.
    /// `received` is how node names the value ("type bigint (10n)",
    /// "type symbol (Symbol(x))", "function f").
    InvalidType { received: String },
    /// JSON.stringify met a BigInt (json mode).
    BigIntInJson,
    /// JSON.stringify met a cycle (json mode): `message` is V8's whole
    /// message, which draws the path round the cycle.
    Circular { message: String },
    /// The V8 serializer met a function or a Symbol (advanced mode): `what`
    /// is the value as V8 prints it (a function's source text,
    /// "Symbol(x)").
    CouldNotClone { what: String },
}

impl SendError {
    /// The thrown error's `name`.
    pub fn name(&self) -> &'static str {
        match self {
            SendError::CouldNotClone { .. } => "Error",
            _ => "TypeError",
        }
    }

    /// The thrown error's `code`, for node's own errors.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            SendError::MissingMessage => Some("ERR_MISSING_ARGS"),
            SendError::InvalidType { .. } => Some("ERR_INVALID_ARG_TYPE"),
            _ => None,
        }
    }

    /// The thrown error's `message`, exactly as node 20 words it.
    pub fn message(&self) -> String {
        match self {
            SendError::MissingMessage => "The \"message\" argument must be specified".to_string(),
            SendError::InvalidType { received } => format!(
                "The \"message\" argument must be one of type string, object, number, or boolean. Received {received}"
            ),
            SendError::BigIntInJson => "Do not know how to serialize a BigInt".to_string(),
            SendError::Circular { message } => message.clone(),
            SendError::CouldNotClone { what } => format!("{what} could not be cloned."),
        }
    }
}

impl fmt::Display for SendError {
    /// As node prints an uncaught error's first line:
    /// `TypeError [ERR_MISSING_ARGS]: The "message" argument must be specified`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code() {
            Some(code) => write!(f, "{} [{code}]: {}", self.name(), self.message()),
            None => write!(f, "{}: {}", self.name(), self.message()),
        }
    }
}

/// Node's own check of the message's type, before either serializer runs
/// (`target._send`): only a string, object, number or boolean may go.
pub fn check_message_type(message: &JsValue) -> Result<(), SendError> {
    let received = match message {
        JsValue::Undefined => return Err(SendError::MissingMessage),
        // determineSpecificType in lib/internal/errors.js.
        JsValue::BigInt(b) => format!("type bigint ({b}n)"),
        JsValue::Symbol(d) => format!("type symbol (Symbol({}))", d.as_deref().unwrap_or("")),
        JsValue::Function(f) => format!("function {}", f.name),
        _ => return Ok(()),
    };
    Err(SendError::InvalidType { received })
}
