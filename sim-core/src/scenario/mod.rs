//! Scenario language v1: the parsed form (`ast`), the parser (`parse`), the
//! printer (`print`), the errors both report, and the checks on a file's
//! bytes before parsing (`source`).
//!
//! `print(parse(text)?)` parsed again gives the same `Scenario`.

pub mod ast;
pub mod error;
mod lex;
mod parse;
mod print;
pub mod source;

pub use ast::*;
pub use error::{ErrorKind, ScenarioError};
pub use parse::parse;
pub use print::print;
