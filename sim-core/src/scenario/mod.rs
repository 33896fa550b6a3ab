//! Scenario language v1: the parsed form (`ast`), the words of the
//! language (`keyword`), the parser (`parse`), the printer (`print`), the
//! errors both report, and the checks on a file's bytes before parsing
//! (`source`).
//!
//! What a scenario may say, and what each statement means, is documented
//! for its writers in docs/scenario-language.md (in this repository); a
//! test runs every example there and checks that it documents every word
//! in `keyword::all`.
//!
//! `print(parse(text)?)` parsed again gives the same `Scenario`.

pub mod ast;
pub mod error;
pub mod keyword;
mod lex;
pub mod node_syntax;
mod parse;
mod print;
pub mod source;
mod spawn_syntax;
pub mod worker_syntax;

pub use ast::*;
pub use error::{ErrorKind, ScenarioError};
pub use keyword::OpKind;
pub use parse::parse;
pub use print::print;
