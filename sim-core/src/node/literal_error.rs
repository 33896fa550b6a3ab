//! The errors of the value-literal parser (literal.rs): where, and why, in a
//! learner's words, worded as the scenario's own errors are
//! (scenario/error.rs).

use crate::scenario::ast::Pos;
use crate::scenario::error::Cut;
use std::fmt;
use thiserror::Error;

/// A value literal that cannot be read: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{pos}: {kind}")]
pub struct LiteralError {
    pub pos: Pos,
    pub kind: LiteralErrorKind,
}

/// Why a value literal cannot be read, in a learner's words.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LiteralErrorKind {
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    #[error("unterminated string: a closing {quote} is missing")]
    UnterminatedString { quote: char },
    #[error("a string cannot run over a line break: write \\n for one")]
    LineBreakInString,
    #[error("bad escape \"{escape}\": {why}")]
    BadEscape { escape: String, why: String },
    #[error("\\u{unit:04X} is half of a surrogate pair without its other half; the model's strings are Unicode text, which cannot hold it alone")]
    LoneSurrogate { unit: u16 },
    #[error(
        "\"{}\": only 0 itself may start with 0 (JavaScript reads 010 as the octal number 8)",
        Cut(text)
    )]
    LeadingZero { text: String },
    #[error("\"{}\" is not a number: {why}", Cut(text))]
    BadNumber { text: String, why: String },
    #[error("\"{}\" is not a value{}; a value is a number, a string, true, false, null, undefined, NaN, Infinity, [...], {{...}}, new Map/Set/Date/Error, /regex/, Buffer.from(...), Symbol(...), a function or [Circular]", Cut(word), Suggest(suggestion))]
    UnknownWord {
        word: String,
        suggestion: Option<String>,
    },
    #[error(
        "\"new {}\" is not supported{}: only new Map, new Set, new Date and new Error are",
        Cut(name),
        Suggest(suggestion)
    )]
    UnknownConstructor {
        name: String,
        suggestion: Option<String>,
    },
    #[error("\"{}\": the model takes names of ASCII letters, digits, _ and $ only; write this one in quotes, as '{}'", Cut(name), Cut(name))]
    NonAsciiName { name: String },
    #[error("\"__proto__\" as a key sets the object's prototype in JavaScript instead of making a property, so the model does not take it")]
    ProtoKey,
    #[error("[Circular] stands for the outermost value, so it must be inside it: in an array, an object, a Map or a Set")]
    CircularOutside,
    #[error("an array hole (a comma with nothing before it) is not supported; write undefined")]
    Hole,
    #[error("new Date() reads the clock, which the model does not: give the time, as new Date(0) or new Date(\"2024-01-31T12:00:00Z\")")]
    DateNeedsTime,
    #[error("\"{}\" is not a date the model reads: {why}", Cut(text))]
    BadDate { text: String, why: String },
    #[error("Buffer.from([...]) takes bytes from 0 to 255, not {value}")]
    BadByte { value: String },
    #[error("bad regular expression: {why}")]
    BadRegExp { why: String },
    #[error("a function's body must be empty here ({{}}): the model sends functions but never runs them")]
    FunctionBody,
    #[error("values nested more than {max} deep are not supported")]
    TooDeep { max: u32 },
    #[error("a BigInt of more than {max} digits is not supported")]
    TooLong { max: usize },
}

/// Formats `; did you mean "x"?` when there is a suggestion.
struct Suggest<'a>(&'a Option<String>);

impl fmt::Display for Suggest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, " (did you mean \"{s}\"?)"),
            None => Ok(()),
        }
    }
}
